import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openFlowdesk } from '#core/flowdesk.ts';
import { addUser } from '#core/users/users.ts';
import { launchChromium, openPage, prepareDataDir, screenshot, serveFlowdesk, type ServedFlowdesk } from './e2e-helpers.ts';
import { seedRealisticData, type RealisticData } from './realistic-data.ts';
import { checkView } from './view-checks.ts';

/** A view of the window: where it lives and what shows it has loaded. */
interface View {
  name: string;
  hash: (data: RealisticData) => string;
  ready: (page: Page, data: RealisticData) => Promise<unknown>;
  /** What a person does once it has loaded, before the checks (a state the view only shows then). */
  act?: (page: Page) => Promise<unknown>;
}

const VIEWS: View[] = [
  { name: 'home', hash: () => '#/', ready: (page) => page.getByRole('heading', { name: 'Experiments' }).waitFor() },
  { name: 'experiment runs table', hash: (d) => `#/experiments/${d.sweepExperimentId}`, ready: (page) => page.locator('[role="row"][data-run-id]').first().waitFor() },
  { name: 'experiment of thousands of runs', hash: (d) => `#/experiments/${d.bulkExperimentId}`, ready: (page) => page.locator('[role="row"][data-run-id]').nth(20).waitFor() },
  {
    name: 'selection of the loaded runs of thousands',
    hash: (d) => `#/experiments/${d.bulkExperimentId}`,
    ready: (page) => page.locator('[role="row"][data-run-id]').nth(20).waitFor(),
    act: async (page) => {
      await page.locator('[role="row"][data-run-id]').first().click();
      await page.keyboard.press('Control+a');
      await page.getByRole('button', { name: /^Select all [\d,]+ runs$/ }).waitFor();
    },
  },
  { name: 'chart workspace', hash: (d) => `#/experiments/${d.sweepExperimentId}/charts`, ready: (page) => page.getByTestId('workspace-runs').filter({ hasText: /\([1-9]\d* shown\)/ }).waitFor() },
  { name: 'child run page', hash: (d) => `#/experiments/${d.sweepExperimentId}/runs/${d.childRunId}`, ready: (page) => page.locator('#artifacts-title').waitFor() },
  { name: 'parent run page', hash: (d) => `#/experiments/${d.sweepExperimentId}/runs/${d.parentRunId}`, ready: (page) => page.locator('ul.children li').nth(11).waitFor() },
  { name: 'compare', hash: (d) => `#/compare?runs=${d.childRunIds.slice(0, 6).join(',')}`, ready: (page) => page.locator('main h1').waitFor() },
  { name: 'models', hash: () => '#/models', ready: (page) => page.locator('tbody td.name a').first().waitFor() },
  { name: 'model board', hash: (d) => `#/models/${encodeURIComponent(d.modelName)}`, ready: (page) => page.locator('.pending-list li').first().waitFor() },
  { name: 'version page', hash: (d) => `#/models/${encodeURIComponent(d.modelName)}/versions/2`, ready: (page) => page.locator('main h1').waitFor() },
  { name: 'settings', hash: () => '#/settings', ready: (page) => page.getByText('Port in use').waitFor() },
  { name: 'trash', hash: () => '#/trash', ready: (page) => page.getByText('abandoned-experiment-kept-in-the-trash').waitFor() },
  { name: 'disk usage', hash: () => '#/disk-usage', ready: (page) => page.locator('table.listing tbody tr').first().waitFor() },
  { name: 'run a project', hash: () => '#/projects/run', ready: (page) => page.locator('main h1').waitFor() },
  { name: 'trace view', hash: (d) => `#/traces/${d.traceId}`, ready: (page) => page.locator('article.span-details').waitFor() },
  { name: 'trace compare', hash: (d) => `#/traces/compare?a=${d.traceId}&b=${d.otherTraceId}`, ready: (page) => page.locator('.diffs h2').waitFor() },
  { name: 'experiment traces', hash: (d) => `#/experiments/${d.tracesExperimentId}/traces`, ready: (page) => page.locator('footer.status-bar [data-match-count]').waitFor() },
  { name: 'experiment traces filtered', hash: (d) => `#/experiments/${d.tracesExperimentId}/traces?filter=${encodeURIComponent("tags.`customer.segment` LIKE 'enterprise%' OR trace.status = 'ERROR'")}&sort=execution_time_ms&dir=desc`, ready: (page) => page.locator('footer.status-bar [data-match-count]').waitFor() },
];

