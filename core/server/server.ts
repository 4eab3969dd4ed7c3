/**
 * The localhost HTTP server (Fastify): the MLflow REST API for unmodified MLflow clients, the
 * artifact proxy, and Flowdesk's own contract with live events for the browser UI and the
 * TypeScript client. Every route is a translation onto the contract, not a second engine.
 */
import { isAscii } from 'node:buffer';
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { sql } from 'kysely';
import secureJson from 'secure-json-parse';
import { FlowdeskError, HTTP_STATUS, type ErrorCode } from '#core/api/errors.ts';
import type { Settings } from '#core/api/settings-contract.ts';
import type { Flowdesk } from '#core/flowdesk.ts';
import { installManners, isLoopback } from './manners.ts';
import { installAuth } from './auth.ts';
import { dataFolderTicketSecret } from './ticket-secret.ts';
import { hasUsers } from '#core/users/users.ts';
import { registerContractRoutes } from './contract-routes.ts';
import { registerMlflowRoutes } from './mlflow-routes.ts';
import { registerArtifactRoutes } from './artifact-routes.ts';
import { registerLoggedModelRoutes } from './mlflow-logged-models.ts';
import { registerMlflowRegistryRoutes } from './mlflow-registry-routes.ts';
import { registerMlflowTraceRoutes } from './mlflow-trace-routes.ts';
import { registerUiRoutes } from './ui-routes.ts';
import { registerHealthRoute } from './health.ts';
import { jsonStringify } from './json.ts';
import { installBodyRate } from './body-rate.ts';

export interface ServerOptions {
  flowdesk: Flowdesk;
  /** Default 127.0.0.1. Any other address requires a token. */
  host?: string;
  /** Default 5000; 0 picks a free port. */
  port?: number;
  token?: string;
  /** The version reported by /version and the health endpoints. */
  version: string;
  /** Where internal errors are reported with their stack. */
  log?: (message: string, err?: unknown) => void;
  /** Signs the window's tickets; by default the data folder's own secret (ticket-secret.ts). */
  ticketSecret?: string;
  /** How often the tokens behind open streams are looked up again (auth.ts ACCESS_RECHECK_MS). */
  accessRecheckMs?: number;
  /** Timeouts and size limits; each absent one has its default (`DEFAULT_LIMITS`). */
  limits?: Partial<ServerLimits>;
}

/** How long and how much one request and one connection may take. */
export interface ServerLimits {
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
  /** How long the rest of a refused body is read and dropped before the connection is cut. */
  discardTimeoutMs: number;
  /** How many bytes of a refused body are read and dropped before the connection is cut. */
  discardBytes: number;
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
  discardTimeoutMs: 30_000,
  discardBytes: 1024 * 1024 * 1024,
  bodyGraceMs: 30_000,
  minBodyBytesPerSecond: 64 * 1024,
  maxUploadBytes: 20 * 1024 ** 3,
  freeSpaceReserveBytes: 1024 ** 3,
};

export interface RunningServer {
  readonly app: FastifyInstance;
  readonly host: string;
  readonly port: number;
  readonly url: string;
  close(): Promise<void>;
}

/** Largest JSON body accepted. MLflow documents 1 MB for log-batch; leave room above it. */
export const JSON_BODY_LIMIT = 8 * 1024 * 1024;
/** Deepest JSON nesting accepted; no request of the API nests more than a few levels. */
export const JSON_MAX_DEPTH = 32;

/** The upload limits a settings file names; absent ones keep their defaults. */
export function uploadLimits(settings: Pick<Settings, 'maxUploadBytes' | 'freeSpaceReserveBytes'>): Partial<ServerLimits> {
  const limits: Partial<ServerLimits> = {};
  if (settings.maxUploadBytes !== undefined) limits.maxUploadBytes = settings.maxUploadBytes;
  if (settings.freeSpaceReserveBytes !== undefined) limits.freeSpaceReserveBytes = settings.freeSpaceReserveBytes;
  return limits;
}

/** Shared by the route modules. */
export interface ServerContext {
  flowdesk: Flowdesk;
  version: string;
  reportInternal: (err: unknown) => void;
  limits: ServerLimits;
}

