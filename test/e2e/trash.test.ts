import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openFlowdesk } from '#core/flowdesk.ts';
import { launchChromium, openPage, prepareDataDir, screenshot, serveFlowdesk, type ServedFlowdesk } from './e2e-helpers.ts';
import { formatBytes } from '../../renderer/src/lib/bytes.ts';

/** Ids of what the seed made, by name. */
const ids: Record<string, string> = {};

/** Experiments with runs whose artifacts have known sizes, written before the server starts. */
async function seed(dataDir: string): Promise<void> {
  const fd = await openFlowdesk({ dataDir });
  try {
    const layout: [experiment: string, runs: [name: string, files: [path: string, bytes: number][]][]][] = [
      ['vision', [['big-run', [['weights.bin', 5000]]], ['small-run', [['notes.txt', 1200]]]]],
      ['churn', [['model-run', [['model/MLmodel', 100], ['model/model.pkl', 3000]]], ['scratch-run', [['scratch.bin', 800]]]]],
      ['old-experiment', [['legacy-run', [['data.bin', 20_000]]]]],
    ];
    for (const [experiment, runs] of layout) {
      const { experimentId } = await fd.handlers['experiments.create']({ name: experiment });
      ids[experiment] = experimentId;
      for (const [runName, files] of runs) {
        const { run } = await fd.handlers['runs.create']({ experimentId, runName });
        ids[runName] = run.info.runId;
        for (const [path, bytes] of files) await fd.artifacts.write(`${experimentId}/${run.info.runId}/artifacts/${path}`, Buffer.alloc(bytes, 7));
      }
    }
  } finally {
    await fd.close();
  }
}

