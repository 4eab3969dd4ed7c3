/**
 * A bulk change made in one window reaches the others without a reload: runs moved to the trash
 * (and back with Undo) or tagged from one page's runs table change another page's runs table,
 * trash and run page, through the `runs.changed` events the server publishes. Each window reads
 * the table's first page again once per change, the acting one included.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, openPage, prepareDataDir, screenshot, seedBulkRuns, serveFlowdesk, type ServedFlowdesk } from './e2e-helpers.ts';

const RUNS = 60;
/** seedBulkRuns cycles four models, so a quarter of the runs are 'rf'. */
const RF = RUNS / 4;

/**
 * Counts the page's reads of the runs table's first page from now on: `runs.search` calls other
 * than a live refresh of named runs (those carry an `attributes.run_id IN` condition).
 */
function countReloads(page: Page): { count: number } {
  const counter = { count: 0 };
  page.on('request', (r) => {
    if (r.url().endsWith('/call/runs.search') && !(r.postData() ?? '').includes('attributes.run_id IN')) counter.count++;
  });
  return counter;
}

const matchCount = async (page: Page) => Number(await page.locator('footer.status-bar [data-match-count]').getAttribute('data-match-count'));

describe('bulk changes in another window', () => {
  let browser: Browser;
  let served: ServedFlowdesk;
  let experimentId = '';

  beforeAll(async () => {
    const dataDir = await prepareDataDir(async (dir) => {
      experimentId = await seedBulkRuns(dir, 'shared-sweep', RUNS);
    });
    served = await serveFlowdesk(dataDir);
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await served?.stop();
  });

  it('shows runs deleted, restored by Undo and tagged in one page in the other pages at once', async () => {
    const { page: actor, problems: actorProblems } = await openPage(browser);
    const { page: table, problems: tableProblems } = await openPage(browser);
    const { page: trash, problems: trashProblems } = await openPage(browser);
    const { page: runPage, problems: runProblems } = await openPage(browser);
    const { runs } = await served.api.call('runs.search', { experimentIds: [experimentId], filter: "params.model = 'rf'", maxResults: 1 });
    const watched = runs[0]!.info;

    await table.goto(`${served.url}/#/experiments/${experimentId}`);
    await expect.poll(() => matchCount(table)).toBe(RUNS);
    await trash.goto(`${served.url}/#/trash`);
    await expect.poll(() => trash.getByText('The trash is empty.').count()).toBe(1);
    await runPage.goto(`${served.url}/#/experiments/${experimentId}/runs/${watched.runId}`);
    await expect.poll(() => runPage.getByRole('heading', { name: watched.runName }).count()).toBe(1);
    expect(await runPage.getByText('in the trash').count()).toBe(0);

    // The acting page selects the 'rf' runs and moves them to the trash.
    await actor.goto(`${served.url}/#/experiments/${experimentId}?filter=${encodeURIComponent("params.model = 'rf'")}`);
    await expect.poll(() => matchCount(actor)).toBe(RF);
    await actor.getByRole('grid', { name: 'Runs' }).focus();
    await actor.keyboard.press('Control+a');
    const bar = actor.getByRole('region', { name: 'Selected runs' });
    await bar.getByRole('button', { name: 'Delete' }).click();
    const toast = actor.getByRole('status').filter({ hasText: `Moved ${RF} runs to the trash` });
    await expect.poll(() => toast.count()).toBe(1);

    await expect.poll(() => matchCount(table)).toBe(RUNS - RF);
    await expect.poll(() => trash.getByRole('checkbox', { name: /^Select bulk-/ }).count()).toBe(RF);
    await expect.poll(() => runPage.getByText('in the trash').count()).toBe(1);
    await screenshot(table, 'bulk-live-other-table');
    await screenshot(trash, 'bulk-live-trash');

    // Undo in the acting page brings them back everywhere.
    await toast.getByRole('button', { name: 'Undo' }).click();
    await expect.poll(() => matchCount(table)).toBe(RUNS);
    await expect.poll(() => trash.getByText('The trash is empty.').count()).toBe(1);
    await expect.poll(() => runPage.getByText('in the trash').count()).toBe(0);

    // A tag set on the selection shows on the open run page.
    await actor.getByRole('grid', { name: 'Runs' }).focus();
    await actor.keyboard.press('Control+a');
    await bar.getByRole('button', { name: 'Tag…' }).click();
    const form = actor.getByRole('form', { name: 'Tag the selected runs' });
    await form.getByLabel('Key').fill('review');
    await form.getByLabel('Value').fill('checked-by-ada');
    await form.getByRole('button', { name: `Tag ${RF} runs` }).click();
    await expect.poll(() => runPage.getByText('checked-by-ada').count()).toBe(1);
    await screenshot(runPage, 'bulk-live-run-page-tagged');

    expect([...actorProblems, ...tableProblems, ...trashProblems, ...runProblems]).toEqual([]);
    for (const p of [actor, table, trash, runPage]) await p.context().close();
  });

  it('reads the first page again once in the window that made a bulk change, and once in another', async () => {
    const { page: actor, problems: actorProblems } = await openPage(browser);
    const { page: other, problems: otherProblems } = await openPage(browser);
    const { experimentId: ownId } = await served.api.call('experiments.create', { name: 'reload-once' });
    const logRun = async (model: string) => {
      const { run } = await served.api.call('runs.create', { experimentId: ownId });
      await served.api.call('runs.logBatch', { runId: run.info.runId, params: [{ key: 'model', value: model }] });
    };
    for (let i = 0; i < 6; i++) await logRun(i % 2 ? 'rf' : 'svm');
    const filter = `?filter=${encodeURIComponent("params.model = 'rf'")}`;
    await actor.goto(`${served.url}/#/experiments/${ownId}${filter}`);
    await other.goto(`${served.url}/#/experiments/${ownId}${filter}`);
    await expect.poll(() => matchCount(actor)).toBe(3);
    await expect.poll(() => matchCount(other)).toBe(3);

    const actorReloads = countReloads(actor);
    const otherReloads = countReloads(other);
    await actor.getByRole('grid', { name: 'Runs' }).focus();
    await actor.keyboard.press('Control+a');
    await actor.getByRole('region', { name: 'Selected runs' }).getByRole('button', { name: 'Delete' }).click();
    await expect.poll(() => actor.getByRole('status').filter({ hasText: 'Moved 3 runs to the trash' }).count()).toBe(1);
    await expect.poll(() => matchCount(actor)).toBe(0);
    await expect.poll(() => matchCount(other)).toBe(0);
    // A run logged after the change comes through the same event stream, after the change's
    // event; once both pages show it, any reload that event would start has started.
    await logRun('rf');
    await expect.poll(() => actor.locator('[role="row"][data-run-id]').count()).toBe(1);
    await expect.poll(() => other.locator('[role="row"][data-run-id]').count()).toBe(1);
    expect(actorReloads.count).toBe(1);
    expect(otherReloads.count).toBe(1);

    expect([...actorProblems, ...otherProblems]).toEqual([]);
    for (const p of [actor, other]) await p.context().close();
  });
});
