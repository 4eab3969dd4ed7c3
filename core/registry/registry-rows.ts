/**
 * Reading the registry's rows: lookups that throw RESOURCE_DOES_NOT_EXIST with MLflow's messages,
 * and explicit mappers from rows to contract entities (registered models with their newest
 * version per stage, tags and aliases; versions with tags and aliases; transition requests). The
 * queries are registry-repository.ts's.
 */
import type { Selectable } from 'kysely';
import { MODEL_STAGES, type ModelStage, type ModelVersion, type RegisteredModel, type RequestStatus, type TransitionRequest } from '#core/api/entities.ts';
import { notFound } from '#core/api/errors.ts';
import type { Db } from '#core/catalog/catalog.ts';
import type { Database } from '#core/catalog/schema.ts';
import * as repo from './registry-repository.ts';

export type RegisteredModelRow = Selectable<Database['registered_models']>;
export type ModelVersionRow = Selectable<Database['model_versions']>;
export type RequestRow = Selectable<Database['registry_requests']>;

/** Ids per `in (...)` list, far below SQLite's limit on bound parameters. */
const ID_CHUNK = 500;

function chunked<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += ID_CHUNK) out.push(items.slice(i, i + ID_CHUNK));
  return out;
}

/** Loads a registered model by name, or throws RESOURCE_DOES_NOT_EXIST. */
export async function getModelRow(db: Db, name: string): Promise<RegisteredModelRow> {
  const row = await repo.modelByName(db, name);
  if (!row) throw notFound(`Registered Model with name=${name} not found`);
  return row;
}

/** Loads one version of a model by number, or throws RESOURCE_DOES_NOT_EXIST. */
export async function getVersionRow(db: Db, model: RegisteredModelRow, version: number): Promise<ModelVersionRow> {
  const row = await repo.versionByNumber(db, model.id, version);
  if (!row) throw notFound(`Model Version (name=${model.name}, version=${version}) not found`);
  return row;
}

/** Versions with their tags and aliases, in the order of `rows`. */
export async function loadVersions(db: Db, rows: readonly ModelVersionRow[]): Promise<ModelVersion[]> {
  const byId = new Map<number, ModelVersion>();
  const byNumber = new Map<string, ModelVersion>();
  for (const row of rows) {
    const version: ModelVersion = {
      name: row.model_name,
      version: Number(row.version),
      creationTimestamp: Number(row.creation_time),
      lastUpdatedTimestamp: Number(row.last_updated_time),
      currentStage: row.current_stage as ModelStage,
      source: row.source,
      status: row.status as ModelVersion['status'],
      tags: [],
      aliases: [],
    };
    if (row.user_id !== null) version.userId = row.user_id;
    if (row.description !== null) version.description = row.description;
    if (row.run_id !== null) version.runId = row.run_id;
    if (row.run_link !== null) version.runLink = row.run_link;
    if (row.logged_model_id !== null) version.modelId = row.logged_model_id;
    byId.set(Number(row.id), version);
    byNumber.set(`${row.registered_model_id}:${row.version}`, version);
  }
  for (const chunk of chunked([...byId.keys()])) {
    const tags = await repo.versionTagRows(db, chunk);
    for (const t of tags) byId.get(Number(t.version_id))!.tags.push({ key: t.key, value: t.value });
  }
  for (const chunk of chunked([...new Set(rows.map((r) => Number(r.registered_model_id)))])) {
    const aliases = await repo.aliasRows(db, chunk);
    for (const a of aliases) byNumber.get(`${a.registered_model_id}:${a.version}`)?.aliases.push(a.alias);
  }
  return rows.map((r) => byId.get(Number(r.id))!);
}

/** Registered models with their newest version per stage, tags and aliases, in the order of `rows`. */
export async function loadRegisteredModels(db: Db, rows: readonly RegisteredModelRow[]): Promise<RegisteredModel[]> {
  const models = new Map<number, RegisteredModel>();
  for (const row of rows) {
    const model: RegisteredModel = {
      name: row.name,
      creationTimestamp: Number(row.creation_time),
      lastUpdatedTimestamp: Number(row.last_updated_time),
      latestVersions: [],
      tags: [],
      aliases: [],
    };
    if (row.user_id !== null) model.userId = row.user_id;
    if (row.description !== null) model.description = row.description;
    models.set(Number(row.id), model);
  }
  for (const chunk of chunked([...models.keys()])) {
    const [tags, aliases, latest] = await Promise.all([repo.modelTagRows(db, chunk), repo.aliasRows(db, chunk), repo.newestPerStage(db, chunk)]);
    for (const t of tags) models.get(Number(t.registered_model_id))!.tags.push({ key: t.key, value: t.value });
    for (const a of aliases) models.get(Number(a.registered_model_id))!.aliases.push({ alias: a.alias, version: Number(a.version) });
    const stageOrder = (v: ModelVersionRow) => MODEL_STAGES.indexOf(v.current_stage as ModelStage);
    const ordered = [...latest].sort((a, b) => stageOrder(a) - stageOrder(b));
    const versions = await loadVersions(db, ordered);
    ordered.forEach((row, i) => models.get(Number(row.registered_model_id))!.latestVersions.push(versions[i]!));
  }
  return rows.map((r) => models.get(Number(r.id))!);
}

/** A transition request row, with its version's model name and number, as the contract entity. */
export function toTransitionRequest(row: RequestRow & { model_name: string; version: number }): TransitionRequest {
  const request: TransitionRequest = {
    requestId: String(row.id),
    name: row.model_name,
    version: Number(row.version),
    kind: row.kind as TransitionRequest['kind'],
    target: row.target,
    archiveExistingVersions: row.archive_existing_versions === 1,
    status: row.status as RequestStatus,
    requestedBy: row.requested_by,
    requestedAt: Number(row.requested_time),
  };
  if (row.comment !== null) request.comment = row.comment;
  if (row.decided_by !== null) request.decidedBy = row.decided_by;
  if (row.decided_time !== null) request.decidedAt = Number(row.decided_time);
  if (row.decision_comment !== null) request.decisionComment = row.decision_comment;
  return request;
}
