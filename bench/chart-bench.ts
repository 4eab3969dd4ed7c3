/**
 * Chart benchmark in Chromium: the time from navigating to the compare view of 10 runs (scrolled
 * to the chart as soon as it exists) to the first drawn chart of their `loss`, when each run has 1,000,000 points, against the same view
 * when each has 1,000 (the baseline, measured in the same run). Needs the built window
 * (`npm run build:ui`).
 *
 * The data is filled through the core, not over HTTP: one run logs its million points through
 * `runs.logBatch` (so the summaries are the writer's own), and the other nine are copies of it made
 * in SQL with each value shifted, which keeps every summary exact and takes seconds, not minutes.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Browser } from 'playwright-core';
import { openFlowdesk } from '#core/flowdesk.ts';
import { launchChromium, prepareDataDir, serveFlowdesk } from '../test/e2e/e2e-helpers.ts';
import { median, report } from './bench-util.ts';

const RUNS = 10;
const BIG = 1_000_000;
const SMALL = 1_000;
const ROUNDS = 5;

const lossAt = (step: number) => 1 / (1 + step / 50_000) + 0.04 * Math.sin(step / 37);

/** Logs `points` of `loss` to a new run through the core, batches in flight together as a busy script would. */
async function logRun(fd: Awaited<ReturnType<typeof openFlowdesk>>, experimentId: string, name: string, points: number): Promise<string> {
  const { runId } = (await fd.handlers['runs.create']({ experimentId, runName: name, startTime: 1_700_000_000_000 })).run.info;
  let inFlight: Promise<unknown>[] = [];
  for (let first = 0; first < points; first += 1000) {
    const metrics = Array.from({ length: Math.min(1000, points - first) }, (_, i) => ({ key: 'loss', value: lossAt(first + i), timestamp: 1_700_000_000_000 + (first + i) * 10, step: first + i }));
    inFlight.push(fd.handlers['runs.logBatch']({ runId, metrics }));
    if (inFlight.length >= 32) {
      await Promise.all(inFlight);
      inFlight = [];
    }
  }
  await Promise.all(inFlight);
  return runId;
}

/** Copies the `loss` series of `source` (a run uuid) into each of `targets`, values shifted by 0.05 per copy. */
function copySeries(catalogPath: string, source: string, targets: string[]): void {
  const db = new Database(catalogPath);
  const runRow = db.prepare<[string], { id: number }>('select id from runs where run_uuid = ?');
  const from = db.prepare<[number], { id: number }>("select id from metric_series where run_id = ? and key = 'loss'").get(runRow.get(source)!.id)!.id;
  db.transaction(() => {
    targets.forEach((target, k) => {
      const shift = 0.05 * (k + 1);
      const { id } = db
        .prepare<[number, number, number], { id: number }>(
          'insert into metric_series (run_id, key, value, is_nan, timestamp, step, point_count, nan_count, min_step, max_step) select ?, key, value + ?, is_nan, timestamp, step, point_count, nan_count, min_step, max_step from metric_series where id = ? returning id',
        )
        .get(runRow.get(target)!.id, shift, from)!;
      db.prepare('insert into metrics (series_id, step, timestamp, value, is_nan) select ?, step, timestamp, value + ?, is_nan from metrics where series_id = ?').run(id, shift, from);
      db.prepare(
        'insert into metric_buckets (series_id, level, bucket, count, min, max, first_step, first_timestamp, first_value, last_step, last_timestamp, last_value) select ?, level, bucket, count, min + ?, max + ?, first_step, first_timestamp, first_value + ?, last_step, last_timestamp, last_value + ? from metric_buckets where series_id = ?',
      ).run(id, shift, shift, shift, shift, from);
    });
  })();
  db.close();
}

/** Milliseconds from navigation to the chart of `loss` drawn with every run's points. */
async function timeToChart(browser: Browser, url: string, runIds: string[]): Promise<number> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  try {
    const page = await context.newPage();
    await page.goto(`${url}/#/compare?runs=${runIds.join(',')}`, { waitUntil: 'commit' });
    const handle = await page.waitForFunction(
      () => {
        // Runs in the page; typed by hand, since the benchmarks compile without the DOM library.
        type Element = { dataset: Record<string, string>; querySelector(selector: string): unknown; scrollIntoView(options: object): void };
        const doc = (globalThis as unknown as { document: { querySelector(selector: string): Element | null } }).document;
        const chart = doc.querySelector('[data-testid="metric-chart"][data-key="loss"]');
        if (!chart) return false;
        // The compare page puts its charts below the summary and fetches a chart only once it is in
        // view, so go to it as a reader would; scrolling an element already in view is a no-op.
        chart.scrollIntoView({ block: 'start' });
        return chart.querySelector('canvas') && chart.dataset.loading === 'false' && Number(chart.dataset.points) > 0 ? performance.now() : false;
      },
      undefined,
      { polling: 'raf', timeout: 60_000 },
    );
    return (await handle.jsonValue()) as number;
  } finally {
    await context.close();
  }
}

export async function runChartBench(): Promise<void> {
  let big: string[] = [];
  const small: string[] = [];
  const dataDir = await prepareDataDir(async (dir) => {
    const fd = await openFlowdesk({ dataDir: dir });
    try {
      const { experimentId } = await fd.handlers['experiments.create']({ name: 'chart-bench' });
      big = [await logRun(fd, experimentId, 'big-0', BIG)];
      for (let k = 1; k < RUNS; k++) big.push((await fd.handlers['runs.create']({ experimentId, runName: `big-${k}`, startTime: 1_700_000_000_000 })).run.info.runId);
      for (let k = 0; k < RUNS; k++) small.push(await logRun(fd, experimentId, `small-${k}`, SMALL));
    } finally {
      await fd.close();
    }
    copySeries(join(dir, 'catalog.sqlite'), big[0]!, big.slice(1));
  });
  const served = await serveFlowdesk(dataDir);
  const browser = await launchChromium();
  try {
    // One warm-up of each, then alternate so background load on the machine hits both alike.
    await timeToChart(browser, served.url, small);
    await timeToChart(browser, served.url, big);
    const smallMs: number[] = [];
    const bigMs: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      smallMs.push(await timeToChart(browser, served.url, small));
      bigMs.push(await timeToChart(browser, served.url, big));
    }
    const b = median(bigMs);
    const s = median(smallMs);
    report(`Chart in Chromium: navigation to the first drawn chart of ${RUNS} runs (median of ${ROUNDS})`, [
      [`${RUNS} runs × ${BIG.toLocaleString('en')} points`, `${b.toFixed(0)} ms (goal < 1000 ms)`],
      [`baseline: ${RUNS} runs × ${SMALL.toLocaleString('en')} points`, `${s.toFixed(0)} ms`],
      ['ratio', `${(b / s).toFixed(2)}× the baseline for ${BIG / SMALL}× the points`],
    ]);
  } finally {
    await browser.close();
    await served.stop();
  }
}
