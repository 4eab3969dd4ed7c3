/**
 * The tracking service's queries: experiments, runs and their params and tags, the links between
 * runs and logged models, and the trash, one function per statement (or per group of statements
 * that always go together). Rules (what must exist, what may change, which error a caller gets)
 * live in tracking-service.ts, model-links.ts and trash.ts; the SQL these functions compile
 * is kept as reviewed snapshots for both dialects (test/catalog/repository-sql.test.ts).
 */
import type { Insertable, Selectable, Updateable } from 'kysely';
import type { Param, Tag } from '#core/api/entities.ts';
import type { Db } from '#core/catalog/catalog.ts';
import { compiledOnce, runCompiled } from '#core/catalog/compiled-once.ts';
import type { Database } from '#core/catalog/schema.ts';
import type { RunRow } from './mappers.ts';

export type ExperimentRow = Selectable<Database['experiments']>;

/** The experiment with this numeric id, if any. */
export function findExperiment(db: Db, experimentId: number): Promise<ExperimentRow | undefined> {
  return db.selectFrom('experiments').selectAll().where('experiment_id', '=', experimentId).executeTakeFirst();
}

/** The experiment with this name, if any. */
export function findExperimentByName(db: Db, name: string): Promise<ExperimentRow | undefined> {
  return db.selectFrom('experiments').selectAll().where('name', '=', name).executeTakeFirst();
}

/** The id of the experiment with this name, if any (the uniqueness check before a create or rename). */
export function experimentIdNamed(db: Db, name: string): Promise<{ experiment_id: number } | undefined> {
  return db.selectFrom('experiments').select('experiment_id').where('name', '=', name).executeTakeFirst();
}

/** The experiments with these ids, in no particular order. */
export function experimentsByIds(db: Db, ids: number[]): Promise<ExperimentRow[]> {
  return db.selectFrom('experiments').selectAll().where('experiment_id', 'in', ids).execute();
}

/** The tags of these experiments, ordered by key. */
export function experimentTagRows(db: Db, ids: number[]): Promise<Selectable<Database['experiment_tags']>[]> {
  return db.selectFrom('experiment_tags').selectAll().where('experiment_id', 'in', ids).orderBy('key').execute();
}

/** Inserts an experiment and returns its new id. */
export async function insertExperiment(db: Db, values: Insertable<Database['experiments']>): Promise<number> {
  return (await db.insertInto('experiments').values(values).returning('experiment_id').executeTakeFirstOrThrow()).experiment_id;
}

/** Changes columns of one experiment. */
export async function updateExperiment(db: Db, experimentId: number, changes: Updateable<Database['experiments']>): Promise<void> {
  await db.updateTable('experiments').set(changes).where('experiment_id', '=', experimentId).execute();
}

/** Inserts tags of one experiment whose keys it does not have yet. */
export async function insertExperimentTags(db: Db, experimentId: number, tags: Tag[]): Promise<void> {
  await db.insertInto('experiment_tags').values(tags.map((tag) => ({ experiment_id: experimentId, key: tag.key, value: tag.value }))).execute();
}

/** Sets one tag of an experiment, replacing its value if the key is there. */
export async function upsertExperimentTag(db: Db, experimentId: number, tag: Tag): Promise<void> {
  await db
    .insertInto('experiment_tags')
    .values({ experiment_id: experimentId, key: tag.key, value: tag.value })
    .onConflict((oc) => oc.columns(['experiment_id', 'key']).doUpdateSet({ value: tag.value }))
    .execute();
}

