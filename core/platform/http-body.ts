/**
 * Plain HTTP body and error helpers shared by every server this engine runs (the localhost server
 * and a model's scoring server): the JSON body limit, reading a refused body away without a reset,
 * and errors in MLflow's JSON shape, which every client of these servers understands.
 */
import type { IncomingMessage } from 'node:http';
import type { FastifyReply } from 'fastify';
import type { ErrorCode } from '#core/api/errors.ts';
import { jsonStringify } from './wire-json.ts';

/** Largest JSON body accepted. MLflow documents 1 MB for log-batch; leave room above it. */
export const JSON_BODY_LIMIT = 8 * 1024 * 1024;

/** How long and how much of a refused body is read and dropped before the connection is cut. */
export interface DiscardLimits {
  discardTimeoutMs: number;
  discardBytes: number;
}

/** 30 s and 1 GiB: a client still sending gets its answer instead of a reset (MLflow clients retry resets). */
export const DEFAULT_DISCARD_LIMITS: DiscardLimits = { discardTimeoutMs: 30_000, discardBytes: 1024 * 1024 * 1024 };

/**
 * Reads and drops the rest of a request body without keeping it, within `limits`; past them the
 * connection is cut. Never throws, now or later: by the time a timer fires the request may be
 * long finished and its socket gone or reused, so the socket is the one held now.
 */
export function discardBody(raw: IncomingMessage, limits: DiscardLimits = DEFAULT_DISCARD_LIMITS): void {
  const socket = raw.socket as IncomingMessage['socket'] | null;
  if (raw.complete || raw.destroyed || !socket || socket.destroyed) return;
  let seen = 0;
  const cut = () => {
    clearTimeout(timer);
    if (!raw.complete) socket.destroy();
  };
  const timer = setTimeout(cut, limits.discardTimeoutMs).unref();
  // The socket outlives the request on a keep-alive connection: its listener goes with the body,
  // or every refused body would leave one behind for as long as the connection lasts.
  const done = () => {
    clearTimeout(timer);
    socket.removeListener('close', done);
  };
  raw.on('data', (chunk: Buffer) => {
    seen += chunk.length;
    if (seen > limits.discardBytes) cut();
  });
  raw.on('error', done);
  raw.on('end', done);
  raw.on('close', done);
  socket.once('close', done);
  raw.resume();
}

/**
 * The headers of every answer that is not the window's page (JSON, errors, event streams): never
 * content-sniffed, and should a browser still open one as a document, it may load, run, frame or
 * submit nothing. The window's page and artifact downloads replace the CSP with their own.
 */
export const NOT_A_PAGE_HEADERS = {
  'x-content-type-options': 'nosniff',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
} as const;

/** Sends an error in MLflow's JSON shape, which every client of this server understands. */
export function sendError(reply: FastifyReply, status: number, code: ErrorCode, message: string): FastifyReply {
  // Also for errors raised before any hook ran (a URL the router cannot decode).
  reply.headers(NOT_A_PAGE_HEADERS);
  return reply.code(status).type('application/json').send(jsonStringify({ error_code: code, message }));
}
