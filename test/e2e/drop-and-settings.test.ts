import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, openPage, prepareDataDir, screenshot, serveFlowdesk, type ServedFlowdesk } from './e2e-helpers.ts';

/** For polls that wait on a 6 MiB upload: expect.poll gives up after 1 s by default, too soon under load. */
const slow = { timeout: 30_000 };

/**
 * The browser globals the page functions below use: tests compile without the DOM library, and
 * each function runs in the page, so it names them through `globalThis` cast to this.
 */
interface PageGlobals {
  document: {
    querySelector(selector: string): { dispatchEvent(event: unknown): boolean } | null;
    documentElement: { dataset: Record<string, string | undefined> };
  };
  DataTransfer: new () => { items: { add(file: unknown): void } };
  DragEvent: new (type: string, init: object) => { defaultPrevented: boolean };
  File: new (parts: string[], name: string, options?: object) => unknown;
  getComputedStyle(element: unknown): { backgroundColor: string };
}

/**
 * Drags files made in the page onto `selector` and drops them there (or only drags them over,
 * to show the drop highlight). A page-made File has no filesystem entry, as a file dragged from
 * another page would; the window takes it as it is.
 */
async function dropFiles(page: Page, selector: string, files: { name: string; bytes: number; fill: string }[], options: { drop?: boolean } = {}) {
  await page.evaluate(
    ({ selector, files, drop }) => {
      const { DataTransfer, DragEvent, File, document } = globalThis as unknown as PageGlobals;
      const data = new DataTransfer();
      for (const f of files) data.items.add(new File([f.fill.repeat(f.bytes)], f.name, { type: 'application/octet-stream' }));
      const target = document.querySelector(selector)!;
      target.dispatchEvent(new DragEvent('dragenter', { bubbles: true, cancelable: true, dataTransfer: data }));
      target.dispatchEvent(new DragEvent('dragover', { bubbles: true, cancelable: true, dataTransfer: data }));
      if (drop) target.dispatchEvent(new DragEvent('drop', { bubbles: true, cancelable: true, dataTransfer: data }));
    },
    { selector, files, drop: options.drop ?? true },
  );
}

