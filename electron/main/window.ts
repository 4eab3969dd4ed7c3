/**
 * The one window and its manners (design.md, "Electron's manners"): an isolated, sandboxed
 * renderer without Node, loaded from the app:// protocol; navigation and new windows denied (web
 * links open in the browser, nothing else opens at all); every permission refused; no request
 * leaves the app except to the app:// protocol itself.
 */
import type { BrowserWindowConstructorOptions, HandlerDetails, Session, Shell, WebContents } from 'electron';

export const APP_SCHEME = 'app';
export const APP_HOST = 'flowdesk';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
/** What the window loads. */
export const APP_INDEX_URL = `${APP_ORIGIN}/index.html`;

/** The window's options; `webPreferences` is the security boundary and is asserted by a test. */
export function windowOptions(preloadPath: string): BrowserWindowConstructorOptions {
  return {
    width: 1280,
    height: 820,
    minWidth: 900,
    minHeight: 560,
    title: 'Flowdesk',
    // Shown once the first paint is ready, so the window never flashes white or empty.
    show: false,
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      safeDialogs: true,
      spellcheck: false,
    },
  };
}

/** Whether a URL is the app's own (app://flowdesk/...). */
export function isAppUrl(url: string): boolean {
  try {
    const parsed = new URL(url);
    return parsed.protocol === `${APP_SCHEME}:` && parsed.host === APP_HOST;
  } catch {
    return false;
  }
}

/** The URL to hand the OS browser when it is a web link (http or https), else undefined. */
export function externalUrl(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.href : undefined;
  } catch {
    return undefined;
  }
}

type Contents = Pick<WebContents, 'on' | 'setWindowOpenHandler'>;

/**
 * Denies every navigation away from the page and every new window. A web link (a markdown note's
 * link, say) opens in the OS browser; anything else (file:, a dropped file, javascript:) is dropped.
 */
export function hardenWebContents(contents: Contents, shell: Pick<Shell, 'openExternal'>, log: (message: string, err?: unknown) => void): void {
  const openOutside = (url: string) => {
    const external = externalUrl(url);
    if (external) shell.openExternal(external).catch((err: unknown) => log(`Could not open ${external}`, err));
  };
  contents.on('will-navigate', (event, url) => {
    event.preventDefault();
    openOutside(url);
  });
  contents.on('will-redirect', (event) => event.preventDefault());
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler((details: HandlerDetails) => {
    openOutside(details.url);
    return { action: 'deny' };
  });
}

/** Request URLs the window may load: its own protocol, and data/blob URLs it made itself. */
export function isAllowedRequest(url: string): boolean {
  if (isAppUrl(url)) return true;
  const protocol = url.slice(0, url.indexOf(':') + 1);
  return protocol === 'data:' || protocol === 'blob:' || protocol === 'devtools:';
}

type SessionLike = Pick<Session, 'setPermissionRequestHandler' | 'setPermissionCheckHandler'> & {
  webRequest: Pick<Session['webRequest'], 'onBeforeRequest'>;
};

/** Refuses every permission (camera, notifications from the page, ...) and all remote content. */
export function hardenSession(session: SessionLike): void {
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
  session.webRequest.onBeforeRequest((details, callback) => callback({ cancel: !isAllowedRequest(details.url) }));
}
