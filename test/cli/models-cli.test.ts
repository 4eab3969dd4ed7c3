import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openFlowdesk } from '#core/flowdesk.ts';
import { FlowdeskClient } from '#core/sdk/flowdesk-client.ts';
import { startServer } from '#core/server/server.ts';
import { startTestServer } from '../helpers/server.ts';
import { spawnServe } from '../helpers/spawn-serve.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { clientEnvironment, PYTHON_CLIENTS_NOT_RUN_REASON } from '../helpers/python-clients.ts';
import { logSklearnModel, SCORED_ROWS } from '../helpers/sklearn-model.ts';
import { expected, logLinearModels, SKLEARN_MLMODEL } from '../models/model-fixture.ts';

const ROWS = [
  [1, 2, 3],
  [-0.5, 4, 2.25],
];

/** The environment of a script: no tracking URI unless given, so nothing leaks in from the machine. */
function envWith(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env = { ...process.env, ...extra };
  delete env.MLFLOW_TRACKING_URI;
  if (!('FLOWDESK_URI' in extra)) delete env.FLOWDESK_URI;
  return env;
}

/** Runs `flowdesk ...` to its end (async: the child talks to a server in this process). */
function flowdesk(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['bin/flowdesk.js', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('exit', (code) => resolve({ code, out, err }));
  });
}

function inputFiles(): { json: string; csv: string; dir: string } {
  const dir = tempDir();
  const json = join(dir, 'input.json');
  const csv = join(dir, 'input.csv');
  writeFileSync(json, JSON.stringify({ dataframe_split: { columns: ['a', 'b', 'c'], data: ROWS } }));
  writeFileSync(csv, `a,b,c\n${ROWS.map((r) => r.join(',')).join('\n')}\n`);
  return { json, csv, dir };
}

const records = expected(ROWS).map(([y]) => ({ y }));

