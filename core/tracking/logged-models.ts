/**
 * MLflow 3 logged models: a model with its own artifact folder, params, tags and metrics, linked
 * to the runs that produced (outputs) or used (inputs) it. The contract half lives here; the
 * MLflow routes translate onto it. Deleting a model is soft, as in MLflow; its rows cascade away
 * when its experiment is purged, and its files live inside the experiment's folder, which the
 * purge deletes whole.
 */
import { randomBytes } from 'node:crypto';
import type { Handlers } from '#core/api/contract.ts';
import type { LoggedModel, LoggedModelMetric, LoggedModelStatus, ModelInput, ModelOutput, Param, Tag } from '#core/api/entities.ts';
import { invalid, notFound } from '#core/api/errors.ts';
import type { EventBus } from '#core/api/events.ts';
import type { ArtifactStore } from '#core/artifacts/artifact-store.ts';
import type { Catalog, Db } from '#core/catalog/catalog.ts';
import { storePathIn } from '#core/api/artifact-locations.ts';
import { fromStoredValue } from './mappers.ts';
import { searchLoggedModels } from './logged-models-search.ts';
import { randomRunName } from './run-names.ts';
import { getLoggedModelRow, ID_CHUNK, recordModelMetrics, type LoggedModelRow } from './model-links.ts';
import { getExperimentRow, getRunRow } from './tracking-service.ts';
import { validateKey, validateMetric, validateParam, validateRunTag } from './validation.ts';

/** The contract methods this service implements: `loggedModels.*` and the runs' links to logged models. */
export type LoggedModelHandlers = Pick<Handlers, Extract<keyof Handlers, `loggedModels.${string}`> | 'runs.logOutputs' | 'runs.logModelInputs'>;

/** What the service works with; the artifact store serves model folder listings. */
export interface LoggedModelDeps {
  catalog: Catalog;
  artifacts: ArtifactStore;
  events: EventBus;
  /** The clock, injectable so tests can control time. */
  now?: () => number;
}