/** Python's `json.dumps` writes these bare tokens for non-finite floats; MLflow's server reads them. */
const NON_FINITE_TOKENS: [string, number][] = [
  ['-Infinity', Number.NEGATIVE_INFINITY],
  ['Infinity', Number.POSITIVE_INFINITY],
  ['NaN', Number.NaN],
];

/** Where a JSON text holds bare non-finite tokens, found outside strings. */
interface NonFiniteToken {
  start: number;
  end: number;
  value: number;
}

/** What one scan of a JSON text found for the parser. */
interface ScanResult {
  nonFinite: NonFiniteToken[];
  /** A key `__proto__` or `constructor` appears: only then is the prototype-poisoning parser needed. */
  poisonKeys: boolean;
}

/** Keys an object may hold before its duplicate check moves from a list to a set. */
const SMALL_OBJECT_KEYS = 16;

/**
 * The keys seen so far in each open object, one slot per depth and reused for every object at
 * that depth (objects at one depth never overlap), so a 1,000-point body allocates no set per
 * point. A short list is searched; past SMALL_OBJECT_KEYS the keys move to a set, so an object
 * of a million keys costs linear time, not quadratic.
 */
class KeysByDepth {
  private readonly lists: string[][] = [];
  private readonly sets: (Set<string> | undefined)[] = [];
  private readonly large: boolean[] = [];

  /** Starts a fresh, empty object at `depth`. */
  open(depth: number): void {
    (this.lists[depth] ??= []).length = 0;
    if (this.large[depth]) this.sets[depth]!.clear();
    this.large[depth] = false;
  }

  /** Records `key` in the object at `depth`; false when it is already there. */
  add(depth: number, key: string): boolean {
    if (this.large[depth]) {
      const set = this.sets[depth]!;
      if (set.has(key)) return false;
      set.add(key);
      return true;
    }
    const list = this.lists[depth]!;
    if (list.includes(key)) return false;
    list.push(key);
    if (list.length > SMALL_OBJECT_KEYS) {
      const set = (this.sets[depth] ??= new Set());
      for (const k of list) set.add(k);
      this.large[depth] = true;
    }
    return true;
  }
}

/**
 * One pass over a JSON text, before it is parsed, for what `JSON.parse` would accept silently or
 * refuse wrongly: nesting deeper than `JSON_MAX_DEPTH`, a key given twice in one object (the
 * parser keeps the last, so two readers could see different requests), escapes that make a lone
 * UTF-16 surrogate (no Unicode text; stored, it turns into U+FFFD), and the bare tokens NaN,
 * Infinity and -Infinity (returned, for the parser to accept). It also notes whether any key is
 * `__proto__` or `constructor`, so that the slower poisoning-safe parse runs only then. Only keys
 * and escaped strings are cut out of the text; malformed text is left to the parser.
 */
function scanJson(text: string): ScanResult {
  const nonFinite: NonFiniteToken[] = [];
  let poisonKeys = false;
  // Per open container: true for an object, false for an array.
  const isObject: boolean[] = [];
  const keys = new KeysByDepth();
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34) {
      const start = i;
      let escaped = false;
      for (i++; i < text.length; i++) {
        const d = text.charCodeAt(i);
        if (d === 34) break;
        if (d === 92) {
          escaped = true;
          i++;
        }
      }
      if (!escaped && !expectKey) continue;
      const decoded = escaped ? decodeJsonString(text.slice(start, i + 1)) : text.slice(start + 1, i);
      if (escaped && decoded !== undefined && /\p{Cs}/u.test(decoded)) {
        throw new FlowdeskError('BAD_REQUEST', `Malformed JSON body: the string at position ${start} holds an unpaired surrogate escape, which is not Unicode text`);
      }
      if (expectKey && decoded !== undefined) {
        if (!keys.add(isObject.length, decoded)) throw new FlowdeskError('BAD_REQUEST', `Malformed JSON body: the key '${decoded.slice(0, 100)}' appears twice in one object`);
        if (decoded === '__proto__' || decoded === 'constructor') poisonKeys = true;
      }
      expectKey = false;
    } else if (c === 123 || c === 91) {
      isObject.push(c === 123);
      if (isObject.length > JSON_MAX_DEPTH) throw new FlowdeskError('INVALID_PARAMETER_VALUE', `JSON body nests deeper than ${JSON_MAX_DEPTH} levels`);
      if (c === 123) keys.open(isObject.length);
      expectKey = c === 123;
    } else if (c === 125 || c === 93) {
      isObject.pop();
      expectKey = false;
    } else if (c === 44) {
      expectKey = isObject.at(-1) === true;
    } else if (c === 78 || c === 73 || (c === 45 && text.charCodeAt(i + 1) === 73)) {
      const found = NON_FINITE_TOKENS.find(([token]) => text.startsWith(token, i));
      if (found) {
        nonFinite.push({ start: i, end: i + found[0].length, value: found[1] });
        i += found[0].length - 1;
      }
    }
  }
  return { nonFinite, poisonKeys };
}

