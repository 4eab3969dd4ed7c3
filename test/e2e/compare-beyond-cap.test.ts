/**
 * Compare with more runs than one batched read takes (1,000): every run the link names is shown,
 * read in several calls, not the first 1,000 alone.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_BATCH_RUNS } from '#core/api/batched-reads-contract.ts';
import { launchChromium, openPage, prepareDataDir, seedBulkRuns, serveFlowdesk, type ServedFlowdesk } from './e2e-helpers.ts';

const RUNS = MAX_BATCH_RUNS + 200;

describe('comparing more runs than one batched read takes', () => {
  let browser: Browser;
  let served: ServedFlowdesk;
  let experimentId = '';

  beforeAll(async () => {
    served = await serveFlowdesk(await prepareDataDir(async (dir) => void (experimentId = await seedBulkRuns(dir, 'wide-sweep', RUNS))));
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await served?.stop();
  });

  it('shows every run the link names, past the first 1,000, reading them in calls of up to 1,000', async () => {
    const runIds: string[] = [];
    let pageToken: string | undefined;
    do {
      const page = await served.api.call('runs.search', { experimentIds: [experimentId], maxResults: 1000, pageToken, orderBy: ['attributes.start_time ASC'] });
      runIds.push(...page.runs.map((r) => r.info.runId));
      pageToken = page.nextPageToken;
    } while (pageToken);
    expect(runIds).toHaveLength(RUNS);

    const { page, problems } = await openPage(browser);
    const calls: number[] = [];
    page.on('request', (r) => {
      if (r.url().endsWith('/call/runs.getMany')) calls.push((JSON.parse(r.postData() ?? '{}') as { runIds: string[] }).runIds.length);
    });
    await page.goto(`${served.url}/#/compare?runs=${runIds.join(',')}`);
    await page.getByRole('heading', { name: `Comparing ${RUNS} runs` }).waitFor({ timeout: 60_000 });
    const table = page.getByTestId('metrics-table');
    await expect.poll(() => table.locator('tbody tr').count(), { timeout: 30_000 }).toBe(RUNS);
    // The last run named, past the first 1,000, has its row.
    expect(await table.locator(`tbody tr[data-run="${runIds[RUNS - 1]}"]`).count()).toBe(1);
    expect(calls.toSorted((a, b) => b - a)).toEqual([MAX_BATCH_RUNS, RUNS - MAX_BATCH_RUNS]);
    expect(problems).toEqual([]);
    await page.context().close();
  });
});
