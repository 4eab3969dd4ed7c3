/**
 * The runs table in Chromium: navigating to an experiment of 50,000 runs until its first rows
 * are drawn, and scrolling it (frame times from requestAnimationFrame deltas while the grid is
 * scrolled programmatically, one step per frame). The baseline is the same on 500 runs, measured
 * in the same run, so the ratios say what the size costs. Runs are written into the catalog
 * directly (as the e2e tests seed large tables) and served by a real `flowdesk serve`.
 * The table's own questions to the catalog (column stats for the default columns, group by a
 * numeric param in ranges) are timed in-process on the same two sizes, read from every run and
 * asked again unchanged (answered from the catalog's store).
 */
import { spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { openFlowdesk } from '#core/flowdesk.ts';
import { launchChromium, prepareDataDir, seedBulkRuns, serveFlowdesk } from '../test/e2e/e2e-helpers.ts';
import { median, percentile, report } from './bench-util.ts';

const LARGE = 50_000;
const BASELINE = 500;
const NAVIGATIONS = 7;
const SCROLL_FRAMES = 300;
/** Pixels scrolled per frame: ten rows, a brisk flick held for five seconds. */
const SCROLL_STEP = 320;

/**
 * Scrolls the grid down by STEP pixels each frame for FRAMES frames (back to the top at the end of
 * what is loaded) and resolves with the time between frames. A string, not a function: the
 * TypeScript loader would add helpers to a function that do not exist in the page.
 */
const SCROLL_SCRIPT = `new Promise((resolve, reject) => {
  const grid = document.querySelector('[role="grid"][aria-label="Runs"]');
  const deltas = [];
  let last = 0;
  function tick(now) {
    try {
      if (last > 0) deltas.push(now - last);
      last = now;
      const bottom = grid.scrollHeight - grid.clientHeight;
      grid.scrollTop = grid.scrollTop + STEP >= bottom ? 0 : grid.scrollTop + STEP;
      if (deltas.length < FRAMES) requestAnimationFrame(tick);
      else resolve(deltas);
    } catch (err) {
      reject(err);
    }
  }
  requestAnimationFrame(() => requestAnimationFrame(tick));
})`;

interface TableTimes {
  navigationMs: number[];
  frameMs: number[];
}

/** Builds the window when it is not built yet (the server serves renderer/dist). */
async function ensureWindowBuilt(): Promise<void> {
  if (existsSync('renderer/dist/index.html')) return;
  await new Promise<void>((resolve, reject) => {
    const child = spawn('npm', ['run', 'build:ui'], { stdio: 'inherit' });
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`npm run build:ui exited with ${code}`))));
  });
}

async function measure(browser: Browser, runs: number): Promise<TableTimes> {
  let experimentId = '';
  const served = await serveFlowdesk(await prepareDataDir(async (dir) => void (experimentId = await seedBulkRuns(dir, `bench-${runs}`, runs))));
  try {
    const navigationMs: number[] = [];
    for (let i = 0; i < NAVIGATIONS; i++) {
      // A fresh context each time: no cached page, no warm script, as a person opening the window.
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      const page = await context.newPage();
      const start = performance.now();
      await page.goto(`${served.url}/#/experiments/${experimentId}`);
      await page.locator('[role="row"][data-run-id] .run-link').first().waitFor();
      navigationMs.push(performance.now() - start);
      await context.close();
    }

    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    await page.goto(`${served.url}/#/experiments/${experimentId}`);
    await page.locator('[role="row"][data-run-id] .run-link').first().waitFor();
    const frameMs = await page.evaluate<number[]>(SCROLL_SCRIPT.replaceAll('FRAMES', String(SCROLL_FRAMES)).replaceAll('STEP', String(SCROLL_STEP)));
    await context.close();
    return { navigationMs, frameMs };
  } finally {
    await served.stop();
  }
}

