/**
 * Server benchmarks: a 1,000-point log-batch's latency on one connection next to this disk's own
 * durable flush, metric points/s through MLflow's log-batch over HTTP (1,000 points per request,
 * 4 connections) and single log-metric requests/s with latency percentiles, each next to the same
 * work called in-process on the core, measured in the same run. The server runs in
 * its own process (as `flowdesk serve`), so the load generator does not share its event loop.
 */
import { closeSync, fdatasyncSync, mkdirSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { openFlowdesk } from '#core/flowdesk.ts';
import { percentile, report } from './bench-util.ts';
import { startServe } from './serve-process.ts';

const SECONDS = 8;

async function post(url: string, path: string, body: unknown): Promise<Record<string, unknown>> {
  const response = await fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return (await response.json()) as Record<string, unknown>;
}

function batchBody(runId: string, batch: number): string {
  const metrics = Array.from({ length: 1000 }, (_, i) => ({ key: 'loss', value: Math.random(), timestamp: 1_700_000_000_000 + batch, step: batch * 1000 + i }));
  return JSON.stringify({ run_id: runId, metrics });
}

async function load(url: string, path: string, connections: number, body: (n: number) => string) {
  let n = 0;
  const result = await autocannon({
    url: `${url}${path}`,
    method: 'POST',
    connections,
    duration: SECONDS,
    headers: { 'content-type': 'application/json' },
    requests: [{ setupRequest: (request) => ({ ...request, body: body(n++) }) }],
  });
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${result.non2xx} non-2xx answers and ${result.errors} errors under load`);
  return result;
}

/**
 * What one durable flush costs on this disk: 4 KiB appended and fdatasync'd, as a commit of the
 * catalog's WAL does. Every acknowledged write waits for at least one, so its tail is the floor
 * of any write latency's tail.
 */
function flushCost(dir: string): { p50: number; p99: number } {
  mkdirSync(dir, { recursive: true });
  const fd = openSync(join(dir, 'flush-probe'), 'w');
  const page = Buffer.alloc(4096, 1);
  const times: number[] = [];
  try {
    for (let i = 0; i < 300; i++) {
      writeSync(fd, page);
      const start = process.hrtime.bigint();
      fdatasyncSync(fd);
      times.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
  } finally {
    closeSync(fd);
  }
  return { p50: percentile(times, 50), p99: percentile(times, 99) };
}

/** One client, one request at a time: each 1,000-point log-batch's time until its durable answer. */
async function sequentialBatches(url: string, runId: string, count: number): Promise<{ p50: number; p99: number }> {
  const times: number[] = [];
  for (let n = 0; n < count; n++) {
    const body = batchBody(runId, n);
    const start = process.hrtime.bigint();
    const response = await fetch(`${url}/api/2.0/mlflow/runs/log-batch`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    await response.arrayBuffer();
    if (!response.ok) throw new Error(`log-batch answered ${response.status}`);
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return { p50: percentile(times, 50), p99: percentile(times, 99) };
}

/** The same work on the core in-process: sequential awaited calls with the same payload sizes. */
async function inProcess(dir: string, points: number, perCall: number) {
  const fd = await openFlowdesk({ dataDir: dir });
  const runId = (await fd.handlers['runs.create']({})).run.info.runId;
  const latencies: number[] = [];
  const start = process.hrtime.bigint();
  for (let call = 0; call < points / perCall; call++) {
    const t = process.hrtime.bigint();
    const metrics = Array.from({ length: perCall }, (_, i) => ({ key: 'loss', value: Math.random(), timestamp: 1_700_000_000_000, step: call * perCall + i }));
    await fd.handlers['runs.logBatch']({ runId, metrics });
    latencies.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  await fd.close();
  return { pointsPerSecond: points / seconds, callsPerSecond: points / perCall / seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

export async function runServerBench(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'flowdesk-server-bench-'));
  try {
    const server = await startServe(join(dir, 'served'));
    try {
      const batchRun = ((await post(server.url, '/api/2.0/mlflow/runs/create', { experiment_id: '0' })).run as { info: { run_id: string } }).info.run_id;
      const flush = flushCost(join(dir, 'probe'));
      const sequentialRun = ((await post(server.url, '/api/2.0/mlflow/runs/create', { experiment_id: '0' })).run as { info: { run_id: string } }).info.run_id;
      const oneByOne = await sequentialBatches(server.url, sequentialRun, 200);
      report('one connection: a 1,000-point log-batch until its durable answer', [
        ["this disk's durable flush, 4 KiB + fdatasync (baseline: the floor of any acknowledged write)", `p50 ${flush.p50.toFixed(2)} ms, p99 ${flush.p99.toFixed(2)} ms`],
        ['HTTP log-batch, 1,000 points', `p50 ${oneByOne.p50.toFixed(2)} ms (goal <= 5 ms${oneByOne.p50 <= 5 ? '' : ': NOT MET'}), p99 ${oneByOne.p99.toFixed(2)} ms`],
      ]);
      const batches = await load(server.url, '/api/2.0/mlflow/runs/log-batch', 4, (n) => batchBody(batchRun, n));
      const batchCore = await inProcess(join(dir, 'core-batch'), 200_000, 1000);
      const httpPoints = batches.requests.average * 1000;
      report('log-batch over HTTP: 1,000 points per request, 4 connections', [
        ['in-process logBatch (baseline)', `${Math.round(batchCore.pointsPerSecond).toLocaleString()} points/s`],
        ['HTTP log-batch', `${Math.round(httpPoints).toLocaleString()} points/s (goal >= 200,000${httpPoints >= 200_000 ? '' : ': NOT MET'})`],
        ['ratio HTTP / in-process', (httpPoints / batchCore.pointsPerSecond).toFixed(2)],
      ]);

      const singleRun = ((await post(server.url, '/api/2.0/mlflow/runs/create', { experiment_id: '0' })).run as { info: { run_id: string } }).info.run_id;
      const singles = await load(server.url, '/api/2.0/mlflow/runs/log-metric', 16, (n) =>
        JSON.stringify({ run_id: singleRun, key: 'acc', value: Math.random(), timestamp: 1_700_000_000_000, step: n }),
      );
      const singleCore = await inProcess(join(dir, 'core-single'), 20_000, 1);
      report('single log-metric requests, 16 connections', [
        ['in-process logMetric, one at a time (baseline)', `${Math.round(singleCore.callsPerSecond).toLocaleString()} calls/s, p50 ${singleCore.p50.toFixed(2)} ms, p99 ${singleCore.p99.toFixed(2)} ms`],
        ['HTTP log-metric', `${Math.round(singles.requests.average).toLocaleString()} requests/s (goal >= 5,000), p50 ${singles.latency.p50} ms, p99 ${singles.latency.p99} ms (goal < 5 ms${singles.latency.p99 < 5 ? '' : `: NOT MET; this disk's own flush p99 is ${flush.p99.toFixed(2)} ms`})`],
        ['ratio HTTP / in-process', (singles.requests.average / singleCore.callsPerSecond).toFixed(2)],
      ]);
    } finally {
      await server.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
