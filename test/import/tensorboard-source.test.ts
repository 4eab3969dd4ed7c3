/**
 * The TensorBoard import source reads real event files written by tensorboardX: every scalar (simple
 * values and tensor scalars) with its step and wall time, hparams, text and images, nested folders,
 * stable run ids, and damaged files (a cut-off last record, bad checksums).
 */
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import type { Metric } from '#core/api/entities.ts';
import type { SourceProblem, SourceRun } from '#core/import/import-source.ts';
import { openTensorBoardSource } from '#core/import/tensorboard/tensorboard-source.ts';
import { readTfRecords } from '#core/import/tensorboard/tfrecord-reader.ts';
import { PYTHON_CLIENTS_NOT_RUN_REASON } from '../helpers/python-clients.ts';
import { writeTensorBoardLogs, type WrittenLogs, type WrittenPoint } from './tensorboard-logs.ts';

interface ReadRun {
  run: SourceRun;
  metrics: Metric[];
  artifacts: Map<string, { bytes: number; content: Buffer }>;
}

/** Opens a folder and reads every run of it whole, as the engine would, with the problems reported. */
async function readAll(folder: string): Promise<{ runs: Map<string, ReadRun>; problems: SourceProblem[] }> {
  const problems: SourceProblem[] = [];
  const source = await openTensorBoardSource(folder, { onProblem: (p) => problems.push(p) });
  const runs = new Map<string, ReadRun>();
  for await (const experiment of source.experiments()) {
    for await (const run of source.runs(experiment)) {
      const metrics: Metric[] = [];
      for await (const batch of run.metrics()) {
        expect(batch.length).toBeLessThanOrEqual(1000);
        metrics.push(...batch);
      }
      const artifacts = new Map<string, { bytes: number; content: Buffer }>();
      for await (const artifact of run.artifacts()) {
        const chunks: Buffer[] = [];
        for await (const chunk of await artifact.open()) chunks.push(Buffer.from(chunk as Uint8Array));
        artifacts.set(artifact.path, { bytes: artifact.bytes, content: Buffer.concat(chunks) });
      }
      const path = run.tags.find((t) => t.key === 'tensorboard.path')!.value;
      runs.set(path, { run, metrics, artifacts });
    }
  }
  return { runs, problems };
}

const asNumber = (v: number | string) => (v === 'NaN' ? Number.NaN : v === 'Infinity' ? Number.POSITIVE_INFINITY : (v as number));

/** The points of one tag as the source read them, in the form the script printed them. */
const pointsOf = (run: ReadRun, key: string) => run.metrics.filter((m) => m.key === key).map((m) => ({ step: m.step, value: m.value, timestamp: m.timestamp }));
const expected = (points: WrittenPoint[]) => points.map((p) => ({ step: p.step, value: asNumber(p.value), timestamp: Math.round(p.wallTime * 1000) }));

/** The event file of a run folder (each folder here has one). */
const eventFile = (dir: string) => join(dir, readdirSync(dir).find((n) => n.includes('tfevents'))!);

async function recordOffsets(file: string): Promise<number[]> {
  const offsets: number[] = [];
  for await (const batch of readTfRecords(file)) offsets.push(...batch.offsets.slice(0, batch.count));
  return offsets;
}

