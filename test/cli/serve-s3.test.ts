/** `flowdesk serve|gc --artifacts s3://...`: the command line reaching the S3 store. */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { listKeys, s3TestPlace, S3_TEST_URL } from '../helpers/s3.ts';
import { tempDir } from '../helpers/temp-dir.ts';

/** Runs the CLI without blocking this process (a served child must answer our fetches). */
function flowdesk(args: string[]) {
  const child = spawn(process.execPath, ['bin/flowdesk.js', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const listening = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', () => {
      const match = /Listening on (\S+)/.exec(out);
      if (match) resolve(match[1]!);
    });
    child.on('exit', (code) => reject(new Error(`exited with ${code}: ${err}`)));
  });
  // A child that exits early is reported through `exited` too; nobody need await `listening`.
  listening.catch(() => undefined);
  const exited = new Promise<{ code: number | null; out: string; err: string }>((resolve) => child.on('exit', (code) => resolve({ code, out, err })));
  return { child, listening, exited };
}

describe('flowdesk serve --artifacts', () => {
  it('refuses a location that is not s3://bucket/prefix, saying what it expects', async () => {
    const { code, err } = await flowdesk(['serve', '--port', '0', '--data-dir', tempDir(), '--artifacts', '/srv/artifacts']).exited;
    expect(code).toBe(1);
    expect(err).toContain("flowdesk: Invalid artifact location '/srv/artifacts': expected s3://<bucket>/<prefix>");
  });
});

// Where S3 is not configured, s3-artifact-store.test.ts says so once for all the S3 runs.
if (S3_TEST_URL) describe('flowdesk serve and gc on S3', () => {
  it('stores uploads as objects under the prefix, reports health, and gc purges them', async () => {
    const place = s3TestPlace();
    const dataDir = tempDir();
    const server = flowdesk(['serve', '--port', '0', '--data-dir', dataDir, '--artifacts', place.url]);
    const url = await server.listening;
    try {
      expect(await (await fetch(`${url}/health`)).json()).toEqual({ status: 'OK', checks: [{ name: 'catalog', ok: true }, { name: 'artifacts', ok: true }] });
      const created = await fetch(`${url}/api/2.0/mlflow/runs/create`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"experiment_id":"0"}' });
      const runId = ((await created.json()) as { run: { info: { run_id: string } } }).run.info.run_id;
      const put = await fetch(`${url}/api/2.0/mlflow-artifacts/artifacts/0/${runId}/artifacts/model/weights.bin`, { method: 'PUT', body: Buffer.alloc(4321, 7) });
      expect(put.status).toBe(200);
      expect(await listKeys(place.bucket, `${place.base}/`)).toEqual({ [`${place.base}/store/0/${runId}/artifacts/model/weights.bin`]: 4321 });
      const ranged = await fetch(`${url}/api/2.0/mlflow-artifacts/artifacts/0/${runId}/artifacts/model/weights.bin`, { headers: { range: 'bytes=4300-' } });
      expect([ranged.status, (await ranged.arrayBuffer()).byteLength]).toEqual([206, 21]);
      const deleted = await fetch(`${url}/api/2.0/mlflow/runs/delete`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ run_id: runId }) });
      expect(deleted.status).toBe(200);
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
    }
    const gc = await flowdesk(['gc', '--data-dir', dataDir, '--artifacts', place.url]).exited;
    expect(gc.code).toBe(0);
    expect(gc.out).toContain('Purged 0 experiment(s) and 1 run(s)');
    expect(gc.out).toContain('(4321 bytes)');
    expect(await listKeys(place.bucket, `${place.base}/`)).toEqual({});
  });
});
