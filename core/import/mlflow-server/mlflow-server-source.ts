/**
 * An import source reading a running MLflow tracking server over its REST API, as MLflow's own
 * clients do (2.x and 3.x servers; Flowdesk's own server too): experiments of every lifecycle
 * stage, runs paged with params, tags and dataset inputs, the full history of every metric,
 * artifacts downloaded through the server, MLflow 3 logged models where the server has them (a
 * 2.x server answers 404 on their endpoints: then there are none), and the registry (models,
 * versions, tags, aliases, stages).
 *
 * Streaming: runs are read a page at a time (an experiment's run metadata is held to put parents
 * before children), metric histories page by page where the server pages (3.x) and element by
 * element from the response where it sends a history whole (2.x get-history), artifacts as
 * response streams.
 *
 * Errors: a server that cannot be reached, refuses the credentials (401/403) or does not answer
 * the tracking API at all (404 on experiments/search) stops the source with a message saying
 * which; a request about one run or model that fails with another 4xx is reported through
 * `onProblem` and the rest goes on.
 *
 * What the REST API does not carry: when a run or experiment was deleted (MLflow does not expose
 * it), the dataset inputs' order beyond what the server returns.
 */
import { Readable } from 'node:stream';
import type { ReadableStream as WebStream } from 'node:stream/web';
import type { DatasetInput, LifecycleStage, LoggedModelStatus, Metric, ModelStage, RunStatus, Tag } from '#core/api/entities.ts';
import { LOGGED_MODEL_STATUSES, MODEL_STAGES, RUN_STATUSES } from '#core/api/entities.ts';
import { FlowdeskError } from '#core/api/errors.ts';
import type {
  ImportSource,
  SourceArtifact,
  SourceExperiment,
  SourceLoggedModel,
  SourceModelVersion,
  SourceOptions,
  SourceRegisteredModel,
  SourceRun,
} from '../import-source.ts';
import { jsonArrayItems, parseLooseJson, type StreamTail } from './json-array-stream.ts';

/** Credentials for the server: a bearer token (MLFLOW_TRACKING_TOKEN) or basic auth (MLFLOW_TRACKING_USERNAME/PASSWORD). */
export interface MlflowServerAuth {
  token?: string;
  username?: string;
  password?: string;
}

/** Metric points handed to the engine per batch. */
const BATCH = 1000;
/** Runs per search page: MLflow's own client asks for 1,000 at most. */
const RUNS_PAGE = 1000;
/** Points per get-history page where the server pages (MLflow 3, Flowdesk). */
const HISTORY_PAGE = 25_000;
/** How long one JSON request may take before the server counts as not answering. */
const REQUEST_TIMEOUT_MS = 120_000;

type Json = Record<string, unknown>;

/** A request that failed with an HTTP answer: its status and what the server said. */
class HttpError extends FlowdeskError {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(status === 401 ? 'UNAUTHENTICATED' : status === 403 ? 'PERMISSION_DENIED' : status === 404 ? 'RESOURCE_DOES_NOT_EXIST' : status >= 500 ? 'INTERNAL_ERROR' : 'BAD_REQUEST', message);
  }
}

/** Whether an error concerns one item only (a 4xx other than the credentials), so the rest can go on. */
const isItemError = (err: unknown) => err instanceof HttpError && err.status >= 400 && err.status < 500 && err.status !== 401 && err.status !== 403;

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined);
/** int64 fields arrive as numbers from MLflow's JSON and as strings from plain protobuf JSON. */
const num = (v: unknown): number | undefined => (v === undefined || v === null || v === '' ? undefined : Number(v));
const tags = (v: unknown): Tag[] => (Array.isArray(v) ? v.map((t: Json) => ({ key: String(t.key), value: str(t.value) ?? '' })) : []);

function metricValue(v: unknown): number {
  if (typeof v === 'number') return v;
  const s = String(v);
  if (s === 'NaN' || s === 'nan') return Number.NaN;
  if (s === 'Infinity' || s === 'inf') return Number.POSITIVE_INFINITY;
  if (s === '-Infinity' || s === '-inf') return Number.NEGATIVE_INFINITY;
  return Number(s);
}

