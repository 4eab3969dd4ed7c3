/**
 * The browser window at `/`: the built renderer (renderer/dist) with a strict CSP, hashed assets
 * cached for good, index.html never cached, and client routes answered with index.html (history
 * fallback). Only files found by listing the build folder are served, so no request path can
 * name a file outside it. Without a build, `/` says how to make one instead of showing nothing.
 */
import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** Where `npm run build:ui` puts the window. */
export const DEFAULT_UI_DIR = fileURLToPath(new URL('../../renderer/dist', import.meta.url));

/**
 * The window's content security policy: its own scripts only, no framing, talks only to this
 * server. No `<base>` element may redirect its relative URLs and no form may submit anywhere
 * (the window's forms are handled by script), so injected markup cannot send data away either.
 */
export const UI_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/** Paths that belong to the APIs: an unknown one there is an API 404, never the window. */
const API_PREFIXES = ['/api/', '/ajax-api/', '/health', '/version', '/get-artifact'];

export const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/** Vite names files under assets/ by content hash: a changed file gets a new name. */
const IMMUTABLE = 'public, max-age=31536000, immutable';

export interface UiRoutesOptions {
  /** The built window; default renderer/dist. */
  dir?: string;
}

/** Lists the regular files under `dir` as URL paths ('/assets/x.js') to file paths; symlinks are skipped. */
function listFiles(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (folder: string, prefix: string) => {
    let names: string[];
    try {
      names = readdirSync(folder);
    } catch {
      return; // not built (yet)
    }
    for (const name of names) {
      const path = join(folder, name);
      const stat = lstatSync(path);
      if (stat.isDirectory()) walk(path, `${prefix}${name}/`);
      else if (stat.isFile()) files.set(`${prefix}${name}`, path);
    }
  };
  walk(dir, '/');
  return files;
}

function securityHeaders(reply: FastifyReply): FastifyReply {
  return reply.header('content-security-policy', UI_CSP).header('x-content-type-options', 'nosniff').header('referrer-policy', 'no-referrer');
}

const NOT_BUILT_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Flowdesk</title><meta name="color-scheme" content="light dark"></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 4rem auto; padding: 0 1rem; line-height: 1.5">
<h1>Flowdesk is running, but its window is not built</h1>
<p>The tracking API works: scripts can log to this address now.</p>
<p>To see the window, build it in the Flowdesk folder, then reload this page:</p>
<pre style="padding: .75rem; border: 1px solid #8884; border-radius: 6px">npm run build:ui</pre>
<p>(<code>npm start</code> builds it when it is missing.)</p>
</body></html>
`;

/** Serves the window. Registered after the API routes; their own paths take precedence. */
export function registerUiRoutes(app: FastifyInstance, options: UiRoutesOptions = {}): void {
  const dir = options.dir ?? DEFAULT_UI_DIR;
  let files = listFiles(dir);

  // A file missing from the listing may come from a rebuild since start: list again once.
  const find = (urlPath: string): string | undefined => {
    if (!files.has(urlPath)) files = listFiles(dir);
    return files.get(urlPath);
  };

  const sendFile = (reply: FastifyReply, urlPath: string, path: string) =>
    securityHeaders(reply)
      .type(CONTENT_TYPES[extname(path)] ?? 'application/octet-stream')
      .header('cache-control', urlPath.startsWith('/assets/') ? IMMUTABLE : 'no-cache')
      .send(readFileSync(path));

  const sendIndex = (reply: FastifyReply) => {
    const index = find('/index.html');
    if (index) return sendFile(reply, '/index.html', index);
    return securityHeaders(reply).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(NOT_BUILT_PAGE);
  };

  const handler = (request: FastifyRequest, reply: FastifyReply) => {
    const urlPath = request.url.split('?')[0]!;
    if (urlPath === '/' || urlPath === '/index.html') return sendIndex(reply);
    if (API_PREFIXES.some((prefix) => urlPath === prefix.replace(/\/$/, '') || urlPath.startsWith(prefix))) return reply.callNotFound();
    let decoded: string;
    try {
      decoded = decodeURIComponent(urlPath);
    } catch {
      return reply.callNotFound();
    }
    const file = find(decoded);
    if (file) return sendFile(reply, decoded, file);
    // A client route (a reloaded or linked view): the window decides what it shows.
    if ((request.headers.accept ?? '').includes('text/html')) return sendIndex(reply);
    return reply.callNotFound();
  };

  app.get('/', handler);
  app.get('/*', handler);
}
