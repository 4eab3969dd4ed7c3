/**
 * The registry's queries: registered models, versions and their tags and aliases, protections and
 * transition requests, one function per statement. Rules (what must exist, what is recorded, which
 * error a caller gets) live in registry-service.ts and registry-moves.ts; registry-rows.ts maps the
 * rows these return to contract entities.
 * The SQL these functions compile is kept as reviewed snapshots for both dialects
 * (test/catalog/repository-sql.test.ts).
 */
import type { Insertable, Selectable, Updateable } from 'kysely';
import type { ModelStage, Tag } from '#core/api/entities.ts';
import type { Db } from '#core/catalog/catalog.ts';
import type { Database } from '#core/catalog/schema.ts';
import type { ModelVersionRow, RegisteredModelRow } from './registry-rows.ts';

/** The id of the registered model with this name, if any (the uniqueness check before a create or rename). */
export function modelIdNamed(db: Db, name: string): Promise<{ id: number } | undefined> {
  return db.selectFrom('registered_models').select('id').where('name', '=', name).executeTakeFirst();
}

/** The registered model with this name, if any. */
export function modelByName(db: Db, name: string): Promise<RegisteredModelRow | undefined> {
  return db.selectFrom('registered_models').selectAll().where('name', '=', name).executeTakeFirst();
}

/** The registered model with this internal id (which the caller knows exists). */
export function modelById(db: Db, modelId: number): Promise<RegisteredModelRow> {
  return db.selectFrom('registered_models').selectAll().where('id', '=', modelId).executeTakeFirstOrThrow();
}

/** The registered models with these ids, in no particular order. */
export function modelsByIds(db: Db, ids: number[]): Promise<RegisteredModelRow[]> {
  return db.selectFrom('registered_models').selectAll().where('id', 'in', ids).execute();
}

/** Inserts a registered model and returns its row. */
export function insertModel(db: Db, values: Insertable<Database['registered_models']>): Promise<RegisteredModelRow> {
  return db.insertInto('registered_models').values(values).returningAll().executeTakeFirstOrThrow();
}

/** Changes columns of one registered model. */
export async function updateModel(db: Db, modelId: number, changes: Updateable<Database['registered_models']>): Promise<void> {
  await db.updateTable('registered_models').set(changes).where('id', '=', modelId).execute();
}

/**
 * Takes the model's next version number and stamps its update time, in one statement: on
 * PostgreSQL it locks the model row, so versions created at once by several processes get
 * consecutive numbers, never the same.
 */
export async function takeNextVersionNumber(db: Db, modelId: number, time: number): Promise<number> {
  const row = await db
    .updateTable('registered_models')
    .set((eb) => ({ last_version: eb('last_version', '+', 1), last_updated_time: time }))
    .where('id', '=', modelId)
    .returning('last_version')
    .executeTakeFirstOrThrow();
  return row.last_version;
}

/** Deletes a registered model; its versions, tags, aliases, protections and requests cascade. */
export async function deleteModel(db: Db, modelId: number): Promise<void> {
  await db.deleteFrom('registered_models').where('id', '=', modelId).execute();
}

/** Renames the model on its versions, which carry the name for search. */
export async function renameModelOnVersions(db: Db, modelId: number, name: string): Promise<void> {
  await db.updateTable('model_versions').set({ model_name: name }).where('registered_model_id', '=', modelId).execute();
}

/** Inserts tags of a new registered model. */
export async function insertModelTags(db: Db, modelId: number, tags: Tag[]): Promise<void> {
  await db.insertInto('registered_model_tags').values(tags.map((t) => ({ registered_model_id: modelId, key: t.key, value: t.value }))).execute();
}

/** The value of one tag of a registered model, if set. */
export function modelTagValue(db: Db, modelId: number, key: string): Promise<{ value: string } | undefined> {
  return db.selectFrom('registered_model_tags').select('value').where('registered_model_id', '=', modelId).where('key', '=', key).executeTakeFirst();
}

