import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openFlowdesk } from '#core/flowdesk.ts';
import { launchChromium, openPage, prepareDataDir, screenshot, serveFlowdesk, type ServedFlowdesk } from './e2e-helpers.ts';

const HOSTILE = '<img src=x onerror=alert(1)>';
const ids: Record<string, string> = {};

/** A run that saved a model folder (MLmodel + weights) and a plots folder, written before the server starts. */
async function seed(dataDir: string): Promise<void> {
  const fd = await openFlowdesk({ dataDir });
  try {
    const { experimentId } = await fd.handlers['experiments.create']({ name: 'churn' });
    ids.experiment = experimentId;
    const { run } = await fd.handlers['runs.create']({ experimentId, runName: 'gbm-baseline' });
    ids.run = run.info.runId;
    const mlmodel = 'artifact_path: model\nflavors:\n  python_function:\n    loader_module: mlflow.sklearn\n  sklearn:\n    sklearn_version: 1.5.0\n';
    await fd.artifacts.write(`${experimentId}/${run.info.runId}/artifacts/model/MLmodel`, Buffer.from(mlmodel));
    await fd.artifacts.write(`${experimentId}/${run.info.runId}/artifacts/model/model.pkl`, Buffer.alloc(2048, 1));
    await fd.artifacts.write(`${experimentId}/${run.info.runId}/artifacts/plots/roc.png`, Buffer.alloc(64, 2));
    const { model } = await fd.handlers['loggedModels.create']({ experimentId, name: 'gbm-logged', sourceRunId: run.info.runId });
    ids.loggedModel = model.info.modelId;
  } finally {
    await fd.close();
  }
}

