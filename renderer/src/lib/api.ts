/**
 * The window's one contract client. In the desktop app calls go over IPC through the preload's
 * `window.api`; in a plain browser the page comes from `flowdesk serve`, so calls go to the same
 * origin over HTTP (the server refuses any other origin).
 */
import { createClient, type Client, type Transport } from '#core/api/client.ts';
import type { WindowApi } from '#core/api/desktop-contract.ts';
import { createHttpTransport } from '#core/api/http-transport.ts';
import { desktop } from './desktop.ts';

/** The contract client every view calls through. */
export const api: Client = createClient(desktop ? ipcTransport(desktop) : createHttpTransport({ baseUrl: location.origin, fetch: (url, init) => fetch(url, init) }));

function ipcTransport(ipc: WindowApi<File>): Transport {
  return (name, input) => ipc.call(name, input);
}
