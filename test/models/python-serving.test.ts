import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FlowdeskClient } from '#core/sdk/flowdesk-client.ts';
import { startTestServer } from '../helpers/server.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { SKLEARN_MLMODEL } from './model-fixture.ts';
import { allowExecution } from '#core/execution/execution-policy.ts';

/** These tests start projects and model servers, as a person who confirmed them would. */
const allowRuns = allowExecution('allowed by the test');

/** A stand-in for a Python with MLflow (the process Flowdesk spawns), see the fixture. */
const FAKE_PYTHON = resolve('test/fixtures/fake-mlflow-python.mjs');

describe('Python-flavoured models, served by MLflow in the Python Flowdesk is pointed at', () => {
  beforeEach(() => {
    process.env.FLOWDESK_PYTHON = FAKE_PYTHON;
  });
  afterEach(() => {
    delete process.env.FLOWDESK_PYTHON;
  });

  it('copies the model folder out, starts MLflow on it, waits for /ping, and removes the copy on stop', async () => {
    const { url, api } = await startTestServer({ execution: allowRuns });
    const folder = join(tempDir(), 'model');
    mkdirSync(folder);
    writeFileSync(join(folder, 'MLmodel'), SKLEARN_MLMODEL);
    writeFileSync(join(folder, 'model.pkl'), 'opaque bytes Flowdesk never unpickles');
    mkdirSync(join(folder, 'code'));
    writeFileSync(join(folder, 'code', 'helpers.py'), 'x = 1\n');
    const run = await new FlowdeskClient(url).startRun({ runName: 'sklearn' });
    await run.logModel({ folder });
    const { server } = await api.call('models.serve', { model: { uri: `runs:/${run.runId}/model` } });
    expect(server).toMatchObject({ kind: 'python', host: '127.0.0.1', modelUri: `runs:/${run.runId}/model` });
    const response = await fetch(`${server.url}/invocations`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"dataframe_split": {"columns": ["age"], "data": [[1]]}}' });
    const { predictions } = (await response.json()) as { predictions: { files: string[]; modelDir: string; body: string } };
    expect(predictions.files).toEqual(['MLmodel', 'code', 'model.pkl']);
    expect(predictions.body).toBe('{"dataframe_split": {"columns": ["age"], "data": [[1]]}}');
    expect(existsSync(join(predictions.modelDir, 'code', 'helpers.py'))).toBe(true);
    await api.call('models.stopServing', { serverId: server.serverId });
    await expect(fetch(`${server.url}/ping`)).rejects.toThrow();
    expect(existsSync(predictions.modelDir)).toBe(false);
  });

  it('reports what MLflow printed when its server exits before serving', async () => {
    const { url, api } = await startTestServer({ execution: allowRuns });
    const run = await new FlowdeskClient(url).startRun({ runName: 'sklearn' });
    const folder = join(tempDir(), 'model');
    mkdirSync(folder);
    writeFileSync(join(folder, 'MLmodel'), SKLEARN_MLMODEL);
    writeFileSync(join(folder, 'model.pkl'), 'corrupt');
    await run.logModel({ folder });
    await expect(api.call('models.serve', { model: { runId: run.runId, path: 'model' } })).rejects.toThrow(
      "MLflow's model server exited (1) before serving: mlflow.exceptions.MlflowException: Failed to load the model: invalid load key",
    );
    expect((await api.call('models.servers', {})).servers).toEqual([]);
  });
});
