/**
 * TensorBoard logs written by tensorboardX, imported through the contract (`imports.start`, the
 * engine, the catalog and the artifact store) and read back: runs, nesting, params, every metric
 * point, artifacts; a second import adds nothing; a folder that is neither kind is refused.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import type { ImportStatus } from '#core/api/imports-contract.ts';
import { openFlowdesk, type Flowdesk } from '#core/flowdesk.ts';
import { PYTHON_CLIENTS_NOT_RUN_REASON } from '../helpers/python-clients.ts';
import { writeTensorBoardLogs, type WrittenLogs } from './tensorboard-logs.ts';

/** Starts an import and waits for its end event, then answers its status with the summary. */
async function importAndWait(fd: Flowdesk, source: string): Promise<ImportStatus> {
  let finished!: (id: string) => void;
  const done = new Promise<string>((resolve) => (finished = resolve));
  const unsubscribe = fd.events.subscribe((event) => {
    if (event.type === 'imports.finished') finished(event.importId);
  });
  try {
    const { importId } = await fd.handlers['imports.start']({ source });
    expect(await done).toBe(importId);
    return (await fd.handlers['imports.get']({ importId })).import;
  } finally {
    unsubscribe();
  }
}

async function history(fd: Flowdesk, runId: string, key: string) {
  const points = [];
  let pageToken: string | undefined;
  do {
    const page = await fd.handlers['metrics.history']({ runId, key, pageToken });
    points.push(...page.metrics);
    pageToken = page.nextPageToken;
  } while (pageToken);
  return points;
}

describe.runIf(!PYTHON_CLIENTS_NOT_RUN_REASON)('importing TensorBoard logs through the engine', () => {
  let root: string;
  let logs: string;
  let written: WrittenLogs;
  let fd: Flowdesk;
  let first: ImportStatus;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'flowdesk-tb-import-'));
    logs = join(root, 'tb-logs');
    mkdirSync(logs);
    written = await writeTensorBoardLogs(logs);
    fd = await openFlowdesk({ dataDir: join(root, 'data') });
    first = await importAndWait(fd, logs);
  }, 120_000);
  afterAll(async () => {
    await fd?.close();
    rmSync(root, { recursive: true, force: true });
  });

  const runsByName = async () => {
    const experimentId = first.summary!.experimentIds[0]!;
    const { runs } = await fd.handlers['runs.search']({ experimentIds: [experimentId], maxResults: 100 });
    return new Map(runs.map((r) => [r.info.runName, r]));
  };

  it('creates one experiment named after the folder, with a run per run folder', async () => {
    expect(first.state).toBe('done');
    expect(first.summary!.experiments.created).toBe(1);
    const { experiment } = await fd.handlers['experiments.get']({ experimentId: first.summary!.experimentIds[0]! });
    expect(experiment.name).toBe('tb-logs');
    expect([...(await runsByName()).keys()].sort()).toEqual(['lightning_logs/version_0', 'lightning_logs/version_1', 'scalars', 'scalars/session', 'tensors']);
    expect(first.summary!.runs.imported).toBe(5);
  });

  it('stores every scalar point with its step, value and wall time', async () => {
    const runs = await runsByName();
    let total = 0;
    for (const [folder, tags] of Object.entries(written.scalars)) {
      for (const [tag, points] of Object.entries(tags)) {
        const stored = await history(fd, runs.get(folder)!.info.runId, tag);
        const asNumber = (v: number | string) => (v === 'NaN' ? Number.NaN : v === 'Infinity' ? Number.POSITIVE_INFINITY : (v as number));
        expect(stored.map((m) => [m.step, m.value, m.timestamp])).toEqual(points.map((p) => [p.step, asNumber(p.value), Math.round(p.wallTime * 1000)]));
        total += points.length;
      }
    }
    // add_hparams' own metrics are the points not in `written.scalars`.
    expect(first.summary!.points.read).toBe(total + Object.keys(written.hparams.metrics).length);
  });

  it('stores the hparams as params of the session run, a child of its run', async () => {
    const runs = await runsByName();
    const session = runs.get('scalars/session')!;
    expect(Object.fromEntries(session.data.params.map((p) => [p.key, p.value]))).toEqual(written.hparams.params);
    expect(session.data.tags).toContainEqual({ key: 'mlflow.parentRunId', value: runs.get('scalars')!.info.runId });
  });

  it('stores text and images as artifacts', async () => {
    const runId = (await runsByName()).get('scalars')!.info.runId;
    const images = await fd.handlers['artifacts.list']({ runId, path: 'tensorboard/images/samples/input' });
    expect(images.files.map((f) => [f.path, f.fileSize])).toEqual(
      written.images.map((i) => [`${i.step}.png`, Buffer.from(i.png, 'base64').length]),
    );
    const text = await fd.handlers['artifacts.list']({ runId, path: 'tensorboard/text/notes' });
    expect(text.files.map((f) => f.path)).toEqual(['text_summary.md']);
  });

  it('lists what it did not import in the summary', () => {
    expect(first.summary!.problems).toContainEqual({ where: join(logs, 'scalars'), message: expect.stringMatching(/histograms \(weights\)/) });
  });

  it('adds nothing when the same folder is imported again', async () => {
    const again = await importAndWait(fd, logs);
    expect(again.summary!.runs).toEqual({ imported: 0, alreadyThere: 5 });
    expect(again.summary!.points.added).toBe(0);
    expect(again.summary!.experimentIds).toEqual(first.summary!.experimentIds);
  });
});

describe('choosing the source of a folder', () => {
  it('refuses a folder that is neither an mlruns folder nor TensorBoard logs, saying what it expected', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flowdesk-neither-'));
    const fd = await openFlowdesk({ dataDir: join(dir, 'data') });
    onTestFinished(async () => {
      await fd.close();
      rmSync(dir, { recursive: true, force: true });
    });
    mkdirSync(join(dir, 'stuff'));
    writeFileSync(join(dir, 'stuff', 'notes.txt'), 'hello');
    await expect(fd.handlers['imports.start']({ source: join(dir, 'stuff') })).rejects.toMatchObject({
      code: 'INVALID_PARAMETER_VALUE',
      message: expect.stringMatching(/neither an mlruns folder .* nor a folder of TensorBoard logs \(files named events\.out\.tfevents\.\*/),
    });
  });
});
