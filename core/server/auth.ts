/**
 * Who is asking. A server on loopback with no users is open, as on a laptop. Once
 * it listens beyond loopback, has an owner token (`--token`) or has users, every request carries
 * a token: `Authorization: Bearer <token>` (MLFLOW_TRACKING_TOKEN) or Basic with the token as the
 * password (MLFLOW_TRACKING_USERNAME/PASSWORD). Only the window's static files and `/health`
 * answer without one: the page must load to show its sign-in, and a load balancer probes health.
 *
 * This module only says who is asking; what they may do is declared on the contract methods and
 * checked by `dispatch` (core/api/access.ts). Each request gets a caller: the owner on an open
 * loopback server or with the owner token, else the user its token names; `team` when the server
 * listens beyond loopback or has users. Routes hand `callerOf(request)` to `dispatch` (the MLflow
 * routes through mlflow-support.ts's `callContract`); routes that stream artifacts without a
 * contract method check their declared access (STORE_ACCESS) with `callerOf`.
 *
 * EventSource and `<img src>` cannot send headers, so the window trades its token for a ticket:
 * `<tokenId>.<expiry>.<HMAC>`, good for a few minutes, read-only, accepted as `?ticket=` on GET.
 * The HMAC key is derived from the server's ticket secret (ticket-secret.ts, never in the
 * catalog, so reading the catalog is not enough to forge one) and the token's hash (so a ticket
 * dies with its token); every use looks the token up again, so revoking the user voids them.
 *
 * A revoke ends access at once: requests of a user still in flight (an open event stream, a long
 * download) are cut when a `user.revoked` event arrives (revokeUser sends it; on PostgreSQL it
 * crosses processes by NOTIFY) and, as a backstop for a revoke nobody announced, when a periodic
 * look-up finds their token no longer valid.
 */
import { createHmac } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AccessRole, Principal as Caller } from '#core/api/access.ts';
import { FlowdeskError } from '#core/api/errors.ts';
import type { EventBus } from '#core/api/events.ts';
import type { Flowdesk } from '#core/flowdesk.ts';
import { presentedToken, sameText, unauthenticated } from '#core/platform/http-token.ts';

/** Who a token or ticket names. */
export interface Principal {
  /** The user's name; absent for the owner token, whose callers name themselves as before. */
  name?: string;
  /** `owner` for the owner token. */
  role: AccessRole;
  tokenId: string;
}

export interface AuthOptions {
  /** The catalog's users and tokens, as the composition root hands them out. */
  tokens: Flowdesk['tokens'];
  /** The owner token (`--token`): full rights, no name. */
  ownerToken?: string;
  /** Whether the server listens on loopback only. */
  loopback: boolean;
  /** Signs tickets (ticket-secret.ts); never stored in the catalog. */
  ticketSecret: string;
  /** Where `user.revoked` arrives, from this process or (on PostgreSQL) from others. */
  events: EventBus;
  /** How often the tokens of requests still in flight are looked up again (default ACCESS_RECHECK_MS). */
  recheckMs?: number;
  /** Where a failed look-up is reported. */
  log: (message: string, err?: unknown) => void;
  now?: () => number;
}

export const AUTH_PREFIX = '/api/flowdesk/v1/auth';
/** How long a ticket is good for; the window fetches a fresh one well before. */
export const TICKET_TTL_MS = 10 * 60_000;
const OWNER_TOKEN_ID = 'owner';
/** How long a valid token is remembered, and how many are (a team is not thousands of people). */
const TOKEN_MEMORY_MS = 2000;
const TOKEN_MEMORY_SIZE = 1000;
/** How often the tokens behind open streams are checked again, for revokes nobody announced. */
export const ACCESS_RECHECK_MS = 5000;
/** How stale "no users yet" may be on an open loopback server (users added by another process). */
const USERS_RECHECK_MS = 1000;
/** Who the window is signed in as: `{required, name, role}`; answered without a token too. */
const SESSION_ROUTE = `${AUTH_PREFIX}/session`;

