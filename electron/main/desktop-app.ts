/**
 * The desktop app's lifecycle: one instance; the core opened on the data folder and the
 * localhost server started (server.json written, as `flowdesk serve` does); one hardened window
 * loading the built renderer from app://; the menu, IPC, events and notifications; a native
 * dialog before any project command or model server starts; and on quit
 * the server closed and the catalog checkpointed and closed before the process ends.
 */
import { join } from 'node:path';
import type { BrowserWindow } from 'electron';
import type { DesktopEvent } from '#core/api/desktop-contract.ts';
import { FlowdeskError } from '#core/api/errors.ts';
import type { Settings } from '#core/api/settings-contract.ts';
import { openFlowdesk, type Flowdesk } from '#core/flowdesk.ts';
import { startServer, uploadLimits, type RunningServer } from '#core/server/server.ts';
import { resolveDataDir, setDataDir } from '#core/platform/data-location.ts';
import { createFileImporter } from '#core/tracking/file-import.ts';
import { createAppProtocolHandler } from './app-protocol.ts';
import { confirmInDialog } from './confirm-dialog.ts';
import { createDesktopHandlers } from './desktop-handlers.ts';
import type { ElectronApi } from './electron-api.ts';
import { registerIpc, sendEvent } from './ipc.ts';
import { menuTemplate, scriptHelpLines } from './menu.ts';
import { startRunNotifier } from './run-notifier.ts';
import { createTeamConnection } from './team-connection.ts';
import { APP_INDEX_URL, APP_SCHEME, hardenSession, hardenWebContents, windowOptions } from './window.ts';

type Log = (message: string, err?: unknown) => void;

export interface DesktopAppOptions {
  /** The built window (renderer/dist). */
  distDir: string;
  /** The bundled preload script. */
  preloadPath: string;
  version: string;
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
  log?: Log;
}

/** What a running app holds; tests drive it through this. */
export interface DesktopApp {
  readonly flowdesk: Flowdesk;
  readonly window: BrowserWindow;
  server(): RunningServer;
  /** Resolves once shutdown (server closed, catalog closed) is complete. */
  closed: Promise<void>;
}

/** Starts the server on the settings' port; if that port is taken, on any free port (the window still works). */
async function startLocalServer(fd: Flowdesk, settings: Settings, version: string, log: Log): Promise<RunningServer> {
  const token = settings.requireToken ? settings.token : undefined;
  try {
    return await startServer({ flowdesk: fd, port: settings.port, token, version, log, limits: uploadLimits(settings) });
  } catch (err) {
    if (!(err instanceof FlowdeskError) || err.code !== 'INVALID_STATE' || settings.port === 0) throw err;
    log(`${err.message}; listening on a free port instead`);
    return startServer({ flowdesk: fd, port: 0, token, version, log, limits: uploadLimits(settings) });
  }
}

/**
 * Runs the app. Resolves undefined when another instance already runs (this one quits at once),
 * else once the window is open.
 */