/** A JSON string literal (quotes included) decoded, or undefined when malformed (the parser then says why). */
function decodeJsonString(literal: string): string | undefined {
  try {
    return JSON.parse(literal) as string;
  } catch {
    return undefined;
  }
}

const SECURE_PARSE = { protoAction: 'remove', constructorAction: 'remove' } as const;

/** Parses one JSON text after `scanJson`; bare non-finite tokens become numbers. */
function parseJsonText(text: string): unknown {
  const { nonFinite, poisonKeys } = scanJson(text);
  // secure-json-parse searches the whole text again for those keys; the scan already knows. It
  // also drops a leading byte-order mark, which JSON.parse refuses.
  if (nonFinite.length === 0) return poisonKeys || text.charCodeAt(0) === 0xfeff ? secureJson.parse(text, undefined, SECURE_PARSE) : JSON.parse(text);
  // Each token is swapped for a string no client can have sent (it holds a fresh random nonce),
  // then turned back into its number while parsing.
  const nonce = randomBytes(12).toString('hex');
  const values = new Map<string, number>();
  let swapped = '';
  let from = 0;
  nonFinite.forEach((token, n) => {
    const placeholder = `${nonce}:${n}`;
    values.set(placeholder, token.value);
    swapped += `${text.slice(from, token.start)}"${placeholder}"`;
    from = token.end;
  });
  swapped += text.slice(from);
  return secureJson.parse(swapped, (_key: string, value: unknown) => (typeof value === 'string' && values.has(value) ? values.get(value) : value), SECURE_PARSE);
}

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/** A body's text: ASCII (nearly every API body) is taken as is; anything else must be strict UTF-8. */
function bodyText(body: Uint8Array): string {
  // ASCII is valid UTF-8 holding no byte-order mark, and the native check and copy are far quicker than the decoder.
  if (isAscii(body)) return Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('latin1');
  try {
    return STRICT_UTF8.decode(body);
  } catch {
    throw new FlowdeskError('BAD_REQUEST', 'Malformed JSON body: it is not valid UTF-8');
  }
}

/**
 * Parses a JSON body: strict UTF-8 (a body that is not is refused, never patched with U+FFFD),
 * bounded depth, no duplicate keys or lone surrogates, no prototype poisoning, Python's bare
 * NaN/Infinity tokens read as numbers, and double-encoded bodies of old clients unwrapped.
 */
export function parseJsonBody(body: string | Uint8Array): unknown {
  const text = typeof body === 'string' ? body : bodyText(body);
  if (text.trim() === '') return {};
  try {
    const value = parseJsonText(text);
    return typeof value === 'string' ? parseJsonText(value) : value;
  } catch (err) {
    if (err instanceof FlowdeskError) throw err;
    throw new FlowdeskError('BAD_REQUEST', `Malformed JSON body: ${(err as Error).message}`);
  }
}

