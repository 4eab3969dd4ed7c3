/**
 * MLflow's metric history RPCs (reference §2.2) onto the contract's `metrics.history`: the paged
 * history the Python client reads, and the two multi-run histories MLflow's web UI charts from
 * (`get-history-bulk-interval`, and the ajax-only `get-history-bulk`).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Metric } from '#core/api/entities.ts';
import { invalid } from '#core/api/errors.ts';
import { callContract, callContractAsJson, optionalInt, requireString, runIdOf, type MlflowFields } from './mlflow-support.ts';
import { intInRange, mlflowRpc, strings, withSnakeTwins, setString } from './mlflow-fields.ts';
import { putList, toMlflowMetric, type MlflowMetric } from './mlflow-mappers.ts';
import type { ServerContext } from './server-context.ts';

/** Page size used when following the contract's pages internally; the Python client pages by the same. */
const HISTORY_PAGE = 25_000;
/** GetMetricHistory.max_results is an int32. */
const INT32_MAX = 2 ** 31 - 1;
/** MLflow's limits for the multi-run histories. */
const BULK_MAX_RUNS = 100;
const INTERVAL_MAX_RESULTS = 2500;
const BULK_MAX_RESULTS = 25_000;

/** The answer of every history RPC; `next_page_token` only on a paged one with more to come. */
interface HistoryResponse {
  metrics?: MlflowMetric[];
  next_page_token?: string;
}

/** Calls `visit` with every page of a run's metric history, following the contract's page tokens. */
async function forEachHistoryPage(context: ServerContext, request: FastifyRequest, runId: string, key: string, visit: (page: Metric[]) => void, pageToken?: string): Promise<void> {
  let token = pageToken;
  do {
    const page = await callContract(context, request, 'metrics.history', { runId, key, maxResults: HISTORY_PAGE, pageToken: token });
    visit(page.metrics);
    token = page.nextPageToken;
  } while (token);
}

