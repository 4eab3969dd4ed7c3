/**
 * GET /health: whether this process can serve, for load balancers and monitoring. Each store
 * has a named check; the answer lists them all and is 503 when any fails, so a balancer takes
 * a process whose database went away out of rotation while the others keep serving.
 */
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import type { Flowdesk } from '#core/flowdesk.ts';
import type { ServerContext } from './server.ts';

/** A check slower than this counts as failed: a balancer's probe must not hang on a stuck store. */
const CHECK_TIMEOUT_MS = 5000;

interface HealthCheck {
  name: string;
  run(): Promise<unknown>;
}

/** The checks; a new store adds one line here. */
function healthChecks(flowdesk: Flowdesk): HealthCheck[] {
  return [{ name: 'catalog', run: () => sql`select 1`.execute(flowdesk.catalog.db) }];
}

async function runCheck(check: HealthCheck): Promise<{ name: string; ok: boolean; ms: number; error?: string }> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      check.run(),
      new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS))),
    ]);
    return { name: check.name, ok: true, ms: Math.round(performance.now() - started) };
  } catch (err) {
    return { name: check.name, ok: false, ms: Math.round(performance.now() - started), error: (err as Error).message };
  } finally {
    clearTimeout(timer);
  }
}

export function registerHealthRoute(app: FastifyInstance, context: ServerContext): void {
  app.get('/health', async (_request, reply) => {
    const checks = await Promise.all(healthChecks(context.flowdesk).map(runCheck));
    const ok = checks.every((c) => c.ok);
    return reply.code(ok ? 200 : 503).send({ status: ok ? 'ok' : 'unhealthy', version: context.version, checks });
  });
}
