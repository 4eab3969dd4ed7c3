/**
 * Writing a run as another tracking store recorded it: with its own id, times, status and
 * lifecycle stage. Only the import engine (core/import) calls this, inside its own write
 * transaction, on behalf of the machine's owner; it is no contract method, so `runs.create`
 * keeps assigning ids and start times for every ordinary caller.
 */
import type { DatasetInput, LifecycleStage, Param, RunStatus, Tag } from '#core/api/entities.ts';
import type { Db } from '#core/catalog/catalog.ts';
import type { RunRow } from './mappers.ts';

/** A run as it was elsewhere. */
export interface RunAsRecorded {
  runId: string;
  name: string;
  userId: string;
  status: RunStatus;
  startTime: number;
  endTime: number | null;
  lifecycleStage: LifecycleStage;
  deletedTime: number | null;
}

/** Rows per multi-row insert, far below SQLite's and PostgreSQL's bound-parameter limits. */
const CHUNK = 300;

/** Inserts the run row with the given id under an experiment (whose artifact location it extends). */
export async function insertRecordedRun(trx: Db, experiment: { experiment_id: number; artifact_location: string }, run: RunAsRecorded): Promise<RunRow> {
  return trx
    .insertInto('runs')
    .values({
      run_uuid: run.runId,
      experiment_id: experiment.experiment_id,
      name: run.name,
      user_id: run.userId,
      status: run.status,
      start_time: run.startTime,
      end_time: run.endTime,
      lifecycle_stage: run.lifecycleStage,
      artifact_uri: `${experiment.artifact_location}/${run.runId}/artifacts`,
      deleted_time: run.lifecycleStage === 'deleted' ? run.deletedTime : null,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/**
 * Adds the params a run lacks. A param the run already has with another value is left as it is
 * (params are immutable) and returned, for the caller to report.
 */
export async function addMissingParams(trx: Db, runRowId: number, params: readonly Param[]): Promise<Param[]> {
  const existing = new Map((await trx.selectFrom('params').select(['key', 'value']).where('run_id', '=', runRowId).execute()).map((p) => [p.key, p.value]));
  const unique = [...new Map(params.map((p) => [p.key, p])).values()];
  const conflicts = unique.filter((p) => existing.has(p.key) && existing.get(p.key) !== p.value);
  const fresh = unique.filter((p) => !existing.has(p.key));
  for (let i = 0; i < fresh.length; i += CHUNK) {
    await trx.insertInto('params').values(fresh.slice(i, i + CHUNK).map((p) => ({ run_id: runRowId, key: p.key, value: p.value }))).execute();
  }
  return conflicts;
}

/** Adds the tags a run lacks; a tag it already has keeps its value here (it may have been edited since). */
export async function addMissingTags(trx: Db, runRowId: number, tags: readonly Tag[]): Promise<number> {
  const existing = new Set((await trx.selectFrom('run_tags').select('key').where('run_id', '=', runRowId).execute()).map((t) => t.key));
  const fresh = [...new Map(tags.map((t) => [t.key, t])).values()].filter((t) => !existing.has(t.key));
  for (let i = 0; i < fresh.length; i += CHUNK) {
    await trx.insertInto('run_tags').values(fresh.slice(i, i + CHUNK).map((t) => ({ run_id: runRowId, key: t.key, value: t.value }))).execute();
  }
  return fresh.length;
}

/**
 * Links a run to its dataset inputs, storing each dataset once per experiment (by name and
 * digest). An input the run already has keeps its tags (`'keep'`, an import resumed) or takes the
 * new ones (`'replace'`, logInputs, as MLflow does).
 */
export async function addDatasetInputs(trx: Db, run: { id: number; experiment_id: number }, inputs: readonly DatasetInput[], existingTags: 'keep' | 'replace' = 'keep'): Promise<void> {
  for (const d of inputs) {
    await trx
      .insertInto('datasets')
      .values({
        experiment_id: run.experiment_id,
        name: d.dataset.name,
        digest: d.dataset.digest,
        source_type: d.dataset.sourceType,
        source: d.dataset.source,
        schema: d.dataset.schema ?? null,
        profile: d.dataset.profile ?? null,
      })
      .onConflict((oc) => oc.columns(['experiment_id', 'name', 'digest']).doNothing())
      .execute();
    const { id } = await trx
      .selectFrom('datasets')
      .select('id')
      .where('experiment_id', '=', run.experiment_id)
      .where('name', '=', d.dataset.name)
      .where('digest', '=', d.dataset.digest)
      .executeTakeFirstOrThrow();
    await trx
      .insertInto('run_inputs')
      .values({ run_id: run.id, dataset_id: id, tags_json: JSON.stringify(d.tags) })
      .onConflict((oc) => {
        const existing = oc.columns(['run_id', 'dataset_id']);
        return existingTags === 'keep' ? existing.doNothing() : existing.doUpdateSet({ tags_json: JSON.stringify(d.tags) });
      })
      .execute();
  }
}
