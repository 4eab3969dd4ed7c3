import { describe, expect, it, vi } from 'vitest';
import { UI_CSP } from '#core/server/ui-routes.ts';
import { APP_INDEX_URL, externalUrl, hardenSession, hardenWebContents, isAllowedRequest, isAppUrl, windowOptions } from '../../electron/main/window.ts';

type Listener = (...args: unknown[]) => void;

/** A webContents stand-in recording the listeners and window-open handler the hardening installs. */
function fakeContents() {
  const listeners = new Map<string, Listener>();
  let openHandler: ((details: { url: string }) => { action: string }) | undefined;
  const contents = {
    on(name: string, listener: Listener) {
      listeners.set(name, listener);
      return contents;
    },
    setWindowOpenHandler(handler: typeof openHandler) {
      openHandler = handler;
    },
  };
  const navigate = (url: string) => {
    const event = { preventDefault: vi.fn() };
    listeners.get('will-navigate')!(event, url);
    return event.preventDefault;
  };
  return { contents: contents as never, listeners, navigate, open: (url: string) => openHandler!({ url }) };
}

describe('the window', () => {
  it('is isolated, sandboxed and without Node, with exactly these web preferences', () => {
    expect(windowOptions('/app/out/preload/index.cjs').webPreferences).toEqual({
      preload: '/app/out/preload/index.cjs',
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
    });
  });

  it('loads the app protocol, never file:// or the HTTP server', () => {
    expect(APP_INDEX_URL).toBe('app://flowdesk/index.html');
    expect(isAppUrl(APP_INDEX_URL)).toBe(true);
    expect(isAppUrl('app://elsewhere/index.html')).toBe(false);
    expect(isAppUrl('file:///app/renderer/dist/index.html')).toBe(false);
    expect(isAppUrl('http://127.0.0.1:5000/')).toBe(false);
  });

  it('uses the strict CSP of the served window: its own scripts only, no framing, no base URL or form target', () => {
    expect(UI_CSP).toBe(
      "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
    );
  });
});

describe('navigation and new windows', () => {
  it.each([
    'https://example.com/page',
    'http://127.0.0.1:5000/',
    'file:///etc/passwd',
    'app://flowdesk/other.html',
    'javascript:alert(1)',
  ])('denies navigating to %s', (url) => {
    const fake = fakeContents();
    hardenWebContents(fake.contents, { openExternal: vi.fn(async () => undefined) }, () => undefined);
    expect(fake.navigate(url)).toHaveBeenCalled();
  });

  it('hands web links to the OS browser and drops every other kind', () => {
    const fake = fakeContents();
    const openExternal = vi.fn(async () => undefined);
    hardenWebContents(fake.contents, { openExternal }, () => undefined);
    fake.navigate('https://mlflow.org/docs');
    expect(fake.open('http://example.com/a')).toEqual({ action: 'deny' });
    for (const url of ['file:///etc/passwd', 'javascript:alert(1)', 'smb://server/share', 'app://flowdesk/x', 'not a url', 'mailto:a@b.c']) {
      expect(fake.open(url)).toEqual({ action: 'deny' });
      fake.navigate(url);
    }
    expect(openExternal.mock.calls).toEqual([['https://mlflow.org/docs'], ['http://example.com/a']]);
  });

  it('refuses redirects and webviews', () => {
    const fake = fakeContents();
    hardenWebContents(fake.contents, { openExternal: vi.fn(async () => undefined) }, () => undefined);
    for (const name of ['will-redirect', 'will-attach-webview']) {
      const event = { preventDefault: vi.fn() };
      fake.listeners.get(name)!(event, 'https://example.com');
      expect(event.preventDefault).toHaveBeenCalled();
    }
  });

  it('recognizes only http and https as external links', () => {
    expect(externalUrl('https://a.example/x')).toBe('https://a.example/x');
    expect(externalUrl('HTTP://A.example')).toBe('http://a.example/');
    expect(externalUrl('file:///x')).toBeUndefined();
    expect(externalUrl('ftp://a.example')).toBeUndefined();
    expect(externalUrl('')).toBeUndefined();
  });
});

describe('the session', () => {
  function hardened() {
    let request: ((contents: unknown, permission: string, callback: (granted: boolean) => void) => void) | undefined;
    let check: ((...args: unknown[]) => boolean) | undefined;
    let beforeRequest: ((details: { url: string }, callback: (response: { cancel: boolean }) => void) => void) | undefined;
    hardenSession({
      setPermissionRequestHandler: (handler: never) => void (request = handler),
      setPermissionCheckHandler: (handler: never) => void (check = handler),
      webRequest: { onBeforeRequest: ((handler: never) => void (beforeRequest = handler)) as never },
    } as never);
    return { request: request!, check: check!, beforeRequest: beforeRequest! };
  }

  it.each(['media', 'geolocation', 'notifications', 'clipboard-read', 'openExternal', 'fullscreen'])('denies the %s permission', (permission) => {
    const { request, check } = hardened();
    const callback = vi.fn();
    request({}, permission, callback);
    expect(callback).toHaveBeenCalledWith(false);
    expect(check({}, permission, 'app://flowdesk', {})).toBe(false);
  });

  it('loads no remote content: only app://, data: and blob: requests go through', () => {
    const { beforeRequest } = hardened();
    const decide = (url: string) => {
      let cancel: boolean | undefined;
      beforeRequest({ url }, (response) => (cancel = response.cancel));
      return cancel;
    };
    expect(decide('app://flowdesk/assets/index.js')).toBe(false);
    expect(decide('data:image/png;base64,AAAA')).toBe(false);
    expect(decide('blob:app://flowdesk/1234')).toBe(false);
    expect(decide('https://cdn.example.com/lib.js')).toBe(true);
    expect(decide('http://127.0.0.1:5000/api/2.0/mlflow/experiments/search')).toBe(true);
    expect(decide('file:///etc/passwd')).toBe(true);
    expect(isAllowedRequest('app://evil/x')).toBe(false);
  });
});
