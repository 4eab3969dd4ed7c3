/**
 * The runs table's ways of looking at an experiment: filter with key suggestions, sort by a tag,
 * multi-select with shift-click and the selection bar, deleted runs, grouping by a param, child
 * runs folded under their parent, keyboard navigation, and hundreds of columns.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '#core/api/client.ts';
import { launchChromium, openPage, prepareDataDir, screenshot, serveFlowdesk, type ServedFlowdesk } from './e2e-helpers.ts';

/** Logs a finished run with params, latest metrics and tags through the contract, as a script would. */
async function logRun(api: Client, experimentId: string, name: string, params: Record<string, string>, metrics: Record<string, number>, tags: Record<string, string> = {}) {
  const { run } = await api.call('runs.create', { experimentId, runName: name, userId: 'ada' });
  const timestamp = Date.now();
  await api.call('runs.logBatch', {
    runId: run.info.runId,
    params: Object.entries(params).map(([key, value]) => ({ key, value })),
    metrics: Object.entries(metrics).map(([key, value]) => ({ key, value, timestamp, step: 1 })),
    tags: Object.entries(tags).map(([key, value]) => ({ key, value })),
  });
  await api.call('runs.update', { runId: run.info.runId, status: 'FINISHED', endTime: timestamp + 61_000 });
  return run.info.runId;
}

const names = (page: Page) => page.locator('[role="row"][data-run-id] .run-link').allTextContents();
const selectedNames = (page: Page) => page.locator('[role="row"][aria-selected="true"] .run-link').allTextContents();
const row = (page: Page, name: string) => page.locator('[role="row"][data-run-id]', { has: page.locator('.run-link', { hasText: new RegExp(`^${name}$`) }) });

// Oldest first as created, so the table (newest first) lists them in reverse.
const RUNS: [string, string, number, string][] = [
  ['rf-1', 'rf', 0.5, 'vision'],
  ['rf-2', 'rf', 0.3, 'nlp'],
  ['xgb-1', 'xgb', 0.2, 'vision'],
  ['xgb-2', 'xgb', 0.4, 'speech'],
  ['xgb-3', 'xgb', 0.6, 'nlp'],
  ['lr-1', 'lr', 0.9, 'vision'],
];

