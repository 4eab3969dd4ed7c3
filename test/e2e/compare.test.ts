import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, openPage, prepareDataDir, screenshot, serveFlowdesk, type ServedFlowdesk } from './e2e-helpers.ts';

const HOSTILE = '<img src=x onerror=alert(1)>';

describe('comparing runs', () => {
  let browser: Browser;
  let served: ServedFlowdesk;
  let baseline: string;
  let tuned: string;
  let other: string;

  beforeAll(async () => {
    served = await serveFlowdesk(await prepareDataDir());
    const { experimentId } = await served.api.call('experiments.create', { name: 'cifar' });
    const second = await served.api.call('experiments.create', { name: 'cifar-ablations' });
    const start = Date.now() - 3_600_000;
    const log = async (experiment: string, runName: string, params: Record<string, string>, scale: number, acc: number) => {
      const { run } = await served.api.call('runs.create', { experimentId: experiment, runName, startTime: start });
      const metrics = Array.from({ length: 120 }, (_, step) => [
        { key: 'loss', value: scale * Math.exp(-step / 40) + 0.05 * Math.sin(step), timestamp: start + step * 2000, step },
        { key: 'val/acc', value: acc * (1 - Math.exp(-step / 30)), timestamp: start + step * 2000, step },
      ]).flat();
      await served.api.call('runs.logBatch', { runId: run.info.runId, params: Object.entries(params).map(([key, value]) => ({ key, value })), metrics });
      await served.api.call('runs.update', { runId: run.info.runId, status: 'FINISHED', endTime: start + 240_000 });
      return run.info.runId;
    };
    baseline = await log(experimentId, 'resnet-baseline', { lr: '0.01', model: 'resnet18', epochs: '30', optimizer: 'sgd', note: HOSTILE }, 2, 0.82);
    tuned = await log(experimentId, HOSTILE, { lr: '0.003', model: 'resnet18', epochs: '30', optimizer: 'adam', seed: '7', note: HOSTILE }, 1.6, 0.88);
    other = await log(second.experimentId, 'vit-small', { lr: '0.001', model: 'vit-s16', epochs: '30', optimizer: 'adamw' }, 1.2, 0.91);
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await served?.stop();
  });

  const paramRows = (page: Page) => page.locator('table[aria-label="Parameters side by side"] tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-param')));

  it('shows two runs side by side, and only the differing params when asked', async () => {
    const { page, problems } = await openPage(browser);
    await page.goto(`${served.url}/#/compare?runs=${baseline},${tuned}`);
    await page.getByRole('heading', { name: 'Comparing 2 runs' }).waitFor();
    // The hostile run name is text in the run card, the summary, the table and the legends, never markup.
    await expect.poll(() => page.getByRole('link', { name: HOSTILE }).count()).toBe(2);
    expect(await page.locator('img[src="x"]').count()).toBe(0);
    expect(await paramRows(page)).toEqual(['epochs', 'lr', 'model', 'note', 'optimizer', 'seed']);

    await page.getByRole('checkbox', { name: 'Only differences' }).check();
    // lr and optimizer differ; seed is missing from the baseline, which counts as different.
    await expect.poll(() => paramRows(page)).toEqual(['lr', 'optimizer', 'seed']);
    expect(page.url()).toContain('diff=1');
    expect(await page.locator('tr[data-param="seed"] td').first().textContent()).toBe('—');
    await page.locator('[data-testid="metric-chart"][data-key="loss"]').first().locator('canvas').waitFor();
    await expect.poll(() => page.locator('[data-testid="metric-chart"][data-key="loss"] .legend .name').allTextContents()).toEqual(['resnet-baseline', HOSTILE]);
    await screenshot(page, 'compare-two-runs');

    // The link reopens the same comparison.
    await page.reload();
    await page.getByRole('heading', { name: 'Comparing 2 runs' }).waitFor();
    expect(await page.getByRole('checkbox', { name: 'Only differences' }).isChecked()).toBe(true);
    expect(await paramRows(page)).toEqual(['lr', 'optimizer', 'seed']);
    expect(problems).toEqual([]);
  });

  it('compares runs of two experiments with overlaid charts, a scatter and parallel coordinates', async () => {
    const { page, problems } = await openPage(browser);
    await page.goto(`${served.url}/#/compare?runs=${baseline},${tuned},${other}`);
    await page.getByRole('heading', { name: 'Comparing 3 runs' }).waitFor();
    await expect.poll(() => page.getByText('from 2 experiments').count()).toBe(1);

    const loss = page.locator('[data-testid="metric-chart"][data-key="loss"]').first();
    await loss.locator('canvas').waitFor();
    await expect.poll(() => loss.getAttribute('data-points')).toBe(String(3 * 120));

    const scatter = page.getByTestId('scatter');
    await expect.poll(() => scatter.getAttribute('data-points')).toBe('3');
    expect(await scatter.locator('circle').count()).toBe(3);
    await page.getByRole('combobox', { name: 'Scatter x' }).selectOption('metric:val/acc');
    await page.getByRole('combobox', { name: 'Scatter y' }).selectOption('metric:loss');
    expect(decodeURIComponent(page.url())).toContain('x=metric:val/acc');
    expect(await scatter.locator('svg').getAttribute('aria-label')).toBe('Scatter of loss against val/acc');

    const parallel = page.getByTestId('parallel-coordinates');
    // By default: the first four differing params and the metrics. note has one value (missing
    // from one run), so it is stated as a value, not drawn as an axis with a lone point.
    await expect.poll(() => parallel.locator('g.axis').evaluateAll((axes) => axes.map((a) => a.getAttribute('data-field')))).toEqual([
      'param:lr', 'param:model', 'param:optimizer', 'metric:loss', 'metric:val/acc',
    ]);
    expect(await parallel.locator('[data-constant="param:note"]').textContent()).toMatch(/note = <img src=x onerror=alert\(1\)> in 2 of 3 runs/);
    expect(await parallel.locator('g.run').count()).toBe(3);
    // lr is numeric (within a decade: linear), model is a category axis.
    expect(await parallel.locator('g.axis[data-field="param:model"]').getAttribute('data-scale')).toBe('categorical');
    expect(await parallel.locator('g.axis[data-field="param:lr"]').getAttribute('data-scale')).toBe('linear');
    await page.getByRole('button', { name: 'Remove axis note' }).click();
    await page.getByRole('combobox', { name: 'Add axis' }).selectOption('param:epochs');
    await expect.poll(() => page.locator('[data-constant="param:epochs"]').count()).toBe(1);
    expect(decodeURIComponent(page.url())).toContain('axes=param:lr,param:model,param:optimizer,metric:loss,metric:val/acc,param:epochs');
    await page.locator('#cmp-parallel').evaluate((el) => (el as unknown as { scrollIntoView(o: object): void }).scrollIntoView({ block: 'start' }));
    await screenshot(page, 'compare-scatter-parallel');
    expect(problems).toEqual([]);
  });

  it('brushes a parallel-coordinates axis with the keyboard alone, the runs kept read out', async () => {
    const { page, problems } = await openPage(browser);
    await page.goto(`${served.url}/#/compare?runs=${baseline},${tuned},${other}`);
    const parallel = page.getByTestId('parallel-coordinates');
    const lr = parallel.getByRole('slider', { name: /^Brush lr: arrow keys move a range/ });
    await lr.waitFor();
    await lr.focus();
    expect(await lr.getAttribute('aria-valuetext')).toBe('no range brushed');

    // ↑ starts a range around the middle of lr's axis (0.001 at the bottom, 0.01 at the top): no run there.
    await page.keyboard.press('ArrowUp');
    await expect.poll(() => parallel.getAttribute('data-kept')).toBe('0');
    expect(await lr.getAttribute('aria-valuetext')).toBe('from 40% to 60% of the axis, bottom to top');
    // ↑ moves it to the top, where only the baseline's 0.01 is; the status says so.
    for (let i = 0; i < 8; i++) await page.keyboard.press('ArrowUp');
    await expect.poll(() => parallel.getAttribute('data-kept')).toBe('1');
    expect(await parallel.locator(`g.run[data-run="${baseline}"]`).getAttribute('data-kept')).toBe('true');
    expect(await page.getByRole('status').filter({ hasText: 'runs in the brushed range' }).textContent()).toMatch(/1\s*of 3 runs in the brushed range/);
    // Shift+↓ narrows it; widening it back down with Shift+↑ reaches the tuned run's 0.003 too.
    await page.keyboard.press('Shift+ArrowDown');
    expect(await lr.getAttribute('aria-valuetext')).toBe('from 83% to 98% of the axis, bottom to top');
    for (let i = 0; i < 26; i++) await page.keyboard.press('Shift+ArrowUp');
    await expect.poll(() => parallel.getAttribute('data-kept')).toBe('2');
    await page.locator('#cmp-parallel').evaluate((el) => (el as unknown as { scrollIntoView(o: object): void }).scrollIntoView({ block: 'start' }));
    await screenshot(page, 'compare-parallel-keyboard-brush');
    // Delete clears it: every run is back.
    await page.keyboard.press('Delete');
    await expect.poll(() => parallel.getAttribute('data-kept')).toBe('3');
    expect(await lr.getAttribute('aria-valuetext')).toBe('no range brushed');
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('looks finished in the dark theme too', async () => {
    const { page, problems } = await openPage(browser, { colorScheme: 'dark' });
    await page.goto(`${served.url}/#/compare?runs=${baseline},${tuned},${other}&diff=1`);
    await page.locator('[data-testid="metric-chart"][data-key="val/acc"]').first().locator('canvas').waitFor();
    await screenshot(page, 'compare-dark');
    await page.locator('#cmp-parallel').evaluate((el) => (el as unknown as { scrollIntoView(o: object): void }).scrollIntoView({ block: 'start' }));
    await page.getByTestId('parallel-coordinates').locator('g.run').first().waitFor();
    await screenshot(page, 'compare-scatter-parallel-dark');
    expect(problems).toEqual([]);
  });

  it('says which runs of a link do not exist instead of showing a blank page', async () => {
    const { page, problems } = await openPage(browser);
    const unknown = 'f'.repeat(32);
    await page.goto(`${served.url}/#/compare?runs=${baseline},${unknown},not-a-run,${tuned}`);
    await page.getByRole('heading', { name: 'Comparing 2 runs' }).waitFor();
    const warning = page.getByRole('alert');
    expect(await warning.textContent()).toContain('2 runs in this link were not found');
    expect(await warning.locator('code').allTextContents()).toEqual([unknown, 'not-a-run']);

    await page.goto(`${served.url}/#/compare?runs=${unknown},${baseline}`);
    await page.getByRole('heading', { name: 'Not enough runs to compare' }).waitFor();
    expect(await page.getByRole('link', { name: 'Open resnet-baseline' }).count()).toBe(1);
    await screenshot(page, 'compare-missing-runs');

    await page.goto(`${served.url}/#/compare`);
    await page.getByRole('heading', { name: 'Compare runs' }).waitFor();
    // The browser logs the 404/400 answers for the unknown ids; nothing else may go wrong.
    expect(problems.filter((p) => !/status of 40[04]/.test(p))).toEqual([]);
  });
});
