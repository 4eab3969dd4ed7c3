import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, openPage, prepareDataDir, screenshot, serveFlowdesk } from './e2e-helpers.ts';
import { seedRealisticData, type RealisticData } from './realistic-data.ts';

describe('the start page', () => {
  let browser: Browser;

  beforeAll(async () => {
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('shows the quick start while nothing is logged, and the overview once a script logs', async () => {
    const served = await serveFlowdesk(await prepareDataDir());
    try {
      const { page, problems } = await openPage(browser);
      await page.goto(`${served.url}/#/`);
      await expect.poll(() => page.getByTestId('tracking-uri').textContent()).toBe(`export MLFLOW_TRACKING_URI=${served.url}`);
      expect(await page.getByRole('heading', { name: 'Experiments' }).count()).toBe(0);

      // A script starts a run: the page turns into the overview by itself.
      const { experimentId } = await served.api.call('experiments.create', { name: 'first-steps' });
      const { run } = await served.api.call('runs.create', { experimentId, runName: 'hello' });
      await page.getByRole('heading', { name: 'Experiments' }).waitFor();
      expect(await page.getByTestId('tracking-uri').count()).toBe(0);
      const running = page.locator('section[aria-labelledby="running-title"]');
      expect(await running.getByRole('link', { name: 'hello' }).getAttribute('href')).toBe(`#/experiments/${experimentId}/runs/${run.info.runId}`);

      // The quick start stays reachable from the page (and Help → Quick Start in the app).
      await page.getByRole('link', { name: /Quick start/ }).click();
      await expect.poll(() => page.getByTestId('tracking-uri').textContent()).toBe(`export MLFLOW_TRACKING_URI=${served.url}`);
      expect(page.url()).toBe(`${served.url}/#/start`);
      expect(problems).toEqual([]);
      await page.context().close();
    } finally {
      await served.stop();
    }
  });

  it('lists experiments with run counts and last activity, what runs now, recent runs and models waiting for approval', async () => {
    let data!: RealisticData;
    const served = await serveFlowdesk(await prepareDataDir(async (dir) => void (data = await seedRealisticData(dir, 1000))));
    try {
      const { page, problems } = await openPage(browser);
      await page.goto(`${served.url}/#/`);
      const experiments = page.getByRole('table', { name: 'Experiments by last activity' });
      await experiments.locator('tbody tr').first().waitFor();
      const rows = await experiments.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => [...(tr as unknown as { cells: { textContent: string }[] }).cells].slice(0, 3).map((c) => c.textContent.trim())));
      // The traces' experiment was made last (it holds traces, no runs); the sweep's runs started an
      // hour ago; the bulk experiment's runs are from 2023.
      expect(rows).toEqual([
        ['customer-support-agent/retrieval-augmented-answers-with-tool-calls', '0', '0'],
        ['image-classification/resnet50-ablation-with-mixed-precision-and-label-smoothing', '13', '3'],
        ['bulk-sweep-of-thousands-of-runs', (1000).toLocaleString('en-US'), '0'],
        ['Default', '0', '0'],
      ]);
      const running = page.locator('section[aria-labelledby="running-title"] li');
      expect(await running.count()).toBe(3);
      expect(await running.first().textContent()).toContain('trial-011');
      const recent = page.getByRole('table', { name: 'Recent runs' }).locator('tbody tr');
      expect(await recent.count()).toBe(10);
      expect(await recent.first().textContent()).toContain('trial-011');
      const pending = page.locator('section[aria-labelledby="pending-title"] li');
      expect(await pending.count()).toBe(1);
      expect(await pending.textContent()).toContain(`${data.modelName} v3 → Production`);
      expect(await pending.textContent()).toContain('asked by alexandra.konstantinopoulou');
      await pending.getByRole('link').click();
      await expect.poll(() => page.url()).toBe(`${served.url}/#/models/${encodeURIComponent(data.modelName)}`);
      await page.goto(`${served.url}/#/`);
      await experiments.locator('tbody tr').first().waitFor();
      await screenshot(page, 'home-overview');
      expect(problems).toEqual([]);
      await page.context().close();
    } finally {
      await served.stop();
    }
  });
});
