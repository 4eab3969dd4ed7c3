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
import { toWireJson, wireNumber } from '#core/api/http-transport.ts';
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

/** A metric point as MLflow's Metric message. */
function metricJson(keyJson: string, value: number, isNan: number, negativeZero: number, timestamp: number, step: number): string {
  const v = isNan ? '"NaN"' : negativeZero ? '-0.0' : wireNumber(value);
  return `{"key":${keyJson},"value":${v},"timestamp":${wireNumber(timestamp)},"step":${wireNumber(step)}}`;
}

/** `"name":[items]`, or nothing for an empty list (MLflow omits empty repeated fields). */
function list(name: string, items: readonly string[]): string | undefined {
  return items.length > 0 ? `"${name}":[${items.join(',')}]` : undefined;
}

/** A JSON object of the fields that are present. */
function object(fields: readonly (string | undefined)[]): string {
  return `{${fields.filter((f) => f !== undefined).join(',')}}`;
}

/** What one run gathers from the keyed tables before it is written. */
interface RunParts {
  info: string;
  metrics: string[];
  params: string[];
  tags: string[];
  datasets: string[];
  modelInputs: string[];
  modelOutputs: string[];
}

type RunRow = [id: number, uuid: string, name: string, experimentId: number, userId: string, status: string, startTime: number, endTime: number | null, artifactUri: string, stage: string];
type MetricRow = [runId: number, key: string, value: number, isNan: number, negativeZero: number, timestamp: number, step: number];
type KeyValueRow = [runId: number, key: string, value: string];
type DatasetRow = [runId: number, tagsJson: string, name: string, digest: string, sourceType: string, source: string, schema: string | null, profile: string | null];
type ModelOutputRow = [runId: number, modelId: string, step: number];
type ModelInputRow = [runId: number, modelId: string];

function infoJson(r: RunRow): string {
  const [, uuid, name, experimentId, userId, status, startTime, endTime, artifactUri, stage] = r;
  const u = str(uuid);
  const end = endTime === null ? '' : `,"end_time":${wireNumber(Number(endTime))}`;
  return `{"run_id":${u},"run_uuid":${u},"run_name":${str(name)},"experiment_id":"${experimentId}","user_id":${str(userId)},"status":${str(status)},"start_time":${wireNumber(Number(startTime))},"artifact_uri":${str(artifactUri)},"lifecycle_stage":${str(stage)}${end}}`;
}

function datasetJson(d: DatasetRow): string {
  const [, tagsJson, name, digest, sourceType, source, schema, profile] = d;
  const dataset = object([
    `"name":${str(name)}`,
    `"digest":${str(digest)}`,
    `"source_type":${str(sourceType)}`,
    `"source":${str(source)}`,
    schema === null ? undefined : `"schema":${str(schema)}`,
    profile === null ? undefined : `"profile":${str(profile)}`,
  ]);
  const tags = (JSON.parse(tagsJson) as Tag[]).map((t) => `{"key":${str(t.key)},"value":${str(t.value)}}`);
  return object([`"dataset":${dataset}`, list('tags', tags)]);
}

function runJson(p: RunParts): string {
  const data = object([list('metrics', p.metrics), list('params', p.params), list('tags', p.tags)]);
  const inputs = object([list('dataset_inputs', p.datasets), list('model_inputs', p.modelInputs)]);
  const outputs = object([list('model_outputs', p.modelOutputs)]);
  return `{"info":${p.info},"data":${data},"inputs":${inputs},"outputs":${outputs}}`;
}

/**
 * Full runs for internal ids as MLflow Run messages, in the order of `ids`; ids whose run is gone
 * (purged since the search) are skipped, as `runs.search` does.
 */
