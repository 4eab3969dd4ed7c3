/**
 * Flowdesk's own API over HTTP: every contract method at `POST /api/flowdesk/v1/call/<method>`,
 * and push events as Server-Sent Events at `GET /api/flowdesk/v1/events`.
 */
import type { FastifyInstance } from 'fastify';
import { dispatch } from '#core/api/dispatch.ts';
import { HTTP_STATUS } from '#core/api/errors.ts';
import type { FlowdeskEvent } from '#core/api/events.ts';
import { jsonStringify } from '#core/platform/wire-json.ts';
import { callerOf } from './auth.ts';
import { NOT_A_PAGE_HEADERS, sendError } from '#core/platform/http-body.ts';
import type { ServerContext } from './server-context.ts';

export const CONTRACT_PREFIX = '/api/flowdesk/v1';

/** How often an idle event stream gets a comment line, so proxies and clients see it is alive. */
const HEARTBEAT_MS = 15_000;

export async function registerContractRoutes(app: FastifyInstance, context: ServerContext): Promise<void> {
  app.post<{ Params: { method: string } }>(`${CONTRACT_PREFIX}/call/:method`, async (request, reply) => {
    const result = await dispatch(context.flowdesk.handlers, request.params.method, request.body ?? {}, callerOf(request), context.reportInternal);
    if (result.ok) return reply.type('application/json').send(jsonStringify(result.value));
    return sendError(reply, HTTP_STATUS[result.error.code], result.error.code, result.error.message);
  });

  app.get(`${CONTRACT_PREFIX}/events`, (request, reply) => {
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      ...NOT_A_PAGE_HEADERS,
    });
    res.write(': connected\n\n');
    const send = (event: FlowdeskEvent) => {
      // Who was revoked is the servers' business (auth.ts), not every reader's.
      if (event.type !== 'user.revoked') res.write(`event: ${event.type}\ndata: ${jsonStringify(event)}\n\n`);
    };
    const unsubscribe = context.flowdesk.events.subscribe(send);
    const heartbeat = setInterval(() => res.write(': heartbeat\n\n'), HEARTBEAT_MS);
    const stop = () => {
      clearInterval(heartbeat);
      unsubscribe();
    };
    request.raw.on('close', stop);
    res.on('error', stop);
  });
}
