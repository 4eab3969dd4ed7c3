/**
 * Core benchmarks: logBatch throughput against a raw better-sqlite3 bulk insert of the same rows
 * (same file settings, same table shape, measured in the same run), and the time to chart a
 * 1,000,000-point series as 1,000 min/max buckets.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openFlowdesk } from '#core/flowdesk.ts';
import { median, report, time } from './bench-util.ts';

const BATCH = 1000;
const BATCHES = 200;

function rows(batch: number) {
  return Array.from({ length: BATCH }, (_, i) => {
    const step = batch * BATCH + i;
    return { key: 'loss', value: Math.sin(step / 50) + step / 1e5, timestamp: 1_700_000_000_000 + step, step };
  });
}

/** The baseline: the same rows into the same table shape with one prepared statement per batch. */
function rawInsert(dir: string): number {
  mkdirSync(dir, { recursive: true });
  const db = new Database(join(dir, 'raw.sqlite'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec('create table metrics (series_id integer not null, step integer not null, timestamp integer not null, value real not null, is_nan integer not null, primary key (series_id, step, timestamp, value, is_nan)) without rowid');
  const insert = db.prepare('insert into metrics values (?, ?, ?, ?, ?)');
  const batchInsert = db.transaction((points: ReturnType<typeof rows>) => {
    for (const p of points) insert.run(1, p.step, p.timestamp, p.value, 0);
  });
  const batches = Array.from({ length: BATCHES }, (_, b) => rows(b));
  const seconds = time(() => batches.forEach((b) => batchInsert(b)));
  db.close();
  return (BATCH * BATCHES) / seconds;
}

async function flowdeskInsert(dir: string): Promise<number> {
  const fd = await openFlowdesk({ dataDir: join(dir, 'fd') });
  const runId = (await fd.handlers['runs.create']({})).run.info.runId;
  const batches = Array.from({ length: BATCHES }, (_, b) => rows(b));
  const start = process.hrtime.bigint();
  for (const metrics of batches) await fd.handlers['runs.logBatch']({ runId, metrics });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  await fd.close();
  return (BATCH * BATCHES) / seconds;
}

async function sampledRead(dir: string): Promise<{ ms: number; buckets: number; fullScanMs: number }> {
  const fd = await openFlowdesk({ dataDir: join(dir, 'million') });
  const runId = (await fd.handlers['runs.create']({})).run.info.runId;
  const POINTS = 1_000_000;
  for (let b = 0; b < POINTS / BATCH; b++) await fd.handlers['runs.logBatch']({ runId, metrics: rows(b) });
  const samples: number[] = [];
  let buckets = 0;
  for (let i = 0; i < 7; i++) {
    const start = process.hrtime.bigint();
    const result = await fd.handlers['metrics.sampled']({ runId, key: 'loss', buckets: 1000 });
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
    buckets = result.buckets.length;
  }
  // Baseline in the same run: the min/max per bucket by scanning every raw point in SQL.
  const series = await fd.catalog.db.selectFrom('metric_series').select('id').executeTakeFirstOrThrow();
  const raw = new Database(join(dir, 'million', 'catalog.sqlite'), { readonly: true });
  const scan = raw.prepare('select step / 1000 as b, min(value), max(value), count(*) from metrics where series_id = ? group by b');
  const fullScanMs = median(Array.from({ length: 3 }, () => time(() => scan.all(series.id)) * 1000));
  raw.close();
  await fd.close();
  return { ms: median(samples), buckets, fullScanMs };
}

export async function runTrackingBench(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'flowdesk-bench-'));
  try {
    // Alternate baseline and Flowdesk rounds so disk flush jitter hits both alike; report medians.
    const raws: number[] = [];
    const ourRates: number[] = [];
    for (let round = 0; round < 3; round++) {
      raws.push(rawInsert(join(dir, `round${round}`)));
      ourRates.push(await flowdeskInsert(join(dir, `round${round}`)));
    }
    const raw = median(raws);
    const ours = median(ourRates);
    report('logBatch, 1,000 points per batch into one run', [
      ['raw better-sqlite3 bulk insert (baseline, median of 3)', `${Math.round(raw).toLocaleString()} points/s`],
      ['Flowdesk logBatch: history + latest + summaries (median of 3)', `${Math.round(ours).toLocaleString()} points/s`],
      ['ratio (goal >= 0.5)', (ours / raw).toFixed(2)],
    ]);
    const sampled = await sampledRead(dir);
    report('Chart a 1,000,000-point series as 1,000 min/max buckets', [
      ['full SQL scan of raw points (baseline)', `${sampled.fullScanMs.toFixed(1)} ms`],
      ['Flowdesk metrics.sampled (median of 7)', `${sampled.ms.toFixed(1)} ms for ${sampled.buckets} buckets (goal < 100 ms)`],
      ['speed-up over the scan', `${(sampled.fullScanMs / sampled.ms).toFixed(1)}x`],
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
