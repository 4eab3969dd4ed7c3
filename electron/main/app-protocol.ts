/**
 * The app:// protocol: serves the built window (renderer/dist) and, for previews and downloads,
 * the files of the artifact store at the same paths the HTTP server uses
 * (`/api/2.0/mlflow-artifacts/artifacts/<path>`). Every path passes `checkArtifactPath`, the one
 * gate for hostile paths, and a window file is served only when its real path (links resolved)
 * is a regular file inside the build folder. While the app is connected to a team server, artifact
 * requests go to its artifact proxy with the Bearer token instead of the local store.
 */
import { realpathSync } from 'node:fs';
import { readFile, realpath, stat } from 'node:fs/promises';
import { extname, join, sep } from 'node:path';
import { Readable } from 'node:stream';
import { FlowdeskError } from '#core/api/errors.ts';
import { checkArtifactPath, decodeArtifactPath } from '#core/api/artifact-path.ts';
import type { ArtifactStore } from '#core/artifacts/artifact-store.ts';
import { contentDisposition, guessContentType, parseRange } from '#core/server/artifact-download.ts';
import { CONTENT_TYPES, UI_CSP } from '#core/server/ui-routes.ts';
import { APP_HOST } from './window.ts';

export const ARTIFACT_PREFIX = '/api/2.0/mlflow-artifacts/artifacts/';

export interface AppProtocolOptions {
  /** The built window, renderer/dist. */
  distDir: string;
  artifacts: ArtifactStore;
  /** The team server in use, if any: artifact requests are proxied there with the token. */
  remote?: () => { url: string; token: string } | undefined;
}

const WINDOW_HEADERS = { 'content-security-policy': UI_CSP, 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer' };

function text(status: number, body: string): Response {
  return new Response(body, { status, headers: { 'content-type': 'text/plain; charset=utf-8', ...WINDOW_HEADERS } });
}

/** The handler `protocol.handle('app', ...)` calls for every request of the window. */
export function createAppProtocolHandler(options: AppProtocolOptions): (request: Request) => Promise<Response> {
  let realDist: string | undefined;
  const distRoot = () => (realDist ??= realpathSync.native(options.distDir));

  async function windowFile(pathname: string): Promise<Response> {
    let rel: string;
    try {
      rel = checkArtifactPath(pathname === '/' ? 'index.html' : decodeArtifactPath(pathname.slice(1)));
    } catch (err) {
      return text(400, (err as Error).message);
    }
    let root: string;
    try {
      root = distRoot();
    } catch {
      return text(503, 'The window is not built: run `npm run build:ui`.');
    }
    let real: string;
    try {
      real = await realpath(join(root, ...rel.split('/')));
    } catch {
      return text(404, `No file '${rel}' in the window`);
    }
    if (!real.startsWith(root + sep) || !(await stat(real)).isFile()) return text(404, `No file '${rel}' in the window`);
    const type = CONTENT_TYPES[extname(real)] ?? 'application/octet-stream';
    return new Response(await readFile(real), { status: 200, headers: { 'content-type': type, 'cache-control': 'no-cache', ...WINDOW_HEADERS } });
  }

  async function artifactFile(rawPath: string, rangeHeader: string | null): Promise<Response> {
    const path = checkArtifactPath(decodeArtifactPath(rawPath));
    const info = await options.artifacts.stat(path);
    if (!info || info.isDir) return text(404, `No artifact file at '${path}'`);
    const range = parseRange(rangeHeader ?? undefined, info.bytes);
    if (range === 'unsatisfiable') return text(416, `Range '${rangeHeader}' is not within the ${info.bytes} bytes of '${path}'`);
    const { stream, bytes } = await options.artifacts.read(path, range);
    const name = path.slice(path.lastIndexOf('/') + 1);
    const headers: Record<string, string> = {
      'content-type': guessContentType(name),
      'content-length': String(bytes),
      'content-disposition': contentDisposition(name),
      'x-content-type-options': 'nosniff',
      'content-security-policy': "default-src 'none'; sandbox",
      'accept-ranges': 'bytes',
    };
    if (range) headers['content-range'] = `bytes ${range.start}-${range.start + bytes - 1}/${info.bytes}`;
    return new Response(Readable.toWeb(stream) as ReadableStream, { status: range ? 206 : 200, headers });
  }

  /** The team server's answer, passed on with its status, length, range and disposition. */
  async function remoteArtifact(team: { url: string; token: string }, pathname: string, request: Request): Promise<Response> {
    checkArtifactPath(decodeArtifactPath(pathname.slice(ARTIFACT_PREFIX.length)));
    const headers: Record<string, string> = { authorization: `Bearer ${team.token}` };
    const range = request.headers.get('range');
    if (range) headers.range = range;
    let answer: Response;
    try {
      answer = await fetch(`${team.url}${pathname}`, { method: request.method, headers });
    } catch (err) {
      return text(502, `Cannot reach the team server ${team.url}: ${(err as Error).message}`);
    }
    const kept = new Headers({ 'x-content-type-options': 'nosniff', 'content-security-policy': "default-src 'none'; sandbox" });
    for (const name of ['content-type', 'content-length', 'content-disposition', 'content-range', 'accept-ranges']) {
      const value = answer.headers.get(name);
      if (value !== null) kept.set(name, value);
    }
    return new Response(answer.body, { status: answer.status, headers: kept });
  }

  return async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return text(405, 'The app protocol only reads');
    let url: URL;
    try {
      url = new URL(request.url);
    } catch {
      return text(400, 'Malformed URL');
    }
    if (url.host !== APP_HOST) return text(404, 'Unknown host');
    // The raw path, still percent-encoded: it is decoded once (decodeArtifactPath) before it is judged.
    const pathname = url.pathname;
    try {
      const team = options.remote?.();
      if (team && pathname.startsWith(ARTIFACT_PREFIX)) return await remoteArtifact(team, pathname, request);
      if (pathname.startsWith(ARTIFACT_PREFIX)) return await artifactFile(pathname.slice(ARTIFACT_PREFIX.length), request.headers.get('range'));
      return await windowFile(pathname);
    } catch (err) {
      if (err instanceof FlowdeskError) return text(err.code === 'RESOURCE_DOES_NOT_EXIST' ? 404 : 400, err.message);
      throw err;
    }
  };
}
