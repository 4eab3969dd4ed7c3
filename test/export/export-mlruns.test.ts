/**
 * `flowdesk export` read back by the real MLflow 2.12.2 and 3.5.1: a Flowdesk server is filled by
 * the real client, exported, and the export read through MLflow's own file store (both versions)
 * and through MLflow's own tracking server over it; what MLflow reads there must be what it reads
 * from Flowdesk.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportMlruns, EXPORT_MARKER, type ExportReport } from '#core/export/export-mlruns.ts';
import { startMlflowServer } from '../helpers/mlflow-server.ts';
import { PYTHON_CLIENTS_NOT_RUN_REASON, runPython } from '../helpers/python-clients.ts';
import { serverForFile } from '../helpers/server.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { DUMP, FILL } from './mlflow-scripts.ts';

interface Ids {
  experiment: string;
  old: string;
  parent: string;
  child: string;
  failed: string;
  discarded: string;
  ancient: string;
}

type Dump = {
  experiments: { id: string; name: string; stage: string }[];
  runs: { id: string; stage: string; artifacts: Record<string, string>; history: Record<string, unknown[]> }[];
  models: { name: string; versions: { version: number; files: Record<string, string> }[] }[];
  searchRuns: { ids: string[]; columns: string[] };
};

const fileUri = (folder: string) => `file://${folder}`;

describe.runIf(!PYTHON_CLIENTS_NOT_RUN_REASON)('flowdesk export read back by MLflow 2.12.2', () => {
  const server = serverForFile();
  let ids: Ids;
  let fromFlowdesk: Dump;
  // One export for the file, read by several tests; tests that need their own use tempDir.
  const shared = mkdtempSync(join(tmpdir(), 'flowdesk-export-'));
  const folder = join(shared, 'mlruns');
  let report: ExportReport;
  afterAll(() => rmSync(shared, { recursive: true, force: true }));
  beforeAll(async () => {
    ids = await runPython<Ids>('2.12.2', server().url, FILL);
    fromFlowdesk = await runPython<Dump>('2.12.2', server().url, DUMP);
  }, 170_000);

  it('writes a file store from which MLflow reads every experiment, run, param, tag, metric point, input, artifact and registry entry it reads from Flowdesk', async () => {
    report = await exportMlruns({ flowdesk: server().fd, to: folder });
    const fromExport = await runPython<Dump>('2.12.2', fileUri(folder), DUMP);
    expect(fromExport).toEqual(fromFlowdesk);
    // What the comparison rests on is all there: both experiments (one in the trash), every run
    // in every lifecycle stage, the full 12,000-point history, both versions' files.
    expect(fromExport.experiments.map((e) => [e.name, e.stage])).toEqual(expect.arrayContaining([['vision', 'active'], ['old-project', 'deleted']]));
    expect(fromExport.runs.map((r) => r.id).sort()).toEqual([ids.parent, ids.child, ids.failed, ids.discarded, ids.ancient].sort());
    expect(fromExport.runs.find((r) => r.id === ids.discarded)!.stage).toBe('deleted');
    expect(fromExport.runs.find((r) => r.id === ids.parent)!.history.loss).toHaveLength(12000);
    expect(Object.keys(fromExport.runs.find((r) => r.id === ids.parent)!.artifacts).sort()).toEqual(['model/MLmodel', 'model/data/weights.bin', 'notes.txt']);
    for (const v of fromExport.models[0]!.versions) expect(Object.keys(v.files)).toEqual(expect.arrayContaining(['MLmodel', 'data/weights.bin']));
    // search_all_experiments covers the active experiments, the deleted run included (view type ALL).
    expect(fromExport.searchRuns.ids).toEqual([ids.parent, ids.child, ids.failed, ids.discarded].sort());
    // Flowdesk keeps an identical point logged twice ('acc' at step 0) once.
    expect(report.counts).toMatchObject({ runs: 5, metricPoints: 12000 + 2 + 1 + 1 + 1, registeredModels: 1, modelVersions: 2 });
    expect(report.skipped).toEqual([]);
  });

  it('writes metric values as MLflow does: nan, inf and -inf', () => {
    const lines = readFileSync(join(folder, ids.experiment, ids.parent, 'metrics', 'loss'), 'utf8').split('\n');
    expect(lines.slice(6, 11)).toEqual(['1700000000006 0.14285714285714285 6', '1700000000007 nan 7', '1700000000008 inf 8', '1700000000009 -inf 9', '1700000000010 0.09090909090909091 10']);
  });

  it('keeps a deleted experiment in .trash, whose runs and artifacts MLflow brings back on restore', async () => {
    expect(readdirSync(join(folder, '.trash'))).toEqual([ids.old]);
    expect(existsSync(join(folder, ids.old))).toBe(false);
    const restored = await runPython<{ stage: string; text: string }>(
      '2.12.2',
      fileUri(folder),
      `
import json, mlflow
from mlflow import MlflowClient
c = MlflowClient()
c.restore_experiment("${ids.old}")
run = c.get_run("${ids.ancient}")
print(json.dumps({"stage": run.info.lifecycle_stage, "text": mlflow.artifacts.load_text(run.info.artifact_uri + "/old.txt")}))
`,
    );
    expect(restored).toEqual({ stage: 'active', text: 'old bytes' });
  });

  it('is read by MLflow 2.12.2 tracking server over the export as from Flowdesk', async () => {
    const copy = join(tempDir(), 'mlruns');
    await exportMlruns({ flowdesk: server().fd, to: copy });
    const mlflow = await startMlflowServer({ backendStoreUri: copy });
    try {
      const throughServer = await runPython<Dump>('2.12.2', mlflow.url, DUMP);
      expect(throughServer).toEqual(fromFlowdesk);
    } finally {
      await mlflow.close();
    }
  });

  it('is read by MLflow 3.5.1 as MLflow 2.12.2 reads it from Flowdesk', async () => {
    const copy = join(tempDir(), 'mlruns');
    await exportMlruns({ flowdesk: server().fd, to: copy });
    expect(await runPython<Dump>('3.5.1', fileUri(copy), DUMP)).toEqual(fromFlowdesk);
  });

  it('replaces a previous export and leaves a marker naming what it wrote', async () => {
    const again = await exportMlruns({ flowdesk: server().fd, to: folder });
    expect(again.replaced).toBe(true);
    const marker = JSON.parse(readFileSync(join(folder, EXPORT_MARKER), 'utf8')) as { counts: { runs: number } };
    expect(marker.counts.runs).toBe(5);
    // The restore in the earlier test is undone: the export is again what Flowdesk holds.
    expect(readdirSync(join(folder, '.trash'))).toEqual([ids.old]);
    expect(readdirSync(join(folder, '..')).filter((n) => n.includes('flowdesk-export'))).toEqual([]);
  });

  it('exports one experiment with the registry versions made from its runs', async () => {
    const one = join(tempDir(), 'mlruns');
    const r = await exportMlruns({ flowdesk: server().fd, to: one, experiments: ['vision'] });
    expect(r.counts.runs).toBe(4);
    const dump = await runPython<Dump>('2.12.2', fileUri(one), DUMP);
    expect(dump.experiments.map((e) => e.name).sort()).toEqual(['Default', 'vision']);
    expect(dump.models.map((m) => m.versions.map((v) => v.version))).toEqual([[1, 2]]);
  });

  it('exports one run by id into its experiment', async () => {
    const one = join(tempDir(), 'mlruns');
    const r = await exportMlruns({ flowdesk: server().fd, to: one, runs: [ids.failed] });
    expect(r.counts.runs).toBe(1);
    expect(r.counts.registeredModels).toBe(0);
    expect(readdirSync(join(one, ids.experiment)).filter((n) => /^[0-9a-f]{32}$/.test(n))).toEqual([ids.failed]);
  });
});
