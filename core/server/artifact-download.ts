/**
 * Serving an artifact file as a download: streamed from the store (never read whole), single
 * byte ranges honoured, and headers that keep a browser from ever rendering it as a page of this
 * origin (attachment, nosniff, a sandboxing CSP). Every raw-file route uses this one function, for
 * both stores (local and S3); range-parser and content-disposition, the modules Express's `send`
 * uses, read the Range header and write the file name.
 */
import { create as createContentDisposition } from 'content-disposition';
import type { FastifyReply } from 'fastify';
import rangeParser from 'range-parser';
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
 * `Content-Disposition: attachment` naming the file, written by the content-disposition module
 * (quoting, RFC 8187 encoding). The plain `filename` it is given holds only printable ASCII without
 * quotes, backslashes or '%' (each becomes '_'), so no browser has to unescape or percent-decode
 * it; whenever that changed the name, `filename*=UTF-8''…` carries the exact name.
 */
export function contentDisposition(name: string): string {
  return createContentDisposition(name, { fallback: name.replace(/[^\x20-\x7e]|["\\%]/g, '_') });
}

/** A lone suffix range (`bytes=-N`, N > 0): RFC 9110 reads one longer than the file as all of it. */
const SUFFIX_RANGE = /^\s*bytes\s*=\s*-\s*0*[1-9]\d*\s*$/i;

/**
 * The byte range a `Range` header asks for within a file of `size` bytes, read by range-parser
 * (the one Express's `send` uses). Undefined means the whole file with 200, which RFC 9110 allows
 * for any Range: no header, another unit, a malformed one, a suffix longer than the file
 * (range-parser 1.3 calls that unsatisfiable; RFC 9110 says it is all of it), and several ranges
 * that do not merge into one (a multipart/byteranges answer would read the store once per part,
 * and no client here asks for one). 'unsatisfiable' when no range lies within the file.
 */
export function parseRange(header: string | undefined, size: number): Required<ByteRange> | 'unsatisfiable' | undefined {
  if (header === undefined || !/^\s*bytes\s*=/i.test(header)) return undefined;
  const ranges = rangeParser(size, header, { combine: true });
  if (ranges === -2) return undefined;
  if (ranges === -1) return SUFFIX_RANGE.test(header) ? undefined : 'unsatisfiable';
  return ranges.length === 1 ? { start: ranges[0]!.start, end: ranges[0]!.end } : undefined;
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
