/**
 * A request body must keep arriving: after a grace period its mean rate must stay at or above a
 * minimum, or it is answered 408 and its connection cut. The idle timeout alone never cuts a
 * client that sends one byte a minute (a slowloris on the body, holding a connection and a body
 * slot for ever); this rule does, while any honest upload, of any length, at the minimum rate or
 * faster passes.
 *
 * A mean since the request began, rather than a rate per window, so that an honest upload that
 * stalls for a moment (Wi-Fi roaming, a busy disk) is not cut for it: bytes sent early earn the
 * time. A stall of its own is bounded by the idle timeout. Time the server spends not reading
 * (its own consumer or store slower than the client) is not held against the client.
 */
import { performance } from 'node:perf_hooks';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ServerLimits } from './server-context.ts';

/** The limits this rule reads. */
export type BodyRateLimits = Pick<ServerLimits, 'bodyGraceMs' | 'minBodyBytesPerSecond'>;

/** How often the clock is looked at again while the server, not the client, is behind. */
const RECHECK_MS = 1_000;

/** Whether a request carries a body that is still to arrive. */
function expectsBody(request: FastifyRequest): boolean {
  const { headers, raw } = request;
  if (raw.complete) return false;
  return headers['transfer-encoding'] !== undefined || Number(headers['content-length'] ?? 0) > 0;
}

/**
 * Holds every request body of `app` to the rule: `send408` answers a body that is too slow (the
 * connection is then closed), or closes the connection when an answer has already gone.
 * A `minBodyBytesPerSecond` of 0 turns the rule off.
 */
export function installBodyRate(app: FastifyInstance, limits: BodyRateLimits, send408: (reply: FastifyReply, message: string) => void): void {
  if (limits.minBodyBytesPerSecond <= 0) return;
  app.addHook('onRequest', async (request, reply) => {
    if (expectsBody(request)) watchBody(request, reply, limits, send408);
  });
}

function watchBody(request: FastifyRequest, reply: FastifyReply, limits: BodyRateLimits, send408: (reply: FastifyReply, message: string) => void): void {
  const { raw } = request;
  const socket = raw.socket;
  const start = performance.now();
  // The socket's count includes this request's head and any earlier request on the connection.
  const baseline = socket.bytesRead;
  const recheck = Math.min(RECHECK_MS, Math.max(1, limits.bodyGraceMs));
  let excused = 0;
  let timer: NodeJS.Timeout | undefined;
  const stop = () => clearTimeout(timer);
  const arm = (ms: number) => {
    timer = setTimeout(check, Math.ceil(ms)).unref();
  };
  const check = () => {
    if (raw.complete || socket.destroyed) return;
    const received = socket.bytesRead - baseline;
    const deadline = start + excused + limits.bodyGraceMs + (received * 1000) / limits.minBodyBytesPerSecond;
    const now = performance.now();
    if (now < deadline) return arm(deadline - now);
    // Bytes waiting unread (and the socket paused for them) are the server's delay, not the client's.
    if (raw.readableLength > 0) {
      excused += recheck;
      return arm(recheck);
    }
    if (reply.raw.headersSent) {
      socket.destroy();
      return;
    }
    reply.raw.once('finish', () => socket.destroy());
    send408(reply, `The request body arrived too slowly: ${received} bytes in ${Math.round(now - start)} ms; after the first ${limits.bodyGraceMs} ms a body must arrive at ${limits.minBodyBytesPerSecond} bytes/s or more`);
  };
  arm(limits.bodyGraceMs);
  raw.once('end', stop);
  // The request's own close (its answer sent, or the connection gone), not the socket's: a
  // keep-alive socket outlives many requests.
  raw.once('close', stop);
}
