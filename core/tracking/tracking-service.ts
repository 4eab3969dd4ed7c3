/**
 * Experiments, runs and their data: the tracking half of the contract. Every write goes through
 * the catalog's group-commit writer; every metric, param and tag write goes through logBatch.
 * The statements themselves are in tracking-repository.ts; this file keeps the rules.
 */
import { randomBytes } from 'node:crypto';
import { alreadyExists, FlowdeskError, invalid, notFound } from '#core/api/errors.ts';
import type { DatasetInput, Param, Run, Tag } from '#core/api/entities.ts';
import type { runsTableContract } from '#core/api/runs-table-contract.ts';
import type { batchedReadsContract } from '#core/api/batched-reads-contract.ts';
import type { Principal } from '#core/api/access.ts';
import type { Handlers, MethodParsedInput } from '#core/api/contract.ts';
import type { EventBus } from '#core/api/events.ts';
import type { Catalog, Db } from '#core/catalog/catalog.ts';
import { dialectSql } from '#core/catalog/dialect-sql.ts';
import { searchExperiments, searchRuns } from '#core/search/search.ts';
import { toExperiment, toLatestMetric, toRunInfo, type RunRow } from './mappers.ts';
import { readHistory, readSampled } from './metric-reader.ts';
import { addDatasetInputs } from './imported-run.ts';
import { ID_CHUNK, recordModelMetrics, withModelLinks } from './model-links.ts';
import { createMetricCoalescer } from './metric-coalescer.ts';
import { writeMetrics } from './metric-writer.ts';
import * as repo from './tracking-repository.ts';
import { randomRunName } from './run-names.ts';
import {
  validateBatch,
  validateExperimentName,
  validateExperimentTag,
  validateKey,
  validateMetric,
  validateRunName,
  validateRunTag,
} from './validation.ts';

export const RUN_NAME_TAG = 'mlflow.runName';
export const USER_TAG = 'mlflow.user';
/** The run tag MLflow 2 clients' `log_model` appends to; it outgrows the 8000-character tag limit. */
export const LOG_MODEL_HISTORY_TAG = 'mlflow.log-model.history';

/** The runs' links to logged models are implemented beside the logged models (logged-models.ts). */
export type TrackingHandlers = Pick<
  Handlers,
  Exclude<Extract<keyof Handlers, `experiments.${string}` | `runs.${string}` | `metrics.${string}`>, 'runs.logOutputs' | 'runs.logModelInputs' | 'experiments.diskUsage' | keyof typeof runsTableContract | keyof typeof batchedReadsContract>
>;

export interface TrackingDeps {
  catalog: Catalog;
  events: EventBus;
  /** The clock, injectable so tests can control time. */
  now?: () => number;
}

type In<M extends keyof Handlers> = MethodParsedInput<M>;

/** 32 lowercase hex characters, as MLflow's run ids (its IN filters drop uppercase ids). */
export function newRunId(): string {
  return randomBytes(16).toString('hex');
}

/** An experiment id as the API carries it (decimal digits); anything else is an experiment that does not exist. */
export function parseExperimentId(id: string): number {
  if (!/^\d{1,15}$/.test(id)) throw notFound(`No experiment with id '${id}'`);
  return Number(id);
}

/** Loads an experiment row or throws RESOURCE_DOES_NOT_EXIST. */
export async function getExperimentRow(db: Db, experimentId: string) {
  const row = await repo.findExperiment(db, parseExperimentId(experimentId));
  if (!row) throw notFound(`No experiment with id '${experimentId}'`);
  return row;
}

/** Loads a run row by its uuid or throws RESOURCE_DOES_NOT_EXIST. */
export async function getRunRow(db: Db, runId: string): Promise<RunRow> {
  const row = await repo.findRun(db, runId);
  if (!row) throw notFound(`Run with id=${runId} not found`);
  return row;
}

function requireActiveRun(row: RunRow): void {
  if (row.lifecycle_stage !== 'active') {
    throw invalid(`The run ${row.run_uuid} must be in the 'active' state. Current state is ${row.lifecycle_stage}.`);
  }
}

async function requireActiveExperiment(db: Db, experimentId: string) {
  const row = await getExperimentRow(db, experimentId);
  if (row.lifecycle_stage !== 'active') {
    throw invalid(`The experiment ${experimentId} must be in the 'active' state. Current state is ${row.lifecycle_stage}.`);
  }
  return row;
}