function errorCodeOf(err: FastifyErrorLike): { status: number; code: ErrorCode; message: string } | undefined {
  if (err instanceof FlowdeskError) return { status: HTTP_STATUS[err.code], code: err.code, message: err.message };
  const status = err.statusCode;
  if (typeof status !== 'number' || status < 400 || status >= 500) return undefined;
  if (status === 413) return { status, code: 'REQUEST_LIMIT_EXCEEDED', message: `Request body too large (limit ${JSON_BODY_LIMIT} bytes for JSON)` };
  if (status === 415) return { status, code: 'INVALID_PARAMETER_VALUE', message: `Unsupported content type: this route accepts application/json` };
  return { status, code: status === 404 ? 'ENDPOINT_NOT_FOUND' : 'BAD_REQUEST', message: err.message };
}

/**
 * Reads and drops the rest of a request body without keeping it, within `limits`; past them the
 * connection is cut. Never throws, now or later: by the time a timer fires the request may be
 * long finished and its socket gone or reused, so the socket is the one held now.
 */
export function discardBody(raw: IncomingMessage, limits: Pick<ServerLimits, 'discardTimeoutMs' | 'discardBytes'> = DEFAULT_LIMITS): void {
  const socket = raw.socket as IncomingMessage['socket'] | null;
  if (raw.complete || raw.destroyed || !socket || socket.destroyed) return;
  let seen = 0;
  const cut = () => {
    clearTimeout(timer);
    if (!raw.complete) socket.destroy();
  };
  const timer = setTimeout(cut, limits.discardTimeoutMs).unref();
  const done = () => clearTimeout(timer);
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

interface FastifyErrorLike extends Error {
  statusCode?: number;
}

/** Sends an error in MLflow's JSON shape, which every client of this server understands. */
export function sendError(reply: FastifyReply, status: number, code: ErrorCode, message: string): FastifyReply {
  // Also for errors raised before any hook ran (a URL the router cannot decode).
  reply.header('x-content-type-options', 'nosniff');
  return reply.code(status).type('application/json').send(jsonStringify({ error_code: code, message }));
}

/** Builds the Fastify app with every route; `startServer` binds it. */
export async function buildServer(options: ServerOptions): Promise<FastifyInstance> {
  const host = options.host ?? '127.0.0.1';
  if (!isLoopback(host) && !options.token && !(await hasUsers(options.flowdesk.catalog.db))) {
    throw new FlowdeskError('INVALID_PARAMETER_VALUE', `Listening on ${host} exposes Flowdesk beyond this machine: add users (flowdesk users add) or set a token (--token or FLOWDESK_TOKEN)`);
  }
  const log = options.log ?? ((message: string, err?: unknown) => console.error(message, err));
  const limits: ServerLimits = { ...DEFAULT_LIMITS, ...options.limits };
  const app = Fastify({
    bodyLimit: JSON_BODY_LIMIT,
    logger: false,
    http: { headersTimeout: limits.headersTimeoutMs, connectionsCheckingInterval: limits.connectionsCheckIntervalMs },
    requestTimeout: 0,
    connectionTimeout: limits.idleTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    forceCloseConnections: true,
    return503OnClosing: false,
    // A URL the router cannot decode (a malformed or non-UTF-8 escape, as in a hostile artifact
    // path) is answered in MLflow's error shape too, not Fastify's own.
    frameworkErrors: (err, _request, reply) => sendError(reply, err.statusCode ?? 400, 'BAD_REQUEST', err.message),
  });

  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) => {
    try {
      done(null, parseJsonBody(body as Buffer));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
  app.setReplySerializer((payload) => jsonStringify(payload));

  app.setErrorHandler((err: FastifyErrorLike, request: FastifyRequest, reply: FastifyReply) => {
    const mapped = errorCodeOf(err);
    if (!request.raw.complete) {
      // A refused body (over a limit, or a request refused before its body was read): Fastify
      // would close the connection, and the client, still sending, would get a reset instead of
      // the answer (MLflow clients retry resets). Read the rest away within bounds instead.
      reply.removeHeader('connection');
      discardBody(request.raw, limits);
    }
    if (mapped) return sendError(reply, mapped.status, mapped.code, mapped.message);
    log('Internal error while serving a request', err);
    return sendError(reply, 500, 'INTERNAL_ERROR', 'Internal error; the details are in the Flowdesk log');
  });
  app.setNotFoundHandler((request, reply) => {
    if (!request.raw.complete) discardBody(request.raw, limits);
    return sendError(reply, 404, 'ENDPOINT_NOT_FOUND', `No API endpoint at ${request.method} ${request.url.split('?')[0]}`);
  });

  // Before any route or refusal can answer: no response of this server is ever content-sniffed.
  app.addHook('onRequest', async (_request, reply) => void reply.header('x-content-type-options', 'nosniff'));
  installBodyRate(app, limits, (reply, message) => {
    reply.header('connection', 'close');
    sendError(reply, 408, 'REQUEST_LIMIT_EXCEEDED', message);
  });
  installManners(app, { host });
  installAuth(app, {
    db: options.flowdesk.catalog.db,
    ownerToken: options.token,
    loopback: isLoopback(host),
    ticketSecret: options.ticketSecret ?? dataFolderTicketSecret(options.flowdesk.dataDir),
    events: options.flowdesk.events,
    recheckMs: options.accessRecheckMs,
    log,
  });

  const context: ServerContext = { flowdesk: options.flowdesk, version: options.version, reportInternal: (err) => log('Internal error', err), limits };
  // One line per store this process depends on; a load balancer takes it out of rotation when one fails.
  registerHealthRoute(app, [
    { name: 'catalog', run: async () => void (await sql`select 1`.execute(options.flowdesk.catalog.db)) },
    { name: 'artifacts', run: options.flowdesk.checkArtifacts },
  ]);
  app.get('/version', async (_request, reply) => reply.type('text/plain').send(options.version));
  await registerContractRoutes(app, context);
  await registerMlflowRoutes(app, context);
  registerLoggedModelRoutes(app, context);
  registerMlflowRegistryRoutes(app, context);
  await registerMlflowTraceRoutes(app, context);
  await app.register(async (scope) => registerArtifactRoutes(scope, context));
  registerUiRoutes(app);
  return app;
}

/**
 * Writes `server.json` (port, pid) atomically and private (0600), so a reader never sees half a
 * file. Only the process holding the data folder's lock gets here (openFlowdesk), so it never
 * replaces another live server's file.
 */
function writeServerJson(dataDir: string, info: { host: string; port: number; pid: number; url: string; version: string }): string {
  const path = join(dataDir, 'server.json');
  const staging = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  const fd = openSync(staging, 'wx', 0o600);
  try {
    writeSync(fd, JSON.stringify(info, null, 2));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(staging, path);
  return path;
}

/** Removes `server.json` if it still announces this server (a later server of the same process may have replaced it). */
function removeServerJson(path: string, url: string): void {
  try {
    const info = JSON.parse(readFileSync(path, 'utf8')) as { pid?: unknown; url?: unknown };
    if (info.pid !== process.pid || info.url !== url) return;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    // An unreadable file is nobody's announcement: removing it is right.
  }
  rmSync(path, { force: true });
}

/** Binds the server; a taken port is reported plainly. Writes server.json once bound. */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const host = options.host ?? '127.0.0.1';
  const app = await buildServer(options);
  try {
    await app.listen({ host, port: options.port ?? 5000 });
  } catch (err) {
    await app.close();
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') {
      throw new FlowdeskError('INVALID_STATE', `Port ${options.port} on ${host} is already in use; choose another with --port (or --port 0 for any free port)`);
    }
    if (code === 'EACCES') throw new FlowdeskError('PERMISSION_DENIED', `Not allowed to listen on ${host}:${options.port}`);
    throw err;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : (options.port ?? 5000);
  const urlHost = host.includes(':') ? `[${host}]` : host;
  const url = `http://${urlHost}:${port}`;
  const serverJson = writeServerJson(options.flowdesk.dataDir, { host, port, pid: process.pid, url, version: options.version });
  options.flowdesk.projects.useServer({ url, token: options.token, exposed: !isLoopback(host) });
  return {
    app,
    host,
    port,
    url,
    async close() {
      options.flowdesk.projects.useServer(undefined);
      await app.close();
      removeServerJson(serverJson, url);
    },
  };
}
