/**
 * MLflow's run RPCs (reference §2.2, §8.2, §8.3) as translations onto the contract's `runs.*`
 * methods. Each run-scoped RPC takes `run_id`, falling back to the deprecated `run_uuid` the
 * Python client sends beside it.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { DatasetInput, MetricInput } from '#core/api/entities.ts';
import type { MethodInput } from '#core/api/contract.ts';
import { invalid } from '#core/api/errors.ts';
import { callContract, callContractAsJson, optionalInt, optionalString, requireString, runIdOf, type MlflowFields } from './mlflow-support.ts';
import {
  intInRange,
  keyValues,
  messages,
  metricOf,
  mlflowRpc,
  optionalMessage,
  runStatusOf,
  strings,
  textValue,
  viewTypeOf,
  setString,
} from './mlflow-fields.ts';
import { toMlflowRun, toMlflowRunInfo } from './mlflow-mappers.ts';
import type { ServerContext } from './server-context.ts';

type LoggedModelMetricInput = NonNullable<MethodInput<'runs.logBatch'>['modelMetrics']>[number]['metrics'][number];
type KeyValue = { key: string; value: string };

/** MLflow's page size bounds for run search (§6). */
const SEARCH_MAX_RESULTS = { min: 1, max: 50_000, default: 1000 };

/** Fields `/runs/log-model` requires in the parsed `model_json`, as MLflow checks them. */
const MODEL_JSON_FIELDS = ['artifact_path', 'flavors', 'utc_time_created', 'run_id'] as const;

/** One DatasetInput message of `/runs/log-inputs`; name, digest, source_type and source are required. */
function datasetInputOf(item: MlflowFields, where: string): DatasetInput {
  const dataset = optionalMessage(item, 'dataset');
  if (dataset === undefined) throw invalid(`Missing value for required parameter '${where}.dataset'.`);
  const out: DatasetInput = {
    tags: keyValues(item, 'tags'),
    dataset: {
      name: requireString(dataset, 'name'),
      digest: requireString(dataset, 'digest'),
      sourceType: requireString(dataset, 'source_type'),
      source: requireString(dataset, 'source'),
    },
  };
  const schema = optionalString(dataset, 'schema');
  const profile = optionalString(dataset, 'profile');
  if (schema !== undefined) out.dataset.schema = schema;
  if (profile !== undefined) out.dataset.profile = profile;
  return out;
}

/** Parses `/runs/log-model`'s `model_json`: a JSON string inside the JSON body (§9.23). */
function parseModelJson(text: string): Record<string, unknown> {
  let model: unknown;
  try {
    model = JSON.parse(text);
  } catch {
    throw invalid(`Malformed model info: 'model_json' is not valid JSON (${text.slice(0, 200)})`);
  }
  if (model === null || typeof model !== 'object' || Array.isArray(model)) throw invalid("Malformed model info: 'model_json' must hold a JSON object");
  const missing = MODEL_JSON_FIELDS.filter((f) => !(f in model));
  if (missing.length > 0) throw invalid(`Model json is missing mandatory fields: ${missing.join(', ')}`);
  return model as Record<string, unknown>;
}

