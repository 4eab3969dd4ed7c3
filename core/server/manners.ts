/**
 * What the localhost server refuses before it reads a body: foreign Host headers (DNS
 * rebinding), cross-origin browser requests and preflights (a web page must never drive it),
 * and, where a token is set, requests without it.
 */
import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { FlowdeskError } from '#core/api/errors.ts';

export interface MannersOptions {
  /** The address the server listens on; a non-loopback one is also an acceptable Host name. */
  host: string;
  /** A bearer token; required on every request when set. */
  token?: string;
}

const LOOPBACK_NAMES = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

export function isLoopback(host: string): boolean {
  return LOOPBACK_NAMES.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** The host name of a Host header or an origin's authority, without the port. */
function hostnameOf(authority: string): string {
  if (authority.startsWith('[')) return authority.slice(0, authority.indexOf(']') + 1).toLowerCase();
  return authority.replace(/:\d*$/, '').toLowerCase();
}

function tokenMatches(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The token a request carries: `Bearer <t>` (MLFLOW_TRACKING_TOKEN) or Basic with the token as password. */
function presentedToken(request: FastifyRequest): string | undefined {
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

export function installManners(app: FastifyInstance, options: MannersOptions): void {
  const allowedHosts = new Set([...LOOPBACK_NAMES, hostnameOf(options.host)]);

  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const host = request.headers.host;
    if (!host || !allowedHosts.has(hostnameOf(host))) {
      throw new FlowdeskError('PERMISSION_DENIED', `Refused: Host '${host ?? ''}' is not this server (DNS rebinding protection)`);
    }
    if (request.method === 'OPTIONS') {
      throw new FlowdeskError('PERMISSION_DENIED', 'Refused: cross-origin requests are not served');
    }
    const origin = request.headers.origin;
    if (origin !== undefined) {
      let originHost = '';
      try {
        const url = new URL(origin);
        originHost = url.host;
      } catch {
        // an unparseable Origin is refused below
      }
      if (originHost.toLowerCase() !== host.toLowerCase()) {
        throw new FlowdeskError('PERMISSION_DENIED', `Refused: requests from origin '${origin}' are not served`);
      }
    }
    const site = request.headers['sec-fetch-site'];
    if (site !== undefined && site !== 'same-origin' && site !== 'none') {
      throw new FlowdeskError('PERMISSION_DENIED', `Refused: ${site} browser requests are not served`);
    }
    if (options.token !== undefined) {
      const given = presentedToken(request);
      if (given === undefined || !tokenMatches(given, options.token)) {
        reply.header('www-authenticate', 'Bearer');
        throw new FlowdeskError('UNAUTHENTICATED', 'A valid token is required (set MLFLOW_TRACKING_TOKEN or FLOWDESK_TOKEN)');
      }
    }
  });
}
