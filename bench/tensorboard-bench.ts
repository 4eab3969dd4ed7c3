/**
 * TensorBoard import: one event file of 1,000,000 scalars (four tags, as a training loop writes
 * them) read through the TensorBoard source, and imported whole through `imports.start`, against Flowdesk's own `logBatch` of the same number
 * of points measured in the same run, with the heap high-water mark while reading (it must stay
 * flat: the file is streamed, never held whole).
 */
import { createWriteStream, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { openFlowdesk } from '#core/flowdesk.ts';
import { maskedCrc32c } from '#core/import/tensorboard/crc32c.ts';
import { openTensorBoardSource } from '#core/import/tensorboard/tensorboard-source.ts';
import { report } from './bench-util.ts';

const POINTS = 1_000_000;
const TAGS = ['train/loss', 'train/acc', 'val/loss', 'lr'];
const BATCH = 1000;

/** One TFRecord: length, its masked CRC, the data, the data's masked CRC. */
function frame(data: Buffer): Buffer {
  const out = Buffer.alloc(12 + data.length + 4);
  out.writeUInt32LE(data.length, 0);
  out.writeUInt32LE(0, 4);
  out.writeUInt32LE(maskedCrc32c(out, 0, 8), 8);
  data.copy(out, 12);
  out.writeUInt32LE(maskedCrc32c(data), 12 + data.length);
  return out;
}

function varint(n: number): number[] {
  const bytes: number[] = [];
  while (n >= 0x80) {
    bytes.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  bytes.push(n);
  return bytes;
}

/** An Event holding one simple-value scalar, encoded as TensorFlow encodes it. */
function scalarEvent(wallTime: number, step: number, tag: string, value: number): Buffer {
  const tagBytes = Buffer.from(tag);
  const val = Buffer.concat([Buffer.from([0x0a, ...varint(tagBytes.length)]), tagBytes, Buffer.from([0x15]), floatBytes(value)]);
  const summary = Buffer.concat([Buffer.from([0x0a, ...varint(val.length)]), val]);
  const head = Buffer.alloc(9);
  head[0] = 0x09;
  head.writeDoubleLE(wallTime, 1);
  return Buffer.concat([head, Buffer.from([0x10, ...varint(step), 0x2a, ...varint(summary.length)]), summary]);
}

function floatBytes(value: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeFloatLE(value, 0);
  return b;
}

async function writeEventFile(dir: string): Promise<string> {
  const file = join(dir, 'events.out.tfevents.1765000000.bench');
  const out = createWriteStream(file);
  const version = Buffer.concat([Buffer.from([0x09]), Buffer.alloc(8), Buffer.from([0x1a, 13]), Buffer.from('brain.Event:2')]);
  version.writeDoubleLE(1_765_000_000, 1);
  out.write(frame(version));
  let chunk: Buffer[] = [];
  for (let i = 0; i < POINTS; i++) {
    const step = Math.floor(i / TAGS.length);
    chunk.push(frame(scalarEvent(1_765_000_000 + step * 0.01, step, TAGS[i % TAGS.length]!, Math.sin(i / 1000))));
    if (chunk.length === 10_000) {
      if (!out.write(Buffer.concat(chunk))) await once(out, 'drain');
      chunk = [];
    }
  }
  out.end(Buffer.concat(chunk));
  await once(out, 'finish');
  return file;
}

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

/** The whole import through the contract (`imports.start`: source, engine, catalog) into a fresh data folder; points/s. */
async function importRate(dir: string, logs: string): Promise<{ rate: number; added: number }> {
  const fd = await openFlowdesk({ dataDir: join(dir, 'imported') });
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
    return { rate: status.summary!.points.read / seconds, added: status.summary!.points.added };
  } finally {
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
    const file = await writeEventFile(join(logs, 'run'));
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
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
