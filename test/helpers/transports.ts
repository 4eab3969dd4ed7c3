import { MessageChannel } from 'node:worker_threads';
import { onTestFinished } from 'vitest';
import { createClient, type Client, type Transport } from '#core/api/client.ts';
import { dispatch, type DispatchResult } from '#core/api/dispatch.ts';
import { createHttpTransport } from '#core/api/http-transport.ts';
import { openFlowdesk, type Flowdesk } from '#core/flowdesk.ts';
import { startServer } from '#core/server/server.ts';
import { testCatalogOption } from './postgres.ts';
import { tempDir } from './temp-dir.ts';

/**
 * An in-memory IPC pair: calls and results cross a MessageChannel and so are structured-cloned,
 * as Electron's IPC does, with dispatch on the far side as the main process will run it.
 */
function ipcPair(fd: Flowdesk): Transport {
  const { port1, port2 } = new MessageChannel();
  port2.on('message', async ({ id, name, input }: { id: number; name: string; input: unknown }) => {
    port2.postMessage({ id, result: await dispatch(fd.handlers, name, input, () => undefined) });
  });
  const pending = new Map<number, (result: DispatchResult) => void>();
  port1.on('message', ({ id, result }: { id: number; result: DispatchResult }) => {
    pending.get(id)?.(result);
    pending.delete(id);
  });
  onTestFinished(() => {
    port1.close();
    port2.close();
  });
  let next = 0;
  return (name, input) =>
    new Promise((resolve) => {
      const id = next++;
      pending.set(id, resolve);
      port1.postMessage({ id, name, input });
    });
}

export const TRANSPORTS = ['direct', 'http', 'ipc'] as const;
export type TransportName = (typeof TRANSPORTS)[number];

/** A fresh Flowdesk and a contract client reaching it over the named transport. */
export async function clientOver(kind: TransportName): Promise<{ api: Client; fd: Flowdesk }> {
  const fd = await openFlowdesk({ dataDir: tempDir(), catalog: await testCatalogOption() });
  if (kind === 'direct') {
    onTestFinished(() => fd.close());
    return { fd, api: createClient((name, input) => dispatch(fd.handlers, name, input, () => undefined)) };
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