describe('the registry board', () => {
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

  const column = (page: Page, label: string) => page.locator(`section.column[aria-label="${label}"]`);
  const card = (page: Page, version: number) => page.locator(`section.column[aria-label^="Stage"] article[data-version="${version}"]`);

  /** Clears the toasts, so a screenshot shows the view itself. */
  async function dismissToasts(page: Page): Promise<void> {
    const buttons = page.locator('.toasts').getByRole('button', { name: 'Dismiss' });
    while ((await buttons.count()) > 0) await buttons.first().click();
  }

  /** The screenshot of what `page` shows, again in the dark theme. */
  async function darkScreenshot(url: string, name: string, ready: (page: Page) => Promise<unknown>): Promise<void> {
    const { page, problems } = await openPage(browser, { colorScheme: 'dark' });
    await page.goto(url);
    await ready(page);
    await screenshot(page, name);
    expect(problems).toEqual([]);
    await page.context().close();
  }

  it('teaches how to register a model, creates and searches models, and shows hostile names as text', async () => {
    const { page, problems } = await openPage(browser);
    await page.goto(`${served.url}/#/`);
    await page.getByRole('link', { name: 'Models', exact: true }).click();
    await expect.poll(() => page.getByText('No registered models yet').count()).toBe(1);
    expect(await page.locator('.snippet').textContent()).toContain('mlflow.register_model(f"runs:/{run.info.run_id}/model", "churn-classifier")');
    expect(await page.locator('.snippet').textContent()).toContain(`mlflow.set_tracking_uri("${served.url}")`);
    await screenshot(page, 'models-empty');

    // Create from the window, with a markdown description holding raw HTML.
    await page.getByRole('button', { name: 'New model' }).click();
    await page.getByRole('textbox', { name: 'Name', exact: true }).fill('fraud-detector');
    await page.getByLabel(/Description/).fill(`**Gradient boosting** on card payments ${HOSTILE}`);
    await page.getByRole('button', { name: 'Create model' }).click();
    await expect.poll(() => page.url()).toBe(`${served.url}/#/models/fraud-detector`);
    const description = page.getByTestId('description');
    await expect.poll(() => description.locator('strong').textContent()).toBe('Gradient boosting');
    expect(await description.textContent()).toContain(HOSTILE);
    expect(await description.locator('img').count()).toBe(0);
    await page.getByLabel('New tag key').fill('team');
    await page.getByLabel('New tag value').fill('risk');
    await page.getByRole('button', { name: 'Add tag' }).click();
    await expect.poll(() => page.getByRole('table', { name: 'Tags of this model' }).textContent()).toContain('risk');

    // A duplicate name fails with a toast that says why.
    await page.goto(`${served.url}/#/models`);
    await page.getByRole('button', { name: 'New model' }).click();
    await page.getByRole('textbox', { name: 'Name', exact: true }).fill('fraud-detector');
    await page.getByRole('button', { name: 'Create model' }).click();
    const toast = page.getByRole('alert').filter({ hasText: "Creating the model 'fraud-detector'" });
    await expect.poll(() => toast.textContent()).toContain('already exists');
    await toast.getByRole('button', { name: 'Dismiss' }).click();
    await page.getByRole('button', { name: 'Cancel' }).click();

    // A hostile name is only text, in the list, on its board and in its crumbs.
    await served.api.call('registry.createModel', { name: HOSTILE, tags: [{ key: 'note', value: HOSTILE }] });
    await served.api.call('registry.createModel', { name: 'churn-legacy', description: 'The **old** churn model.' });
    await expect.poll(() => page.locator('tbody tr').count()).toBe(3);
    const hostileLink = page.getByRole('link', { name: HOSTILE, exact: true });
    expect(await hostileLink.count()).toBe(1);
    expect(await page.locator('tbody img').count()).toBe(0);
    expect(await page.getByRole('row', { name: /churn-legacy/ }).locator('.description').textContent()).toBe('The old churn model.');
    await screenshot(page, 'models-list');

    await hostileLink.click();
    await expect.poll(() => page.locator('h1').textContent()).toBe(HOSTILE);
    expect(await page.locator('img').count()).toBe(0);

    // Search with the query language; a mistake is shown under the box, where it is.
    await page.goto(`${served.url}/#/models`);
    await page.getByLabel('Search models').fill("name LIKE 'churn%'");
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await expect.poll(() => page.locator('tbody td.name a').allTextContents()).toEqual(['churn-legacy']);
    await page.getByLabel('Search models').fill("tags.team = 'risk'");
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await expect.poll(() => page.locator('tbody td.name a').allTextContents()).toEqual(['fraud-detector']);
    await page.getByLabel('Search models').fill('name = ');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await expect.poll(() => page.locator('#model-search-error').count()).toBe(1);
    expect(await page.locator('#model-search-error').textContent()).toMatch(/position \d+/);
    // Only the expected complaints: Chromium logs the server's refusals (the duplicate, the bad
    // filter) and the reporter logs the duplicate's toast with its stack.
    expect(problems.filter((p) => !p.includes('status of 400 (Bad Request)') && !p.startsWith("console error: Creating the model 'fraud-detector': FlowdeskError"))).toEqual([]);
    await page.context().close();
  });

  it('registers a version from a run, drags it to Staging, requests Production, approves it, and shows all of it in the timeline', async () => {
    const { page, problems } = await openPage(browser);
    const runUrl = `${served.url}/#/experiments/${ids.experiment}/runs/${ids.run}`;
    await page.goto(runUrl);

    // Register from the run page: the folder with the MLmodel file is offered first.
    await page.getByRole('button', { name: 'Register model' }).click();
    const dialog = page.getByRole('dialog');
    await expect.poll(() => dialog.getByRole('radio').count()).toBe(3);
    expect(await dialog.getByRole('radio', { name: /model\/ MLmodel/ }).isChecked()).toBe(true);
    expect(await dialog.getByRole('radio', { name: /gbm-logged logged model/ }).count()).toBe(1);
    await dialog.getByLabel('Model name').fill('churn-classifier');
    expect(await dialog.textContent()).toContain('Creates the model “churn-classifier” with version 1.');
    await screenshot(page, 'register-model-dialog');
    await dialog.getByRole('button', { name: 'Register' }).click();
    await expect.poll(() => dialog.textContent()).toContain('version 1 of churn-classifier');
    await dialog.getByRole('link', { name: 'Open version 1' }).click();
    await expect.poll(() => page.url()).toBe(`${served.url}/#/models/churn-classifier/versions/1`);
    await expect.poll(() => page.locator('.run-link').textContent()).toBe('gbm-baseline');
    expect((await served.api.call('registry.getVersion', { name: 'churn-classifier', version: 1 })).version.source).toBe(`runs:/${ids.run}/model`);

    // The board: version 1 starts in None; a real HTML5 drag moves it to Staging at once.
    await page.getByRole('link', { name: 'churn-classifier' }).click();
    await expect.poll(() => column(page, 'Stage None').locator('article').count()).toBe(1);
    expect(await card(page, 1).textContent()).toContain('gbm-baseline');
    expect(await card(page, 1).textContent()).toContain(`runs:/${ids.run}/model`);
    expect(await card(page, 1).textContent()).toContain('ready');
    // The card sums up the model files (flavors; this MLmodel has no signature).
    await expect.poll(() => card(page, 1).locator('.summary').textContent()).toBe('python_function, sklearn · no signature');
    await card(page, 1).dragTo(column(page, 'Stage Staging'));
    await expect.poll(() => column(page, 'Stage Staging').locator('article').count()).toBe(1);
    expect(await column(page, 'Stage None').locator('article').count()).toBe(0);
    expect((await served.api.call('registry.getVersion', { name: 'churn-classifier', version: 1 })).version.currentStage).toBe('Staging');

    // Without users nothing starts protected; the board offers approval for production in one click.
    const protection = page.getByRole('region', { name: 'Protected targets' });
    expect(await protection.textContent()).toContain('Nothing is protected');
    await protection.getByRole('button', { name: 'Require approval for Production and @production' }).click();
    await expect.poll(async () => (await served.api.call('registry.getProtection', { name: 'churn-classifier' })).protection).toEqual({ aliases: ['production'], stages: ['Production'] });
    await expect.poll(() => protection.textContent()).toContain('@production');

    // Production is protected now: the drop opens a request with a comment instead of moving.
    await card(page, 1).dragTo(column(page, 'Stage Production'));
    const request = page.getByRole('dialog');
    await expect.poll(() => request.textContent()).toContain('Production is protected');
    await request.getByLabel('Why should it move?').fill('AUC 0.91 on the March holdout');
    await screenshot(page, 'registry-request-dialog');
    await request.getByRole('button', { name: 'Request approval' }).click();
    await expect.poll(() => card(page, 1).textContent()).toContain('Pending → Production');
    expect(await column(page, 'Stage Staging').locator('article').count()).toBe(1);
    expect(await column(page, 'Stage Production').getByRole('list', { name: 'Pending requests for Production' }).textContent()).toContain('version 1');
    const pendingRequest = page.getByRole('listitem', { name: 'Request: version 1 to Production' });
    expect(await pendingRequest.textContent()).toContain('AUC 0.91 on the March holdout');
    await dismissToasts(page);
    await screenshot(page, 'registry-board-pending');
    await darkScreenshot(`${served.url}/#/models/churn-classifier`, 'registry-board-pending-dark', (p) => expect.poll(() => p.locator('.pending-list li').count()).toBe(1));

    // Approve with a comment: the version moves.
    await pendingRequest.getByLabel('Comment on the request for version 1').fill('Checked the holdout report');
    await pendingRequest.getByRole('button', { name: 'Approve' }).click();
    await expect.poll(() => column(page, 'Stage Production').locator('article').count()).toBe(1);
    expect(await page.locator('.decided').textContent()).toContain('Checked the holdout report');
    expect(await card(page, 1).textContent()).not.toContain('Pending');
    await dismissToasts(page);
    await screenshot(page, 'registry-board');

    // The timeline on the version page tells all four steps, newest first, with the comments.
    await card(page, 1).getByRole('link', { name: 'Version 1' }).click();
    const history = page.getByRole('list', { name: 'History' });
    await expect.poll(() => history.locator('li .what').allTextContents()).toEqual([
      'Version 1 moved from Staging to Production',
      'Request for Production approved (version 1)',
      'Version 1 requested for Production',
      'Protected targets set to Production, @production',
      'Version 1 moved from None to Staging',
      'Version 1 registered',
      'Model churn-classifier created',
    ]);
    const text = await history.textContent();
    expect(text).toContain('AUC 0.91 on the March holdout');
    expect(text).toContain('Checked the holdout report');
    expect(text).toContain(`from runs:/${ids.run}/model`);
    // The version page describes its model files, with the Serve button's verdict for sklearn.
    const modelPanel = page.getByRole('region', { name: 'Model' });
    await expect.poll(() => modelPanel.textContent()).toContain('sklearn');
    expect(await modelPanel.textContent()).toContain('python_function');
    await dismissToasts(page);
    await screenshot(page, 'registry-version');
    await darkScreenshot(page.url(), 'registry-version-dark', (p) => expect.poll(() => p.getByRole('list', { name: 'History' }).locator('li').count()).toBe(7));

    // Tags and description of the version are edited here, and each edit joins the history.
    await page.getByLabel('New tag key').fill('validated');
    await page.getByLabel('New tag value').fill(HOSTILE);
    await page.getByRole('button', { name: 'Add tag' }).click();
    await expect.poll(() => history.locator('li .what').first().textContent()).toBe(`Version 1 tag validated set to “${HOSTILE}”`);
    await page.getByRole('button', { name: 'Add description' }).click();
    await page.getByLabel('Description (markdown)').fill('Trained on **March** data');
    await page.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => page.getByTestId('description').locator('strong').textContent()).toBe('March');
    await expect.poll(() => history.locator('li .what').first().textContent()).toBe('Version 1 description changed');
    expect(await page.locator('main img').count()).toBe(0);

    // Lineage both ways: the version links to its run, and the run page links back here.
    await page.locator('.run-link').click();
    await expect.poll(() => page.url()).toBe(runUrl);
    await page.getByRole('link', { name: 'churn-classifier v1' }).click();
    await expect.poll(() => page.url()).toBe(`${served.url}/#/models/churn-classifier/versions/1`);
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('moves from the keyboard with "Move to…", names a new alias, and shows a refused move as a toast', async () => {
    await served.api.call('registry.createVersion', { name: 'churn-classifier', source: `runs:/${ids.run}/model`, runId: ids.run });
    const { page, problems } = await openPage(browser);
    await page.goto(`${served.url}/#/models/churn-classifier`);
    await expect.poll(() => column(page, 'Stage None').locator('article').count()).toBe(1);

    // A version a script registers meanwhile appears on the open board.
    await served.api.call('registry.createVersion', { name: 'churn-classifier', source: `runs:/${ids.run}/plots`, runId: ids.run });
    await expect.poll(() => column(page, 'Stage None').locator('article').count()).toBe(2);
    expect(await column(page, 'Stage None').locator('article').first().getAttribute('data-version')).toBe('3');

    await column(page, 'Stage None').getByRole('button', { name: 'Move version 2 to…' }).focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog');
    await expect.poll(() => dialog.getByRole('radio').count()).toBe(6);
    await screenshot(page, 'registry-move-dialog');
    await dialog.getByLabel('New alias name').fill('champion');
    await dialog.getByRole('button', { name: 'Move' }).click();
    await expect.poll(() => column(page, 'Alias @champion').locator('article').count()).toBe(1);
    expect(await column(page, 'Alias @champion').locator('article').getAttribute('data-version')).toBe('2');

    // An alias the server refuses ('v2' reads as a version): a toast says why, nothing moves.
    await column(page, 'Alias @champion').getByRole('button', { name: 'Move version 2 to…' }).click();
    await dialog.getByLabel('New alias name').fill('v2');
    await dialog.getByRole('button', { name: 'Move' }).click();
    await expect.poll(() => page.getByRole('alert').filter({ hasText: 'Moving version 2 to @v2' }).textContent()).toContain("'v' followed by digits");
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    expect((await served.api.call('registry.getModel', { name: 'churn-classifier' })).model.aliases).toEqual([{ alias: 'champion', version: 2 }]);

    // Dropping the alias's card onto @production (protected) asks for a request; cancelled, nothing changes.
    await column(page, 'Alias @champion').locator('article').dragTo(column(page, 'Alias @production'));
    await expect.poll(() => dialog.textContent()).toContain('@production is protected');
    await page.keyboard.press('Escape');
    await expect.poll(() => page.getByRole('dialog').count()).toBe(0);
    expect((await served.api.call('registry.listRequests', { name: 'churn-classifier', status: 'pending' })).requests).toEqual([]);

    // Protection can be changed: unprotect Production, and the same kind of drop applies at once.
    await page.getByRole('button', { name: 'Change' }).click();
    await page.getByRole('group', { name: 'Protected targets' }).getByRole('checkbox', { name: 'Production', exact: true }).uncheck();
    await page.getByRole('button', { name: 'Save protection' }).click();
    await expect.poll(async () => (await served.api.call('registry.getProtection', { name: 'churn-classifier' })).protection.stages).toEqual([]);
    // Back to the top first, so the card and the column are both in view: Playwright scrolls the
    // target into view after pressing on the source, which would start the drag on another card.
    await page.locator('.board-page').evaluate((node) => node.scrollTo(0, 0));
    await card(page, 2).dragTo(column(page, 'Stage Production'));
    await expect.poll(() => column(page, 'Stage Production').locator('article').count()).toBe(2);
    expect(await column(page, 'Stage None').locator('article').getAttribute('data-version')).toBe('3');
    await dismissToasts(page);
    await screenshot(page, 'registry-board-aliases');

    // The list now shows where the versions stand.
    await page.getByRole('link', { name: 'Models', exact: true }).first().click();
    const row = page.getByRole('row', { name: /churn-classifier/ });
    await expect.poll(() => row.textContent()).toContain('v2 · Production');
    expect(await row.textContent()).toContain('@champion → v2');
    await screenshot(page, 'models-list-versions');
    await darkScreenshot(`${served.url}/#/models`, 'models-list-dark', (p) => expect.poll(() => p.locator('tbody tr').count()).toBe(4));

    // A model the run logged (MLflow 3) registers into the existing model as its next version.
    await page.goto(`${served.url}/#/experiments/${ids.experiment}/runs/${ids.run}`);
    await page.getByRole('button', { name: 'Register model' }).click();
    await dialog.getByRole('radio', { name: /gbm-logged/ }).check();
    await dialog.getByLabel('Model name').fill('churn-classifier');
    await expect.poll(() => dialog.textContent()).toContain('Adds the next version to “churn-classifier”.');
    await dialog.getByRole('button', { name: 'Register' }).click();
    await expect.poll(() => dialog.textContent()).toContain('version 4 of churn-classifier');
    const registered = (await served.api.call('registry.getVersion', { name: 'churn-classifier', version: 4 })).version;
    expect([registered.source, registered.modelId, registered.runId]).toEqual([`models:/${ids.loggedModel}`, ids.loggedModel, ids.run]);
    // The only console errors are the refused alias's: the 400 and the reporter's log of it.
    expect(problems.filter((p) => !p.includes('status of 400 (Bad Request)') && !p.startsWith('console error: Moving version 2 to @v2'))).toEqual([]);
    await page.context().close();
  });
});