const lifecycle = (v: unknown): LifecycleStage => (v === 'deleted' ? 'deleted' : 'active');
const runStatus = (v: unknown): RunStatus => ((RUN_STATUSES as readonly string[]).includes(String(v)) ? (v as RunStatus) : 'RUNNING');
const stage = (v: unknown): ModelStage => MODEL_STAGES.find((s) => s.toLowerCase() === String(v ?? 'None').toLowerCase()) ?? 'None';
const loggedStatus = (v: unknown): LoggedModelStatus => ((LOGGED_MODEL_STATUSES as readonly string[]).includes(String(v)) ? (v as LoggedModelStatus) : 'LOGGED_MODEL_READY');
const encodePath = (path: string) => path.split('/').map(encodeURIComponent).join('/');

/**
 * A version's source as this side can resolve it. `mlflow-artifacts:/<experiment>/<run>/artifacts/...`
 * names a file in that server's own artifact store, which means nothing here (the import engine
 * takes an `mlflow-artifacts:` URI for one of Flowdesk's own); inside the artifacts of the
 * version's run, it is given as `runs:/<run>/<path>`, which resolves wherever that run is imported.
 */
function versionSource(source: string, runId: string | undefined): string {
  const m = /^mlflow-artifacts:(?:\/\/[^/]*)?\/.*?([0-9a-f]{32})\/artifacts(?:\/(.*?))?\/*$/.exec(source);
  return m && runId === m[1] ? `runs:/${m[1]}/${m[2] ?? ''}` : source;
}

/** Runs ordered so that a parent (by `mlflow.parentRunId`) comes before its children. */
function parentsFirst(runs: SourceRun[]): SourceRun[] {
  const byId = new Map(runs.map((r) => [r.runId, r]));
  const done = new Set<string>();
  const out: SourceRun[] = [];
  const visit = (run: SourceRun, path: Set<string>) => {
    if (done.has(run.runId) || path.has(run.runId)) return;
    path.add(run.runId);
    const parent = byId.get(run.tags.find((t) => t.key === 'mlflow.parentRunId')?.value ?? '');
    if (parent) visit(parent, path);
    done.add(run.runId);
    out.push(run);
  };
  for (const r of runs) visit(r, new Set());
  return out;
}

/**
 * Opens a running MLflow tracking server at `url` as an import source. Checks at once that it
 * answers the tracking API with these credentials, so a wrong URL or token fails here with a
 * message that says which.
 */
export async function openMlflowServerSource(url: string, auth: MlflowServerAuth, options: SourceOptions): Promise<ImportSource> {
  let base: URL;
  try {
    base = new URL(url);
  } catch {
    throw new FlowdeskError('INVALID_PARAMETER_VALUE', `'${url}' is not a URL of an MLflow tracking server (e.g. http://host:5000)`);
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new FlowdeskError('INVALID_PARAMETER_VALUE', `'${url}' is not an http(s) URL of an MLflow tracking server`);
  const root = base.href.replace(/\/+$/, '');
  const headers: Record<string, string> = {};
  if (auth.token) headers.authorization = `Bearer ${auth.token}`;
  else if (auth.username !== undefined) headers.authorization = `Basic ${Buffer.from(`${auth.username}:${auth.password ?? ''}`).toString('base64')}`;
  const describe = `MLflow server ${root}`;

  /** Sends a request and answers the response once it is OK; every failure says what failed and why. */
  async function request(method: string, path: string, query?: Record<string, string | undefined>, body?: Json, timeout = true): Promise<Response> {
    const target = new URL(`${root}${path}`);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) target.searchParams.append(k, v);
    let response: Response;
    try {
      response = await fetch(target, {
        method,
        headers: body ? { ...headers, 'content-type': 'application/json' } : headers,
        body: body ? JSON.stringify(body) : undefined,
        signal: timeout ? AbortSignal.timeout(REQUEST_TIMEOUT_MS) : undefined,
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      throw new FlowdeskError('INVALID_STATE', `Cannot reach the ${describe}: ${cause?.code ?? cause?.message ?? (err as Error).message}`);
    }
    if (response.ok) return response;
    const text = await response.text().catch(() => '');
    let said = text.slice(0, 300);
    try {
      const parsed = JSON.parse(text) as Json;
      said = String(parsed.message ?? parsed.error_code ?? said);
    } catch {
      // Not JSON (a proxy's or Flask's HTML page): the start of the text says enough.
    }
    if (response.status === 401 || response.status === 403) {
      const given = auth.token ? 'the token given' : auth.username !== undefined ? `the user '${auth.username}'` : 'no credentials (give a token, or a user name and password)';
      throw new HttpError(response.status, `The ${describe} refused ${given} (${response.status}): ${said}`);
    }
    throw new HttpError(response.status, `${method} ${path} on the ${describe} answered ${response.status}: ${said}`);
  }

  async function json(method: string, path: string, query?: Record<string, string | undefined>, body?: Json): Promise<Json> {
    const response = await request(method, path, query, body);
    return parseLooseJson(await response.text()) as Json;
  }

  const api = (path: string) => `/api/2.0/mlflow/${path}`;

  // The one check that everything else rests on: the tracking API answers, with these credentials.
  try {
    await json('POST', api('experiments/search'), undefined, { max_results: 1 });
  } catch (err) {
    if (err instanceof HttpError && err.status === 404) {
      throw new FlowdeskError('INVALID_PARAMETER_VALUE', `${root} does not look like an MLflow tracking server: ${err.message}`);
    }
    throw err;
  }

  const problem = (where: string, err: unknown) => {
    if (!isItemError(err)) throw err;
    options.onProblem({ where, message: (err as Error).message });
  };

  async function* pages(fetchPage: (token?: string) => Promise<Json>, field: string): AsyncGenerator<Json> {
    let token: string | undefined;
    do {
      const page = await fetchPage(token);
      for (const item of (page[field] as Json[] | undefined) ?? []) yield item;
      token = str(page.next_page_token) || undefined;
    } while (token);
  }

  /** One metric's full history, page by page, each page read element by element. */
  async function* history(runId: string, key: string): AsyncGenerator<Metric[]> {
    let token: string | undefined;
    let batch: Metric[] = [];
    do {
      const response = await request('GET', api('metrics/get-history'), { run_id: runId, metric_key: key, max_results: String(HISTORY_PAGE), page_token: token }, undefined, false);
      const tail: StreamTail = { text: '' };
      for await (const item of jsonArrayItems(response.body as AsyncIterable<Uint8Array>, 'metrics', tail)) {
        const m = item as Json;
        batch.push({ key: str(m.key) ?? key, value: metricValue(m.value), timestamp: num(m.timestamp) ?? 0, step: num(m.step) ?? 0 });
        if (batch.length >= BATCH) {
          yield batch;
          batch = [];
        }
      }
      const next = /"next_page_token"\s*:\s*("(?:[^"\\]|\\.)*")/.exec(tail.text);
      token = next ? (JSON.parse(next[1]!) as string) || undefined : undefined;
    } while (token);
    if (batch.length > 0) yield batch;
  }

  /** Where a file of a run's artifacts is downloaded: through the artifact proxy when the run's root is proxied, else through the server's get-artifact. */
  function artifactDownload(runId: string, rootUri: string, path: string): () => Promise<Readable> {
    const proxied = /^mlflow-artifacts:(?:\/\/[^/]*)?\/*(.*)$/.exec(rootUri);
    return async () => {
      const response = proxied
        ? await request('GET', `/api/2.0/mlflow-artifacts/artifacts/${encodePath(`${proxied[1]!.replace(/\/+$/, '')}/${path}`)}`, undefined, undefined, false)
        : await request('GET', '/get-artifact', { path, run_id: runId, run_uuid: runId }, undefined, false);
      return Readable.fromWeb(response.body as WebStream<Uint8Array>);
    };
  }

  async function* runArtifacts(runId: string, dir?: string): AsyncGenerator<SourceArtifact> {
    let listing: Json;
    try {
      listing = await json('GET', api('artifacts/list'), { run_id: runId, path: dir });
    } catch (err) {
      problem(`artifacts of run ${runId}${dir ? ` under ${dir}` : ''}`, err);
      return;
    }
    const rootUri = str(listing.root_uri) ?? '';
    for (const f of (listing.files as Json[] | undefined) ?? []) {
      const path = String(f.path);
      if (path.split('/').some((s) => s === '..' || s === '') || path.startsWith('/')) {
        options.onProblem({ where: `artifact '${path}' of run ${runId}`, message: 'the server listed a path outside the run, which is not followed' });
        continue;
      }
      if (f.is_dir) yield* runArtifacts(runId, path);
      else yield { path, bytes: num(f.file_size) ?? 0, open: artifactDownload(runId, rootUri, path) };
    }
  }

  function toRun(r: Json): SourceRun {
    const info = (r.info ?? {}) as Json;
    const data = (r.data ?? {}) as Json;
    const runId = String(info.run_id ?? info.run_uuid);
    const inputs: DatasetInput[] = (((r.inputs as Json | undefined)?.dataset_inputs as Json[] | undefined) ?? []).map((i) => {
      const d = (i.dataset ?? {}) as Json;
      return {
        tags: tags(i.tags),
        dataset: { name: String(d.name), digest: String(d.digest), sourceType: String(d.source_type ?? ''), source: String(d.source ?? ''), schema: str(d.schema), profile: str(d.profile) },
      };
    });
    const keys = [...new Set(((data.metrics as Json[] | undefined) ?? []).map((m) => String(m.key)))];
    return {
      runId,
      experimentSourceId: String(info.experiment_id),
      runName: str(info.run_name),
      status: runStatus(info.status),
      startTime: num(info.start_time),
      endTime: num(info.end_time),
      lifecycleStage: lifecycle(info.lifecycle_stage),
      userId: str(info.user_id),
      params: tags(data.params),
      tags: tags(data.tags),
      inputs,
      async *metrics() {
        for (const key of keys) {
          try {
            yield* history(runId, key);
          } catch (err) {
            problem(`metric '${key}' of run ${runId}`, err);
          }
        }
      },
      artifacts: () => runArtifacts(runId),
    };
  }

  /** Whether the server has MLflow 3's logged-model endpoints; learnt from the first search. */
  let hasLoggedModels: boolean | undefined;

  async function* loggedModelArtifacts(modelId: string, dir?: string): AsyncGenerator<SourceArtifact> {
    const listing = pages(
      (token) => json('GET', api(`logged-models/${encodeURIComponent(modelId)}/artifacts/directories`), { artifact_directory_path: dir, page_token: token }),
      'files',
    );
    try {
      for await (const f of listing) {
        const name = String(f.path);
        const path = dir && !name.startsWith(`${dir}/`) ? `${dir}/${name}` : name;
        if (path.split('/').some((s) => s === '..' || s === '') || path.startsWith('/')) {
          options.onProblem({ where: `artifact '${path}' of logged model ${modelId}`, message: 'the server listed a path outside the model, which is not followed' });
          continue;
        }
        if (f.is_dir) yield* loggedModelArtifacts(modelId, path);
        else {
          yield {
            path,
            bytes: num(f.file_size) ?? 0,
            open: async () => {
              const response = await request('GET', `/ajax-api/2.0/mlflow/logged-models/${encodeURIComponent(modelId)}/artifacts/files`, { artifact_file_path: path }, undefined, false);
              return Readable.fromWeb(response.body as WebStream<Uint8Array>);
            },
          };
        }
      }
    } catch (err) {
      problem(`artifacts of logged model ${modelId}`, err);
    }
  }

  return {
    describe,

    async *experiments() {
      for await (const e of pages((token) => json('POST', api('experiments/search'), undefined, { view_type: 'ALL', max_results: 1000, page_token: token }), 'experiments')) {
        yield {
          sourceId: String(e.experiment_id),
          name: String(e.name),
          lifecycleStage: lifecycle(e.lifecycle_stage),
          creationTime: num(e.creation_time),
          lastUpdateTime: num(e.last_update_time),
          tags: tags(e.tags),
        } satisfies SourceExperiment;
      }
    },

    async *runs(experiment) {
      const runs: SourceRun[] = [];
      const search = (token?: string) => json('POST', api('runs/search'), undefined, { experiment_ids: [experiment.sourceId], run_view_type: 'ALL', max_results: RUNS_PAGE, page_token: token });
      for await (const r of pages(search, 'runs')) runs.push(toRun(r));
      yield* parentsFirst(runs);
    },

    async *loggedModels(experiment) {
      if (hasLoggedModels === false) return;
      const search = (token?: string) => json('POST', api('logged-models/search'), undefined, { experiment_ids: [experiment.sourceId], max_results: 100, page_token: token });
      try {
        for await (const m of pages(search, 'models')) {
          hasLoggedModels = true;
          const info = (m.info ?? {}) as Json;
          const data = (m.data ?? {}) as Json;
          const modelId = String(info.model_id);
          yield {
            modelId,
            experimentSourceId: String(info.experiment_id ?? experiment.sourceId),
            name: String(info.name),
            status: loggedStatus(info.status),
            creationTime: num(info.creation_timestamp_ms),
            lastUpdatedTime: num(info.last_updated_timestamp_ms),
            modelType: str(info.model_type),
            sourceRunId: str(info.source_run_id),
            lifecycleStage: 'active',
            params: tags(data.params),
            tags: tags(info.tags),
            metrics: ((data.metrics as Json[] | undefined) ?? []).map((p) => ({
              key: String(p.key),
              value: metricValue(p.value),
              timestamp: num(p.timestamp) ?? 0,
              step: num(p.step) ?? 0,
              runId: str(p.run_id),
              datasetName: str(p.dataset_name),
              datasetDigest: str(p.dataset_digest),
            })),
            artifacts: () => loggedModelArtifacts(modelId),
          } satisfies SourceLoggedModel;
        }
        hasLoggedModels ??= true;
      } catch (err) {
        // An MLflow 2 server has no logged models: the endpoint is not there at all.
        if (hasLoggedModels === undefined && err instanceof HttpError && err.status === 404) {
          hasLoggedModels = false;
          return;
        }
        problem(`logged models of experiment ${experiment.sourceId}`, err);
      }
    },

    async *registeredModels() {
      const search = (token?: string) => json('GET', api('registered-models/search'), { max_results: '1000', page_token: token });
      for await (const listed of pages(search, 'registered_models')) {
        const name = String(listed.name);
        try {
          // Search answers leave aliases out on some versions; get has them.
          const model = ((await json('GET', api('registered-models/get'), { name })).registered_model ?? {}) as Json;
          const quoted = `'${name.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
          const versions: SourceModelVersion[] = [];
          const versionSearch = (token?: string) => json('GET', api('model-versions/search'), { filter: `name=${quoted}`, max_results: '1000', page_token: token });
          for await (const v of pages(versionSearch, 'model_versions')) {
            versions.push({
              version: Number(v.version),
              source: versionSource(String(v.source ?? ''), str(v.run_id)),
              runId: str(v.run_id) || undefined,
              modelId: str(v.model_id) || undefined,
              description: str(v.description) || undefined,
              currentStage: stage(v.current_stage),
              creationTime: num(v.creation_timestamp),
              lastUpdatedTime: num(v.last_updated_timestamp),
              userId: str(v.user_id) || undefined,
              tags: tags(v.tags),
            });
          }
          versions.sort((a, b) => a.version - b.version);
          yield {
            name,
            description: str(model.description) || undefined,
            creationTime: num(model.creation_timestamp),
            lastUpdatedTime: num(model.last_updated_timestamp),
            tags: tags(model.tags),
            aliases: ((model.aliases as Json[] | undefined) ?? []).map((a) => ({ alias: String(a.alias), version: Number(a.version) })),
            versions,
          } satisfies SourceRegisteredModel;
        } catch (err) {
          problem(`registered model '${name}'`, err);
        }
      }
    },
  };
}
