import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MessageBoxOptions } from 'electron';
import { describe, expect, it, onTestFinished, vi, type Mock } from 'vitest';
import { startDesktopApp } from '../../electron/main/desktop-app.ts';
import { createWindowApi } from '../../electron/preload/window-api.ts';
import { FlowdeskClient } from '#core/sdk/flowdesk-client.ts';
import { dist, fakeElectron } from '../helpers/fake-electron.ts';
import { freePort, listening, touchingProject } from '../helpers/side-effects.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { logLinearModels, SKLEARN_MLMODEL } from '../models/model-fixture.ts';
import { eventually } from '../projects/project-helpers.ts';

/** The fake's dialog.showMessageBox, typed as Electron calls it with a parent window. */
type ShowMessageBox = Mock<(window: unknown, options: MessageBoxOptions) => Promise<{ response: number }>>;

const CANCEL = 0;
const RUN = 1;

/** The app on a fresh data folder, its window's `window.api`, and the dialog's answer to give. */
async function startApp(answer: number) {
  const fake = fakeElectron();
  const dataDir = join(fake.root, 'data');
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(join(dataDir, 'settings.json'), JSON.stringify({ port: 0 }));
  const asked: { window: unknown; options: MessageBoxOptions }[] = [];
  (fake.raw.dialog.showMessageBox as unknown as ShowMessageBox).mockImplementation(async (window, options) => {
    asked.push({ window, options });
    return { response: answer };
  });
  const starting = startDesktopApp(fake.electron, { distDir: dist(fake.root), preloadPath: '/p', version: '1', env: { FLOWDESK_DATA_DIR: dataDir }, platform: 'linux', log: () => undefined });
  fake.readyResolve();
  const app = (await starting)!;
  onTestFinished(async () => {
    fake.raw.app.quit();
    await app.closed;
  });
  const api = createWindowApi({ ipcRenderer: fake.ipc.ipcRenderer, getPathForFile: () => '' });
  return { fake, app, api, asked };
}

