/**
 * A model's scoring server, speaking MLflow's protocol: POST /invocations (JSON with
 * `dataframe_split`, `dataframe_records`, `instances` or `inputs`, optional `params`; or CSV)
 * answers `{"predictions": ...}`; GET /ping and /health answer 200 once the model is loaded;
 * /version names the server. Errors are MLflow's `{"error_code", "message"}` with a 4xx for
 * anything the request got wrong, and the server keeps serving after them.
 */
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { FlowdeskError, HTTP_STATUS } from '#core/api/errors.ts';
import { installManners, isLoopback } from '#core/platform/http-manners.ts';
import { installSharedToken } from '#core/platform/http-token.ts';
import { discardBody, sendError } from '#core/platform/http-body.ts';
import { NO_SCHEMA_COMPILERS } from '#core/platform/no-schema-compilers.ts';
import { parseJsonBody } from '#core/platform/wire-json.ts';
import { jsonStringify } from '#core/platform/wire-json.ts';
import type { Predictor } from './onnx-predictor.ts';
import { parseScoringCsv, parseScoringJson } from './scoring-input.ts';

/** Largest request body scored; MLflow's scoring server has no limit, a laptop needs one. */
export const SCORING_BODY_LIMIT = 32 * 1024 * 1024;

export interface ScoringServerOptions {
  predictor: Predictor;
  /** What /version answers. */
  version: string;
  /** Default 127.0.0.1; any other address requires a token. */
  host?: string;
  /** Default 5000 as `mlflow models serve`; 0 picks a free port. */
  port?: number;
  token?: string;
  bodyLimit?: number;
  log?: (message: string, err?: unknown) => void;
}

export interface RunningScoringServer {
  readonly app: FastifyInstance;
  readonly host: string;
  readonly port: number;
  readonly url: string;
  close(): Promise<void>;
}

const CONTENT_TYPES = ['application/json', 'text/csv'];

interface FastifyErrorLike extends Error {
  statusCode?: number;
}

/** Builds the scoring app (not listening). */
export function buildScoringServer(options: ScoringServerOptions): FastifyInstance {
  const host = options.host ?? '127.0.0.1';
  if (!isLoopback(host) && !options.token) {
    throw new FlowdeskError('INVALID_PARAMETER_VALUE', `Serving on ${host} exposes the model beyond this machine: set a token (--token or FLOWDESK_TOKEN)`);
  }
  const bodyLimit = options.bodyLimit ?? SCORING_BODY_LIMIT;
  const log = options.log ?? ((message: string, err?: unknown) => console.error(message, err));
  const app = Fastify({ bodyLimit, logger: false, forceCloseConnections: true, return503OnClosing: false, schemaController: NO_SCHEMA_COMPILERS });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, parseScoringJson(parseJsonBody(body as string)));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
  app.addContentTypeParser('text/csv', { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, parseScoringCsv(body as string));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
  app.setReplySerializer((payload) => jsonStringify(payload));
  app.setErrorHandler((err: FastifyErrorLike, request: FastifyRequest, reply: FastifyReply) => {
    if (err instanceof FlowdeskError) return sendError(reply, HTTP_STATUS[err.code], err.code, err.message);
    const status = err.statusCode;
    if (status === 413) {
      // Read the rest of the body away so the client sees the 413 rather than a reset.
      reply.removeHeader('connection');
      discardBody(request.raw);
      return sendError(reply, 413, 'REQUEST_LIMIT_EXCEEDED', `Request body too large: the limit is ${bodyLimit} bytes; send fewer rows per request`);
    }
    if (status === 415) {
      return sendError(reply, 415, 'BAD_REQUEST', `This predictor only supports the content types ${CONTENT_TYPES.join(' and ')}; got '${request.headers['content-type'] ?? 'none'}'`);
    }
    if (typeof status === 'number' && status >= 400 && status < 500) return sendError(reply, status, 'BAD_REQUEST', err.message);
    log('Internal error while scoring', err);
    return sendError(reply, 500, 'INTERNAL_ERROR', 'Internal error while scoring; the details are in the Flowdesk log');
  });
  app.setNotFoundHandler((request, reply) => sendError(reply, 404, 'ENDPOINT_NOT_FOUND', `No endpoint at ${request.method} ${request.url.split('?')[0]}: POST /invocations scores`));
  installManners(app, { host });
  if (options.token !== undefined) installSharedToken(app, options.token);

  const ok = async (_request: FastifyRequest, reply: FastifyReply) => reply.type('text/plain').send('\n');
  app.get('/ping', ok);
  app.get('/health', ok);
  app.get('/version', async (_request, reply) => reply.type('text/plain').send(options.version));
  app.post('/invocations', async (request) => {
    if (request.body === undefined || request.body === null) {
      throw new FlowdeskError('BAD_REQUEST', `Send a body of type ${CONTENT_TYPES.join(' or ')}`);
    }
    return { predictions: await options.predictor.predict(request.body as Parameters<Predictor['predict']>[0]) };
  });
  return app;
}

/** Starts a scoring server; a taken port is reported plainly. */
export async function startScoringServer(options: ScoringServerOptions): Promise<RunningScoringServer> {
  const host = options.host ?? '127.0.0.1';
  const app = buildScoringServer(options);
  try {
    await app.listen({ host, port: options.port ?? 5000 });
  } catch (err) {
    await app.close();
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new FlowdeskError('INVALID_STATE', `Port ${options.port} on ${host} is already in use; choose another with --port (or --port 0 for any free port)`);
    }
    throw err;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : (options.port ?? 5000);
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  return { app, host, port, url, close: () => app.close() };
}
