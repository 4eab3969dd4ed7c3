/**
 * The people of a team server and their tokens. A token is 32 random bytes shown once when it is
 * made; the catalog keeps only its SHA-256. A slow password hash would add nothing for a random
 * 256-bit secret (there is no dictionary to slow down) and would cost every request.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { FlowdeskError, invalid } from '#core/api/errors.ts';
import { isRole, ROLES, type Role } from '#core/api/roles.ts';
import type { EventBus, FlowdeskEvent } from '#core/api/events.ts';
import type { Catalog, Db } from '#core/catalog/catalog.ts';
import { dialectSql } from '#core/catalog/dialect-sql.ts';
import { EVENTS_CHANNEL } from '#core/catalog/postgres-events.ts';

export interface UserInfo {
  name: string;
  role: Role;
  createdTime: number;
  revokedTime: number | null;
}

/** Who a valid token belongs to. */
export interface TokenOwner {
  tokenId: string;
  /** The SHA-256 hex of the token: bound with the server's ticket secret into the key of this token's tickets. */
  tokenHash: string;
  name: string;
  role: Role;
}

/** The token's own prefix, so a leaked one is recognisable in logs and by secret scanners. */
const TOKEN_PREFIX = 'fdt_';
const NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

function roleOf(text: string): Role {
  if (!isRole(text)) throw new FlowdeskError('INTERNAL_ERROR', `The catalog holds an unknown role '${text}'`);
  return text;
}

/** Adds a user with one new token; the token is in the answer and nowhere else. */
export async function addUser(catalog: Catalog, name: string, role: string, now: number): Promise<{ user: UserInfo; token: string }> {
  if (!NAME.test(name)) throw invalid(`A user name is 1 to 64 letters, digits, '.', '_', '@' or '-', starting with a letter or digit; got '${name}'`);
  if (!isRole(role)) throw invalid(`The role must be one of ${ROLES.join(', ')}; got '${role}'`);
  const token = TOKEN_PREFIX + randomBytes(32).toString('base64url');
  await catalog.write(async (trx) => {
    const existing = await trx.selectFrom('users').select(['revoked_time']).where('name', '=', name).executeTakeFirst();
    if (existing) {
      const state = existing.revoked_time === null ? 'exists' : 'exists (revoked; names are not reused, so history stays unambiguous)';
      throw new FlowdeskError('RESOURCE_ALREADY_EXISTS', `User '${name}' already ${state}`);
    }
    const { id } = await trx.insertInto('users').values({ name, role, created_time: now, revoked_time: null }).returning('id').executeTakeFirstOrThrow();
    await trx.insertInto('user_tokens').values({ id: randomBytes(8).toString('hex'), user_id: id, token_hash: hashToken(token), created_time: now }).execute();
  });
  return { user: { name, role, createdTime: now, revokedTime: null }, token };
}

export async function listUsers(db: Db): Promise<UserInfo[]> {
  const rows = await db.selectFrom('users').select(['name', 'role', 'created_time', 'revoked_time']).orderBy('name').execute();
  return rows.map((r) => ({ name: r.name, role: roleOf(r.role), createdTime: Number(r.created_time), revokedTime: r.revoked_time === null ? null : Number(r.revoked_time) }));
}

/**
 * Revokes a user: every token and ticket of theirs is refused, and servers cut their open streams
 * on the `user.revoked` event. On PostgreSQL the event is NOTIFYed inside the revoking transaction,
 * so every server process hears it exactly when the revoke commits, even from the command line;
 * `events` also tells this process's own subscribers.
 */
export async function revokeUser(catalog: Catalog, name: string, now: number, events?: EventBus): Promise<void> {
  const event: FlowdeskEvent = { type: 'user.revoked', name };
  await catalog.write(async (trx) => {
    const user = await trx.selectFrom('users').select(['id', 'revoked_time']).where('name', '=', name).executeTakeFirst();
    if (!user) throw new FlowdeskError('RESOURCE_DOES_NOT_EXIST', `No user named '${name}'`);
    if (user.revoked_time === null) await trx.updateTable('users').set({ revoked_time: now }).where('id', '=', user.id).execute();
    await dialectSql(catalog.dialect).notify(trx, EVENTS_CHANNEL, JSON.stringify({ origin: 'revoke', event }));
  });
  events?.publish(event);
}

/** Whether any user exists, revoked or not: once people were added, every request needs a token. */
export async function hasUsers(db: Db): Promise<boolean> {
  return (await db.selectFrom('users').select('id').limit(1).executeTakeFirst()) !== undefined;
}

/** What a token look-up finds: its owner, or why there is none. */
export type TokenLookup = { ok: true; owner: TokenOwner } | { ok: false; reason: 'unknown' | 'revoked'; name?: string };

function ownerOf(row: { id: string; token_hash: string; name: string; role: string; revoked_time: number | null }): TokenLookup {
  if (row.revoked_time !== null) return { ok: false, reason: 'revoked', name: row.name };
  return { ok: true, owner: { tokenId: row.id, tokenHash: row.token_hash, name: row.name, role: roleOf(row.role) } };
}

function tokenQuery(db: Db) {
  return db
    .selectFrom('user_tokens')
    .innerJoin('users', 'users.id', 'user_tokens.user_id')
    .select(['user_tokens.id', 'user_tokens.token_hash', 'users.name', 'users.role', 'users.revoked_time']);
}

/**
 * Finds who a presented token belongs to. The lookup is by hash, so its timing tells an attacker
 * nothing about any stored token; the final comparison is constant-time all the same.
 */
export async function findToken(db: Db, token: string): Promise<TokenLookup> {
  const hash = hashToken(token);
  const row = await tokenQuery(db).where('user_tokens.token_hash', '=', hash).executeTakeFirst();
  if (!row || !timingSafeEqual(Buffer.from(row.token_hash), Buffer.from(hash))) return { ok: false, reason: 'unknown' };
  return ownerOf(row);
}

/** A token by its public id (what a ticket names). */
export async function findTokenById(db: Db, tokenId: string): Promise<TokenLookup> {
  const row = await tokenQuery(db).where('user_tokens.id', '=', tokenId).executeTakeFirst();
  return row ? ownerOf(row) : { ok: false, reason: 'unknown' };
}

/** The token look-ups an HTTP server needs, bound to one catalog; the composition root hands it out. */
export interface TokenBook {
  /** Whether any user exists (hasUsers). */
  hasUsers(): Promise<boolean>;
  /** Who a presented token belongs to (findToken). */
  findToken(token: string): Promise<TokenLookup>;
  /** A token by its public id (findTokenById). */
  findTokenById(tokenId: string): Promise<TokenLookup>;
  /** The SHA-256 hex of a token, as stored (hashToken). */
  hashToken(token: string): string;
}

/** The `TokenBook` of one catalog. */
export function createTokenBook(db: Db): TokenBook {
  return {
    hasUsers: () => hasUsers(db),
    findToken: (token) => findToken(db, token),
    findTokenById: (tokenId) => findTokenById(db, tokenId),
    hashToken,
  };
}
