/**
 * The model registry: registered models, versions, tags, aliases, MLflow stages, approval of moves
 * onto protected aliases and stages (registry-moves.ts), and the append-only history. Every change
 * is one unit of work (registry-work.ts): its history entries commit with it, its events follow.
 * The statements themselves are in registry-repository.ts; this file keeps the rules.
 */
import type { Principal } from '#core/api/access.ts';
import type { Handlers } from '#core/api/contract.ts';
import { MODEL_STAGES, type ModelStage, type Tag } from '#core/api/entities.ts';
import { alreadyExists, invalid, notFound } from '#core/api/errors.ts';
import type { EventBus } from '#core/api/events.ts';
import type { Catalog, Db } from '#core/catalog/catalog.ts';
import { validateKey } from '#core/tracking/validation.ts';
import { findVersionByUri, isPromptVersion, NO_FILES, parseModelsUri, resolveModelSource, versionFiles } from './model-source.ts';
import { readHistory } from './registry-history.ts';
import {
  applyAlias,
  applyStage,
  decideRequest,
  hasOtherInStage,
  initialProtection,
  isProtected,
  normalizedProtection,
  parseRequestId,
  readProtection,
  requestMove,
  writeProtection,
} from './registry-moves.ts';
import { getModelRow, getVersionRow, loadRegisteredModels, loadVersions, toTransitionRequest, type ModelVersionRow } from './registry-rows.ts';
import * as repo from './registry-repository.ts';
import { searchModelVersionIds, searchRegisteredModelIds } from './registry-search.ts';
import { canonicalStage, validateAlias, validateDescription, validateModelName, validateRegistryTag } from './registry-validation.ts';
import { createMutate, osUser, ref, touchModel, touchVersion } from './registry-work.ts';

/** The contract methods this service implements. */
export type RegistryHandlers = Pick<Handlers, Extract<keyof Handlers, `registry.${string}`>>;

export interface RegistryDeps {
  catalog: Catalog;
  events: EventBus;
  /** The clock, injectable so tests can control time. */
  now?: () => number;
  /** Who acts when a call names no actor; the OS user running Flowdesk by default. */
  defaultActor?: () => string;
  /** Makes changes without history entries of their own (the migration's copy of a model; see `migrate.registryWrite`). */
  unrecorded?: boolean;
}

/** The logged-model tag listing the versions registered from it, as MLflow keeps it. */
const MODEL_VERSIONS_TAG = 'mlflow.modelVersions';

/** Stages whose other versions `archive_existing_versions` may archive (MLflow's active stages). */
const ARCHIVING_STAGES: readonly ModelStage[] = ['Staging', 'Production'];

/** The last value of each key wins, as if the tags had been set one after another. */
function lastOfEachKey(tags: readonly Tag[]): Tag[] {
  return [...new Map(tags.map((t) => [t.key, t])).values()];
}

/** Who a change is recorded as: a signed-in user is always themselves, whatever the call says; the owner may name an actor. */
function actorOf(input: { actor?: string }, caller: Principal | undefined): string | undefined {
  return caller?.name ?? input.actor;
}