describe('the runs table views', () => {
  let browser: Browser;
  let served: ServedFlowdesk;
  let experimentId: string;
  let sweepId: string;
  const ids = new Map<string, string>();

  beforeAll(async () => {
    served = await serveFlowdesk(await prepareDataDir());
    ({ experimentId } = await served.api.call('experiments.create', { name: 'tabular' }));
    for (const [name, model, loss, team] of RUNS) ids.set(name, await logRun(served.api, experimentId, name, { model, 'learning rate': '0.1' }, { loss, val_loss: loss + 0.05 }, { team }));
    sweepId = await logRun(served.api, experimentId, 'sweep', { model: 'xgb' }, { loss: 0.1 });
    for (const trial of ['trial-a', 'trial-b']) ids.set(trial, await logRun(served.api, experimentId, trial, { model: 'xgb' }, { loss: 0.15 }, { 'mlflow.parentRunId': sweepId }));
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await served?.stop();
  });

  it('suggests keys as a filter is typed, takes one from the keyboard, and sorts by a tag', async () => {
    const { page, problems } = await openPage(browser);
    await page.goto(`${served.url}/#/experiments/${experimentId}`);
    await expect.poll(() => names(page)).toHaveLength(7);
    const filter = page.getByLabel('Filter runs');
    await filter.click();
    await filter.pressSequentially('metrics.lo');
    const options = page.getByRole('listbox', { name: 'Suggested keys' }).getByRole('option');
    await expect.poll(() => options.allTextContents()).toEqual(['lossmetric', 'val_lossmetric']);
    await filter.fill('');
    await filter.pressSequentially('params.');
    await expect.poll(() => options.allTextContents()).toEqual(['learning rateparam', 'modelparam']);
    await screenshot(page, 'runs-filter-suggestions');
    await filter.press('ArrowDown');
    await filter.press('ArrowDown');
    expect(await options.nth(1).getAttribute('aria-selected')).toBe('true');
    await filter.press('Enter');
    await expect.poll(() => filter.inputValue()).toBe('params.model ');
    await filter.pressSequentially("= 'xgb' and met");
    await expect.poll(() => options.allTextContents()).toEqual(['metrics.']);
    await filter.press('Tab');
    await filter.pressSequentially('lo');
    await expect.poll(() => options.allTextContents()).toEqual(['lossmetric', 'val_lossmetric']);
    await filter.press('ArrowDown');
    await filter.press('Enter');
    await expect.poll(() => filter.inputValue()).toBe("params.model = 'xgb' and metrics.loss ");
    await filter.pressSequentially('< 0.5');
    await filter.press('Enter');
    // A filtered table is flat: the matching child runs show beside their parent, marked as children.
    await expect.poll(async () => (await names(page)).sort()).toEqual(['sweep', 'trial-a', 'trial-b', 'xgb-1', 'xgb-2']);
    expect(await row(page, 'trial-a').locator('.pill', { hasText: 'child' }).count()).toBe(1);
    expect(decodeURIComponent(page.url())).toContain("filter=params.model = 'xgb' and metrics.loss < 0.5".replaceAll(' ', '+'));

    // Sort by the team tag, chosen in the column chooser.
    await page.getByRole('button', { name: 'Clear' }).click();
    await expect.poll(() => names(page)).toHaveLength(7);
    await page.getByRole('button', { name: /^Columns/ }).click();
    await page.getByRole('dialog', { name: 'Choose columns' }).getByLabel('team').check();
    await page.keyboard.press('Escape');
    await page.getByRole('columnheader', { name: 'tag team' }).getByRole('button', { name: 'tag team' }).click();
    await expect.poll(async () => (await names(page)).slice(0, 6)).toEqual(['xgb-3', 'rf-2', 'xgb-2', 'lr-1', 'xgb-1', 'rf-1']);
    expect(page.url()).toContain('sort=tag%3Ateam');
    await screenshot(page, 'runs-sorted-by-tag');
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('selects with click, ctrl-click and shift-click, links the selection to compare, and deletes and restores it', async () => {
    const { page, problems } = await openPage(browser);
    await page.goto(`${served.url}/#/experiments/${experimentId}`);
    await expect.poll(() => names(page)).toHaveLength(7);
    await row(page, 'xgb-3').click();
    await row(page, 'xgb-1').click({ modifiers: ['Shift'] });
    expect(await selectedNames(page)).toEqual(['xgb-3', 'xgb-2', 'xgb-1']);
    await row(page, 'lr-1').click({ modifiers: ['Control'] });
    await row(page, 'xgb-2').click({ modifiers: ['Control'] });
    expect(await selectedNames(page)).toEqual(['lr-1', 'xgb-3', 'xgb-1']);
    const bar = page.getByRole('region', { name: 'Selected runs' });
    expect(await bar.textContent()).toContain('3 selected');
    const compare = await bar.getByRole('link', { name: 'Compare' }).getAttribute('href');
    expect(compare!.replace('#/compare?runs=', '').split(',').sort()).toEqual([ids.get('xgb-3'), ids.get('lr-1'), ids.get('xgb-1')].sort());
    // A modified click on the run's name selects; it does not open the run.
    expect(page.url()).not.toContain('/runs/');
    await screenshot(page, 'runs-multi-select');

    await bar.getByRole('button', { name: 'Delete' }).click();
    await expect.poll(() => names(page)).toEqual(['sweep', 'xgb-2', 'rf-2', 'rf-1']);
    expect(await page.getByRole('region', { name: 'Selected runs' }).count()).toBe(0);

    // Shown again (marked) with deleted runs on; restored from the selection bar.
    await page.getByLabel('Show deleted').check();
    await expect.poll(() => names(page)).toHaveLength(7);
    expect(page.url()).toContain('deleted=1');
    expect(await row(page, 'lr-1').locator('.pill.danger').textContent()).toBe('deleted');
    await screenshot(page, 'runs-show-deleted');
    await row(page, 'lr-1').click();
    await page.getByRole('region', { name: 'Selected runs' }).getByRole('button', { name: 'Restore' }).click();
    await expect.poll(() => row(page, 'lr-1').locator('.pill.danger').count()).toBe(0);
    await page.getByLabel('Show deleted').uncheck();
    await expect.poll(async () => (await names(page)).sort()).toEqual(['lr-1', 'rf-1', 'rf-2', 'sweep', 'xgb-2']);
    for (const name of ['xgb-1', 'xgb-3']) await served.api.call('runs.restore', { runId: ids.get(name)! });
    await expect.poll(() => names(page)).toHaveLength(7);
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('groups runs by a param with the mean, min and max of their metrics, groups folding open', async () => {
    const { page, problems } = await openPage(browser, { colorScheme: 'dark' });
    await page.goto(`${served.url}/#/experiments/${experimentId}`);
    await expect.poll(() => names(page)).toHaveLength(7);
    await page.getByLabel('Group by param').selectOption('model');
    const groups = page.locator('[role="row"].group');
    await expect.poll(() => groups.locator('.group-label').allTextContents()).toEqual(['model = lr', 'model = rf', 'model = xgb']);
    expect(page.url()).toContain('group=model');
    const xgb = groups.nth(2);
    // xgb: xgb-1..3, sweep and its two trials: losses 0.2, 0.4, 0.6, 0.1, 0.15, 0.15.
    expect(await xgb.locator('.pill').textContent()).toBe('6 runs');
    const lossColumn = await page.getByRole('columnheader', { name: 'metric loss' }).getAttribute('aria-colindex');
    const lossCell = xgb.locator(`[role="gridcell"][aria-colindex="${lossColumn}"]`);
    expect(await lossCell.textContent()).toBe('0.2667');
    await page.getByLabel('Group summary').selectOption('max');
    await expect.poll(() => lossCell.textContent()).toBe('0.6');
    await page.getByLabel('Group summary').selectOption('min');
    await expect.poll(() => lossCell.textContent()).toBe('0.1');
    expect(await names(page)).toEqual([]);
    await xgb.click();
    await expect.poll(async () => (await names(page)).sort()).toEqual(['sweep', 'trial-a', 'trial-b', 'xgb-1', 'xgb-2', 'xgb-3']);
    expect(await xgb.getAttribute('aria-expanded')).toBe('true');
    await screenshot(page, 'runs-grouped-dark');
    await xgb.click();
    await expect.poll(() => names(page)).toEqual([]);
    await page.reload();
    await expect.poll(() => groups.count()).toBe(3);
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('folds child runs under their parent behind an expander', async () => {
    const { page, problems } = await openPage(browser);
    await page.goto(`${served.url}/#/experiments/${experimentId}`);
    await expect.poll(() => names(page)).toHaveLength(7);
    expect(await names(page)).not.toContain('trial-a');
    const sweep = row(page, 'sweep');
    expect(await sweep.locator('.pill').textContent()).toBe('2');
    expect(await sweep.getAttribute('aria-expanded')).toBe('false');
    await sweep.getByRole('button', { name: 'Show 2 child runs' }).click();
    await expect.poll(() => names(page)).toEqual(['sweep', 'trial-b', 'trial-a', 'lr-1', 'xgb-3', 'xgb-2', 'xgb-1', 'rf-2', 'rf-1']);
    expect(await row(page, 'trial-a').getAttribute('aria-level')).toBe('2');
    await screenshot(page, 'runs-nested');

    // A child logged now appears under its open parent, and the count follows.
    await logRun(served.api, experimentId, 'trial-c', { model: 'xgb' }, { loss: 0.12 }, { 'mlflow.parentRunId': sweepId });
    await expect.poll(() => names(page)).toContain('trial-c');
    expect(await row(page, 'trial-c').getAttribute('aria-level')).toBe('2');
    await expect.poll(() => sweep.locator('.pill').textContent()).toBe('3');
    await sweep.getByRole('button', { name: 'Hide 3 child runs' }).click();
    await expect.poll(() => names(page)).toHaveLength(7);
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('moves, extends and opens with the keyboard', async () => {
    const { page, problems } = await openPage(browser);
    await page.goto(`${served.url}/#/experiments/${experimentId}`);
    await expect.poll(() => names(page)).toHaveLength(7);
    const all = await names(page);
    await page.getByRole('grid', { name: 'Runs' }).focus();
    await page.keyboard.press('ArrowDown');
    expect(await selectedNames(page)).toEqual([all[0]]);
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    expect(await selectedNames(page)).toEqual([all[2]]);
    await page.keyboard.press('Shift+ArrowDown');
    await page.keyboard.press('Shift+ArrowDown');
    expect(await selectedNames(page)).toEqual(all.slice(2, 5));
    await page.keyboard.press('Shift+ArrowUp');
    expect(await selectedNames(page)).toEqual(all.slice(2, 4));
    await page.keyboard.press('End');
    expect(await selectedNames(page)).toEqual([all[6]]);
    await page.keyboard.press('Space');
    expect(await selectedNames(page)).toEqual([]);
    await page.keyboard.press('Space');
    await page.keyboard.press('Home');
    expect(await selectedNames(page)).toEqual([all[0]]);
    // Right opens the parent's children, left folds them.
    await page.keyboard.press('ArrowRight');
    await expect.poll(() => names(page)).toHaveLength(10);
    await page.keyboard.press('ArrowLeft');
    await expect.poll(() => names(page)).toHaveLength(7);
    await page.keyboard.press('Control+a');
    expect(await selectedNames(page)).toHaveLength(7);
    await page.keyboard.press('Escape');
    expect(await selectedNames(page)).toEqual([]);
    await page.keyboard.press('Home');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.url()).toContain(`/runs/${sweepId}`);
    expect(problems).toEqual([]);
    await page.context().close();
  });
});

describe('a runs table with hundreds of columns', () => {
  let browser: Browser;
  let served: ServedFlowdesk;
  let experimentId: string;

  beforeAll(async () => {
    served = await serveFlowdesk(await prepareDataDir());
    ({ experimentId } = await served.api.call('experiments.create', { name: 'wide' }));
    const keys = Array.from({ length: 300 }, (_, i) => `p${String(i).padStart(3, '0')}`);
    for (let r = 0; r < 3; r++) {
      const { run } = await served.api.call('runs.create', { experimentId, runName: `wide-${r}` });
      for (let first = 0; first < keys.length; first += 100) {
        await served.api.call('runs.logBatch', { runId: run.info.runId, params: keys.slice(first, first + 100).map((key, i) => ({ key, value: String(r * 1000 + first + i) })) });
      }
    }
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await served?.stop();
  });

  it('draws only the columns in view, and remembers the chosen columns for the experiment', async () => {
    const { page, problems } = await openPage(browser);
    await page.goto(`${served.url}/#/experiments/${experimentId}`);
    await expect.poll(() => names(page)).toHaveLength(3);
    await page.getByRole('button', { name: /^Columns/ }).click();
    const chooser = page.getByRole('dialog', { name: 'Choose columns' });
    await chooser.locator('fieldset', { hasText: 'Params' }).getByRole('button', { name: 'All' }).click();
    await page.keyboard.press('Escape');
    await expect.poll(() => page.getByRole('button', { name: /^Columns/ }).textContent()).toContain('300');
    const headers = page.getByRole('columnheader');
    // 304 columns chosen; about a screen's worth are in the DOM.
    expect(await headers.count()).toBeLessThan(20);
    expect(await page.getByRole('grid', { name: 'Runs' }).getAttribute('aria-colcount')).toBe('305');
    await page.getByRole('grid', { name: 'Runs' }).evaluate((el) => (el.scrollLeft = el.scrollWidth));
    await expect.poll(() => headers.filter({ hasText: 'p299' }).count()).toBe(1);
    expect(await headers.filter({ hasText: 'p000' }).count()).toBe(0);
    expect(await headers.count()).toBeLessThan(20);
    // The name stays pinned at the left while the values scroll.
    expect(await headers.first().textContent()).toContain('Run');
    const p299 = await headers.filter({ hasText: 'p299' }).getAttribute('aria-colindex');
    expect(await row(page, 'wide-2').locator(`[role="gridcell"][aria-colindex="${p299}"]`).textContent()).toBe('2299');
    await screenshot(page, 'runs-wide-scrolled');

    await page.reload();
    await expect.poll(() => page.getByRole('button', { name: /^Columns/ }).textContent()).toContain('300');
    expect(problems).toEqual([]);
    await page.context().close();
  });
});
