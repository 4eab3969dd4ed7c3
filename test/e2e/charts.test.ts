import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openFlowdesk } from '#core/flowdesk.ts';
import { launchChromium, openPage, prepareDataDir, screenshot, serveFlowdesk, type ServedFlowdesk } from './e2e-helpers.ts';

/** For polls that wait on the 200,000-point series to be sampled again: expect.poll gives up after 1 s by default, too soon under load. */
const slow = { timeout: 30_000 };

const POINTS = 200_000;
const SPIKE_STEP = 123_457;
const SPIKE = 1000;
const START = 1_700_000_000_000;
/** The loss at a step: a slow wave in [0.2, 0.8] with one spike. */
const loss = (step: number) => (step === SPIKE_STEP ? SPIKE : 0.5 + 0.3 * Math.sin(step / 5000));

/** The chart's state as it exposes it on its element. */
async function chartState(chart: Locator) {
  return chart.evaluate((el) => {
    const d = (el as unknown as { dataset: Record<string, string> }).dataset;
    return { points: Number(d.points), max: Number(d.max), xMin: Number(d.xMin), xMax: Number(d.xMax), zoomed: d.zoomed === 'true', loading: d.loading === 'true' };
  });
}

/** Waits until the chart has drawn something and is not fetching. */
async function settled(chart: Locator) {
  await chart.locator('canvas').first().waitFor();
  await expect.poll(async () => (await chartState(chart)).loading, { timeout: 15_000 }).toBe(false);
  return chartState(chart);
}

/** Drags across the plot from fraction `from` to fraction `to` of its width (uPlot's drag-to-zoom). */
async function dragZoom(page: Page, chart: Locator, from: number, to: number) {
  const box = (await chart.locator('.u-over').boundingBox())!;
  const y = box.y + box.height / 2;
  await page.mouse.move(box.x + box.width * from, y);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * ((from + to) / 2), y, { steps: 4 });
  await page.mouse.move(box.x + box.width * to, y, { steps: 4 });
  await page.mouse.up();
}

