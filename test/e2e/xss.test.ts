/**
 * Markup in names and values stays text everywhere the window shows them: experiment and run
 * names, param and tag values, the source, artifact names and contents, descriptions and group
 * values. (Param, metric and tag keys cannot hold markup: the server refuses `<` in keys, as
 * MLflow does.) If any of it were parsed as HTML, its onerror handler would set a flag on the
 * window or open a dialog; the test looks for both.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, openPage, prepareDataDir, screenshot, serveFlowdesk, type ServedFlowdesk } from './e2e-helpers.ts';

const XSS = '<img src=x onerror="window.__xss=1">';
const SCRIPT = '<script>window.__xss=2</script>';
const FILE = '<img src=x onerror=window.__xss=3>.yaml';

/** Whether anything injected ran: the flag its handler sets. */
const ranScript = (page: Page) => page.evaluate(() => (globalThis as unknown as { __xss?: number }).__xss);

describe('markup in names and values', () => {
  let browser: Browser;
  let served: ServedFlowdesk;
  let experimentId: string;
  let runId: string;

  beforeAll(async () => {
    served = await serveFlowdesk(await prepareDataDir());
    ({ experimentId } = await served.api.call('experiments.create', { name: XSS }));
    const parent = await served.api.call('runs.create', { experimentId, runName: `${SCRIPT} parent` });
    const { run } = await served.api.call('runs.create', { experimentId, runName: XSS });
    runId = run.info.runId;
    const timestamp = Date.now();
    await served.api.call('runs.logBatch', {
      runId,
      params: [{ key: 'payload', value: SCRIPT }, { key: 'model', value: XSS }],
      metrics: [{ key: 'loss', value: 0.5, timestamp, step: 0 }],
      tags: [
        { key: 'payload', value: XSS },
        { key: 'mlflow.parentRunId', value: parent.run.info.runId },
        { key: 'mlflow.source.name', value: XSS },
        { key: 'mlflow.note.content', value: `# ${XSS}\n\n${SCRIPT}\n\n[link](javascript:window.__xss=4)` },
      ],
    });
    const root = run.info.artifactUri.replace(/^mlflow-artifacts:\/+/, '');
    // New uploads refuse `<>"` in names (they cannot be stored on Windows); a file stored under
    // such a name before that rule, or copied into the folder, must still show as text.
    const put = await fetch(`${served.url}/api/2.0/mlflow-artifacts/artifacts/${root}/${encodeURIComponent(FILE)}`, { method: 'PUT', body: 'refused' });
    expect(put.status).toBe(400);
    mkdirSync(join(served.dataDir, 'artifacts', root), { recursive: true });
    writeFileSync(join(served.dataDir, 'artifacts', root, FILE), `name: "${XSS}"\nscript: ${SCRIPT}\n`);
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await served?.stop();
  });

  it('refuses markup in keys', async () => {
    await expect(served.api.call('runs.logBatch', { runId, params: [{ key: XSS, value: '1' }] })).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
  });

  it('shows them as text in the sidebar, the runs table and its groups, and on the run page', async () => {
    const { page, problems } = await openPage(browser);
    // Every column shown, as a person who ticks them all would see them.
    await page.addInitScript(
      (id) => (globalThis as unknown as { localStorage: { setItem(key: string, value: string): void } }).localStorage.setItem(`flowdesk.runs-table.columns.${id}`, JSON.stringify({ params: ['model', 'payload'], metrics: ['loss'], tags: ['payload', 'mlflow.source.name'] })),
      experimentId,
    );
    await page.goto(`${served.url}/#/experiments/${experimentId}`);
    await expect.poll(() => page.locator('h1').textContent()).toBe(XSS);
    expect(await page.getByRole('navigation', { name: 'Experiments' }).getByText(XSS).count()).toBe(1);

    // The parent row, opened to show the child whose every cell holds markup.
    const parentRow = page.locator('[role="row"][data-run-id]', { hasText: 'parent' });
    await expect.poll(() => parentRow.locator('.run-link').textContent()).toBe(`${SCRIPT} parent`);
    await parentRow.getByRole('button', { name: 'Show 1 child runs' }).click();
    const child = page.locator(`[role="row"][data-run-id="${runId}"]`);
    await expect.poll(() => child.locator('.run-link').textContent()).toBe(XSS);
    // Only the columns in view are drawn: the params come first, the tags last, so each is read
    // where it shows (the far right alone may hold only the tags once the cells widen to fit).
    await expect.poll(() => child.textContent()).toContain(SCRIPT);
    expect((await child.textContent())!.split(XSS).length).toBeGreaterThan(2);
    await page.getByRole('grid', { name: 'Runs' }).evaluate((el) => (el.scrollLeft = el.scrollWidth));
    // The name, the payload tag and the source: three times.
    await expect.poll(async () => (await child.textContent())!.split(XSS).length - 1).toBeGreaterThanOrEqual(3);
    await screenshot(page, 'xss-table');

    // Grouped by a param whose value is markup.
    await page.getByLabel('Group by param').selectOption('model');
    await expect.poll(() => page.locator('[role="row"].group .group-label').allTextContents()).toEqual([`model = ${XSS}`, 'model = none']);

    // The run page: name, overview, params, tags, metrics, description, artifacts and a preview.
    await page.goto(`${served.url}/#/experiments/${experimentId}/runs/${runId}`);
    await expect.poll(() => page.locator('h1.run-name').textContent()).toBe(XSS);
    expect(await page.locator('.overview').textContent()).toContain(XSS);
    expect(await page.getByRole('table', { name: 'Parameters' }).textContent()).toContain(SCRIPT);
    expect(await page.getByRole('table', { name: 'Tags' }).textContent()).toContain(XSS);
    const description = page.getByTestId('description');
    expect(await description.locator('h1').textContent()).toBe(XSS);
    expect(await description.locator('script, img').count()).toBe(0);
    expect(await description.locator('a[href^="javascript"]').count()).toBe(0);
    await page.getByRole('button', { name: FILE }).click();
    await expect.poll(() => page.locator('[data-preview="yaml"] pre').textContent()).toContain(XSS);
    await screenshot(page, 'xss-run-page');

    expect(await page.locator('img[src="x"]').count()).toBe(0);
    expect(await ranScript(page)).toBeUndefined();
    expect(problems).toEqual([]);
    await page.context().close();
  });
});
