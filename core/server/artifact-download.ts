/**
 * Serving an artifact file as a download: streamed from the store (never read whole), single
 * byte ranges honoured, and headers that keep a browser from ever rendering it as a page of this
 * origin (attachment, nosniff, a sandboxing CSP). Every raw-file route uses this one function.
 */
import type { FastifyReply } from 'fastify';
import { notFound } from '#core/api/errors.ts';
import type { Flowdesk } from '#core/flowdesk.ts';
import { sendError } from '#core/platform/http-body.ts';

/** The store the composition root opened, and the byte range its `read` takes. */
type ArtifactStore = Flowdesk['artifacts'];
type ByteRange = NonNullable<Parameters<ArtifactStore['read']>[1]>;

/** Content types by file extension; anything else is served as opaque bytes. */
const CONTENT_TYPES: Record<string, string> = {
  txt: 'text/plain; charset=utf-8',
  log: 'text/plain; charset=utf-8',
  md: 'text/markdown; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
  tsv: 'text/tab-separated-values; charset=utf-8',
  json: 'application/json',
  yaml: 'text/yaml; charset=utf-8',
  yml: 'text/yaml; charset=utf-8',
  py: 'text/x-python; charset=utf-8',
  html: 'text/html; charset=utf-8',
  htm: 'text/html; charset=utf-8',
  xml: 'application/xml',
  svg: 'image/svg+xml',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  bmp: 'image/bmp',
  pdf: 'application/pdf',
  zip: 'application/zip',
  gz: 'application/gzip',
  parquet: 'application/vnd.apache.parquet',
};

/** Extensionless files MLflow writes into every model folder, which its UI shows as text. */
const TEXT_NAMES = new Set(['MLmodel', 'MLproject']);

/** The content type guessed from a file name, as MLflow's server guesses it. */
export function guessContentType(name: string): string {
  if (TEXT_NAMES.has(name)) return 'text/plain; charset=utf-8';
  const dot = name.lastIndexOf('.');
  return (dot > 0 && CONTENT_TYPES[name.slice(dot + 1).toLowerCase()]) || 'application/octet-stream';
}

/**
 * `Content-Disposition: attachment` naming the file. The quoted `filename` holds only printable
 * ASCII (other characters, quotes, backslashes and '%' become '_'); when that changed the name,
 * RFC 5987's `filename*` carries the exact UTF-8 name for browsers that read it.
 */
export function contentDisposition(name: string): string {
  const fallback = name.replace(/[^\x20-\x7e]|["\\%]/g, '_');
  const header = `attachment; filename="${fallback}"`;
  if (fallback === name) return header;
  const encoded = encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${header}; filename*=UTF-8''${encoded}`;
}

/**
 * The byte range a `Range` header asks for within a file of `size` bytes: undefined for the whole
 * file (no header, or one this server ignores, which RFC 9110 allows: malformed, several ranges,
 * last before first), 'unsatisfiable' when it starts past the end.
 */
export function parseRange(header: string | undefined, size: number): Required<ByteRange> | 'unsatisfiable' | undefined {
  if (header === undefined) return undefined;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match || (match[1] === '' && match[2] === '')) return undefined;
  if (match[1] === '') {
    const suffix = Number(match[2]);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(match[1]);
  const last = match[2] === '' ? undefined : Number(match[2]);
  if (last !== undefined && last < start) return undefined;
  if (start >= size) return 'unsatisfiable';
  return { start, end: Math.min(last ?? size - 1, size - 1) };
}

/**
 * Streams the file at store path `path` as a download; RESOURCE_DOES_NOT_EXIST (404 JSON) when
 * there is no file there. The path is checked by the store like every other store path.
 */
export async function sendArtifactFile(reply: FastifyReply, store: ArtifactStore, path: string, rangeHeader: string | undefined): Promise<FastifyReply> {
  const info = await store.stat(path);
  if (!info || info.isDir) throw notFound(`No artifact file at '${path}'`);
  const range = parseRange(rangeHeader, info.bytes);
  if (range === 'unsatisfiable') {
    reply.header('content-range', `bytes */${info.bytes}`);
    return sendError(reply, 416, 'INVALID_PARAMETER_VALUE', `Range '${rangeHeader}' is not within the ${info.bytes} bytes of '${path}'`);
  }
  const { stream, bytes } = await store.read(path, range);
  const name = path.slice(path.lastIndexOf('/') + 1);
  reply.headers({
    'content-type': guessContentType(name),
    'content-length': bytes,
    'content-disposition': contentDisposition(name),
    'x-content-type-options': 'nosniff',
    'content-security-policy': "default-src 'none'; sandbox",
    'accept-ranges': 'bytes',
  });
  if (range) reply.code(206).header('content-range', `bytes ${range.start}-${range.start + bytes - 1}/${info.bytes}`);
  return reply.send(stream);
}