const principals = new WeakMap<FastifyRequest, Principal>();
const callers = new WeakMap<FastifyRequest, Caller>();
/** Everyone on an open loopback server: the laptop's own scripts and window. */
const OPEN_SERVER_OWNER: Caller = { role: 'owner', via: 'http', team: false };

/** Routes that answer without a token (only GET/HEAD): the window's files and the health probe. */
const PUBLIC_ROUTES = new Set(['/', '/*', '/health']);

const sign = (key: string, payload: string) => createHmac('sha256', key).update(payload).digest('base64url');

/** The caller of a request, for `dispatch` and for routes that check a declared access themselves; a request that was not authenticated is refused. */
export function callerOf(request: FastifyRequest): Caller {
  const caller = callers.get(request);
  if (!caller) throw new FlowdeskError('UNAUTHENTICATED', 'This request carries no credentials');
  return caller;
}

/** Installs authentication (before any route is registered) and the window's ticket and session routes. */
export function installAuth(app: FastifyInstance, options: AuthOptions): void {
  const now = options.now ?? Date.now;

  // Users are revoked, never deleted: once there are some, there always are. Until then the
  // answer is asked again at most once a second, so an open laptop server pays no query per request.
  let usersExist = false;
  let usersCheckedAt = -Infinity;
  async function usersPresent(): Promise<boolean> {
    if (usersExist) return true;
    if (now() - usersCheckedAt >= USERS_RECHECK_MS) {
      usersCheckedAt = now();
      usersExist = await options.tokens.hasUsers();
    }
    return usersExist;
  }
  async function required(): Promise<boolean> {
    return options.ownerToken !== undefined || !options.loopback || (await usersPresent());
  }
  /** A server beyond loopback, or with people, is a team server: methods that act on the machine refuse it. */
  async function teamServer(): Promise<boolean> {
    return !options.loopback || (await usersPresent());
  }

  // Valid tokens are remembered briefly: the catalog's one SQLite connection also carries the
  // group commits, and a lookup queued behind each commit halved logging throughput. A revoke
  // announced by an event is forgotten at once; one nobody announced within TOKEN_MEMORY_MS.
  const remembered = new Map<string, { principal: Principal; until: number }>();

  // Requests in flight of principals that can be revoked (not the owner token), to cut them.
  const inFlight = new Map<FastifyRequest['raw'], Principal>();
  function cut(revoked: (principal: Principal) => boolean): void {
    for (const [raw, principal] of inFlight) {
      if (!revoked(principal)) continue;
      inFlight.delete(raw);
      raw.socket.destroy();
    }
    for (const [key, memory] of remembered) if (revoked(memory.principal)) remembered.delete(key);
  }
  const stopListening = options.events.subscribe((event) => {
    if (event.type === 'user.revoked') cut((principal) => principal.name === event.name);
  });
  let rechecking = false;
  async function recheck(): Promise<void> {
    if (rechecking || inFlight.size === 0) return;
    rechecking = true;
    try {
      for (const tokenId of new Set([...inFlight.values()].map((principal) => principal.tokenId))) {
        if (!(await options.tokens.findTokenById(tokenId)).ok) cut((principal) => principal.tokenId === tokenId);
      }
    } catch (err) {
      options.log('Could not check the tokens of open streams again', err);
    } finally {
      rechecking = false;
    }
  }
  const rechecks = setInterval(() => void recheck(), options.recheckMs ?? ACCESS_RECHECK_MS).unref();
  app.addHook('onClose', async () => {
    clearInterval(rechecks);
    stopListening();
  });
  async function byToken(token: string, reply: FastifyReply): Promise<Principal> {
    if (options.ownerToken !== undefined && sameText(token, options.ownerToken)) return { role: 'owner', tokenId: OWNER_TOKEN_ID };
    const key = options.tokens.hashToken(token);
    const memory = remembered.get(key);
    if (memory && memory.until > now()) return memory.principal;
    const found = await options.tokens.findToken(token);
    if (found.ok) {
      const principal: Principal = { name: found.owner.name, role: found.owner.role, tokenId: found.owner.tokenId };
      if (remembered.size >= TOKEN_MEMORY_SIZE) remembered.clear();
      remembered.set(key, { principal, until: now() + TOKEN_MEMORY_MS });
      return principal;
    }
    if (found.reason === 'revoked') throw unauthenticated(reply, `The token of user '${found.name}' was revoked; ask an administrator for a new user`);
    throw unauthenticated(reply, 'The token is not valid for this server');
  }

  /** The key that signs a token's tickets (the ticket secret bound to the token's hash), or undefined once the token is no longer valid. */
  async function ticketKey(tokenId: string): Promise<{ key: string; name?: string } | undefined> {
    const keyOf = (tokenHash: string) => sign(options.ticketSecret, tokenHash);
    if (tokenId === OWNER_TOKEN_ID) return options.ownerToken === undefined ? undefined : { key: keyOf(options.tokens.hashToken(options.ownerToken)) };
    const found = await options.tokens.findTokenById(tokenId);
    return found.ok ? { key: keyOf(found.owner.tokenHash), name: found.owner.name } : undefined;
  }

  /** A ticket's principal, read-only whatever the token's role. */
  async function byTicket(ticket: string, reply: FastifyReply): Promise<Principal> {
    const [tokenId = '', expiry = '', signature = ''] = ticket.split('.');
    const refused = () => unauthenticated(reply, 'The ticket is not valid or has expired; sign in again');
    if (!/^\d+$/.test(expiry) || Number(expiry) < now()) throw refused();
    const signer = await ticketKey(tokenId);
    if (!signer || !sameText(signature, sign(signer.key, `${tokenId}.${expiry}`))) throw refused();
    return signer.name === undefined ? { role: 'reader', tokenId } : { name: signer.name, role: 'reader', tokenId };
  }

  app.addHook('onRequest', async (request, reply) => {
    const readOnly = request.method === 'GET' || request.method === 'HEAD';
    if (readOnly && PUBLIC_ROUTES.has(request.routeOptions.url ?? '')) return;
    if (!(await required())) {
      callers.set(request, OPEN_SERVER_OWNER);
      return;
    }
    const token = presentedToken(request);
    const ticket = readOnly ? (request.query as Record<string, unknown> | undefined)?.ticket : undefined;
    let principal: Principal;
    if (token !== undefined) principal = await byToken(token, reply);
    else if (typeof ticket === 'string') principal = await byTicket(ticket, reply);
    // The window asks whether it must sign in before it has a token; that question needs none.
    else if (request.routeOptions.url === SESSION_ROUTE) return;
    else throw unauthenticated(reply, 'This server needs a token: send it as a Bearer token (MLFLOW_TRACKING_TOKEN, FLOWDESK_TOKEN) or as the Basic password');
    principals.set(request, principal);
    const team = await teamServer();
    callers.set(request, principal.name === undefined ? { role: principal.role, via: 'http', team } : { role: principal.role, name: principal.name, via: 'http', team });
    if (principal.tokenId !== OWNER_TOKEN_ID) {
      inFlight.set(request.raw, principal);
      reply.raw.on('close', () => inFlight.delete(request.raw));
    }
  });

  app.get(SESSION_ROUTE, async (request) => {
    const principal = principals.get(request);
    return { required: await required(), name: principal?.name ?? null, role: principal?.role ?? null };
  });

  app.post(`${AUTH_PREFIX}/ticket`, async (request, reply) => {
    const principal = principals.get(request);
    if (!principal) return { ticket: null, expiresAt: null };
    const signer = await ticketKey(principal.tokenId);
    if (!signer) throw unauthenticated(reply, 'The token is no longer valid; sign in again');
    const expiresAt = now() + TICKET_TTL_MS;
    return { ticket: `${principal.tokenId}.${expiresAt}.${sign(signer.key, `${principal.tokenId}.${expiresAt}`)}`, expiresAt };
  });
}
