/**
 * Runs for the benchmarks in bulk, straight into the catalog of a data folder: tens of thousands
 * of runs through `runs.create` and `runs.logBatch` would measure the write path, which
 * tracking-bench.ts does, and make every other benchmark wait on it. What each run holds is the
 * caller's (`values`), so each benchmark keeps its own data.
 */
import type { Flowdesk } from '#core/flowdesk.ts';

/** A seeded run's params, tags and latest metrics, as keys and values. */
export interface SeedValues {
  params: Record<string, string>;
  tags: Record<string, string>;
  metrics: Record<string, number>;
}

/** Runs written per transaction. */
const BATCH = 1000;

/**
 * Writes `runs` finished runs into experiment 0 of `fd`'s catalog, 1,000 per transaction. Run n is
 * named `run-n`, has the 32-hex-digit id n and started n ms after 1,700,000,000,000;
 * `values(n, id)` gives its params, tags and latest metrics (`id` is the run's catalog row), asked
 * for run after run in order, so a seeded random generator draws the same numbers every time.
 */
export async function seedRuns(fd: Flowdesk, runs: number, values: (n: number, id: number) => SeedValues): Promise<void> {
  for (let start = 0; start < runs; start += BATCH) {
    await fd.catalog.write(async (trx) => {
      const rows = await trx
        .insertInto('runs')
        .values(
          Array.from({ length: Math.min(BATCH, runs - start) }, (_, i) => {
            const uuid = (start + i).toString(16).padStart(32, '0');
            return { run_uuid: uuid, experiment_id: 0, name: `run-${start + i}`, user_id: 'bench', status: 'FINISHED', start_time: 1_700_000_000_000 + start + i, end_time: null, lifecycle_stage: 'active', artifact_uri: `mlflow-artifacts:/0/${uuid}/artifacts`, deleted_time: null };
          }),
        )
        .returning('id')
        .execute();
      for (const [i, { id }] of rows.entries()) {
        const { params, tags, metrics } = values(start + i, id);
        // An insert of no rows is not SQL, so a run without tags (say) skips that table.
        if (Object.keys(params).length > 0) await trx.insertInto('params').values(Object.entries(params).map(([key, value]) => ({ run_id: id, key, value }))).execute();
        if (Object.keys(tags).length > 0) await trx.insertInto('run_tags').values(Object.entries(tags).map(([key, value]) => ({ run_id: id, key, value }))).execute();
        if (Object.keys(metrics).length > 0) {
          await trx
            .insertInto('metric_series')
            .values(Object.entries(metrics).map(([key, value]) => ({ run_id: id, key, value, is_nan: 0, timestamp: 1, step: 0, point_count: 1, nan_count: 0, min_step: 0, max_step: 0 })))
            .execute();
        }
      }
    });
  }
}

/** `count` keys and their values, in order: `key(i)` and `value(i)` for i from 0. */
export function entries<T>(count: number, key: (i: number) => string, value: (i: number) => T): Record<string, T> {
  return Object.fromEntries(Array.from({ length: count }, (_, i) => [key(i), value(i)]));
}
