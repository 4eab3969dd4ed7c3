import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { connect, findServer } from '#core/sdk/flowdesk-client.ts';
import { startTestServer } from '../helpers/server.ts';
import { tempDir } from '../helpers/temp-dir.ts';

/** Runs a TypeScript script in a child process; async, because the server under test shares this event loop. */
function runScript(file: string, env: Record<string, string>): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['bin/run-ts.js', file], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

describe('the TypeScript client', () => {
  it('logs a run: params, buffered metrics with steps, tags, a file and a folder, then ends it', async () => {
    const { url, api } = await startTestServer();
    const client = connect({ uri: url });
    const run = await client.startRun({ experiment: 'sdk', runName: 'r1', tags: { team: 'ml' } });
    await run.logParams({ lr: 0.01, layers: 3 });
    for (let step = 0; step < 2500; step++) run.logMetric('loss', 1 / (step + 1), step);
    run.logMetrics({ acc: 0.9, f1: 0.8 }, 7);
    await run.setTag('stage', 'dev');
    const dir = tempDir();
    writeFileSync(join(dir, 'notes.txt'), 'hello');
    mkdirSync(join(dir, 'plots', 'deep'), { recursive: true });
    writeFileSync(join(dir, 'plots', 'a.csv'), 'x\n1\n');
    writeFileSync(join(dir, 'plots', 'deep', 'b.csv'), 'y\n2\n');
    await run.logArtifact(join(dir, 'notes.txt'), 'docs');
    await run.logArtifact(join(dir, 'plots'));
    await run.end('FINISHED');

    const { run: stored } = await api.call('runs.get', { runId: run.runId });
    expect(stored.info).toMatchObject({ runName: 'r1', status: 'FINISHED' });
    expect(stored.info.endTime).toBeGreaterThan(0);
    expect(stored.data.params).toEqual([{ key: 'layers', value: '3' }, { key: 'lr', value: '0.01' }]);
    expect(stored.data.tags).toEqual(expect.arrayContaining([{ key: 'team', value: 'ml' }, { key: 'stage', value: 'dev' }, { key: 'mlflow.source.type', value: 'LOCAL' }]));
    expect((await api.call('metrics.history', { runId: run.runId, key: 'loss', maxResults: 10_000 })).metrics).toHaveLength(2500);
    expect(stored.data.metrics.find((m) => m.key === 'acc')).toMatchObject({ value: 0.9, step: 7 });
    expect((await api.call('artifacts.list', { runId: run.runId })).files.map((f) => f.path)).toEqual(['docs', 'plots']);
    expect((await api.call('artifacts.list', { runId: run.runId, path: 'plots/deep' })).files).toEqual([{ path: 'b.csv', isDir: false, fileSize: 4 }]);
    expect((await api.call('artifacts.list', { runId: run.runId, path: 'docs' })).files).toEqual([{ path: 'notes.txt', isDir: false, fileSize: 5 }]);
  });

  it('reuses an experiment by name and resumes a run given by id', async () => {
    const { url, api } = await startTestServer();
    const client = connect({ uri: url });
    const first = await client.startRun({ experiment: 'shared' });
    await first.end('FAILED');
    const second = await client.startRun({ experiment: 'shared' });
    const resumed = await client.startRun({ runId: first.runId });
    resumed.logMetric('late', 1, 0);
    await resumed.end();
    await second.end();
    const a = (await api.call('runs.get', { runId: first.runId })).run;
    const b = (await api.call('runs.get', { runId: second.runId })).run;
    expect(a.info.experimentId).toBe(b.info.experimentId);
    expect(a.info.status).toBe('FINISHED');
    expect(a.data.metrics.map((m) => m.key)).toEqual(['late']);
  });

  it('surfaces a rejected batch on flush instead of losing it silently', async () => {
    const { url } = await startTestServer();
    const run = await connect({ uri: url }).startRun({});
    run.logMetric('bad//key', 1);
    await expect(run.flush()).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
  });

  it('flushes buffered metrics and finishes the run when the script exits without ending it', async () => {
    const { url, api } = await startTestServer();
    const result = await runScript('test/fixtures/exit-without-end.ts', { FLOWDESK_URI: url });
    expect(result.status).toBe(0);
    const runId = result.stdout.trim();
    const { run } = await api.call('runs.get', { runId });
    expect(run.info.status).toBe('FINISHED');
    expect((await api.call('metrics.history', { runId, key: 'loss', maxResults: 10_000 })).metrics).toHaveLength(1500);
  });

  it('finds the server from the environment or from server.json, and says what it tried otherwise', () => {
    const dataDir = tempDir();
    expect(findServer({}, { MLFLOW_TRACKING_URI: 'http://127.0.0.1:5000/' })).toBe('http://127.0.0.1:5000');
    expect(findServer({}, { FLOWDESK_URI: 'http://127.0.0.1:6000', MLFLOW_TRACKING_URI: 'http://x:1' })).toBe('http://127.0.0.1:6000');
    expect(() => findServer({ dataDir }, {})).toThrow(/No Flowdesk server found/);
    writeFileSync(join(dataDir, 'server.json'), JSON.stringify({ url: 'http://127.0.0.1:7777', port: 7777 }));
    expect(findServer({ dataDir }, {})).toBe('http://127.0.0.1:7777');
    expect(() => findServer({}, { MLFLOW_TRACKING_URI: 'file:///tmp/mlruns' })).toThrow(/http\(s\) URL/);
  });

  it('runs the README example against a real server', async () => {
    const { url, api } = await startTestServer();
    const result = await runScript('examples/log-a-run.ts', { FLOWDESK_URI: url });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const runId = /Logged run ([0-9a-f]{32})/.exec(result.stdout)![1]!;
    const { run } = await api.call('runs.get', { runId });
    expect(run.info.status).toBe('FINISHED');
    expect(run.data.metrics.find((m) => m.key === 'loss')!.step).toBe(199);
    expect((await api.call('artifacts.list', { runId })).files.map((f) => f.path)).toEqual(['plots', 'summary.json']);
  });
});
