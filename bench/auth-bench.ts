/**
 * What a token costs a request: single log-metric requests/s, 16 connections, on a server with a
 * user whose token every request carries (one hash and one indexed lookup each), next to the same
 * server open on loopback without users (the baseline), measured in the same run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { openFlowdesk } from '#core/flowdesk.ts';
import { addUser } from '#core/users/users.ts';
import { report } from './bench-util.ts';
import { startServe } from './serve-process.ts';

const SECONDS = 6;

async function serveAndLoad(dataDir: string, token: string | undefined): Promise<{ requests: number; p99: number }> {
  const served = await startServe(dataDir);
  try {
    const { url } = served;
    const headers: Record<string, string> = { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) };
    const created = await fetch(`${url}/api/2.0/mlflow/runs/create`, { method: 'POST', headers, body: '{"experiment_id":"0"}' });
    const runId = ((await created.json()) as { run: { info: { run_id: string } } }).run.info.run_id;
    let n = 0;
    const result = await autocannon({
      url: `${url}/api/2.0/mlflow/runs/log-metric`,
      method: 'POST',
      connections: 16,
      duration: SECONDS,
      headers,
      requests: [{ setupRequest: (request) => ({ ...request, body: JSON.stringify({ run_id: runId, key: 'acc', value: Math.random(), timestamp: 1_700_000_000_000, step: n++ }) }) }],
    });
    if (result.non2xx > 0 || result.errors > 0) throw new Error(`${result.non2xx} non-2xx answers and ${result.errors} errors under load`);
    return { requests: result.requests.average, p99: result.latency.p99 };
  } finally {
    await served.stop();
  }
}

export async function runAuthBench(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'flowdesk-auth-bench-'));
  try {
    const open = await serveAndLoad(join(dir, 'open'), undefined);
    const fd = await openFlowdesk({ dataDir: join(dir, 'team') });
    const { token } = await addUser(fd.catalog, 'bench', 'writer', Date.now());
    await fd.close();
    const signed = await serveAndLoad(join(dir, 'team'), token);
    report('single log-metric requests with a user token, 16 connections', [
      ['open loopback, no users (baseline)', `${Math.round(open.requests).toLocaleString()} requests/s, p99 ${open.p99} ms`],
      ['every request with a user token', `${Math.round(signed.requests).toLocaleString()} requests/s, p99 ${signed.p99} ms`],
      ['ratio token / open', (signed.requests / open.requests).toFixed(2)],
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
