/**
 * Window start-up benchmark in Chromium: the time from navigating to the window's address to its
 * experiment list drawn (every seeded experiment named in the sidebar), next to the load of a
 * blank page from a bare Node HTTP server in the same run (what the browser itself costs). Each
 * load is a fresh browser context, so nothing comes from a cache. It also reports the JavaScript
 * the window fetched by then against the whole window's JavaScript, which a single bundle made
 * the first view load. Needs the built window (`npm run build:ui`).
 */
import { readdirSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { openFlowdesk } from '#core/flowdesk.ts';
import { launchChromium, prepareDataDir, serveFlowdesk } from '../test/e2e/e2e-helpers.ts';
import { median, report } from './bench-util.ts';

const EXPERIMENTS = 30;
const ROUNDS = 9;
const ASSETS = 'renderer/dist/assets';

/** In the page: the time once the sidebar names `count` experiments, else false. */
function listDrawnAt(count: number): number | false {
  // Runs in the page; typed by hand, since the benchmarks compile without the DOM library.
  const doc = (globalThis as unknown as { document: { querySelectorAll(selector: string): { length: number } } }).document;
  return doc.querySelectorAll('nav.sidebar li a .name').length >= count ? performance.now() : false;
}

/** In the page: the decoded bytes of every script fetched so far. */
function scriptBytes(): number {
  const entries = performance.getEntriesByType('resource') as unknown as { name: string; decodedBodySize: number }[];
  return entries.filter((e) => e.name.endsWith('.js')).reduce((sum, e) => sum + e.decodedBodySize, 0);
}

/** Milliseconds from navigation to the experiment list drawn, and the script bytes fetched by then. */
async function timeToList(browser: Browser, url: string): Promise<{ ms: number; bytes: number }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  try {
    const page = await context.newPage();
    await page.goto(url, { waitUntil: 'commit' });
    const ms = (await (await page.waitForFunction(listDrawnAt, EXPERIMENTS, { polling: 'raf', timeout: 60_000 })).jsonValue()) as number;
    return { ms, bytes: await page.evaluate(scriptBytes) };
  } finally {
    await context.close();
  }
}

/** Milliseconds from navigation to a blank page's load event. */
async function timeToBlank(browser: Browser, url: string): Promise<number> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  try {
    const page = await context.newPage();
    await page.goto(url, { waitUntil: 'load' });
    // Node's typings lack the browser's 'navigation' entry type; the page has it.
    return await page.evaluate(() => (performance.getEntriesByType('navigation' as 'mark')[0] as unknown as { loadEventEnd: number }).loadEventEnd);
  } finally {
    await context.close();
  }
}

export async function runWindowStartBench(): Promise<void> {
  const dataDir = await prepareDataDir(async (dir) => {
    const fd = await openFlowdesk({ dataDir: dir });
    try {
      for (let i = 0; i < EXPERIMENTS; i++) await fd.handlers['experiments.create']({ name: `window-start-${String(i).padStart(2, '0')}` });
    } finally {
      await fd.close();
    }
  });
  const blank = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>blank</title>'));
  await new Promise<void>((resolve) => blank.listen(0, '127.0.0.1', resolve));
  const blankUrl = `http://127.0.0.1:${(blank.address() as AddressInfo).port}/`;
  const served = await serveFlowdesk(dataDir);
  const browser = await launchChromium();
  try {
    // One warm-up of each (the server's first answers, Chromium's own start), then alternate so
    // background load on the machine hits both alike.
    await timeToBlank(browser, blankUrl);
    await timeToList(browser, served.url);
    const blanks: number[] = [];
    const lists: { ms: number; bytes: number }[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      blanks.push(await timeToBlank(browser, blankUrl));
      lists.push(await timeToList(browser, served.url));
    }
    const allScripts = readdirSync(ASSETS)
      .filter((f) => f.endsWith('.js'))
      .reduce((sum, f) => sum + statSync(join(ASSETS, f)).size, 0);
    const list = median(lists.map((l) => l.ms));
    const blankMs = median(blanks);
    const kb = (bytes: number) => `${(bytes / 1024).toFixed(0)} KB`;
    report(`Window start-up in Chromium: navigation to the drawn list of ${EXPERIMENTS} experiments (median of ${ROUNDS}, fresh context each)`, [
      ['to the drawn experiment list', `${list.toFixed(0)} ms`],
      ['baseline: a blank page from bare Node', `${blankMs.toFixed(0)} ms`],
      ['difference', `${(list - blankMs).toFixed(0)} ms`],
      ['JavaScript fetched by then', `${kb(median(lists.map((l) => l.bytes)))} (the contract's schemas included, loaded alongside the first call)`],
      ['the whole window\'s JavaScript', `${kb(allScripts)} (what the single bundle made the first view load before the split)`],
    ]);
  } finally {
    await browser.close();
    await served.stop();
    await new Promise((resolve) => blank.close(resolve));
  }
}
