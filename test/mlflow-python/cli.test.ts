/**
 * The `mlflow` command line of the real clients (2.12.2 and 3.5.1) against a Flowdesk server:
 * experiments, runs, artifacts, `mlflow run` of an MLproject, and `mlflow models predict` and
 * `serve` of a scikit-learn model logged and registered through Flowdesk, all with
 * `--env-manager local`. One Flowdesk server serves the whole file.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { freePort } from '#core/models/python-serving.ts';
import { startFlowdeskServer, type FlowdeskReference } from '../helpers/mlflow-server.ts';
import { CLIENT_VERSIONS, clientEnvironment, PYTHON_CLIENTS_NOT_RUN_REASON, runWithClient, type ClientVersion } from '../helpers/python-clients.ts';
import { logSklearnModel, SCORED_ROWS } from '../helpers/sklearn-model.ts';
import { tempDir } from '../helpers/temp-dir.ts';

/** Real MLflow commands import a lot on a busy machine: give each test room. */
const SLOW = 240_000;

describe.runIf(!PYTHON_CLIENTS_NOT_RUN_REASON).each(CLIENT_VERSIONS)('the mlflow %s command line against Flowdesk', (version: ClientVersion) => {
  let flowdesk: FlowdeskReference;
  beforeAll(async () => {
    flowdesk = await startFlowdeskServer();
  });
  afterAll(async () => {
    await flowdesk?.close();
  });

  /** Runs `mlflow <args>` with this client against Flowdesk; a non-zero exit fails with its stderr. */
  async function mlflow(args: string[], cwd?: string): Promise<string> {
    const result = await runWithClient(version, 'mlflow', args, { cwd, env: { MLFLOW_TRACKING_URI: flowdesk.url, MLFLOW_HTTP_REQUEST_MAX_RETRIES: '0' } });
    if (result.code !== 0) throw new Error(`mlflow ${args.join(' ')} exited ${result.code}:\n${result.stderr.slice(-4000)}`);
    return result.stdout;
  }

  it('creates an experiment and finds it in the search', async () => {
    const name = `cli experiment ${version}`;
    const created = await mlflow(['experiments', 'create', '--experiment-name', name]);
    const { experiment } = await flowdesk.api.call('experiments.getByName', { name });
    expect(created).toContain(experiment.experimentId);
    const table = await mlflow(['experiments', 'search']);
    expect(table.split('\n').some((line) => line.includes(experiment.experimentId) && line.includes(name))).toBe(true);
  }, SLOW);

  it('lists the runs of an experiment and describes one as JSON', async () => {
    const { experimentId } = await flowdesk.api.call('experiments.create', { name: `cli runs ${version}` });
    const { run } = await flowdesk.api.call('runs.create', { experimentId, runName: 'described' });
    const runId = run.info.runId;
    await flowdesk.api.call('runs.logBatch', { runId, params: [{ key: 'alpha', value: '0.5' }], metrics: [{ key: 'loss', value: 0.25, timestamp: 1_700_000_000_000, step: 3 }] });
    const table = await mlflow(['runs', 'list', '--experiment-id', experimentId]);
    expect(table).toMatch(new RegExp(`described\\s+${runId}`));
    const described = JSON.parse(await mlflow(['runs', 'describe', '--run-id', runId])) as { info: { run_id: string; experiment_id: string }; data: { params: Record<string, string>; metrics: Record<string, number> } };
    expect(described.info).toMatchObject({ run_id: runId, experiment_id: experimentId });
    expect(described.data.params).toEqual({ alpha: '0.5' });
    expect(described.data.metrics).toEqual({ loss: 0.25 });
  }, SLOW);

  it('logs a file and a folder as artifacts, lists them and downloads them back', async () => {
    const { experimentId } = await flowdesk.api.call('experiments.create', { name: `cli artifacts ${version}` });
    const { run } = await flowdesk.api.call('runs.create', { experimentId });
    const runId = run.info.runId;
    const local = tempDir();
    writeFileSync(join(local, 'report.txt'), 'accuracy 0.93\n');
    mkdirSync(join(local, 'plots', 'deep'), { recursive: true });
    writeFileSync(join(local, 'plots', 'a.csv'), 'x,y\n1,2\n');
    writeFileSync(join(local, 'plots', 'deep', 'b.json'), '{"b": 1}');
    await mlflow(['artifacts', 'log-artifact', '--local-file', join(local, 'report.txt'), '--run-id', runId, '--artifact-path', 'docs']);
    await mlflow(['artifacts', 'log-artifacts', '--local-dir', join(local, 'plots'), '--run-id', runId, '--artifact-path', 'plots']);
    const listed = JSON.parse(await mlflow(['artifacts', 'list', '--run-id', runId])) as { path: string; is_dir: boolean }[];
    expect(listed.map((f) => [f.path, f.is_dir])).toEqual([
      ['docs', true],
      ['plots', true],
    ]);
    const inPlots = JSON.parse(await mlflow(['artifacts', 'list', '--run-id', runId, '--artifact-path', 'plots'])) as { path: string; is_dir: boolean; file_size?: number | string }[];
    expect(inPlots.map((f) => [f.path, f.is_dir, f.file_size === undefined ? undefined : Number(f.file_size)])).toEqual([
      ['plots/a.csv', false, 8],
      ['plots/deep', true, undefined],
    ]);
    const dst = tempDir();
    const where = (await mlflow(['artifacts', 'download', '--run-id', runId, '--artifact-path', 'plots', '--dst-path', dst])).trim().split('\n').at(-1)!;
    expect(readFileSync(join(where, 'deep', 'b.json'), 'utf8')).toBe('{"b": 1}');
    expect(readFileSync(join(where, 'a.csv'), 'utf8')).toBe('x,y\n1,2\n');
    const one = (await mlflow(['artifacts', 'download', '--artifact-uri', `runs:/${runId}/docs/report.txt`, '--dst-path', tempDir()])).trim().split('\n').at(-1)!;
    expect(readFileSync(one, 'utf8')).toBe('accuracy 0.93\n');
  }, SLOW);

  it('runs an MLproject with --env-manager local, logging its params and metrics into Flowdesk', async () => {
    const project = tempDir();
    writeFileSync(
      join(project, 'MLproject'),
      `name: tiny
entry_points:
  main:
    parameters:
      alpha: {type: float, default: 0.1}
      label: {type: string, default: plain}
    command: "python3 train.py --alpha {alpha} --label {label}"
`,
    );
    writeFileSync(
      join(project, 'train.py'),
      `import argparse, mlflow
parser = argparse.ArgumentParser()
parser.add_argument("--alpha", type=float)
parser.add_argument("--label")
args = parser.parse_args()
with mlflow.start_run():
    mlflow.log_metric("score", args.alpha * 2)
    mlflow.set_tag("label", args.label)
`,
    );
    const experiment = `cli project ${version}`;
    await mlflow(['run', project, '--env-manager', 'local', '--experiment-name', experiment, '-P', 'alpha=0.75', '-P', 'label=tuned'], project);
    const { experiment: made } = await flowdesk.api.call('experiments.getByName', { name: experiment });
    const { runs } = await flowdesk.api.call('runs.search', { experimentIds: [made.experimentId] });
    expect(runs).toHaveLength(1);
    const run = runs[0]!;
    const tags = Object.fromEntries(run.data.tags.map((t) => [t.key, t.value]));
    expect(run.info.status).toBe('FINISHED');
    expect(run.data.params).toEqual(
      expect.arrayContaining([
        { key: 'alpha', value: '0.75' },
        { key: 'label', value: 'tuned' },
      ]),
    );
    expect(run.data.metrics.map((m) => [m.key, m.value])).toEqual([['score', 1.5]]);
    expect(tags).toMatchObject({ label: 'tuned', 'mlflow.source.type': 'PROJECT', 'mlflow.project.entryPoint': 'main' });
  }, SLOW);

  it("predicts with models:/name/1 and serves models:/name@alias, answering scikit-learn's own predictions", async () => {
    const name = `cli-sklearn-${version}`;
    const logged = await logSklearnModel(version, flowdesk.url, name);
    await flowdesk.api.call('registry.setAlias', { name, alias: 'champion', version: 1 });
    const work = tempDir();
    const input = join(work, 'input.json');
    // Numbers written as 2.00, not 2: MLflow 2.12's predict reads 2 as an integer column, which the
    // model's signature (doubles) refuses.
    const rows = SCORED_ROWS.map((row) => `[${row.map((v) => v.toFixed(2)).join(', ')}]`).join(', ');
    writeFileSync(input, `{"dataframe_split": {"columns": ["a", "b", "c"], "data": [${rows}]}}`);
    const output = join(work, 'predictions.json');
    await mlflow(['models', 'predict', '-m', logged.modelUri, '-i', input, '-o', output, '-t', 'json', '--env-manager', 'local'], work);
    expect(JSON.parse(readFileSync(output, 'utf8'))).toEqual({ predictions: logged.predictions });

    const url = await serve(version, flowdesk.url, `models:/${name}@champion`);
    const response = await fetch(`${url}/invocations`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: readFileSync(input, 'utf8') });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ predictions: logged.predictions });
  }, SLOW);
});