describe('flowdesk models serve', () => {
  it('serves models:/name@alias from the running Flowdesk and stops on SIGTERM', async () => {
    const { url } = await startTestServer();
    await logLinearModels(url);
    const server = spawnServe(['models', 'serve', '-m', 'models:/linear@champion', '--port', '0'], envWith({ FLOWDESK_URI: url }));
    const served = await server.ready;
    expect(server.out()).toContain('Serving models:/linear@champion (ONNX, in Flowdesk)');
    expect(server.out()).toContain(`curl -X POST ${served}/invocations`);
    const response = await fetch(`${served}/invocations`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ inputs: ROWS }) });
    expect(await response.json()).toEqual({ predictions: expected(ROWS) });
    expect(await (await fetch(`${served}/version`)).text()).toMatch(/^flowdesk \d/);
    expect((await server.stop()).code).toBe(0);
  });

  it.runIf(!PYTHON_CLIENTS_NOT_RUN_REASON)("serves a scikit-learn model through MLflow in the Python it is pointed at, with sklearn's own predictions", async () => {
    const { url, api } = await startTestServer();
    const logged = await logSklearnModel('3.5.1', url, 'sklearn-served');
    await api.call('registry.setAlias', { name: 'sklearn-served', alias: 'champion', version: 1 });
    const python = clientEnvironment('3.5.1');
    const env = envWith({ FLOWDESK_URI: url, FLOWDESK_PYTHON: python.MLFLOW_PYTHON!, PYTHONPATH: python.PYTHONPATH!, MLFLOW_DISABLE_TELEMETRY: 'true' });
    const server = spawnServe(['models', 'serve', '-m', 'models:/sklearn-served@champion', '--port', '0'], env);
    const served = await server.ready;
    const response = await fetch(`${served}/invocations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ dataframe_split: { columns: ['a', 'b', 'c'], data: SCORED_ROWS } }),
    });
    expect(await response.json()).toEqual({ predictions: logged.predictions });
    expect((await server.stop()).code).toBe(0);
    await expect(fetch(`${served}/ping`)).rejects.toThrow();
  }, 240_000);

  it('requires the token it was given on every request', async () => {
    const { url } = await startTestServer();
    await logLinearModels(url);
    const server = spawnServe(['models', 'serve', '-m', 'models:/linear/1', '--port', '0', '--token', 's3cret'], envWith({ FLOWDESK_URI: url }));
    const served = await server.ready;
    const body = JSON.stringify({ inputs: ROWS });
    const anonymous = await fetch(`${served}/invocations`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(anonymous.status).toBe(401);
    const authorized = await fetch(`${served}/invocations`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer s3cret' }, body });
    expect(await authorized.json()).toEqual({ predictions: expected(ROWS) });
    expect((await server.stop()).code).toBe(0);
  });

  it('names what is wrong with a model URI', async () => {
    const { url } = await startTestServer();
    const missing = await flowdesk(['models', 'serve', '-m', 'models:/nope@champion', '--port', '0'], envWith({ FLOWDESK_URI: url }));
    expect(missing.code).toBe(1);
    expect(missing.err).toContain("flowdesk: Registered Model with name=nope not found");
    const noUri = await flowdesk(['models', 'serve'], envWith({ FLOWDESK_URI: url }));
    expect(noUri.err).toContain('Name the model with -m');
    await logLinearModels(url);
    const exposed = await flowdesk(['models', 'serve', '-m', 'models:/linear/1', '--host', '0.0.0.0', '--port', '0'], envWith({ FLOWDESK_URI: url }));
    expect(exposed.code).toBe(1);
    expect(exposed.err).toContain('Serving on 0.0.0.0 exposes the model beyond this machine: set a token');
  });
});

describe('flowdesk models predict', () => {
  it('scores JSON and CSV input files through the running Flowdesk', async () => {
    const { url } = await startTestServer();
    await logLinearModels(url);
    const files = inputFiles();
    const env = envWith({ FLOWDESK_URI: url });
    const fromJson = await flowdesk(['models', 'predict', '-m', 'models:/linear-columns@champion', '-i', files.json], env);
    expect(fromJson.err).toBe('');
    expect(JSON.parse(fromJson.out)).toEqual({ predictions: records });
    const out = join(files.dir, 'out.json');
    const fromCsv = await flowdesk(['models', 'predict', '-m', 'models:/linear-columns/1', '-i', files.csv, '-o', out], env);
    expect(fromCsv.code).toBe(0);
    expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual({ predictions: records });
  });

  it('opens the data folder itself when no Flowdesk is running', async () => {
    const dataDir = tempDir();
    const fd = await openFlowdesk({ dataDir });
    const server = await startServer({ flowdesk: fd, port: 0, version: 'test', log: () => undefined });
    const { runId } = await logLinearModels(server.url);
    await server.close();
    await fd.close();
    const files = inputFiles();
    const result = await flowdesk(['models', 'predict', '-m', `runs:/${runId}/model`, '-i', files.json, '--data-dir', dataDir], envWith({}));
    expect(result.err).toBe('');
    expect(JSON.parse(result.out)).toEqual({ predictions: records });
  });

  it('reports a signature violation in the input file', async () => {
    const { url } = await startTestServer();
    await logLinearModels(url);
    const dir = tempDir();
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ dataframe_records: [{ a: 1, b: 2 }] }));
    const result = await flowdesk(['models', 'predict', '-m', 'models:/linear-columns@champion', '-i', bad], envWith({ FLOWDESK_URI: url }));
    expect(result.code).toBe(1);
    expect(result.err).toContain("flowdesk: The input is missing column 'c' (double)");
  });

  it('says what to install for a Python-flavoured model when MLflow is not importable', async () => {
    const { url } = await startTestServer();
    const run = await new FlowdeskClient(url).startRun({ runName: 'sklearn' });
    const folder = join(tempDir(), 'model');
    mkdirSync(folder);
    writeFileSync(join(folder, 'MLmodel'), SKLEARN_MLMODEL);
    await run.logModel({ folder });
    const files = inputFiles();
    const result = await flowdesk(['models', 'predict', '-m', `runs:/${run.runId}/model`, '-i', files.json], envWith({ FLOWDESK_URI: url, FLOWDESK_PYTHON: 'python3' }));
    expect(result.code).toBe(1);
    expect(result.err).toContain("'python3' cannot import mlflow. Install it with: pip install mlflow scikit-learn");
  });

  it.runIf(!PYTHON_CLIENTS_NOT_RUN_REASON)("hands a scikit-learn model to MLflow's predict in the Python it is pointed at, with sklearn's own predictions", async () => {
    const { url } = await startTestServer();
    const logged = await logSklearnModel('2.12.2', url, 'sklearn-linear');
    const input = join(tempDir(), 'input.csv');
    writeFileSync(input, `a,b,c\n${SCORED_ROWS.map((r) => r.map((v) => v.toFixed(2)).join(',')).join('\n')}\n`);
    const python = clientEnvironment('2.12.2');
    const env = envWith({ FLOWDESK_URI: url, FLOWDESK_PYTHON: python.MLFLOW_PYTHON!, PYTHONPATH: python.PYTHONPATH!, MLFLOW_DISABLE_TELEMETRY: 'true' });
    const result = await flowdesk(['models', 'predict', '-m', logged.modelUri, '-i', input], env);
    expect(result.code, result.err).toBe(0);
    expect(JSON.parse(result.out)).toEqual({ predictions: logged.predictions });
  }, 240_000);
});
