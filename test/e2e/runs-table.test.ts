import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '#core/api/client.ts';
import { launchChromium, openPage, prepareDataDir, screenshot, serveFlowdesk, type ServedFlowdesk } from './e2e-helpers.ts';

/** Logs a finished run with params and latest metrics through the contract, as a script would. */
async function logRun(api: Client, experimentId: string, name: string, params: Record<string, string>, metrics: Record<string, number>, status: 'FINISHED' | 'RUNNING' = 'FINISHED') {
  const { run } = await api.call('runs.create', { experimentId, runName: name, userId: 'ada' });
  const timestamp = Date.now();
  await api.call('runs.logBatch', {
    runId: run.info.runId,
    params: Object.entries(params).map(([key, value]) => ({ key, value })),
    metrics: Object.entries(metrics).map(([key, value]) => ({ key, value, timestamp, step: 1 })),
  });
  if (status === 'FINISHED') await api.call('runs.update', { runId: run.info.runId, status, endTime: timestamp + 42_000 });
  return run.info.runId;
}

/** The run names in the table, top to bottom. */
const runNames = (page: Page) => page.locator('[role="row"][data-run-id] .run-link').allTextContents();

describe('the runs table', () => {
  let browser: Browser;
  let served: ServedFlowdesk;
  let experimentId: string;

  beforeAll(async () => {
    served = await serveFlowdesk(await prepareDataDir());
    ({ experimentId } = await served.api.call('experiments.create', { name: 'image-classifier' }));
    const runs: [string, string, string, number, number][] = [
      ['resnet-small', 'rf', '0.1', 0.41, 0.81],
      ['resnet-wide', 'xgb', '0.01', 0.22, 0.9],
      ['vit-base', 'xgb', '0.003', 0.35, 0.86],
      ['<img src=x onerror=alert(1)>', 'rf', '0.05', 0.5, 0.7],
    ];
    for (const [name, model, lr, loss, acc] of runs) await logRun(served.api, experimentId, name, { model, lr }, { loss, acc });
    await logRun(served.api, experimentId, 'still-training', { model: 'xgb', lr: '0.02' }, { loss: 0.6, acc: 0.5 }, 'RUNNING');
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await served?.stop();
  });

  it('shows the seeded runs with their params and latest metrics, markup in names as text', async () => {
    const { page, problems } = await openPage(browser);
    await page.goto(`${served.url}/#/experiments/${experimentId}`);
    await expect.poll(() => runNames(page)).toHaveLength(5);
    expect(await runNames(page)).toContain('<img src=x onerror=alert(1)>');
    // Param and metric columns come with the experiment's column stats, after the first rows.
    const headers = async () =>
      (await page.locator('[role="columnheader"]').allTextContents()).map((h) => h.replace(/[▲▼]/g, '').replace(/\s+/g, ' ').trim());
    await expect.poll(headers).toEqual(
      expect.arrayContaining(['Run', 'Status', 'Started', 'Duration', 'User', 'param lr', 'param model', 'metric acc', 'metric loss']),
    );
    const wide = page.locator('[role="row"]', { hasText: 'resnet-wide' });
    await expect.poll(() => wide.textContent()).toContain('0.22');
    expect(await wide.textContent()).toContain('xgb');
    expect(await page.locator('[role="row"]', { hasText: 'still-training' }).locator('.status.running').count()).toBe(1);
    expect(await page.locator('img').count()).toBe(0);
    await screenshot(page, 'runs-table');
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('narrows rows with a filter, and shows an invalid filter inline at its position', async () => {
    const { page, problems } = await openPage(browser);
    await page.goto(`${served.url}/#/experiments/${experimentId}`);
    await expect.poll(() => runNames(page)).toHaveLength(5);
    await page.getByLabel('Filter runs').fill("params.model = 'xgb' and metrics.loss < 0.5");
    await page.getByLabel('Filter runs').press('Enter');
    await expect.poll(async () => (await runNames(page)).sort()).toEqual(['resnet-wide', 'vit-base']);
    expect(page.url()).toContain('filter=');

    await page.getByLabel('Filter runs').fill('metrics.loss <<< 1');
    await page.getByLabel('Filter runs').press('Enter');
    const error = page.locator('#run-filter-error');
    await expect.poll(() => error.textContent()).toMatch(/At position \d+:/);
    expect(await error.locator('mark').count()).toBe(1);
    expect(await page.getByLabel('Filter runs').getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator('.toast').count()).toBe(0);
    await screenshot(page, 'runs-filter-error');
    expect(problems.filter((p) => !p.includes('400'))).toEqual([]);
    await page.context().close();
  });

  it('sorts by a metric when its header is clicked, and keeps the sort in the URL', async () => {
    const { page, problems } = await openPage(browser);
    await page.goto(`${served.url}/#/experiments/${experimentId}`);
    await expect.poll(() => runNames(page)).toHaveLength(5);
    await page.getByRole('columnheader', { name: 'metric loss' }).getByRole('button', { name: 'metric loss' }).click();
    const ascending = ['resnet-wide', 'vit-base', 'resnet-small', '<img src=x onerror=alert(1)>', 'still-training'];
    await expect.poll(() => runNames(page)).toEqual(ascending);
    expect(await page.getByRole('columnheader', { name: 'metric loss' }).getAttribute('aria-sort')).toBe('ascending');
    await page.getByRole('columnheader', { name: 'metric loss' }).getByRole('button', { name: 'metric loss' }).click();
    await expect.poll(() => runNames(page)).toEqual([...ascending].reverse());
    await page.reload();
    await expect.poll(() => runNames(page)).toEqual([...ascending].reverse());
    await screenshot(page, 'runs-sorted');
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('shows a run a script logs while the page is open, without a reload, keeping the selection', async () => {
    const { page, problems } = await openPage(browser, { colorScheme: 'dark' });
    await page.goto(`${served.url}/#/experiments/${experimentId}`);
    await expect.poll(() => runNames(page)).toHaveLength(5);
    await page.locator('[role="row"]', { hasText: 'vit-base' }).click();
    await expect.poll(() => page.locator('.td.name', { hasText: 'live-run' }).count()).toBe(0);
    const runId = await logRun(served.api, experimentId, 'live-run', { model: 'rf', lr: '0.2' }, { loss: 0.05, acc: 0.97 }, 'RUNNING');
    await expect.poll(() => runNames(page)).toContain('live-run');
    expect((await runNames(page))[0]).toBe('live-run');
    await served.api.call('runs.logBatch', { runId, metrics: [{ key: 'loss', value: 0.0123, timestamp: Date.now(), step: 2 }] });
    await expect.poll(() => page.locator('[role="row"]', { hasText: 'live-run' }).textContent()).toContain('0.0123');
    expect(await page.locator('[role="row"][aria-selected="true"]').textContent()).toContain('vit-base');
    await screenshot(page, 'runs-live-dark');
    expect(problems).toEqual([]);
    await page.context().close();
  });
});