/** Characters MLflow refuses in a model name: they would break `models:/<name>` URIs and paths. */
const NAME_FORBIDDEN = /[/:.%"']/;
/** Rows per multi-row insert, far below SQLite's limit on bound parameters. */
const INSERT_CHUNK = 500;

/** A new logged-model id: `m-` and 32 lowercase hex characters, as MLflow assigns them. */
function newModelId(): string {
  return `m-${randomBytes(16).toString('hex')}`;
}

function validateModelName(name: string): void {
  if (name.length === 0 || NAME_FORBIDDEN.test(name)) {
    throw invalid(`Invalid model name '${name}': names must be non-empty and may not contain '/', ':', '.', '%', '"' or "'"`);
  }
  // The same bound as experiment names: a name is shown in lists and typed into models:/ URIs.
  if (name.length > 500) throw invalid(`Invalid model name: names may be at most 500 characters, got ${name.length}`);
}

/** Full logged models (tags, params, metrics) for rows, in the given order. */
export async function loadModels(db: Db, rows: LoggedModelRow[]): Promise<LoggedModel[]> {
  const models = new Map<string, LoggedModel>();
  for (const row of rows) {
    const info: LoggedModel['info'] = {
      modelId: row.model_id,
      experimentId: String(row.experiment_id),
      name: row.name,
      creationTimestampMs: Number(row.creation_time),
      lastUpdatedTimestampMs: Number(row.last_updated_time),
      artifactUri: row.artifact_uri,
      status: row.status as LoggedModelStatus,
      tags: [],
    };
    if (row.model_type !== null) info.modelType = row.model_type;
    if (row.source_run_id !== null) info.sourceRunId = row.source_run_id;
    models.set(row.model_id, { info, data: { params: [], metrics: [] } });
  }
  const ids = rows.map((r) => r.model_id);
  for (let i = 0; i < ids.length; i += ID_CHUNK) {
    const chunk = ids.slice(i, i + ID_CHUNK);
    const [tags, params, metrics, registrations] = await Promise.all([
      db.selectFrom('logged_model_tags').selectAll().where('model_id', 'in', chunk).orderBy('key').execute(),
      db.selectFrom('logged_model_params').selectAll().where('model_id', 'in', chunk).orderBy('key').execute(),
      db.selectFrom('logged_model_metrics').selectAll().where('model_id', 'in', chunk).orderBy('key').orderBy('step').orderBy('timestamp').execute(),
      // The registered versions made from each model, under their models' current names.
      db
        .selectFrom('model_versions')
        .select(['logged_model_id', 'model_name', 'version'])
        .where('logged_model_id', 'in', chunk)
        .orderBy('model_name')
        .orderBy('version')
        .execute(),
    ]);
    for (const t of tags) models.get(t.model_id)!.info.tags.push({ key: t.key, value: t.value });
    for (const r of registrations) {
      const info = models.get(r.logged_model_id!)!.info;
      (info.registrations ??= []).push({ name: r.model_name, version: Number(r.version) });
    }
    for (const p of params) models.get(p.model_id)!.data.params.push({ key: p.key, value: p.value });
    for (const m of metrics) {
      const metric: LoggedModelMetric = {
        key: m.key,
        value: fromStoredValue(m),
        timestamp: Number(m.timestamp),
        step: Number(m.step),
        modelId: m.model_id,
      };
      if (m.run_id) metric.runId = m.run_id;
      if (m.dataset_name) metric.datasetName = m.dataset_name;
      if (m.dataset_digest) metric.datasetDigest = m.dataset_digest;
      models.get(m.model_id)!.data.metrics.push(metric);
    }
  }
  return rows.map((r) => models.get(r.model_id)!);
}

/** The last value of each key wins, as if the items had been sent one after another. */
function lastOfEachKey<T extends { key: string }>(items: readonly T[]): T[] {
  return [...new Map(items.map((item) => [item.key, item])).values()];
}

/** Slices rows for multi-row inserts that stay under the database's limit on bound parameters. */
function chunks<T>(rows: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += INSERT_CHUNK) out.push(rows.slice(i, i + INSERT_CHUNK));
  return out;
}

/**
 * Validates params and keys them; a key sent twice in one request must carry one value. Done
 * before the write starts, so a bad request never holds the write lock.
 */
function checkedParams(params: readonly Param[]): Map<string, string> {
  const byKey = new Map<string, string>();
  for (const p of params) {
    validateParam(p);
    const before = byKey.get(p.key);
    if (before !== undefined && before !== p.value) throw invalid(`Duplicate param key '${p.key}' with different values in one request`);
    byKey.set(p.key, p.value);
  }
  return byKey;
}

/** Validates tags; the last value of a key sent twice wins. */
function checkedTags(tags: readonly Tag[]): Tag[] {
  tags.forEach(validateRunTag);
  return lastOfEachKey(tags);
}

/**
 * Logs checked params on a model. Like run params they are write-once: a different value for a
 * logged key is refused, the same value again is a no-op (a retried request must succeed).
 */
async function logParams(trx: Db, model: LoggedModelRow, byKey: ReadonlyMap<string, string>): Promise<void> {
  const keys = [...byKey.keys()];
  for (const chunk of chunks(keys)) {
    const existing = await trx
      .selectFrom('logged_model_params')
      .select(['key', 'value'])
      .where('model_id', '=', model.model_id)
      .where('key', 'in', chunk)
      .execute();
    for (const e of existing) {
      if (e.value !== byKey.get(e.key)) {
        throw invalid(
          `Changing param values is not allowed. Param with key='${e.key}' was already logged with value='${e.value}' for logged model ID='${model.model_id}'. Attempted logging new value '${byKey.get(e.key)}'.`,
        );
      }
    }
  }
  for (const chunk of chunks(keys)) {
    await trx
      .insertInto('logged_model_params')
      .values(chunk.map((key) => ({ model_id: model.model_id, key, value: byKey.get(key)! })))
      .onConflict((oc) => oc.doNothing())
      .execute();
  }
}

