/**
 * Who may call what, as the contract declares it and `dispatch` enforces it: every method
 * declares a role and a reach, and the same check refuses a caller in-process, over IPC (the
 * window is the owner; connected to a team server, the team decides) and over HTTP.
 */
import { describe, expect, it, onTestFinished } from 'vitest';
import { z } from 'zod';
import { ACCESS_ROLES, IN_PROCESS_OWNER, REACHES, STORE_ACCESS, WINDOW_OWNER, type Principal } from '#core/api/access.ts';
import { createClient } from '#core/api/client.ts';
import { contract, method } from '#core/api/contract.ts';
import { desktopContract, type DesktopHandlers } from '#core/api/desktop-contract.ts';
import { dispatch } from '#core/api/dispatch.ts';
import { createHttpTransport } from '#core/api/http-transport.ts';
import { openFlowdesk } from '#core/flowdesk.ts';
import { startServer } from '#core/server/server.ts';
import { addUser } from '#core/users/users.ts';
import { registerIpc } from '../../electron/main/ipc.ts';
import { createWindowApi } from '../../electron/preload/window-api.ts';
import { fakeFrame, fakeIpcPair } from '../helpers/fake-ipc.ts';
import { testFlowdesk } from '../helpers/flowdesk.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { clientOver } from '../helpers/transports.ts';

const tables = { contract, desktopContract } as Record<string, Record<string, { access?: { role?: unknown; reach?: unknown } }>>;

/** Methods that act on the machine: the owner's, never on a team server. */
const MACHINE_METHODS = ['projects.inspect', 'projects.validate', 'projects.run', 'projects.log', 'projects.cancel', 'models.serve', 'models.stopServing', 'settings.update', 'imports.start', 'imports.get', 'imports.list', 'imports.stop'];

describe('the access declarations', () => {
  it.each(Object.keys(tables))('name a known role and reach for every method of %s', (table) => {
    const undeclared = Object.entries(tables[table]!)
      .filter(([, spec]) => !ACCESS_ROLES.includes(spec.access?.role as never) || !REACHES.includes(spec.access?.reach as never))
      .map(([name]) => name);
    expect(undeclared).toEqual([]);
  });

  it('cannot build a method without one', () => {
    // @ts-expect-error -- the access argument is required: the compiler refuses a method that declares nothing.
    const undeclared = method('A method that says nothing about who may call it.', z.object({}), z.object({}));
    expect(undeclared.access).toBeUndefined();
  });

  it('keeps deciding protected moves to approvers', () => {
    expect(['registry.approveRequest', 'registry.rejectRequest', 'registry.setProtection'].map((m) => contract[m as 'registry.approveRequest'].access.role)).toEqual(['approver', 'approver', 'approver']);
  });

  it('keeps the methods that act on the machine to its owner, never on a team server', () => {
    expect(MACHINE_METHODS.map((name) => [name, contract[name as 'projects.run'].access])).toEqual(MACHINE_METHODS.map((name) => [name, { role: 'owner', reach: 'local' }]));
    expect(contract['settings.get'].access.role).toBe('owner');
    expect(Object.values(desktopContract).every((spec) => spec.access.role === 'owner' && spec.access.reach === 'window')).toBe(true);
  });

  it('declares every artifact-store action', () => {
    expect(STORE_ACCESS).toEqual({
      'artifactStore.read': { role: 'reader', reach: 'team' },
      'artifactStore.write': { role: 'writer', reach: 'team' },
      'artifactStore.delete': { role: 'writer', reach: 'team' },
    });
  });
});

