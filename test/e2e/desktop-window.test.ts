/**
 * The window as the desktop app runs it, in Chromium: `window.api` is the real preload API
 * (electron/preload/window-api.ts, bundled for the page) whose `ipcRenderer` is bridged to this
 * test process, where the real IPC handler, desktop handlers and core answer, as the Electron main
 * process would. Only the `electron` module is replaced: ipcRenderer by a page binding, the OS
 * dialog by a stub, `webUtils.getPathForFile` by a name-to-path table. The page itself is served
 * over HTTP only for its files; every call goes over the bridge.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CALL_CHANNEL } from '#core/api/ipc-channels.ts';
import type { DesktopEvent } from '#core/api/desktop-contract.ts';
import { NOTIFY_TAG } from '#core/api/settings-contract.ts';
import { openFlowdesk, type Flowdesk } from '#core/flowdesk.ts';
import { startServer, type RunningServer } from '#core/server/server.ts';
import { createFileImporter } from '#core/tracking/file-import.ts';
import { createDesktopHandlers } from '../../electron/main/desktop-handlers.ts';
import { registerIpc } from '../../electron/main/ipc.ts';
import { fakeFrame, fakeIpcPair } from '../helpers/fake-ipc.ts';
import { launchChromium, openPage, screenshot } from './e2e-helpers.ts';
import { createTeamConnection } from '../../electron/main/team-connection.ts';
import { fakeSafeStorage } from '../helpers/fake-safe-storage.ts';
import { createServer } from 'node:net';

/** For polls that wait on a 24 MiB copy: expect.poll gives up after 1 s by default, too soon under load. */
const slow = { timeout: 30_000 };

/** The preload's API factory, bundled into a script the page runs before its own. */
async function preloadScript(): Promise<string> {
  const result = await build({
    stdin: { contents: "import { createWindowApi } from './electron/preload/window-api.ts'; globalThis.__createWindowApi = createWindowApi;", resolveDir: process.cwd(), loader: 'ts' },
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    logLevel: 'silent',
  });
  const bundle = result.outputFiles[0]!.text;
  // What preload/index.ts does with the real ipcRenderer and webUtils, with the bridge instead.
  return `${bundle}
  (() => {
    const listeners = new Set();
    globalThis.__emit = (event) => { for (const l of listeners) l({ sender: 'never seen by the page' }, event); };
    const ipcRenderer = {
      invoke: (channel, payload) => globalThis.__ipcInvoke(channel, payload),
      on: (channel, listener) => { listeners.add(listener); return ipcRenderer; },
      removeListener: (channel, listener) => { listeners.delete(listener); return ipcRenderer; },
    };
    window.api = globalThis.__createWindowApi({ ipcRenderer, getPathForFile: (file) => (globalThis.__paths ?? {})[file.name] ?? '' });
  })();`;
}

