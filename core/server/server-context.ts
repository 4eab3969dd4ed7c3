/**
 * What the server's route modules share: the context each is registered with and the limits of
 * one request. Its own module, so the routes never import server.ts, which imports them.
 */
import type { Flowdesk } from '#core/flowdesk.ts';
import { DEFAULT_DISCARD_LIMITS, type DiscardLimits } from '#core/platform/http-body.ts';

/** How long and how much one request and one connection may take. */
export interface ServerLimits extends DiscardLimits {
  /** Time for a client to send the request line and headers, then the connection is cut (slowloris). */
  headersTimeoutMs: number;
  /**
   * Time a connection may stay silent (nothing read, nothing written) mid-request before it is cut.
   * Uploads of any length and event streams (which send a heartbeat) stay open while bytes flow.
   */
  idleTimeoutMs: number;
  /** Time an idle keep-alive connection is kept for a next request. */
  keepAliveTimeoutMs: number;
  /** How often open connections are checked against the headers timeout. */
  connectionsCheckIntervalMs: number;
  /** Time any request body gets before `minBodyBytesPerSecond` applies (body-rate.ts). */
  bodyGraceMs: number;
  /**
   * Mean rate below which a request body is answered 408 and its connection cut, once
   * `bodyGraceMs` has passed: a body of N bytes must be whole within bodyGraceMs + N / rate.
   * 0 turns the rule off.
   */
  minBodyBytesPerSecond: number;
  /** Largest file one artifact upload may write. */
  maxUploadBytes: number;
  /** Free space an artifact upload must leave on the disk holding the artifacts (a local store only). */
  freeSpaceReserveBytes: number;
}

/**
 * No fixed deadline for a whole request: a 20 GiB artifact upload may rightly take an hour.
 * A client must instead send its headers promptly, keep bytes flowing (idle timeout), and keep
 * its body at 64 KiB/s on average after 30 s (512 kbit/s: a poor mobile uplink still passes, a
 * 20 GiB upload is allowed 91 hours, and a client trickling bytes to hold a connection is cut
 * at 30 s).
 */
export const DEFAULT_LIMITS: ServerLimits = {
  headersTimeoutMs: 30_000,
  idleTimeoutMs: 120_000,
  keepAliveTimeoutMs: 5_000,
  connectionsCheckIntervalMs: 5_000,
  ...DEFAULT_DISCARD_LIMITS,
  bodyGraceMs: 30_000,
  minBodyBytesPerSecond: 64 * 1024,
  maxUploadBytes: 20 * 1024 ** 3,
  freeSpaceReserveBytes: 1024 ** 3,
};

/** Shared by the route modules. */
export interface ServerContext {
  flowdesk: Flowdesk;
  version: string;
  reportInternal: (err: unknown) => void;
  limits: ServerLimits;
}
