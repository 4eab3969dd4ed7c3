/**
 * The runs table at a real size (50,000 runs seeded straight into the catalog) and on a small
 * sweep logged over HTTP: the exact match count, numeric group-by ranges, select-all-matches with
 * bulk delete (and Undo) and tag, CSV export of every match, column widths, default columns and
 * pins, metric min/max/last, the best-run sort, and copying. Screenshots in both themes.
 */
import { readFileSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '#core/api/client.ts';
import { launchChromium, openPage, prepareDataDir, screenshot, seedBulkRuns, serveFlowdesk, type ServedFlowdesk } from './e2e-helpers.ts';

const RUNS = 50_000;
/** Answers over 50,000 runs take their time on a busy machine; the polls wait for them, never on a clock in the assertion. */
const slow = { timeout: 30_000 };

/** Logs a finished run with params and a history per metric through the contract, as a script would. */
async function logRun(api: Client, experimentId: string, name: string, params: Record<string, string>, metrics: Record<string, number[]>) {
  const { run } = await api.call('runs.create', { experimentId, runName: name, userId: 'ada' });
  const timestamp = Date.now();
  await api.call('runs.logBatch', {
    runId: run.info.runId,
    params: Object.entries(params).map(([key, value]) => ({ key, value })),
    metrics: Object.entries(metrics).flatMap(([key, values]) => values.map((value, step) => ({ key, value, timestamp, step }))),
  });
  await api.call('runs.update', { runId: run.info.runId, status: 'FINISHED', endTime: timestamp + 42_000 });
  return run.info.runId;
}

const runNames = (page: Page) => page.locator('[role="row"][data-run-id] .run-link').allTextContents();
const matchCount = async (page: Page) => Number(await page.locator('footer.status-bar [data-match-count]').getAttribute('data-match-count'));

/** What the page's clipboard holds (the test runs in Node, so the page reads it). */
const clipboardText = (page: Page) => page.evaluate('navigator.clipboard.readText()') as Promise<string>;

async function applyFilter(page: Page, filter: string) {
  await page.getByLabel('Filter runs').fill(filter);
  await page.getByLabel('Filter runs').press('Enter');
}

describe('the runs table at 50,000 runs', () => {
  let browser: Browser;
  let served: ServedFlowdesk;
  let bulkId = '';
  let sweepId = '';

  beforeAll(async () => {
    const dataDir = await prepareDataDir(async (dir) => {
      bulkId = await seedBulkRuns(dir, 'big-sweep', RUNS);
    });
    served = await serveFlowdesk(dataDir);
    ({ experimentId: sweepId } = await served.api.call('experiments.create', { name: 'optimizers' }));
    const sweep: [string, string, string, number[], number[]][] = [
      ['adam-1', 'adam', '0.001', [0.5, 0.71, 0.7], [0.9, 0.31, 0.4]],
      ['adamw-1', 'adamw', '0.001', [0.6, 0.93, 0.92], [0.8, 0.12, 0.15]],
      ['adam-2', 'adam', '0.01', [0.4, 0.8, 0.85], [1.1, 0.2, 0.25]],
      ['adamw-2', 'adamw', '0.01', [0.3, 0.6, 0.55], [1.2, 0.5, 0.45]],
    ];
    for (const [name, optimizer, lr, acc, loss] of sweep) {
      await logRun(served.api, sweepId, name, { optimizer, lr, fixed: 'same', a_long_descriptive_parameter_name: 'x' }, { 'val/acc': acc, 'val/loss': loss });
    }
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await served?.stop();
  });

  it('shows the exact number of runs a filter matches, from the server', async () => {
    const { page, problems } = await openPage(browser);
    await page.goto(`${served.url}/#/experiments/${bulkId}`);
    await expect.poll(() => matchCount(page), slow).toBe(RUNS);
    await applyFilter(page, "params.model = 'rf'");
    await expect.poll(() => matchCount(page), slow).toBe(RUNS / 4);
    // loss = 1/(n+1) is below 0.001 for every run from n = 1000 on.
    await applyFilter(page, 'metrics.loss < 0.001');
    await expect.poll(() => matchCount(page), slow).toBe(RUNS - 1000);
    expect(await page.locator('footer.status-bar').textContent()).toContain('49,000 runs match the filter');
    await screenshot(page, 'runs-50000-count-light');
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('groups a param with 50,000 numeric values into a few ranges, and opens a range to its runs', async () => {
    const { page, problems } = await openPage(browser);
    await page.goto(`${served.url}/#/experiments/${bulkId}?group=seed`);
    const groups = page.locator('[role="row"].group');
    await expect.poll(() => groups.count(), slow).toBe(10);
    expect(await page.getByLabel('Group numeric values').inputValue()).toBe('10');
    expect(await page.locator('footer.status-bar').textContent()).toContain('10 groups of 50,000 runs by seed in 10 equal ranges');
    const first = groups.first();
    expect(await first.locator('.group-label').textContent()).toBe('seed in [0, 5000)');
    // The name column starts wide enough for the label, so the range is never cut.
    expect(await first.locator('.group-value').evaluate((el) => el.scrollWidth <= el.clientWidth)).toBe(true);
    expect(await first.locator('.pill').textContent()).toBe('5,000 runs');
    await first.click();
    await expect.poll(() => runNames(page), slow).not.toEqual([]);
    // The newest runs of the range first: seed n is run bulk-n.
    expect((await runNames(page))[0]).toBe('bulk-4999');
    await screenshot(page, 'runs-50000-ranges-light');

    await page.getByLabel('Group numeric values').selectOption('20');
    await expect.poll(() => groups.count(), slow).toBe(20);
    expect(page.url()).toContain('bins=20');
    await page.getByLabel('Group numeric values').selectOption('0');
    await expect.poll(() => page.locator('footer.status-bar').textContent(), slow).toContain('(the first 1,000 groups)');
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('shows group values whole, so adam and adamw differ, with the full label as its title', async () => {
    const { page, problems } = await openPage(browser, { colorScheme: 'dark' });
    await page.goto(`${served.url}/#/experiments/${sweepId}?group=optimizer`);
    const labels = page.locator('[role="row"].group .group-value');
    await expect.poll(() => labels.allTextContents(), slow).toEqual(['adam', 'adamw']);
    for (const label of await labels.all()) expect(await label.evaluate((el) => el.scrollWidth <= el.clientWidth)).toBe(true);
    expect(await page.locator('[role="row"].group .name-cell').first().getAttribute('title')).toBe('optimizer = adam (2 runs)');
    await screenshot(page, 'runs-groups-dark');
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('selects every match of the filter, deletes them in one call, and Undo restores them all', async () => {
    const { page, problems } = await openPage(browser);
    const bulkCalls: string[] = [];
    page.on('request', (r) => r.url().includes('/call/runs.') && /Many$/.test(r.url()) && bulkCalls.push(r.url().replace(/.*\/call\//, '')));
    await page.goto(`${served.url}/#/experiments/${bulkId}?filter=${encodeURIComponent("params.model = 'rf'")}`);
    await expect.poll(() => matchCount(page), slow).toBe(12_500);
    await page.getByRole('grid', { name: 'Runs' }).focus();
    await page.keyboard.press('Control+a');
    const bar = page.getByRole('region', { name: 'Selected runs' });
    await expect.poll(() => bar.locator('strong').textContent(), slow).toBe('250 selected (the loaded runs of 12,500)');
    await bar.getByRole('button', { name: 'Select all 12,500 matches' }).click();
    await expect.poll(() => bar.locator('strong').textContent(), slow).toBe('All 12,500 runs matching the filter selected');
    await screenshot(page, 'runs-all-matches-selected');
    await bar.getByRole('button', { name: 'Delete' }).click();
    const toast = page.getByRole('status').filter({ hasText: 'Moved 12,500 runs to the trash' });
    await expect.poll(() => toast.count(), slow).toBe(1);
    await expect.poll(() => matchCount(page), slow).toBe(0);
    expect((await served.api.call('runs.count', { experimentIds: [bulkId] })).count).toBe(RUNS - 12_500);
    await toast.getByRole('button', { name: 'Undo' }).click();
    await expect.poll(() => page.getByRole('status').filter({ hasText: 'Restored 12,500 runs' }).count(), slow).toBe(1);
    await expect.poll(() => matchCount(page), slow).toBe(12_500);
    expect((await served.api.call('runs.count', { experimentIds: [bulkId] })).count).toBe(RUNS);
    expect(bulkCalls).toEqual(['runs.deleteMany', 'runs.restoreMany']);
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('tags every match of the filter in one call', async () => {
    const { page, problems } = await openPage(browser);
    await page.goto(`${served.url}/#/experiments/${bulkId}?filter=${encodeURIComponent("params.model = 'lr'")}`);
    await expect.poll(() => matchCount(page), slow).toBe(12_500);
    await page.getByRole('grid', { name: 'Runs' }).focus();
    await page.keyboard.press('Control+a');
    const bar = page.getByRole('region', { name: 'Selected runs' });
    await bar.getByRole('button', { name: 'Select all 12,500 matches' }).click();
    await bar.getByRole('button', { name: 'Tag…' }).click();
    const form = page.getByRole('form', { name: 'Tag the selected runs' });
    await form.getByLabel('Key').fill('review');
    await form.getByLabel('Value').fill('done');
    await form.getByRole('button', { name: 'Tag 12,500 runs' }).click();
    await expect.poll(() => page.getByRole('status').filter({ hasText: 'Tagged 12,500 runs' }).count(), slow).toBe(1);
    expect((await served.api.call('runs.count', { experimentIds: [bulkId], filter: "tags.review = 'done'" })).count).toBe(12_500);
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('exports every run the filter matches, not only the loaded ones, with the columns shown', async () => {
    const { page, problems } = await openPage(browser);
    await page.goto(`${served.url}/#/experiments/${bulkId}?filter=${encodeURIComponent("params.model = 'xgb'")}`);
    await expect.poll(() => matchCount(page), slow).toBe(12_500);
    // The default columns come from the server's column stats, after the first rows.
    await expect.poll(() => page.getByRole('columnheader', { name: 'param seed' }).count(), slow).toBe(1);
    const download = page.waitForEvent('download', { timeout: 60_000 });
    await page.getByRole('button', { name: 'Export CSV' }).click();
    const file = await download;
    expect(file.suggestedFilename()).toBe('big-sweep-runs.csv');
    const lines = readFileSync((await file.path())!, 'utf8').trimEnd().split('\r\n');
    expect(lines).toHaveLength(12_500 + 1);
    const header = lines[0]!.split(',');
    expect(header.slice(0, 2)).toEqual(['run_name', 'run_id']);
    expect(header).toEqual(expect.arrayContaining(['metric:loss', 'metric:acc', 'param:model', 'param:seed']));
    // The newest xgb run is bulk-49997 (model cycles rf, xgb, lr, svm).
    expect(lines[1]!.startsWith('bulk-49997,')).toBe(true);
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('starts columns wide enough for their header, resizes them by drag and double-click, and keeps the widths', async () => {
    const { page, problems } = await openPage(browser);
    await page.goto(`${served.url}/#/experiments/${sweepId}`);
    await expect.poll(() => runNames(page), slow).toHaveLength(4);
    const header = (name: string) => page.getByRole('columnheader', { name });
    for (const name of ['metric val/acc', 'metric val/loss', 'Started', 'Duration']) {
      await expect.poll(() => header(name).locator('.label').evaluate((el) => el.scrollWidth <= el.clientWidth), slow).toBe(true);
    }
    const width = () => header('metric val/loss').evaluate((el) => el.getBoundingClientRect().width);
    const before = await width();
    const handle = header('metric val/loss').getByRole('separator');
    await page.getByRole('grid', { name: 'Runs' }).evaluate((el) => el.scrollTo({ left: el.scrollWidth }));
    const box = (await handle.boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 2 + 80, box.y + box.height / 2, { steps: 4 });
    await page.mouse.up();
    await expect.poll(width, slow).toBe(before + 80);
    await page.reload();
    await expect.poll(() => runNames(page), slow).toHaveLength(4);
    await expect.poll(width, slow).toBe(before + 80);
    await header('metric val/loss').getByRole('separator').dblclick();
    await expect.poll(width, slow).toBeLessThan(before + 80);
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('shows the metrics most runs have and the params that vary, and pins a column beside the name', async () => {
    const { page, problems } = await openPage(browser);
    await page.goto(`${served.url}/#/experiments/${sweepId}`);
    await expect.poll(() => runNames(page), slow).toHaveLength(4);
    const headers = page.locator('[role="columnheader"]');
    await expect.poll(() => headers.evaluateAll((els) => els.map((el) => el.getAttribute('title'))), slow).toEqual(expect.arrayContaining([expect.stringMatching(/^param optimizer/), expect.stringMatching(/^param lr/)]));
    const titles = await headers.evaluateAll((els) => els.map((el) => el.getAttribute('title') ?? ''));
    expect(titles.some((t) => t.startsWith('param fixed'))).toBe(false);
    expect(titles.some((t) => t.startsWith('metric val/acc'))).toBe(true);

    await page.getByRole('button', { name: 'Pin optimizer' }).click();
    const optimizer = page.getByRole('columnheader', { name: 'param optimizer' });
    await expect.poll(() => optimizer.getAttribute('aria-colindex'), slow).toBe('2');
    const grid = page.getByRole('grid', { name: 'Runs' });
    await grid.evaluate((el) => el.scrollTo({ left: el.scrollWidth }));
    // Pinned, it stays beside the name however far the table scrolls.
    await expect.poll(() => optimizer.evaluate((el) => Math.round(el.getBoundingClientRect().left - el.parentElement!.getBoundingClientRect().left)), slow).toBeGreaterThan(100);
    const nameRight = await page.getByRole('columnheader', { name: 'Run' }).evaluate((el) => el.getBoundingClientRect().right);
    expect(await optimizer.evaluate((el) => el.getBoundingClientRect().left)).toBe(nameRight);
    await page.reload();
    await expect.poll(() => page.getByRole('columnheader', { name: 'param optimizer' }).getAttribute('aria-colindex'), slow).toBe('2');
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it("shows each metric's last, min or max value", async () => {
    const { page, problems } = await openPage(browser, { colorScheme: 'dark' });
    await page.goto(`${served.url}/#/experiments/${sweepId}`);
    const loss = async () => {
      const index = await page.getByRole('columnheader', { name: /val\/loss/ }).getAttribute('aria-colindex', { timeout: 2000 });
      return page.locator('[role="row"]', { hasText: 'adam-1' }).locator(`[role="gridcell"][aria-colindex="${index}"]`).textContent();
    };
    await expect.poll(loss, slow).toBe('0.4');
    await page.getByLabel('Metric value shown').selectOption('min');
    await expect.poll(loss, slow).toBe('0.31');
    await page.getByLabel('Metric value shown').selectOption('max');
    await expect.poll(loss, slow).toBe('0.9');
    await screenshot(page, 'runs-metric-max-dark');
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('sorts the best run by a metric first, lowest first for a loss and highest for an accuracy', async () => {
    const { page, problems } = await openPage(browser);
    await page.goto(`${served.url}/#/experiments/${sweepId}`);
    await expect.poll(() => runNames(page), slow).toHaveLength(4);
    await page.getByLabel('Sort by the best value of a metric').selectOption('val/acc');
    await expect.poll(() => runNames(page), slow).toEqual(['adamw-1', 'adam-2', 'adam-1', 'adamw-2']);
    expect(page.url()).toContain('sort=metric%3Aval%2Facc&dir=desc');
    await page.getByLabel('Sort by the best value of a metric').selectOption('val/loss');
    await expect.poll(() => runNames(page), slow).toEqual(['adamw-1', 'adam-2', 'adam-1', 'adamw-2']);
    expect(page.url()).toContain('dir=asc');
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('copies a cell and a run id from the menu of a right-clicked cell, and the selected ids with Ctrl+C', async () => {
    const { page, problems } = await openPage(browser);
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: served.url });
    await page.goto(`${served.url}/#/experiments/${sweepId}`);
    await expect.poll(() => runNames(page), slow).toHaveLength(4);
    const row = page.locator('[role="row"]', { hasText: 'adamw-1' });
    const runId = (await row.getAttribute('data-run-id'))!;
    const index = await page.getByRole('columnheader', { name: /metric val\/acc/ }).getAttribute('aria-colindex');
    await row.locator(`[role="gridcell"][aria-colindex="${index}"]`).click({ button: 'right' });
    await page.getByRole('menuitem', { name: 'Copy value' }).click();
    await expect.poll(() => clipboardText(page), slow).toBe('0.92');
    await row.locator('.name-cell').click({ button: 'right' });
    await page.getByRole('menuitem', { name: 'Copy run id' }).click();
    await expect.poll(() => clipboardText(page), slow).toBe(runId);
    await page.locator('[role="row"]', { hasText: 'adam-1' }).click();
    await page.locator('[role="row"]', { hasText: 'adamw-1' }).click({ modifiers: ['Control'] });
    await page.keyboard.press('Control+c');
    const ids = await page.locator('[role="row"][aria-selected="true"]').evaluateAll((els) => els.map((el) => el.getAttribute('data-run-id')));
    await expect.poll(() => clipboardText(page), slow).toBe(ids.join('\n'));
    expect(problems).toEqual([]);
    await page.context().close();
  });
});