/** Sets one tag of a registered model, replacing its value if the key is there. */
export async function upsertModelTag(db: Db, modelId: number, tag: Tag): Promise<void> {
  await db
    .insertInto('registered_model_tags')
    .values({ registered_model_id: modelId, key: tag.key, value: tag.value })
    .onConflict((oc) => oc.columns(['registered_model_id', 'key']).doUpdateSet({ value: tag.value }))
    .execute();
}

/** Deletes one tag of a registered model. */
export async function deleteModelTag(db: Db, modelId: number, key: string): Promise<void> {
  await db.deleteFrom('registered_model_tags').where('registered_model_id', '=', modelId).where('key', '=', key).execute();
}

/** The tags of these registered models, by key. */
export function modelTagRows(db: Db, modelIds: number[]): Promise<Selectable<Database['registered_model_tags']>[]> {
  return db.selectFrom('registered_model_tags').selectAll().where('registered_model_id', 'in', modelIds).orderBy('key').execute();
}

/** The aliases of these registered models, by alias. */
export function aliasRows(db: Db, modelIds: number[]): Promise<Selectable<Database['registered_model_aliases']>[]> {
  return db.selectFrom('registered_model_aliases').selectAll().where('registered_model_id', 'in', modelIds).orderBy('alias').execute();
}

/** The version number an alias of a model points at, if the alias exists. */
export async function aliasVersion(db: Db, modelId: number, alias: string): Promise<number | undefined> {
  const row = await db
    .selectFrom('registered_model_aliases')
    .select('version')
    .where('registered_model_id', '=', modelId)
    .where('alias', '=', alias)
    .executeTakeFirst();
  return row === undefined ? undefined : Number(row.version);
}

/** Points a model's alias at a version, whether or not the alias exists. */
export async function upsertAlias(db: Db, modelId: number, alias: string, version: number): Promise<void> {
  await db
    .insertInto('registered_model_aliases')
    .values({ registered_model_id: modelId, alias, version })
    .onConflict((oc) => oc.columns(['registered_model_id', 'alias']).doUpdateSet({ version }))
    .execute();
}

/** Deletes one alias of a registered model. */
export async function deleteAlias(db: Db, modelId: number, alias: string): Promise<void> {
  await db.deleteFrom('registered_model_aliases').where('registered_model_id', '=', modelId).where('alias', '=', alias).execute();
}

/** The version numbers of a registered model, ascending. */
export function versionNumbersOf(db: Db, modelId: number): Promise<{ version: number }[]> {
  return db.selectFrom('model_versions').select('version').where('registered_model_id', '=', modelId).orderBy('version').execute();
}

/** One version of a model by number, if it exists. */
export function versionByNumber(db: Db, modelId: number, version: number): Promise<ModelVersionRow | undefined> {
  return db.selectFrom('model_versions').selectAll().where('registered_model_id', '=', modelId).where('version', '=', version).executeTakeFirst();
}

/** The newest version of a model in `stage`, if any. */
export function newestInStage(db: Db, modelId: number, stage: ModelStage): Promise<ModelVersionRow | undefined> {
  return db
    .selectFrom('model_versions')
    .selectAll()
    .where('registered_model_id', '=', modelId)
    .where('current_stage', '=', stage)
    .orderBy('version', 'desc')
    .limit(1)
    .executeTakeFirst();
}

/** The newest version of each (model, stage) of these models: no newer version shares its model and stage. */
export function newestPerStage(db: Db, modelIds: number[]): Promise<ModelVersionRow[]> {
  return db
    .selectFrom('model_versions as v')
    .selectAll('v')
    .where('v.registered_model_id', 'in', modelIds)
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('model_versions as n')
            .select('n.id')
            .whereRef('n.registered_model_id', '=', 'v.registered_model_id')
            .whereRef('n.current_stage', '=', 'v.current_stage')
            .whereRef('n.version', '>', 'v.version'),
        ),
      ),
    )
    .execute();
}

