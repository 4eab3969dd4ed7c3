/**
 * Bearer tokens as the engine's HTTP servers read them: the token a request carries (Bearer, or
 * Basic with the token as the password, as MLflow clients send it), compared in constant time,
 * and a single shared token for servers with no users of their own (a model's scoring server).
 * Users, roles and tickets are the localhost server's own concern (core/server/auth.ts).
 */
import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { FlowdeskError } from '#core/api/errors.ts';

/** The token a request carries: `Bearer <t>` or Basic with the token as the password. */
export function presentedToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (!header) return undefined;
  const [scheme, value = ''] = header.split(' ', 2);
  if (scheme?.toLowerCase() === 'bearer') return value.trim();
  if (scheme?.toLowerCase() === 'basic') {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    return decoded.slice(decoded.indexOf(':') + 1);
  }
  return undefined;
}

/** Whether two texts are equal, in time that does not depend on where they differ. */
export function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** An UNAUTHENTICATED error, with the header that tells the client a Bearer token is wanted. */
export function unauthenticated(reply: FastifyReply, message: string): FlowdeskError {
  reply.header('www-authenticate', 'Bearer realm="flowdesk"');
  return new FlowdeskError('UNAUTHENTICATED', message);
}

/**
 * A single shared token on every request, for servers with no users of their own (a model's
 * scoring server): Bearer, or Basic with the token as the password, as MLflow clients send it.
 */
export function installSharedToken(app: FastifyInstance, token: string): void {
  app.addHook('onRequest', async (request, reply) => {
    const given = presentedToken(request);
    if (given === undefined || !sameText(given, token)) throw unauthenticated(reply, 'A valid token is required (set MLFLOW_TRACKING_TOKEN or FLOWDESK_TOKEN)');
  });
}
