/**
 * Importing mlruns/ folders that are damaged or hostile: a small real folder written by MLflow
 * 2.12.2, copied for each test and then broken in one way. What can be read still arrives; what
 * cannot is named (file and line) in the summary; nothing outside the folder is ever read.
 */
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '#core/api/client.ts';
import type { ImportSummary } from '#core/api/imports-contract.ts';
import { createProblemLog, importFrom } from '#core/import/import-engine.ts';
import { openMlrunsSource } from '#core/import/mlruns/mlruns-source.ts';
import type { Flowdesk } from '#core/flowdesk.ts';
import { PYTHON_CLIENTS_NOT_RUN_REASON, runPython } from '../helpers/python-clients.ts';
import { testFlowdesk } from '../helpers/flowdesk.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const SCRIPT = String.raw`
import json, os, mlflow
from mlflow import MlflowClient
mlflow.set_experiment('small')
with mlflow.start_run(run_name='one') as one:
    mlflow.log_param('lr', '0.1')
    for step in range(5):
        mlflow.log_metric('loss', 1.0 / (step + 1), step=step)
    open('a.txt', 'w').write('artifact')
    mlflow.log_artifact('a.txt')
    mlflow.sklearn.log_model(__import__('sklearn.linear_model', fromlist=['x']).LinearRegression().fit([[1], [2]], [1, 2]), 'model', registered_model_name='small-model')
with mlflow.start_run(run_name='two') as two:
    mlflow.log_metric('acc', 0.5)