describe.runIf(!PYTHON_CLIENTS_NOT_RUN_REASON)('TensorBoard source on tensorboardX files', () => {
  let root: string;
  let logs: string;
  let written: WrittenLogs;
  let read: Awaited<ReturnType<typeof readAll>>;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'flowdesk-tb-'));
    logs = join(root, 'logs');
    mkdirSync(logs);
    written = await writeTensorBoardLogs(logs);
    read = await readAll(logs);
  }, 120_000);
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  /** A copy of one run folder of the logs, alone in a new folder, to damage. */
  function copyOf(folder: string): string {
    const dir = mkdtempSync(join(root, 'copy-'));
    cpSync(join(logs, folder), join(dir, folder), { recursive: true });
    return dir;
  }

  it('reads every scalar of several tags with its step, value and wall time', () => {
    const run = read.runs.get('scalars')!;
    for (const tag of ['train/loss', 'train/acc', 'lr']) {
      expect(written.scalars.scalars![tag]!.length).toBe(1000);
      expect(pointsOf(run, tag)).toEqual(expected(written.scalars.scalars![tag]!));
    }
  });

  it('keeps NaN and Infinity', () => {
    expect(pointsOf(read.runs.get('scalars')!, 'odd')).toEqual(expected(written.scalars.scalars!.odd!));
  });

  it('reads tensor scalars, double values and float content, with the plugin named on the first value only', () => {
    const run = read.runs.get('tensors')!;
    for (const tag of ['val/double', 'val/content']) {
      expect(pointsOf(run, tag)).toEqual(expected(written.scalars.tensors![tag]!));
    }
    expect(run.metrics).toHaveLength(400);
  });

  it('takes the hparams of add_hparams as params and its metrics as metrics', () => {
    const session = read.runs.get(written.hparams.folder)!;
    const params = Object.fromEntries(session.run.params.map((p) => [p.key, p.value]));
    expect(params).toEqual(written.hparams.params);
    const metrics = Object.fromEntries(session.metrics.map((m) => [m.key, m.value]));
    expect(metrics).toEqual(written.hparams.metrics);
    expect(session.run.status).toBe('FINISHED');
  });

  it('writes text summaries as one Markdown file per tag, a section per step', () => {
    const text = read.runs.get('scalars')!.artifacts.get('tensorboard/text/notes/text_summary.md')!;
    const expectedText = written.texts.map((t) => `## Step ${t.step} (${new Date(Math.round(t.wallTime * 1000)).toISOString()})\n\n${t.text}\n\n`).join('');
    expect(text.content.toString('utf8')).toBe(expectedText);
    expect(text.bytes).toBe(text.content.length);
  });

  it('writes images as PNG files per tag and step, byte for byte', () => {
    const artifacts = read.runs.get('scalars')!.artifacts;
    for (const image of written.images) {
      const file = artifacts.get(`tensorboard/images/samples/input/${image.step}.png`)!;
      expect(file.content.equals(Buffer.from(image.png, 'base64'))).toBe(true);
      expect(file.bytes).toBe(file.content.length);
    }
    expect([...artifacts.keys()].filter((p) => p.startsWith('tensorboard/images/'))).toHaveLength(written.images.length);
  });

  it('reports what it does not import, by kind and tag', () => {
    const problem = read.problems.find((p) => p.where === join(logs, 'scalars'));
    expect(problem?.message).toMatch(/not imported.*histograms \(weights\)/);
  });

  it('makes a run folder inside another run folder a child run of it', () => {
    const parent = read.runs.get('scalars')!.run;
    const child = read.runs.get('scalars/session')!.run;
    expect(child.tags).toContainEqual({ key: 'mlflow.parentRunId', value: parent.runId });
    expect(child.runName).toBe('scalars/session');
    expect(parent.tags.find((t) => t.key === 'mlflow.parentRunId')).toBeUndefined();
  });

  it('names nested runs by their relative path and tags the folders above as a group', () => {
    for (const version of [0, 1]) {
      const { run, metrics } = read.runs.get(`lightning_logs/version_${version}`)!;
      expect(run.runName).toBe(`lightning_logs/version_${version}`);
      expect(run.tags).toContainEqual({ key: 'tensorboard.group', value: 'lightning_logs' });
      expect(run.tags.find((t) => t.key === 'mlflow.parentRunId')).toBeUndefined();
      expect(metrics.map((m) => m.value)).toEqual(written.scalars[`lightning_logs/version_${version}`]!.epoch_loss!.map((p) => p.value));
    }
    expect([...read.runs.keys()].sort()).toEqual(['lightning_logs/version_0', 'lightning_logs/version_1', 'scalars', 'scalars/session', 'tensors']);
  });

  it('takes start and end times from the first and last events', () => {
    const { run } = read.runs.get('tensors')!;
    const points = written.scalars.tensors!['val/double']!;
    expect(run.startTime).toBeLessThanOrEqual(Math.round(points[0]!.wallTime * 1000));
    expect(run.endTime).toBe(Math.round(points[points.length - 1]!.wallTime * 1000));
  });

  it('derives the same 32-hex run ids when the same folder is read again', async () => {
    const again = await readAll(logs);
    const ids = [...read.runs.values()].map((r) => r.run.runId);
    expect([...again.runs.values()].map((r) => r.run.runId)).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{32}$/);
  });

  it('derives the same run id from a copy of the folder elsewhere', async () => {
    const copy = copyOf('tensors');
    const { runs } = await readAll(copy);
    expect(runs.get('tensors')!.run.runId).toBe(read.runs.get('tensors')!.run.runId);
  });

  it('imports everything before a cut-off last record and says where the cut is', async () => {
    const dir = copyOf('lightning_logs/version_0');
    const file = eventFile(join(dir, 'lightning_logs/version_0'));
    const offsets = await recordOffsets(file);
    const last = offsets[offsets.length - 1]!;
    truncateSync(file, last + 15);
    const { runs, problems } = await readAll(dir);
    const points = written.scalars['lightning_logs/version_0']!.epoch_loss!;
    expect(pointsOf(runs.get('lightning_logs/version_0')!, 'epoch_loss')).toEqual(expected(points.slice(0, -1)));
    expect(problems).toContainEqual({ where: `${file} at byte ${last}`, message: expect.stringMatching(/ends inside a record/) });
  });

  it('skips a record whose data fails its checksum and reads the rest of the file', async () => {
    const dir = copyOf('lightning_logs/version_1');
    const file = eventFile(join(dir, 'lightning_logs/version_1'));
    const offsets = await recordOffsets(file);
    // Records: the file version, then one per step; damage step 4's data.
    const bytes = readFileSync(file);
    const at = offsets[5]! + 12 + 3;
    bytes[at] = bytes[at]! ^ 0xff;
    writeFileSync(file, bytes);
    const { runs, problems } = await readAll(dir);
    const points = written.scalars['lightning_logs/version_1']!.epoch_loss!;
    expect(pointsOf(runs.get('lightning_logs/version_1')!, 'epoch_loss')).toEqual(expected(points.filter((p) => p.step !== 4)));
    expect(problems).toContainEqual({ where: `${file} at byte ${offsets[5]}`, message: expect.stringMatching(/data fails its checksum.*skipped/) });
  });

  it('stops reading a file at a record whose length fails its checksum', async () => {
    const dir = copyOf('lightning_logs/version_1');
    const file = eventFile(join(dir, 'lightning_logs/version_1'));
    const offsets = await recordOffsets(file);
    const bytes = readFileSync(file);
    bytes[offsets[7]! + 9] = bytes[offsets[7]! + 9]! ^ 0x01;
    writeFileSync(file, bytes);
    const { runs, problems } = await readAll(dir);
    const points = written.scalars['lightning_logs/version_1']!.epoch_loss!;
    expect(pointsOf(runs.get('lightning_logs/version_1')!, 'epoch_loss')).toEqual(expected(points.slice(0, 6)));
    expect(problems).toContainEqual({ where: `${file} at byte ${offsets[7]}`, message: expect.stringMatching(/length fails its checksum/) });
  });

  it('reads the files of a run in the order they were written', async () => {
    const dir = copyOf('lightning_logs/version_0');
    const run = join(dir, 'lightning_logs/version_0');
    const first = eventFile(run);
    // A later file of the same run (a resumed job), named as writers name them: the time comes first.
    copyFileSync(join(logs, 'lightning_logs/version_1', readdirSync(join(logs, 'lightning_logs/version_1'))[0]!), join(run, 'events.out.tfevents.9999999999.later'));
    const { runs } = await readAll(dir);
    const values = runs.get('lightning_logs/version_0')!.metrics.map((m) => m.value);
    const v0 = written.scalars['lightning_logs/version_0']!.epoch_loss!.map((p) => p.value);
    const v1 = written.scalars['lightning_logs/version_1']!.epoch_loss!.map((p) => p.value);
    expect(values).toEqual([...v0, ...v1]);
    expect(first < join(run, 'events.out.tfevents.9999999999.later')).toBe(true);
  });
});

describe('TensorBoard source refusals', () => {
  it('refuses a folder without event files, saying what it expected', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flowdesk-tb-empty-'));
    onTestFinishedRemove(dir);
    mkdirSync(join(dir, 'sub'));
    writeFileSync(join(dir, 'sub', 'notes.txt'), 'not an event file');
    await expect(openTensorBoardSource(dir, { onProblem: () => undefined })).rejects.toMatchObject({
      code: 'INVALID_PARAMETER_VALUE',
      message: expect.stringMatching(/holds no TensorBoard event files: expected files named events\.out\.tfevents\.\*/),
    });
  });

  it('refuses a path that is not a folder', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flowdesk-tb-file-'));
    onTestFinishedRemove(dir);
    writeFileSync(join(dir, 'events.out.tfevents.1.host'), '');
    await expect(openTensorBoardSource(join(dir, 'events.out.tfevents.1.host'), { onProblem: () => undefined })).rejects.toMatchObject({
      code: 'INVALID_PARAMETER_VALUE',
      message: expect.stringMatching(/is not a folder/),
    });
  });
});

function onTestFinishedRemove(dir: string): void {
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
}