describe('the desktop app confirming code it runs', () => {
  it('tells the window each run is confirmed in a dialog', async () => {
    const { api } = await startApp(CANCEL);
    expect(await api.call('execution.policy', {})).toEqual({ ok: true, value: { mode: 'ask', message: expect.stringContaining('dialog outside the window') } });
  });

  it('shows the command line, parameters, environment and folder on the window, and on Cancel runs nothing', async () => {
    const { fake, app, api, asked } = await startApp(CANCEL);
    const { dir, marker } = touchingProject();
    const result = await api.call('projects.run', { uri: dir, command: `touch ${marker}`, params: { alpha: '0.5' }, experimentName: 'never' });
    expect(result).toEqual({ ok: false, error: { code: 'PERMISSION_DENIED', message: `Cancelled: you did not confirm, so nothing was started (the command touch ${marker} --alpha 0.5)` } });
    expect(asked).toHaveLength(1);
    expect(asked[0]!.window).toBe(fake.windows[0]);
    expect(asked[0]!.options).toMatchObject({ type: 'warning', title: 'Run a project?', message: 'Run this command on this computer?', buttons: ['Cancel', 'Run'], defaultId: 0, cancelId: 0 });
    expect(asked[0]!.options.detail!.split('\n')).toEqual([
      `Folder: ${dir}`,
      'Entry point: a command of its own',
      `Command: touch ${marker} --alpha 0.5`,
      'Parameters: alpha=0.5',
      'Environment: local',
      `Logs to: ${app.server().url} (MLFLOW_TRACKING_URI; MLFLOW_RUN_ID names the new run)`,
      '',
      "The command runs on this computer with your user's rights.",
    ]);
    expect(existsSync(marker)).toBe(false);
    expect((await app.flowdesk.handlers['runs.search']({ experimentIds: ['0'] })).runs).toEqual([]);
    await expect(app.flowdesk.handlers['experiments.getByName']({ name: 'never' })).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
  });

  it('runs the command when the person chooses Run', async () => {
    const { app, api, asked } = await startApp(RUN);
    const { dir, marker } = touchingProject();
    const result = await api.call('projects.run', { uri: dir, command: `touch ${marker}` });
    expect(result.ok).toBe(true);
    const { runId } = (result as { value: { state: { runId: string } } }).value.state;
    await eventually(async () => (await app.flowdesk.handlers['runs.get']({ runId })).run.info.status === 'FINISHED');
    expect(existsSync(marker)).toBe(true);
    expect(asked).toHaveLength(1);
  });

  it('shows the model, port and how it is served, and on Cancel opens no port', async () => {
    const { app, api, asked } = await startApp(CANCEL);
    await logLinearModels(app.server().url);
    const port = await freePort();
    const result = await api.call('models.serve', { model: { uri: 'models:/linear@champion' }, port });
    expect(result).toEqual({ ok: false, error: { code: 'PERMISSION_DENIED', message: 'Cancelled: you did not confirm, so nothing was started (the model server for models:/linear@champion)' } });
    expect(asked[0]!.options).toMatchObject({ title: 'Serve a model?', message: 'Start a model server on this computer?' });
    expect(asked[0]!.options.detail!.split('\n')).toEqual(['Model: models:/linear@champion', 'Flavors: onnx, python_function', 'Served by: ONNX Runtime inside Flowdesk', `Listens on: 127.0.0.1:${port}`]);
    expect(await listening(port)).toBe(false);
    expect((await app.flowdesk.handlers['models.servers']({})).servers).toEqual([]);
  });

  it("names the Python that would load a Python model's code, and on Cancel starts no Python", async () => {
    const marker = join(tempDir(), 'python-ran');
    const python = join(tempDir(), 'python');
    writeFileSync(python, `#!/bin/sh\ntouch '${marker}'\nexit 1\n`);
    chmodSync(python, 0o755);
    process.env.FLOWDESK_PYTHON = python;
    onTestFinished(() => void delete process.env.FLOWDESK_PYTHON);
    const { app, api, asked } = await startApp(CANCEL);
    const folder = join(tempDir(), 'model');
    mkdirSync(folder);
    writeFileSync(join(folder, 'MLmodel'), SKLEARN_MLMODEL);
    writeFileSync(join(folder, 'model.pkl'), 'opaque');
    const run = await new FlowdeskClient(app.server().url).startRun({ runName: 'sklearn' });
    await run.logModel({ folder });
    expect((await api.call('models.serve', { model: { runId: run.runId, path: 'model' } })).ok).toBe(false);
    expect(asked[0]!.options.detail!.split('\n')).toEqual([
      `Model: runs:/${run.runId}/model`,
      'Flavors: python_function, sklearn',
      `Served by: MLflow's model server in ${python}, which loads the model's Python code`,
      'Listens on: 127.0.0.1, any free port',
      '',
      "The model's code runs on this computer with your user's rights.",
    ]);
    expect(existsSync(marker)).toBe(false);
  });

  it('serves the model when the person chooses Run', async () => {
    const { app, api } = await startApp(RUN);
    await logLinearModels(app.server().url);
    const result = await api.call('models.serve', { model: { uri: 'models:/linear@champion' } });
    expect(result.ok).toBe(true);
    const { url } = (result as { value: { server: { url: string } } }).value.server;
    expect((await fetch(`${url}/ping`)).status).toBe(200);
  });

  it('asks one question at a time: a call while the dialog is open is refused without a second dialog', async () => {
    const { fake, api } = await startApp(CANCEL);
    let answer!: (value: { response: number }) => void;
    (fake.raw.dialog.showMessageBox as unknown as ShowMessageBox).mockImplementation(() => new Promise((resolve) => (answer = resolve)));
    const first = touchingProject();
    const second = touchingProject();
    const pending = api.call('projects.run', { uri: first.dir, command: `touch ${first.marker}` });
    await vi.waitFor(() => expect(fake.raw.dialog.showMessageBox).toHaveBeenCalledTimes(1));
    expect(await api.call('projects.run', { uri: second.dir, command: `touch ${second.marker}` })).toEqual({
      ok: false,
      error: { code: 'PERMISSION_DENIED', message: 'Not started: another request to run a project is waiting for your answer' },
    });
    answer({ response: CANCEL });
    expect((await pending).ok).toBe(false);
    expect(fake.raw.dialog.showMessageBox).toHaveBeenCalledTimes(1);
    expect(existsSync(first.marker) || existsSync(second.marker)).toBe(false);
  });
});