/** The versions of a model in `stage` other than `exceptVersionId`, by number. */
export function othersInStage(db: Db, modelId: number, stage: ModelStage, exceptVersionId: number): Promise<ModelVersionRow[]> {
  return db
    .selectFrom('model_versions')
    .selectAll()
    .where('registered_model_id', '=', modelId)
    .where('current_stage', '=', stage)
    .where('id', '!=', exceptVersionId)
    .orderBy('version')
    .execute();
}

/** Some version of a model in `stage` other than `exceptVersionId`, if there is one. */
export function anotherInStage(db: Db, modelId: number, stage: ModelStage, exceptVersionId: number): Promise<{ id: number } | undefined> {
  return db
    .selectFrom('model_versions')
    .select('id')
    .where('registered_model_id', '=', modelId)
    .where('current_stage', '=', stage)
    .where('id', '!=', exceptVersionId)
    .executeTakeFirst();
}

/** The version with this internal id (which the caller knows exists). */
export function versionById(db: Db, versionId: number): Promise<ModelVersionRow> {
  return db.selectFrom('model_versions').selectAll().where('id', '=', versionId).executeTakeFirstOrThrow();
}

/** The versions with these internal ids, in no particular order. */
export function versionsByIds(db: Db, ids: number[]): Promise<ModelVersionRow[]> {
  return db.selectFrom('model_versions').selectAll().where('id', 'in', ids).execute();
}

/** The versions registered from one run, newest first. */
export function versionsOfRun(db: Db, runId: string): Promise<ModelVersionRow[]> {
  return db.selectFrom('model_versions').selectAll().where('run_id', '=', runId).orderBy('creation_time', 'desc').orderBy('id', 'desc').execute();
}

/** Inserts a model version and returns its row. */
export function insertVersion(db: Db, values: Insertable<Database['model_versions']>): Promise<ModelVersionRow> {
  return db.insertInto('model_versions').values(values).returningAll().executeTakeFirstOrThrow();
}

/** Changes columns of one model version. */
export async function updateVersion(db: Db, versionId: number, changes: Updateable<Database['model_versions']>): Promise<void> {
  await db.updateTable('model_versions').set(changes).where('id', '=', versionId).execute();
}

/** Deletes a model version; its tags, aliases and requests cascade. */
export async function deleteVersion(db: Db, versionId: number): Promise<void> {
  await db.deleteFrom('model_versions').where('id', '=', versionId).execute();
}

/** Inserts tags of a new model version. */
export async function insertVersionTags(db: Db, versionId: number, tags: Tag[]): Promise<void> {
  await db.insertInto('model_version_tags').values(tags.map((t) => ({ version_id: versionId, key: t.key, value: t.value }))).execute();
}

/** The tags of these model versions, by key. */
export function versionTagRows(db: Db, versionIds: number[]): Promise<Selectable<Database['model_version_tags']>[]> {
  return db.selectFrom('model_version_tags').selectAll().where('version_id', 'in', versionIds).orderBy('key').execute();
}

/** The value of one tag of a model version, if set. */
export function versionTagValue(db: Db, versionId: number, key: string): Promise<{ value: string } | undefined> {
  return db.selectFrom('model_version_tags').select('value').where('version_id', '=', versionId).where('key', '=', key).executeTakeFirst();
}

/** Sets one tag of a model version, replacing its value if the key is there. */
export async function upsertVersionTag(db: Db, versionId: number, tag: Tag): Promise<void> {
  await db
    .insertInto('model_version_tags')
    .values({ version_id: versionId, key: tag.key, value: tag.value })
    .onConflict((oc) => oc.columns(['version_id', 'key']).doUpdateSet({ value: tag.value }))
    .execute();
}

/** Deletes one tag of a model version. */
export async function deleteVersionTag(db: Db, versionId: number, key: string): Promise<void> {
  await db.deleteFrom('model_version_tags').where('version_id', '=', versionId).where('key', '=', key).execute();
}