/** Registers the run RPCs under both MLflow prefixes. */
export function registerMlflowRunRoutes(app: FastifyInstance, context: ServerContext): void {
  mlflowRpc(app, 'POST', '/runs/create', async (fields, request) => {
    const { run } = await callContract(context, request, 'runs.create', {
      // Empty strings are what proto clients send for "unset": the Default experiment, a generated name.
      experimentId: setString(fields, 'experiment_id'),
      userId: setString(fields, 'user_id'),
      runName: setString(fields, 'run_name'),
      startTime: optionalInt(fields, 'start_time'),
      tags: keyValues(fields, 'tags'),
    });
    return { run: toMlflowRun(run) };
  });

  mlflowRpc(app, 'GET', '/runs/get', async (fields, request) => {
    const { run } = await callContract(context, request, 'runs.get', { runId: runIdOf(fields) });
    return { run: toMlflowRun(run) };
  });

  mlflowRpc(app, 'POST', '/runs/update', async (fields, request) => {
    const { runInfo } = await callContract(context, request, 'runs.update', {
      runId: runIdOf(fields),
      status: runStatusOf(fields, 'status'),
      endTime: optionalInt(fields, 'end_time'),
      runName: optionalString(fields, 'run_name'),
    });
    return { run_info: toMlflowRunInfo(runInfo) };
  });

  mlflowRpc(app, 'POST', '/runs/delete', async (fields, request) => {
    await callContract(context, request, 'runs.delete', { runId: runIdOf(fields) });
    return {};
  });

  mlflowRpc(app, 'POST', '/runs/restore', async (fields, request) => {
    await callContract(context, request, 'runs.restore', { runId: runIdOf(fields) });
    return {};
  });

  mlflowRpc(app, 'POST', '/runs/search', async (fields, request) => {
    const experimentIds = strings(fields, 'experiment_ids');
    const maxResults = intInRange(fields, 'max_results', SEARCH_MAX_RESULTS.min, SEARCH_MAX_RESULTS.max, SEARCH_MAX_RESULTS.default);
    // MLflow answers a search over no experiments with no runs rather than an error.
    if (experimentIds.length === 0) return {};
    const orderBy = strings(fields, 'order_by');
    const input = {
      experimentIds,
      filter: setString(fields, 'filter'),
      viewType: viewTypeOf(fields, 'run_view_type'),
      orderBy: orderBy.length > 0 ? orderBy : undefined,
      maxResults,
      pageToken: setString(fields, 'page_token'),
    };
    return callContractAsJson(context, request, 'runs.search', input, (parsed) => context.flowdesk.mlflowWire.searchRuns(parsed));
  });

  /**
   * MLflow 3 tags metric points with the logged model they measure (`model_id`, and the dataset
   * they were computed on); those points are also recorded against the model.
   */
  function pointsByModel(runId: string, entries: { fields: MlflowFields; metric: MetricInput }[]): Map<string, LoggedModelMetricInput[]> {
    const byModel = new Map<string, LoggedModelMetricInput[]>();
    for (const { fields, metric } of entries) {
      const modelId = optionalString(fields, 'model_id');
      if (!modelId) continue;
      const points = byModel.get(modelId) ?? [];
      points.push({ ...metric, runId, datasetName: optionalString(fields, 'dataset_name'), datasetDigest: optionalString(fields, 'dataset_digest') });
      byModel.set(modelId, points);
    }
    return byModel;
  }

  /** Logs run metrics, and the points that name a logged model against that model too: one contract call, one transaction. */
  async function logRunMetrics(request: FastifyRequest, runId: string, entries: { fields: MlflowFields; metric: MetricInput }[], rest: { params?: KeyValue[]; tags?: KeyValue[] } = {}): Promise<void> {
    const modelMetrics = [...pointsByModel(runId, entries)].map(([modelId, metrics]) => ({ modelId, metrics }));
    await callContract(context, request, 'runs.logBatch', { runId, metrics: entries.map((e) => e.metric), ...rest, ...(modelMetrics.length > 0 ? { modelMetrics } : {}) });
  }

  mlflowRpc(app, 'POST', '/runs/log-metric', async (fields, request) => {
    await logRunMetrics(request, runIdOf(fields), [{ fields, metric: metricOf(fields) }]);
    return {};
  });

  mlflowRpc(app, 'POST', '/runs/log-parameter', async (fields, request) => {
    await callContract(context, request, 'runs.logParam', { runId: runIdOf(fields), key: requireString(fields, 'key'), value: textValue(fields, 'value') });
    return {};
  });

  mlflowRpc(app, 'POST', '/runs/set-tag', async (fields, request) => {
    await callContract(context, request, 'runs.setTag', { runId: runIdOf(fields), key: requireString(fields, 'key'), value: textValue(fields, 'value') });
    return {};
  });

  mlflowRpc(app, 'POST', '/runs/delete-tag', async (fields, request) => {
    await callContract(context, request, 'runs.deleteTag', { runId: runIdOf(fields), key: requireString(fields, 'key') });
    return {};
  });

  mlflowRpc(app, 'POST', '/runs/log-batch', async (fields, request) => {
    const entries = messages(fields, 'metrics').map((m, i) => ({ fields: m, metric: metricOf(m, `metrics[${i}].`) }));
    await logRunMetrics(request, runIdOf(fields), entries, { params: keyValues(fields, 'params'), tags: keyValues(fields, 'tags') });
    return {};
  });

  mlflowRpc(app, 'POST', '/runs/log-inputs', async (fields, request) => {
    const runId = runIdOf(fields);
    await callContract(context, request, 'runs.logInputs', {
      runId,
      datasets: messages(fields, 'datasets').map((d, i) => datasetInputOf(d, `datasets[${i}]`)),
    });
    // MLflow 3 also records logged models a run used (`log_inputs(models=...)`).
    const models = messages(fields, 'models').map((m) => ({ modelId: requireString(m, 'model_id') }));
    if (models.length > 0) await callContract(context, request, 'runs.logModelInputs', { runId, models });
    return {};
  });

  mlflowRpc(app, 'POST', '/runs/log-model', async (fields, request) => {
    const runId = runIdOf(fields);
    const model = parseModelJson(requireString(fields, 'model_json'));
    await callContract(context, request, 'runs.logModel', { runId, model });
    return {};
  });
}
