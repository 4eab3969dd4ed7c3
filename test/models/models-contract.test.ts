import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FlowdeskError } from '#core/api/errors.ts';
import { createClient } from '#core/api/client.ts';
import { createHttpTransport } from '#core/api/http-transport.ts';
import { openFlowdesk } from '#core/flowdesk.ts';
import { startServer } from '#core/server/server.ts';
import { FlowdeskClient } from '#core/sdk/flowdesk-client.ts';
import { startTestServer } from '../helpers/server.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { logLinearModels, SKLEARN_MLMODEL } from './model-fixture.ts';
import { allowExecution } from '#core/execution/execution-policy.ts';

/** These tests start projects and model servers, as a person who confirmed them would. */
const allowRuns = allowExecution('allowed by the test');

/** A folder holding an MLmodel (and a stand-in pickle Flowdesk must never open). */
function modelFolder(mlmodel: string, extra: Record<string, string> = {}): string {
  const dir = join(tempDir(), 'model');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'MLmodel'), mlmodel);
  for (const [name, text] of Object.entries(extra)) writeFileSync(join(dir, name), text);
  return dir;
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof FlowdeskError) return `${err.code}: ${err.message}`;
    throw err;
  }
  throw new Error('expected a failure');
}

describe('models.describe', () => {
  it('summarizes a model logged from TypeScript, by run path, by version and by alias alike', async () => {
    const { url, api } = await startTestServer();
    const before = Date.now();
    const logged = await logLinearModels(url);
    const byRun = (await api.call('models.describe', { runId: logged.runId, path: 'model' })).model;
    expect(byRun).toMatchObject({
      uri: `runs:/${logged.runId}/model`,
      runId: logged.runId,
      artifactPath: 'model',
      flavors: [
        { name: 'onnx', fields: { data: 'model.onnx', providers: '["CPUExecutionProvider"]' } },
        { name: 'python_function', fields: { data: 'model.onnx', loader_module: 'mlflow.onnx' } },
      ],
      signature: {
        inputs: { kind: 'tensors', tensors: [{ name: 'x', dtype: 'float32', shape: [-1, 3] }] },
        outputs: { kind: 'tensors', tensors: [{ name: 'y', dtype: 'float32', shape: [-1, 1] }] },
      },
      inputExample: { path: 'input_example.json', type: 'ndarray', text: '{"inputs":[[1,2,3]]}', truncated: false },
      requirements: ['mlflow', 'onnx', 'onnxruntime'],
      serving: { kind: 'onnx' },
    });
    expect(byRun.createdAt).toBeGreaterThanOrEqual(before - 1);
    expect(byRun.createdAt).toBeLessThanOrEqual(Date.now());
    const { files } = await api.call('artifacts.list', { runId: logged.runId, path: 'model' });
    expect(byRun.sizeBytes).toBe(files.filter((f) => !f.path.endsWith('MLmodel')).reduce((sum, f) => sum + (f.fileSize ?? 0), 0));
    const byVersion = (await api.call('models.describe', { name: 'linear', version: 1 })).model;
    const byAlias = (await api.call('models.describe', { uri: 'models:/linear@champion' })).model;
    expect({ ...byVersion, uri: '' }).toEqual({ ...byRun, uri: '' });
    expect(byAlias.uri).toBe('models:/linear@champion');
    expect(byAlias.modelUuid).toBe(byRun.modelUuid);
    const columns = (await api.call('models.describe', { uri: 'models:/linear-columns/1' })).model;
    expect(columns.signature?.inputs).toEqual({ kind: 'columns', columns: ['a', 'b', 'c'].map((name) => ({ name, type: 'double', required: true })) });
    expect(columns.signature?.params).toEqual([{ name: 'threshold', type: 'double', default: 0.5, shape: null }]);
    expect(JSON.parse(columns.inputExample!.text)).toEqual({ columns: ['a', 'b', 'c'], data: [[1, 2, 3]] });
  });

  it('reads a Python model without opening its files, and cuts a long input example', async () => {
    const { url, api } = await startTestServer();
    const client = new FlowdeskClient(url);
    const run = await client.startRun({ runName: 'sklearn' });
    const example = JSON.stringify({ columns: ['age'], data: Array.from({ length: 5000 }, (_, i) => [i]) });
    await run.logModel({ folder: modelFolder(SKLEARN_MLMODEL, { 'model.pkl': 'not a pickle: never read', 'input_example.json': example }) });
    const { model } = await api.call('models.describe', { uri: `runs:/${run.runId}/model` });
    expect(model.flavors.map((f) => f.name)).toEqual(['python_function', 'sklearn']);
    expect(model).toMatchObject({ sizeBytes: 1234, mlflowVersion: '2.16.0', createdAt: Date.UTC(2024, 4, 1, 12, 34, 56, 789), serving: { kind: 'python' } });
    expect(model.inputExample).toMatchObject({ type: 'dataframe', truncated: true });
    expect(model.inputExample!.text.length).toBe(16 * 1024);
    expect(model.requirements).toBeUndefined();
  });

  it("reads an MLflow 3 logged model's MLmodel by its models:/<model id> URI", async () => {
    const { api, fd } = await startTestServer();
    const { model: logged } = await api.call('loggedModels.create', { experimentId: '0', name: 'lm' });
    const root = logged.info.artifactUri.replace('mlflow-artifacts:/', '');
    await fd.artifacts.write(`${root}/MLmodel`, Buffer.from(SKLEARN_MLMODEL));
    const { model } = await api.call('models.describe', { uri: `models:/${logged.info.modelId}` });
    expect(model).toMatchObject({ uri: `models:/${logged.info.modelId}`, artifactUri: logged.info.artifactUri, serving: { kind: 'python' } });
    expect(model.flavors.map((f) => f.name)).toEqual(['python_function', 'sklearn']);
  });

  it('finds no model where there is no MLmodel, and still refuses malformed references', async () => {
    const { url, api, fd } = await startTestServer();
    const run = await new FlowdeskClient(url).startRun({ runName: 'empty' });
    expect(await api.call('models.find', { runId: run.runId, path: 'model' })).toEqual({});
    expect(await api.call('models.find', { name: 'no-such-model', version: 1 })).toEqual({});
    expect(await codeOf(api.call('models.find', { uri: 'file:///etc/passwd' }))).toMatch(/^INVALID_PARAMETER_VALUE: Invalid model URI/);
    const { run: info } = await api.call('runs.get', { runId: run.runId });
    await fd.artifacts.write(`${info.info.artifactUri.replace('mlflow-artifacts:/', '')}/model/MLmodel`, Buffer.from(SKLEARN_MLMODEL));
    expect((await api.call('models.find', { runId: run.runId, path: 'model' })).model?.flavors.map((f) => f.name)).toEqual(['python_function', 'sklearn']);
  });

  it('answers clear errors for what is not a model', async () => {
    const { url, api } = await startTestServer();
    const run = await new FlowdeskClient(url).startRun({ runName: 'empty' });
    expect(await codeOf(api.call('models.describe', { runId: run.runId, path: 'model' }))).toMatch(/^RESOURCE_DOES_NOT_EXIST: No MLmodel file in runs:\/\w+\/model/);
    expect(await codeOf(api.call('models.describe', { uri: 'runs:/0123456789abcdef0123456789abcdef/model' }))).toMatch(/^RESOURCE_DOES_NOT_EXIST: Run with id/);
    expect(await codeOf(api.call('models.describe', { uri: 'file:///etc/passwd' }))).toMatch(/^INVALID_PARAMETER_VALUE: Invalid model URI/);
    expect(await codeOf(api.call('models.describe', { runId: run.runId, path: '../../../etc' }))).toMatch(/^INVALID_PARAMETER_VALUE/);
    expect(await codeOf(api.call('models.describe', { uri: 'models:/nope@champion' }))).toMatch(/^RESOURCE_DOES_NOT_EXIST/);
    const broken = await new FlowdeskClient(url).startRun({ runName: 'broken' });
    await broken.logArtifact(modelFolder('flavors: [unclosed'));
    expect(await codeOf(api.call('models.describe', { runId: broken.runId, path: 'model' }))).toMatch(/^INVALID_PARAMETER_VALUE: The MLmodel file is not valid YAML/);
  });
});

