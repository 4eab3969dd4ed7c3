/**
 * Compare at real sizes: 300 runs of a sweep (a summary table instead of 300 cards, 300 distinct
 * colours, the best value per metric and its flippable direction, brushing and log axes in the
 * parallel coordinates, charts overlaying every run), and disk usage with a million-point metric.
 */
import type { Browser, Locator } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openFlowdesk } from '#core/flowdesk.ts';
import { launchChromium, openPage, prepareDataDir, screenshot, serveFlowdesk, type ServedFlowdesk } from './e2e-helpers.ts';

/** For polls that wait on the 300 runs to be read or drawn again: expect.poll gives up after 1 s by default, too soon under load. */
const slow = { timeout: 30_000 };

const RUNS = 300;
const STEPS = 40;
const MILLION = 1_000_000;
const START = 1_700_000_000_000;
/** The sweep's learning rate for run i: 1e-5 … 1e-1, log-spaced. */
const lrOf = (i: number) => Number((10 ** (-5 + (4 * i) / (RUNS - 1))).toPrecision(3));
/** Final loss of run i: best (lowest) at run 123, worst at run 7. */
const finalLoss = (i: number) => (i === 123 ? 0.01 : i === 7 ? 9 : 0.5 + ((i * 37) % 100) / 100);

declare const localStorage: { getItem(key: string): string | null };
declare function getComputedStyle(element: unknown): { backgroundColor: string };
declare const innerHeight: number;

