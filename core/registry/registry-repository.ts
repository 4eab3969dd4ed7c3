/**
 * The registry service's own queries: registered models, versions and their tags and aliases,
 * one function per statement. Rules (what must exist, what is recorded, which error a caller gets)
 * live in registry-service.ts; reads shared with the moves and history are in registry-rows.ts.
 * The SQL these functions compile is kept as reviewed snapshots for both dialects
 * (test/catalog/repository-sql.test.ts).
 */
import type { Insertable, Updateable } from 'kysely';
import type { Tag } from '#core/api/entities.ts';
import type { Db } from '#core/catalog/catalog.ts';
import type { Database } from '#core/catalog/schema.ts';
import { selectRequests, type ModelVersionRow, type RegisteredModelRow } from './registry-rows.ts';

/** The id of the registered model with this name, if any (the uniqueness check before a create or rename). */
export function modelIdNamed(db: Db, name: string): Promise<{ id: number } | undefined> {
  return db.selectFrom('registered_models').select('id').where('name', '=', name).executeTakeFirst();
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

/** Deletes one alias of a registered model. */
export async function deleteAlias(db: Db, modelId: number, alias: string): Promise<void> {
  await db.deleteFrom('registered_model_aliases').where('registered_model_id', '=', modelId).where('alias', '=', alias).execute();
}

/** The version numbers of a registered model, ascending. */
export function versionNumbersOf(db: Db, modelId: number): Promise<{ version: number }[]> {
  return db.selectFrom('model_versions').select('version').where('registered_model_id', '=', modelId).orderBy('version').execute();
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
