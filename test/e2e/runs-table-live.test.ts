/**
 * The runs table while a script logs: a child process speaking MLflow's REST API starts runs,
 * and they appear, change and finish in the open table without a reload, while the person's
 * scroll position and selection stay where they were.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, openPage, prepareDataDir, screenshot, seedBulkRuns, serveFlowdesk, type ServedFlowdesk } from './e2e-helpers.ts';

const ROW_HEIGHT = 32;
const SEEDED = 400;
const LIVE = 5;
/** The first page the table loads (the rest come as it is scrolled). */
const PAGE_SIZE = 250;

/** Starts the logging script; resolves with the process and the run ids it prints. */
function startLogger(url: string, experimentId: string): { child: ChildProcess; runIds: string[]; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['bin/run-ts.js', 'test/fixtures/mlflow-live-logger.ts', url, experimentId, String(LIVE), '150'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const runIds: string[] = [];
  child.stdout!.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) if (/^[0-9a-f]{32}$/.test(line.trim())) runIds.push(line.trim());
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, runIds, exited };
}

const grid = (page: Page) => page.getByRole('grid', { name: 'Runs' });
const selectedNames = (page: Page) => page.locator('[role="row"][aria-selected="true"] .run-link').allTextContents();

describe('the runs table while a script logs', () => {
  let browser: Browser;
  let served: ServedFlowdesk;
  let experimentId = '';

  beforeAll(async () => {
    const dataDir = await prepareDataDir(async (dir) => {
      experimentId = await seedBulkRuns(dir, 'live-training', SEEDED);
    });
    served = await serveFlowdesk(dataDir);
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await served?.stop();
  });

  it('shows new runs and changing values live, keeping the scroll position and the selection', async () => {
    const { page, problems } = await openPage(browser);
    await page.goto(`${served.url}/#/experiments/${experimentId}`);
    await expect.poll(() => page.locator('[role="row"][data-run-id]').count()).toBeGreaterThan(10);

    // Scroll into the middle and select two runs there (a click and a shift-click).
    await grid(page).evaluate((el) => (el.scrollTop = 100 * 32));
    const top = page.locator('[role="row"][data-run-id]', { hasText: /bulk-299(?!\d)/ });
    await expect.poll(() => top.count()).toBe(1);
    await page.locator('[role="row"][data-run-id]', { hasText: /bulk-295(?!\d)/ }).click();
    await page.locator('[role="row"][data-run-id]', { hasText: /bulk-293(?!\d)/ }).click({ modifiers: ['Shift'] });
    expect((await selectedNames(page)).sort()).toEqual(['bulk-293', 'bulk-294', 'bulk-295']);
    const scrollBefore = await grid(page).evaluate((el) => el.scrollTop);
    const offsetOf = (name: string) => page.locator('[role="row"][data-run-id]', { hasText: new RegExp(`${name}(?!\\d)`) }).evaluate((row) => row.getBoundingClientRect().top);
    const rowTopBefore = await offsetOf('bulk-295');

    const logger = startLogger(served.url, experimentId);
    try {
      // Every new run arrives (the footer counts them) while the view stays on the same rows.
      await expect.poll(() => page.locator('footer.status-bar').textContent(), { timeout: 20_000 }).toContain(`${PAGE_SIZE + LIVE} loaded`);
      expect(await grid(page).evaluate((el) => el.scrollTop)).toBe(scrollBefore + LIVE * ROW_HEIGHT);
      expect(await offsetOf('bulk-295')).toBe(rowTopBefore);
      expect((await selectedNames(page)).sort()).toEqual(['bulk-293', 'bulk-294', 'bulk-295']);
      await screenshot(page, 'runs-live-scrolled');

      // At the top: the new runs, newest first, the last one marked running and its loss moving.
      await grid(page).evaluate((el) => (el.scrollTop = 0));
      const names = page.locator('[role="row"][data-run-id] .run-link');
      await expect.poll(() => names.first().textContent()).toBe(`live-${LIVE - 1}`);
      expect((await names.allTextContents()).slice(0, LIVE)).toEqual(Array.from({ length: LIVE }, (_, i) => `live-${LIVE - 1 - i}`));
      const running = page.locator('[role="row"]', { hasText: `live-${LIVE - 1}` });
      expect(await running.locator('.status.running').count()).toBe(1);
      const lossColumn = await page.getByRole('columnheader', { name: 'metric loss' }).getAttribute('aria-colindex');
      const lossCell = running.locator(`[role="gridcell"][aria-colindex="${lossColumn}"]`);
      await expect.poll(() => lossCell.textContent()).toMatch(/^0\.\d+$/);
      const firstLoss = await lossCell.textContent();
      await expect.poll(() => lossCell.textContent(), { timeout: 10_000 }).not.toBe(firstLoss);
      await screenshot(page, 'runs-live-top');

      // The script finishes its last run: the mark goes, the selection is still there.
      logger.child.stdin!.write('stop\n');
      expect(await logger.exited).toBe(0);
      await expect.poll(() => running.locator('.status.finished').count()).toBe(1);
      expect((await selectedNames(page)).length).toBe(0); // the selected rows are scrolled away, not lost:
      await grid(page).evaluate((el) => (el.scrollTop = 100 * 32));
      await expect.poll(async () => (await selectedNames(page)).sort()).toEqual(['bulk-293', 'bulk-294', 'bulk-295']);
      expect(await page.getByRole('region', { name: 'Selected runs' }).textContent()).toContain('3 selected');
    } finally {
      logger.child.kill();
    }
    expect(problems).toEqual([]);
    await page.context().close();
  });
});
