import { onTestFinished } from 'vitest';
import { createClient, type Client, type Transport } from '#core/api/client.ts';
import type { DesktopHandlers } from '#core/api/desktop-contract.ts';
import { IN_PROCESS_OWNER } from '#core/api/access.ts';
import { dispatch } from '#core/api/dispatch.ts';
import { createHttpTransport } from '#core/api/http-transport.ts';
import type { ExecutionPolicy } from '#core/execution/execution-policy.ts';
import { openFlowdesk, type Flowdesk } from '#core/flowdesk.ts';
import { startServer } from '#core/server/server.ts';
import { registerIpc } from '../../electron/main/ipc.ts';
import { createWindowApi } from '../../electron/preload/window-api.ts';
import { fakeFrame, fakeIpcPair } from './fake-ipc.ts';
import { testCatalogOption } from './postgres.ts';
import { tempDir } from './temp-dir.ts';

/**
 * The desktop window's transport in memory: the preload's real `window.api` talking to the main
 * process's real IPC handler (sender check, payload check, dispatch) through a fake
 * ipcMain/ipcRenderer pair that structured-clones every payload, as Electron's IPC does.
 */
function ipcPair(fd: Flowdesk): Transport {
  const frame = fakeFrame('app://flowdesk/index.html');
  const ipc = fakeIpcPair(() => frame);
  const desktop = new Proxy({} as DesktopHandlers, {
    get: () => () => Promise.reject(new Error('The contract suite makes no desktop calls')),
  });
  const stop = registerIpc({ ipcMain: ipc.ipcMain, trustedFrame: () => frame, handlers: fd.handlers, desktop, log: () => undefined });
  onTestFinished(stop);
  const api = createWindowApi({ ipcRenderer: ipc.ipcRenderer, getPathForFile: () => '' });
  return (name, input) => api.call(name, input);
}

export const TRANSPORTS = ['direct', 'http', 'ipc'] as const;
export type TransportName = (typeof TRANSPORTS)[number];

/**
 * A fresh Flowdesk and a contract client reaching it over the named transport. `execution` lets
 * projects run and models be served, as after a person's confirmation.
 */
export async function clientOver(kind: TransportName, options: { execution?: ExecutionPolicy } = {}): Promise<{ api: Client; fd: Flowdesk }> {
  const fd = await openFlowdesk({ dataDir: tempDir(), catalog: await testCatalogOption(), execution: options.execution });
  if (kind === 'direct') {
    onTestFinished(() => fd.close());
    return { fd, api: createClient((name, input) => dispatch(fd.handlers, name, input, IN_PROCESS_OWNER, () => undefined)) };
  }
  if (kind === 'ipc') {
    onTestFinished(() => fd.close());
    return { fd, api: createClient(ipcPair(fd)) };
  }
  const server = await startServer({ flowdesk: fd, port: 0, version: 'test', log: () => undefined });
  onTestFinished(async () => {
    await server.close();
    await fd.close();
  });
  return { fd, api: createClient(createHttpTransport({ baseUrl: server.url, fetch })) };
}
