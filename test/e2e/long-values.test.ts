/**
 * Values far over MLflow's 6,000/8,000-character limits, which Flowdesk keeps whole, in the
 * window: the runs table and the run page show a run holding a 100,000-character param and a
 * 20 kB note without an error, and the value is there in full.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, openPage, prepareDataDir, serveFlowdesk, type ServedFlowdesk } from './e2e-helpers.ts';

const LONG_PARAM = `start-${'x'.repeat(100_000)}-end`;
const NOTE = `# Findings\n\n${'The long note keeps **every** word.\n'.repeat(560)}`;

describe('long values in the window', () => {
  let browser: Browser;
  let served: ServedFlowdesk;
  let experimentId: string;
  let runId: string;

  beforeAll(async () => {
    served = await serveFlowdesk(await prepareDataDir());
    ({ experimentId } = await served.api.call('experiments.create', { name: 'long-values' }));
    const { run } = await served.api.call('runs.create', { experimentId, runName: 'wordy' });
    runId = run.info.runId;
    await served.api.call('runs.logBatch', {
      runId,
      params: [{ key: 'prompt', value: LONG_PARAM }],
      tags: [{ key: 'mlflow.note.content', value: NOTE }],
      metrics: [{ key: 'loss', value: 0.5, timestamp: Date.now(), step: 0 }],
    });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await served?.stop();
  });

  it('shows a run with a 100,000-character param in the runs table and on its page, whole', async () => {
    const { page, problems } = await openPage(browser);
    await page.goto(`${served.url}/#/experiments/${experimentId}`);
    const row = page.locator('[role="row"]', { hasText: 'wordy' });
    await expect.poll(() => row.count()).toBe(1);
    // The param column arrives with the experiment's keys, after the row itself.
    await expect.poll(async () => (await row.textContent()) ?? '').toContain(LONG_PARAM);

    await page.goto(`${served.url}/#/experiments/${experimentId}/runs/${runId}`);
    await expect.poll(async () => (await page.locator('main').textContent()) ?? '').toContain(LONG_PARAM);
    expect(await page.locator('main').textContent()).toContain('The long note keeps every word.');
    expect(problems).toEqual([]);
    await page.context().close();
  });
});
