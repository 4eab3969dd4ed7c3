import type { IpcMain, IpcMainInvokeEvent, IpcRenderer, IpcRendererEvent, WebFrameMain } from 'electron';
import { EVENT_CHANNEL } from '#core/api/ipc-channels.ts';

type Handler = (event: IpcMainInvokeEvent, ...args: unknown[]) => unknown;
type Listener = (event: IpcRendererEvent, ...args: unknown[]) => void;

/** A frame as the IPC sender check sees it. */
export function fakeFrame(url: string): WebFrameMain {
  return { url } as WebFrameMain;
}

/**
 * A fake `ipcMain` and `ipcRenderer` joined in memory, standing in for the `electron` module at
 * the process edge. Payloads cross it structured-cloned, as Electron's IPC clones them, so what
 * cannot cross a real IPC boundary cannot cross this one either.
 */
export function fakeIpcPair(senderFrame: () => WebFrameMain) {
  const handlers = new Map<string, Handler>();
  const listeners = new Map<string, Set<Listener>>();
  const ipcMain = {
    handle(channel: string, handler: Handler) {
      if (handlers.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`);
      handlers.set(channel, handler);
    },
    removeHandler(channel: string) {
      handlers.delete(channel);
    },
  } as unknown as Pick<IpcMain, 'handle' | 'removeHandler'>;
  const ipcRenderer = {
    async invoke(channel: string, ...args: unknown[]) {
      const handler = handlers.get(channel);
      if (!handler) throw new Error(`No handler registered for '${channel}'`);
      const result = await handler({ senderFrame: senderFrame() } as IpcMainInvokeEvent, ...structuredClone(args));
      return structuredClone(result);
    },
    on(channel: string, listener: Listener) {
      if (!listeners.has(channel)) listeners.set(channel, new Set());
      listeners.get(channel)!.add(listener);
      return ipcRenderer;
    },
    removeListener(channel: string, listener: Listener) {
      listeners.get(channel)?.delete(listener);
      return ipcRenderer;
    },
  } as unknown as Pick<IpcRenderer, 'invoke' | 'on' | 'removeListener'>;
  /** What `webContents.send` does: delivers to the renderer's listeners with an event object. */
  const webContents = {
    destroyed: false,
    isDestroyed() {
      return this.destroyed;
    },
    send(channel: string, ...args: unknown[]) {
      const event = { sender: 'the ipcRenderer, which the page must never see' } as unknown as IpcRendererEvent;
      for (const listener of listeners.get(channel) ?? []) listener(event, ...structuredClone(args));
    },
  };
  return { ipcMain, ipcRenderer, webContents, handlers, listenerCount: () => listeners.get(EVENT_CHANNEL)?.size ?? 0 };
}