export async function startDesktopApp(electron: ElectronApi, options: DesktopAppOptions): Promise<DesktopApp | undefined> {
  const { app } = electron;
  const env = options.env ?? process.env;
  const platform = options.platform ?? process.platform;
  const log: Log = options.log ?? ((message, err) => console.error(`Flowdesk: ${message}`, err ?? ''));

  // The same folder `flowdesk serve` uses by default (core/platform/data-dir.ts), whatever the
  // package's own name: the user-data folder of an app named Flowdesk.
  app.setName('Flowdesk');
  app.setPath('userData', join(app.getPath('appData'), 'Flowdesk'));
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return undefined;
  }
  // Before `ready`, as Electron requires: app:// behaves like https (standard URLs, a secure
  // context, fetch and streamed responses for artifact previews).
  electron.protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, stream: true } }]);

  let window: BrowserWindow | undefined = undefined;
  app.on('second-instance', () => {
    if (!window || window.isDestroyed()) return;
    if (window.isMinimized()) window.restore();
    window.focus();
  });
  app.on('window-all-closed', () => app.quit());

  await app.whenReady();
  const home = app.getPath('userData');
  const dataDir = env.FLOWDESK_DATA_DIR || resolveDataDir(home);
  let fd: Flowdesk | undefined;
  let server: RunningServer;
  try {
    // Refused, with the other process named, when `flowdesk serve` already has this data folder.
    // The window is made further down; the dialog asks on it once it exists.
    fd = await openFlowdesk({ dataDir, execution: confirmInDialog({ dialog: electron.dialog, window: () => window }) });
    server = await startLocalServer(fd, fd.settings.read(), options.version, log);
  } catch (err) {
    await fd?.close();
    electron.dialog.showErrorBox('Flowdesk cannot start', (err as Error).message);
    app.exit(1);
    throw err;
  }

  const send = (event: DesktopEvent) => sendEvent(window?.webContents, event);
  // A team server, when connected, serves the window's calls, events and artifacts; the
  // localhost server keeps serving local scripts on this machine's data.
  const team = createTeamConnection({ dataDir, safeStorage: electron.safeStorage, send, log });
  await team.resume();

  electron.protocol.handle(APP_SCHEME, createAppProtocolHandler({ distDir: options.distDir, artifacts: fd.artifacts, remote: team.current }));
  hardenSession(electron.session.defaultSession);

  /** A server restart after a settings change, in progress or done. */
  let serverChange = Promise.resolve();
  const importer = createFileImporter({ catalog: fd.catalog, artifacts: fd.artifacts, events: fd.events, handlers: fd.handlers });
  const desktop = createDesktopHandlers({
    importer,
    dialog: electron.dialog,
    window: () => window,
    send,
    info: async () => {
      await serverChange;
      return { serverUrl: server.url, dataDir, version: options.version };
    },
    moveDataDir: (next) => {
      setDataDir(home, next);
      app.relaunch();
      app.quit();
    },
    team,
  });
  const stopIpc = registerIpc({ ipcMain: electron.ipcMain, trustedFrame: () => (window && !window.isDestroyed() ? window.webContents.mainFrame : undefined), handlers: fd.handlers, remote: team.transport, desktop, log });
  const stopEvents = fd.events.subscribe((event) => {
    if (!team.current()) send(event);
  });

  const notifier = startRunNotifier({
    events: fd.events,
    handlers: fd.handlers,
    since: Date.now(),
    log,
    notify: (n) => {
      if (!electron.Notification.isSupported()) return;
      const notification = new electron.Notification({ title: n.title, body: n.body });
      notification.on('click', () => window?.show());
      notification.show();
    },
  });

  const setMenu = (settings: Settings) =>
    electron.Menu.setApplicationMenu(
      electron.Menu.buildFromTemplate(
        menuTemplate({
          isMac: platform === 'darwin',
          theme: settings.theme,
          command: (command) => send({ type: 'menu.command', command }),
          setTheme: (theme) => void fd.handlers['settings.update']({ theme }).catch((err: unknown) => log('Could not save the theme', err)),
          showScriptHelp: () => void showScriptHelp(),
        }),
      ),
    );
  const showScriptHelp = async () => {
    const lines = scriptHelpLines(server.url, fd.settings.read());
    const options = {
      type: 'info' as const,
      title: 'Log from a script',
      message: 'Point MLflow clients (or the Flowdesk TypeScript client) at this app:',
      detail: lines.join('\n'),
      buttons: ['Copy', 'Close'],
      defaultId: 0,
      cancelId: 1,
    };
    const { response } = window ? await electron.dialog.showMessageBox(window, options) : await electron.dialog.showMessageBox(options);
    if (response === 0) electron.clipboard.writeText(lines.join('\n'));
  };

  electron.nativeTheme.themeSource = fd.settings.read().theme;
  setMenu(fd.settings.read());
  // Settings act at once: the theme on the window and the menu, the port and token on the server.
  const stopSettings = fd.settings.subscribe((next, previous) => {
    electron.nativeTheme.themeSource = next.theme;
    setMenu(next);
    if (next.port === previous.port && next.requireToken === previous.requireToken && next.token === previous.token) return;
    serverChange = serverChange.then(async () => {
      await server.close();
      server = await startLocalServer(fd, next, options.version, log);
    }).catch((err: unknown) => log('Could not restart the server with the new settings', err));
  });

  window = new electron.BrowserWindow(windowOptions(options.preloadPath));
  hardenWebContents(window.webContents, electron.shell, log);
  window.once('ready-to-show', () => window?.show());
  await window.loadURL(APP_INDEX_URL);

  // Quitting waits for a clean shutdown: events and IPC stopped, the server closed (server.json
  // removed), the catalog checkpointed and closed. Then the app quits for real.
  let resolveClosed!: () => void;
  const closed = new Promise<void>((resolve) => (resolveClosed = resolve));
  let shutdown: Promise<void> | undefined;
  app.on('before-quit', (event) => {
    if (shutdown) return;
    event.preventDefault();
    shutdown = (async () => {
      notifier.stop();
      stopSettings();
      stopEvents();
      team.close();
      stopIpc();
      await serverChange;
      await server.close().catch((err: unknown) => log('Closing the server failed', err));
      await fd.close().catch((err: unknown) => log('Closing the catalog failed', err));
    })().finally(() => {
      resolveClosed();
      app.quit();
    });
  });

  return { flowdesk: fd, window, server: () => server, closed };
}
