/**
 * The desktop app connected to a team server: a real team server with users and tokens, the real
 * desktop app behind a fake `electron` module (safeStorage included), the real preload API.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import { openFlowdesk } from '#core/flowdesk.ts';
import { startServer } from '#core/server/server.ts';
import { addUser } from '#core/users/users.ts';
import { startDesktopApp, type DesktopApp } from '../../electron/main/desktop-app.ts';
import { createWindowApi } from '../../electron/preload/window-api.ts';
import { dist, fakeElectron } from '../helpers/fake-electron.ts';
import { tempDir } from '../helpers/temp-dir.ts';

type Fake = ReturnType<typeof fakeElectron>;

/** A team server beyond loopback with a writer. */
async function startTeam() {
  const fd = await openFlowdesk({ dataDir: tempDir() });
  const { token } = await addUser(fd.catalog, 'ada', 'writer', 1_000);
  const server = await startServer({ flowdesk: fd, host: '0.0.0.0', port: 0, version: 'team', log: () => undefined });
  onTestFinished(async () => {
    await server.close();
    await fd.close();
  });
  return { fd, url: `http://127.0.0.1:${server.port}`, token };
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const running: { fake: Fake; app: DesktopApp }[] = [];
afterEach(async () => {
  for (const { fake, app } of running.splice(0)) {
    fake.raw.app.quit();
    await app.closed;
  }
});

async function startApp(fake: Fake, dataDir = join(fake.root, 'data')) {
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(join(dataDir, 'settings.json'), JSON.stringify({ port: 0 }));
  const starting = startDesktopApp(fake.electron, { distDir: dist(fake.root), preloadPath: '/p', version: '1', env: { FLOWDESK_DATA_DIR: dataDir }, platform: 'linux', log: () => undefined });
  fake.readyResolve();
  const app = (await starting)!;
  running.push({ fake, app });
  const api = createWindowApi({ ipcRenderer: fake.ipc.ipcRenderer, getPathForFile: () => '' });
  return { app, api, dataDir };
}

const runIds = async (search: (input: { experimentIds: string[] }) => Promise<{ runs: { info: { runId: string } }[] }>) => (await search({ experimentIds: ['0'] })).runs.map((r) => r.info.runId);

describe('the desktop app connected to a team server', () => {
  it('tests, connects, routes calls, events and artifacts to the team, then disconnects back to local data', async () => {
    const team = await startTeam();
    const fake = fakeElectron();
    const { app, api, dataDir } = await startApp(fake);

    expect(await api.desktop('desktop.testTeam', { url: team.url, token: team.token })).toEqual({ ok: true, value: { required: true, name: 'ada', role: 'writer' } });
    const connected = await api.desktop('desktop.connectTeam', { url: team.url, token: team.token });
    expect(connected).toEqual({ ok: true, value: { url: team.url, name: 'ada', role: 'writer', remembered: true, encryption: true } });

    // The token went through safeStorage and the file holds only its encrypted form.
    const safe = fake.raw.safeStorage;
    expect(safe.encrypted).toEqual([team.token]);
    const saved = readFileSync(join(dataDir, 'team.json'), 'utf8');
    expect(saved).toContain(team.url);
    expect(saved).not.toContain(team.token);
    expect(readFileSync(join(dataDir, 'settings.json'), 'utf8')).not.toContain(team.token);

    // A run created through the window lands in the team's catalog, recorded as ada's, not locally.
    const created = (await api.call('runs.create', {})) as { ok: true; value: { run: { info: { runId: string; userId: string } } } };
    expect(created.ok).toBe(true);
    const { runId } = created.value.run.info;
    expect(created.value.run.info.userId).toBe('ada');
    expect(await runIds((i) => team.fd.handlers['runs.search'](i))).toContain(runId);
    expect(await runIds((i) => app.flowdesk.handlers['runs.search'](i))).not.toContain(runId);

    // Events from the team arrive on the window's channel; local ones do not while connected.
    await team.fd.handlers['runs.update']({ runId, status: 'FINISHED' });
    await vi.waitFor(() => expect(fake.sent).toContainEqual(expect.objectContaining({ type: 'run.updated', runId })), { timeout: 5000 });
    await app.flowdesk.handlers['experiments.create']({ name: 'only on the laptop' });
    const localRun = (await app.flowdesk.handlers['runs.create']({})).run.info.runId;
    const marker = (await team.fd.handlers['runs.create']({})).run.info.runId;
    await vi.waitFor(() => expect(fake.sent).toContainEqual(expect.objectContaining({ type: 'run.created', runId: marker })));
    expect(fake.sent.filter((e) => 'runId' in e && e.runId === localRun)).toEqual([]);

    // Artifact previews through app:// come from the team's store, with the token.
    const put = await fetch(`${team.url}/api/2.0/mlflow-artifacts/artifacts/0/${runId}/artifacts/notes.txt`, { method: 'PUT', headers: { authorization: `Bearer ${team.token}` }, body: 'from the team' });
    expect(put.status).toBe(200);
    const preview = await fake.protocolHandlers.get('app')!(new Request(`app://flowdesk/api/2.0/mlflow-artifacts/artifacts/0/${runId}/artifacts/notes.txt`));
    expect(preview.status).toBe(200);
    expect(await preview.text()).toBe('from the team');

    // The app's own settings stay local: the theme changes this window, not the team server.
    expect((await api.call('settings.update', { theme: 'dark' })).ok).toBe(true);
    expect(fake.raw.nativeTheme.themeSource).toBe('dark');
    expect(team.fd.settings.read().theme).toBe('system');

    // Dropped files go up to the team's artifact proxy, into a new team run.
    const dropped = join(fake.root, 'dropped.txt');
    writeFileSync(dropped, 'dropped on the window');
    const imported = (await fake.ipc.ipcRenderer.invoke('flowdesk:call', { name: 'desktop.importPaths', input: { importId: 'i1', target: { experimentId: '0' }, paths: [dropped] } })) as { ok: true; value: { runId: string; files: number } };
    expect(imported).toMatchObject({ ok: true, value: { files: 1, bytes: 21 } });
    const teamFile = await fetch(`${team.url}/api/2.0/mlflow-artifacts/artifacts/0/${imported.value.runId}/artifacts/dropped.txt`, { headers: { authorization: `Bearer ${team.token}` } });
    expect(await teamFile.text()).toBe('dropped on the window');
    expect((await team.fd.handlers['runs.get']({ runId: imported.value.runId })).run.info.status).toBe('FINISHED');
    expect(fake.sent).toContainEqual(expect.objectContaining({ type: 'import.progress', importId: 'i1', filesDone: 1 }));

    // The localhost server keeps serving local scripts on the laptop's data meanwhile.
    const localSearch = await fetch(`${app.server().url}/api/2.0/mlflow/experiments/search?max_results=100`);
    expect(JSON.stringify(await localSearch.json())).toContain('only on the laptop');

    expect(await api.desktop('desktop.disconnectTeam', {})).toEqual({ ok: true, value: { remembered: false, encryption: true } });
    expect(existsSync(join(dataDir, 'team.json'))).toBe(false);
    expect(await runIds((i) => api.call('runs.search', i).then((r) => (r as { value: { runs: { info: { runId: string } }[] } }).value))).not.toContain(runId);
    const back = (await api.call('experiments.search', {})) as { value: { experiments: { name: string }[] } };
    expect(back.value.experiments.map((e) => e.name)).toContain('only on the laptop');
  });

  it('refuses a wrong token and an unreachable server with a clear error, staying on local data', async () => {
    const team = await startTeam();
    const fake = fakeElectron();
    const { api, dataDir } = await startApp(fake);
    const wrong = await api.desktop('desktop.connectTeam', { url: team.url, token: 'not-a-token' });
    expect(wrong).toEqual({ ok: false, error: { code: 'UNAUTHENTICATED', message: 'The team server refused the token: The token is not valid for this server' } });
    const closed = await closedPort();
    const tested = await api.desktop('desktop.testTeam', { url: `http://127.0.0.1:${closed}`, token: team.token });
    expect(tested).toEqual({ ok: false, error: { code: 'INVALID_STATE', message: `Cannot reach http://127.0.0.1:${closed}: ECONNREFUSED` } });
    expect(await api.desktop('desktop.connectTeam', { url: 'file:///etc', token: 'x' })).toMatchObject({ ok: false, error: { code: 'INVALID_PARAMETER_VALUE' } });
    expect(existsSync(join(dataDir, 'team.json'))).toBe(false);
    expect(await api.desktop('desktop.teamStatus', {})).toEqual({ ok: true, value: { remembered: false, encryption: true } });
    expect((await api.call('experiments.search', {})).ok).toBe(true);
  });

  it('resumes the saved connection at the next start, decrypting the token', async () => {
    const team = await startTeam();
    const first = fakeElectron();
    const { api, dataDir } = await startApp(first);
    expect((await api.desktop('desktop.connectTeam', { url: team.url, token: team.token })).ok).toBe(true);
    first.raw.app.quit();
    await running.splice(0)[0]!.app.closed;

    const second = fakeElectron();
    const again = await startApp(second, dataDir);
    expect(await again.api.desktop('desktop.teamStatus', {})).toEqual({ ok: true, value: { url: team.url, name: 'ada', role: 'writer', remembered: true, encryption: true } });
    const { value } = (await again.api.call('experiments.create', { name: 'after restart' })) as { value: { experimentId: string } };
    expect((await team.fd.handlers['experiments.get']({ experimentId: value.experimentId })).experiment.name).toBe('after restart');
  });

  it('without OS encryption keeps the token only in memory, unless the person allows plain text', async () => {
    const team = await startTeam();
    const fake = fakeElectron();
    fake.raw.safeStorage.available = false;
    const { api, dataDir } = await startApp(fake);
    expect(await api.desktop('desktop.connectTeam', { url: team.url, token: team.token })).toEqual({ ok: true, value: { url: team.url, name: 'ada', role: 'writer', remembered: false, encryption: false } });
    expect(existsSync(join(dataDir, 'team.json'))).toBe(false);
    expect((await api.call('experiments.search', {})).ok).toBe(true);
    expect(await api.desktop('desktop.connectTeam', { url: team.url, token: team.token, storePlainText: true })).toMatchObject({ ok: true, value: { remembered: true } });
    expect(JSON.parse(readFileSync(join(dataDir, 'team.json'), 'utf8'))).toEqual({ url: team.url, token: { plain: team.token } });
  });

  it('opens on local data, saying why, when the saved team server cannot be reached', async () => {
    const fake = fakeElectron();
    const dataDir = join(fake.root, 'data');
    mkdirSync(dataDir, { recursive: true });
    const encrypted = fake.raw.safeStorage.encryptString('t0ken').toString('base64');
    const closed = await closedPort();
    writeFileSync(join(dataDir, 'team.json'), JSON.stringify({ url: `http://127.0.0.1:${closed}`, token: { encrypted } }));
    const { api } = await startApp(fake, dataDir);
    const status = (await api.desktop('desktop.teamStatus', {})) as { value: { url?: string; problem?: string } };
    expect(status.value.url).toBeUndefined();
    expect(status.value.problem).toBe(`Could not reconnect to http://127.0.0.1:${closed}: Cannot reach http://127.0.0.1:${closed}: ECONNREFUSED`);
    expect((await api.call('experiments.search', {})).ok).toBe(true);
  });
});