describe('the window in the desktop app (IPC through the real preload API)', () => {
  let browser: Browser;
  let fd: Flowdesk;
  let server: RunningServer;
  let root: string;
  let script: string;
  let experimentId: string;
  let runId: string;
  /** The page events go to (the window of the moment). */
  let current: Page | undefined;
  let dialogPaths: string[] = [];
  const httpCalls: string[] = [];

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'flowdesk-desktop-e2e-'));
    fd = await openFlowdesk({ dataDir: join(root, 'data') });
    server = await startServer({ flowdesk: fd, port: 0, version: 'e2e', log: () => undefined });
    ({ experimentId } = await fd.handlers['experiments.create']({ name: 'desktop' }));
    runId = (await fd.handlers['runs.create']({ experimentId, runName: 'dropped-into' })).run.info.runId;
    script = await preloadScript();
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await fd?.close();
    rmSync(root, { recursive: true, force: true });
  });

  /** A page whose window.api reaches a fresh IPC handler on the shared core. */
  async function desktopPage(colorScheme: 'light' | 'dark' = 'light') {
    const { page, problems } = await openPage(browser, { colorScheme });
    const frame = fakeFrame('app://flowdesk/index.html');
    const ipc = fakeIpcPair(() => frame);
    const send = (event: DesktopEvent) => void page.evaluate((e) => (globalThis as unknown as { __emit(e: unknown): void }).__emit(e), event).catch(() => undefined);
    const desktop = createDesktopHandlers({
      importer: createFileImporter({ catalog: fd.catalog, artifacts: fd.artifacts, events: fd.events, handlers: fd.handlers }),
      dialog: { showOpenDialog: async () => ({ canceled: dialogPaths.length === 0, filePaths: dialogPaths }) } as never,
      window: () => undefined,
      send,
      info: async () => ({ serverUrl: server.url, dataDir: fd.dataDir, version: 'e2e' }),
      moveDataDir: () => undefined,
      team: createTeamConnection({ dataDir: fd.dataDir, safeStorage: fakeSafeStorage(), send: () => undefined, log: () => undefined }),
    });
    const stopIpc = registerIpc({ ipcMain: ipc.ipcMain, trustedFrame: () => frame, handlers: fd.handlers, desktop, log: () => undefined });
    const stopEvents = fd.events.subscribe(send);
    page.on('close', () => {
      stopIpc();
      stopEvents();
    });
    await page.exposeBinding('__ipcInvoke', (_source, channel: string, payload: unknown) => ipc.ipcRenderer.invoke(channel, payload));
    await page.addInitScript(script);
    page.on('request', (request) => {
      if (request.url().includes('/api/flowdesk/') || request.url().includes('/api/2.0/mlflow/')) httpCalls.push(request.url());
    });
    current = page;
    expect(CALL_CHANNEL).toBe('flowdesk:call');
    return { page, problems, send };
  }

  it('calls the core over IPC, never over HTTP, and shows the address scripts log to', async () => {
    const { page, problems } = await desktopPage();
    await page.goto(`${server.url}/#/`);
    await page.getByRole('navigation', { name: 'Experiments' }).getByRole('link', { name: 'desktop' }).waitFor();
    await expect.poll(() => page.locator('.live').textContent()).toContain('Live');
    // The start page sums up the data over IPC; the quick start names the server's address.
    await page.getByRole('link', { name: 'dropped-into' }).first().waitFor();
    await page.getByRole('link', { name: /Quick start/ }).click();
    await expect.poll(() => page.getByTestId('tracking-uri').textContent()).toBe(`export MLFLOW_TRACKING_URI=${server.url}`);
    // A change made elsewhere (a script) arrives as an event over the bridge.
    await fd.handlers['experiments.create']({ name: 'from a script' });
    await page.getByRole('navigation', { name: 'Experiments' }).getByRole('link', { name: 'from a script' }).waitFor();
    expect(httpCalls).toEqual([]);
    expect(problems).toEqual([]);
  });

  it('copies a dropped folder into the run through the preload, leaving the link out, with progress', async () => {
    const tree = join(root, 'results');
    mkdirSync(join(tree, 'plots'), { recursive: true });
    writeFileSync(join(tree, 'metrics.csv'), 'step,loss\n0,1\n1,0.5\n');
    writeFileSync(join(tree, 'plots', 'loss.svg'), '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20"><rect width="40" height="20" fill="#2f6fed"/></svg>');
    writeFileSync(join(tree, 'weights.bin'), Buffer.alloc(24 * 1024 * 1024, 7));
    writeFileSync(join(root, 'secret.txt'), 'outside');
    symlinkSync(join(root, 'secret.txt'), join(tree, 'secret-link.txt'));

    const { page, problems } = await desktopPage();
    await page.goto(`${server.url}/#/experiments/${experimentId}/runs/${runId}`);
    await page.locator('h1.run-name').waitFor();
    await page.evaluate((path) => ((globalThis as unknown as { __paths: Record<string, string> }).__paths = { results: path }), tree);
    await page.evaluate(() => {
      const g = globalThis as unknown as { DataTransfer: new () => { items: { add(f: unknown): void } }; DragEvent: new (t: string, i: object) => unknown; File: new (p: string[], n: string) => unknown; document: { querySelector(s: string): { dispatchEvent(e: unknown): void } } };
      const data = new g.DataTransfer();
      data.items.add(new g.File([''], 'results'));
      const target = g.document.querySelector('.run-page');
      for (const type of ['dragenter', 'dragover', 'drop']) target.dispatchEvent(new g.DragEvent(type, { bubbles: true, cancelable: true, dataTransfer: data }));
    });
    const job = page.getByTestId('import-job');
    await job.waitFor();
    await expect.poll(() => job.textContent(), slow).toContain('3 of 3 files');
    await expect.poll(() => page.locator('.toast, [role="alert"], [role="status"]').allTextContents(), slow).toEqual(expect.arrayContaining([expect.stringContaining('1 left out')]));
    await page.locator('[role="tree"] [data-path="results"]').waitFor();
    await page.locator('[role="tree"] [data-path="results"] button.name').first().click();
    await page.locator('[role="tree"] [data-path="results/weights.bin"]').waitFor();
    await screenshot(page, 'desktop-drop-light');
    const listed = await fd.handlers['artifacts.list']({ runId, path: 'results' });
    expect(listed.files.map((f) => f.path).sort()).toEqual(['metrics.csv', 'plots', 'weights.bin']);
    expect(httpCalls.filter((u) => !u.includes('mlflow-artifacts'))).toEqual([]);
    expect(problems).toEqual([]);
  });

  it('attaches files from the native dialog and opts the experiment into notifications', async () => {
    const picked = join(root, 'summary.json');
    writeFileSync(picked, '{"accuracy": 0.93}');
    dialogPaths = [picked];
    const { page, problems } = await desktopPage('dark');
    await page.goto(`${server.url}/#/experiments/${experimentId}/runs/${runId}`);
    await page.getByRole('button', { name: 'Attach files…' }).click();
    await page.locator('[role="tree"] [data-path="summary.json"]').waitFor();
    await screenshot(page, 'desktop-run-dark');

    await page.goto(`${server.url}/#/experiments/${experimentId}`);
    const toggle = page.getByLabel('Notify me');
    await toggle.check();
    await expect.poll(async () => (await fd.handlers['experiments.get']({ experimentId })).experiment.tags).toContainEqual({ key: NOTIFY_TAG, value: 'true' });
    await screenshot(page, 'desktop-experiment-dark');
    expect(problems).toEqual([]);
  });

  it('carries out menu commands: quick start, settings, new experiment, and attach files only where a run is open', async () => {
    const { page, problems, send } = await desktopPage();
    await page.goto(`${server.url}/#/`);
    await page.getByRole('navigation', { name: 'Experiments' }).getByRole('link', { name: 'desktop' }).waitFor();
    send({ type: 'menu.command', command: 'new-experiment' });
    await page.locator('#new-experiment-name').waitFor();
    send({ type: 'menu.command', command: 'attach-files' });
    await page.getByText('Open a run first').waitFor();
    send({ type: 'menu.command', command: 'quick-start' });
    await expect.poll(() => page.getByTestId('tracking-uri').textContent()).toBe(`export MLFLOW_TRACKING_URI=${server.url}`);
    send({ type: 'menu.command', command: 'settings' });
    await expect.poll(() => page.url()).toContain('#/settings');
    await page.getByRole('button', { name: 'Change…' }).waitFor();
    expect(await page.getByTestId('data-dir').textContent()).toBe(fd.dataDir);
    await screenshot(page, 'desktop-settings-light');
    expect(current).toBe(page);
    expect(problems).toEqual([]);
  });

  it('tests a team server from Settings: who the token is, or why it cannot connect', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const closed = (probe.address() as { port: number }).port;
    await new Promise((resolve) => probe.close(resolve));
    for (const scheme of ['light', 'dark'] as const) {
      const { page, problems } = await desktopPage(scheme);
      await page.goto(`${server.url}/#/settings`);
      await page.getByRole('heading', { name: 'Team server' }).waitFor();
      await page.getByLabel('Server URL').fill(`http://127.0.0.1:${closed}`);
      await page.getByLabel('Token', { exact: true }).fill('a-token');
      await page.getByRole('button', { name: 'Test connection' }).click();
      await expect.poll(() => page.getByTestId('team-result').textContent()).toBe(`Cannot reach http://127.0.0.1:${closed}: ECONNREFUSED`);
      await page.getByLabel('Server URL').fill(server.url);
      await page.getByRole('button', { name: 'Test connection' }).click();
      await expect.poll(() => page.getByTestId('team-result').textContent()).toBe('The server accepts anyone: it has no users.');
      await page.getByRole('heading', { name: 'Team server' }).scrollIntoViewIfNeeded();
      await screenshot(page, `desktop-settings-team-${scheme}`);
      expect(problems).toEqual([]);
    }
  });
});