describe('metric charts', () => {
  let browser: Browser;
  let served: ServedFlowdesk;
  let experimentId: string;
  let runId: string;

  beforeAll(async () => {
    const dataDir = await prepareDataDir(async (dir) => {
      // 200,000 points through the core directly: over HTTP this would only test patience.
      const fd = await openFlowdesk({ dataDir: dir });
      try {
        ({ experimentId } = await fd.handlers['experiments.create']({ name: 'long-training' }));
        ({ runId } = (await fd.handlers['runs.create']({ experimentId, runName: 'resnet-200k', startTime: START })).run.info);
        for (let first = 0; first < POINTS; first += 1000) {
          const metrics = Array.from({ length: 1000 }, (_, i) => ({ key: 'loss', value: loss(first + i), timestamp: START + (first + i) * 10, step: first + i }));
          await fd.handlers['runs.logBatch']({ runId, metrics });
        }
        const odd = [1, Number.NaN, 2, Number.POSITIVE_INFINITY, 3, Number.NEGATIVE_INFINITY, 4, 5];
        await fd.handlers['runs.logBatch']({
          runId,
          metrics: [
            ...odd.map((value, step) => ({ key: 'grad_norm', value, timestamp: START + step * 1000, step })),
            ...Array.from({ length: 300 }, (_, step) => ({ key: 'accuracy', value: 0.5 + 0.45 * (1 - Math.exp(-step / 60)) + ((step * 7919) % 13) / 400, timestamp: START + step * 1000, step })),
            // Logged without steps (MLflow's default is step 0): only wall time tells the points apart.
            ...Array.from({ length: 50 }, (_, i) => ({ key: 'throughput', value: 100 + (i % 7), timestamp: START + i * 60_000, step: 0 })),
            ...Array.from({ length: 300 }, (_, step) => ({ key: 'lr', value: 0.1 * 0.99 ** step, timestamp: START + step * 1000, step })),
          ],
        });
      } finally {
        await fd.close();
      }
    });
    served = await serveFlowdesk(dataDir);
    browser = await launchChromium();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await served?.stop();
  });

  async function openRun(colorScheme: 'light' | 'dark' = 'light') {
    const { page, problems } = await openPage(browser, { colorScheme });
    await page.goto(`${served.url}/#/experiments/${experimentId}/runs/${runId}`);
    await page.locator('#charts-title').evaluate((el) => (el as unknown as { scrollIntoView(o: object): void }).scrollIntoView({ block: 'start' }));
    return { page, problems, chart: page.locator('[data-testid="metric-chart"][data-key="loss"]').first() };
  }

  it('draws 200,000 points as min/max buckets with the spike at full height, and zooms down to the raw points', async () => {
    const { page, problems, chart } = await openRun();
    const sampled: { startStep?: number; endStep?: number; buckets: number; counts: number[] }[] = [];
    page.on('response', async (response) => {
      if (!response.url().endsWith('/call/metrics.sampledMany')) return;
      const input = JSON.parse(response.request().postData() ?? '{}') as { key: string; buckets: number; series: { startStep?: number; endStep?: number }[] };
      if (input.key !== 'loss') return;
      const body = (await response.json()) as { series: { buckets: { count: number }[] }[] };
      // The run page charts one run: one series per call.
      const [range] = input.series;
      sampled.push({ startStep: range?.startStep, endStep: range?.endStep, buckets: input.buckets, counts: body.series[0]!.buckets.map((b) => b.count) });
    });

    const whole = await settled(chart);
    expect(whole.max).toBe(SPIKE);
    expect(whole.xMin).toBe(0);
    expect(whole.xMax).toBe(POINTS - 1);
    // One bucket per pixel of width, at most four points per bucket: a few thousand, not 200,000.
    const width = (await chart.boundingBox())!.width;
    expect(sampled[0]!.buckets).toBe(Math.round(width));
    expect(whole.points).toBeLessThanOrEqual(4 * Math.round(width) + 4);
    expect(whole.points).toBeGreaterThan(Math.round(width));
    await expect.poll(() => page.locator('.cell[data-key="grad_norm"] .notes').textContent()).toContain('1 NaN not drawn');
    expect(await page.locator('.cell[data-key="grad_norm"] .notes').textContent()).toContain('2 ±∞ not drawn');
    await screenshot(page, 'charts-run-page');

    // Zoom to the few percent of the series around the spike: finer buckets for that range only.
    const spikeAt = SPIKE_STEP / (POINTS - 1);
    await dragZoom(page, chart, spikeAt - 0.02, spikeAt + 0.02);
    await expect.poll(async () => (await chartState(chart)).zoomed).toBe(true);
    const zoomed = await settled(chart);
    const zoomRequest = sampled.at(-1)!;
    expect(zoomRequest.startStep).toBeGreaterThan(100_000);
    expect(zoomRequest.endStep).toBeLessThan(150_000);
    expect(zoomed.max).toBe(SPIKE);
    const density = (s: { points: number; xMin: number; xMax: number }) => s.points / (s.xMax - s.xMin);
    expect(density(zoomed)).toBeGreaterThan(10 * density(whole));

    // Zoom again to a few dozen steps around the spike: every bucket is one raw point, values exact.
    const box = (await chart.locator('.u-over').boundingBox())!;
    const frac = (SPIKE_STEP - zoomed.xMin) / (zoomed.xMax - zoomed.xMin);
    const half = 30 / (zoomed.xMax - zoomed.xMin);
    expect(box.width).toBeGreaterThan(100);
    await dragZoom(page, chart, frac - half, frac + half);
    await expect.poll(async () => sampled.at(-1)!.endStep! - sampled.at(-1)!.startStep!, slow).toBeLessThan(200);
    const full = await settled(chart);
    const last = sampled.at(-1)!;
    expect(last.counts.every((c) => c === 1)).toBe(true);
    expect(full.points).toBe(last.endStep! - last.startStep! + 1);
    expect(full.max).toBe(SPIKE);
    // The legend at the cursor shows exact values: hover the step just after the spike.
    const plot = (await chart.locator('.u-over').boundingBox())!;
    const after = SPIKE_STEP + 3;
    await page.mouse.move(plot.x + ((after - full.xMin) / (full.xMax - full.xMin)) * plot.width, plot.y + plot.height / 2);
    await expect.poll(() => chart.locator('.legend').textContent()).toContain(`step ${after}`);
    expect(await chart.locator('.legend .value').textContent()).toBe(String(Number(loss(after).toPrecision(4))));
    await screenshot(page, 'charts-zoomed');

    // Double-click goes back to the whole series.
    await page.mouse.dblclick(plot.x + plot.width / 2, plot.y + plot.height / 2);
    await expect.poll(async () => (await chartState(chart)).zoomed).toBe(false);
    expect((await settled(chart)).xMax).toBe(POINTS - 1);
    expect(problems).toEqual([]);
  });

  it('zooms in, pans, zooms out and resets from the keyboard, and says so to screen readers', async () => {
    const { page, problems, chart } = await openRun();
    const whole = await settled(chart);
    const plot = chart.locator('.plot');
    const announced = () => chart.getByTestId('chart-announcement').textContent();
    expect(await plot.getAttribute('aria-label')).toMatch(/Plus zooms in, minus zooms out/);
    await plot.focus();
    await screenshot(page, 'charts-keyboard-focus');

    // + twice: the middle quarter of the series, with finer buckets fetched for it.
    await page.keyboard.press('+');
    await expect.poll(async () => (await chartState(chart)).zoomed).toBe(true);
    await settled(chart);
    await page.keyboard.press('+');
    await expect.poll(async () => (await settled(chart)).xMax - (await settled(chart)).xMin, slow).toBeLessThan((whole.xMax - whole.xMin) / 3);
    const quarter = await settled(chart);
    expect(quarter.xMin).toBeGreaterThan(whole.xMax * 0.3);
    expect(quarter.xMax).toBeLessThan(whole.xMax * 0.7);
    await expect.poll(announced).toMatch(/^loss: zoomed to step \d+ – step \d+$/);

    // → moves the window right by a quarter of its width.
    await page.keyboard.press('ArrowRight');
    await expect.poll(async () => (await settled(chart)).xMin, slow).toBeGreaterThan(quarter.xMin);

    // - widens it again; 0 shows the whole series.
    await page.keyboard.press('-');
    await expect.poll(async () => (await settled(chart)).xMax - (await settled(chart)).xMin, slow).toBeGreaterThan(quarter.xMax - quarter.xMin);
    await page.keyboard.press('0');
    await expect.poll(async () => (await chartState(chart)).zoomed).toBe(false);
    const back = await settled(chart);
    expect([back.xMin, back.xMax]).toEqual([whole.xMin, whole.xMax]);
    await expect.poll(announced).toBe('loss: the whole series');
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('puts wall time or relative time on x, and smoothing and the log scale change what is drawn', async () => {
    const { page, problems, chart } = await openRun();
    const byStep = await settled(chart);
    expect(byStep.xMax).toBe(POINTS - 1);

    const throughput = page.locator('[data-testid="metric-chart"][data-key="throughput"]').first();
    await throughput.scrollIntoViewIfNeeded();
    expect((await settled(throughput)).xMax).toBe(0);
    expect(await throughput.locator('.notes').textContent()).toContain('Every point is at step 0');
    await page.getByRole('radio', { name: 'Wall time' }).first().click();
    await expect.poll(async () => (await chartState(chart)).xMin, slow).toBe(START / 1000);
    expect((await chartState(chart)).xMax).toBeCloseTo((START + (POINTS - 1) * 10) / 1000, 0);
    await expect.poll(async () => (await chartState(throughput)).xMin, slow).toBe(START / 1000);
    const spread = await settled(throughput);
    expect(spread).toMatchObject({ points: 50, xMin: START / 1000, xMax: (START + 49 * 60_000) / 1000 });
    await page.getByRole('radio', { name: 'Relative time' }).first().click();
    await expect.poll(async () => (await chartState(chart)).xMin, slow).toBe(0);
    expect((await chartState(chart)).xMax).toBeCloseTo(((POINTS - 1) * 10) / 1000, 0);
    await page.getByRole('radio', { name: 'Step' }).first().click();
    await expect.poll(async () => (await chartState(chart)).xMax, slow).toBe(POINTS - 1);

    const accuracy = page.locator('[data-testid="metric-chart"][data-key="accuracy"]').first();
    await settled(accuracy);
    const raw = await accuracy.locator('canvas').screenshot();
    expect(await accuracy.locator('.smooth').count()).toBe(0);
    await page.getByRole('slider', { name: 'Smoothing' }).first().fill('0.9');
    await expect.poll(() => accuracy.locator('.smooth').count()).toBe(1);
    const smoothed = await accuracy.locator('canvas').screenshot();
    expect(smoothed.equals(raw)).toBe(false);
    await screenshot(page, 'charts-smoothed');

    await page.getByRole('checkbox', { name: 'Log scale' }).first().check();
    const lr = page.locator('[data-testid="metric-chart"][data-key="lr"]').first();
    await settled(lr);
    const log = await lr.locator('canvas').screenshot();
    await page.getByRole('checkbox', { name: 'Log scale' }).first().uncheck();
    await expect.poll(async () => (await lr.locator('canvas').screenshot()).equals(log)).toBe(false);
    expect(problems).toEqual([]);
  });

  it('follows a run that is still logging: new points appear without a reload', async () => {
    const { page, problems } = await openPage(browser);
    const { run } = await served.api.call('runs.create', { experimentId, runName: 'live' });
    const points = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => ({ key: 'reward', value: Math.sqrt(from + i), timestamp: Date.now(), step: from + i }));
    await served.api.call('runs.logBatch', { runId: run.info.runId, metrics: points(0, 20) });
    await page.goto(`${served.url}/#/experiments/${experimentId}/runs/${run.info.runId}`);
    const chart = page.locator('[data-testid="metric-chart"][data-key="reward"]');
    await chart.locator('canvas').waitFor();
    expect((await settled(chart)).xMax).toBe(19);
    await served.api.call('runs.logBatch', { runId: run.info.runId, metrics: points(20, 50) });
    await expect.poll(async () => (await chartState(chart)).xMax, { timeout: 15_000 }).toBe(49);
    expect((await settled(chart)).points).toBe(50);
    expect(problems).toEqual([]);
  });

  it('opens a chart large, in the dark theme too', async () => {
    const { page, problems } = await openRun('dark');
    await settled(page.locator('[data-testid="metric-chart"][data-key="loss"]').first());
    await screenshot(page, 'charts-run-page-dark');
    await page.getByRole('button', { name: 'Expand the chart of loss' }).click();
    const dialog = page.locator('dialog[open]');
    await dialog.waitFor();
    const large = await settled(dialog.locator('[data-testid="metric-chart"]'));
    expect(large.max).toBe(SPIKE);
    expect((await dialog.locator('[data-testid="metric-chart"]').boundingBox())!.width).toBeGreaterThan(900);
    await screenshot(page, 'charts-expanded-dark');
    await page.keyboard.press('Escape');
    await expect.poll(() => page.locator('dialog[open]').count()).toBe(0);
    expect(problems).toEqual([]);
  });
});
