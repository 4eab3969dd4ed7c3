/**
 * The part of the `electron` module the main process uses, as one object. index.ts passes the
 * real module; tests pass a fake, so everything behind this edge runs under plain Node.
 */
import type * as Electron from 'electron';

export interface ElectronApi {
  app: Pick<
    Electron.App,
    'requestSingleInstanceLock' | 'on' | 'whenReady' | 'getPath' | 'setPath' | 'quit' | 'exit' | 'relaunch' | 'setName'
  >;
  BrowserWindow: new (options: Electron.BrowserWindowConstructorOptions) => Electron.BrowserWindow;
  protocol: Pick<Electron.Protocol, 'registerSchemesAsPrivileged' | 'handle'>;
  session: { defaultSession: Pick<Electron.Session, 'setPermissionRequestHandler' | 'setPermissionCheckHandler' | 'webRequest'> };
  ipcMain: Pick<Electron.IpcMain, 'handle' | 'removeHandler'>;
  shell: Pick<Electron.Shell, 'openExternal'>;
  dialog: Pick<Electron.Dialog, 'showOpenDialog' | 'showMessageBox' | 'showErrorBox'>;
  Menu: Pick<typeof Electron.Menu, 'buildFromTemplate' | 'setApplicationMenu'>;
  Notification: Pick<typeof Electron.Notification, 'isSupported'> & (new (options: Electron.NotificationConstructorOptions) => Pick<Electron.Notification, 'show' | 'on'>);
  nativeTheme: Pick<Electron.NativeTheme, 'themeSource'>;
  clipboard: Pick<Electron.Clipboard, 'writeText'>;
  safeStorage: Pick<Electron.SafeStorage, 'isEncryptionAvailable' | 'encryptString' | 'decryptString'>;
}