describe('comparing hundreds of runs', () => {
  let browser: Browser;
  let served: ServedFlowdesk;
  const runIds: string[] = [];
  let sweepId = '';

  beforeAll(async () => {
    const dataDir = await prepareDataDir(async (dir) => {
      const fd = await openFlowdesk({ dataDir: dir });
      try {
        const { experimentId } = await fd.handlers['experiments.create']({ name: 'lr-sweep' });
        sweepId = experimentId;
        for (let i = 0; i < RUNS; i++) {
          const { run } = await fd.handlers['runs.create']({ experimentId, runName: `sweep-${String(i).padStart(3, '0')}`, startTime: START });
          const metrics = Array.from({ length: STEPS }, (_, step) => [
            { key: 'train/loss', value: finalLoss(i) + (STEPS - 1 - step) / 10, timestamp: START + step * 1000, step },
            { key: 'val/acc', value: 0.5 + (i % 50) / 100 - (STEPS - 1 - step) / 200, timestamp: START + step * 1000, step },
          ]).flat();
          await fd.handlers['runs.logBatch']({
            runId: run.info.runId,
            params: [
              { key: 'lr', value: String(lrOf(i)) },
              { key: 'optimizer', value: ['adam', 'adamw', 'sgd'][i % 3]! },
              { key: 'dataset', value: 'cifar10' },
            ],
            metrics: [...metrics, { key: 'epochs_run', value: 40, timestamp: START, step: 0 }],
          });
          runIds.push(run.info.runId);
        }
        // A million points in one run of another experiment, for disk usage.
        const big = await fd.handlers['experiments.create']({ name: 'million-points' });
        const { run } = await fd.handlers['runs.create']({ experimentId: big.experimentId, runName: 'long', startTime: START });
        for (let first = 0; first < MILLION; first += 1000) {
          await fd.handlers['runs.logBatch']({ runId: run.info.runId, metrics: Array.from({ length: 1000 }, (_, k) => ({ key: 'loss', value: Math.sin((first + k) / 1e4), timestamp: START + first + k, step: first + k })) });
        }
      } finally {
        await fd.close();
      }
    });
    served = await serveFlowdesk(dataDir);
    browser = await launchChromium();
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await served?.stop();
  });

  const href = () => `${served.url}/#/compare?runs=${runIds.join(',')}`;
  const bestRuns = (table: Locator, key: string) => table.locator(`tbody td.best[data-metric="${key}"]`).evaluateAll((cells) => cells.map((c) => c.closest('tr')!.getAttribute('data-run')));

  it('shows 300 runs as one summary table with distinct colours and the best value per metric', async () => {
    const { page, problems } = await openPage(browser);
    await page.goto(href());
    await page.getByRole('heading', { name: `Comparing ${RUNS} runs` }).waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('many-runs').textContent()).toContain(`${RUNS} runs are too many for a card each`);
    expect(await page.locator('ul.runs li').count()).toBe(0);
    expect(await page.locator('table[aria-label="Parameters side by side"]').count()).toBe(0);

    const table = page.getByTestId('metrics-table');
    expect(await table.getAttribute('data-orientation')).toBe('rows');
    expect(await table.locator('tbody tr').count()).toBe(RUNS);
    // Every run has a colour of its own.
    const swatches = await table.locator('tbody .swatch').evaluateAll((els) => els.map((e) => getComputedStyle(e).backgroundColor));
    expect(new Set(swatches).size).toBe(RUNS);
    // The params that differ are columns; the one every run shares is not.
    expect(await table.locator('thead th.param').allTextContents()).toEqual(['param lr', 'param optimizer']);

    // train/loss: lower is better (guessed from the name), so run 123's 0.01 is marked.
    expect(await table.locator('thead th[data-metric="train/loss"] button.dir').getAttribute('data-direction')).toBe('lower');
    expect(await bestRuns(table, 'train/loss')).toEqual([runIds[123]]);
    await page.screenshot({ path: 'test/e2e/screenshots/compare-300-top.png' });

    // Flipped, run 7's 9 is best; the flip is kept for the next comparison.
    await table.getByRole('button', { name: 'train/loss: lower is better. Flip' }).click();
    await expect.poll(() => bestRuns(table, 'train/loss'), slow).toEqual([runIds[7]]);
    expect(JSON.parse(await page.evaluate(() => localStorage.getItem('flowdesk.compare.prefs') ?? '{}'))).toMatchObject({ directions: { 'train/loss': 'higher' } });

    // Sorting by a metric puts its best run first.
    await table.locator('thead th[data-metric="val/acc"] button.sort').click();
    const first = await table.locator('tbody tr').first().getAttribute('data-run');
    expect(runIds.indexOf(first!) % 50).toBe(49);

    await page.getByRole('radio', { name: 'Runs as columns' }).click();
    await expect.poll(() => table.getAttribute('data-orientation')).toBe('columns');
    await page.reload();
    await page.getByRole('heading', { name: `Comparing ${RUNS} runs` }).waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('metrics-table').getAttribute('data-orientation')).toBe('columns');
    expect(await page.locator('td.best[data-metric="train/loss"]').count()).toBe(1);
    await page.getByRole('radio', { name: 'Runs as rows' }).click();
    expect(problems).toEqual([]);
  }, 120_000);

  it('draws parallel coordinates with a log axis for the learning rate, brushing that filters, and colour by a metric', async () => {
    const { page, problems } = await openPage(browser);
    await page.goto(href());
    const parallel = page.getByTestId('parallel-coordinates');
    await parallel.locator('g.run').first().waitFor({ timeout: 30_000 });
    expect(await parallel.locator('g.run').count()).toBe(RUNS);
    // lr spans four decades: a log axis, which the person can switch.
    const lrAxis = parallel.locator('g.axis[data-field="param:lr"]');
    expect(await lrAxis.getAttribute('data-scale')).toBe('log');
    expect(await lrAxis.locator('.tick').allTextContents()).toEqual(['1.0e-5', '1.0e-4', '0.001', '0.01', '0.1']);
    // epochs_run has one value: not an axis by default, and stated as a value when chosen.
    expect(await parallel.locator('g.axis[data-field="metric:epochs_run"]').count()).toBe(0);
    await page.getByRole('combobox', { name: 'Add axis' }).selectOption('metric:epochs_run');
    expect(await parallel.locator('[data-constant="metric:epochs_run"]').textContent()).toContain('epochs_run = 40 in every run');
    expect(await parallel.locator('g.axis[data-field="metric:epochs_run"]').count()).toBe(0);
    // Axis names are never cut without their full text at hand.
    for (const title of await parallel.locator('.axis-title .name').all()) {
      const [scroll, client, full] = await title.evaluate((el) => [el.scrollWidth, el.clientWidth, el.getAttribute('title')]);
      expect(scroll <= client || (full !== null && full.length > 0)).toBe(true);
    }

    // Brushing the top half of the log lr axis (from its middle, 1e-3, up past its end) keeps the
    // runs with lr ≥ 1e-3: runs 150 to 299, whose positions lie 1/299 apart around the middle.
    const hit = parallel.locator('rect.hit[data-brush="param:lr"]');
    await page.locator('#cmp-parallel').evaluate((el) => (el as unknown as { scrollIntoView(o: object): void }).scrollIntoView({ block: 'start' }));
    const box = (await hit.boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height * 0.5);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 2, box.y + box.height * 0.2, { steps: 4 });
    await page.mouse.move(box.x + box.width / 2, box.y - 20, { steps: 4 });
    await page.mouse.up();
    const expected = runIds.filter((_, i) => lrOf(i) >= 1e-3).length;
    expect(expected).toBe(150);
    await expect.poll(() => parallel.getAttribute('data-kept'), slow).toBe(String(expected));
    expect(await parallel.locator('g.run[data-kept="false"]').count()).toBe(RUNS - expected);
    expect(await page.getByTestId('metrics-table').locator('tbody tr').count()).toBe(expected);
    expect(await page.getByRole('status').filter({ hasText: 'in the brushed range' }).textContent()).toContain(`${expected} of ${RUNS} runs`);

    await page.getByRole('combobox', { name: 'Colour lines by' }).selectOption('metric:val/acc');
    await page.getByTestId('color-scale').waitFor();
    const strokes = await parallel.locator('g.run path').evaluateAll((paths) => paths.map((p) => p.getAttribute('stroke')));
    expect(new Set(strokes).size).toBeGreaterThan(20);
    await page.locator('#cmp-parallel').evaluate((el) => (el as unknown as { scrollIntoView(o: object): void }).scrollIntoView({ block: 'start' }));
    await screenshot(page, 'compare-300-parallel');

    await parallel.locator('.axis-title[data-field="param:lr"] button.scale-toggle').click();
    await expect.poll(() => lrAxis.getAttribute('data-scale')).toBe('linear');
    await page.getByRole('button', { name: 'Clear brushes' }).click();
    await expect.poll(() => page.getByTestId('metrics-table').locator('tbody tr').count(), slow).toBe(RUNS);
    expect(problems).toEqual([]);
  }, 120_000);

  it('draws the overlaid charts of 300 runs that come into view after the parallel coordinates have drawn', async () => {
    const { page, problems } = await openPage(browser);
    await page.goto(href());
    await page.getByTestId('parallel-coordinates').locator('g.run').first().waitFor({ timeout: 30_000 });
    await page.waitForLoadState('networkidle');
    // Charts out of view fetch nothing until they scroll in; bringing the parallel coordinates'
    // heading into view brings the charts above it too.
    await page.locator('#cmp-parallel').scrollIntoViewIfNeeded();
    const expected: Record<string, number> = { 'train/loss': RUNS * STEPS, 'val/acc': RUNS * STEPS, epochs_run: RUNS };
    const inView = await page.locator('[data-testid="metric-chart"]').evaluateAll((charts) =>
      charts.filter((c) => { const r = c.getBoundingClientRect(); return r.bottom > 0 && r.top < innerHeight; }).map((c) => c.getAttribute('data-key')!));
    expect(inView.length).toBeGreaterThan(0);
    for (const key of inView) {
      const chart = page.locator(`[data-testid="metric-chart"][data-key="${key}"]`);
      await expect.poll(() => chart.getAttribute('data-points'), { timeout: 60_000 }).toBe(String(expected[key]));
      expect(await chart.getByText('Loading…').count()).toBe(0);
    }
    await screenshot(page, 'compare-300-charts-above-parallel');
    expect(problems).toEqual([]);
  }, 120_000);

  it('overlays every run on each chart, with a legend of the run nearest the cursor', async () => {
    const { page, problems } = await openPage(browser, { colorScheme: 'dark' });
    const calls: string[] = [];
    page.on('request', (r) => r.url().includes('/call/') && calls.push(r.url().replace(/.*\/call\//, '')));
    await page.goto(href());
    const chart = page.locator('[data-testid="metric-chart"][data-key="train/loss"]').first();
    await chart.scrollIntoViewIfNeeded({ timeout: 30_000 });
    await chart.locator('canvas').waitFor({ timeout: 60_000 });
    await expect.poll(() => chart.getAttribute('data-points'), { timeout: 60_000 }).toBe(String(RUNS * STEPS));
    // The 300 runs come in one call, and each chart's 300 series in one more: never one call per run.
    expect(calls.filter((c) => c === 'runs.getMany')).toHaveLength(1);
    expect(calls.filter((c) => c === 'runs.get' || c === 'metrics.sampled')).toEqual([]);
    const charted = calls.filter((c) => c === 'metrics.sampledMany').length;
    expect(charted).toBeGreaterThan(0);
    expect(charted).toBeLessThanOrEqual(await page.locator('[data-testid="metric-chart"]').count());
    expect(await chart.locator('.legend').textContent()).toContain(`${RUNS} runs`);
    const over = (await chart.locator('.u-over').boundingBox())!;
    await page.mouse.move(over.x + over.width * 0.98, over.y + over.height * 0.02);
    await expect.poll(() => chart.locator('.legend .item').count()).toBe(1);
    await page.locator('#cmp-metrics').evaluate((el) => (el as unknown as { scrollIntoView(o: object): void }).scrollIntoView({ block: 'start' }));
    await screenshot(page, 'compare-300-charts-dark');
    await page.locator('#cmp-summary').evaluate((el) => (el as unknown as { scrollIntoView(o: object): void }).scrollIntoView({ block: 'start' }));
    await screenshot(page, 'compare-300-summary-dark');
    await page.locator('#cmp-parallel').evaluate((el) => (el as unknown as { scrollIntoView(o: object): void }).scrollIntoView({ block: 'start' }));
    await screenshot(page, 'compare-300-parallel-dark');
    expect(problems).toEqual([]);
  }, 120_000);

  it('counts the million metric points of an experiment without artifacts in disk usage', async () => {
    for (const colorScheme of ['light', 'dark'] as const) {
      const { page, problems } = await openPage(browser, { colorScheme });
      await page.goto(`${served.url}/#/disk-usage`);
      const row = page.locator('tr', { has: page.getByRole('link', { name: 'million-points' }) });
      await row.waitFor();
      expect(await row.locator('[data-part="artifacts"]').textContent()).toBe('0 B');
      const catalog = (await row.locator('[data-part="catalog"]').textContent())!;
      // About 35 bytes a point in SQLite: tens of megabytes.
      expect(catalog).toMatch(/^\d+(\.\d)? MiB$/);
      expect(Number.parseFloat(catalog)).toBeGreaterThan(15);
      // The largest experiment comes first.
      expect(await page.locator('tbody tr').first().textContent()).toContain('million-points');
      await screenshot(page, `disk-usage-${colorScheme}`);
      expect(problems).toEqual([]);
    }
  });

  it('arranges a chart workspace per experiment: groups by prefix, chosen metrics and folds kept, the selected or latest runs overlaid', async () => {
    const { page, problems } = await openPage(browser);
    await page.goto(`${served.url}/#/experiments/${sweepId}`);
    await page.getByRole('link', { name: 'Charts', exact: true }).click();
    await page.getByRole('heading', { name: /^Charts of lr-sweep/ }).waitFor();
    // The runs to overlay arrive after the heading: wait for them rather than read the first paint.
    await expect.poll(() => page.getByTestId('workspace-runs').textContent(), slow).toContain('(20 shown)');
    const groups = () => page.locator('section.group').evaluateAll((els) => els.map((e) => e.getAttribute('data-group')));
    await expect.poll(groups, slow).toEqual(['train', 'val', '']);
    const trainLoss = page.locator('section.group[data-group="train"] [data-testid="metric-chart"][data-key="train/loss"]');
    await expect.poll(() => trainLoss.getAttribute('data-points'), { timeout: 30_000 }).toBe(String(20 * STEPS));
    expect(await page.getByRole('list', { name: 'Runs overlaid' }).locator('li').count()).toBe(20);
    await screenshot(page, 'charts-workspace');

    await page.getByRole('button', { name: /^Metrics \(/ }).click();
    await page.getByRole('checkbox', { name: 'val/acc' }).uncheck();
    await page.getByRole('button', { name: /^train\// }).click();
    await page.reload();
    await page.getByRole('heading', { name: /^Charts of lr-sweep/ }).waitFor();
    await page.locator('section.group').first().waitFor();
    // val/ held only val/acc, now hidden: the group is gone; train/ is folded.
    await expect.poll(() => groups(), slow).toEqual(['train', '']);
    expect(await page.getByRole('button', { name: /^train\// }).getAttribute('aria-expanded')).toBe('false');
    expect(await page.locator('section.group[data-group="train"] [data-testid="chart-cell"]').count()).toBe(0);
    expect(await page.locator('section.group[data-group=""] [data-testid="chart-cell"]').getAttribute('data-key')).toBe('epochs_run');

    await page.goto(`${served.url}/#/experiments/${sweepId}/charts?runs=${runIds.slice(0, 3).join(',')}`);
    await expect.poll(() => page.getByTestId('workspace-runs').textContent(), slow).toContain('3 chosen runs overlaid');
    await page.getByRole('button', { name: /^train\// }).click();
    const loss = page.locator('[data-testid="metric-chart"][data-key="train/loss"]');
    await expect.poll(() => loss.getAttribute('data-points'), { timeout: 30_000 }).toBe(String(3 * STEPS));
    expect(problems).toEqual([]);

    const dark = await openPage(browser, { colorScheme: 'dark' });
    await dark.page.goto(`${served.url}/#/experiments/${sweepId}/charts`);
    await dark.page.locator('[data-testid="metric-chart"] canvas').first().waitFor({ timeout: 30_000 });
    await screenshot(dark.page, 'charts-workspace-dark');
    expect(dark.problems).toEqual([]);
  }, 120_000);
});
