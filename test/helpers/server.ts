import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, onTestFinished } from 'vitest';
import { createClient, type Client } from '#core/api/client.ts';
import { createHttpTransport } from '#core/api/http-transport.ts';
import type { ExecutionPolicy } from '#core/execution/execution-policy.ts';
import { openFlowdesk, type Flowdesk } from '#core/flowdesk.ts';
import type { ServerLimits } from '#core/server/server-context.ts';
import { startServer, type RunningServer } from '#core/server/server.ts';
import { testCatalogOption } from './postgres.ts';

export interface TestServer {
  fd: Flowdesk;
  server: RunningServer;
  /** e.g. http://127.0.0.1:41234 */
  url: string;
  dataDir: string;
  /** The contract client over real HTTP. */
  api: Client;
}

/** What a test server is opened with. */
interface ServerChoices {
  token?: string;
  artifacts?: string;
  execution?: ExecutionPolicy;
  /** Timeouts and size limits for the server (`ServerLimits`); defaults otherwise. */
  limits?: Partial<ServerLimits>;
}

/**
 * A real server on a free loopback port over a fresh data folder, closed after the test.
 * `execution` lets projects run and models be served; without it both are refused, as in core.
 */
export async function startTestServer(options: ServerChoices = {}): Promise<TestServer> {
  const started = await openServer(options, 'test');
  onTestFinished(started.close);
  return started;
}

/**
 * A real server like startTestServer's that the caller closes: for a whole file, opened in
 * `beforeAll` and closed in `afterAll` (where onTestFinished cannot be called).
 */
export function openTestServer(options: ServerChoices = {}): Promise<TestServer & { close: () => Promise<void> }> {
  return openServer(options, 'file');
}

/**
 * One real server for the tests of a file (or of the describe block it is called in): opened in
 * beforeAll, closed in afterAll. Returns a getter, since the server exists only once beforeAll ran.
 */
export function serverForFile(options: ServerChoices = {}): () => TestServer {
  let started: (TestServer & { close: () => Promise<void> }) | undefined;
  beforeAll(async () => {
    started = await openTestServer(options);
  });
  afterAll(async () => {
    await started?.close();
  });
  return () => {
    if (!started) throw new Error('the server of this file is not open: call its getter inside a test or hook');
    return started;
  };
}

async function openServer(options: ServerChoices, keep: 'test' | 'file'): Promise<TestServer & { close: () => Promise<void> }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'flowdesk-test-'));
  const fd = await openFlowdesk({ dataDir, catalog: await testCatalogOption(keep), artifacts: options.artifacts, execution: options.execution });
  const server = await startServer({ flowdesk: fd, port: 0, token: options.token, version: 'test', log: () => undefined, limits: options.limits });
  const close = async () => {
    await server.close();
    await fd.close();
    rmSync(dataDir, { recursive: true, force: true });
  };
  const api = createClient(createHttpTransport({ baseUrl: server.url, fetch, token: options.token }));
  return { fd, server, url: server.url, dataDir, api, close };
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
