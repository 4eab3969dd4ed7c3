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

/** Encodes non-finite numbers as MLflow does ("NaN", "Infinity", "-Infinity"). */
export function toWireJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    typeof v === 'number' && !Number.isFinite(v) ? (Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity') : v,
  );
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
