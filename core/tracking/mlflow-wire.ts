/**
 * The two large MLflow reads, written as MLflow's JSON straight from the catalog's rows: a
 * `runs/search` page of full runs and a `metrics/get-history` page. Going through the contract's
 * entities built one object per row in the driver, copied it into an entity, copied that again
 * into MLflow's snake_case shape and only then serialised it; for 1,000 runs (25,000 param, tag
 * and metric rows) or 25,000 points that was most of the request. The text written here is the
 * same, field for field and in the same order, as `toMlflowRun`/`toMlflowMetric` (server
 * mappers) through `toWireJson`: unset fields and empty lists omitted, NaN and ±Infinity as
 * MLflow's strings, -0 as -0.0. The route tests and the differential tests against MLflow's own
 * server hold both to it.
 */
import { toWireJson } from '#core/api/http-transport.ts';
import type { MethodParsedInput } from '#core/api/contract.ts';
import type { Metric, Tag } from '#core/api/entities.ts';
import { selectArrays } from '#core/catalog/array-rows.ts';
import type { Catalog, Db } from '#core/catalog/catalog.ts';
import { searchRuns } from '#core/search/search.ts';
import { readHistory } from './metric-reader.ts';
import { ID_CHUNK } from './model-links.ts';
import { getRunRow, parseExperimentId } from './tracking-service.ts';
import { validateKey } from './validation.ts';

/** MLflow-shaped answers of the large reads, as JSON text. */
export interface MlflowWireReads {
  /** The body of MLflow's SearchRuns response for `runs.search`'s input. */
  searchRuns(input: MethodParsedInput<'runs.search'>): Promise<string>;
  /**
   * The body of MLflow's GetMetricHistory response for `metrics.history`'s input: one page, or
   * with `whole` every point from the page token on (MLflow's answer without `max_results`).
   */
  history(input: MethodParsedInput<'metrics.history'>, options?: { whole?: boolean }): Promise<string>;
}

/** The page size `metrics.history` uses when none is asked for, and its cap. */
const HISTORY_DEFAULT = 25_000;
const HISTORY_MAX = 1_000_000;

/** A JSON string literal. */
const str = (s: string) => JSON.stringify(s);

/** A `{key, value}` pair, as MLflow's Param and RunTag messages. */
interface KeyValue {
  key: string;
  value: string;
}

/** A metric point as MLflow's Metric message; `value` may be NaN or -0, which `toWireJson` writes. */
interface WireMetric {
  key: string;
  value: number;
  timestamp: number;
  step: number;
}

/** A run as MLflow's Run message, with its fields in MLflow's order; empty lists are left out when written. */
interface WireRun {
  info: Record<string, string | number>;
  data: { metrics?: WireMetric[]; params?: KeyValue[]; tags?: KeyValue[] };
  inputs: { dataset_inputs?: unknown[]; model_inputs?: { model_id: string }[] };
  outputs: { model_outputs?: { model_id: string; step: number }[] };
}

type RunRow = [id: number, uuid: string, name: string, experimentId: number, userId: string, status: string, startTime: number, endTime: number | null, artifactUri: string, stage: string];
type MetricRow = [runId: number, key: string, value: number, isNan: number, negativeZero: number, timestamp: number, step: number];
type KeyValueRow = [runId: number, key: string, value: string];
type DatasetRow = [runId: number, tagsJson: string, name: string, digest: string, sourceType: string, source: string, schema: string | null, profile: string | null];
type ModelOutputRow = [runId: number, modelId: string, step: number];
type ModelInputRow = [runId: number, modelId: string];

function info(r: RunRow): Record<string, string | number> {
  const [, uuid, name, experimentId, userId, status, startTime, endTime, artifactUri, stage] = r;
  const fields: Record<string, string | number> = {
    run_id: uuid,
    run_uuid: uuid,
    run_name: name,
    experiment_id: String(experimentId),
    user_id: userId,
    status,
    start_time: Number(startTime),
    artifact_uri: artifactUri,
    lifecycle_stage: stage,
  };
  if (endTime !== null) fields.end_time = Number(endTime);
  return fields;
}

