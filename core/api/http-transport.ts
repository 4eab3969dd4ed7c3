/**
 * The contract over HTTP: `POST <base>/api/flowdesk/v1/call/<method>`. Pure TypeScript; the
 * caller supplies `fetch` (the browser's, or Node's global), so this file needs neither DOM nor Node.
 */
import type { Transport } from './client.ts';
import { ERROR_CODES, type ErrorCode } from './errors.ts';

/** The part of `fetch` the transport uses. */
export type FetchLike = (
  url: string,
  init: { method: string; headers: Record<string, string>; body?: string },
) => Promise<{ ok: boolean; status: number; text(): Promise<string> }>;

/**
 * JSON for the wire. Non-finite numbers are encoded as MLflow does ("NaN", "Infinity",
 * "-Infinity"; JSON.stringify alone would write null), and -0 as `-0.0` (JSON.stringify writes
 * `0`; Python reads `-0` as the integer 0, but `-0.0` as the float -0.0, as MLflow writes it).
 */
export function toWireJson(value: unknown): string {
  // The replacer below is called for every key and value, which doubles the cost of a large
  // answer (a 25,000-point history page); most answers hold no number that needs it.
  if (!needsReplacer(value)) return JSON.stringify(value);
  let negativeZeros = false;
  const text = JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v !== 'number') return v;
    if (Object.is(v, -0)) negativeZeros = true;
    return Number.isFinite(v) ? v : Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
  });
  if (!negativeZeros) return text;
  // JSON.stringify cannot write -0.0 itself: write a placeholder string for it and then swap
  // the placeholder, quotes included, for -0.0. The placeholder is chosen so that it occurs
  // nowhere in the text, so every occurrence in the second text is one of ours.
  let placeholder = '-0.0';
  while (text.includes(placeholder)) placeholder += '~';
  const marked = JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v !== 'number') return v;
    if (Object.is(v, -0)) return placeholder;
    return Number.isFinite(v) ? v : Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
  });
  return marked.split(JSON.stringify(placeholder)).join('-0.0');
}

/**
 * One number as `toWireJson` writes it, for code that writes JSON text itself: "NaN",
 * "Infinity" and "-Infinity" as strings, -0 as -0.0, anything else as JSON.stringify would.
 */
export function wireNumber(n: number): string {
  if (Number.isFinite(n)) return Object.is(n, -0) ? '-0.0' : String(n);
  return Number.isNaN(n) ? '"NaN"' : n > 0 ? '"Infinity"' : '"-Infinity"';
}

/**
 * Whether `value` holds a number JSON.stringify would write differently from MLflow (non-finite
 * or -0), or an object with its own `toJSON` (whose result only a replacer sees).
 */
function needsReplacer(value: unknown): boolean {
  if (typeof value === 'number') return !Number.isFinite(value) || Object.is(value, -0);
  if (value === null || typeof value !== 'object') return false;
  if (Array.isArray(value)) {
    for (const item of value) if (needsReplacer(item)) return true;
    return false;
  }
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return true;
  for (const key in value) if (needsReplacer((value as Record<string, unknown>)[key])) return true;
  return false;
}

export interface HttpTransportOptions {
  /** e.g. `http://127.0.0.1:5000` */
  baseUrl: string;
  fetch: FetchLike;
  token?: string;
}

export function createHttpTransport(options: HttpTransportOptions): Transport {
  const base = options.baseUrl.replace(/\/+$/, '');
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  return async (name, input) => {
    let response: Awaited<ReturnType<FetchLike>>;
    try {
      response = await options.fetch(`${base}/api/flowdesk/v1/call/${name}`, { method: 'POST', headers, body: toWireJson(input ?? {}) });
    } catch (err) {
      return { ok: false, error: { code: 'INTERNAL_ERROR', message: `Cannot reach Flowdesk at ${base}: ${(err as Error).message}` } };
    }
    const text = await response.text();
    let body: unknown;
    try {
      body = text === '' ? {} : JSON.parse(text);
    } catch {
      return { ok: false, error: { code: 'INTERNAL_ERROR', message: `Flowdesk answered ${response.status} with a body that is not JSON` } };
    }
    if (response.ok) return { ok: true, value: body };
    const error = body as { error_code?: string; message?: string };
    const code = (ERROR_CODES as readonly string[]).includes(error.error_code ?? '') ? (error.error_code as ErrorCode) : 'INTERNAL_ERROR';
    return { ok: false, error: { code, message: error.message ?? `HTTP ${response.status}` } };
  };
}
