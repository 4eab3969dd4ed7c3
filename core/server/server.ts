/**
 * The localhost HTTP server (Fastify): the MLflow REST API for unmodified MLflow clients, the
 * artifact proxy, and Flowdesk's own contract with live events for the browser UI and the
 * TypeScript client. Every route is a translation onto the contract, not a second engine.
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { FlowdeskError, HTTP_STATUS, type ErrorCode } from '#core/api/errors.ts';
import type { Settings } from '#core/api/settings-contract.ts';
import type { Flowdesk } from '#core/flowdesk.ts';
import { writeFileAtomic } from '#core/platform/atomic-write.ts';
import { discardBody, JSON_BODY_LIMIT, NOT_A_PAGE_HEADERS, sendError } from '#core/platform/http-body.ts';
import { installManners, isLoopback } from '#core/platform/http-manners.ts';
import { logToConsole, type Log } from '#core/platform/logger.ts';
import { NO_SCHEMA_COMPILERS } from '#core/platform/no-schema-compilers.ts';
import { jsonStringify, parseJsonBody } from '#core/platform/wire-json.ts';
import { DEFAULT_LIMITS, type ServerContext, type ServerLimits } from './server-context.ts';
import { installAuth } from './auth.ts';
import { dataFolderTicketSecret } from './ticket-secret.ts';
import { registerContractRoutes } from './contract-routes.ts';
import { registerMlflowRoutes } from './mlflow-routes.ts';
import { registerArtifactRoutes } from './artifact-routes.ts';
import { registerLoggedModelRoutes } from './mlflow-logged-models.ts';
import { registerMlflowRegistryRoutes } from './mlflow-registry-routes.ts';
import { registerMlflowTraceRoutes } from './mlflow-trace-routes.ts';
import { registerUiRoutes } from './ui-routes.ts';
import { registerHealthRoute } from './health.ts';
import { installBodyRate } from './body-rate.ts';

/** How a starter checks the shared ticket secret it passes as `ticketSecret`, and where it is read from. */
export { sharedTicketSecret, TICKET_SECRET_ENV } from './ticket-secret.ts';

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
  log?: Log;
  /** Signs the window's tickets; by default the data folder's own secret (ticket-secret.ts). */
  ticketSecret?: string;
  /** How often the tokens behind open streams are looked up again (auth.ts ACCESS_RECHECK_MS). */
  accessRecheckMs?: number;
  /** Timeouts and size limits; each absent one has its default (`DEFAULT_LIMITS`). */
  limits?: Partial<ServerLimits>;
}

export interface RunningServer {
  readonly app: FastifyInstance;
  readonly host: string;
  readonly port: number;
  readonly url: string;
  close(): Promise<void>;
}

/** One route the server answers: its method and its URL pattern, as registered. */
export interface ServerRoute {
  method: string;
  url: string;
}

const ROUTES = new WeakMap<FastifyInstance, ServerRoute[]>();

/**
 * Every route a server built by `buildServer` answers, HEAD routes included, in the order they
 * were registered: what the route walks check (each write route refuses a reader, each route
 * survives a body over its limit). Fastify's printRoutes is no substitute: its tree leaves some
 * routes out (the multipart ones, with Fastify 5.12).
 */
export function serverRoutes(app: FastifyInstance): readonly ServerRoute[] {
  return ROUTES.get(app) ?? [];
}

/** The upload limits a settings file names; absent ones keep their defaults. */
export function uploadLimits(settings: Pick<Settings, 'maxUploadBytes' | 'freeSpaceReserveBytes'>): Partial<ServerLimits> {
  const limits: Partial<ServerLimits> = {};
  if (settings.maxUploadBytes !== undefined) limits.maxUploadBytes = settings.maxUploadBytes;
  if (settings.freeSpaceReserveBytes !== undefined) limits.freeSpaceReserveBytes = settings.freeSpaceReserveBytes;
  return limits;
}

function errorCodeOf(err: FastifyErrorLike): { status: number; code: ErrorCode; message: string } | undefined {
  if (err instanceof FlowdeskError) return { status: HTTP_STATUS[err.code], code: err.code, message: err.message };
  const status = err.statusCode;
  if (typeof status !== 'number' || status < 400 || status >= 500) return undefined;
  if (status === 413) return { status, code: 'REQUEST_LIMIT_EXCEEDED', message: `Request body too large (limit ${JSON_BODY_LIMIT} bytes for JSON)` };
  if (status === 415) return { status, code: 'INVALID_PARAMETER_VALUE', message: `Unsupported content type: this route accepts application/json` };
  return { status, code: status === 404 ? 'ENDPOINT_NOT_FOUND' : 'BAD_REQUEST', message: err.message };
}

interface FastifyErrorLike extends Error {
  statusCode?: number;
}

/** Builds the Fastify app with every route; `startServer` binds it. */
export async function buildServer(options: ServerOptions): Promise<FastifyInstance> {
  const host = options.host ?? '127.0.0.1';
  if (!isLoopback(host) && !options.token && !(await options.flowdesk.tokens.hasUsers())) {
    throw new FlowdeskError('INVALID_PARAMETER_VALUE', `Listening on ${host} exposes Flowdesk beyond this machine: add users (flowdesk users add) or set a token (--token or FLOWDESK_TOKEN)`);
  }
  const log = options.log ?? logToConsole;
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
    schemaController: NO_SCHEMA_COMPILERS,
    // A URL the router cannot decode (a malformed or non-UTF-8 escape, as in a hostile artifact
    // path) is answered in MLflow's error shape too, not Fastify's own.
    frameworkErrors: (err, _request, reply) => sendError(reply, err.statusCode ?? 400, 'BAD_REQUEST', err.message),
  });

  const routes: ServerRoute[] = [];
  ROUTES.set(app, routes);
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) routes.push({ method, url: route.url });
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

  // Before any route or refusal can answer: no response of this server is ever content-sniffed or
  // runs anything as a page, unless a route (the window, a download) sets a CSP of its own.
  app.addHook('onRequest', async (_request, reply) => void reply.headers(NOT_A_PAGE_HEADERS));
  installBodyRate(app, limits, (reply, message) => {
    reply.header('connection', 'close');
    sendError(reply, 408, 'REQUEST_LIMIT_EXCEEDED', message);
  });
  installManners(app, { host });
  installAuth(app, {
    tokens: options.flowdesk.tokens,
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
    { name: 'catalog', run: options.flowdesk.checkCatalog },
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
  writeFileAtomic(path, JSON.stringify(info, null, 2), 0o600);
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