/** The value of one tag of a logged model, if set. */
export function loggedModelTagValue(db: Db, modelId: string, key: string): Promise<{ value: string } | undefined> {
  return db.selectFrom('logged_model_tags').select('value').where('model_id', '=', modelId).where('key', '=', key).executeTakeFirst();
}

/** Sets one tag of a logged model, replacing its value if the key is there. */
export async function upsertLoggedModelTag(db: Db, modelId: string, tag: Tag): Promise<void> {
  await db
    .insertInto('logged_model_tags')
    .values({ model_id: modelId, key: tag.key, value: tag.value })
    .onConflict((oc) => oc.columns(['model_id', 'key']).doUpdateSet({ value: tag.value }))
    .execute();
}

/** The protected aliases and stages of a model, as stored. */
export function protectionRows(db: Db, modelId: number): Promise<{ kind: string; target: string }[]> {
  return db.selectFrom('registry_protections').select(['kind', 'target']).where('registered_model_id', '=', modelId).execute();
}

/** Replaces a model's protections with these (kind, target) rows. */
export async function replaceProtections(db: Db, modelId: number, rows: { kind: string; target: string }[]): Promise<void> {
  await db.deleteFrom('registry_protections').where('registered_model_id', '=', modelId).execute();
  if (rows.length > 0) await db.insertInto('registry_protections').values(rows.map((r) => ({ registered_model_id: modelId, ...r }))).execute();
}

/** The protection of one alias or stage of a model, if it is protected (`target` as stored). */
export function protectionOf(db: Db, modelId: number, kind: string, target: string): Promise<{ target: string } | undefined> {
  return db
    .selectFrom('registry_protections')
    .select('target')
    .where('registered_model_id', '=', modelId)
    .where('kind', '=', kind)
    .where('target', '=', target)
    .executeTakeFirst();
}

/** Transition requests joined with their version's model name and number. */
function selectRequests(db: Db) {
  return db
    .selectFrom('registry_requests')
    .innerJoin('model_versions', 'model_versions.id', 'registry_requests.version_id')
    .selectAll('registry_requests')
    .select(['model_versions.model_name', 'model_versions.version', 'model_versions.registered_model_id']);
}

/** Transition requests, newest first, of one model and in one status when given. */
export function requestRows(db: Db, filter: { modelId?: number; status?: string }) {
  let select = selectRequests(db);
  if (filter.modelId !== undefined) select = select.where('model_versions.registered_model_id', '=', filter.modelId);
  if (filter.status !== undefined) select = select.where('registry_requests.status', '=', filter.status);
  return select.orderBy('registry_requests.id', 'desc').execute();
}

/** The transition request with this id, if any. */
export function requestRow(db: Db, requestId: number) {
  return selectRequests(db).where('registry_requests.id', '=', requestId).executeTakeFirst();
}

/** The pending request to move a version onto exactly this target, if there is one. */
export function pendingRequest(db: Db, versionId: number, move: { kind: string; target: string; archive_existing_versions: number }) {
  return selectRequests(db)
    .where('registry_requests.version_id', '=', versionId)
    .where('registry_requests.kind', '=', move.kind)
    .where('registry_requests.target', '=', move.target)
    .where('registry_requests.archive_existing_versions', '=', move.archive_existing_versions)
    .where('registry_requests.status', '=', 'pending')
    .executeTakeFirst();
}

/** Inserts a transition request and returns its id. */
export async function insertRequest(db: Db, values: Insertable<Database['registry_requests']>): Promise<number> {
  return (await db.insertInto('registry_requests').values(values).returning('id').executeTakeFirstOrThrow()).id;
}

/**
 * Decides a request if it is still pending, in one statement (the state check and the change
 * cannot be split by another writer); true when it was pending and is now decided.
 */
export async function decidePendingRequest(
  db: Db,
  requestId: number,
  decision: Pick<Updateable<Database['registry_requests']>, 'status' | 'decided_by' | 'decided_time' | 'decision_comment'>,
): Promise<boolean> {
  const result = await db.updateTable('registry_requests').set(decision).where('id', '=', requestId).where('status', '=', 'pending').executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}
