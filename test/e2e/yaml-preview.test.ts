/**
 * YAML and JSON artifact previews: highlighted, MLproject summarized, YAML read with the safe
 * default loader (a python tag is shown as text and reported, never run), large files paged.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, openPage, prepareDataDir, screenshot, serveFlowdesk, type ServedFlowdesk } from './e2e-helpers.ts';

const MLPROJECT = `name: sklearn-elasticnet
python_env: python_env.yaml
entry_points:
  main:
    parameters:
      alpha: {type: float, default: 0.5}
      l1_ratio: {type: float, default: 0.1}
    command: "python train.py {alpha} {l1_ratio}"  # the training script
  validate:
    command: python validate.py
`;
const CONDA = `name: mlflow-env
channels:
  - conda-forge
dependencies:
  - python=3.11.9
  - pip<=24.0
  - pip:
      - mlflow==2.16.0
      - scikit-learn==1.5.0
hook: !!python/object/apply:os.system ["echo pwned"]
`;

describe('YAML and JSON previews', () => {
  let browser: Browser;
  let served: ServedFlowdesk;
  let experimentId: string;
  let runId: string;

  beforeAll(async () => {
    served = await serveFlowdesk(await prepareDataDir());
    ({ experimentId } = await served.api.call('experiments.create', { name: 'projects' }));
    const { run } = await served.api.call('runs.create', { experimentId, runName: 'elasticnet' });
    runId = run.info.runId;
    const root = run.info.artifactUri.replace(/^mlflow-artifacts:\/+/, '');
    const put = async (path: string, body: string) => {
      const response = await fetch(`${served.url}/api/2.0/mlflow-artifacts/artifacts/${root}/${path}`, { method: 'PUT', body });
      expect(response.status).toBe(200);
    };
    await put('MLproject', MLPROJECT);
    await put('model/conda.yaml', CONDA);
    await put('config/big.yaml', Array.from({ length: 40_000 }, (_, i) => `key_${i}: value ${i}  # line ${i}`).join('\n') + '\n');
    await put('metrics.json', JSON.stringify({ accuracy: 0.912, classes: ['cat', 'dog'], tuned: true, notes: null }));
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await served?.stop();
  });

  async function openFile(page: Page, ...path: string[]) {
    const tree = page.getByRole('tree', { name: 'Artifacts' });
    for (const part of path) await tree.getByRole('button', { name: part, exact: true }).click();
  }

  for (const colorScheme of ['light', 'dark'] as const) {
    it(`highlights an MLproject and summarizes it (${colorScheme})`, async () => {
      const { page, problems } = await openPage(browser, { colorScheme });
      await page.goto(`${served.url}/#/experiments/${experimentId}/runs/${runId}`);
      await openFile(page, 'MLproject');
      const pre = page.locator('pre[data-highlighted="yaml"]');
      await expect.poll(() => pre.locator('.tok-key').allTextContents()).toEqual(['name', 'python_env', 'entry_points', 'main', 'parameters', 'alpha', 'l1_ratio', 'command', 'validate', 'command']);
      expect(await pre.textContent()).toBe(MLPROJECT);
      expect(await pre.locator('.tok-comment').textContent()).toBe('# the training script');
      const summary = page.getByRole('definition').filter({ hasText: 'main' });
      expect(await summary.textContent()).toBe('main, validate');
      expect(await page.locator('dl[aria-label="Project summary"]').textContent()).toContain('python_env: python_env.yaml');
      await page.locator('#artifacts-title').evaluate((el) => el.scrollIntoView({ block: 'start' }));
      await screenshot(page, `yaml-mlproject-${colorScheme}`);
      expect(problems).toEqual([]);
      await page.context().close();
    });
  }

  it('reads conda.yaml safely: the python tag is text, and said to be', async () => {
    const { page, problems } = await openPage(browser);
    await page.goto(`${served.url}/#/experiments/${experimentId}/runs/${runId}`);
    await openFile(page, 'model', 'conda.yaml');
    await expect.poll(() => page.locator('[data-preview="yaml"] .warning').textContent()).toContain('python/object/apply:os.system');
    expect(await page.locator('pre[data-highlighted="yaml"] .tok-tag').textContent()).toContain('!!python/object/apply:os.system');
    expect(await page.locator('pre[data-highlighted="yaml"]').textContent()).toBe(CONDA);
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('pages a large YAML file instead of loading it whole', async () => {
    const { page, problems } = await openPage(browser);
    await page.goto(`${served.url}/#/experiments/${experimentId}/runs/${runId}`);
    await openFile(page, 'config', 'big.yaml');
    const more = page.locator('[data-preview="yaml"] .more');
    await expect.poll(() => more.textContent()).toMatch(/^64\.0 KiB of 1\.4 MiB shown/);
    expect(await page.locator('pre[data-highlighted="yaml"] .tok-key').first().textContent()).toBe('key_0');
    expect(await page.locator('pre[data-highlighted="yaml"]').textContent()).not.toContain('key_39999');
    await more.getByRole('button', { name: 'Load more' }).click();
    await expect.poll(() => more.textContent()).toMatch(/^128 KiB of 1\.4 MiB shown/);
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('highlights JSON keys, strings, numbers and literals', async () => {
    const { page, problems } = await openPage(browser, { colorScheme: 'dark' });
    await page.goto(`${served.url}/#/experiments/${experimentId}/runs/${runId}`);
    await openFile(page, 'metrics.json');
    const pre = page.locator('pre[data-highlighted="json"]');
    await expect.poll(() => pre.locator('.tok-key').allTextContents()).toEqual(['"accuracy"', '"classes"', '"tuned"', '"notes"']);
    expect(await pre.locator('.tok-number').allTextContents()).toEqual(['0.912']);
    expect(await pre.locator('.tok-literal').allTextContents()).toEqual(['true', 'null']);
    expect(await pre.locator('.tok-string').allTextContents()).toEqual(['"cat"', '"dog"']);
    await page.locator('#artifacts-title').evaluate((el) => el.scrollIntoView({ block: 'start' }));
    await screenshot(page, 'json-preview-dark');
    expect(problems).toEqual([]);
    await page.context().close();
  });
});
