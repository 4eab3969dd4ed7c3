/**
 * The conformance suite, generated from the contract as MLflow's abstract store tests are from
 * its store: every method is exercised through every transport it allows (in-process dispatch,
 * HTTP through `flowdesk serve`'s contract endpoint, IPC through the main process's handler) on
 * the project's catalog (SQLite here, PostgreSQL in the postgres project), with a write read back;
 * and every method refuses, on each transport, a caller its declared role or reach forbids.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCESS_ROLES, type Access, type AccessRole, type Principal } from '#core/api/access.ts';
import { createClient, type Client } from '#core/api/client.ts';
import { contract, METHOD_NAMES, type MethodName } from '#core/api/contract.ts';
import type { DesktopHandlers } from '#core/api/desktop-contract.ts';
import { dispatch } from '#core/api/dispatch.ts';
import { createHttpTransport } from '#core/api/http-transport.ts';
import { allowExecution } from '#core/execution/execution-policy.ts';
import { openFlowdesk, type Flowdesk } from '#core/flowdesk.ts';
import { startServer } from '#core/server/server.ts';
import { addUser } from '#core/users/users.ts';
import { registerIpc } from '../../electron/main/ipc.ts';
import { createWindowApi } from '../../electron/preload/window-api.ts';
import { fakeFrame, fakeIpcPair } from '../helpers/fake-ipc.ts';
import { testCatalogOption } from '../helpers/postgres.ts';
import { clientOver, TRANSPORTS } from '../helpers/transports.ts';
import { CASES } from './conformance-cases.ts';

/** The role just below the one a method needs: the highest caller it must refuse. */
function roleBelow(access: Access): AccessRole | undefined {
  return ACCESS_ROLES[ACCESS_ROLES.indexOf(access.role) - 1];
}

/** A client that notes each method that answered without an error. */
function recording(api: Client): { api: Client; answered: Set<string> } {
  const answered = new Set<string>();
  return {
    answered,
    api: {
      async call(name, input) {
        const output = await api.call(name, input);
        answered.add(name);
        return output;
      },
    },
  };
}

/** Data folders shared by the tests of a describe block (tempDir's cleanup belongs to one test). */
const sharedDirs: string[] = [];
function sharedDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'flowdesk-conformance-'));
  sharedDirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of sharedDirs) rmSync(dir, { recursive: true, force: true });
});

const METHODS = Object.entries(contract).map(([name, spec]) => ({ name: name as MethodName, access: spec.access }));

describe('the conformance cases', () => {
  it('cover every contract method, and name no method the contract lacks', () => {
    const covered = new Set(CASES.flatMap((c) => c.covers));
    expect(METHOD_NAMES.filter((name) => !covered.has(name))).toEqual([]);
    expect([...covered].filter((name) => !Object.hasOwn(contract, name))).toEqual([]);
  });
});

// Every contract method's reach is `local` or `team`: each allows in-process, IPC and HTTP on a
// loopback server (where the caller is the owner), so every case runs over all three.
describe.each(TRANSPORTS)('the contract over %s', (transport) => {
  it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_name, testCase) => {
    const { api, fd } = await clientOver(transport, testCase.executes ? { execution: allowExecution('allowed by the conformance suite') } : {});
    const client = recording(api);
    await testCase.run(client.api, fd);
    expect(testCase.covers.filter((name) => !client.answered.has(name))).toEqual([]);
  });
});

/** Methods a lower role calls, and methods the owner calls on a team server that stay on this machine. */
const BY_ROLE = METHODS.filter((m) => roleBelow(m.access) !== undefined);
const MACHINE_ONLY = METHODS.filter((m) => m.access.reach === 'local');

describe('refusals in-process', () => {
  let fd: Flowdesk;
  beforeAll(async () => {
    fd = await openFlowdesk({ dataDir: sharedDir(), catalog: await testCatalogOption('file') });
  });
  afterAll(() => fd.close());

  it.each(BY_ROLE.map((m) => [m.name, roleBelow(m.access)!] as const))('refuse %s to a %s', async (name, role) => {
    const caller: Principal = { role, name: 'ann', via: 'in-process', team: false };
    expect(await dispatch(fd.handlers, name, {}, caller, () => undefined)).toMatchObject({ ok: false, error: { code: 'PERMISSION_DENIED' } });
  });
});

