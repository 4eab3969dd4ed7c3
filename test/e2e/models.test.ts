import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FlowdeskClient } from '#core/sdk/flowdesk-client.ts';
import { expected, logLinearModels, SKLEARN_MLMODEL } from '../models/model-fixture.ts';
import { launchChromium, openPage, prepareDataDir, screenshot, serveFlowdesk, type ServedFlowdesk } from './e2e-helpers.ts';

async function scrollTo(page: Page, selector: string): Promise<void> {
  await page.locator(selector).evaluate((el) => (el as unknown as { scrollIntoView(options: object): void }).scrollIntoView({ block: 'start' }));
}

describe('models in the window', () => {
  let browser: Browser;
  let served: ServedFlowdesk;
  let experimentId: string;
  let runId: string;
  let sklearnRunId: string;
  // Made before any test runs, so removed after all of them rather than by tempDir's per-test hook.
  const modelsDir = mkdtempSync(join(tmpdir(), 'flowdesk-e2e-models-'));

  beforeAll(async () => {
    served = await serveFlowdesk(await prepareDataDir(), { allowRun: true });
    ({ runId } = await logLinearModels(served.url, { experiment: 'pricing' }));
    experimentId = (await served.api.call('experiments.getByName', { name: 'pricing' })).experiment.experimentId;
    const folder = join(modelsDir, 'model');
    mkdirSync(folder);
    writeFileSync(join(folder, 'MLmodel'), SKLEARN_MLMODEL);
    writeFileSync(join(folder, 'input_example.json'), JSON.stringify({ columns: ['age', 'visits'], data: [[42, 3]] }));
    const sklearn = await new FlowdeskClient(served.url).startRun({ experiment: 'pricing', runName: 'sklearn-baseline' });
    await sklearn.logModel({ folder });
    await sklearn.end();
    sklearnRunId = sklearn.runId;
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await served?.stop();
    rmSync(modelsDir, { recursive: true, force: true });
  });

  it("shows each model folder of a run with flavors, signature and input example, and serves it from the Serve button", async () => {
    const { page, problems } = await openPage(browser);
    await page.goto(`${served.url}/#/experiments/${experimentId}/runs/${runId}`);
    const models = page.locator('section[aria-labelledby="models-title"]');
    await models.waitFor();
    await expect.poll(() => models.locator('[data-model-path]').evaluateAll((els) => els.map((e) => e.getAttribute('data-model-path')))).toEqual(['columns-model', 'model']);
    const tensor = models.locator('[data-model-path="model"]');
    expect(await tensor.getByLabel('Flavors').innerText()).toMatch(/onnx\s+python_function/);
    expect(await tensor.getByRole('table', { name: 'Inputs' }).locator('tbody tr').first().innerText()).toMatch(/x\s+float32\s+\(any, 3\)/);
    expect(await tensor.getByRole('table', { name: 'Outputs' }).locator('tbody tr').first().innerText()).toMatch(/y\s+float32\s+\(any, 1\)/);
    expect(JSON.parse(await tensor.getByLabel('Input example').innerText())).toEqual({ inputs: [[1, 2, 3]] });
    const columns = models.locator('[data-model-path="columns-model"]');
    expect(await columns.getByRole('table', { name: 'Inputs' }).locator('tbody tr').allInnerTexts()).toEqual(['a\tdouble', 'b\tdouble', 'c\tdouble']);
    expect(await columns.getByRole('table', { name: 'Params' }).innerText()).toContain('threshold');

    await columns.getByRole('button', { name: 'Serve' }).click();
    const status = columns.getByRole('status');
    await status.waitFor();
    const url = /Serving at (http:\/\/127\.0\.0\.1:\d+)/.exec(await status.innerText())![1]!;
    const curl = await columns.getByLabel('Example request').innerText();
    expect(curl).toBe(`curl -X POST ${url}/invocations -H 'Content-Type: application/json' -d '{"dataframe_split":{"columns":["a","b","c"],"data":[[1,2,3]]}}'`);
    const body = /-d '(.*)'$/.exec(curl)![1]!;
    const response = await fetch(`${url}/invocations`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(await response.json()).toEqual({ predictions: [{ y: expected([[1, 2, 3]])[0]![0] }] });
    expect((await served.api.call('models.servers', {})).servers.map((s) => s.modelUri)).toEqual([`runs:/${runId}/columns-model`]);
    await scrollTo(page, '#models-title');
    await screenshot(page, 'models-run-page');

    await columns.getByRole('button', { name: 'Stop serving' }).click();
    await columns.getByRole('button', { name: 'Serve' }).waitFor();
    await expect(fetch(`${url}/ping`)).rejects.toThrow();
    expect(problems).toEqual([]);
  });

  it('shows the summary in the MLmodel preview, in the dark theme too', async () => {
    const { page, problems } = await openPage(browser, { colorScheme: 'dark' });
    await page.goto(`${served.url}/#/experiments/${experimentId}/runs/${runId}`);
    const tree = page.getByRole('tree', { name: 'Artifacts' });
    await tree.locator('[data-path="model"] button').first().click();
    await tree.locator('[data-path="model/MLmodel"] button').first().click();
    const preview = page.locator('[data-preview="mlmodel"]');
    await preview.getByTestId('model-summary').getByRole('table', { name: 'Inputs' }).waitFor();
    expect(await preview.getByLabel('Flavors').innerText()).toMatch(/onnx/);
    await scrollTo(page, '#models-title');
    await screenshot(page, 'models-run-page-dark');
    await scrollTo(page, '#artifacts-title');
    await screenshot(page, 'models-mlmodel-preview-dark');
    expect(problems).toEqual([]);
  });

  it('says what to install when serving a scikit-learn model without MLflow in Python', async () => {
    const { page, problems } = await openPage(browser);
    await page.goto(`${served.url}/#/experiments/${experimentId}/runs/${sklearnRunId}`);
    const model = page.locator('[data-model-path="model"]');
    await model.getByRole('button', { name: 'Serve' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.innerText()).toContain('pip install mlflow scikit-learn');
    expect(await model.getByRole('table', { name: 'Inputs' }).locator('tbody tr').count()).toBe(7);
    await scrollTo(page, '#models-title');
    await screenshot(page, 'models-python-message');
    // The refused call shows in the console twice (the browser's 400 and the toast's log, for
    // whoever debugs it); nothing else went wrong.
    expect(problems.filter((p) => !p.includes('Serving the model') && !p.includes('status of 400'))).toEqual([]);
  });
});
