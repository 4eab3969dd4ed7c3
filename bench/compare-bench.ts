/**
 * Compare's reads at 300 runs over real HTTP (`flowdesk serve`): the runs and one metric's chart
 * series, read one call per run as the compare view did (runs.get and metrics.sampled for each,
 * six in flight at a time, as a browser sends them to one host) against the batched calls it makes now
 * (runs.getMany, metrics.sampledMany). The per-run way is the baseline, measured in the same run.
 */
import { rmSync } from 'node:fs';
import { openFlowdesk } from '#core/flowdesk.ts';
import { prepareDataDir, serveFlowdesk } from '../test/e2e/e2e-helpers.ts';
import { median, report } from './bench-util.ts';

const RUNS = 300;
const STEPS = 500;
/** A chart about 600 pixels wide asks for one bucket per pixel. */
const BUCKETS = 600;
const ROUNDS = 7;
/** Requests a browser keeps in flight to one host over HTTP/1.1. */
const IN_FLIGHT = 6;

/** Runs `call` on every item, at most IN_FLIGHT at a time. */
async function limited<T>(items: readonly T[], call: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await call(items[next++]!);
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
}

export async function runCompareBench(): Promise<void> {
  const runIds: string[] = [];
  const dataDir = await prepareDataDir(async (dir) => {
    const fd = await openFlowdesk({ dataDir: dir });
    try {
      const { experimentId } = await fd.handlers['experiments.create']({ name: 'compare-bench' });
      for (let i = 0; i < RUNS; i++) {
        const { run } = await fd.handlers['runs.create']({ experimentId, runName: `sweep-${i}` });
        await fd.handlers['runs.logBatch']({
          runId: run.info.runId,
          params: [{ key: 'lr', value: String(10 ** (-5 + (4 * i) / RUNS)) }, { key: 'optimizer', value: ['adam', 'sgd'][i % 2]! }],
          metrics: Array.from({ length: STEPS }, (_, step) => ({ key: 'loss', value: 1 / (step + 1) + i / 1000, timestamp: 1_700_000_000_000 + step, step })),
        });
        runIds.push(run.info.runId);
      }
    } finally {
      await fd.close();
    }
  });
  const served = await serveFlowdesk(dataDir);
  try {
    const api = served.api;
    const perRun = async () => {
      await limited(runIds, (runId) => api.call('runs.get', { runId }));
      await limited(runIds, (runId) => api.call('metrics.sampled', { runId, key: 'loss', buckets: BUCKETS }));
    };
    const batched = async () => {
      await api.call('runs.getMany', { runIds });
      await api.call('metrics.sampledMany', { key: 'loss', buckets: BUCKETS, series: runIds.map((runId) => ({ runId })) });
    };
    const timed = async (read: () => Promise<void>) => {
      const times: number[] = [];
      for (let i = 0; i < ROUNDS; i++) {
        const start = performance.now();
        await read();
        times.push(performance.now() - start);
      }
      return median(times);
    };
    // Alternated rounds would mix the two ways' caches; each way runs its rounds in a row, the baseline first.
    const base = await timed(perRun);
    const batch = await timed(batched);
    report(`Compare's reads over HTTP, ${RUNS} runs × ${STEPS} steps, ${BUCKETS} buckets per series`, [
      [`one runs.get and one metrics.sampled per run (baseline, median of ${ROUNDS})`, `${base.toFixed(0)} ms`],
      [`runs.getMany + metrics.sampledMany (median of ${ROUNDS})`, `${batch.toFixed(0)} ms (ratio to baseline ${(batch / base).toFixed(2)})`],
    ]);
  } finally {
    await served.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