async function runsJson(db: Db, ids: readonly number[]): Promise<string[]> {
  const byId = new Map<number, RunParts>();
  for (let i = 0; i < ids.length; i += ID_CHUNK) {
    const chunk = ids.slice(i, i + ID_CHUNK);
    const runs = await selectArrays<RunRow>(
      db
        .selectFrom('runs')
        .select(['id', 'run_uuid', 'name', 'experiment_id', 'user_id', 'status', 'start_time', 'end_time', 'artifact_uri', 'lifecycle_stage'])
        .where('id', 'in', chunk),
    );
    for (const r of runs) byId.set(r[0], { info: infoJson(r), metrics: [], params: [], tags: [], datasets: [], modelInputs: [], modelOutputs: [] });
    const metrics = await selectArrays<MetricRow>(
      db.selectFrom('metric_series').select(['run_id', 'key', 'value', 'is_nan', 'negative_zero', 'timestamp', 'step']).where('run_id', 'in', chunk).orderBy('key'),
    );
    for (const [runId, key, value, isNan, negativeZero, timestamp, step] of metrics) {
      byId.get(runId)?.metrics.push(metricJson(str(key), value, isNan, negativeZero, Number(timestamp), Number(step)));
    }
    const params = await selectArrays<KeyValueRow>(db.selectFrom('params').select(['run_id', 'key', 'value']).where('run_id', 'in', chunk).orderBy('key'));
    for (const [runId, key, value] of params) byId.get(runId)?.params.push(`{"key":${str(key)},"value":${str(value)}}`);
    const tags = await selectArrays<KeyValueRow>(db.selectFrom('run_tags').select(['run_id', 'key', 'value']).where('run_id', 'in', chunk).orderBy('key'));
    for (const [runId, key, value] of tags) byId.get(runId)?.tags.push(`{"key":${str(key)},"value":${str(value)}}`);
    const datasets = await selectArrays<DatasetRow>(
      db
        .selectFrom('run_inputs')
        .innerJoin('datasets', 'datasets.id', 'run_inputs.dataset_id')
        .select(['run_inputs.run_id', 'run_inputs.tags_json', 'datasets.name', 'datasets.digest', 'datasets.source_type', 'datasets.source', 'datasets.schema', 'datasets.profile'])
        .where('run_inputs.run_id', 'in', chunk)
        .orderBy('datasets.id'),
    );
    for (const d of datasets) byId.get(d[0])?.datasets.push(datasetJson(d));
    const outputs = await selectArrays<ModelOutputRow>(
      db.selectFrom('run_model_outputs').select(['run_id', 'model_id', 'step']).where('run_id', 'in', chunk).orderBy('step').orderBy('model_id'),
    );
    for (const [runId, modelId, step] of outputs) byId.get(runId)?.modelOutputs.push(`{"model_id":${str(modelId)},"step":${wireNumber(Number(step))}}`);
    const inputs = await selectArrays<ModelInputRow>(db.selectFrom('run_model_inputs').select(['run_id', 'model_id']).where('run_id', 'in', chunk).orderBy('model_id'));
    for (const [runId, modelId] of inputs) byId.get(runId)?.modelInputs.push(`{"model_id":${str(modelId)}}`);
  }
  const out: string[] = [];
  for (const id of ids) {
    const parts = byId.get(id);
    if (parts) out.push(runJson(parts));
  }
  return out;
}

/** The MLflow wire reads over a catalog; the same checks and errors as `runs.search` and `metrics.history`. */
export function createMlflowWireReads(catalog: Catalog): MlflowWireReads {
  const db = catalog.db;
  return {
    async searchRuns(input) {
      for (const id of input.experimentIds) parseExperimentId(id);
      const page = await searchRuns(db, catalog.dialect, input);
      const runs = await runsJson(db, page.runIds);
      return object([list('runs', runs), page.nextPageToken ? `"next_page_token":${str(page.nextPageToken)}` : undefined]);
    },

    async history(input, options = {}) {
      validateKey('metric', input.key);
      const run = await getRunRow(db, input.runId);
      const series = await db.selectFrom('metric_series').select('id').where('run_id', '=', run.id).where('key', '=', input.key).executeTakeFirst();
      if (!series) return '{}';
      // Points as plain objects for one JSON.stringify: for tens of thousands of points that is
      // about twice as fast as writing each point's text by hand (measured side by side).
      const points: Metric[] = [];
      const maxResults = options.whole ? HISTORY_DEFAULT : Math.min(input.maxResults ?? HISTORY_DEFAULT, HISTORY_MAX);
      let token = input.pageToken;
      do {
        const page = await readHistory(db, series.id, input.key, maxResults, token);
        for (const point of page.metrics) points.push(point);
        token = page.nextPageToken;
      } while (options.whole && token);
      if (points.length === 0) return token ? `{"next_page_token":${str(token)}}` : '{}';
      return toWireJson(token ? { metrics: points, next_page_token: token } : { metrics: points });
    },
  };
}
