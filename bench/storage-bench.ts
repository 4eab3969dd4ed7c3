/**
 * Storage benchmark: catalog bytes per metric point, whole files (catalog.sqlite and its WAL
 * after a checkpoint) over points, for FLOWDESK_BENCH_STORAGE_POINTS points (default 2,000,000;
 * 10,000,000 takes minutes on a shared two-core machine) logged through `runs.logBatch` in
 * batches of 1,000 across 10 runs × 10 keys, as a training loop logs them. The baseline is the
 * bytes of the points' own fields (run id, key id, step, timestamp, value: 8 bytes each).
 */
import { mkdtempSync, rmSync, statSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openFlowdesk } from '#core/flowdesk.ts';
import { goal, report } from './bench-util.ts';

const POINTS = Number(process.env.FLOWDESK_BENCH_STORAGE_POINTS ?? 2_000_000);
const RUNS = 10;
const KEYS = 10;
/** MLflow's SQLite store, measured the same way (whole file over points), for comparison. */
const MLFLOW_SQLITE_BYTES_PER_POINT = 258;

export async function runStorageBench(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'flowdesk-storage-bench-'));
  try {
    const fd = await openFlowdesk({ dataDir: dir });
    const runIds: string[] = [];
    for (let r = 0; r < RUNS; r++) runIds.push((await fd.handlers['runs.create']({ runName: `run-${r}` })).run.info.runId);
    const perSeries = POINTS / (RUNS * KEYS);
    const started = process.hrtime.bigint();
    for (let r = 0; r < RUNS; r++) {
      for (let step = 0; step < perSeries; step += 100) {
        // 100 steps of all 10 keys: one batch of 1,000 points.
        const metrics = [];
        for (let s = step; s < step + 100; s++) {
          for (let k = 0; k < KEYS; k++) metrics.push({ key: `metric_${k}`, value: Math.sin(s / 100 + k) * Math.exp(-s / perSeries), timestamp: 1_700_000_000_000 + s * 50, step: s });
        }
        await fd.handlers['runs.logBatch']({ runId: runIds[r]!, metrics });
      }
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    await fd.close();
    const catalog = join(dir, 'catalog.sqlite');
    const bytes = [catalog, `${catalog}-wal`].filter(existsSync).reduce((sum, file) => sum + statSync(file).size, 0);
    const perPoint = bytes / POINTS;
    report(`storage: ${POINTS.toLocaleString()} metric points (${RUNS} runs x ${KEYS} keys)${POINTS < 10_000_000 ? '; 10M with FLOWDESK_BENCH_STORAGE_POINTS=10000000' : ''}`, [
      ['raw fields of a point: run, key, step, timestamp, value (baseline)', '40 bytes'],
      ['MLflow SQLite store (measured once, for reference)', `~${MLFLOW_SQLITE_BYTES_PER_POINT} bytes`],
      ['Flowdesk catalog, whole files over points', `${perPoint.toFixed(1)} bytes/point ${goal(perPoint, 40, '<= 40')}, ${(bytes / 1e6).toFixed(0)} MB`],
      ['logging rate while filling it', `${Math.round(POINTS / seconds).toLocaleString()} points/s`],
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