describe.each(['light', 'dark'] as const)('every view in the %s theme, at real sizes', (theme) => {
  let browser: Browser;
  let served: ServedFlowdesk;
  let data: RealisticData;

  beforeAll(async () => {
    served = await serveFlowdesk(await prepareDataDir(async (dir) => void (data = await seedRealisticData(dir))));
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await served?.stop();
  });

  it.each(VIEWS.map((v) => [v.name, v] as const))('keeps the %s within the window, readable, in contrast and without console errors', async (name, view) => {
    const { page, problems } = await openPage(browser, { colorScheme: theme });
    await page.goto(`${served.url}/${view.hash(data)}`);
    await view.ready(page, data);
    await view.act?.(page);
    await page.waitForLoadState('networkidle');
    await screenshot(page, `guard-${name.replaceAll(' ', '-')}-${theme}`);
    expect(await checkView(page)).toEqual([]);
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('keeps every button and badge of a version card inside the card on the model board of a 1024-pixel window', async () => {
    const { page, problems } = await openPage(browser, { colorScheme: theme });
    await page.setViewportSize({ width: 1024, height: 700 });
    await page.goto(`${served.url}/#/models/${encodeURIComponent(data.modelName)}`);
    await page.locator('.pending-list li').first().waitFor();
    await screenshot(page, `guard-model-board-1024-${theme}`);
    const spilling = await page.evaluate<string[]>(`(() => {
      const found = [];
      for (const card of document.querySelectorAll('article.card')) {
        const box = card.getBoundingClientRect();
        for (const part of card.querySelectorAll('button, a, .badge')) {
          const r = part.getBoundingClientRect();
          if (r.right > box.right + 0.5 || r.left < box.left - 0.5) found.push(card.getAttribute('aria-label') + ': ' + part.textContent.trim() + ' spills ' + Math.round(r.right - box.right) + 'px');
        }
      }
      return found;
    })()`);
    expect(spilling).toEqual([]);
    expect(problems).toEqual([]);
    await page.context().close();
  });
});

describe.each(['light', 'dark'] as const)('the sign-in page of a team server in the %s theme', (theme) => {
  let browser: Browser;
  let served: ServedFlowdesk;

  beforeAll(async () => {
    let token = '';
    const dataDir = await prepareDataDir(async (dir) => {
      const fd = await openFlowdesk({ dataDir: dir });
      token = (await addUser(fd.catalog, 'ann', 'writer', Date.now())).token;
      await fd.close();
    });
    served = await serveFlowdesk(dataDir, { token });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await served?.stop();
  });

  /** The sign-in page is whole and visible: its heading, field and button, never a blank window. */
  async function expectSignInShown(page: Page) {
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    for (const part of [page.getByRole('heading', { name: 'Sign in' }), page.getByLabel('Token'), page.getByRole('button', { name: 'Sign in' })]) {
      expect(await part.isVisible()).toBe(true);
      const box = (await part.boundingBox())!;
      expect(box.y + box.height).toBeLessThanOrEqual(800);
      expect(box.x + box.width).toBeLessThanOrEqual(1280);
    }
  }

  it('keeps the sign-in page within the window, readable, in contrast and without console errors', async () => {
    const { page, problems } = await openPage(browser, { colorScheme: theme });
    await page.goto(served.url);
    await expectSignInShown(page);
    await page.waitForLoadState('networkidle');
    await screenshot(page, `guard-sign-in-${theme}`);
    expect(await checkView(page)).toEqual([]);
    // Chromium logs each request the server refuses (401: no token yet) as a console error; those are expected here.
    expect(problems.filter((p) => !/status of 401/.test(p))).toEqual([]);
    await page.context().close();
  });

  it('keeps a refused sign-in readable: the reason in contrast, the page whole', async () => {
    const { page, problems } = await openPage(browser, { colorScheme: theme });
    await page.goto(served.url);
    await expectSignInShown(page);
    await page.getByLabel('Token').fill('fdt_not-a-real-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/not valid for this server/);
    await expectSignInShown(page);
    await screenshot(page, `guard-sign-in-refused-${theme}`);
    expect(await checkView(page)).toEqual([]);
    expect(problems.filter((p) => !/status of 401/.test(p))).toEqual([]);
    await page.context().close();
  });
});
