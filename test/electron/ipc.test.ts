import type { WebFrameMain } from 'electron';
import { describe, expect, it, vi } from 'vitest';
import { CALL_CHANNEL, EVENT_CHANNEL, type DesktopEvent, type DesktopHandlers } from '#core/api/desktop-contract.ts';
import { registerIpc, sendEvent } from '../../electron/main/ipc.ts';
import { createWindowApi } from '../../electron/preload/window-api.ts';
import { fakeFrame, fakeIpcPair } from '../helpers/fake-ipc.ts';
import { testFlowdesk } from '../helpers/flowdesk.ts';

const desktop: DesktopHandlers = {
  'desktop.info': async () => ({ serverUrl: 'http://127.0.0.1:5000', dataDir: '/data', version: '1.0.0' }),
  'desktop.importPaths': async (input) => ({ experimentId: '0', runId: 'r', files: input.paths.length, bytes: 0, skipped: [] }),
  'desktop.attachFiles': async () => ({}),
  'desktop.chooseDataFolder': async () => ({}),
  'desktop.teamStatus': async () => ({ remembered: false, encryption: true }),
  'desktop.testTeam': async () => ({ required: true, name: 'ada', role: 'writer' }),
  'desktop.connectTeam': async () => ({ remembered: true, encryption: true }),
  'desktop.disconnectTeam': async () => ({ remembered: false, encryption: true }),
};

/** The real IPC handler and the real preload API over a fake pair; `sender` picks the calling frame. */
async function setup() {
  const { fd } = await testFlowdesk();
  const mainFrame = fakeFrame('app://flowdesk/index.html');
  let sender: WebFrameMain = mainFrame;
  const ipc = fakeIpcPair(() => sender);
  const log = vi.fn();
  registerIpc({ ipcMain: ipc.ipcMain, trustedFrame: () => mainFrame, handlers: fd.handlers, desktop, log });
  const api = createWindowApi<{ path: string }>({ ipcRenderer: ipc.ipcRenderer, getPathForFile: (f) => f.path });
  return { fd, ipc, api, log, setSender: (frame: WebFrameMain) => (sender = frame) };
}

