/**
 * The links between runs and logged models that MLflow 3 reports on a run: the models a run read
 * (`inputs.modelInputs`) and wrote (`outputs.modelOutputs`). The tracking service fills them on
 * every run it returns from `runs.get` and `runs.search`, and records a run's metric points that
 * measure a logged model in the run's own write (`runs.logBatch`). Its own module so that both the tracking
 * and the logged-models services can import it without importing each other.
 */
import type { Selectable } from 'kysely';
import type { LoggedModelMetric, Run } from '#core/api/entities.ts';
import { notFound } from '#core/api/errors.ts';
import type { Db } from '#core/catalog/catalog.ts';
import type { Database } from '#core/catalog/schema.ts';
import { toStoredValue } from './mappers.ts';
import * as repo from './tracking-repository.ts';

/** Ids per `in (...)` list, far below SQLite's limit on bound parameters. */
export const ID_CHUNK = 500;

/** The part of a run (as the tracking service returns it) that model links read and fill. */
type RunLinks = Pick<Run, 'info' | 'outputs'> & { inputs: Pick<Run['inputs'], 'modelInputs'> };

/**
 * Adds the model links of runs (`inputs.modelInputs`, `outputs.modelOutputs`) to runs read by the
 * tracking service, in place. MLflow 3 clients registering a model from a `runs:/` URI pick among the run's
 * logged models by their output step, so `runs.get` must carry them.
 */
export async function withModelLinks<R extends RunLinks>(db: Db, runs: R[]): Promise<R[]> {
  const byUuid = new Map(runs.map((r) => [r.info.runId, r]));
  for (const run of runs) {
    run.inputs.modelInputs = [];
    run.outputs = { modelOutputs: [] };
  }
  const uuids = [...byUuid.keys()];
  for (let i = 0; i < uuids.length; i += ID_CHUNK) {
    const chunk = uuids.slice(i, i + ID_CHUNK);
    const [outputs, inputs] = await Promise.all([repo.modelOutputsOfRuns(db, chunk), repo.modelInputsOfRuns(db, chunk)]);
    for (const o of outputs) byUuid.get(o.run_uuid)!.outputs!.modelOutputs.push({ modelId: o.model_id, step: Number(o.step) });
    for (const m of inputs) byUuid.get(m.run_uuid)!.inputs.modelInputs!.push({ modelId: m.model_id });
  }
  return runs;
}

/** A `logged_models` row. */
export type LoggedModelRow = Selectable<Database['logged_models']>;

/** Loads a logged model that is not deleted, or throws RESOURCE_DOES_NOT_EXIST. */
export async function getLoggedModelRow(db: Db, modelId: string): Promise<LoggedModelRow> {
  const row = await repo.activeLoggedModel(db, modelId);
  if (!row) throw notFound(`Logged model with ID '${modelId}' not found.`);
  return row;
}

/**
 * Records validated metric points against a logged model inside the caller's write transaction
 * (`trx`), and marks the model updated at `now`; an unknown or deleted model throws
 * RESOURCE_DOES_NOT_EXIST, so the caller's whole transaction rolls back. Returns the model's row.
 */
export async function recordModelMetrics(trx: Db, modelId: string, metrics: readonly Omit<LoggedModelMetric, 'modelId'>[], now: number): Promise<LoggedModelRow> {
  const model = await getLoggedModelRow(trx, modelId);
  const rows = metrics.map((m) => ({
    model_id: model.model_id,
    key: m.key,
    ...toStoredValue(m.value),
    timestamp: m.timestamp,
    step: m.step,
    run_id: m.runId ?? '',
    dataset_name: m.datasetName ?? '',
    dataset_digest: m.datasetDigest ?? '',
  }));
  // The primary key spans the whole point: an identical point again (a retry) is a no-op. ID_CHUNK
  // rows per insert keeps the bound parameters far below SQLite's limit too.
  for (let i = 0; i < rows.length; i += ID_CHUNK) {
    await repo.insertLoggedModelMetrics(trx, rows.slice(i, i + ID_CHUNK));
  }
  await repo.touchLoggedModel(trx, model.model_id, now);
  return model;
}
