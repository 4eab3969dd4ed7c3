import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, openPage, prepareDataDir, screenshot, serveFlowdesk, type ServedFlowdesk } from './e2e-helpers.ts';

describe('the experiment sidebar', () => {
  let browser: Browser;
  let served: ServedFlowdesk;

  beforeAll(async () => {
    served = await serveFlowdesk(await prepareDataDir());
    for (const name of ['churn-model', 'image-classifier', 'text-summarizer']) await served.api.call('experiments.create', { name });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await served?.stop();
  });

  const sidebarNames = (page: import('playwright-core').Page) => page.getByRole('navigation', { name: 'Experiments' }).locator('li .name').allTextContents();

  it('lists experiments, filters them by name, and creates one that opens at once', async () => {
    const { page, problems } = await openPage(browser);
    await page.goto(served.url);
    await expect.poll(() => sidebarNames(page)).toEqual(['churn-model', 'Default', 'image-classifier', 'text-summarizer']);
    await expect.poll(() => page.locator('pre').first().textContent()).toContain(`MLFLOW_TRACKING_URI=${served.url}`);
    await screenshot(page, 'home');

    await page.getByLabel('Search experiments').fill('CLASS');
    await expect.poll(() => sidebarNames(page)).toEqual(['image-classifier']);
    await page.getByLabel('Search experiments').fill('');

    await page.getByRole('button', { name: 'New' }).click();
    await page.getByLabel('New experiment name').fill('speech-to-text');
    await page.getByRole('button', { name: 'Create' }).click();
    await expect.poll(() => page.locator('h1').textContent()).toBe('speech-to-text');
    expect(page.url()).toMatch(/#\/experiments\/\d+$/);
    expect(await sidebarNames(page)).toContain('speech-to-text');
    await expect.poll(() => page.getByText('No runs yet.').count()).toBe(1);
    const created = await served.api.call('experiments.getByName', { name: 'speech-to-text' });
    expect(page.url()).toContain(`/experiments/${created.experiment.experimentId}`);
    await screenshot(page, 'experiment-created');

    // The view reloads as it was.
    await page.reload();
    await expect.poll(() => page.locator('h1').textContent()).toBe('speech-to-text');
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('renames an experiment, moves it to the trash and restores it from there', async () => {
    const { page, problems } = await openPage(browser);
    await page.goto(served.url);
    await expect.poll(() => sidebarNames(page)).toContain('churn-model');
    await page.getByRole('button', { name: 'Rename churn-model' }).click();
    await page.getByLabel('New name for churn-model').fill('churn-model-v2');
    await page.getByLabel('New name for churn-model').press('Enter');
    await expect.poll(() => sidebarNames(page)).toContain('churn-model-v2');

    await page.getByRole('button', { name: 'Move churn-model-v2 to the trash' }).click();
    await expect.poll(() => sidebarNames(page)).not.toContain('churn-model-v2');
    await page.getByRole('link', { name: 'Trash' }).click();
    await expect.poll(() => page.getByRole('row', { name: /churn-model-v2/ }).count()).toBe(1);
    await screenshot(page, 'trash');
    await page.getByRole('button', { name: 'Restore churn-model-v2' }).click();
    await expect.poll(() => sidebarNames(page)).toContain('churn-model-v2');
    await expect.poll(() => page.getByText('The trash is empty.').count()).toBe(1);
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('undoes moving an experiment to the trash from the toast', async () => {
    const { page, problems } = await openPage(browser, { colorScheme: 'dark' });
    await page.goto(served.url);
    await expect.poll(() => sidebarNames(page)).toContain('image-classifier');
    await page.getByRole('button', { name: 'Move image-classifier to the trash' }).click();
    await expect.poll(() => sidebarNames(page)).not.toContain('image-classifier');
    const toast = page.getByRole('status').filter({ hasText: "Moved 'image-classifier' to the trash" });
    await screenshot(page, 'experiment-trash-undo-dark');
    await toast.getByRole('button', { name: 'Undo' }).click();
    await expect.poll(() => sidebarNames(page)).toContain('image-classifier');
    expect((await served.api.call('experiments.getByName', { name: 'image-classifier' })).experiment.lifecycleStage).toBe('active');
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('reports a failed call in a toast: a duplicate name', async () => {
    const { page, problems } = await openPage(browser);
    await page.goto(served.url);
    await expect.poll(() => sidebarNames(page)).toContain('text-summarizer');
    await page.getByRole('button', { name: 'New' }).click();
    await page.getByLabel('New experiment name').fill('text-summarizer');
    await page.getByRole('button', { name: 'Create' }).click();
    const toast = page.getByRole('alert');
    await expect.poll(() => toast.textContent()).toContain("Creating experiment 'text-summarizer'");
    await screenshot(page, 'toast-error');
    // The browser logs the refused request and the reporter logs the error: both expected here.
    expect(problems.every((p) => p.includes('400') || p.includes('Creating experiment'))).toBe(true);
    await page.context().close();
  });
});
