/**
 * Trace view benchmark in Chromium: the time from navigating to a trace's page to its span tree
 * and waterfall drawn (rows with their bars on screen), for an agent trace of 1,000 spans against
 * one of 10 spans (the baseline, measured in the same run). Needs the built window
 * (`npm run build:ui`). The traces are written through the core (`traces.logSpans`).
 */
import type { Browser } from 'playwright-core';
import { openFlowdesk } from '#core/flowdesk.ts';
import { launchChromium, prepareDataDir, serveFlowdesk } from '../test/e2e/e2e-helpers.ts';
import { seedAgentTrace } from '../test/e2e/trace-seed.ts';
import { median, report } from './bench-util.ts';

const BIG = 1_000;
const SMALL = 10;
const ROUNDS = 7;

/** In the page: the time once the trace's tree is drawn with its bars and the selected span's details, else false. */
function drawnAt(count: number): number | false {
  // Runs in the page; typed by hand, since the benchmarks compile without the DOM library.
  const doc = (globalThis as unknown as { document: { querySelector(selector: string): unknown } }).document;
  return doc.querySelector(`[data-testid="span-tree"][data-spans="${count}"] [role="treeitem"] .bar`) && doc.querySelector('article.span-details') ? performance.now() : false;
}

/**
 * Milliseconds to the trace's tree drawn: `open` from following a link in the window already
 * showing the start page (what opening a trace costs), `cold` from loading the page at the
 * trace's address (the window's own start-up included).
 */
async function timeToTree(browser: Browser, url: string, traceId: string, spans: number): Promise<{ open: number; cold: number }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  try {
    const page = await context.newPage();
    await page.goto(`${url}/#/traces/${traceId}`, { waitUntil: 'commit' });
    const cold = (await (await page.waitForFunction(drawnAt, spans, { polling: 'raf', timeout: 60_000 })).jsonValue()) as number;
    await page.evaluate(() => (globalThis as unknown as { location: { hash: string } }).location.hash = '#/');
    await page.locator('[data-testid="span-tree"]').waitFor({ state: 'detached' });
    await page.waitForLoadState('networkidle');
    const started = await page.evaluate((id) => {
      const now = performance.now();
      (globalThis as unknown as { location: { hash: string } }).location.hash = `#/traces/${id}`;
      return now;
    }, traceId);
    const done = (await (await page.waitForFunction(drawnAt, spans, { polling: 'raf', timeout: 60_000 })).jsonValue()) as number;
    return { open: done - started, cold };
  } finally {
    await context.close();
  }
}

export async function runTraceViewBench(): Promise<void> {
  let big = '';
  let small = '';
  const dataDir = await prepareDataDir(async (dir) => {
    const fd = await openFlowdesk({ dataDir: dir });
    try {
      const { experimentId } = await fd.handlers['experiments.create']({ name: 'trace-view-bench' });
      big = await seedAgentTrace(fd, experimentId, BIG, 1);
      small = await seedAgentTrace(fd, experimentId, SMALL, 2);
    } finally {
      await fd.close();
    }
  });
  const served = await serveFlowdesk(dataDir);
  const browser = await launchChromium();
  try {
    // One warm-up of each, then alternate so background load on the machine hits both alike.
    await timeToTree(browser, served.url, small, SMALL);
    await timeToTree(browser, served.url, big, BIG);
    const smallRuns: { open: number; cold: number }[] = [];
    const bigRuns: { open: number; cold: number }[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      smallRuns.push(await timeToTree(browser, served.url, small, SMALL));
      bigRuns.push(await timeToTree(browser, served.url, big, BIG));
    }
    const b = median(bigRuns.map((r) => r.open));
    const s = median(smallRuns.map((r) => r.open));
    report(`Trace view in Chromium: opening a trace from the window to its drawn span tree and waterfall (median of ${ROUNDS})`, [
      [`${BIG.toLocaleString('en')} spans`, `${b.toFixed(0)} ms (goal < 500 ms)`],
      [`baseline: ${SMALL} spans`, `${s.toFixed(0)} ms`],
      ['ratio', `${(b / s).toFixed(2)}× the baseline for ${BIG / SMALL}× the spans`],
      [`loading the page at a ${BIG.toLocaleString('en')}-span trace`, `${median(bigRuns.map((r) => r.cold)).toFixed(0)} ms (start-up included; ${SMALL} spans: ${median(smallRuns.map((r) => r.cold)).toFixed(0)} ms)`],
    ]);
  } finally {
    await browser.close();
    await served.stop();
  }
}