describe('the trash', () => {
  let browser: Browser;
  let served: ServedFlowdesk;

  beforeAll(async () => {
    served = await serveFlowdesk(await prepareDataDir(seed));
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await served?.stop();
  });

  const row = (page: Page, name: string) => page.getByRole('row', { name: new RegExp(`\\b${name}\\b`) });
  const runFolder = (experiment: string, run: string) => join(served.dataDir, 'artifacts', ids[experiment]!, ids[run]!);

  it('lists a deleted run with its size, restores it, and purges it after a confirmation that counts the bytes', async () => {
    const { page, problems } = await openPage(browser);
    await served.api.call('runs.delete', { runId: ids['big-run']! });
    await page.goto(`${served.url}/#/trash`);
    await expect.poll(() => row(page, 'big-run').textContent()).toContain('4.9 KiB');
    expect(await row(page, 'big-run').textContent()).toContain('Run in vision');
    await screenshot(page, 'trash-list');

    await page.getByRole('button', { name: 'Restore big-run' }).click();
    await expect.poll(() => page.getByText('The trash is empty.').count()).toBe(1);
    expect((await served.api.call('runs.get', { runId: ids['big-run']! })).run.info.lifecycleStage).toBe('active');

    // Deleted again by a script while the view is open: the trash follows live.
    await served.api.call('runs.delete', { runId: ids['big-run']! });
    await expect.poll(() => row(page, 'big-run').count()).toBe(1);
    await page.getByLabel('Select big-run').check();
    await page.getByRole('button', { name: 'Purge selected (1)' }).click();
    const dialog = page.getByRole('dialog');
    await expect.poll(() => dialog.textContent()).toContain('5,000 bytes');
    expect(await dialog.textContent()).toContain('1 run');
    await screenshot(page, 'trash-purge-confirm');
    expect(existsSync(runFolder('vision', 'big-run'))).toBe(true);

    await dialog.getByRole('button', { name: 'Purge 1 run' }).click();
    const report = page.getByRole('status', { name: 'Purge report' });
    await expect.poll(() => report.textContent()).toContain('Purged 1 run and reclaimed 4.9 KiB.');
    expect(await page.getByRole('dialog').count()).toBe(0);
    expect(existsSync(runFolder('vision', 'big-run'))).toBe(false);
    expect(existsSync(runFolder('vision', 'small-run'))).toBe(true);
    await expect(served.api.call('runs.get', { runId: ids['big-run']! })).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
    await expect.poll(() => page.getByText('The trash is empty.').count()).toBe(1);
    await screenshot(page, 'trash-purged');
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('shows bytes per experiment, artifacts and catalog apart, largest first, with the total', async () => {
    await served.api.call('experiments.delete', { experimentId: ids['old-experiment']! });
    const usage = await served.api.call('experiments.diskUsage', {});
    // Each experiment's total is its artifacts plus its share of the catalog; the page lists them largest first.
    const byTotal = [...usage.experiments].sort((a, b) => b.bytes - a.bytes);
    expect(usage.experiments.map((e) => e.name)).toEqual(byTotal.map((e) => e.name));
    const trashed = usage.experiments.find((e) => e.name === 'old-experiment')!;
    expect(trashed.artifactBytes).toBe(20_000);
    const { page, problems } = await openPage(browser);
    await page.goto(`${served.url}/#/disk-usage`);
    await expect.poll(() => page.locator('tbody tr td:first-child').allTextContents()).toEqual(usage.experiments.map((e) => e.name));
    expect(await row(page, 'old-experiment').textContent()).toContain('In trash');
    expect(await row(page, 'churn').locator('[data-part="artifacts"]').textContent()).toContain('3.8 KiB');
    const total = await page.locator('tfoot').textContent();
    expect(total).toContain('24.5 KiB'); // artifacts: 20,000 + 3,900 + 1,200 bytes
    expect(total).toContain(`${formatBytes(trashed.bytes)} in trash`);
    await screenshot(page, 'disk-usage');
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('empties the trash but keeps a run whose files back a registered model version, saying why', async () => {
    await served.api.call('registry.createModel', { name: 'churn-classifier' });
    await served.api.call('registry.createVersion', { name: 'churn-classifier', source: `runs:/${ids['model-run']!}/model` });
    await served.api.call('runs.delete', { runId: ids['model-run']! });
    await served.api.call('runs.delete', { runId: ids['scratch-run']! });
    const { page, problems } = await openPage(browser);
    await page.goto(`${served.url}/#/trash`);
    await expect.poll(() => page.locator('tbody tr').count()).toBe(3);

    // Purging just the registered run keeps it, with the server's reason, and frees nothing.
    await page.getByLabel('Select model-run').check();
    await page.getByRole('button', { name: 'Purge selected (1)' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Purge 1 run' }).click();
    const report = page.getByRole('status', { name: 'Purge report' });
    await expect.poll(() => report.textContent()).toContain('Nothing was purged.');
    expect(await report.textContent()).toMatch(/model-run.*version 1 of 'churn-classifier'/);

    // Escape cancels: nothing is purged.
    await page.getByRole('button', { name: 'Empty trash' }).click();
    await expect.poll(() => page.getByRole('dialog').count()).toBe(1);
    await page.keyboard.press('Escape');
    await expect.poll(() => page.getByRole('dialog').count()).toBe(0);
    expect(await page.locator('tbody tr').count()).toBe(3);

    await page.getByRole('button', { name: 'Empty trash' }).click();
    const dialog = page.getByRole('dialog');
    await expect.poll(() => dialog.textContent()).toContain('1 experiment and 2 runs');
    expect(await dialog.textContent()).toContain(`${(20_000 + 3100 + 800).toLocaleString('en-US')} bytes`);
    await dialog.getByRole('button', { name: 'Purge 1 experiment and 2 runs' }).click();
    await expect.poll(() => report.textContent()).toContain('Purged 1 experiment and 1 run and reclaimed 20.3 KiB.');
    expect(await report.textContent()).toContain("model-run: used by registered model version 1 of 'churn-classifier'");
    await expect.poll(() => page.locator('tbody tr').count()).toBe(1);
    expect(await row(page, 'model-run').count()).toBe(1);
    expect(existsSync(runFolder('churn', 'model-run'))).toBe(true);
    expect(existsSync(runFolder('churn', 'scratch-run'))).toBe(false);
    expect(existsSync(join(served.dataDir, 'artifacts', ids['old-experiment']!))).toBe(false);
    await screenshot(page, 'trash-kept');
    // The one refusal: Chromium logs the server's 400 for the explicit purge, which the view reported as kept.
    expect(problems).toEqual(['console error: Failed to load resource: the server responded with a status of 400 (Bad Request)']);
    await page.context().close();
  });

  it('deletes a run from its page, finds it in the trash, restores it, deletes it again and purges it: its folder is gone from disk', async () => {
    const { page, problems } = await openPage(browser);
    const runUrl = `${served.url}/#/experiments/${ids['vision']!}/runs/${ids['small-run']!}`;
    await page.goto(runUrl);
    await page.getByRole('button', { name: 'Move to trash' }).click();
    await expect.poll(() => page.locator('.badge.danger').textContent()).toBe('in the trash');
    await screenshot(page, 'run-in-trash');

    await page.getByRole('link', { name: 'Trash', exact: true }).click();
    await expect.poll(() => row(page, 'small-run').textContent()).toContain('1.2 KiB');
    await page.getByRole('button', { name: 'Restore small-run' }).click();
    await expect.poll(() => row(page, 'small-run').count()).toBe(0);
    expect((await served.api.call('runs.get', { runId: ids['small-run']! })).run.info.lifecycleStage).toBe('active');

    await page.goto(runUrl);
    await page.getByRole('button', { name: 'Move to trash' }).click();
    await expect.poll(() => page.getByRole('button', { name: 'Restore' }).count()).toBe(1);
    await page.getByRole('link', { name: 'Trash', exact: true }).click();
    await page.getByLabel('Select small-run').check();
    await page.getByRole('button', { name: 'Purge selected (1)' }).click();
    const dialog = page.getByRole('dialog');
    await expect.poll(() => dialog.textContent()).toContain('1,200 bytes');
    expect(existsSync(runFolder('vision', 'small-run'))).toBe(true);
    await dialog.getByRole('button', { name: 'Purge 1 run' }).click();
    await expect.poll(() => page.getByRole('status', { name: 'Purge report' }).textContent()).toContain('Purged 1 run and reclaimed 1.2 KiB.');
    expect(existsSync(runFolder('vision', 'small-run'))).toBe(false);
    expect(existsSync(join(served.dataDir, 'artifacts', ids['vision']!))).toBe(true);
    await expect.poll(() => row(page, 'small-run').count()).toBe(0);
    await screenshot(page, 'trash-purged-from-run-page');
    await expect(served.api.call('runs.get', { runId: ids['small-run']! })).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
    expect(problems).toEqual([]);
    await page.context().close();
  });
});
