/**
 * MLflow 2.12.2's own tracking server (from `../shared/python-clients`) beside a Flowdesk server,
 * both on free loopback ports over fresh temporary stores, for differential tests: the same REST
 * requests go to both and the answers are compared. Started once per test file (beforeAll), since
 * MLflow's server takes seconds to import and migrate its database.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, type Client } from '#core/api/client.ts';
import { createHttpTransport } from '#core/api/http-transport.ts';
import { openFlowdesk } from '#core/flowdesk.ts';
import { freePort } from '#core/models/python-serving.ts';
import { startServer } from '#core/server/server.ts';
import { clientEnvironment } from './python-clients.ts';

/** How long MLflow's server may take to import, migrate its SQLite file and listen. */
const START_TIMEOUT_MS = 90_000;

export interface ReferenceServer {
  /** e.g. http://127.0.0.1:41234 */
  url: string;
  close(): Promise<void>;
}

/**
 * Starts `mlflow server` (2.12.2, gunicorn with one worker and the app preloaded, so that it only
 * prints "Listening at" once the app can answer) over a SQLite file (or the given backend store,
 * e.g. an `mlruns/` folder) and a local artifact root (or, with `proxyArtifacts`, an artifact
 * destination it serves through its `mlflow-artifacts` proxy), and resolves once /health answers.
 * Its process group is stopped on close.
 */
export async function startMlflowServer(options: { backendStoreUri?: string; proxyArtifacts?: boolean } = {}): Promise<ReferenceServer> {
  const dir = mkdtempSync(join(tmpdir(), 'flowdesk-mlflow-server-'));
  const port = await freePort('127.0.0.1');
  const backend = options.backendStoreUri ?? `sqlite:///${join(dir, 'm.db')}`;
  // Proxied, runs get `mlflow-artifacts:/` locations that clients reach through the server only.
  const artifacts = options.proxyArtifacts ? ['--artifacts-destination', join(dir, 'art')] : ['--default-artifact-root', join(dir, 'art')];
  const args = ['-m', 'mlflow', 'server', '--backend-store-uri', backend, ...artifacts];
  args.push('--host', '127.0.0.1', '--port', String(port), '--workers', '1', '--gunicorn-opts', '--preload');
  // Its own process group: `mlflow server` runs gunicorn as a child, and both must go on close.
  const child: ChildProcess = spawn('python3', args, { env: clientEnvironment('2.12.2'), cwd: dir, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const close = async () => {
    if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`MLflow's server did not listen within ${START_TIMEOUT_MS / 1000} s:\n${output}`)), START_TIMEOUT_MS);
      const keep = (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Listening at:')) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout!.on('data', keep);
      child.stderr!.on('data', keep);
      child.once('close', (code) => {
        clearTimeout(timer);
        reject(new Error(`MLflow's server exited (${code}) before listening:\n${output.slice(-4000)}`));
      });
    });
    const url = `http://127.0.0.1:${port}`;
    // The socket listens before the worker accepts; a request waits in the backlog until then.
    const health = await fetch(`${url}/health`);
    if (!health.ok) throw new Error(`MLflow's server answered /health with ${health.status}`);
    return { url, close };
  } catch (err) {
    await close();
    throw err;
  }
}

export interface FlowdeskReference extends ReferenceServer {
  api: Client;
}

/** A Flowdesk server on a free loopback port over a fresh data folder, for a whole test file. */
export async function startFlowdeskServer(): Promise<FlowdeskReference> {
  const dataDir = mkdtempSync(join(tmpdir(), 'flowdesk-differential-'));
  const fd = await openFlowdesk({ dataDir });
  const server = await startServer({ flowdesk: fd, port: 0, version: 'test', log: () => undefined });
  const api = createClient(createHttpTransport({ baseUrl: server.url, fetch }));
  return {
    url: server.url,
    api,
    close: async () => {
      await server.close();
      await fd.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface Answer {
  status: number;
  body: Record<string, unknown>;
}

/** One MLflow REST request (JSON body for POST/PATCH/DELETE, query string for GET) and its answer. */
export async function rest(baseUrl: string, method: string, path: string, payload?: Record<string, unknown>): Promise<Answer> {
  let url = `${baseUrl}/api/2.0/mlflow/${path}`;
  const init: RequestInit = { method };
  if (method === 'GET' && payload) {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(payload)) for (const item of Array.isArray(v) ? v : [v]) params.append(k, String(item));
    url += `?${params.toString()}`;
  } else if (payload) {
    init.headers = { 'content-type': 'application/json' };
    init.body = JSON.stringify(payload);
  }
  const response = await fetch(url, init);
  const text = await response.text();
  let body: Record<string, unknown>;
  try {
    body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    body = { unparsed: text.slice(0, 200) };
  }
  return { status: response.status, body };
}