describe('the IPC channel', () => {
  it('answers a contract call from the main frame through dispatch', async () => {
    const { api } = await setup();
    const created = await api.call('experiments.create', { name: 'over ipc' });
    expect(created).toMatchObject({ ok: true, value: { experimentId: expect.any(String) } });
  });

  it('refuses a call from any other frame, even one showing the app', async () => {
    const { api, setSender, log, fd } = await setup();
    for (const frame of [fakeFrame('app://flowdesk/index.html'), fakeFrame('https://evil.example/')]) {
      setSender(frame);
      expect(await api.call('experiments.create', { name: 'sneaky' })).toEqual({
        ok: false,
        error: { code: 'PERMISSION_DENIED', message: 'Refused: this frame may not call Flowdesk' },
      });
    }
    expect(log).toHaveBeenCalledTimes(2);
    await expect(fd.handlers['experiments.getByName']({ name: 'sneaky' })).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
  });

  it('refuses the main frame once it shows something other than the app', async () => {
    const { api, ipc } = await setup();
    const frame = fakeFrame('app://flowdesk/index.html');
    const stranded = fakeIpcPair(() => frame);
    registerIpc({ ipcMain: stranded.ipcMain, trustedFrame: () => frame, handlers: (await testFlowdesk()).fd.handlers, desktop, log: () => undefined });
    (frame as { url: string }).url = 'file:///tmp/dropped.html';
    const strandedApi = createWindowApi({ ipcRenderer: stranded.ipcRenderer, getPathForFile: () => '' });
    expect(await strandedApi.call('experiments.search', {})).toMatchObject({ ok: false, error: { code: 'PERMISSION_DENIED' } });
    expect(ipc.handlers.has(CALL_CHANNEL)).toBe(true);
    expect(await api.call('experiments.search', {})).toMatchObject({ ok: true });
  });

  it.each([
    ['no payload', undefined],
    ['a string', 'experiments.create'],
    ['no name', { input: {} }],
    ['a name of the wrong type', { name: 7, input: {} }],
    ['extra fields', { name: 'experiments.search', input: {}, sender: 'x' }],
    ['an overlong name', { name: 'x'.repeat(101), input: {} }],
  ])('answers a malformed payload (%s) with INVALID_PARAMETER_VALUE', async (_label, payload) => {
    const { ipc } = await setup();
    expect(await ipc.ipcRenderer.invoke(CALL_CHANNEL, payload)).toMatchObject({ ok: false, error: { code: 'INVALID_PARAMETER_VALUE' } });
  });

  it('validates the arguments of each call and returns errors as data', async () => {
    const { api } = await setup();
    expect(await api.call('experiments.create', { name: 42 })).toMatchObject({ ok: false, error: { code: 'INVALID_PARAMETER_VALUE' } });
    expect(await api.call('runs.get', { runId: 'f'.repeat(32) })).toMatchObject({ ok: false, error: { code: 'RESOURCE_DOES_NOT_EXIST' } });
    expect(await api.call('no.such' as never, {})).toMatchObject({ ok: false, error: { code: 'ENDPOINT_NOT_FOUND' } });
    expect(await api.desktop('desktop.attachFiles', { importId: '../x', target: { runId: 'r' } })).toMatchObject({ ok: false, error: { code: 'INVALID_PARAMETER_VALUE' } });
  });

  it('routes desktop calls to the desktop handlers, and importPaths only through the file-drop helper', async () => {
    const { api } = await setup();
    expect(await api.desktop('desktop.info', {})).toEqual({ ok: true, value: { serverUrl: 'http://127.0.0.1:5000', dataDir: '/data', version: '1.0.0' } });
    expect(await api.call('desktop.importPaths' as never, { importId: 'a', target: { runId: 'r' }, paths: ['/etc/passwd'] })).toMatchObject({ ok: false, error: { code: 'PERMISSION_DENIED' } });
    expect(await api.desktop('desktop.importPaths' as never, { importId: 'a', target: { runId: 'r' }, paths: ['/etc/passwd'] })).toMatchObject({ ok: false, error: { code: 'PERMISSION_DENIED' } });
    expect(await api.importFiles([{ path: '/home/me/a.csv' }, { path: '/home/me/b.csv' }], { runId: 'r' }, 'drop-1')).toMatchObject({ ok: true, value: { files: 2 } });
    expect(await api.importFiles([{ path: '' }], { runId: 'r' }, 'drop-2')).toMatchObject({ ok: false, error: { code: 'INVALID_PARAMETER_VALUE' } });
  });

  it('pushes events to the window on one channel, without Electron’s event object', async () => {
    const { api, ipc } = await setup();
    const heard: DesktopEvent[] = [];
    const stop = api.onEvent((event, ...rest: unknown[]) => heard.push(event, ...(rest as DesktopEvent[])));
    const event: DesktopEvent = { type: 'run.created', experimentId: '0', runId: 'abc' };
    sendEvent(ipc.webContents, event);
    expect(heard).toEqual([event]);
    stop();
    expect(ipc.listenerCount()).toBe(0);
    ipc.webContents.destroyed = true;
    sendEvent(ipc.webContents, event);
    expect(heard).toHaveLength(1);
    expect(EVENT_CHANNEL).toBe('flowdesk:event');
  });

  it('stops answering once unregistered', async () => {
    const { fd } = await testFlowdesk();
    const frame = fakeFrame('app://flowdesk/index.html');
    const ipc = fakeIpcPair(() => frame);
    const stop = registerIpc({ ipcMain: ipc.ipcMain, trustedFrame: () => frame, handlers: fd.handlers, desktop, log: () => undefined });
    stop();
    await expect(ipc.ipcRenderer.invoke(CALL_CHANNEL, { name: 'experiments.search', input: {} })).rejects.toThrow(/No handler/);
  });
});
