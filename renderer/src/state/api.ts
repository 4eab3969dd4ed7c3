/**
 * The window's one contract client. In the desktop app calls go over IPC through the preload's
 * `window.api`; in a plain browser the page comes from `flowdesk serve`, so calls go to the same
 * origin over HTTP (the server refuses any other origin), with the signed-in token as a Bearer
 * header; a 401 (token revoked meanwhile) sends the window back to sign-in.
 */
import { createClient, type Client, type Transport } from '#core/api/client.ts';
import type { WindowApi } from '#core/api/desktop-contract.ts';
import { createHttpTransport } from '#core/api/http-transport.ts';
import { desktop } from './desktop.ts';
import { session } from './session.svelte.ts';

async function authorizedFetch(url: string, init: { method: string; headers: Record<string, string>; body?: string }) {
  const response = await fetch(url, { ...init, headers: { ...init.headers, ...session.headers() } });
  if (response.status === 401) session.refused(((await response.clone().json().catch(() => ({}))) as { message?: string }).message ?? 'The server asks for a token');
  return response;
}

/** The contract client every view calls through. */
export const api: Client = createClient(desktop ? ipcTransport(desktop) : createHttpTransport({ baseUrl: location.origin, fetch: authorizedFetch }));

function ipcTransport(ipc: WindowApi<File>): Transport {
  return (name, input) => ipc.call(name, input);
}
