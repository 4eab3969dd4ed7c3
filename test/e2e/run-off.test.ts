import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logLinearModels } from '../models/model-fixture.ts';
import { launchChromium, openPage, prepareDataDir, screenshot, serveFlowdesk, type ServedFlowdesk } from './e2e-helpers.ts';

const OFF = 'Running projects and serving models from the browser is off. To allow them, restart the server with: flowdesk serve --allow-run';

describe('the window of flowdesk serve without --allow-run', () => {
  let browser: Browser;
  let served: ServedFlowdesk;
  let experimentId: string;
  let runId: string;
  // Made before any test runs, so removed after all of them rather than by tempDir's per-test hook.
  const projectDir = mkdtempSync(join(tmpdir(), 'flowdesk-e2e-off-'));
  const marker = join(projectDir, 'ran');

  beforeAll(async () => {
    writeFileSync(join(projectDir, 'MLproject'), `name: touching\nentry_points:\n  main:\n    command: touch ${marker}\n`);
    served = await serveFlowdesk(await prepareDataDir());
    ({ runId } = await logLinearModels(served.url, { experiment: 'pricing' }));
    experimentId = (await served.api.call('experiments.getByName', { name: 'pricing' })).experiment.experimentId;
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await served?.stop();
    rmSync(projectDir, { recursive: true, force: true });
  });

  it.each(['light', 'dark'] as const)('says how to enable running where the Run button is, and keeps it disabled (%s theme)', async (colorScheme) => {
    const { page, problems } = await openPage(browser, { colorScheme });
    await page.goto(`${served.url}/#/projects/run`);
    const note = page.getByTestId('run-off');
    await note.waitFor();
    expect(await note.innerText()).toBe(OFF);
    await page.getByLabel('Project folder or git URL').fill(projectDir);
    await page.getByRole('button', { name: 'Open' }).click();
    await expect.poll(() => page.getByTestId('command-preview').textContent()).toBe(`touch ${marker}`);
    const run = page.getByRole('button', { name: 'Run', exact: true });
    expect(await run.isDisabled()).toBe(true);
    expect(await run.getAttribute('aria-describedby')).toBe('run-off');
    await page.screenshot({ path: `/tmp/flowdesk-run-off-${colorScheme}.png` });
    await screenshot(page, `run-off-${colorScheme}`);
    expect(existsSync(marker)).toBe(false);
    expect(problems).toEqual([]);
  });

  it.each(['light', 'dark'] as const)('says how to enable serving beside each disabled Serve button (%s theme)', async (colorScheme) => {
    const { page, problems } = await openPage(browser, { colorScheme });
    await page.goto(`${served.url}/#/experiments/${experimentId}/runs/${runId}`);
    const models = page.locator('section[aria-labelledby="models-title"]');
    const columns = models.locator('[data-model-path="columns-model"]');
    const note = columns.getByTestId('serve-off');
    await note.waitFor();
    expect(await note.innerText()).toBe(OFF);
    expect(await models.getByTestId('serve-off').count()).toBe(2);
    const serve = columns.getByRole('button', { name: 'Serve' });
    expect(await serve.isDisabled()).toBe(true);
    expect(await serve.getAttribute('aria-describedby')).toBe(await note.getAttribute('id'));
    await note.evaluate((el) => (el as unknown as { scrollIntoView(options: object): void }).scrollIntoView({ block: 'center' }));
    await page.screenshot({ path: `/tmp/flowdesk-serve-off-${colorScheme}.png` });
    await screenshot(page, `serve-off-${colorScheme}`);
    expect((await served.api.call('models.servers', {})).servers).toEqual([]);
    expect(problems).toEqual([]);
  });
});
