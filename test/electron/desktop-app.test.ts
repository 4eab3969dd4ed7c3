import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import type { MenuItemConstructorOptions } from 'electron';
import { afterEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import { startDesktopApp, type DesktopApp } from '../../electron/main/desktop-app.ts';
import { createWindowApi } from '../../electron/preload/window-api.ts';
import { openFlowdesk } from '#core/flowdesk.ts';
import { startServer } from '#core/server/server.ts';
import { resolveDataDir } from '#core/platform/data-location.ts';
import { dist, fakeElectron } from '../helpers/fake-electron.ts';


/** Apps a test left running (it failed midway) are shut down after it. */
const running: { fake: ReturnType<typeof fakeElectron>; app: DesktopApp }[] = [];
afterEach(async () => {
  for (const { fake, app } of running.splice(0)) {
    fake.raw.app.quit();
    await app.closed;
  }
});

/** Starts the app on a fresh data folder whose settings name `port`. */
async function start(fake: ReturnType<typeof fakeElectron>, port = 0) {
  const dataDir = join(fake.root, 'data');
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(join(dataDir, 'settings.json'), JSON.stringify({ port }));
  const starting = startDesktopApp(fake.electron, {
    distDir: dist(fake.root),
    preloadPath: '/app/out/preload/index.cjs',
    version: '9.9.9',
    env: { FLOWDESK_DATA_DIR: dataDir },
    platform: 'linux',
    log: () => undefined,
  });
  fake.calls.push('ready');
  fake.readyResolve();
  const app = (await starting)!;
  running.push({ fake, app });
  return { app, dataDir };
}

async function quitAndWait(fake: ReturnType<typeof fakeElectron>, app: DesktopApp) {
  fake.raw.app.quit();
  await app.closed;
}

describe('the desktop app', () => {
  it('quits at once when another instance runs', async () => {
    const fake = fakeElectron({ lock: false });
    expect(await startDesktopApp(fake.electron, { distDir: '/nowhere', preloadPath: '/p', version: '1' })).toBeUndefined();
    expect(fake.quit).toHaveBeenCalled();
    expect(fake.windows).toHaveLength(0);
  });

  it('registers app:// as privileged before ready, then opens one hardened window on it', async () => {
    const fake = fakeElectron();
    const { app } = await start(fake);
    expect(fake.calls.indexOf('registerSchemesAsPrivileged [{"scheme":"app","privileges":{"standard":true,"secure":true,"supportFetchAPI":true,"stream":true}}]')).toBeLessThan(fake.calls.indexOf('ready'));
    expect(fake.windows).toHaveLength(1);
    const window = fake.windows[0]!;
    expect(window.options.webPreferences).toMatchObject({ preload: '/app/out/preload/index.cjs', contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true });
    expect(window.webContents.mainFrame.url).toBe('app://flowdesk/index.html');
    expect(window.shown).toBe(1);
    expect([...window.listeners.keys()]).toEqual(expect.arrayContaining(['will-navigate', 'will-redirect', 'will-attach-webview']));
    expect(window.openHandler).toBeTypeOf('function');
    expect(fake.permissionHandlers).toHaveLength(3);
    const served = await fake.protocolHandlers.get('app')!(new Request('app://flowdesk/index.html'));
    expect(await served.text()).toContain('<title>Flowdesk</title>');
    await quitAndWait(fake, app);
  });

  it('names its data folder as flowdesk serve does and focuses the window for a second instance', async () => {
    const fake = fakeElectron();
    const { app } = await start(fake);
    expect(fake.raw.app.setName).toHaveBeenCalledWith('Flowdesk');
    expect(fake.raw.app.getPath('userData')).toBe(join(fake.root, 'appData', 'Flowdesk'));
    fake.emit('second-instance');
    expect(fake.calls).toContain('focus');
    await quitAndWait(fake, app);
  });

  it('starts the localhost server with server.json, and the window calls the core over IPC', async () => {
    const fake = fakeElectron();
    const { app, dataDir } = await start(fake);
    const url = app.server().url;
    expect(existsSync(join(dataDir, 'server.json'))).toBe(true);
    expect(await (await fetch(`${url}/health`)).json()).toMatchObject({ status: 'OK' });
    const api = createWindowApi({ ipcRenderer: fake.ipc.ipcRenderer, getPathForFile: () => '' });
    expect(await api.desktop('desktop.info', {})).toEqual({ ok: true, value: { serverUrl: url, dataDir, version: '9.9.9' } });
    const created = await api.call('experiments.create', { name: 'from the window' });
    expect(created.ok).toBe(true);
    expect(fake.sent).toContainEqual({ type: 'experiment.changed', experimentId: (created as { value: { experimentId: string } }).value.experimentId });
    await quitAndWait(fake, app);
  });

  it('listens on a free port when the settings port is taken', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const taken = (blocker.address() as { port: number }).port;
    try {
      const fake = fakeElectron();
      const { app } = await start(fake, taken);
      expect(app.server().port).not.toBe(taken);
      expect((await fetch(`${app.server().url}/health`)).status).toBe(200);
      await quitAndWait(fake, app);
    } finally {
      blocker.close();
    }
  });

  it('applies settings at once: theme to the window and menu, port and token to the server', async () => {
    const fake = fakeElectron();
    const { app } = await start(fake);
    const api = createWindowApi({ ipcRenderer: fake.ipc.ipcRenderer, getPathForFile: () => '' });
    await api.call('settings.update', { theme: 'dark' });
    expect(fake.raw.nativeTheme.themeSource).toBe('dark');
    const view = fake.menus.at(-1)!.find((m) => m.label === '&View')!;
    const theme = (view.submenu as MenuItemConstructorOptions[]).find((m) => m.label === 'Theme')!;
    expect((theme.submenu as MenuItemConstructorOptions[]).map((m) => [m.label, m.checked])).toEqual([['Follow the System', false], ['Light', false], ['Dark', true]]);

    const before = app.server().url;
    const { value } = (await api.call('settings.update', { requireToken: true })) as { value: { settings: { token: string } } };
    // desktop.info answers once the restart is done, with the new address.
    const { value: info } = (await api.desktop('desktop.info', {})) as { value: { serverUrl: string } };
    const url = app.server().url;
    expect(info.serverUrl).toBe(url);
    expect(url).not.toBe(before);
    expect((await fetch(`${url}/api/2.0/mlflow/experiments/search?max_results=1`)).status).toBe(401);
    expect((await fetch(`${url}/api/2.0/mlflow/experiments/search?max_results=1`, { headers: { authorization: `Bearer ${value.settings.token}` } })).status).toBe(200);
    // The window never needs the token: it talks over IPC.
    expect((await api.call('experiments.search', {})).ok).toBe(true);
    await quitAndWait(fake, app);
  });

  it('shows an OS notification when a run of an opted-in experiment finishes', async () => {
    const fake = fakeElectron();
    const { app } = await start(fake);
    const { handlers } = app.flowdesk;
    const { experimentId } = await handlers['experiments.create']({ name: 'watched', tags: [{ key: 'flowdesk.notify', value: 'true' }] });
    const runId = (await handlers['runs.create']({ experimentId, runName: 'nightly' })).run.info.runId;
    await handlers['runs.update']({ runId, status: 'FAILED' });
    await vi.waitFor(() => expect(fake.notifications).toEqual([{ title: 'Run failed: nightly', body: 'In watched' }]));
    await quitAndWait(fake, app);
  });

  it('moves the data folder: recorded where flowdesk serve also looks, then a restart', async () => {
    const fake = fakeElectron();
    const { app } = await start(fake);
    const next = join(fake.root, 'moved');
    fake.raw.dialog.showOpenDialog.mockResolvedValue({ canceled: false, filePaths: [next] });
    const api = createWindowApi({ ipcRenderer: fake.ipc.ipcRenderer, getPathForFile: () => '' });
    expect(await api.desktop('desktop.chooseDataFolder', {})).toEqual({ ok: true, value: { dataDir: next } });
    expect(fake.raw.dialog.showOpenDialog).toHaveBeenCalledWith(fake.windows[0], { title: 'Choose the data folder', properties: ['openDirectory', 'createDirectory'] });
    expect(resolveDataDir(fake.raw.app.getPath('userData'))).toBe(next);
    expect(fake.raw.app.relaunch).toHaveBeenCalled();
    await app.closed;
    expect(fake.calls).toContain('quit');
  });

  it('shuts down cleanly on quit: server closed, server.json removed, catalog closed, then quits', async () => {
    const fake = fakeElectron();
    const { app, dataDir } = await start(fake);
    const url = app.server().url;
    fake.raw.app.quit();
    expect(fake.calls).not.toContain('quit');
    await app.closed;
    expect(fake.calls).toContain('quit');
    expect(existsSync(join(dataDir, 'server.json'))).toBe(false);
    await expect(fetch(`${url}/health`)).rejects.toThrow();
    await expect(app.flowdesk.handlers['experiments.search']({})).rejects.toThrow(/destroyed|closed/);
    expect(existsSync(join(dataDir, 'catalog.sqlite-wal')) ? 'wal left' : 'checkpointed').toBe('checkpointed');
  });

  it('refuses a data folder that flowdesk serve has open, naming it in an error box, and leaves its server.json', async () => {
    const fake = fakeElectron();
    const dataDir = join(fake.root, 'data');
    const owner = await openFlowdesk({ dataDir });
    const server = await startServer({ flowdesk: owner, port: 0, version: 'test', log: () => undefined });
    onTestFinished(async () => {
      await server.close();
      await owner.close();
    });
    const starting = startDesktopApp(fake.electron, { distDir: dist(fake.root), preloadPath: '/p', version: '1', env: { FLOWDESK_DATA_DIR: dataDir }, log: () => undefined });
    fake.readyResolve();
    const refusal = `A Flowdesk server (pid ${process.pid}, ${server.url}) has ${dataDir} open`;
    await expect(starting).rejects.toThrow(refusal);
    expect(fake.raw.dialog.showErrorBox).toHaveBeenCalledWith('Flowdesk cannot start', expect.stringContaining(refusal));
    expect(fake.raw.app.exit).toHaveBeenCalledWith(1);
    expect(JSON.parse(readFileSync(join(dataDir, 'server.json'), 'utf8'))).toMatchObject({ pid: process.pid, url: server.url });
  });
});