/** The registry half of the contract. */
export function createRegistryService(deps: RegistryDeps): RegistryHandlers {
  const { catalog } = deps;
  const db = catalog.db;
  const mutate = createMutate({ catalog, events: deps.events, now: deps.now ?? Date.now, defaultActor: deps.defaultActor ?? osUser, unrecorded: deps.unrecorded });

  async function modelEntity(dbOrTrx: Db, name: string) {
    return (await loadRegisteredModels(dbOrTrx, [await getModelRow(dbOrTrx, name)]))[0]!;
  }

  async function versionEntity(dbOrTrx: Db, row: ModelVersionRow) {
    return (await loadVersions(dbOrTrx, [row]))[0]!;
  }

  function checkTags(tags: readonly Tag[] | undefined): Tag[] {
    const unique = lastOfEachKey(tags ?? []);
    unique.forEach(validateRegistryTag);
    return unique;
  }

  return {
    async 'registry.createModel'(input, caller) {
      validateModelName(input.name);
      if (input.description !== undefined) validateDescription(input.description);
      const tags = checkTags(input.tags);
      await mutate(actorOf(input, caller), async (work) => {
        const { trx, stamp } = work;
        const clash = await repo.modelIdNamed(trx, input.name);
        if (clash) throw alreadyExists(`Registered Model (name=${input.name}) already exists.`);
        const model = await repo.insertModel(trx, {
          name: input.name,
          description: input.description ?? null,
          user_id: stamp.actor,
          creation_time: stamp.time,
          last_updated_time: stamp.time,
          last_version: 0,
        });
        if (tags.length > 0) await repo.insertModelTags(trx, model.id, tags);
        const protection = await initialProtection(trx);
        await writeProtection(trx, model, protection);
        work.record({
          kind: 'model.created',
          model: ref(model),
          before: null,
          after: { name: model.name, description: model.description, tags, protection },
        });
        work.notify({ type: 'registry.changed', name: model.name });
      });
      return { model: await modelEntity(db, input.name) };
    },

    async 'registry.getModel'(input) {
      return { model: await modelEntity(db, input.name) };
    },

    async 'registry.renameModel'(input, caller) {
      validateModelName(input.newName);
      await mutate(actorOf(input, caller), async (work) => {
        const { trx } = work;
        const model = await getModelRow(trx, input.name);
        if (input.newName === model.name) return;
        const clash = await repo.modelIdNamed(trx, input.newName);
        if (clash) throw alreadyExists(`Registered Model (name=${input.newName}) already exists.`);
        await repo.updateModel(trx, model.id, { name: input.newName, last_updated_time: work.stamp.time });
        // Versions carry the name for search; aliases and history follow the model's id.
        await repo.renameModelOnVersions(trx, model.id, input.newName);
        work.record({ kind: 'model.renamed', model: { id: Number(model.id), name: input.newName }, before: { name: model.name }, after: { name: input.newName } });
        work.notify({ type: 'registry.changed', name: input.newName, previousName: model.name });
      });
      return { model: await modelEntity(db, input.newName) };
    },

    async 'registry.updateModel'(input, caller) {
      validateDescription(input.description);
      await mutate(actorOf(input, caller), async (work) => {
        const model = await getModelRow(work.trx, input.name);
        if (model.description === input.description) return;
        await repo.updateModel(work.trx, model.id, { description: input.description, last_updated_time: work.stamp.time });
        work.record({ kind: 'model.described', model: ref(model), before: { description: model.description }, after: { description: input.description } });
        work.notify({ type: 'registry.changed', name: model.name });
      });
      return { model: await modelEntity(db, input.name) };
    },

    async 'registry.deleteModel'(input, caller) {
      await mutate(actorOf(input, caller), async (work) => {
        const { trx } = work;
        const row = await getModelRow(trx, input.name);
        const [model] = await loadRegisteredModels(trx, [row]);
        const versions = await repo.versionNumbersOf(trx, row.id);
        // Versions, tags, aliases, protections and requests cascade from the model; the history stays.
        await repo.deleteModel(trx, row.id);
        work.record({
          kind: 'model.deleted',
          model: ref(row),
          before: { name: row.name, description: row.description, tags: model!.tags, aliases: model!.aliases, versions: versions.map((v) => Number(v.version)) },
          after: null,
        });
        work.notify({ type: 'registry.changed', name: row.name });
      });
      return {};
    },

    async 'registry.setModelTag'(input, caller) {
      const tag = { key: input.key, value: input.value };
      validateRegistryTag(tag);
      await mutate(actorOf(input, caller), async (work) => {
        const { trx } = work;
        const model = await getModelRow(trx, input.name);
        const current = await repo.modelTagValue(trx, model.id, tag.key);
        if (current?.value === tag.value) return;
        await repo.upsertModelTag(trx, model.id, tag);
        await touchModel(work, model);
        work.record({ kind: 'model.tagSet', model: ref(model), before: current ? { key: tag.key, value: current.value } : null, after: tag });
        work.notify({ type: 'registry.changed', name: model.name });
      });
      return {};
    },

    // As in MLflow, deleting a tag that is not there is not an error (a retried call succeeds).
    async 'registry.deleteModelTag'(input, caller) {
      validateKey('tag', input.key);
      await mutate(actorOf(input, caller), async (work) => {
        const { trx } = work;
        const model = await getModelRow(trx, input.name);
        const current = await repo.modelTagValue(trx, model.id, input.key);
        if (!current) return;
        await repo.deleteModelTag(trx, model.id, input.key);
        await touchModel(work, model);
        work.record({ kind: 'model.tagDeleted', model: ref(model), before: { key: input.key, value: current.value }, after: null });
        work.notify({ type: 'registry.changed', name: model.name });
      });
      return {};
    },

    async 'registry.searchModels'(input) {
      const page = await searchRegisteredModelIds(db, catalog.dialect, input);
      const ids = page.ids.map(Number);
      const rows = ids.length ? await repo.modelsByIds(db, ids) : [];
      const byId = new Map(rows.map((r) => [Number(r.id), r]));
      const ordered = ids.map((id) => byId.get(id)).filter((r) => r !== undefined);
      return { models: await loadRegisteredModels(db, ordered), ...(page.nextPageToken && { nextPageToken: page.nextPageToken }) };
    },

    async 'registry.latestVersions'(input) {
      const stages = input.stages?.length ? [...new Set(input.stages.map(canonicalStage))] : [...MODEL_STAGES];
      const model = await getModelRow(db, input.name);
      const rows: ModelVersionRow[] = [];
      for (const stage of stages) {
        const row = await repo.newestInStage(db, model.id, stage);
        if (row) rows.push(row);
      }
      return { versions: await loadVersions(db, rows) };
    },

    async 'registry.createVersion'(input, caller) {
      if (input.description !== undefined) validateDescription(input.description);
      const tags = checkTags(input.tags);
      const row = await mutate(actorOf(input, caller), async (work) => {
        const { trx, stamp } = work;
        const model = await getModelRow(trx, input.name);
        const resolved = (await isPromptVersion(trx, model.id, tags))
          ? { storageLocation: NO_FILES, runId: undefined, modelId: undefined }
          : await resolveModelSource(trx, input.source, { runId: input.runId || undefined, modelId: input.modelId || undefined });
        const number = await repo.takeNextVersionNumber(trx, model.id, stamp.time);
        const version = await repo.insertVersion(trx, {
          registered_model_id: model.id,
          model_name: model.name,
          version: number,
          source: input.source,
          storage_location: resolved.storageLocation,
          run_id: resolved.runId ?? null,
          run_link: input.runLink || null,
          logged_model_id: resolved.modelId ?? null,
          description: input.description ?? null,
          current_stage: 'None',
          status: 'READY',
          user_id: stamp.actor,
          creation_time: stamp.time,
          last_updated_time: stamp.time,
        });
        if (tags.length > 0) await repo.insertVersionTags(trx, version.id, tags);
        if (resolved.modelId !== undefined) await noteRegistration(trx, resolved.modelId, model.name, number);
        work.record({
          kind: 'version.created',
          model: ref(model),
          version: number,
          before: null,
          after: {
            source: input.source,
            storageLocation: resolved.storageLocation,
            runId: resolved.runId ?? null,
            modelId: resolved.modelId ?? null,
            description: input.description ?? null,
            tags,
            stage: 'None',
          },
        });
        work.notify({ type: 'registry.changed', name: model.name, version: number });
        return version;
      });
      return { version: await versionEntity(db, row) };
    },

    async 'registry.getVersion'(input) {
      return { version: await versionEntity(db, await getVersionRow(db, await getModelRow(db, input.name), input.version)) };
    },

    async 'registry.updateVersion'(input, caller) {
      validateDescription(input.description);
      const row = await mutate(actorOf(input, caller), async (work) => {
        const model = await getModelRow(work.trx, input.name);
        const version = await getVersionRow(work.trx, model, input.version);
        if (version.description === input.description) return version;
        await repo.updateVersion(work.trx, version.id, { description: input.description, last_updated_time: work.stamp.time });
        work.record({ kind: 'version.described', model: ref(model), version: input.version, before: { description: version.description }, after: { description: input.description } });
        work.notify({ type: 'registry.changed', name: model.name, version: input.version });
        return version;
      });
      return { version: await versionEntity(db, await repo.versionById(db, row.id)) };
    },

    async 'registry.deleteVersion'(input, caller) {
      await mutate(actorOf(input, caller), async (work) => {
        const { trx } = work;
        const model = await getModelRow(trx, input.name);
        const row = await getVersionRow(trx, model, input.version);
        const [version] = await loadVersions(trx, [row]);
        // Tags, aliases and requests cascade from the version; the model keeps its last number.
        await repo.deleteVersion(trx, row.id);
        await touchModel(work, model);
        work.record({
          kind: 'version.deleted',
          model: ref(model),
          version: input.version,
          before: { source: row.source, stage: row.current_stage, aliases: version!.aliases, tags: version!.tags, description: row.description, runId: row.run_id },
          after: null,
        });
        work.notify({ type: 'registry.changed', name: model.name, version: input.version });
      });
      return {};
    },

    async 'registry.setVersionTag'(input, caller) {
      const tag = { key: input.key, value: input.value };
      validateRegistryTag(tag);
      await mutate(actorOf(input, caller), async (work) => {
        const { trx } = work;
        const model = await getModelRow(trx, input.name);
        const version = await getVersionRow(trx, model, input.version);
        const current = await repo.versionTagValue(trx, version.id, tag.key);
        if (current?.value === tag.value) return;
        await repo.upsertVersionTag(trx, version.id, tag);
        await touchVersion(work, version);
        work.record({ kind: 'version.tagSet', model: ref(model), version: input.version, before: current ? { key: tag.key, value: current.value } : null, after: tag });
        work.notify({ type: 'registry.changed', name: model.name, version: input.version });
      });
      return {};
    },

    async 'registry.deleteVersionTag'(input, caller) {
      validateKey('tag', input.key);
      await mutate(actorOf(input, caller), async (work) => {
        const { trx } = work;
        const model = await getModelRow(trx, input.name);
        const version = await getVersionRow(trx, model, input.version);
        const current = await repo.versionTagValue(trx, version.id, input.key);
        if (!current) return;
        await repo.deleteVersionTag(trx, version.id, input.key);
        await touchVersion(work, version);
        work.record({ kind: 'version.tagDeleted', model: ref(model), version: input.version, before: { key: input.key, value: current.value }, after: null });
        work.notify({ type: 'registry.changed', name: model.name, version: input.version });
      });
      return {};
    },

    async 'registry.searchVersions'(input) {
      const page = await searchModelVersionIds(db, catalog.dialect, input);
      const ids = page.ids.map(Number);
      const rows: ModelVersionRow[] = [];
      for (let i = 0; i < ids.length; i += 500) {
        rows.push(...(await repo.versionsByIds(db, ids.slice(i, i + 500))));
      }
      const byId = new Map(rows.map((r) => [Number(r.id), r]));
      const ordered = ids.map((id) => byId.get(id)).filter((r) => r !== undefined);
      return { versions: await loadVersions(db, ordered), ...(page.nextPageToken && { nextPageToken: page.nextPageToken }) };
    },

    async 'registry.downloadUri'(input) {
      const row = await getVersionRow(db, await getModelRow(db, input.name), input.version);
      return { artifactUri: versionFiles(row) };
    },

    async 'registry.resolve'(input) {
      const uri = parseModelsUri(input.uri);
      if (uri.kind === 'loggedModel') throw invalid(`'${input.uri}' names a logged model, not a registered model version; read it with loggedModels.get`);
      const row = await findVersionByUri(db, uri);
      return { version: await versionEntity(db, row), artifactUri: versionFiles(row) };
    },

    async 'registry.versionsOfRun'(input) {
      const rows = await repo.versionsOfRun(db, input.runId);
      return { versions: await loadVersions(db, rows) };
    },

    async 'registry.setAlias'(input, caller) {
      validateAlias(input.alias);
      const request = await mutate(actorOf(input, caller), async (work) => {
        const model = await getModelRow(work.trx, input.name);
        const version = await getVersionRow(work.trx, model, input.version);
        if ((await repo.aliasVersion(work.trx, model.id, input.alias)) === input.version) return undefined;
        if (await isProtected(work.trx, model, 'alias', input.alias)) {
          return requestMove(work, model, version, { kind: 'alias', target: input.alias, archiveExistingVersions: false, comment: input.comment });
        }
        await applyAlias(work, model, version, input.alias);
        return undefined;
      });
      return request ? { request } : {};
    },

    // As in MLflow, deleting an alias that does not exist is not an error.
    async 'registry.deleteAlias'(input, caller) {
      validateAlias(input.alias);
      await mutate(actorOf(input, caller), async (work) => {
        const { trx } = work;
        const model = await getModelRow(trx, input.name);
        const current = await repo.aliasVersion(trx, model.id, input.alias);
        if (current === undefined) return;
        await repo.deleteAlias(trx, model.id, input.alias);
        await touchModel(work, model);
        work.record({ kind: 'alias.deleted', model: ref(model), version: current, before: { alias: input.alias, version: current }, after: null });
        work.notify({ type: 'registry.changed', name: model.name, version: current });
      });
      return {};
    },

    async 'registry.getVersionByAlias'(input) {
      return { version: await versionEntity(db, await findVersionByUri(db, { kind: 'alias', name: input.name, alias: input.alias })) };
    },

    async 'registry.transitionStage'(input, caller) {
      const stage = canonicalStage(input.stage);
      const archive = input.archiveExistingVersions ?? false;
      if (archive && !ARCHIVING_STAGES.includes(stage)) {
        throw invalid(`Model version transition cannot archive existing model versions because '${stage}' is not an active stage. Valid stages are ${ARCHIVING_STAGES.join(', ')}.`);
      }
      const { id, request } = await mutate(actorOf(input, caller), async (work) => {
        const model = await getModelRow(work.trx, input.name);
        const version = await getVersionRow(work.trx, model, input.version);
        if (await isProtected(work.trx, model, 'stage', stage)) {
          const unchanged = version.current_stage === stage && !(archive && (await hasOtherInStage(work.trx, version, stage)));
          if (unchanged) return { id: version.id, request: undefined };
          return { id: version.id, request: await requestMove(work, model, version, { kind: 'stage', target: stage, archiveExistingVersions: archive, comment: input.comment }) };
        }
        await applyStage(work, model, version, stage, archive);
        return { id: version.id, request: undefined };
      });
      const version = await versionEntity(db, await repo.versionById(db, id));
      return request ? { version, request } : { version };
    },

    async 'registry.getProtection'(input) {
      return { protection: await readProtection(db, await getModelRow(db, input.name)) };
    },

    async 'registry.setProtection'(input, caller) {
      input.aliases.forEach(validateAlias);
      const wanted = normalizedProtection(input.aliases, input.stages);
      const protection = await mutate(actorOf(input, caller), async (work) => {
        const model = await getModelRow(work.trx, input.name);
        const before = await readProtection(work.trx, model);
        if (JSON.stringify(before) === JSON.stringify(wanted)) return before;
        await writeProtection(work.trx, model, wanted);
        await touchModel(work, model);
        work.record({ kind: 'model.protectionChanged', model: ref(model), before, after: wanted });
        work.notify({ type: 'registry.changed', name: model.name });
        return wanted;
      });
      return { protection };
    },

    async 'registry.listRequests'(input) {
      const modelId = input.name === undefined ? undefined : (await getModelRow(db, input.name)).id;
      const rows = await repo.requestRows(db, { modelId, status: input.status });
      return { requests: rows.map(toTransitionRequest) };
    },

    async 'registry.getRequest'(input) {
      const row = await repo.requestRow(db, parseRequestId(input.requestId));
      if (!row) throw notFound(`Transition request ${input.requestId} not found`);
      return { request: toTransitionRequest(row) };
    },

    async 'registry.approveRequest'(input, caller) {
      // Four eyes: a signed-in approver never approves their own request (the owner, alone on a laptop, may).
      return { request: await mutate(actorOf(input, caller), (work) => decideRequest(work, input.requestId, 'approved', input.comment, caller?.name !== undefined)) };
    },
    async 'registry.rejectRequest'(input, caller) {
      return { request: await mutate(actorOf(input, caller), (work) => decideRequest(work, input.requestId, 'rejected', input.comment)) };
    },
    async 'registry.cancelRequest'(input, caller) {
      return { request: await mutate(actorOf(input, caller), (work) => decideRequest(work, input.requestId, 'cancelled', input.comment)) };
    },

    async 'registry.history'(input) {
      return readHistory(db, input);
    },
  };
}

/**
 * Appends `{name, version}` to the logged model's `mlflow.modelVersions` tag, a JSON list, as
 * MLflow does after registering a version from a logged model.
 */
async function noteRegistration(trx: Db, modelId: string, name: string, version: number): Promise<void> {
  const current = await repo.loggedModelTagValue(trx, modelId, MODEL_VERSIONS_TAG);
  let list: unknown = [];
  try {
    if (current) list = JSON.parse(current.value);
  } catch {
    list = [];
  }
  // A tag that no longer holds a list (edited by hand) starts over rather than failing the registration.
  const entries = Array.isArray(list) ? list : [];
  entries.push({ name, version });
  await repo.upsertLoggedModelTag(trx, modelId, { key: MODEL_VERSIONS_TAG, value: JSON.stringify(entries) });
}