function datasetInput(d: DatasetRow): unknown {
  const [, tagsJson, name, digest, sourceType, source, schema, profile] = d;
  const dataset: Record<string, string> = { name, digest, source_type: sourceType, source };
  if (schema !== null) dataset.schema = schema;
  if (profile !== null) dataset.profile = profile;
  const tags = (JSON.parse(tagsJson) as Tag[]).map((t) => ({ key: t.key, value: t.value }));
  return tags.length > 0 ? { dataset, tags } : { dataset };
}

/**
 * Gives each run its list `name` of the (run_id, key, value) rows, which come in run order; the
 * list is made on the run's first row, so a run without rows has none (MLflow omits empty lists).
 */
function addKeyValues(byId: ReadonlyMap<number, WireRun>, rows: readonly KeyValueRow[], name: 'params' | 'tags'): void {
  let runId: number | undefined;
  let list: KeyValue[] | undefined;
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    if (row[0] !== runId) {
      runId = row[0];
      const run = byId.get(runId);
      list = run ? (run.data[name] = []) : undefined;
    }
    list?.push({ key: row[1], value: row[2] });
  }
}

/** Whether JSON.stringify would write `n` differently from MLflow (NaN, ±Infinity, -0). */
const special = (n: number) => !Number.isFinite(n) || Object.is(n, -0);

/**
 * Full runs for internal ids as the JSON text of MLflow's SearchRuns answer, in the order of
 * `ids`; ids whose run is gone (purged since the search) are skipped, as `runs.search` does. The
 * rows become plain objects in MLflow's shape written by one JSON.stringify: for 1,000 runs that
 * is much faster than writing each item's text and joining the texts (V8 flattens every
 * concatenated piece again when joining; measured side by side).
 */
