/**
 * The localhost HTTP server (Fastify): the MLflow REST API for unmodified MLflow clients, the
 * artifact proxy, and Flowdesk's own contract with live events for the browser UI and the
 * TypeScript client. Every route is a translation onto the contract, not a second engine.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { sql } from 'kysely';
import secureJson from 'secure-json-parse';
import { FlowdeskError, HTTP_STATUS, type ErrorCode } from '#core/api/errors.ts';
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
import { registerUiRoutes } from './ui-routes.ts';
import { registerHealthRoute } from './health.ts';
import { jsonStringify } from './json.ts';

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
}

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

/** Shared by the route modules. */
export interface ServerContext {
  flowdesk: Flowdesk;
  version: string;
  reportInternal: (err: unknown) => void;
}

function depthExceeds(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++; // backslash: skip the escaped character
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 || c === 91) {
      if (++depth > max) return true;
    } else if (c === 125 || c === 93) depth--;
  }
  return false;
}

/** Parses a JSON body: bounded depth, no prototype poisoning, and double-encoded bodies of old clients unwrapped. */
export function parseJsonBody(text: string): unknown {
  if (text.trim() === '') return {};
  if (depthExceeds(text, JSON_MAX_DEPTH)) {
    throw new FlowdeskError('INVALID_PARAMETER_VALUE', `JSON body nests deeper than ${JSON_MAX_DEPTH} levels`);
  }
  let value: unknown;
  try {
    value = secureJson.parse(text, undefined, { protoAction: 'remove', constructorAction: 'remove' });
    if (typeof value === 'string') value = secureJson.parse(value, undefined, { protoAction: 'remove', constructorAction: 'remove' });
  } catch (err) {
    throw new FlowdeskError('BAD_REQUEST', `Malformed JSON body: ${(err as Error).message}`);
  }
  return value;
}

function errorCodeOf(err: FastifyErrorLike): { status: number; code: ErrorCode; message: string } | undefined {
  if (err instanceof FlowdeskError) return { status: HTTP_STATUS[err.code], code: err.code, message: err.message };
  const status = err.statusCode;
  if (typeof status !== 'number' || status < 400 || status >= 500) return undefined;
  if (status === 413) return { status, code: 'REQUEST_LIMIT_EXCEEDED', message: `Request body too large (limit ${JSON_BODY_LIMIT} bytes for JSON)` };
  if (status === 415) return { status, code: 'INVALID_PARAMETER_VALUE', message: `Unsupported content type: this route accepts application/json` };
  return { status, code: status === 404 ? 'ENDPOINT_NOT_FOUND' : 'BAD_REQUEST', message: err.message };
}

/** How much of a refused body is read and dropped, and for how long, before the socket is cut. */
const DISCARD_LIMIT_BYTES = 1024 * 1024 * 1024;
const DISCARD_LIMIT_MS = 30_000;

/** Reads and drops the rest of a request body without keeping it, within the limits above. */
export function discardBody(raw: IncomingMessage): void {
  let seen = 0;
  const cut = () => raw.socket.destroy();
  const timer = setTimeout(cut, DISCARD_LIMIT_MS).unref();
  raw.on('data', (chunk: Buffer) => {
    seen += chunk.length;
    if (seen > DISCARD_LIMIT_BYTES) cut();
  });
  raw.on('end', () => clearTimeout(timer));
  raw.on('close', () => clearTimeout(timer));
  raw.resume();
}

interface FastifyErrorLike extends Error {
  statusCode?: number;
}

/** Sends an error in MLflow's JSON shape, which every client of this server understands. */
export function sendError(reply: FastifyReply, status: number, code: ErrorCode, message: string): FastifyReply {
  return reply.code(status).type('application/json').send(jsonStringify({ error_code: code, message }));
}

/** Builds the Fastify app with every route; `startServer` binds it. */
export async function buildServer(options: ServerOptions): Promise<FastifyInstance> {
  const host = options.host ?? '127.0.0.1';
  if (!isLoopback(host) && !options.token && !(await hasUsers(options.flowdesk.catalog.db))) {
    throw new FlowdeskError('INVALID_PARAMETER_VALUE', `Listening on ${host} exposes Flowdesk beyond this machine: add users (flowdesk users add) or set a token (--token or FLOWDESK_TOKEN)`);
  }
  const log = options.log ?? ((message: string, err?: unknown) => console.error(message, err));
  const app = Fastify({
    bodyLimit: JSON_BODY_LIMIT,
    logger: false,
    forceCloseConnections: true,
    return503OnClosing: false,
    // A URL the router cannot decode (a malformed or non-UTF-8 escape, as in a hostile artifact
    // path) is answered in MLflow's error shape too, not Fastify's own.
    frameworkErrors: (err, _request, reply) => sendError(reply, err.statusCode ?? 400, 'BAD_REQUEST', err.message),
  });

  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, parseJsonBody(body as string));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
  app.setReplySerializer((payload) => jsonStringify(payload));

  app.setErrorHandler((err: FastifyErrorLike, request: FastifyRequest, reply: FastifyReply) => {
    const mapped = errorCodeOf(err);
    if (mapped?.status === 413) {
      // Fastify closes the connection on a refused body; the client, still sending, then gets
      // a reset instead of the 413 (and MLflow clients retry resets). Read the rest away instead.
      reply.removeHeader('connection');
      discardBody(request.raw);
    }
    if (mapped) return sendError(reply, mapped.status, mapped.code, mapped.message);
    log('Internal error while serving a request', err);
    return sendError(reply, 500, 'INTERNAL_ERROR', 'Internal error; the details are in the Flowdesk log');
  });
  app.setNotFoundHandler((request, reply) =>
    sendError(reply, 404, 'ENDPOINT_NOT_FOUND', `No API endpoint at ${request.method} ${request.url.split('?')[0]}`),
  );

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

  const context: ServerContext = { flowdesk: options.flowdesk, version: options.version, reportInternal: (err) => log('Internal error', err) };
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
