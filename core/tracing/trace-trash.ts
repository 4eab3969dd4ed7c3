/**
 * Traces in the trash: a trace made in a run (metadata mlflow.sourceRun) goes with the run when
 * the run is purged, rows and files. Traces of a purged experiment go with its rows (foreign
 * keys) and its folder; the run case needs these helpers, as traces do not live in run folders.
 */
import type { Db } from '#core/catalog/catalog.ts';
import { storePathOf } from '#core/api/artifact-locations.ts';

/** The traces made in these runs: their row ids and the store folders holding their data. */
export async function tracesOfRuns(db: Db, runUuids: readonly string[]): Promise<{ ids: number[]; folders: string[] }> {
  const ids: number[] = [];
  const folders: string[] = [];
  for (let i = 0; i < runUuids.length; i += 500) {
    const rows = await db
      .selectFrom('traces')
      .innerJoin('experiments', 'experiments.experiment_id', 'traces.experiment_id')
      .select(['traces.id', 'traces.trace_id', 'experiments.artifact_location'])
      .where('traces.source_run', 'in', runUuids.slice(i, i + 500))
      .execute();
    for (const row of rows) {
      ids.push(Number(row.id));
      folders.push(`${storePathOf(row.artifact_location).replace(/\/+$/, '')}/traces/${row.trace_id}`);
    }
  }
  return { ids, folders };
}

/** Deletes trace rows; their spans, tags, metadata, links and assessments go by foreign key. */
export async function deleteTraceRows(trx: Db, ids: readonly number[]): Promise<void> {
  for (let i = 0; i < ids.length; i += 500) await trx.deleteFrom('traces').where('id', 'in', ids.slice(i, i + 500)).execute();
}
