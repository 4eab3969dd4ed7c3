/**
 * Importing an mlruns/ folder of 1,000 runs and 1,000,000 metric points (MLflow's file-store
 * layout) against Flowdesk's own logBatch rate for the same points (1,000 runs, batches of 1,000),
 * measured in the same run; the goal is at least half the logBatch rate. The heap and the resident
 * set are sampled while importing: streaming keeps them flat whatever the history length.
 * Runs alone with `node bin/run-ts.js bench/mlruns-import-bench.ts`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { openFlowdesk } from '#core/flowdesk.ts';
import { createProblemLog, importFrom } from '#core/import/import-engine.ts';
import { openMlrunsSource } from '#core/import/mlruns/mlruns-source.ts';
import { writeSyntheticMlruns } from '../test/helpers/synthetic-mlruns.ts';
import { report } from './bench-util.ts';

const RUNS = 1000;
const POINTS_PER_RUN = 1000;

/** Points per second through logBatch: one run after another, each history in one batch, as a script would log them. */
async function logBatchRate(dir: string): Promise<number> {
  const fd = await openFlowdesk({ dataDir: join(dir, 'logbatch') });
  const { experimentId } = await fd.handlers['experiments.create']({ name: 'bench' });
  const start = process.hrtime.bigint();
  for (let r = 0; r < RUNS; r++) {
    const runId = (await fd.handlers['runs.create']({ experimentId })).run.info.runId;
    const metrics = Array.from({ length: POINTS_PER_RUN }, (_, step) => ({ key: 'loss', value: 1 / (step + 1 + r), timestamp: 1_700_000_000_000 + step, step }));
    await fd.handlers['runs.logBatch']({ runId, metrics });
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  await fd.close();
  return (RUNS * POINTS_PER_RUN) / seconds;
}

/** Points per second importing the same amount from an mlruns folder, and the heap's and resident set's growth meanwhile. */
async function importRate(dir: string): Promise<{ rate: number; heapGrowthMiB: number; rssStartMiB: number; rssPeakMiB: number; problems: number }> {
  const mlruns = join(dir, 'mlruns');
  writeSyntheticMlruns(mlruns, RUNS, POINTS_PER_RUN);
  const fd = await openFlowdesk({ dataDir: join(dir, 'imported') });
  const problems = createProblemLog();
  const source = await openMlrunsSource(mlruns, { onProblem: problems.onProblem });
  global.gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  let heapPeak = heapBefore;
  const rssBefore = process.memoryUsage.rss();
  let rssPeak = rssBefore;
  const sampler = setInterval(() => {
    heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
    rssPeak = Math.max(rssPeak, process.memoryUsage.rss());
  }, 50);
  const start = process.hrtime.bigint();
  const summary = await importFrom(source, fd, { problems });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  clearInterval(sampler);
  await fd.close();
  const mib = (bytes: number) => bytes / 1024 / 1024;
  return { rate: summary.points.added / seconds, heapGrowthMiB: mib(heapPeak - heapBefore), rssStartMiB: mib(rssBefore), rssPeakMiB: mib(rssPeak), problems: summary.problemCount };
}

export async function runMlrunsImportBench(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'flowdesk-mlruns-bench-'));
  try {
    const baseline = await logBatchRate(dir);
    const imported = await importRate(dir);
    report(`mlruns import: ${RUNS} runs, ${RUNS * POINTS_PER_RUN} points`, [
      ['logBatch (baseline)', `${Math.round(baseline).toLocaleString('en')} points/s`],
      ['import', `${Math.round(imported.rate).toLocaleString('en')} points/s${imported.problems ? `  (${imported.problems} problems!)` : ''}`],
      ['ratio', `${((imported.rate / baseline) * 100).toFixed(0)}% of logBatch's rate (goal: at least 50%)`],
      ['heap growth while importing', `${imported.heapGrowthMiB.toFixed(1)} MiB peak`],
      ['resident set while importing', `${imported.rssStartMiB.toFixed(0)} MiB at the start, ${imported.rssPeakMiB.toFixed(0)} MiB at most`],
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await runMlrunsImportBench();