export async function runTableBench(): Promise<void> {
  await ensureWindowBuilt();
  const browser = await launchChromium();
  try {
    const base = await measure(browser, BASELINE);
    const large = await measure(browser, LARGE);
    const nav = (t: TableTimes) => median(t.navigationMs);
    const frames = (t: TableTimes) => `p50 ${percentile(t.frameMs, 50).toFixed(1)} ms, p95 ${percentile(t.frameMs, 95).toFixed(1)} ms, max ${Math.max(...t.frameMs).toFixed(1)} ms`;
    report(`Runs table in Chromium (headless), ${LARGE.toLocaleString()} runs against ${BASELINE} (baseline)`, [
      [`navigation to a drawn table, ${BASELINE} runs (baseline, median of ${NAVIGATIONS})`, `${nav(base).toFixed(0)} ms`],
      [`navigation to a drawn table, ${LARGE.toLocaleString()} runs (median of ${NAVIGATIONS})`, `${nav(large).toFixed(0)} ms (ratio to baseline ${(nav(large) / nav(base)).toFixed(2)}; goal < 1,500 ms)`],
      [`scrolling, ${BASELINE} runs, ${SCROLL_FRAMES} frames (baseline)`, frames(base)],
      [`scrolling, ${LARGE.toLocaleString()} runs, ${SCROLL_FRAMES} frames`, `${frames(large)} (p95 ratio to baseline ${(percentile(large.frameMs, 95) / percentile(base.frameMs, 95)).toFixed(2)}; goal < 16 ms)`],
    ]);
  } finally {
    await browser.close();
  }
}

/** Calls each of the runs table's catalog questions this many times; the median is reported. */
const QUERY_CALLS = 9;

interface QueryTimes {
  /** Read from every run: the catalog's store of answers emptied before each call. */
  columnStatsMs: number[];
  rangesMs: number[];
  /** Asked again with nothing changed: served from the store. */
  columnStatsCachedMs: number[];
  rangesCachedMs: number[];
}

async function measureQueries(runs: number): Promise<QueryTimes> {
  let experimentId = '';
  const dataDir = await prepareDataDir(async (dir) => void (experimentId = await seedBulkRuns(dir, `bench-${runs}`, runs)));
  const fd = await openFlowdesk({ dataDir });
  try {
    const timed = async (call: () => Promise<unknown>, cold: boolean) => {
      const times: number[] = [];
      for (let i = 0; i < QUERY_CALLS; i++) {
        if (cold) await fd.catalog.write((trx) => trx.deleteFrom('aggregate_cache').execute());
        const start = performance.now();
        await call();
        times.push(performance.now() - start);
      }
      return times;
    };
    const columnStats = () => fd.handlers['runs.columnStats']({ experimentIds: [experimentId] });
    // `seed` takes a distinct value per run: the case that made thousands of groups before ranges.
    const ranges = () => fd.handlers['runs.groups']({ experimentIds: [experimentId], param: 'seed', bins: 20 });
    return {
      columnStatsMs: await timed(columnStats, true),
      rangesMs: await timed(ranges, true),
      columnStatsCachedMs: await timed(columnStats, false),
      rangesCachedMs: await timed(ranges, false),
    };
  } finally {
    await fd.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/**
 * The runs table's catalog questions at 50,000 runs against 500 (baseline), in-process: read from
 * every run (as after a change), and asked again with nothing changed (from the catalog's store).
 */
export async function runTableQueriesBench(): Promise<void> {
  const base = await measureQueries(BASELINE);
  const large = await measureQueries(LARGE);
  const ms = (times: number[]) => median(times);
  const line = (label: string, read: (t: QueryTimes) => number[], cached: (t: QueryTimes) => number[]): [string, string][] => [
    [`${label}, ${BASELINE} runs, read from every run (baseline, median of ${QUERY_CALLS})`, `${ms(read(base)).toFixed(1)} ms`],
    [`${label}, ${LARGE.toLocaleString()} runs, read from every run (median of ${QUERY_CALLS})`, `${ms(read(large)).toFixed(1)} ms (ratio to baseline ${(ms(read(large)) / ms(read(base))).toFixed(1)})`],
    [
      `${label}, ${LARGE.toLocaleString()} runs, asked again unchanged (median of ${QUERY_CALLS})`,
      `${ms(cached(large)).toFixed(1)} ms (ratio to the read from every run ${(ms(cached(large)) / ms(read(large))).toPrecision(2)}; goal < 200 ms)`,
    ],
  ];
  report(`Runs table queries in-process, ${LARGE.toLocaleString()} runs against ${BASELINE} (baseline)`, [
    ...line('runs.columnStats (default columns)', (t) => t.columnStatsMs, (t) => t.columnStatsCachedMs),
    ...line('runs.groups by a numeric param in 20 ranges', (t) => t.rangesMs, (t) => t.rangesCachedMs),
  ]);
}