describe('refusals over HTTP on a team server', () => {
  let fd: Flowdesk;
  let close: () => Promise<void>;
  const clients = {} as Record<AccessRole | 'anonymous', Client>;
  beforeAll(async () => {
    fd = await openFlowdesk({ dataDir: sharedDir(), catalog: await testCatalogOption('file') });
    const server = await startServer({ flowdesk: fd, host: '0.0.0.0', port: 0, version: 'test', token: 'owner-secret', log: () => undefined });
    close = async () => {
      await server.close();
      await fd.close();
    };
    const over = (token?: string) => createClient(createHttpTransport({ baseUrl: `http://127.0.0.1:${server.port}`, fetch, token }));
    for (const role of ['reader', 'writer', 'approver'] as const) clients[role] = over((await addUser(fd.catalog, role, role, 1)).token);
    clients.owner = over('owner-secret');
    clients.anonymous = over();
  });
  afterAll(() => close());

  it.each(BY_ROLE.map((m) => [m.name, roleBelow(m.access)!] as const))('refuse %s to a %s', async (name, role) => {
    await expect(clients[role].call(name, {} as never)).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
  });

  it.each(MACHINE_ONLY.map((m) => m.name))('refuse %s to the owner, as it acts on the machine', async (name) => {
    await expect(clients.owner.call(name, {} as never)).rejects.toMatchObject({ code: 'PERMISSION_DENIED', message: expect.stringMatching(/on a team server/) });
  });

  it.each(METHODS.map((m) => m.name))('refuse %s to a caller without credentials', async (name) => {
    await expect(clients.anonymous.call(name, {} as never)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  });
});

describe('refusals over IPC from a window connected to a team server', () => {
  const windows = {} as Record<'reader' | 'writer', Client>;
  const stops: (() => Promise<void> | void)[] = [];
  beforeAll(async () => {
    const team = await openFlowdesk({ dataDir: sharedDir(), catalog: await testCatalogOption('file') });
    const tokens = { reader: (await addUser(team.catalog, 'reader', 'reader', 1)).token, writer: (await addUser(team.catalog, 'writer', 'writer', 1)).token };
    const server = await startServer({ flowdesk: team, host: '0.0.0.0', port: 0, version: 'test', log: () => undefined });
    const local = await openFlowdesk({ dataDir: sharedDir() });
    stops.push(() => server.close(), () => team.close(), () => local.close());
    const desktop = new Proxy({} as DesktopHandlers, { get: () => () => Promise.reject(new Error('The conformance suite makes no desktop calls')) });
    for (const role of ['reader', 'writer'] as const) {
      const remote = createHttpTransport({ baseUrl: `http://127.0.0.1:${server.port}`, fetch, token: tokens[role] });
      const frame = fakeFrame('app://flowdesk/index.html');
      const ipc = fakeIpcPair(() => frame);
      stops.unshift(registerIpc({ ipcMain: ipc.ipcMain, trustedFrame: () => frame, handlers: local.handlers, remote: () => remote, desktop, log: () => undefined }));
      const windowApi = createWindowApi({ ipcRenderer: ipc.ipcRenderer, getPathForFile: () => '' });
      windows[role] = createClient((name, input) => windowApi.call(name, input));
    }
  });
  afterAll(async () => {
    for (const stop of stops) await stop();
  });

  // The window routes team-reach calls to the team server as its user; the owner's own methods stay local.
  const byTeamRole = BY_ROLE.filter((m) => m.access.reach === 'team' && m.access.role !== 'owner');
  it.each(byTeamRole.map((m) => [m.name, roleBelow(m.access) as 'reader' | 'writer'] as const))('refuse %s to a %s', async (name, role) => {
    await expect(windows[role].call(name, {} as never)).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
  });
});