print(json.dumps({'one': one.info.run_id, 'two': two.info.run_id, 'experiment': one.info.experiment_id}))
`;

interface Written {
  one: string;
  two: string;
  experiment: string;
}

/** Imports `folder` into `fd` with the engine; answers the summary. */
async function importFolder(fd: Flowdesk, folder: string, options: { leaveArtifacts?: boolean } = {}): Promise<ImportSummary> {
  const problems = createProblemLog();
  const source = await openMlrunsSource(folder, { onProblem: problems.onProblem });
  return importFrom(source, fd, { problems, ...options });
}

describe.runIf(!PYTHON_CLIENTS_NOT_RUN_REASON)('a damaged or hostile mlruns folder', () => {
  let original: string;
  let ids: Written;

  beforeAll(async () => {
    original = join(mkdtempSync(join(tmpdir(), 'flowdesk-hostile-')), 'mlruns');
    ids = await runPython<Written>('2.12.2', `file://${original}`, SCRIPT, { timeoutMs: 300_000 });
  }, 300_000);

  /** A fresh copy of the real folder, for one test to break. */
  function copy(): string {
    const dir = join(tempDir(), 'mlruns');
    cpSync(original, dir, { recursive: true });
    return dir;
  }

  const history = async (api: Client, runId: string, key: string) => (await api.call('metrics.history', { runId, key })).metrics.map((m) => [m.step, m.value]);

  it('names the file and line of a damaged metric line and imports every other point', async () => {
    const mlruns = copy();
    const file = join(mlruns, ids.experiment, ids.one, 'metrics', 'loss');
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    writeFileSync(file, [...lines.slice(0, 2), '17000000 not-a-number 2', ...lines.slice(2)].join('\n') + '\n');
    const { fd, api } = await testFlowdesk();
    const summary = await importFolder(fd, mlruns);
    expect(summary.problems).toEqual([{ where: `${ids.experiment}/${ids.one}/metrics/loss:3`, message: expect.stringContaining("expected 'timestamp value step'") }]);
    expect(await history(api, ids.one, 'loss')).toEqual([0, 1, 2, 3, 4].map((s) => [s, 1 / (s + 1)]));
    expect(summary.runs.imported).toBe(2);
  });

  it('skips a run whose meta.yaml is damaged, naming it, and imports the others', async () => {
    const mlruns = copy();
    writeFileSync(join(mlruns, ids.experiment, ids.two, 'meta.yaml'), 'run_id: [unclosed\n');
    const { fd, api } = await testFlowdesk();
    const summary = await importFolder(fd, mlruns);
    expect(summary.problems).toEqual([{ where: `${ids.experiment}/${ids.two}/meta.yaml`, message: expect.stringContaining('not valid YAML') }]);
    expect((await api.call('runs.get', { runId: ids.one })).run.data.params).toEqual([{ key: 'lr', value: '0.1' }]);
    await expect(api.call('runs.get', { runId: ids.two })).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
  });

  it('refuses a folder that is not an mlruns folder, saying what it expected, and writes nothing', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'notes.txt'), 'just a folder');
    const { api } = await testFlowdesk();
    await expect(api.call('imports.start', { source: dir })).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE', message: expect.stringMatching(/neither an mlruns folder \(MLflow's file store.*nor a folder of TensorBoard logs/) });
    await expect(api.call('imports.start', { source: join(dir, 'missing') })).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE', message: expect.stringContaining('no such folder') });
    expect((await api.call('experiments.search', { viewType: 'ALL' })).experiments.map((e) => e.name)).toEqual(['Default']);
  });

  it('follows no symbolic link out of the folder: not for an artifact, a metric file or a run folder', async () => {
    const mlruns = copy();
    const outside = tempDir();
    writeFileSync(join(outside, 'secret.txt'), 'SECRET');
    writeFileSync(join(outside, 'points'), '1 1 1\n');
    cpSync(join(mlruns, ids.experiment, ids.two), join(outside, 'c'.repeat(32)), { recursive: true });
    writeFileSync(join(outside, 'c'.repeat(32), 'meta.yaml'), readFileSync(join(outside, 'c'.repeat(32), 'meta.yaml'), 'utf8').replaceAll(ids.two, 'c'.repeat(32)));
    const runDir = join(mlruns, ids.experiment, ids.one);
    symlinkSync(join(outside, 'secret.txt'), join(runDir, 'artifacts', 'leak.txt'));
    symlinkSync(join(outside, 'points'), join(runDir, 'metrics', 'stolen'));
    symlinkSync(join(outside, 'c'.repeat(32)), join(mlruns, ids.experiment, 'c'.repeat(32)));
    const { fd, api } = await testFlowdesk();
    const summary = await importFolder(fd, mlruns);
    expect(summary.problems.map((p) => p.where).sort()).toEqual(
      [`${ids.experiment}/${ids.one}/artifacts/leak.txt`, `${ids.experiment}/${ids.one}/metrics/stolen`, `${ids.experiment}/${'c'.repeat(32)}`].sort(),
    );
    expect(summary.problems.every((p) => p.message.includes('symbolic link'))).toBe(true);
    const { files } = await api.call('artifacts.list', { runId: ids.one });
    expect(files.map((f) => f.path)).not.toContain('leak.txt');
    expect((await api.call('runs.get', { runId: ids.one })).run.data.metrics.map((m) => m.key)).toEqual(['loss']);
    await expect(api.call('runs.get', { runId: 'c'.repeat(32) })).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
  });

  it('reads no artifacts from an absolute location elsewhere that a meta.yaml names, and says so', async () => {
    const mlruns = copy();
    const elsewhere = tempDir();
    mkdirSync(join(elsewhere, 'artifacts'));
    writeFileSync(join(elsewhere, 'artifacts', 'stolen.txt'), 'SECRET');
    const meta = join(mlruns, ids.experiment, ids.two, 'meta.yaml');
    writeFileSync(meta, readFileSync(meta, 'utf8').replace(/artifact_uri: .*/, `artifact_uri: file://${elsewhere}/artifacts`));
    const { fd, api } = await testFlowdesk();
    const summary = await importFolder(fd, mlruns);
    expect(summary.problems).toEqual([{ where: `${ids.experiment}/${ids.two}/meta.yaml`, message: expect.stringContaining(`file://${elsewhere}/artifacts`) }]);
    expect((await api.call('artifacts.list', { runId: ids.two })).files).toEqual([]);
    expect(summary.runs.imported).toBe(2);
  });

  it("refuses a registry source that climbs out with '..' and imports the rest of the model", async () => {
    const mlruns = copy();
    const meta = join(mlruns, 'models', 'small-model', 'version-1', 'meta.yaml');
    writeFileSync(meta, readFileSync(meta, 'utf8').replace(/^source: .*/m, `source: file://${mlruns}/${ids.experiment}/${ids.one}/artifacts/../../../../etc`));
    const { fd, api } = await testFlowdesk();
    const summary = await importFolder(fd, mlruns);
    expect(summary.problems).toEqual([{ where: "registered model 'small-model' version 1", message: expect.stringContaining('does not resolve here') }]);
    expect((await api.call('registry.getModel', { name: 'small-model' })).model.name).toBe('small-model');
    await expect(api.call('registry.getVersion', { name: 'small-model', version: 1 })).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
  });

  it('leaves artifact files where they lie when asked: the store links the same file', async () => {
    const mlruns = copy();
    const { fd, api } = await testFlowdesk();
    const summary = await importFolder(fd, mlruns, { leaveArtifacts: true });
    expect(summary.files.stored).toBe(0);
    expect(summary.files.linked).toBeGreaterThan(1);
    const { run } = await api.call('runs.get', { runId: ids.one });
    const stored = join(fd.dataDir, 'artifacts', run.info.artifactUri.replace('mlflow-artifacts:/', ''), 'a.txt');
    expect(statSync(stored).ino).toBe(statSync(join(mlruns, ids.experiment, ids.one, 'artifacts', 'a.txt')).ino);
    expect(readdirSync(join(fd.dataDir, 'artifacts', run.info.artifactUri.replace('mlflow-artifacts:/', '')))).toEqual(['a.txt', 'model']);
  });
});
