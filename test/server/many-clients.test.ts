import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { startTestServer } from '../helpers/server.ts';

const WORKERS = 16;

function runWorker(url: string, shared: string, worker: number): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['bin/run-ts.js', 'test/fixtures/mlflow-rest-logger.ts', url, shared, String(worker)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('close', (code) => resolve({ code, out, err }));
  });
}

/** Every step a worker logs to a key: 200 single points, then 10 batches of 100. */
const expectedSteps = [...Array.from({ length: 200 }, (_, i) => i), ...Array.from({ length: 10 }, (_, b) => Array.from({ length: 100 }, (_, i) => 1000 + (b * 20 + 19) * 100 + i)).flat()].sort((a, b) => a - b);

describe('many client processes at once', () => {
  it('receives every point from 16 processes logging to their own runs and to one shared run, none twice', async () => {
    const { url, api } = await startTestServer();
    const shared = (await api.call('runs.create', { runName: 'shared' })).run.info.runId;
    const results = await Promise.all(Array.from({ length: WORKERS }, (_, w) => runWorker(url, shared, w)));
    for (const r of results) {
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
    }
    for (let w = 0; w < WORKERS; w++) {
      const runId = results[w]!.out.trim();
      const own = await api.call('metrics.history', { runId, key: `own-${w}`, maxResults: 10_000 });
      expect(own.metrics.map((m) => m.step)).toEqual(expectedSteps);
      const mine = await api.call('metrics.history', { runId: shared, key: `shared-${w}`, maxResults: 10_000 });
      expect(mine.metrics.map((m) => m.step)).toEqual(expectedSteps);
      expect((await api.call('runs.get', { runId })).run.info.status).toBe('FINISHED');
    }
    const sharedRun = (await api.call('runs.get', { runId: shared })).run;
    expect(sharedRun.data.metrics).toHaveLength(WORKERS);
  });
});