/** Upserts checked tags on a model. */
async function setTags(trx: Db, model: LoggedModelRow, tags: readonly Tag[]): Promise<void> {
  for (const chunk of chunks(tags)) {
    await trx
      .insertInto('logged_model_tags')
      .values(chunk.map((t) => ({ model_id: model.model_id, key: t.key, value: t.value })))
      .onConflict((oc) => oc.columns(['model_id', 'key']).doUpdateSet((eb) => ({ value: eb.ref('excluded.value') })))
      .execute();
  }
}

function requireActiveRun(run: { run_uuid: string; lifecycle_stage: string }): void {
  if (run.lifecycle_stage !== 'active') {
    throw invalid(`The run ${run.run_uuid} must be in the 'active' state. Current state is ${run.lifecycle_stage}.`);
  }
}

/** The logged-model half of the contract, and the run links to logged models. */
export function createLoggedModelsService(deps: LoggedModelDeps): LoggedModelHandlers {
  const { catalog, artifacts, events } = deps;
  const db = catalog.db;
  const now = deps.now ?? Date.now;

  async function getModel(modelId: string): Promise<LoggedModel> {
    return (await loadModels(db, [await getLoggedModelRow(db, modelId)]))[0]!;
  }

  /** Runs `change` on a live model in one write, bumps its update time and tells the UI. */
  async function changeModel(modelId: string, change: (trx: Db, model: LoggedModelRow) => Promise<void>): Promise<LoggedModelRow> {
    const row = await catalog.write(async (trx) => {
      const model = await getLoggedModelRow(trx, modelId);
      await change(trx, model);
      await trx.updateTable('logged_models').set({ last_updated_time: now() }).where('model_id', '=', model.model_id).execute();
      return model;
    });
    events.publish({ type: 'experiment.changed', experimentId: String(row.experiment_id) });
    return row;
  }

  /** Checks that every linked model exists, then lets `link` write the rows for an active run. */
  async function linkRun(runId: string, models: readonly (ModelInput | ModelOutput)[], link: (trx: Db, runRowId: number) => Promise<void>) {
    const row = await catalog.write(async (trx) => {
      const run = await getRunRow(trx, runId);
      requireActiveRun(run);
      for (const m of models) await getLoggedModelRow(trx, m.modelId);
      await link(trx, run.id);
      return run;
    });
    events.publish({ type: 'run.updated', experimentId: String(row.experiment_id), runId: row.run_uuid });
  }

  return {
    async 'loggedModels.create'(input) {
      const name = input.name ?? randomRunName();
      validateModelName(name);
      const params = checkedParams(input.params ?? []);
      const tags = checkedTags(input.tags ?? []);
      const modelId = newModelId();
      const row = await catalog.write(async (trx) => {
        const experiment = await getExperimentRow(trx, input.experimentId);
        if (experiment.lifecycle_stage !== 'active') {
          throw invalid(`The experiment ${input.experimentId} must be in the 'active' state. Current state is ${experiment.lifecycle_stage}.`);
        }
        const t = now();
        const model = await trx
          .insertInto('logged_models')
          .values({
            model_id: modelId,
            experiment_id: experiment.experiment_id,
            name,
            status: 'LOGGED_MODEL_PENDING',
            model_type: input.modelType || null,
            source_run_id: input.sourceRunId || null,
            // The server assigns the location, beside the experiment's runs, as MLflow lays it out.
            artifact_uri: `${experiment.artifact_location}/models/${modelId}/artifacts`,
            creation_time: t,
            last_updated_time: t,
            lifecycle_stage: 'active',
            deleted_time: null,
          })
          .returningAll()
          .executeTakeFirstOrThrow();
        await logParams(trx, model, params);
        await setTags(trx, model, tags);
        return model;
      });
      events.publish({ type: 'experiment.changed', experimentId: String(row.experiment_id) });
      return { model: await getModel(modelId) };
    },

    async 'loggedModels.get'(input) {
      return { model: await getModel(input.modelId) };
    },

    async 'loggedModels.finalize'(input) {
      await changeModel(input.modelId, async (trx, model) => {
        await trx.updateTable('logged_models').set({ status: input.status }).where('model_id', '=', model.model_id).execute();
      });
      return { model: await getModel(input.modelId) };
    },

    async 'loggedModels.delete'(input) {
      await changeModel(input.modelId, async (trx, model) => {
        await trx.updateTable('logged_models').set({ lifecycle_stage: 'deleted', deleted_time: now() }).where('model_id', '=', model.model_id).execute();
      });
      return {};
    },

    async 'loggedModels.search'(input) {
      const page = await searchLoggedModels(db, catalog.dialect, input);
      const rows: LoggedModelRow[] = [];
      for (let i = 0; i < page.modelIds.length; i += ID_CHUNK) {
        rows.push(...(await db.selectFrom('logged_models').selectAll().where('model_id', 'in', page.modelIds.slice(i, i + ID_CHUNK)).execute()));
      }
      const byId = new Map(rows.map((r) => [r.model_id, r]));
      const ordered = page.modelIds.map((id) => byId.get(id)).filter((r) => r !== undefined);
      return { models: await loadModels(db, ordered), nextPageToken: page.nextPageToken };
    },

    async 'loggedModels.setTags'(input) {
      const tags = checkedTags(input.tags);
      await changeModel(input.modelId, (trx, model) => setTags(trx, model, tags));
      return {};
    },

    async 'loggedModels.deleteTag'(input) {
      validateKey('tag', input.key);
      await changeModel(input.modelId, async (trx, model) => {
        const result = await trx.deleteFrom('logged_model_tags').where('model_id', '=', model.model_id).where('key', '=', input.key).executeTakeFirst();
        if (Number(result.numDeletedRows) === 0) throw notFound(`No tag with key '${input.key}' on logged model ${model.model_id}`);
      });
      return {};
    },

    async 'loggedModels.logParams'(input) {
      const params = checkedParams(input.params);
      await changeModel(input.modelId, (trx, model) => logParams(trx, model, params));
      return {};
    },

    async 'loggedModels.logMetrics'(input) {
      for (const m of input.metrics) validateMetric(m);
      const model = await catalog.write((trx) => recordModelMetrics(trx, input.modelId, input.metrics, now()));
      events.publish({ type: 'experiment.changed', experimentId: String(model.experiment_id) });
      return {};
    },

    async 'loggedModels.listArtifacts'(input) {
      const model = await getLoggedModelRow(db, input.modelId);
      return { rootUri: model.artifact_uri, files: await artifacts.list(storePathIn(model.artifact_uri, input.path)) };
    },

    async 'runs.logOutputs'(input) {
      await linkRun(input.runId, input.models, async (trx, runRowId) => {
        // A model listed twice keeps its last step, as if the outputs had been logged one by one.
        const steps = new Map(input.models.map((m) => [m.modelId, m.step]));
        for (const chunk of chunks([...steps])) {
          await trx
            .insertInto('run_model_outputs')
            .values(chunk.map(([modelId, step]) => ({ run_id: runRowId, model_id: modelId, step })))
            .onConflict((oc) => oc.columns(['run_id', 'model_id']).doUpdateSet((eb) => ({ step: eb.ref('excluded.step') })))
            .execute();
        }
      });
      return {};
    },

    async 'runs.logModelInputs'(input) {
      await linkRun(input.runId, input.models, async (trx, runRowId) => {
        for (const chunk of chunks([...new Set(input.models.map((m) => m.modelId))])) {
          await trx
            .insertInto('run_model_inputs')
            .values(chunk.map((modelId) => ({ run_id: runRowId, model_id: modelId })))
            .onConflict((oc) => oc.doNothing())
            .execute();
        }
      });
      return {};
    },
  };
}
