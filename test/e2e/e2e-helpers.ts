/**
 * End-to-end plumbing: a real `flowdesk serve` in a child process, Debian's Chromium driven by
 * playwright-core, screenshots for people to look at, and bulk seeding for large tables.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createClient, type Client } from '#core/api/client.ts';
import { createHttpTransport } from '#core/api/http-transport.ts';
import { openFlowdesk } from '#core/flowdesk.ts';

const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOTS = join(import.meta.dirname, 'screenshots');

/** A running `flowdesk serve` over its own data folder. */
export interface ServedFlowdesk {
  url: string;
  dataDir: string;
  /** The contract client over HTTP, as a script would log. */
  api: Client;
  stop(): Promise<void>;
}

/** A fresh data folder; `seed` may fill it (the server is not running yet, so it may open the catalog). */
export async function prepareDataDir(seed?: (dataDir: string) => Promise<void>): Promise<string> {
  const dataDir = mkdtempSync(join(tmpdir(), 'flowdesk-e2e-'));
  if (seed) await seed(dataDir);
  return dataDir;
}

/**
 * Starts `node bin/flowdesk.js serve --port 0` on `dataDir` and waits for the URL it prints;
 * `token` signs the returned client's calls; `allowRun` passes --allow-run, so the window may run
 * projects and serve models; `args` are further `flowdesk serve` options (`--catalog`, `--artifacts`).
 */
export async function serveFlowdesk(dataDir: string, options: { token?: string; allowRun?: boolean; args?: string[] } = {}): Promise<ServedFlowdesk> {
  if (!existsSync('renderer/dist/index.html')) throw new Error('The window is not built: run `npm run build:ui` first (npm test does).');
  const args = ['bin/flowdesk.js', 'serve', '--port', '0', '--data-dir', dataDir, ...(options.allowRun ? ['--allow-run'] : []), ...(options.args ?? [])];
  const child: ChildProcess = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const match = /Listening on (\S+)/.exec(out);
      if (match) resolve(match[1]!);
    });
    child.on('exit', (code) => reject(new Error(`flowdesk serve exited with ${code}: ${err}`)));
  });
  return {
    url,
    dataDir,
    api: createClient(createHttpTransport({ baseUrl: url, fetch, token: options.token })),
    async stop() {
      child.kill('SIGTERM');
      await exited;
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Debian's Chromium, headless, with nothing reaching out to the network. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/**
 * A page that fails the test on any uncaught error, console error or dialog (a dialog would mean
 * injected markup ran script).
 */
export async function openPage(browser: Browser, options: { colorScheme?: 'light' | 'dark' } = {}): Promise<{ page: Page; problems: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, colorScheme: options.colorScheme ?? 'light' });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
  });
  page.on('dialog', (d) => {
    problems.push(`dialog opened: ${d.message()}`);
    void d.dismiss();
  });
  return { page, problems };
}

/** Saves a screenshot under test/e2e/screenshots/ (gitignored) for a person to look at. */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`) });
}

/**
 * Inserts `count` finished runs into a new experiment in bulk, straight into the catalog (as
 * bench/search-bench.ts does): thousands of HTTP calls would test nothing but patience. Each run
 * has params `model` and `seed` and latest metrics `loss` and `acc`. Returns the experiment id.
 */
export async function seedBulkRuns(dataDir: string, experimentName: string, count: number): Promise<string> {
  const fd = await openFlowdesk({ dataDir });
  try {
    const { experimentId } = await fd.handlers['experiments.create']({ name: experimentName });
    const models = ['rf', 'xgb', 'lr', 'svm'];
    const start = 1_700_000_000_000;
    for (let first = 0; first < count; first += 1000) {
      const size = Math.min(1000, count - first);
      await fd.catalog.write(async (trx) => {
        const runs = await trx
          .insertInto('runs')
          .values(
            Array.from({ length: size }, (_, i) => {
              const n = first + i;
              const uuid = `e2e${n.toString(16).padStart(29, '0')}`;
              return { run_uuid: uuid, experiment_id: Number(experimentId), name: `bulk-${n}`, user_id: 'e2e', status: 'FINISHED', start_time: start + n * 1000, end_time: start + n * 1000 + 60_000, lifecycle_stage: 'active', artifact_uri: `mlflow-artifacts:/${experimentId}/${uuid}/artifacts`, deleted_time: null };
            }),
          )
          .returning('id')
          .execute();
        await trx
          .insertInto('params')
          .values(runs.flatMap(({ id }, i) => [{ run_id: id, key: 'model', value: models[(first + i) % 4]! }, { run_id: id, key: 'seed', value: String(first + i) }]))
          .execute();
        await trx
          .insertInto('metric_series')
          .values(
            runs.flatMap(({ id }, i) =>
              [['loss', 1 / (first + i + 1)], ['acc', ((first + i) % 1000) / 1000]].map(([key, value]) => ({
                run_id: id, key: key as string, value: value as number, is_nan: 0, timestamp: start, step: 0, point_count: 1, nan_count: 0, min_step: 0, max_step: 0,
              })),
            ),
          )
          .execute();
      });
    }
    return experimentId;
  } finally {
    await fd.close();
  }
}
