/**
 * Handlers of `runs.getMany` and `metrics.sampledMany`: many runs, or one metric of many runs,
 * read with a few statements for all of them, answering what `runs.get` and `metrics.sampled`
 * answer for each.
 */
import type { Handlers } from '#core/api/contract.ts';
import { MAX_BATCH_BUCKETS } from '#core/api/batched-reads-contract.ts';
import { invalid, notFound } from '#core/api/errors.ts';
import type { Db } from '#core/catalog/catalog.ts';
import type { RunRow } from './mappers.ts';
import { readSampled } from './metric-reader.ts';
import { withModelLinks } from './model-links.ts';
import { loadRuns } from './tracking-service.ts';
import { validateKey } from './validation.ts';

export type BatchedReadHandlers = Pick<Handlers, 'runs.getMany' | 'metrics.sampledMany'>;

/** The buckets metrics.sampled gives when none are asked for. */
const DEFAULT_BUCKETS = 1000;

/** The rows of the runs named (each once), by run id; ids that name no run are absent. */
async function runRows(db: Db, runIds: readonly string[]): Promise<Map<string, RunRow>> {
  const rows = await db.selectFrom('runs').selectAll().where('run_uuid', 'in', [...new Set(runIds)]).execute();
  return new Map(rows.map((r) => [r.run_uuid, r]));
}

/** The batched read handlers over a catalog's database. */
export function createBatchedReads(db: Db): BatchedReadHandlers {
  return {
    async 'runs.getMany'({ runIds }) {
      const byId = await runRows(db, runIds);
      const named = [...new Set(runIds)];
      // With their links to logged models, as runs.get gives them.
      const runs = await withModelLinks(db, await loadRuns(db, named.flatMap((id) => byId.get(id) ?? [])));
      return { runs, missing: named.filter((id) => !byId.has(id)) };
    },

    async 'metrics.sampledMany'({ key, buckets, series }) {
      validateKey('metric', key);
      const wanted = buckets ?? DEFAULT_BUCKETS;
      if (wanted * series.length > MAX_BATCH_BUCKETS) {
        throw invalid(`${series.length} runs × ${wanted} buckets is more than ${MAX_BATCH_BUCKETS.toLocaleString('en-US')} buckets in one call: ask for fewer buckets or fewer runs`);
      }
      for (const s of series) {
        if (s.startStep !== undefined && s.endStep !== undefined && s.startStep > s.endStep) {
          throw invalid(`startStep (${s.startStep}) must not be greater than endStep (${s.endStep}) for run '${s.runId}'`);
        }
      }
      const byId = await runRows(db, series.map((s) => s.runId));
      const unknown = series.find((s) => !byId.has(s.runId));
      if (unknown) throw notFound(`Run '${unknown.runId}' not found`);
      const ids = [...byId.values()].map((r) => r.id);
      const rows = await db.selectFrom('metric_series').selectAll().where('run_id', 'in', ids).where('key', '=', key).execute();
      const seriesOfRun = new Map(rows.map((r) => [r.run_id, r]));
      const out = [];
      for (const s of series) {
        const row = seriesOfRun.get(byId.get(s.runId)!.id);
        if (!row) {
          out.push({ runId: s.runId, buckets: [], nanCount: 0, pointCount: 0 });
          continue;
        }
        const sampled = await readSampled(db, row.id, { minStep: row.min_step, maxStep: row.max_step, startStep: s.startStep, endStep: s.endStep, buckets: wanted });
        out.push({ runId: s.runId, buckets: sampled, nanCount: row.nan_count, pointCount: row.point_count });
      }
      return { series: out };
    },
  };
}
