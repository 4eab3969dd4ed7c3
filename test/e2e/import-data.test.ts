/**
 * The window's *Import…* dialog, in Chromium against a real `flowdesk serve`: a folder of real
 * TensorBoard logs (tensorboardX) is imported with a progress card, then a summary that counts
 * what arrived and what was skipped and links to the experiment; a folder that is neither kind is
 * refused beside the path. Screenshots in both themes.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PYTHON_CLIENTS_NOT_RUN_REASON } from '../helpers/python-clients.ts';
import { writeMlruns } from '../import/mlruns-fixture.ts';
import { writeScalarEventFile, writeTensorBoardLogs } from '../import/tensorboard-logs.ts';
import { launchChromium, openPage, prepareDataDir, screenshot, serveFlowdesk, type ServedFlowdesk } from './e2e-helpers.ts';

describe.runIf(!PYTHON_CLIENTS_NOT_RUN_REASON)('importing data from the window', () => {
  let browser: Browser;
  let served: ServedFlowdesk;
  let root: string;
  /** Scalar points tensorboardX wrote into tb-logs, add_hparams' metrics included. */
  let points: number;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'flowdesk-e2e-import-'));
    mkdirSync(join(root, 'tb-logs'));
    mkdirSync(join(root, 'long-run', 'train'), { recursive: true });
    const [written, , s] = await Promise.all([
      writeTensorBoardLogs(join(root, 'tb-logs')),
      // Long enough that the import is seen while it runs.
      writeScalarEventFile(join(root, 'long-run', 'train'), 200_000, ['loss', 'acc']),
      prepareDataDir().then((dataDir) => serveFlowdesk(dataDir)),
    ]);
    served = s;
    points = Object.values(written.scalars).reduce((n, tags) => n + Object.values(tags).reduce((m, p) => m + p.length, 0), 0) + Object.keys(written.hparams.metrics).length;
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await served?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  async function openDialog(page: Page): Promise<void> {
    await page.goto(served.url);
    await page.getByRole('button', { name: 'Import…' }).click();
    await page.getByRole('dialog', { name: 'Import data' }).waitFor();
  }

  it('imports a TensorBoard folder with a summary that counts what arrived and links to it', async () => {
    const { page, problems } = await openPage(browser);
    await openDialog(page);
    await page.getByLabel('Folder on this computer').fill(join(root, 'tb-logs'));
    await screenshot(page, 'import-dialog-light');
    await page.getByRole('button', { name: 'Import', exact: true }).click();

    const summary = page.getByTestId('data-import-summary');
    await summary.waitFor();
    expect(await page.getByRole('dialog', { name: 'Import data' }).count()).toBe(0);
    const text = await summary.textContent();
    expect(text).toMatch(/Experiments\s*1 new\s*Runs/);
    expect(text).toContain('5 imported');
    expect(text).toContain(`${points.toLocaleString('en')} added of ${points.toLocaleString('en')} read`);
    const card = page.getByTestId('data-import');
    expect(await card.getAttribute('data-state')).toBe('done');
    await card.getByText(/things? skipped/).click();
    expect(await card.textContent()).toContain('histograms (weights)');
    await screenshot(page, 'import-summary-light');

    await card.getByRole('link', { name: 'Open the experiment' }).click();
    await page.getByRole('row', { name: /lightning_logs\/version_0/ }).waitFor();
    expect(page.url()).toMatch(/#\/experiments\/\d+/);
    expect(await page.getByTestId('data-import').count()).toBe(0);
    expect(problems).toEqual([]);
  });

  it('imports an mlruns folder MLflow 2.12.2 wrote, with its runs, points and registry, and links to its first experiment', async () => {
    const { mlruns, view } = await writeMlruns('2.12.2', join(root, 'mlflow-2'));
    const mlflowPoints = view.runs.reduce((n, run) => n + Object.values(run.metrics).reduce((m, series) => m + series.length, 0), 0);
    const { page, problems } = await openPage(browser);
    await openDialog(page);
    await page.getByLabel('Folder on this computer').fill(mlruns);
    await page.getByRole('button', { name: 'Import', exact: true }).click();

    const summary = page.getByTestId('data-import-summary');
    await summary.waitFor({ timeout: 120_000 });
    const text = (await summary.textContent()) ?? '';
    expect(text).toContain(`${view.runs.length.toLocaleString('en')} imported`);
    expect(text).toContain(`${mlflowPoints.toLocaleString('en')} added of ${mlflowPoints.toLocaleString('en')} read`);
    expect(Number(/(\d+) registered models?/.exec(text)?.[1])).toBe(view.registry.length);
    await screenshot(page, 'import-mlruns-summary-light');

    const live = view.runs.find((run) => run.stage === 'active' && Object.keys(run.params).length > 0)!;
    const [key, value] = Object.entries(live.params)[0]!;
    await page.getByTestId('data-import').getByRole('link', { name: /^Open the/ }).click();
    await expect.poll(() => page.url()).toMatch(/#\/experiments\/\d+$/);
    // Run ids are kept; the experiment's id is the one this catalog gave it.
    const { run } = await served.api.call('runs.get', { runId: live.id });
    await page.goto(`${served.url}/#/experiments/${run.info.experimentId}/runs/${live.id}`);
    const params = page.getByRole('table', { name: 'Parameters' });
    await expect.poll(async () => (await params.locator('tr', { hasText: key }).first().textContent()) ?? '').toContain(value);
    expect(problems).toEqual([]);
  }, 400_000);

  it('shows the counts under a progress bar while an import runs, then the summary', async () => {
    const { page, problems } = await openPage(browser, { colorScheme: 'dark' });
    await openDialog(page);
    await page.getByLabel('Folder on this computer').fill(join(root, 'long-run'));
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    const progress = page.getByTestId('data-import-progress');
    await expect.poll(() => progress.textContent(), { timeout: 60_000 }).toMatch(/\d experiments? · \d runs? · [1-9][\d,]* points? · /);
    expect(await page.getByRole('progressbar', { name: 'Progress of the import' }).count()).toBe(1);
    await screenshot(page, 'import-progress-dark');
    const summary = page.getByTestId('data-import-summary');
    await summary.waitFor({ timeout: 120_000 });
    expect(await summary.textContent()).toContain('200,000 added of 200,000 read');
    await screenshot(page, 'import-summary-dark');
    expect(problems).toEqual([]);
  }, 180_000);

  it('says what was already here when the same folder is imported again', async () => {
    const { page, problems } = await openPage(browser);
    await openDialog(page);
    await page.getByLabel('Folder on this computer').fill(join(root, 'tb-logs'));
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    const summary = page.getByTestId('data-import-summary');
    await summary.waitFor();
    expect(await summary.textContent()).toMatch(/Experiments\s*0 new, 1 matched by name.*0 imported, 5 already here.*\b0 added of/s);
    expect(problems).toEqual([]);
  });

  it('opens the dialog when a folder is dropped outside a run or experiment page, since a browser cannot know its path', async () => {
    const { page, problems } = await openPage(browser);
    await page.goto(served.url);
    await page.locator('main').waitFor();
    const drag = (type: string) =>
      page.evaluate((type) => {
        const g = globalThis as unknown as {
          DataTransfer: new () => { items: { add(file: unknown): void } };
          DragEvent: new (type: string, init: object) => unknown;
          File: new (parts: string[], name: string) => unknown;
          document: { querySelector(selector: string): { dispatchEvent(event: unknown): boolean } | null };
        };
        const data = new g.DataTransfer();
        data.items.add(new g.File(['x'], 'mlruns'));
        g.document.querySelector('main')!.dispatchEvent(new g.DragEvent(type, { bubbles: true, cancelable: true, dataTransfer: data }));
      }, type);
    await drag('dragenter');
    await drag('dragover');
    expect(await page.locator('.shell.drop-active').count()).toBe(1);
    await screenshot(page, 'import-drop-light');
    await drag('drop');
    await page.getByRole('dialog', { name: 'Import data' }).waitFor();
    expect(await page.locator('.shell.drop-active').count()).toBe(0);
    expect(problems).toEqual([]);
  });

  it('refuses a folder that is neither kind beside the path, and keeps the dialog open', async () => {
    const { page, problems } = await openPage(browser, { colorScheme: 'dark' });
    const other = join(root, 'just-notes');
    mkdirSync(other);
    writeFileSync(join(other, 'notes.txt'), 'nothing to import');
    await openDialog(page);
    await page.getByLabel('Folder on this computer').fill(other);
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    const refusal = page.getByRole('dialog', { name: 'Import data' }).getByRole('alert');
    await refusal.waitFor();
    expect(await refusal.textContent()).toMatch(/neither an mlruns folder .* nor a folder of TensorBoard logs/);
    expect(await page.getByRole('dialog', { name: 'Import data' }).count()).toBe(1);
    expect(await page.getByTestId('data-import').count()).toBe(0);
    await screenshot(page, 'import-refused-dark');
    await page.getByRole('button', { name: 'Cancel' }).click();
    expect(await page.getByRole('dialog', { name: 'Import data' }).count()).toBe(0);
    // A refused import is no failure of the window: the refusal is shown where it belongs, not as an error.
    expect(problems.filter((p) => !p.includes('400'))).toEqual([]);
  });
});