async function experimentTags(db: Db, ids: number[]): Promise<Map<number, Tag[]>> {
  const map = new Map<number, Tag[]>();
  if (ids.length === 0) return map;
  const rows = await repo.experimentTagRows(db, ids);
  for (const r of rows) {
    const list = map.get(r.experiment_id) ?? [];
    list.push({ key: r.key, value: r.value });
    map.set(r.experiment_id, list);
  }
  return map;
}

/** Loads full runs (latest metrics, params, tags, inputs) for internal ids, in the given order. */
export async function loadRuns(db: Db, rows: RunRow[]): Promise<Run[]> {
  const runs = new Map<number, Run>();
  for (const row of rows) {
    runs.set(row.id, { info: toRunInfo(row), data: { metrics: [], params: [], tags: [] }, inputs: { datasetInputs: [] } });
  }
  const ids = rows.map((r) => r.id);
  for (let i = 0; i < ids.length; i += ID_CHUNK) {
    const chunk = ids.slice(i, i + ID_CHUNK);
    const { metrics, params, tags, inputs } = await repo.runDetailRows(db, chunk);
    for (const m of metrics) runs.get(m.run_id)!.data.metrics.push(toLatestMetric(m));
    for (const p of params) runs.get(p.run_id)!.data.params.push({ key: p.key, value: p.value });
    for (const t of tags) runs.get(t.run_id)!.data.tags.push({ key: t.key, value: t.value });
    for (const d of inputs) {
      const dataset: DatasetInput['dataset'] = { name: d.name, digest: d.digest, sourceType: d.source_type, source: d.source };
      if (d.schema !== null) dataset.schema = d.schema;
      if (d.profile !== null) dataset.profile = d.profile;
      runs.get(d.run_id)!.inputs.datasetInputs.push({ tags: JSON.parse(d.tags_json) as Tag[], dataset });
    }
  }
  return rows.map((r) => runs.get(r.id)!);
}

/** A run just created with these (distinct) tags, as `loadRuns` reads it back, its tags in the catalog's text order. */
function newRun(row: RunRow, tags: readonly Tag[], textOrder: (a: string, b: string) => number): Run {
  const sorted = tags.map((t) => ({ key: t.key, value: t.value })).sort((a, b) => textOrder(a.key, b.key));
  return { info: toRunInfo(row), data: { metrics: [], params: [], tags: sorted }, inputs: { datasetInputs: [] } };
}

async function loadRunsByIds(db: Db, ids: number[]): Promise<Run[]> {
  const rows: RunRow[] = [];
  for (let i = 0; i < ids.length; i += ID_CHUNK) {
    rows.push(...(await repo.runsByIds(db, ids.slice(i, i + ID_CHUNK))));
  }
  const byId = new Map(rows.map((r) => [r.id, r]));
  return loadRuns(db, ids.map((id) => byId.get(id)!).filter(Boolean));
}