async function searchJson(db: Db, ids: readonly number[], nextPageToken: string | undefined): Promise<string> {
  const byId = new Map<number, WireRun>();
  // Numbers JSON.stringify cannot write as MLflow does send the page through toWireJson's replacer.
  let needsReplacer = false;
  for (let i = 0; i < ids.length; i += ID_CHUNK) {
    const chunk = ids.slice(i, i + ID_CHUNK);
    const runs = await selectArrays<RunRow>(
      db
        .selectFrom('runs')
        .select(['id', 'run_uuid', 'name', 'experiment_id', 'user_id', 'status', 'start_time', 'end_time', 'artifact_uri', 'lifecycle_stage'])
        .where('id', 'in', chunk),
    );
    for (const r of runs) byId.set(r[0], { info: info(r), data: {}, inputs: {}, outputs: {} });
    // Each keyed table in (run, key) order: that is its primary key's order, so the database
    // reads it without sorting, and each run's items come out sorted by key as MLflow's are.
    const metrics = await selectArrays<MetricRow>(
      db
        .selectFrom('metric_series')
        .select(['run_id', 'key', 'value', 'is_nan', 'negative_zero', 'timestamp', 'step'])
        .where('run_id', 'in', chunk)
        .orderBy('run_id')
        .orderBy('key'),
    );
    // Rows come in run order: each run's list is found once, on its first row, not per row.
    let runId: number | undefined;
    let list: WireMetric[] | undefined;
    for (let j = 0; j < metrics.length; j++) {
      const row = metrics[j]!;
      if (row[0] !== runId) {
        runId = row[0];
        const run = byId.get(runId);
        list = run ? (run.data.metrics = []) : undefined;
      }
      if (!list) continue;
      // The stored value read back as fromStoredValue does.
      const value = row[3] ? Number.NaN : row[4] ? -0 : row[2];
      if (special(value)) needsReplacer = true;
      list.push({ key: row[1], value, timestamp: Number(row[5]), step: Number(row[6]) });
    }
    const params = await selectArrays<KeyValueRow>(db.selectFrom('params').select(['run_id', 'key', 'value']).where('run_id', 'in', chunk).orderBy('run_id').orderBy('key'));
    addKeyValues(byId, params, 'params');
    const tags = await selectArrays<KeyValueRow>(db.selectFrom('run_tags').select(['run_id', 'key', 'value']).where('run_id', 'in', chunk).orderBy('run_id').orderBy('key'));
    addKeyValues(byId, tags, 'tags');
    const datasets = await selectArrays<DatasetRow>(
      db
        .selectFrom('run_inputs')
        .innerJoin('datasets', 'datasets.id', 'run_inputs.dataset_id')
        .select(['run_inputs.run_id', 'run_inputs.tags_json', 'datasets.name', 'datasets.digest', 'datasets.source_type', 'datasets.source', 'datasets.schema', 'datasets.profile'])
        .where('run_inputs.run_id', 'in', chunk)
        .orderBy('datasets.id'),
    );
    for (const d of datasets) {
      const run = byId.get(d[0]);
      if (run) (run.inputs.dataset_inputs ??= []).push(datasetInput(d));
    }
    const outputs = await selectArrays<ModelOutputRow>(
      db.selectFrom('run_model_outputs').select(['run_id', 'model_id', 'step']).where('run_id', 'in', chunk).orderBy('step').orderBy('model_id'),
    );
    for (const [runId, modelId, step] of outputs) {
      const run = byId.get(runId);
      if (!run) continue;
      if (special(Number(step))) needsReplacer = true;
      (run.outputs.model_outputs ??= []).push({ model_id: modelId, step: Number(step) });
    }
    const inputs = await selectArrays<ModelInputRow>(db.selectFrom('run_model_inputs').select(['run_id', 'model_id']).where('run_id', 'in', chunk).orderBy('model_id'));
    for (const [runId, modelId] of inputs) {
      const run = byId.get(runId);
      if (run) (run.inputs.model_inputs ??= []).push({ model_id: modelId });
    }
  }
  const runs: WireRun[] = [];
  for (const id of ids) {
    const run = byId.get(id);
    if (run) runs.push(run);
  }
  const page: { runs?: WireRun[]; next_page_token?: string } = {};
  if (runs.length > 0) page.runs = runs;
  if (nextPageToken) page.next_page_token = nextPageToken;
  return needsReplacer ? toWireJson(page) : JSON.stringify(page);
}

/** The MLflow wire reads over a catalog; the same checks and errors as `runs.search` and `metrics.history`. */
export function createMlflowWireReads(catalog: Catalog): MlflowWireReads {
  const db = catalog.db;
  return {
    async searchRuns(input) {
      for (const id of input.experimentIds) parseExperimentId(id);
      const page = await searchRuns(db, catalog.dialect, input);
      return searchJson(db, page.runIds, page.nextPageToken);
    },

    async history(input, options = {}) {
      validateKey('metric', input.key);
      const run = await getRunRow(db, input.runId);
      const series = await db.selectFrom('metric_series').select('id').where('run_id', '=', run.id).where('key', '=', input.key).executeTakeFirst();
      if (!series) return '{}';
      // Points as plain objects for one JSON.stringify: for tens of thousands of points that is
      // about twice as fast as writing each point's text by hand (measured side by side).
      const maxResults = options.whole ? HISTORY_DEFAULT : Math.min(input.maxResults ?? HISTORY_DEFAULT, HISTORY_MAX);
      const first = await readHistory(db, series.id, input.key, maxResults, input.pageToken);
      const points: Metric[] = first.metrics;
      let token = first.nextPageToken;
      while (options.whole && token) {
        const page = await readHistory(db, series.id, input.key, maxResults, token);
        for (const point of page.metrics) points.push(point);
        token = page.nextPageToken;
      }
      if (points.length === 0) return token ? `{"next_page_token":${str(token)}}` : '{}';
      return toWireJson(token ? { metrics: points, next_page_token: token } : { metrics: points });
    },
  };
}
