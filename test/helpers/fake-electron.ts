import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MenuItemConstructorOptions } from 'electron';
import { vi } from 'vitest';
import type { DesktopEvent } from '#core/api/desktop-contract.ts';
import type { ElectronApi } from '../../electron/main/electron-api.ts';
import { fakeIpcPair } from './fake-ipc.ts';
import { fakeSafeStorage } from './fake-safe-storage.ts';
import { tempDir } from './temp-dir.ts';

type Listener = (...args: unknown[]) => void;

/**
 * The `electron` module replaced at the process edge: an app that emits its lifecycle events, a
 * window that records what it loads and sends, and recorders for protocol, session, menu,
 * notifications and dialogs. Everything behind it (core, server, IPC, protocol handler) is real.
 */
export function fakeElectron(options: { lock?: boolean } = {}) {
  const root = tempDir('flowdesk-app-');
  const calls: string[] = [];
  const appListeners = new Map<string, Listener[]>();
  const paths = new Map<string, string>([['appData', join(root, 'appData')]]);
  const emit = (name: string, ...args: unknown[]) => (appListeners.get(name) ?? []).forEach((l) => l(...args));
  let readyResolve!: () => void;
  const ready = new Promise<void>((resolve) => (readyResolve = resolve));
  const windows: FakeWindow[] = [];
  const sent: DesktopEvent[] = [];

  class FakeWindow {
    listeners = new Map<string, Listener>();
    openHandler: unknown;
    shown = 0;
    webContents = {
      mainFrame: { url: '' },
      on: (name: string, l: Listener) => this.listeners.set(name, l),
      setWindowOpenHandler: (h: unknown) => void (this.openHandler = h),
      isDestroyed: () => false,
      send: (_channel: string, event: DesktopEvent) => sent.push(structuredClone(event)),
    };
    constructor(readonly options: Record<string, unknown>) {
      windows.push(this);
      calls.push('new BrowserWindow');
    }
    once(name: string, l: Listener) {
      this.listeners.set(name, l);
    }
    async loadURL(url: string) {
      this.webContents.mainFrame.url = url;
      this.listeners.get('ready-to-show')?.();
    }
    show() {
      this.shown++;
    }
    isDestroyed() {
      return false;
    }
    isMinimized() {
      return false;
    }
    restore() {}
    focus() {
      calls.push('focus');
    }
  }

  const ipc = fakeIpcPair(() => windows[0]!.webContents.mainFrame as never);
  const quit = vi.fn(() => {
    const event = { defaultPrevented: false, preventDefault: () => (event.defaultPrevented = true) };
    emit('before-quit', event);
    if (!event.defaultPrevented) calls.push('quit');
  });
  const protocolHandlers = new Map<string, (request: Request) => Promise<Response>>();
  const menus: MenuItemConstructorOptions[][] = [];
  const notifications: { title: string; body: string }[] = [];
  const permissionHandlers: unknown[] = [];
  const electron = {
    app: {
      requestSingleInstanceLock: () => options.lock ?? true,
      on: (name: string, l: Listener) => appListeners.set(name, [...(appListeners.get(name) ?? []), l]),
      whenReady: () => ready,
      getPath: (name: string) => paths.get(name)!,
      setPath: (name: string, value: string) => paths.set(name, value),
      setName: vi.fn(),
      quit,
      exit: vi.fn(),
      relaunch: vi.fn(),
    },
    BrowserWindow: FakeWindow,
    protocol: {
      registerSchemesAsPrivileged: (schemes: unknown) => calls.push(`registerSchemesAsPrivileged ${JSON.stringify(schemes)}`),
      handle: (scheme: string, handler: (request: Request) => Promise<Response>) => protocolHandlers.set(scheme, handler),
    },
    session: {
      defaultSession: {
        setPermissionRequestHandler: (h: unknown) => permissionHandlers.push(h),
        setPermissionCheckHandler: (h: unknown) => permissionHandlers.push(h),
        webRequest: { onBeforeRequest: (h: unknown) => permissionHandlers.push(h) },
      },
    },
    ipcMain: ipc.ipcMain,
    shell: { openExternal: vi.fn(async () => undefined) },
    dialog: { showOpenDialog: vi.fn(), showMessageBox: vi.fn(async () => ({ response: 0 })), showErrorBox: vi.fn() },
    Menu: { buildFromTemplate: (t: MenuItemConstructorOptions[]) => t, setApplicationMenu: (m: MenuItemConstructorOptions[]) => menus.push(m) },
    Notification: Object.assign(
      class {
        constructor(readonly options: { title: string; body: string }) {}
        on() {}
        show() {
          notifications.push(this.options);
        }
      },
      { isSupported: () => true },
    ),
    nativeTheme: { themeSource: 'system' },
    clipboard: { writeText: vi.fn() },
    safeStorage: fakeSafeStorage(),
  };
  return { electron: electron as unknown as ElectronApi, raw: electron, root, calls, emit, readyResolve, windows, sent, ipc, quit, protocolHandlers, menus, notifications, permissionHandlers };
}

/** A built window to serve. */
export function dist(root: string): string {
  const dir = join(root, 'dist');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>Flowdesk</title>');
  return dir;
}