/** Deletes one tag of an experiment; returns how many rows went (0 or 1). */
export async function deleteExperimentTag(db: Db, experimentId: number, key: string): Promise<number> {
  const result = await db.deleteFrom('experiment_tags').where('experiment_id', '=', experimentId).where('key', '=', key).executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** Marks an experiment's active runs deleted at `deletedTime` (the mark restore looks for). */
export async function deleteActiveRuns(db: Db, experimentId: number, deletedTime: number): Promise<void> {
  await db.updateTable('runs').set({ lifecycle_stage: 'deleted', deleted_time: deletedTime }).where('experiment_id', '=', experimentId).where('lifecycle_stage', '=', 'active').execute();
}

/** Restores the runs of an experiment that were deleted together with it, at `deletedTime`. */
export async function restoreRunsDeletedAt(db: Db, experimentId: number, deletedTime: number | null): Promise<void> {
  await db.updateTable('runs').set({ lifecycle_stage: 'active', deleted_time: null }).where('experiment_id', '=', experimentId).where('deleted_time', '=', deletedTime).execute();
}

/** The run with this uuid, if any. */
export async function findRun(db: Db, runUuid: string): Promise<RunRow | undefined> {
  // Every write looks its run up first: compiled once, not on each call (compiled-once.ts).
  const text = compiledOnce(db, 'findRun', (b) => b.selectFrom('runs').selectAll().where('run_uuid', '=', ''));
  return (await runCompiled<RunRow>(db, text, [runUuid]))[0];
}

/** The runs with these internal ids, in no particular order. */
export function runsByIds(db: Db, ids: number[]): Promise<RunRow[]> {
  return db.selectFrom('runs').selectAll().where('id', 'in', ids).execute();
}

/** The columns insertRun writes, in its statement's placeholder order. */
const RUN_COLUMNS = ['run_uuid', 'experiment_id', 'name', 'user_id', 'status', 'start_time', 'end_time', 'lifecycle_stage', 'artifact_uri', 'deleted_time'] as const;

/**
 * Inserts a run and returns its row. The statement is built by Kysely once per dialect, not per
 * run: building it (parsing the row's values into nodes, then compiling) was 6% of a create.
 */
export async function insertRun(db: Db, values: Pick<Insertable<Database['runs']>, (typeof RUN_COLUMNS)[number]>): Promise<RunRow> {
  const text = compiledOnce(db, 'insertRun', (b) =>
    b
      .insertInto('runs')
      .values(Object.fromEntries(RUN_COLUMNS.map((column) => [column, null])) as unknown as Insertable<Database['runs']>)
      .returningAll(),
  );
  const [row] = await runCompiled<RunRow>(db, text, RUN_COLUMNS.map((column) => values[column] ?? null));
  return row!;
}

/** Changes columns of one run. */
export async function updateRun(db: Db, runId: number, changes: Updateable<Database['runs']>): Promise<void> {
  await db.updateTable('runs').set(changes).where('id', '=', runId).execute();
}

/** The latest metrics, params, tags and dataset inputs of these runs, each ordered for display. */
export async function runDetailRows(db: Db, runIds: number[]) {
  const [metrics, params, tags, inputs] = await Promise.all([
    db.selectFrom('metric_series').select(['run_id', 'key', 'value', 'is_nan', 'negative_zero', 'timestamp', 'step']).where('run_id', 'in', runIds).orderBy('key').execute(),
    db.selectFrom('params').selectAll().where('run_id', 'in', runIds).orderBy('key').execute(),
    db.selectFrom('run_tags').selectAll().where('run_id', 'in', runIds).orderBy('key').execute(),
    db
      .selectFrom('run_inputs')
      .innerJoin('datasets', 'datasets.id', 'run_inputs.dataset_id')
      .select(['run_inputs.run_id', 'run_inputs.tags_json', 'datasets.name', 'datasets.digest', 'datasets.source_type', 'datasets.source', 'datasets.schema', 'datasets.profile'])
      .where('run_inputs.run_id', 'in', runIds)
      .orderBy('datasets.id')
      .execute(),
  ]);
  return { metrics, params, tags, inputs };
}

/** Sets tags of one run, replacing the values of keys it has. */
export async function upsertRunTags(db: Db, runId: number, tags: Tag[]): Promise<void> {
  await db
    .insertInto('run_tags')
    .values(tags.map((t) => ({ run_id: runId, key: t.key, value: t.value })))
    .onConflict((oc) => oc.columns(['run_id', 'key']).doUpdateSet((eb) => ({ value: eb.ref('excluded.value') })))
    .execute();
}

/** The value of one tag of a run, if set. */
export function runTagValue(db: Db, runId: number, key: string): Promise<{ value: string } | undefined> {
  return db.selectFrom('run_tags').select('value').where('run_id', '=', runId).where('key', '=', key).executeTakeFirst();
}

/** Deletes one tag of a run; returns how many rows went (0 or 1). */
export async function deleteRunTag(db: Db, runId: number, key: string): Promise<number> {
  const result = await db.deleteFrom('run_tags').where('run_id', '=', runId).where('key', '=', key).executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** The params of a run among these keys. */
export function paramsWithKeys(db: Db, runId: number, keys: string[]): Promise<{ key: string; value: string }[]> {
  return db.selectFrom('params').select(['key', 'value']).where('run_id', '=', runId).where('key', 'in', keys).execute();
}

/** Inserts params of one run whose keys it does not have yet. */
export async function insertParams(db: Db, runId: number, params: Param[]): Promise<void> {
  await db.insertInto('params').values(params.map((p) => ({ run_id: runId, key: p.key, value: p.value }))).execute();
}

/** The metric series of one key of a run, if logged. */
export function findMetricSeries(db: Db, runId: number, key: string): Promise<Selectable<Database['metric_series']> | undefined> {
  return db.selectFrom('metric_series').selectAll().where('run_id', '=', runId).where('key', '=', key).executeTakeFirst();
}

/** The logged models these runs wrote (by run uuid), by step and then model id. */
export function modelOutputsOfRuns(db: Db, runUuids: string[]): Promise<{ run_uuid: string; model_id: string; step: number }[]> {
  return db
    .selectFrom('run_model_outputs')
    .innerJoin('runs', 'runs.id', 'run_model_outputs.run_id')
    .select(['runs.run_uuid', 'run_model_outputs.model_id', 'run_model_outputs.step'])
    .where('runs.run_uuid', 'in', runUuids)
    .orderBy('run_model_outputs.step')
    .orderBy('run_model_outputs.model_id')
    .execute();
}

/** The logged models these runs read (by run uuid), by model id. */
export function modelInputsOfRuns(db: Db, runUuids: string[]): Promise<{ run_uuid: string; model_id: string }[]> {
  return db
    .selectFrom('run_model_inputs')
    .innerJoin('runs', 'runs.id', 'run_model_inputs.run_id')
    .select(['runs.run_uuid', 'run_model_inputs.model_id'])
    .where('runs.run_uuid', 'in', runUuids)
    .orderBy('run_model_inputs.model_id')
    .execute();
}

/** The logged model with this id, if it is not deleted. */
export function activeLoggedModel(db: Db, modelId: string): Promise<Selectable<Database['logged_models']> | undefined> {
  return db.selectFrom('logged_models').selectAll().where('model_id', '=', modelId).where('lifecycle_stage', '=', 'active').executeTakeFirst();
}

/** Inserts metric points of logged models; a point already there (the whole row is its key) is left as is. */
export async function insertLoggedModelMetrics(db: Db, rows: Insertable<Database['logged_model_metrics']>[]): Promise<void> {
  await db.insertInto('logged_model_metrics').values(rows).onConflict((oc) => oc.doNothing()).execute();
}

/** Marks a logged model updated at `time`. */
export async function touchLoggedModel(db: Db, modelId: string, time: number): Promise<void> {
  await db.updateTable('logged_models').set({ last_updated_time: time }).where('model_id', '=', modelId).execute();
}

/** Deleted experiments, most recently deleted first. */
export function deletedExperiments(db: Db): Promise<ExperimentRow[]> {
  return db.selectFrom('experiments').selectAll().where('lifecycle_stage', '=', 'deleted').orderBy('deleted_time', 'desc').execute();
}

/** Deleted runs of live experiments, most recently deleted first. */
export function deletedRunsOfLiveExperiments(db: Db): Promise<{ run_uuid: string; name: string; experiment_id: number; deleted_time: number | null }[]> {
  return db
    .selectFrom('runs')
    .innerJoin('experiments', 'experiments.experiment_id', 'runs.experiment_id')
    .select(['runs.run_uuid', 'runs.name', 'runs.experiment_id', 'runs.deleted_time'])
    .where('runs.lifecycle_stage', '=', 'deleted')
    .where('experiments.lifecycle_stage', '=', 'active')
    .orderBy('runs.deleted_time', 'desc')
    .execute();
}

/**
 * What a purge looks at: the experiments and runs named (`ids`), whatever their state, or else
 * every deleted one; only those deleted before `deletedBefore` when given.
 */
export interface PurgeFilter {
  ids?: { experimentIds: number[]; runUuids: string[] };
  deletedBefore?: number;
}

/** The experiments a purge looks at (see `PurgeFilter`). */
export function experimentsToPurge(db: Db, filter: PurgeFilter): Promise<{ experiment_id: number; lifecycle_stage: string; deleted_time: number | null }[]> {
  let query = db.selectFrom('experiments').select(['experiment_id', 'lifecycle_stage', 'deleted_time']);
  query = filter.ids ? query.where('experiment_id', 'in', filter.ids.experimentIds.length ? filter.ids.experimentIds : [-1]) : query.where('lifecycle_stage', '=', 'deleted');
  if (filter.deletedBefore !== undefined) query = query.where('deleted_time', '<', filter.deletedBefore);
  return query.execute();
}

/** The runs a purge looks at (see `PurgeFilter`). */
export function runsToPurge(db: Db, filter: PurgeFilter): Promise<{ id: number; run_uuid: string; experiment_id: number; lifecycle_stage: string; deleted_time: number | null }[]> {
  let query = db.selectFrom('runs').select(['id', 'run_uuid', 'experiment_id', 'lifecycle_stage', 'deleted_time']);
  query = filter.ids ? query.where('run_uuid', 'in', filter.ids.runUuids.length ? filter.ids.runUuids : ['']) : query.where('lifecycle_stage', '=', 'deleted');
  if (filter.deletedBefore !== undefined) query = query.where('deleted_time', '<', filter.deletedBefore);
  return query.execute();
}

/** Registered model versions whose files lie in a store folder (an experiment's or a run's). */
export function versionsUsingFolder(db: Db, folder: string): Promise<{ model_name: string; version: number }[]> {
  // Folder names are digits, hex and '/', so they hold no LIKE wildcards.
  return db.selectFrom('model_versions').select(['model_name', 'version']).where('storage_location', 'like', `mlflow-artifacts:/${folder}/%`).orderBy('model_name').orderBy('version').execute();
}

/** The internal ids of the runs of these experiments. */
export function runIdsOfExperiments(db: Db, experimentIds: number[]): Promise<{ id: number }[]> {
  return db.selectFrom('runs').select('id').where('experiment_id', 'in', experimentIds).execute();
}

/** Deletes the catalog rows of runs, including metric points, which carry no foreign key. */
export async function deleteRunRows(db: Db, runIds: number[]): Promise<void> {
  for (let i = 0; i < runIds.length; i += 500) {
    const chunk = runIds.slice(i, i + 500);
    const series = db.selectFrom('metric_series').select('id').where('run_id', 'in', chunk);
    await db.deleteFrom('metrics').where('series_id', 'in', series).execute();
    await db.deleteFrom('metric_buckets').where('series_id', 'in', series).execute();
    await db.deleteFrom('runs').where('id', 'in', chunk).execute();
  }
}

/** Deletes experiments (their runs' rows must be gone first; tags cascade). */
export async function deleteExperiments(db: Db, experimentIds: number[]): Promise<void> {
  await db.deleteFrom('experiments').where('experiment_id', 'in', experimentIds).execute();
}

/** Every experiment id in the catalog, deleted ones too. */
export function allExperimentIds(db: Db): Promise<{ experiment_id: number }[]> {
  return db.selectFrom('experiments').select('experiment_id').execute();
}

/** Those of these run uuids that name a run in the catalog. */
export function knownRunUuids(db: Db, runUuids: string[]): Promise<{ run_uuid: string }[]> {
  return db.selectFrom('runs').select('run_uuid').where('run_uuid', 'in', runUuids).execute();
}
