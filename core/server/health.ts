/**
 * GET /health: a list of named checks of the stores this server depends on. 200 when every
 * check passes, 503 when one fails, so a load balancer takes an unhealthy process out of
 * rotation. Each check has a deadline: a store that hangs makes the process unhealthy, not the
 * probe stuck.
 */
import type { FastifyInstance } from 'fastify';

export interface HealthCheck {
  name: string;
  /** Resolves when healthy; rejects with the reason when not. */
  run: () => Promise<void>;
}

export interface HealthResult {
  name: string;
  ok: boolean;
  /** Why the check failed. */
  error?: string;
}

/** How long one check may take before it counts as failed. */
const CHECK_TIMEOUT_MS = 5_000;

async function runCheck(check: HealthCheck): Promise<HealthResult> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS / 1000} s`)), CHECK_TIMEOUT_MS);
  });
  try {
    await Promise.race([check.run(), deadline]);
    return { name: check.name, ok: true };
  } catch (err) {
    return { name: check.name, ok: false, error: err instanceof Error ? err.message : String(err) };
  } finally {
    clearTimeout(timer);
  }
}

export function registerHealthRoute(app: FastifyInstance, checks: HealthCheck[]): void {
  app.get('/health', async (_request, reply) => {
    const results = await Promise.all(checks.map(runCheck));
    const ok = results.every((r) => r.ok);
    return reply.code(ok ? 200 : 503).send({ status: ok ? 'OK' : 'UNHEALTHY', checks: results });
  });
}
