/**
 * Python-flavoured models are served by MLflow itself, in the Python Flowdesk is pointed at: here
 * the real MLflow clients of `../shared/python-clients` (2.12.2 and 3.5.1) serve a real
 * scikit-learn model that the same client logged and registered through Flowdesk.
 */
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { FlowdeskClient } from '#core/sdk/flowdesk-client.ts';
import { CLIENT_VERSIONS, PYTHON_CLIENTS_NOT_RUN_REASON } from '../helpers/python-clients.ts';
import { startTestServer } from '../helpers/server.ts';
import { logSklearnModel, SCORED_ROWS, useClientPython } from '../helpers/sklearn-model.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { allowExecution } from '#core/execution/execution-policy.ts';
import { SKLEARN_MLMODEL } from './model-fixture.ts';

/** These tests start model servers, as a person who confirmed them would. */
const allowRuns = allowExecution('allowed by the test');

/** A fresh TMPDIR for this process, where Flowdesk copies model folders out; restored after the test. */
function useTempRoot(): string {
  const root = tempDir('flowdesk-tmp-');
  const before = process.env.TMPDIR;
  process.env.TMPDIR = root;
  onTestFinished(() => {
    if (before === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = before;
  });
  return root;
}

/** A fresh, empty working folder for this process, restored after the test. */
function useWorkingFolder(): string {
  const dir = tempDir('flowdesk-cwd-');
  const before = process.cwd();
  process.chdir(dir);
  onTestFinished(() => process.chdir(before));
  return dir;
}

describe.runIf(!PYTHON_CLIENTS_NOT_RUN_REASON).each(CLIENT_VERSIONS)('a scikit-learn model served by MLflow %s in the Python Flowdesk is pointed at', (version) => {
  it("answers /invocations with scikit-learn's own predictions, and leaves nothing behind: no copy of the model, no mlruns/ where Flowdesk runs", async () => {
    const { url, api } = await startTestServer({ execution: allowRuns });
    const logged = await logSklearnModel(version, url, 'sklearn-linear');
    useClientPython(version);
    const tmp = useTempRoot();
    const cwd = useWorkingFolder();
    const { server } = await api.call('models.serve', { model: { uri: logged.modelUri } });
    expect(server).toMatchObject({ kind: 'python', host: '127.0.0.1', modelUri: logged.modelUri });
    const copies = readdirSync(tmp).filter((name) => name.startsWith('flowdesk-model-'));
    expect(copies).toHaveLength(1);
    expect(readdirSync(join(tmp, copies[0]!))).toEqual(expect.arrayContaining(['MLmodel', 'model.pkl']));
    const response = await fetch(`${server.url}/invocations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ dataframe_split: { columns: ['a', 'b', 'c'], data: SCORED_ROWS } }),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ predictions: logged.predictions });
    await api.call('models.stopServing', { serverId: server.serverId });
    await expect(fetch(`${server.url}/ping`)).rejects.toThrow();
    expect(readdirSync(tmp).filter((name) => name.startsWith('flowdesk-model-'))).toEqual([]);
    expect(readdirSync(cwd)).toEqual([]);
  }, 240_000);
});

describe.runIf(!PYTHON_CLIENTS_NOT_RUN_REASON)('a Python-flavoured model MLflow cannot load', () => {
  it('reports what MLflow printed when its server exits before serving', async () => {
    const { url, api } = await startTestServer({ execution: allowRuns });
    const run = await new FlowdeskClient(url).startRun({ runName: 'sklearn' });
    const folder = join(tempDir(), 'model');
    mkdirSync(folder);
    writeFileSync(join(folder, 'MLmodel'), SKLEARN_MLMODEL);
    writeFileSync(join(folder, 'model.pkl'), 'not a pickle');
    await run.logModel({ folder });
    useClientPython('2.12.2');
    await expect(api.call('models.serve', { model: { runId: run.runId, path: 'model' } })).rejects.toThrow(
      /^MLflow's model server exited \(1\) before serving: _pickle\.UnpicklingError: invalid load key, 'n'\.\nException: Command .* returned non zero return code/,
    );
    expect((await api.call('models.servers', {})).servers).toEqual([]);
  }, 240_000);
});
