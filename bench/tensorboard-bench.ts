/**
 * TensorBoard import: one event file of 1,000,000 scalars (four tags, as a training loop writes
 * them) read through the TensorBoard source, and imported whole through `imports.start`, against Flowdesk's own `logBatch` of the same number
 * of points measured in the same run, with the heap high-water mark while reading and the resident
 * set's while importing (both must stay flat: the file is streamed, never held whole).
 */
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openFlowdesk } from '#core/flowdesk.ts';
import { openTensorBoardSource } from '#core/import/tensorboard/tensorboard-source.ts';
import { writeScalarEventFile } from '../test/import/tensorboard-logs.ts';
import { report } from './bench-util.ts';

const POINTS = 1_000_000;
const TAGS = ['train/loss', 'train/acc', 'val/loss', 'lr'];
const BATCH = 1000;

/** Reads every point through the source; returns points/s and the heap in use at the start and at its highest. */
async function parse(dir: string): Promise<{ rate: number; points: number; heapStartMb: number; heapPeakMb: number }> {
  global.gc?.();
  const heapStart = process.memoryUsage().heapUsed;
  let heapPeak = heapStart;
  const start = process.hrtime.bigint();
  const source = await openTensorBoardSource(dir, { onProblem: (p) => console.log(`  problem: ${p.where}: ${p.message}`) });
  let points = 0;
  for await (const experiment of source.experiments()) {
    for await (const run of source.runs(experiment)) {
      for await (const batch of run.metrics()) {
        points += batch.length;
        heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
      }
    }
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return { rate: points / seconds, points, heapStartMb: heapStart / 1e6, heapPeakMb: heapPeak / 1e6 };
}

/**
 * The whole import through the contract (`imports.start`: source, engine, catalog) into a fresh
 * data folder; points/s, and the resident set at the start and at its highest while importing.
 */
async function importRate(dir: string, logs: string): Promise<{ rate: number; added: number; rssStartMb: number; rssPeakMb: number }> {
  const fd = await openFlowdesk({ dataDir: join(dir, 'imported') });
  const rssStart = process.memoryUsage.rss();
  let rssPeak = rssStart;
  const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage.rss())), 50);
  try {
    let finished!: () => void;
    const done = new Promise<void>((resolve) => (finished = resolve));
    const unsubscribe = fd.events.subscribe((event) => {
      if (event.type === 'imports.finished') finished();
    });
    const start = process.hrtime.bigint();
    const { importId } = await fd.handlers['imports.start']({ source: logs });
    await done;
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    unsubscribe();
    const { import: status } = await fd.handlers['imports.get']({ importId });
    if (status.state !== 'done') throw new Error(`the import ended ${status.state}: ${status.error ?? ''}`);
    return { rate: status.summary!.points.read / seconds, added: status.summary!.points.added, rssStartMb: rssStart / 1e6, rssPeakMb: rssPeak / 1e6 };
  } finally {
    clearInterval(sampler);
    await fd.close();
  }
}

/** Flowdesk's own write path: the same number of points through `runs.logBatch`, 1,000 a call. */
async function logBatchRate(dir: string): Promise<number> {
  const fd = await openFlowdesk({ dataDir: join(dir, 'fd') });
  try {
    const runId = (await fd.handlers['runs.create']({})).run.info.runId;
    const start = process.hrtime.bigint();
    for (let b = 0; b < POINTS / BATCH; b++) {
      const metrics = Array.from({ length: BATCH }, (_, j) => {
        const i = b * BATCH + j;
        const step = Math.floor(i / TAGS.length);
        return { key: TAGS[i % TAGS.length]!, value: Math.sin(i / 1000), timestamp: 1_765_000_000_000 + step * 10, step };
      });
      await fd.handlers['runs.logBatch']({ runId, metrics });
    }
    return POINTS / (Number(process.hrtime.bigint() - start) / 1e9);
  } finally {
    await fd.close();
  }
}

/** Runs the TensorBoard benchmark and prints it. */
export async function runTensorBoardBench(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'flowdesk-tb-bench-'));
  try {
    const logs = join(dir, 'logs');
    mkdirSync(join(logs, 'run'), { recursive: true });
    const file = await writeScalarEventFile(join(logs, 'run'), POINTS, TAGS);
    const parsed = await parse(logs);
    const baseline = await logBatchRate(dir);
    const imported = await importRate(dir, logs);
    report('TensorBoard import (1,000,000 scalars in one event file)', [
      ['event file', `${(statSync(file).size / 1e6).toFixed(1)} MB, ${parsed.points.toLocaleString('en')} points read`],
      ['source read (framing, CRC, decode)', `${Math.round(parsed.rate).toLocaleString('en')} points/s`],
      ['logBatch baseline', `${Math.round(baseline).toLocaleString('en')} points/s`],
      ['read / logBatch', `${(parsed.rate / baseline).toFixed(2)}x`],
      ['import (imports.start, engine)', `${Math.round(imported.rate).toLocaleString('en')} points/s, ${imported.added.toLocaleString('en')} points added`],
      ['import / logBatch', `${(imported.rate / baseline).toFixed(2)}x`],
      ['heap while reading', `${parsed.heapStartMb.toFixed(0)} MB at the start, ${parsed.heapPeakMb.toFixed(0)} MB at most, for a ${(statSync(file).size / 1e6).toFixed(0)} MB file`],
      ['resident set while importing', `${imported.rssStartMb.toFixed(0)} MB at the start, ${imported.rssPeakMb.toFixed(0)} MB at most`],
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