/** Index of the first element of sorted `xs` that is ≥ x (Python's bisect_left). */
function lowerBound(xs: number[], x: number): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (xs[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * MLflow's step sampling for the UI's charts: among the sorted distinct steps in [start, end],
 * at most `maxResults` evenly spaced by index, plus the last one, so a chart spans the range.
 */
function sampleSteps(allSteps: number[], start: number, end: number, maxResults: number): Set<number> {
  const from = lowerBound(allSteps, start);
  const to = lowerBound(allSteps, end + 1);
  if (to - from <= maxResults) return new Set(allSteps.slice(from, to));
  const interval = (to - from) / maxResults;
  const sampled = new Set<number>();
  for (let i = 0; i < maxResults; i++) sampled.add(allSteps[from + Math.floor(i * interval)]!);
  sampled.add(allSteps[to - 1]!);
  return sampled;
}

/** The distinct run ids of a multi-run request, in request order, with MLflow's 1..100 bound. */
function runIdsOf(fields: MlflowFields, name: string, rpc: string): string[] {
  const ids = [...new Set(strings(fields, name))];
  if (ids.length === 0) throw invalid(`${rpc} request must specify at least one run_id.`);
  if (ids.length > BULK_MAX_RUNS) throw invalid(`${rpc} request cannot specify more than ${BULK_MAX_RUNS} run_ids. Received ${ids.length} run_ids.`);
  return ids;
}

/** Orders points as MLflow's bulk history does: timestamp, step, value (NaN after numbers). */
function byTimestampStepValue(a: Metric, b: Metric): number {
  const value = Number.isNaN(a.value) ? (Number.isNaN(b.value) ? 0 : 1) : Number.isNaN(b.value) ? -1 : a.value - b.value;
  return a.timestamp - b.timestamp || a.step - b.step || value;
}

/** Registers the metric history RPCs. */
export function registerMlflowMetricRoutes(app: FastifyInstance, context: ServerContext): void {
  mlflowRpc(app, 'GET', '/metrics/get-history', async (fields, request) => {
    const runId = runIdOf(fields);
    const key = requireString(fields, 'metric_key');
    const maxResults = intInRange(fields, 'max_results', 1, INT32_MAX);
    const pageToken = setString(fields, 'page_token');
    // Without max_results MLflow answers the whole history in one response.
    const whole = maxResults === undefined;
    return callContractAsJson(context, request, 'metrics.history', { runId, key, maxResults, pageToken }, (parsed) => context.flowdesk.mlflowWire.history(parsed, { whole }));
  });

  mlflowRpc(app, 'GET', '/metrics/get-history-bulk-interval', async (fields, request) => {
    const runIds = runIdsOf(fields, 'run_ids', 'GetMetricHistoryBulkInterval');
    const key = requireString(fields, 'metric_key');
    const startStep = optionalInt(fields, 'start_step');
    const endStep = optionalInt(fields, 'end_step');
    if ((startStep === undefined) !== (endStep === undefined)) throw invalid('If either start step or end step are specified, both must be specified.');
    if (startStep !== undefined && endStep !== undefined && startStep > endStep) {
      throw invalid(`end_step must be greater than start_step. Found start_step=${startStep} and end_step=${endStep}.`);
    }
    const maxResults = intInRange(fields, 'max_results', 1, INTERVAL_MAX_RESULTS, INTERVAL_MAX_RESULTS);
    const start = startStep ?? Number.NEGATIVE_INFINITY;
    const end = endStep ?? Number.POSITIVE_INFINITY;

    // First pass: the steps that exist. Runs log different steps, so sampling picks among the
    // steps actually logged, and each run's first and last step in range is kept so every line
    // reaches its ends. Only steps are held here, not points, to bound memory on long series.
    const allSteps = new Set<number>();
    const ends = new Set<number>();
    for (const runId of runIds) {
      let min = Number.POSITIVE_INFINITY;
      let max = Number.NEGATIVE_INFINITY;
      await forEachHistoryPage(context, request, runId, key, (page) => {
        for (const m of page) {
          allSteps.add(m.step);
          if (m.step >= start && m.step <= end) {
            min = Math.min(min, m.step);
            max = Math.max(max, m.step);
          }
        }
      });
      if (min <= max) ends.add(min).add(max);
    }
    const sorted = [...allSteps].sort((a, b) => a - b);
    const steps = sampleSteps(sorted, start, end, maxResults);
    for (const step of ends) steps.add(step);

    // Second pass: the points at the sampled steps, run by run in request order.
    const metrics: MlflowMetric[] = [];
    for (const runId of runIds) {
      await forEachHistoryPage(context, request, runId, key, (page) => {
        for (const m of page) if (steps.has(m.step)) metrics.push(toMlflowMetric(m, runId));
      });
    }
    return putList<HistoryResponse, 'metrics'>({}, 'metrics', metrics);
  });

  // UI-only and not a proto RPC, so the reference server mounts it under /ajax-api alone.
  app.get('/ajax-api/2.0/mlflow/metrics/get-history-bulk', async (request) => {
    const fields = withSnakeTwins(request.query ?? {}) as MlflowFields;
    const runIds = runIdsOf(fields, 'run_id', 'GetMetricHistoryBulk').sort();
    const key = requireString(fields, 'metric_key');
    // MLflow caps a larger max_results rather than refusing it.
    const maxResults = Math.min(intInRange(fields, 'max_results', 1, Number.MAX_SAFE_INTEGER, BULK_MAX_RESULTS), BULK_MAX_RESULTS);
    const metrics: MlflowMetric[] = [];
    for (const runId of runIds) {
      if (metrics.length >= maxResults) break;
      const page = await callContract(context, request, 'metrics.history', { runId, key, maxResults });
      for (const m of page.metrics.sort(byTimestampStepValue)) metrics.push(toMlflowMetric(m, runId));
    }
    return putList<HistoryResponse, 'metrics'>({}, 'metrics', metrics.slice(0, maxResults));
  });
}