describe('models.listInRun', () => {
  it("finds the model folders among a run's artifacts, with the error of one that cannot be read", async () => {
    const { url, api } = await startTestServer();
    const logged = await logLinearModels(url);
    const client = new FlowdeskClient(url);
    const run = await client.startRun({ runId: logged.runId });
    await run.logArtifact(modelFolder('flavors: 12\n'), 'nested/deeper');
    await run.logArtifact(modelFolder(SKLEARN_MLMODEL), 'nested');
    const { models } = await api.call('models.listInRun', { runId: logged.runId });
    expect(models.map((m) => [m.path, m.model?.flavors.map((f) => f.name).join('+') ?? m.error])).toEqual([
      ['columns-model', 'onnx+python_function'],
      ['model', 'onnx+python_function'],
      ['nested/model', 'python_function+sklearn'],
    ]);
    await run.logArtifact(modelFolder('flavors: 12\n'), 'other');
    const again = await api.call('models.listInRun', { runId: logged.runId });
    expect(again.models.find((m) => m.path === 'other/model')?.error).toBe('The MLmodel file has no `flavors` mapping');
  });
});

describe('serving from the app', () => {
  it('lists, stops and, on close, stops every model server', async () => {
    const fd = await openFlowdesk({ dataDir: tempDir(), execution: allowRuns });
    const server = await startServer({ flowdesk: fd, port: 0, version: 'test', log: () => undefined });
    await logLinearModels(server.url);
    const api = createClient(createHttpTransport({ baseUrl: server.url, fetch }));
    const first = (await api.call('models.serve', { model: { uri: 'models:/linear@champion' } })).server;
    const second = (await api.call('models.serve', { model: { name: 'linear-columns', version: 1 } })).server;
    expect(first).toMatchObject({ kind: 'onnx', modelUri: 'models:/linear@champion', host: '127.0.0.1' });
    expect((await api.call('models.servers', {})).servers.map((s) => s.serverId)).toEqual([first.serverId, second.serverId]);
    await api.call('models.stopServing', { serverId: first.serverId });
    await expect(fetch(`${first.url}/ping`)).rejects.toThrow();
    expect(await codeOf(api.call('models.stopServing', { serverId: first.serverId }))).toMatch(/^RESOURCE_DOES_NOT_EXIST/);
    expect((await fetch(`${second.url}/ping`)).status).toBe(200);
    await server.close();
    await fd.close();
    await expect(fetch(`${second.url}/ping`)).rejects.toThrow();
  });

  it('serves a given free port and reports a taken one plainly', async () => {
    const { url, api } = await startTestServer({ execution: allowRuns });
    await logLinearModels(url);
    const port = Number(new URL(url).port);
    expect(await codeOf(api.call('models.serve', { model: { uri: 'models:/linear/1' }, port }))).toMatch(/^INVALID_STATE: Port \d+ on 127.0.0.1 is already in use/);
    expect((await api.call('models.servers', {})).servers).toEqual([]);
  });

  it('says what to install when the Python for a Python-flavoured model has no MLflow', async () => {
    const { url, api } = await startTestServer({ execution: allowRuns });
    const run = await new FlowdeskClient(url).startRun({ runName: 'sklearn' });
    await run.logModel({ folder: modelFolder(SKLEARN_MLMODEL, { 'model.pkl': 'never unpickled' }) });
    const message = await codeOf(api.call('models.serve', { model: { runId: run.runId, path: 'model' } }));
    expect(message).toBe(
      "INVALID_STATE: Serving a sklearn model needs Python with MLflow, but 'python3' cannot import mlflow. Install it with: pip install mlflow scikit-learn (or set FLOWDESK_PYTHON to a Python that has it)",
    );
    process.env.FLOWDESK_PYTHON = '/nonexistent/python3';
    try {
      expect(await codeOf(api.call('models.serve', { model: { runId: run.runId, path: 'model' } }))).toBe(
        "INVALID_STATE: Serving a sklearn model needs Python with MLflow, and '/nonexistent/python3' was not found. Install Python 3, then run: pip install mlflow scikit-learn (or set FLOWDESK_PYTHON to a Python that has them)",
      );
    } finally {
      delete process.env.FLOWDESK_PYTHON;
    }
    expect((await api.call('models.servers', {})).servers).toEqual([]);
  });

  it('never reads outside the model folder, whatever paths its MLmodel names', async () => {
    const { url, api, dataDir } = await startTestServer({ execution: allowRuns });
    const run = await new FlowdeskClient(url).startRun({ runName: 'hostile' });
    const secret = join(dataDir, 'catalog.sqlite');
    for (const [folder, mlmodel] of [
      ['onnx-data', 'flavors:\n  onnx:\n    data: ../../../../catalog.sqlite\n'],
      ['onnx-absolute', `flavors:\n  onnx:\n    data: ${secret}\n`],
      ['example', 'flavors:\n  sklearn: {}\nsaved_input_example_info:\n  artifact_path: ../../../../catalog.sqlite\n'],
    ] as const) {
      await run.logModel({ folder: modelFolder(mlmodel), artifactPath: folder });
    }
    expect(await codeOf(api.call('models.serve', { model: { runId: run.runId, path: 'onnx-data' } }))).toMatch(/^INVALID_PARAMETER_VALUE: .*\.\./);
    expect(await codeOf(api.call('models.serve', { model: { runId: run.runId, path: 'onnx-absolute' } }))).toMatch(/^INVALID_PARAMETER_VALUE/);
    expect(await codeOf(api.call('models.describe', { runId: run.runId, path: 'example' }))).toMatch(/^INVALID_PARAMETER_VALUE/);
    expect((await api.call('models.servers', {})).servers).toEqual([]);
  });

  it('refuses a model no flavour of which can be served', async () => {
    const { url, api } = await startTestServer({ execution: allowRuns });
    const run = await new FlowdeskClient(url).startRun({ runName: 'r' });
    await run.logModel({ folder: modelFolder('flavors:\n  rlang:\n    data: model.rds\n') });
    expect(await codeOf(api.call('models.serve', { model: { runId: run.runId, path: 'model' } }))).toMatch(
      /^INVALID_STATE: runs:\/\w+\/model cannot be served: MLflow can serve only models with a python_function flavor; this one has rlang$/,
    );
  });
});

describe('RunLogger.logModel', () => {
  it("adds the model to the run's log-model history and refuses a folder without an MLmodel", async () => {
    const { url, api } = await startTestServer();
    const logged = await logLinearModels(url);
    const { run } = await api.call('runs.get', { runId: logged.runId });
    const history = JSON.parse(run.data.tags.find((t) => t.key === 'mlflow.log-model.history')!.value) as { artifact_path: string; flavors: Record<string, unknown> }[];
    expect(history.map((h) => h.artifact_path)).toEqual(['model', 'columns-model']);
    expect(Object.keys(history[0]!.flavors)).toEqual(['onnx', 'python_function']);
    const logger = await new FlowdeskClient(url).startRun({ runId: logged.runId });
    const empty = join(tempDir(), 'empty');
    mkdirSync(empty);
    await expect(logger.logModel({ folder: empty })).rejects.toThrow(/has no MLmodel file/);
    await expect(logger.logModel({ onnx: new Uint8Array(), artifactPath: 'x' })).rejects.toThrow(/The ONNX model is empty/);
    await expect(logger.logModel({ onnx: new Uint8Array([1]), signature: { inputs: [{ name: 'x', type: 'tensor' }] } })).rejects.toThrow(/tensor-spec/);
  });
});