/**
 * Starts `mlflow models serve --env-manager local` on a free port, in its own process group
 * (gunicorn or uvicorn runs under it) stopped after the test, and resolves with its URL once the
 * server says it listens: gunicorn's workers and uvicorn's app load before they accept, so a
 * request made then waits for the model instead of failing.
 */
async function serve(version: ClientVersion, trackingUri: string, modelUri: string): Promise<string> {
  const port = await freePort('127.0.0.1');
  const cwd = mkdtempSync(join(tmpdir(), 'flowdesk-serve-'));
  const child = spawn('mlflow', ['models', 'serve', '-m', modelUri, '--env-manager', 'local', '-h', '127.0.0.1', '-p', String(port)], {
    env: { ...clientEnvironment(version), MLFLOW_TRACKING_URI: trackingUri },
    cwd,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  onTestFinished(async () => {
    if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGTERM');
    await closed;
    rmSync(cwd, { recursive: true, force: true });
  });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const keep = (chunk: Buffer) => {
      output += chunk.toString();
      if (/Listening at:|Uvicorn running on/.test(output)) resolve();
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.once('close', (code) => reject(new Error(`mlflow models serve exited (${code}) before listening:\n${output.slice(-4000)}`)));
  });
  return `http://127.0.0.1:${port}`;
}
