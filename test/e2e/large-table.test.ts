import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, openPage, prepareDataDir, screenshot, seedBulkRuns, serveFlowdesk, type ServedFlowdesk } from './e2e-helpers.ts';

/** For polls that wait on pages of 20,000 runs: expect.poll gives up after 1 s by default, too soon under load. */
const slow = { timeout: 30_000 };

const RUNS = 20_000;

describe('the runs table at 20,000 runs', () => {
  let browser: Browser;
  let served: ServedFlowdesk;
  let experimentId = '';

  beforeAll(async () => {
    const dataDir = await prepareDataDir(async (dir) => {
      experimentId = await seedBulkRuns(dir, 'sweep', RUNS);
    });
    served = await serveFlowdesk(dataDir);
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await served?.stop();
  });

  it('keeps only the rows in view in the DOM and loads further pages as the end is scrolled to', async () => {
    const { page, problems } = await openPage(browser);
    await page.goto(`${served.url}/#/experiments/${experimentId}`);
    const rows = page.locator('[role="row"][data-run-id]');
    await expect.poll(() => rows.count(), slow).toBeGreaterThan(10);
    // The newest run first (the server's default order).
    expect(await rows.first().textContent()).toContain(`bulk-${RUNS - 1}`);
    const loadedRuns = async () => Number(await page.locator('footer.status-bar [data-loaded]').getAttribute('data-loaded'));
    const firstPage = await loadedRuns();
    expect(firstPage).toBeLessThan(RUNS);

    const grid = page.getByRole('grid', { name: 'Runs' });
    for (let i = 0; i < 3; i++) {
      const before = await loadedRuns();
      await grid.evaluate((el) => el.scrollTo({ top: el.scrollHeight }));
      await expect.poll(loadedRuns, slow).toBeGreaterThan(before);
    }
    expect(await rows.count()).toBeLessThan(200);
    const loaded = await loadedRuns();
    expect(loaded).toBeLessThan(RUNS);
    // The rows at the bottom of the view are the last loaded ones, in order.
    await grid.evaluate((el) => el.scrollTo({ top: el.scrollHeight }));
    await expect.poll(() => rows.last().textContent(), slow).toContain('bulk-');
    await screenshot(page, 'runs-20000-scrolled');
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('sorts 20,000 runs by a metric on the server', async () => {
    const { page, problems } = await openPage(browser);
    await page.goto(`${served.url}/#/experiments/${experimentId}?sort=metric:loss&dir=asc`);
    const rows = page.locator('[role="row"][data-run-id]');
    // loss = 1/(n+1): the smallest loss is the last run seeded.
    await expect.poll(() => rows.first().locator('.run-link').textContent(), slow).toBe(`bulk-${RUNS - 1}`);
    expect(await rows.nth(1).locator('.run-link').textContent()).toBe(`bulk-${RUNS - 2}`);
    expect(problems).toEqual([]);
    await page.context().close();
  });
});