describe('dispatch', () => {
  const call = async (caller: Principal, name: string, input: unknown) => {
    const { fd } = await testFlowdesk();
    return dispatch(fd.handlers, name, input, caller, () => undefined);
  };

  it('refuses a role below the declared one before reading the input', async () => {
    const reader: Principal = { role: 'reader', name: 'ann', via: 'in-process', team: false };
    expect(await call(reader, 'experiments.create', { name: 42 })).toEqual({
      ok: false,
      error: { code: 'PERMISSION_DENIED', message: "User 'ann' (reader) may not call experiments.create: it needs the writer role" },
    });
  });

  it('refuses the owner over HTTP on a team server the methods that act on the machine, and lets them through elsewhere', async () => {
    const { fd } = await testFlowdesk();
    const teamOwner: Principal = { role: 'owner', via: 'http', team: true };
    const localOwner: Principal = { role: 'owner', via: 'http', team: false };
    for (const name of MACHINE_METHODS) {
      const refused = await dispatch(fd.handlers, name, {}, teamOwner, () => undefined);
      expect({ name, refused }).toMatchObject({ name, refused: { ok: false, error: { code: 'PERMISSION_DENIED', message: expect.stringMatching(/on a team server/) } } });
      // Let through, the call fails on its (empty) input instead.
      for (const caller of [localOwner, IN_PROCESS_OWNER, WINDOW_OWNER]) {
        const passed = await dispatch(fd.handlers, name, {}, caller, () => undefined);
        expect({ name, caller: caller.via, code: passed.ok ? 'ok' : passed.error.code }).not.toMatchObject({ code: 'PERMISSION_DENIED' });
      }
    }
  });

  it('applies four eyes and the signed-in actor in the registry itself, with no HTTP in between', async () => {
    const { fd, api } = await testFlowdesk();
    const ann: Principal = { role: 'approver', name: 'ann', via: 'in-process', team: false };
    const asAnn = (name: string, input: unknown) => dispatch(fd.handlers, name, input, ann, () => undefined);
    await api.call('registry.createModel', { name: 'm' });
    const { run } = await api.call('runs.create', {});
    await api.call('registry.createVersion', { name: 'm', source: `runs:/${run.info.runId}/model` });
    await api.call('registry.setProtection', { name: 'm', aliases: ['prod'], stages: [] });
    const asked = await asAnn('registry.setAlias', { name: 'm', version: 1, alias: 'prod', actor: 'mallory' });
    const request = (asked as { ok: true; value: { request: { requestId: string; requestedBy: string } } }).value.request;
    expect(request.requestedBy).toBe('ann');
    expect(await asAnn('registry.approveRequest', { requestId: request.requestId })).toMatchObject({ ok: false, error: { code: 'PERMISSION_DENIED', message: expect.stringMatching(/another approver/) } });
    // The owner, alone on a laptop, may approve it.
    expect((await api.call('registry.approveRequest', { requestId: request.requestId })).request.status).toBe('approved');
  });

  it('answers the settings to the owner in-process, over IPC and on an open loopback server', async () => {
    for (const kind of ['direct', 'ipc', 'http'] as const) {
      const { api, fd } = await clientOver(kind);
      expect({ kind, dataDir: (await api.call('settings.get', {})).dataDir }).toEqual({ kind, dataDir: fd.dataDir });
    }
  });
});

describe('the window over IPC', () => {
  /** The window's IPC path to the local core, routed to a team server as `role` (as the desktop app does when connected). */
  async function windowOnTeam(role: 'reader' | 'writer') {
    const team = await openFlowdesk({ dataDir: tempDir() });
    const { token } = await addUser(team.catalog, 'pat', role, 1);
    const server = await startServer({ flowdesk: team, host: '0.0.0.0', port: 0, version: 'test', log: () => undefined });
    const local = await openFlowdesk({ dataDir: tempDir() });
    onTestFinished(async () => {
      await server.close();
      await team.close();
      await local.close();
    });
    const remote = createHttpTransport({ baseUrl: `http://127.0.0.1:${server.port}`, fetch, token });
    const frame = fakeFrame('app://flowdesk/index.html');
    const ipc = fakeIpcPair(() => frame);
    const desktop = new Proxy({} as DesktopHandlers, { get: () => () => Promise.resolve({ remembered: false, encryption: false }) });
    onTestFinished(registerIpc({ ipcMain: ipc.ipcMain, trustedFrame: () => frame, handlers: local.handlers, remote: () => remote, desktop, log: () => undefined }));
    const windowApi = createWindowApi({ ipcRenderer: ipc.ipcRenderer, getPathForFile: () => '' });
    return { api: createClient((name, input) => windowApi.call(name, input)), windowApi, local };
  }

  it('is refused by the team server what its user may not do, and keeps the settings local', async () => {
    const { api, local } = await windowOnTeam('reader');
    await expect(api.call('experiments.create', { name: 'x' })).rejects.toMatchObject({ code: 'PERMISSION_DENIED', message: expect.stringContaining("User 'pat' (reader)") });
    expect((await api.call('experiments.search', {})).experiments.map((e) => e.name)).toEqual(['Default']);
    expect((await api.call('settings.get', {})).dataDir).toBe(local.dataDir);
  });

  it('records a run created through the window on a team server as its user, whatever the call claims', async () => {
    const { api } = await windowOnTeam('writer');
    const { run } = await api.call('runs.create', { userId: 'mallory', tags: [{ key: 'mlflow.user', value: 'mallory' }] });
    expect({ userId: run.info.userId, tags: run.data.tags.filter((t) => t.key === 'mlflow.user') }).toEqual({ userId: 'pat', tags: [{ key: 'mlflow.user', value: 'pat' }] });
    await expect(api.call('runs.setTag', { runId: run.info.runId, key: 'mlflow.user', value: 'mallory' })).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
  });

  it('reaches the desktop methods, which no HTTP route serves', async () => {
    const { windowApi } = await windowOnTeam('reader');
    expect(await windowApi.desktop('desktop.teamStatus', {})).toMatchObject({ ok: true });
    const { api } = await clientOver('http');
    await expect(api.call('desktop.teamStatus' as never, {} as never)).rejects.toMatchObject({ code: 'ENDPOINT_NOT_FOUND' });
  });
});
