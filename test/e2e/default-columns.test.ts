/**
 * The runs table's default columns over the realistic data in a 1024-pixel window: the params
 * that vary across a sweep's runs sit beside the run name, then the metrics that differ between
 * runs; a param and a metric with one value in every run are left to the column chooser.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, openPage, prepareDataDir, screenshot, serveFlowdesk, type ServedFlowdesk } from './e2e-helpers.ts';
import { seedRealisticData, type RealisticData } from './realistic-data.ts';

/** The default columns come from the server's column stats, after the first rows; the polls wait for them. */
const slow = { timeout: 30_000 };

describe('the default columns of the runs table', () => {
  let browser: Browser;
  let served: ServedFlowdesk;
  let data!: RealisticData;

  beforeAll(async () => {
    served = await serveFlowdesk(await prepareDataDir(async (dir) => void (data = await seedRealisticData(dir, 1000))));
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await served?.stop();
  });

  it('puts the params that vary beside the run name, then the metrics that differ, and leaves constant ones to the chooser', async () => {
    const { page, problems } = await openPage(browser);
    await page.setViewportSize({ width: 1024, height: 700 });
    await page.goto(`${served.url}/#/experiments/${data.sweepExperimentId}`);
    const grid = page.getByRole('grid', { name: 'Runs' });
    const headers = page.locator('[role="columnheader"]');
    const shown = () => headers.evaluateAll((els) => els.map((el) => [Number(el.getAttribute('aria-colindex')), (el.getAttribute('title') ?? '').replace(/,.*| \(.*/, '')] as const));
    // Every column's header by its position: the table draws only the columns in view, so it is scrolled across.
    const allHeaders = async () => {
      const byIndex = new Map<number, string>();
      const width = await grid.evaluate((el) => el.scrollWidth);
      for (let left = 0; ; left += 300) {
        await grid.evaluate((el, x) => el.scrollTo({ left: x }), left);
        // The page draws the columns the scroll brought into view on its next frame.
        await page.evaluate('new Promise(requestAnimationFrame)');
        for (const [index, title] of await shown()) byIndex.set(index, title);
        if (left >= width) break;
      }
      await grid.evaluate((el) => el.scrollTo({ left: 0 }));
      return [...byIndex].sort((a, b) => a[0] - b[0]).map(([, title]) => title);
    };
    await expect.poll(async () => (await shown()).some(([, title]) => title.startsWith('param ')), slow).toBe(true);
    expect(await allHeaders()).toEqual([
      'Run name',
      'param lr',
      'param model.backbone.pretrained_checkpoint_path_on_shared_storage',
      'param optimizer',
      'metric train/loss',
      'metric val/accuracy_top1_on_held_out_validation_split',
      'metric val/loss',
      'Status',
      'Started',
      'Duration',
      'User',
    ]);
    // `epochs` is 30 and `data.augmentation` is randaugment in every trial; the parent alone has
    // `sweep.strategy`: none of them is a default column.

    // In a 1024-pixel window the first param starts at the name's right edge, in view without scrolling.
    const gridRight = await grid.evaluate((el) => el.getBoundingClientRect().right);
    const nameRight = await page.getByRole('columnheader', { name: 'Run' }).evaluate((el) => el.getBoundingClientRect().right);
    const lr = await page.getByRole('columnheader', { name: 'param lr' }).evaluate((el) => ({ left: el.getBoundingClientRect().left, right: el.getBoundingClientRect().right }));
    expect(lr.left).toBe(nameRight);
    expect(lr.right).toBeLessThanOrEqual(gridRight);
    await screenshot(page, 'runs-default-columns-1024-light');

    // The constant metric is still there to choose, in a chooser that opens within the pane.
    await page.getByRole('button', { name: /^Columns/ }).click();
    const chooser = page.getByRole('dialog', { name: 'Choose columns' });
    const paneLeft = await page.locator('main').evaluate((el) => el.getBoundingClientRect().left);
    expect(await chooser.evaluate((el) => el.getBoundingClientRect().left)).toBeGreaterThanOrEqual(paneLeft);
    await screenshot(page, 'runs-column-chooser-1024-light');
    const epochs = chooser.getByRole('checkbox', { name: 'epochs' });
    expect(await epochs.isChecked()).toBe(false);
    await epochs.check();
    await expect.poll(async () => (await allHeaders()).includes('metric epochs'), slow).toBe(true);
    expect(problems).toEqual([]);
    await page.context().close();
  });
});
