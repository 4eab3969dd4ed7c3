/**
 * What the localhost server refuses before it reads a body: foreign Host headers (DNS
 * rebinding), and cross-origin browser requests and preflights (a web page must never drive it).
 * Tokens and roles are auth.ts's concern.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { FlowdeskError } from '#core/api/errors.ts';

export interface MannersOptions {
  /** The address the server listens on; a non-loopback one is also an acceptable Host name. */
  host: string;
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

export function installManners(app: FastifyInstance, options: MannersOptions): void {
  const allowedHosts = new Set([...LOOPBACK_NAMES, hostnameOf(options.host)]);

  // Beyond loopback every request needs a token (auth.ts), which a rebinding page does not have,
  // and a team server is reached by names this process cannot know: its Host is not checked.
  const checkHost = isLoopback(options.host);
  app.addHook('onRequest', async (request: FastifyRequest) => {
    const host = request.headers.host ?? '';
    if (checkHost && !allowedHosts.has(hostnameOf(host))) {
      throw new FlowdeskError('PERMISSION_DENIED', `Refused: Host '${host}' is not this server (DNS rebinding protection)`);
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
  });
}
