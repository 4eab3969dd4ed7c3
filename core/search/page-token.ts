/**
 * Page tokens: base64url JSON holding the sort values of the last row served (a seek position,
 * not an offset, so rows inserted or deleted between pages neither repeat nor hide rows that
 * existed before) and a fingerprint of the query, so a token replayed with another filter, order
 * or scope is refused instead of silently seeking in the wrong order. Nothing in a token reaches
 * SQL except as a bound value of the type its column expects.
 */
import { createHash } from 'node:crypto';
import { invalid } from '#core/api/errors.ts';
import type { SortType } from './compile-order.ts';

/** The token format version, so a later format can refuse older tokens cleanly. */
const VERSION = 1;

/**
 * Upper bound on a token's length, refused before decoding: well above the largest real token
 * (20 sort keys holding 8000-character tag values).
 */
const MAX_TOKEN_LENGTH = 1_000_000;

/** A stable digest of everything that determines a search's order and matches. */
export function queryFingerprint(query: unknown): string {
  return createHash('sha256').update(JSON.stringify(query)).digest('base64url').slice(0, 22);
}

/**
 * Encodes the sort values of the last row served. Numbers travel as strings: JSON has no
 * Infinity (a metric may be ±Infinity), and PostgreSQL returns bigint columns as strings.
 */
export function encodePageToken(fingerprint: string, values: readonly unknown[]): string {
  const k = values.map((value) => (typeof value === 'number' || typeof value === 'bigint' ? String(value) : value));
  return Buffer.from(JSON.stringify({ v: VERSION, q: fingerprint, k }), 'utf8').toString('base64url');
}

/** Decodes a token for this query and these sort columns; anything else is INVALID_PARAMETER_VALUE. */
export function decodePageToken(token: string, fingerprint: string, types: readonly SortType[]): (string | number)[] {
  const bad = (why: string) => invalid(`Invalid page_token: ${why}`);
  if (token.length > MAX_TOKEN_LENGTH || !/^[A-Za-z0-9_-]+$/.test(token)) throw bad('it is not a token this server issued');
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw bad('it is not a token this server issued');
  }
  if (typeof parsed !== 'object' || parsed === null) throw bad('it is not a token this server issued');
  const { v, q, k } = parsed as Record<string, unknown>;
  if (v !== VERSION || typeof q !== 'string' || !Array.isArray(k)) throw bad('it is not a token this server issued');
  if (q !== fingerprint) {
    throw bad('it belongs to a different search (filter, order_by, experiments or view type changed); start again without a page_token');
  }
  if (k.length !== types.length) throw bad('it does not fit this search');
  return types.map((type, i) => {
    const value: unknown = k[i];
    if (typeof value !== 'string') throw bad('it does not fit this search');
    if (type === 'string') return value;
    const number = Number(value);
    if (value.trim() === '' || Number.isNaN(number)) throw bad('it does not fit this search');
    return number;
  });
}
