import { onTestFinished } from 'vitest';
import { createClient, type Client } from '#core/api/client.ts';
import { createHttpTransport } from '#core/api/http-transport.ts';
import { openFlowdesk, type Flowdesk } from '#core/flowdesk.ts';
import { startServer, type RunningServer, type ServerLimits } from '#core/server/server.ts';
import { testCatalogOption } from './postgres.ts';
import { tempDir } from './temp-dir.ts';

export interface TestServer {
  fd: Flowdesk;
  server: RunningServer;
  /** e.g. http://127.0.0.1:41234 */
  url: string;
  dataDir: string;
  /** The contract client over real HTTP. */
  api: Client;
}

/** A real server on a free loopback port over a fresh data folder, closed after the test. */
export async function startTestServer(options: { token?: string; artifacts?: string; limits?: Partial<ServerLimits> } = {}): Promise<TestServer> {
  const dataDir = tempDir();
  const fd = await openFlowdesk({ dataDir, catalog: await testCatalogOption(), artifacts: options.artifacts });
  const server = await startServer({ flowdesk: fd, port: 0, token: options.token, version: 'test', log: () => undefined, limits: options.limits });
  onTestFinished(async () => {
    await server.close();
    await fd.close();
  });
  const api = createClient(createHttpTransport({ baseUrl: server.url, fetch, token: options.token }));
  return { fd, server, url: server.url, dataDir, api };
}

/** POSTs JSON to an MLflow route and returns status and parsed body. */
export async function mlflowPost(url: string, path: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : {} };
}

/** GETs an MLflow route with a query string and returns status and parsed body. */
export async function mlflowGet(url: string, path: string, query: Record<string, string | string[]> = {}) {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) for (const item of Array.isArray(v) ? v : [v]) params.append(k, item);
  const qs = params.toString();
  const response = await fetch(`${url}${path}${qs ? `?${qs}` : ''}`);
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : {} };
}

/** A JSON request with any method and its status and parsed body; MLflow's DELETE and PATCH carry JSON bodies. */
export async function mlflowCall(url: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}