export function createTrackingService(deps: TrackingDeps): TrackingHandlers {
  const { catalog, events } = deps;
  const db = catalog.db;
  const now = deps.now ?? Date.now;

  async function setRunTags(trx: Db, row: RunRow, tags: Tag[]): Promise<void> {
    if (tags.length === 0) return;
    // The last value of a key wins, as if the tags had been set one after another.
    const unique = [...new Map(tags.map((t) => [t.key, t])).values()];
    await repo.upsertRunTags(trx, row.id, unique);
    const renamed = unique.find((t) => t.key === RUN_NAME_TAG);
    if (renamed) await repo.updateRun(trx, row.id, { name: renamed.value });
  }

  /**
   * A signed-in user's identity on a run is not theirs to edit: their `mlflow.user` tag may be
   * set again only to the value it has (a client resending its tags), and never deleted. The
   * owner, who names users as they like, may.
   */
  async function guardIdentity(trx: Db, row: RunRow, caller: Principal | undefined, tags: readonly Tag[], deleting = false): Promise<void> {
    if (caller?.name === undefined) return;
    const touched = tags.filter((t) => t.key === USER_TAG);
    if (touched.length === 0) return;
    const current = await repo.runTagValue(trx, row.id, USER_TAG);
    if (deleting || touched.some((t) => t.value !== current?.value)) {
      throw new FlowdeskError('PERMISSION_DENIED', `User '${caller.name}' may not ${deleting ? 'delete' : 'change'} the ${USER_TAG} tag of run ${row.run_uuid}: it records who created the run`);
    }
  }

  async function logParams(trx: Db, row: RunRow, params: Param[]): Promise<void> {
    if (params.length === 0) return;
    const existing = await repo.paramsWithKeys(trx, row.id, params.map((p) => p.key));
    const logged = new Map(existing.map((p) => [p.key, p.value]));
    for (const p of params) {
      const before = logged.get(p.key);
      if (before !== undefined && before !== p.value) {
        throw invalid(
          `Changing param values is not allowed. Param with key='${p.key}' was already logged with value='${before}' for run ID='${row.run_uuid}'. Attempted logging new value '${p.value}'.`,
        );
      }
    }
    const fresh = params.filter((p) => !logged.has(p.key));
    if (fresh.length > 0) {
      await repo.insertParams(trx, row.id, fresh);
    }
  }

  async function logBatch(input: In<'runs.logBatch'>, caller?: Principal): Promise<Record<string, never>> {
    const metrics = input.metrics ?? [];
    const params = input.params ?? [];
    const tags = input.tags ?? [];
    const modelMetrics = input.modelMetrics ?? [];
    validateBatch(metrics, params, tags);
    for (const points of modelMetrics) points.metrics.forEach(validateMetric);
    const modelExperiments = new Set<string>();
    // Metric-only batches (the bulk of all writes) are merged with others arriving together.
    const metricsOnly = params.length === 0 && tags.length === 0 && modelMetrics.length === 0;
    const row = metricsOnly
      ? await metricWrites.submit(input.runId, metrics)
      : await catalog.write(async (trx) => {
          const run = await getRunRow(trx, input.runId);
          requireActiveRun(run);
          await guardIdentity(trx, run, caller, tags);
          await logParams(trx, run, params);
          await setRunTags(trx, run, tags);
          if (metrics.length > 0) await writeMetrics(trx, run.id, metrics, catalog.dialect);
          for (const points of modelMetrics) {
            const model = await recordModelMetrics(trx, points.modelId, points.metrics, now());
            modelExperiments.add(String(model.experiment_id));
          }
          return run;
        });
    const experimentId = String(row.experiment_id);
    if (metrics.length > 0) events.publish({ type: 'metrics.logged', experimentId, runId: row.run_uuid, keys: [...new Set(metrics.map((m) => m.key))] });
    if (params.length > 0 || tags.length > 0) events.publish({ type: 'run.updated', experimentId, runId: row.run_uuid });
    for (const modelExperiment of modelExperiments) events.publish({ type: 'experiment.changed', experimentId: modelExperiment });
    return {};
  }

  const metricWrites = createMetricCoalescer(catalog, async (trx, runId, metrics) => {
    const run = await getRunRow(trx, runId);
    requireActiveRun(run);
    await writeMetrics(trx, run.id, metrics, catalog.dialect);
    return run;
  });

  async function getRun(runId: string): Promise<Run> {
    return (await loadRuns(db, [await getRunRow(db, runId)]))[0]!;
  }

  async function seriesOf(runId: string, key: string) {
    const run = await getRunRow(db, runId);
    return repo.findMetricSeries(db, run.id, key);
  }

  return {
    async 'experiments.create'(input) {
      validateExperimentName(input.name);
      const tags = input.tags ?? [];
      tags.forEach(validateExperimentTag);
      const experimentId = await catalog.write(async (trx) => {
        const clash = await repo.experimentIdNamed(trx, input.name);
        if (clash) throw alreadyExists(`Experiment '${input.name}' already exists.`);
        const t = now();
        const experiment_id = await repo.insertExperiment(trx, { name: input.name, artifact_location: '', lifecycle_stage: 'active', creation_time: t, last_update_time: t });
        // The server assigns the location, hostless so it survives a change of port.
        await repo.updateExperiment(trx, experiment_id, { artifact_location: `mlflow-artifacts:/${experiment_id}` });
        const unique = [...new Map(tags.map((tag) => [tag.key, tag])).values()];
        if (unique.length > 0) {
          await repo.insertExperimentTags(trx, experiment_id, unique);
        }
        return String(experiment_id);
      });
      events.publish({ type: 'experiment.changed', experimentId });
      return { experimentId };
    },

    async 'experiments.get'(input) {
      const row = await getExperimentRow(db, input.experimentId);
      return { experiment: toExperiment(row, (await experimentTags(db, [row.experiment_id])).get(row.experiment_id) ?? []) };
    },

    async 'experiments.getByName'(input) {
      const row = await repo.findExperimentByName(db, input.name);
      if (!row) throw notFound(`Could not find experiment with name '${input.name}'`);
      return { experiment: toExperiment(row, (await experimentTags(db, [row.experiment_id])).get(row.experiment_id) ?? []) };
    },

    async 'experiments.search'(input) {
      const page = await searchExperiments(db, catalog.dialect, input);
      if (page.experimentIds.length === 0) return { experiments: [] };
      const rows = await repo.experimentsByIds(db, page.experimentIds);
      const byId = new Map(rows.map((r) => [r.experiment_id, r]));
      const tags = await experimentTags(db, page.experimentIds);
      return {
        experiments: page.experimentIds.filter((id) => byId.has(id)).map((id) => toExperiment(byId.get(id)!, tags.get(id) ?? [])),
        nextPageToken: page.nextPageToken,
      };
    },

    async 'experiments.rename'(input) {
      validateExperimentName(input.newName);
      await catalog.write(async (trx) => {
        const row = await getExperimentRow(trx, input.experimentId);
        if (row.lifecycle_stage !== 'active') {
          throw new FlowdeskError('INVALID_STATE', `Cannot rename a deleted experiment (${input.experimentId}); restore it first.`);
        }
        if (row.name === input.newName) return;
        const clash = await repo.experimentIdNamed(trx, input.newName);
        if (clash) throw alreadyExists(`Experiment '${input.newName}' already exists.`);
        await repo.updateExperiment(trx, row.experiment_id, { name: input.newName, last_update_time: now() });
      });
      events.publish({ type: 'experiment.changed', experimentId: input.experimentId });
      return {};
    },

    async 'experiments.delete'(input) {
      if (input.experimentId === '0') {
        throw invalid("Cannot delete the Default experiment '0': MLflow clients log there when no experiment is chosen.");
      }
      await catalog.write(async (trx) => {
        const row = await getExperimentRow(trx, input.experimentId);
        if (row.lifecycle_stage === 'deleted') return;
        const t = now();
        await repo.updateExperiment(trx, row.experiment_id, { lifecycle_stage: 'deleted', deleted_time: t, last_update_time: t });
        // Runs deleted together carry the same deleted_time, which is how restore finds them.
        await repo.deleteActiveRuns(trx, row.experiment_id, t);
      });
      events.publish({ type: 'experiment.changed', experimentId: input.experimentId });
      return {};
    },

    async 'experiments.restore'(input) {
      await catalog.write(async (trx) => {
        const row = await getExperimentRow(trx, input.experimentId);
        if (row.lifecycle_stage === 'active') return;
        await repo.restoreRunsDeletedAt(trx, row.experiment_id, row.deleted_time);
        await repo.updateExperiment(trx, row.experiment_id, { lifecycle_stage: 'active', deleted_time: null, last_update_time: now() });
      });
      events.publish({ type: 'experiment.changed', experimentId: input.experimentId });
      return {};
    },

    async 'experiments.setTag'(input) {
      validateExperimentTag(input);
      await catalog.write(async (trx) => {
        const row = await requireActiveExperiment(trx, input.experimentId);
        await repo.upsertExperimentTag(trx, row.experiment_id, { key: input.key, value: input.value });
        await repo.updateExperiment(trx, row.experiment_id, { last_update_time: now() });
      });
      events.publish({ type: 'experiment.changed', experimentId: input.experimentId });
      return {};
    },

    async 'experiments.deleteTag'(input) {
      await catalog.write(async (trx) => {
        const row = await requireActiveExperiment(trx, input.experimentId);
        if ((await repo.deleteExperimentTag(trx, row.experiment_id, input.key)) === 0) throw notFound(`No tag with key '${input.key}' on experiment ${input.experimentId}`);
      });
      events.publish({ type: 'experiment.changed', experimentId: input.experimentId });
      return {};
    },

    async 'runs.create'(input, caller) {
      // A signed-in user's run is theirs, whatever the call claims: user_id and mlflow.user name them.
      const claimed = caller?.name === undefined ? input.tags ?? [] : [...(input.tags ?? []).filter((t) => t.key !== USER_TAG), { key: USER_TAG, value: caller.name }];
      const tags = [...new Map(claimed.map((t) => [t.key, t])).values()];
      tags.forEach(validateRunTag);
      const tagName = tags.find((t) => t.key === RUN_NAME_TAG)?.value;
      if (input.runName && tagName && input.runName !== tagName) {
        throw invalid(`Both 'run_name' argument and 'mlflow.runName' tag are specified, but with different values (run_name='${input.runName}', mlflow.runName='${tagName}').`);
      }
      const name = input.runName || tagName || randomRunName();
      validateRunName(name);
      if (!tagName) tags.push({ key: RUN_NAME_TAG, value: name });
      const userId = caller?.name ?? input.userId ?? tags.find((t) => t.key === USER_TAG)?.value ?? '';
      const experimentId = input.experimentId ?? '0';
      const runId = newRunId();
      const row = await catalog.write(async (trx) => {
        const experiment = await requireActiveExperiment(trx, experimentId);
        const inserted = await repo.insertRun(trx, {
            run_uuid: runId,
            experiment_id: experiment.experiment_id,
            name,
            user_id: userId,
            status: 'RUNNING',
            start_time: input.startTime ?? now(),
            end_time: null,
            lifecycle_stage: 'active',
            artifact_uri: `${experiment.artifact_location}/${runId}/artifacts`,
            deleted_time: null,
          });
        // Not setRunTags: the row already has the name its mlflow.runName tag holds, so no rename.
        await repo.upsertRunTags(trx, inserted.id, tags);
        return inserted;
      });
      events.publish({ type: 'run.created', experimentId: String(row.experiment_id), runId });
      // A new run holds only its row and these tags, so the answer is built from them instead of
      // read back (five reads, ~5% of a create), with the tags in the order runs.get reads them:
      // by key, in the catalog's text order. Where code cannot order text as the catalog does
      // (PostgreSQL sorts by the database's locale), the run is read back.
      const { textOrder } = dialectSql(catalog.dialect);
      return { run: textOrder ? newRun(row, tags, textOrder) : await getRun(runId) };
    },

    // Runs as read here, plus their links to logged models (MLflow 3 inputs and outputs).
    async 'runs.get'(input) {
      return { run: (await withModelLinks(db, [await getRun(input.runId)]))[0]! };
    },

    async 'runs.update'(input: In<'runs.update'>) {
      if (input.runName !== undefined) validateRunName(input.runName);
      const row = await catalog.write(async (trx) => {
        const run = await getRunRow(trx, input.runId);
        requireActiveRun(run);
        const changes: Partial<RunRow> = {};
        if (input.status !== undefined) changes.status = input.status;
        if (input.endTime !== undefined) changes.end_time = input.endTime;
        if (input.runName) changes.name = input.runName;
        if (Object.keys(changes).length > 0) await repo.updateRun(trx, run.id, changes);
        if (input.runName) await setRunTags(trx, run, [{ key: RUN_NAME_TAG, value: input.runName }]);
        return { ...run, ...changes };
      });
      events.publish({ type: 'run.updated', experimentId: String(row.experiment_id), runId: row.run_uuid });
      return { runInfo: toRunInfo(row) };
    },

    async 'runs.delete'(input) {
      const row = await catalog.write(async (trx) => {
        const run = await getRunRow(trx, input.runId);
        if (run.lifecycle_stage === 'active') {
          await repo.updateRun(trx, run.id, { lifecycle_stage: 'deleted', deleted_time: now() });
        }
        return run;
      });
      events.publish({ type: 'run.updated', experimentId: String(row.experiment_id), runId: row.run_uuid });
      return {};
    },

    async 'runs.restore'(input) {
      const row = await catalog.write(async (trx) => {
        const run = await getRunRow(trx, input.runId);
        const experiment = await getExperimentRow(trx, String(run.experiment_id));
        if (experiment.lifecycle_stage !== 'active') {
          throw invalid(`Cannot restore run ${run.run_uuid}: its experiment ${experiment.experiment_id} is deleted; restore the experiment first.`);
        }
        await repo.updateRun(trx, run.id, { lifecycle_stage: 'active', deleted_time: null });
        return run;
      });
      events.publish({ type: 'run.updated', experimentId: String(row.experiment_id), runId: row.run_uuid });
      return {};
    },

    'runs.logBatch': logBatch,

    async 'runs.logMetric'(input) {
      return logBatch({ runId: input.runId, metrics: [{ key: input.key, value: input.value, timestamp: input.timestamp, step: input.step }] });
    },

    async 'runs.logParam'(input) {
      return logBatch({ runId: input.runId, params: [{ key: input.key, value: input.value }] });
    },

    async 'runs.setTag'(input, caller) {
      return logBatch({ runId: input.runId, tags: [{ key: input.key, value: input.value }] }, caller);
    },

    async 'runs.deleteTag'(input, caller) {
      validateKey('tag', input.key);
      const row = await catalog.write(async (trx) => {
        const run = await getRunRow(trx, input.runId);
        requireActiveRun(run);
        await guardIdentity(trx, run, caller, [{ key: input.key, value: '' }], true);
        if ((await repo.deleteRunTag(trx, run.id, input.key)) === 0) throw notFound(`No tag with name: ${input.key} in run with id ${input.runId}`);
        return run;
      });
      events.publish({ type: 'run.updated', experimentId: String(row.experiment_id), runId: row.run_uuid });
      return {};
    },

    async 'runs.logInputs'(input) {
      const datasets = input.datasets ?? [];
      for (const d of datasets) {
        if (!d.dataset.name || d.dataset.name.length > 500) throw invalid('Dataset name must be 1 to 500 characters');
        if (!d.dataset.digest || d.dataset.digest.length > 36) throw invalid('Dataset digest must be 1 to 36 characters');
        if (d.dataset.source.length > 65535) throw invalid('Dataset source may be at most 65535 characters');
        for (const t of d.tags) {
          if (t.key.length === 0 || t.key.length > 255) throw invalid('Input tag keys must be 1 to 255 characters');
          if (t.value.length > 500) throw invalid('Input tag values may be at most 500 characters');
        }
      }
      const row = await catalog.write(async (trx) => {
        const run = await getRunRow(trx, input.runId);
        requireActiveRun(run);
        await addDatasetInputs(trx, run, datasets, 'replace');
        return run;
      });
      events.publish({ type: 'run.updated', experimentId: String(row.experiment_id), runId: row.run_uuid });
      return {};
    },

    async 'runs.logModel'(input) {
      const row = await catalog.write(async (trx) => {
        const run = await getRunRow(trx, input.runId);
        requireActiveRun(run);
        const existing = await repo.runTagValue(trx, run.id, LOG_MODEL_HISTORY_TAG);
        let history: unknown = [];
        try {
          if (existing) history = JSON.parse(existing.value);
        } catch {
          history = undefined;
        }
        if (!Array.isArray(history)) {
          throw new FlowdeskError('INVALID_STATE', `Run ${run.run_uuid}'s tag '${LOG_MODEL_HISTORY_TAG}' does not hold a JSON array; delete the tag to start a new history.`);
        }
        history.push(input.model);
        // Not through logBatch, whose tag check caps values at 8000 characters: MLflow truncates
        // this tag there and corrupts its JSON; the history is kept whole here.
        await setRunTags(trx, run, [{ key: LOG_MODEL_HISTORY_TAG, value: JSON.stringify(history) }]);
        return run;
      });
      events.publish({ type: 'run.updated', experimentId: String(row.experiment_id), runId: row.run_uuid });
      return {};
    },

    async 'runs.search'(input) {
      for (const id of input.experimentIds) parseExperimentId(id);
      const page = await searchRuns(db, catalog.dialect, input);
      return { runs: await withModelLinks(db, await loadRunsByIds(db, page.runIds)), nextPageToken: page.nextPageToken };
    },

    async 'metrics.history'(input) {
      validateKey('metric', input.key);
      const series = await seriesOf(input.runId, input.key);
      if (!series) return { metrics: [] };
      return readHistory(db, series.id, input.key, Math.min(input.maxResults ?? 25_000, 1_000_000), input.pageToken);
    },

    async 'metrics.sampled'(input) {
      validateKey('metric', input.key);
      if (input.startStep !== undefined && input.endStep !== undefined && input.startStep > input.endStep) {
        throw invalid(`startStep (${input.startStep}) must not be greater than endStep (${input.endStep})`);
      }
      const series = await seriesOf(input.runId, input.key);
      if (!series) return { buckets: [], nanCount: 0, pointCount: 0 };
      const buckets = await readSampled(db, series.id, {
        minStep: series.min_step,
        maxStep: series.max_step,
        startStep: input.startStep,
        endStep: input.endStep,
        buckets: input.buckets ?? 1000,
      });
      return { buckets, nanCount: series.nan_count, pointCount: series.point_count };
    },
  };
}