describe('dropping files and the settings, in a browser', () => {
  let browser: Browser;
  let served: ServedFlowdesk;
  let experimentId: string;
  let runId: string;

  beforeAll(async () => {
    served = await serveFlowdesk(await prepareDataDir());
    ({ experimentId } = await served.api.call('experiments.create', { name: 'drops' }));
    runId = (await served.api.call('runs.create', { experimentId, runName: 'baseline' })).run.info.runId;
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await served?.stop();
  });

  it('uploads files dropped on a run page, with progress, and lists them', async () => {
    const { page, problems } = await openPage(browser);
    await page.goto(`${served.url}/#/experiments/${experimentId}/runs/${runId}`);
    await page.locator('h1.run-name').waitFor();
    await dropFiles(page, '.run-page', [{ name: 'drag-highlight.txt', bytes: 1, fill: 'x' }], { drop: false });
    expect(await page.locator('.run-page.drop-active').count()).toBe(1);
    await screenshot(page, 'drop-highlight-light');
    await dropFiles(page, '.run-page', [
      { name: 'weights.bin', bytes: 6 * 1024 * 1024, fill: 'w' },
      { name: 'notes.txt', bytes: 12, fill: 'n' },
    ]);
    expect(await page.locator('.run-page.drop-active').count()).toBe(0);
    const job = page.getByTestId('import-job');
    await job.waitFor();
    await expect.poll(() => job.textContent(), slow).toContain('2 of 2 files');
    await screenshot(page, 'drop-progress-light');
    await expect.poll(async () => (await served.api.call('artifacts.list', { runId })).files.map((f) => [f.path, f.fileSize]), slow).toEqual([
      ['notes.txt', 12],
      ['weights.bin', 6 * 1024 * 1024],
    ]);
    await page.locator('[role="tree"] [data-path="weights.bin"]').waitFor();
    expect(page.url()).toContain(`/runs/${runId}`);
    expect(problems).toEqual([]);
  });

  it('never navigates when files are dropped outside a drop target', async () => {
    const { page, problems } = await openPage(browser);
    await page.goto(`${served.url}/#/trash`);
    await page.locator('main').waitFor();
    const before = page.url();
    const prevented = await page.evaluate(() => {
      const { DataTransfer, DragEvent, File, document } = globalThis as unknown as PageGlobals;
      const data = new DataTransfer();
      data.items.add(new File(['x'], 'stray.txt'));
      const event = new DragEvent('drop', { bubbles: true, cancelable: true, dataTransfer: data });
      document.querySelector('main')!.dispatchEvent(event);
      return event.defaultPrevented;
    });
    expect(prevented).toBe(true);
    expect(page.url()).toBe(before);
    expect(problems).toEqual([]);
  });

  it('creates a run from files dropped on an experiment and opens it', async () => {
    const { page, problems } = await openPage(browser);
    await page.goto(`${served.url}/#/experiments/${experimentId}`);
    await page.locator('#experiment-title', { hasText: 'drops' }).waitFor();
    await dropFiles(page, '.experiment', [{ name: 'dataset.csv', bytes: 2048, fill: 'd' }]);
    await expect.poll(() => page.url()).toMatch(/\/runs\/[0-9a-f]{32}$/);
    const newRunId = page.url().split('/runs/')[1]!;
    const { run } = await served.api.call('runs.get', { runId: newRunId });
    expect(run.info).toMatchObject({ experimentId, runName: 'dataset.csv', status: 'FINISHED' });
    await page.locator('[role="tree"] [data-path="dataset.csv"]').waitFor();
    expect(problems).toEqual([]);
  });

  it('uploads files chosen with the Upload button', async () => {
    const { page, problems } = await openPage(browser);
    await page.goto(`${served.url}/#/experiments/${experimentId}/runs/${runId}`);
    await page.locator('h1.run-name').waitFor();
    await page.locator('input[type="file"]').setInputFiles([{ name: 'chosen.json', mimeType: 'application/json', buffer: Buffer.from('{"a":1}') }]);
    await page.locator('[role="tree"] [data-path="chosen.json"]').waitFor();
    expect(problems).toEqual([]);
  });

  it('saves the theme, port and token settings, and shows them in both themes', async () => {
    const { page, problems } = await openPage(browser);
    await page.goto(`${served.url}/#/settings`);
    await page.getByRole('heading', { name: 'Settings' }).waitFor();
    expect(await page.getByTestId('data-dir').textContent()).toBe(served.dataDir);
    // The server was started on a free port (--port 0), not the settings' 5000: both are said.
    const inUse = new URL(served.url).port;
    await expect.poll(() => page.getByTestId('port-in-use').textContent()).toMatch(new RegExp(`Port in use: ${inUse}\\s+· the settings name 5000,`));
    await screenshot(page, 'settings-light');
    await page.getByLabel('Dark').check();
    await expect.poll(() => page.evaluate(() => (globalThis as unknown as PageGlobals).document.documentElement.dataset.theme)).toBe('dark');
    await expect.poll(() => page.evaluate(() => {
      const { getComputedStyle, document } = globalThis as unknown as PageGlobals;
      return getComputedStyle(document.documentElement).backgroundColor;
    })).toBe('rgb(22, 24, 29)');
    await page.getByLabel('Port').fill('5123');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByLabel(/Scripts must send a token/).check();
    await page.getByTestId('token').waitFor();
    await screenshot(page, 'settings-dark');
    const { settings } = await served.api.call('settings.get', {});
    expect(settings).toMatchObject({ theme: 'dark', port: 5123, requireToken: true });
    expect(await page.getByTestId('port-in-use').textContent()).toContain(`Port in use: ${inUse}`);
    expect(await page.getByTestId('port-in-use').textContent()).toContain('the settings name 5123');
    expect(await page.getByTestId('token').textContent()).toBe(settings.token);
    // The theme holds across a reload, and the rest of the window follows it.
    await page.goto(`${served.url}/#/experiments/${experimentId}/runs/${runId}`);
    await page.locator('h1.run-name').waitFor();
    await expect.poll(() => page.evaluate(() => (globalThis as unknown as PageGlobals).document.documentElement.dataset.theme)).toBe('dark');
    await dropFiles(page, '.run-page', [{ name: 'x.txt', bytes: 1, fill: 'x' }], { drop: false });
    await screenshot(page, 'drop-highlight-dark');
    await page.goto(`${served.url}/#/settings`);
    await page.getByLabel('Follow the system').check();
    await expect.poll(() => page.evaluate(() => (globalThis as unknown as PageGlobals).document.documentElement.dataset.theme)).toBeUndefined();
    await page.getByLabel('Port').fill('99999');
    expect(await page.getByRole('button', { name: 'Save' }).isDisabled()).toBe(true);
    expect(problems).toEqual([]);
  });
});
