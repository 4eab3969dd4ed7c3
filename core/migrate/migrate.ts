/**
 * Copies a local data folder to a Flowdesk server over HTTP: experiments (matched by name),
 * runs with their own ids, params, tags, full metric history, dataset inputs and artifacts, the
 * trash (deleted experiments and runs stay deleted, with their deletion times), and the registry
 * (models, versions with sources pointing at the same runs or, for a copied version, at the
 * copy's origin on the target, tags, descriptions, stages, aliases, protection). The source is
 * read through the contract on the opened folder, the target written through the contract
 * client and the artifact proxy, exactly as any client would, plus the owner-only `migrate.*`
 * methods that write experiments and runs as they were recorded (ids, times, trash).
 *
 * MLflow 3 logged models and traces (spans, tags, links, assessments) keep their ids. Versions
 * keep their numbers (`migrate.reserveVersions` leaves those of deleted versions unused). The
 * registry's record follows each model: creation times and users, its history with its times and
 * actors, its approval requests pending or decided (each copied version also gets a
 * `flowdesk.migrated.from` tag saying where it came from). A model the migration creates is
 * written through `migrate.registryWrite`, which appends no history of its own, so its history on
 * the target is exactly the source's; changes to a model the target had are recorded there.
 *
 * The trash's logged models and traces move too: the contract does not list them, so they are
 * read from the folder's catalog; they arrive live and follow (or, for a logged model, are sent
 * with their deletion time) into the target's trash. Those of an experiment the target refused
 * are counted in the folder and the summary names them.
 *
 * Refusals: an item the target refuses as its own fault (a 4xx about that experiment, run, model
 * or version: a value its validation rejects, a state it is in) is reported, recorded in the
 * journal and left behind, and the rest continues; the report lists what did not move and a
 * later pass tries those again. What is not one item's fault (the target unreachable, a 5xx, a
 * token without the rights) stops the migration, to be resumed.
 *
 * Resuming: see migrate-journal.ts. Every write inside a run is safe to repeat (a run is written
 * under its own id, params accept the same value again, tags overwrite, the catalog stores an identical metric point once, uploads
 * overwrite); a resumed run still reads the target's point count per metric first so it does not
 * send again the pages that already arrived.
 */
import { Readable } from 'node:stream';
import { createClient, type Client } from '#core/api/client.ts';
import { IN_PROCESS_OWNER } from '#core/api/access.ts';
import { dispatch } from '#core/api/dispatch.ts';
import type { MethodInput, MethodOutput } from '#core/api/contract.ts';
import { MIGRATION_REGISTRY_WRITES } from '#core/api/migrate-contract.ts';
import type { LoggedModel, Metric, ModelVersion, RegisteredModel, Run } from '#core/api/entities.ts';
import type { TraceInfo } from '#core/api/traces-entities.ts';
import { ERROR_CODES, FlowdeskError, type ErrorCode } from '#core/api/errors.ts';
import { createHttpTransport, type FetchLike } from '#core/api/http-transport.ts';
import type { Flowdesk } from '#core/flowdesk.ts';
import { storePathIn } from '#core/api/artifact-locations.ts';
import { openJournal, type Journal, type Refusal } from './migrate-journal.ts';
import { allPages } from '#core/api/paging.ts';
import { loadModels } from '#core/tracking/logged-models.ts';

/** The tag on every copied version naming its source. */
export const MIGRATED_FROM = 'flowdesk.migrated.from';
/** The logged-model tag listing the registry versions made from it. */
const MODEL_VERSIONS_TAG = 'mlflow.modelVersions';
/** The trace tag naming where a trace's data lives; each server sets its own. */
const TRACE_ARTIFACT_LOCATION = 'mlflow.artifactLocation';
/** MLflow's log-batch limit. */
const BATCH = 1000;

export interface MigrateOptions {
  /** The opened source data folder. */
  source: Flowdesk;
  /** e.g. `https://flowdesk.team.example` */
  target: string;
  token?: string;
  /** The HTTP client; tests pass one that fails on purpose. */
  fetch?: typeof fetch;
  out?: (line: string) => void;
}

export interface EntityCounts {
  experiments: number;
  runs: number;
  params: number;
  metricPoints: number;
  artifactFiles: number;
  artifactBytes: number;
  loggedModels: number;
  versions: number;
  traces: number;
  /** Approval requests, pending or decided. */
  requests: number;
}

export interface MigrateReport {
  journalPath: string;
  source: EntityCounts;
  target: EntityCounts;
  /** One line per difference found when reading the target back; empty when everything matches. */
  mismatches: string[];
  /** What the target refused in this pass, and why; empty when everything moved. */
  notMoved: Refusal[];
  /** How many items the previous pass left behind, all tried again in this one. */
  retried: number;
  /** What this version of migrate does not carry at all, counted in the source so the summary can say so. */
  leftBehind: { deletedLoggedModels: number; tracesInTrash: number };
}

/**
 * The codes with which a target refuses one item for what that item is. Everything else
 * (unreachable, INTERNAL_ERROR, a token that may not write, a method the target lacks) would
 * refuse every item alike, so it stops the migration instead.
 */
const ITEM_FAULTS: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'INVALID_PARAMETER_VALUE',
  'BAD_REQUEST',
  'RESOURCE_ALREADY_EXISTS',
  'RESOURCE_DOES_NOT_EXIST',
  'INVALID_STATE',
  'REQUEST_LIMIT_EXCEEDED',
]);

/** Whether an error is the target refusing one item (see ITEM_FAULTS). */
export function isItemRefusal(err: unknown): err is FlowdeskError {
  return err instanceof FlowdeskError && ITEM_FAULTS.has(err.code);
}

/**
 * Runs the steps of one item. A refusal of that item is recorded under `key` and answers false;
 * any other error propagates and stops the migration. Success clears an earlier refusal.
 */
type Attempt = (key: string, what: string, steps: () => Promise<void>) => Promise<boolean>;

function attempts(journal: Journal, out: (line: string) => void): Attempt {
  return async (key, what, steps) => {
    try {
      await steps();
    } catch (err) {
      if (!isItemRefusal(err)) throw err;
      journal.data.refused[key] = { what, why: err.message };
      journal.save();
      out(`  not moved: ${what}: ${err.message}`);
      return false;
    }
    return true;
  };
}

async function allRuns(api: Client, experimentId: string): Promise<Run[]> {
  return allPages(async (pageToken) => {
    const r = await api.call('runs.search', { experimentIds: [experimentId], viewType: 'ALL', maxResults: 1000, pageToken, orderBy: ['attributes.start_time ASC'] });
    return { items: r.runs, nextPageToken: r.nextPageToken };
  });
}

async function allLoggedModels(api: Client, experimentId: string): Promise<LoggedModel[]> {
  return allPages(async (pageToken) => {
    const r = await api.call('loggedModels.search', { experimentIds: [experimentId], maxResults: 1000, pageToken });
    return { items: r.models, nextPageToken: r.nextPageToken };
  });
}

async function metricHistory(api: Client, runId: string, key: string): Promise<Metric[]> {
  return allPages(async (pageToken) => {
    const r = await api.call('metrics.history', { runId, key, maxResults: 10_000, pageToken });
    return { items: r.metrics, nextPageToken: r.nextPageToken };
  });
}

type Lister = (path: string | undefined) => Promise<{ files: { path: string; isDir: boolean; fileSize?: number }[] }>;

/** Every file under a folder of artifacts, as paths relative to its root, with sizes. */
async function filesUnder(list: Lister, dir = ''): Promise<{ path: string; bytes: number }[]> {
  const { files } = await list(dir || undefined);
  const out: { path: string; bytes: number }[] = [];
  for (const f of files) {
    const path = dir ? `${dir}/${f.path}` : f.path;
    if (f.isDir) out.push(...(await filesUnder(list, path)));
    else out.push({ path, bytes: f.fileSize ?? 0 });
  }
  return out;
}

async function allTraces(api: Client, experimentIds: string[]): Promise<TraceInfo[]> {
  return allPages(async (pageToken) => {
    const r = await api.call('traces.search', { experimentIds, maxResults: 500, pageToken, orderBy: ['timestamp_ms ASC'] });
    return { items: r.traces, nextPageToken: r.nextPageToken };
  });
}

/** A deleted logged model of the source, read from its folder (the contract shows only live ones). */
interface TrashedLoggedModel {
  model: LoggedModel;
  deletedTime: number;
  /** Its files, listed in the folder's artifact store. */
  list: Lister;
}

async function readDeletedLoggedModels(source: Flowdesk, experimentId: string): Promise<TrashedLoggedModel[]> {
  const rows = await source.catalog.db.selectFrom('logged_models').selectAll().where('experiment_id', '=', Number(experimentId)).where('lifecycle_stage', '=', 'deleted').orderBy('creation_time').orderBy('model_id').execute();
  const models = await loadModels(source.catalog.db, rows);
  return rows.map((row, i) => ({
    model: models[i]!,
    deletedTime: row.deleted_time ?? row.last_updated_time,
    list: async (path) => ({ files: await source.artifacts.list(storePathIn(row.artifact_uri, path)) }),
  }));
}

/** A logged model's record as migrate.putLoggedModel takes it, in the target's experiment. */
function recordedLoggedModel(experimentId: string, model: LoggedModel): MethodInput<'migrate.putLoggedModel'> {
  const { modelId, name, status, modelType, sourceRunId, creationTimestampMs, lastUpdatedTimestampMs } = model.info;
  return { experimentId, modelId, name, status, modelType, sourceRunId, creationTime: creationTimestampMs, lastUpdatedTime: lastUpdatedTimestampMs };
}

/**
 * Every trace of an experiment, those in the trash with their run or experiment included:
 * traces.search does not list them, so their ids come from the folder's catalog (added to
 * `inTrash`) and their info from traces.get.
 */
async function allTracesOf(src: Client, source: Flowdesk, experimentId: string, inTrash: Set<string>): Promise<TraceInfo[]> {
  const traces = await allTraces(src, [experimentId]);
  const listed = new Set(traces.map((t) => t.traceId));
  const rows = await source.catalog.db.selectFrom('traces').select('trace_id').where('experiment_id', '=', Number(experimentId)).orderBy('request_time').orderBy('trace_id').execute();
  for (const { trace_id: traceId } of rows) {
    if (listed.has(traceId)) continue;
    inTrash.add(traceId);
    traces.push((await src.call('traces.get', { traceId })).trace);
  }
  return traces;
}

/**
 * Moves one trace under its own id: its info (times, state, previews, tags, metadata), its data
 * as the client uploaded it (every span), its links to runs, and its assessments with their ids,
 * sources and times. Every step is safe to repeat.
 */
async function copyTrace(src: Client, dst: Client, experimentId: string, trace: TraceInfo): Promise<void> {
  const { traceId, clientRequestId, requestTime, executionDuration, state, requestPreview, responsePreview, metadata, tags, assessments, linkedRunIds } = trace;
  // The server names the data's location itself, on each end its own.
  const { [TRACE_ARTIFACT_LOCATION]: _, ...ownTags } = tags;
  await dst.call('traces.start', { trace: { traceId, experimentId, clientRequestId, requestTime, executionDuration, state, requestPreview, responsePreview, metadata, tags: ownTags } });
  if (trace.spanCount > 0) await dst.call('traces.putData', { traceId, json: (await src.call('traces.readData', { traceId })).json });
  for (const runId of linkedRunIds) await dst.call('traces.linkToRun', { traceIds: [traceId], runId });
  if (assessments.length > 0) await dst.call('migrate.putAssessments', { traceId, assessments });
}

/** Every file under a run's artifacts. */
const artifactFiles = (api: Client, runId: string) => filesUnder((path) => api.call('artifacts.list', { runId, path }));
/** Every file under a logged model's artifacts. */
const modelFiles = (api: Client, modelId: string) => filesUnder((path) => api.call('loggedModels.listArtifacts', { modelId, path }));

async function allVersions(api: Client, name: string): Promise<ModelVersion[]> {
  const quoted = `'${name.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  return allPages(async (pageToken) => {
    const r = await api.call('registry.searchVersions', { filter: `name = ${quoted}`, maxResults: 1000, pageToken });
    return { items: r.versions, nextPageToken: r.nextPageToken };
  });
}

const isNotFound = (err: unknown) => err instanceof FlowdeskError && err.code === 'RESOURCE_DOES_NOT_EXIST';
const encodePath = (path: string) => path.split('/').map(encodeURIComponent).join('/');
const tagOf = (tags: { key: string; value: string }[], key: string) => tags.find((t) => t.key === key)?.value;

/** Human-sized bytes for progress lines. */
function mib(bytes: number): string {
  return `${(bytes / 1_048_576).toFixed(1)} MiB`;
}

export async function migrate(options: MigrateOptions): Promise<MigrateReport> {
  const out = options.out ?? (() => undefined);
  const doFetch = options.fetch ?? fetch;
  const base = options.target.replace(/\/+$/, '');
  if (!/^https?:\/\//.test(base)) throw new FlowdeskError('INVALID_PARAMETER_VALUE', `--to must be an http(s) URL of a Flowdesk server, got '${options.target}'`);
  const src = createClient((name, input) => dispatch(options.source.handlers, name, input, IN_PROCESS_OWNER, () => undefined));
  const dst = createClient(createHttpTransport({ baseUrl: base, fetch: doFetch as FetchLike, token: options.token }));

  // Nothing is written anywhere (not even the journal) until the target has answered a call.
  try {
    await dst.call('experiments.search', { maxResults: 1 });
  } catch (err) {
    if (err instanceof FlowdeskError) throw new FlowdeskError(err.code, `The target ${base} refused the migration: ${err.message}`);
    throw err;
  }

  const journal = openJournal(options.source.dataDir, base);
  const j = journal.data;
  // Every item not done is tried again, so this pass's refusals replace the last pass's.
  const retried = Object.keys(j.refused).length;
  j.refused = {};
  journal.save();
  const attempt = attempts(journal, out);
  /** Deleted logged models met on the way, sent to the trash once the runs are done. */
  const trashedModels: (TrashedLoggedModel & { experimentName: string; targetExperimentId: string })[] = [];
  /** Traces of runs or experiments in the trash met on the way, which traces.search does not list. */
  const trashTraceIds = new Set<string>();

  // The plan: every experiment and run of the source, the trash included, with deletion times.
  const experiments = await allPages(async (pageToken) => {
    const r = await src.call('experiments.search', { viewType: 'ALL', maxResults: 1000, pageToken, orderBy: ['creation_time ASC'] });
    return { items: r.experiments, nextPageToken: r.nextPageToken };
  });
  const experimentDeletedAt = new Map((await src.call('trash.list', {})).entries.filter((t) => t.kind === 'experiment').map((t) => [t.id, t.deletedTime]));
  const runsOf = new Map<string, Run[]>();
  for (const e of experiments) runsOf.set(e.experimentId, await allRuns(src, e.experimentId));
  const totalRuns = [...runsOf.values()].reduce((n, r) => n + r.length, 0);
  out(`Migrating ${experiments.length} experiment(s) and ${totalRuns} run(s) to ${base} (journal: ${journal.path})`);
  if (retried > 0) out(`Trying again the ${retried} item(s) the target refused last time`);

  for (const e of experiments) {
    const runs = runsOf.get(e.experimentId)!;
    const what = `experiment ${e.experimentId} '${e.name}' (and its ${runs.length} run(s))`;
    const ready = await attempt(`experiment:${e.experimentId}`, what, async () => {
      if (j.experiments[e.experimentId] !== undefined) return;
      const { experimentId, created } = await dst.call('migrate.putExperiment', { name: e.name, tags: e.tags, creationTime: e.creationTime, lastUpdateTime: e.lastUpdateTime });
      j.experiments[e.experimentId] = experimentId;
      if (created) j.createdExperiments.push(e.experimentId);
      journal.save();
    });
    if (!ready) continue;
    await createRuns(dst, journal, attempt, e.name, j.experiments[e.experimentId]!, runs);
    // Logged models before the runs' data: a run's outputs and inputs name them. Deleted ones
    // arrive live too and go to the trash once the runs naming them are done.
    const trashed = await readDeletedLoggedModels(options.source, e.experimentId);
    trashedModels.push(...trashed.map((t) => ({ ...t, experimentName: e.name, targetExperimentId: j.experiments[e.experimentId]! })));
    const live = (await allLoggedModels(src, e.experimentId)).map((model) => ({ model, list: (path: string | undefined) => src.call('loggedModels.listArtifacts', { modelId: model.info.modelId, path }) }));
    for (const { model, list } of [...live, ...trashed]) {
      if (j.loggedModelsDone.includes(model.info.modelId)) continue;
      await attempt(`loggedModel:${model.info.modelId}`, `logged model ${model.info.modelId} '${model.info.name}' in experiment '${e.name}'`, async () => {
        await copyLoggedModel(dst, options, j.experiments[e.experimentId]!, model, list, doFetch);
        j.loggedModelsDone.push(model.info.modelId);
        journal.save();
      });
    }
    // Traces after the runs and logged models they name, before the trash (they arrive only in live
    // experiments and runs; those of the trash follow their run or experiment there on the target).
    for (const trace of await allTracesOf(src, options.source, e.experimentId, trashTraceIds)) {
      if (j.tracesDone.includes(trace.traceId)) continue;
      await attempt(`trace:${trace.traceId}`, `trace ${trace.traceId} in experiment '${e.name}'`, async () => {
        await copyTrace(src, dst, j.experiments[e.experimentId]!, trace);
        j.tracesDone.push(trace.traceId);
        journal.save();
      });
    }
  }

  let runsDone = 0;
  let bytesDone = 0;
  for (const e of experiments) {
    for (const run of runsOf.get(e.experimentId)!) {
      // A run the target did not create (or whose experiment it refused) has nothing to fill.
      if (j.runs[run.info.runId] !== undefined) {
        await attempt(`run:${run.info.runId}`, runWhat(e.name, run), async () => {
          bytesDone += await copyRun(src, dst, options, journal, run, doFetch);
        });
      }
      runsDone++;
      out(`[runs ${runsDone}/${totalRuns}] ${e.name} / ${run.info.runName}: ${mib(bytesDone)} of artifacts so far`);
    }
  }

  const models = await allPages(async (pageToken) => {
    const r = await src.call('registry.searchModels', { maxResults: 1000, pageToken });
    return { items: r.models, nextPageToken: r.nextPageToken };
  });
  const modelNames = new Set(models.map((m) => m.name));
  const tried = new Set<string>();
  // A version copied from another model's version (MLflow's copy_model_version) needs that
  // version on the target first, so its model is moved first, whatever the order of names.
  const moveModel = async (name: string): Promise<void> => {
    if (!modelNames.has(name) || tried.has(name) || j.modelsDone.includes(name)) return;
    tried.add(name);
    if (await copyModel(src, dst, journal, attempt, name, moveModel)) {
      j.modelsDone.push(name);
      journal.save();
    }
  };
  let modelsDone = 0;
  for (const model of models) {
    await moveModel(model.name);
    out(`[models ${++modelsDone}/${models.length}] ${model.name}`);
  }

  // The trash last: a deleted experiment takes no runs. One the team already had keeps its state.
  for (const { model, deletedTime, experimentName, targetExperimentId } of trashedModels) {
    if (!j.loggedModelsDone.includes(model.info.modelId)) continue;
    await attempt(`loggedModel:${model.info.modelId}`, `logged model ${model.info.modelId} '${model.info.name}' in experiment '${experimentName}' (into the trash)`, async () => {
      await dst.call('migrate.putLoggedModel', { ...recordedLoggedModel(targetExperimentId, model), deletedTime });
    });
  }
  for (const e of experiments) {
    const targetId = j.experiments[e.experimentId];
    if (e.lifecycleStage !== 'deleted' || targetId === undefined || !j.createdExperiments.includes(e.experimentId)) continue;
    await attempt(`experiment:${e.experimentId}`, `experiment ${e.experimentId} '${e.name}' (into the trash)`, async () => {
      await dst.call('migrate.trashExperiment', { experimentId: targetId, deletedTime: experimentDeletedAt.get(e.experimentId) ?? e.lastUpdateTime });
    });
  }

  out('Checking counts on the target...');
  const counts = await checkCounts(src, dst, j, experiments.map((e) => e.experimentId), runsOf, [...modelNames]);
  // What of the trash did not arrive (the deleted logged models and traces of an experiment the
  // target refused): the contract does not show it, so it is counted in the folder itself.
  const { catalog } = options.source;
  const deletedLoggedModels = (await catalog.db.selectFrom('logged_models').select('model_id').where('lifecycle_stage', '=', 'deleted').execute()).filter((m) => !j.loggedModelsDone.includes(m.model_id)).length;
  const allTracesHere = Number((await catalog.db.selectFrom('traces').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
  return {
    journalPath: journal.path,
    ...counts,
    notMoved: Object.values(j.refused),
    retried,
    leftBehind: { deletedLoggedModels, tracesInTrash: allTracesHere - counts.source.traces - [...trashTraceIds].filter((id) => j.tracesDone.includes(id)).length },
  };
}

/** How a run is named in the list of what did not move. */
function runWhat(experimentName: string, run: Run): string {
  return `run ${run.info.runId} '${run.info.runName}' in experiment '${experimentName}'`;
}

/**
 * Creates the target runs of one experiment that the journal does not know yet, under their own
 * ids and live (data arrives only in live runs; the trash is applied when the run is done). A run
 * created just before an interruption, whose entry never reached the journal, is found by its id.
 */
async function createRuns(dst: Client, journal: Journal, attempt: Attempt, experimentName: string, targetExperiment: string, runs: Run[]): Promise<void> {
  for (const run of runs.filter((r) => journal.data.runs[r.info.runId] === undefined)) {
    await attempt(`run:${run.info.runId}`, runWhat(experimentName, run), async () => {
      await dst.call('migrate.putRun', { ...recorded(run), experimentId: targetExperiment, lifecycleStage: 'active' });
      journal.data.runs[run.info.runId] = { target: run.info.runId, stage: 'created' };
      journal.save();
    });
  }
}

/** A run's attributes as the source recorded them. */
function recorded(run: Run) {
  const { runId, runName, userId, status, startTime, endTime } = run.info;
  return { runId, runName, userId, status, startTime, endTime };
}

/**
 * Streams one file of the source's store to the target's artifact proxy. A refusal carries the
 * target's own code, so a 4xx is the file's fault and a 5xx the target failing.
 */
async function upload(options: MigrateOptions, doFetch: typeof fetch, from: string, to: string, bytes: number, what: string): Promise<void> {
  const { stream } = await options.source.artifacts.read(from);
  const response = await doFetch(`${options.target.replace(/\/+$/, '')}/api/2.0/mlflow-artifacts/artifacts/${encodePath(to)}`, {
    method: 'PUT',
    headers: {
      'content-type': 'application/octet-stream',
      'content-length': String(bytes),
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
    },
    body: Readable.toWeb(stream) as ReadableStream<Uint8Array>,
    duplex: 'half',
  } as RequestInit);
  if (!response.ok) {
    const error = (await response.json().catch(() => ({}))) as { error_code?: string; message?: string };
    const known = (ERROR_CODES as readonly string[]).includes(error.error_code ?? '') ? (error.error_code as ErrorCode) : undefined;
    const code = response.status >= 500 ? 'INTERNAL_ERROR' : (known ?? 'BAD_REQUEST');
    throw new FlowdeskError(code, `Upload of ${what} failed (${response.status}): ${error.message ?? response.statusText}`);
  }
}

/**
 * Moves one MLflow 3 logged model under its own id: the model, its params, tags, metrics (with
 * the runs and datasets they were measured on) and files, then its status and times as recorded.
 * Every step is safe to repeat.
 */
async function copyLoggedModel(dst: Client, options: MigrateOptions, experimentId: string, model: LoggedModel, list: Lister, doFetch: typeof fetch): Promise<void> {
  const { modelId, tags, artifactUri } = model.info;
  const recordedModel = recordedLoggedModel(experimentId, model);
  await dst.call('migrate.putLoggedModel', recordedModel);
  for (let i = 0; i < model.data.params.length; i += 100) await dst.call('loggedModels.logParams', { modelId, params: model.data.params.slice(i, i + 100) });
  for (let i = 0; i < tags.length; i += 100) await dst.call('loggedModels.setTags', { modelId, tags: tags.slice(i, i + 100) });
  const metrics = model.data.metrics.map(({ modelId: _, ...m }) => m);
  for (let i = 0; i < metrics.length; i += BATCH) await dst.call('loggedModels.logMetrics', { modelId, metrics: metrics.slice(i, i + BATCH) });
  const { model: there } = await dst.call('loggedModels.get', { modelId });
  const targetRoot = there.info.artifactUri.replace(/^mlflow-artifacts:\/+/, '');
  for (const file of await filesUnder(list)) {
    await upload(options, doFetch, storePathIn(artifactUri, file.path), `${targetRoot}/${file.path}`, file.bytes, `file ${file.path} of logged model ${modelId}`);
  }
  await dst.call('migrate.putLoggedModel', recordedModel);
}

/** Copies one run's data and artifacts, then its status; returns the artifact bytes sent. */
async function copyRun(src: Client, dst: Client, options: MigrateOptions, journal: Journal, run: Run, doFetch: typeof fetch): Promise<number> {
  const entry = journal.data.runs[run.info.runId]!;
  const target = entry.target;
  if (entry.stage === 'done') return 0;
  if (entry.stage === 'created') {
    // Params are write-once with the same value allowed again, tags overwrite: both safe to resend.
    const tags = run.data.tags;
    for (let i = 0; i < Math.max(run.data.params.length, tags.length); i += 100) {
      await dst.call('runs.logBatch', { runId: target, params: run.data.params.slice(i, i + 100), tags: tags.slice(i, i + 100) });
    }
    if (run.inputs.datasetInputs.length > 0) await dst.call('runs.logInputs', { runId: target, datasets: run.inputs.datasetInputs });
    const outputs = run.outputs?.modelOutputs ?? [];
    if (outputs.length > 0) await dst.call('runs.logOutputs', { runId: target, models: outputs });
    const modelInputs = run.inputs.modelInputs ?? [];
    if (modelInputs.length > 0) await dst.call('runs.logModelInputs', { runId: target, models: modelInputs });
    for (const key of new Set(run.data.metrics.map((m) => m.key))) {
      const points = await metricHistory(src, run.info.runId, key);
      const already = (await metricHistory(dst, target, key)).length;
      for (let i = already; i < points.length; i += BATCH) await dst.call('runs.logBatch', { runId: target, metrics: points.slice(i, i + BATCH) });
    }
    entry.stage = 'data';
    journal.save();
  }
  let bytes = 0;
  if (entry.stage === 'data') {
    const { run: targetRun } = await dst.call('runs.get', { runId: target });
    const targetRoot = targetRun.info.artifactUri.replace(/^mlflow-artifacts:\/+/, '');
    for (const file of await artifactFiles(src, run.info.runId)) {
      // Uploads overwrite: a file sent before an interruption is simply sent again.
      await upload(options, doFetch, storePathIn(run.info.artifactUri, file.path), `${targetRoot}/${file.path}`, file.bytes, `artifact ${file.path} of run ${run.info.runId}`);
      bytes += file.bytes;
    }
    entry.stage = 'artifacts';
    journal.save();
  }
  const experimentId = journal.data.experiments[run.info.experimentId]!;
  await dst.call('migrate.putRun', { ...recorded(run), experimentId, lifecycleStage: run.info.lifecycleStage, deletedTime: run.info.deletedTime });
  entry.stage = 'done';
  journal.save();
  return bytes;
}

/**
 * A version's source with the run it names replaced by the run it became on the target. A source
 * naming another version (`models:/<name>/<version>`, as MLflow's copy_model_version writes) is
 * rewritten to that version's number on the target, once `before` has moved its model.
 */
async function mapSource(
  dst: Client,
  journal: Journal,
  version: ModelVersion,
  before: (model: string) => Promise<void>,
): Promise<{ source: string; runId?: string }> {
  const runs = journal.data.runs;
  const fromRun = /^runs:\/([0-9a-f]{32})(\/.*)?$/.exec(version.source);
  if (fromRun && runs[fromRun[1]!]) return { source: `runs:/${runs[fromRun[1]!]!.target}${fromRun[2] ?? ''}`, runId: runs[fromRun[1]!]!.target };
  const fromStore = /^mlflow-artifacts:\/+\d+\/([0-9a-f]{32})\/artifacts(\/.*)?$/.exec(version.source);
  if (fromStore && runs[fromStore[1]!]) {
    const targetRun = runs[fromStore[1]!]!.target;
    const { run } = await dst.call('runs.get', { runId: targetRun });
    return { source: `${run.info.artifactUri}${fromStore[2] ?? ''}`, runId: targetRun };
  }
  // A logged model keeps its id on the target, so its URI stays as it is.
  if (/^models:\/m-[0-9a-f]{32}$/.test(version.source)) return { source: version.source, runId: version.runId ? runs[version.runId]?.target : undefined };
  const fromVersion = /^models:\/([^/@]+)\/(\d+)$/.exec(version.source);
  if (fromVersion) {
    const [model, number] = [fromVersion[1]!, Number(fromVersion[2])];
    if (journal.data.versions[`${model}/${number}`] === undefined) await before(model);
    const origin = journal.data.versions[`${model}/${number}`];
    if (origin) {
      // The copy keeps naming the run its files came from, when that run moved too.
      const runId = version.runId ? runs[version.runId]?.target : undefined;
      return { source: `models:/${model}/${origin.target}`, runId };
    }
    throw new FlowdeskError(
      'INVALID_STATE',
      `Version ${version.version} of model '${version.name}' is a copy of '${version.source}', which has not moved to the target; it moves once that version has`,
    );
  }
  throw new FlowdeskError(
    'INVALID_STATE',
    `Version ${version.version} of model '${version.name}' comes from '${version.source}', which does not name a migrated run; it cannot be copied`,
  );
}

type RegistryWrite = (typeof MIGRATION_REGISTRY_WRITES)[number];

/**
 * A registry write on the target about model `name`. On a model this migration created it goes
 * through `migrate.registryWrite`: the same rules, but no history entry of the target's own, so
 * the model's history holds exactly the source's entries. On a model the target had, it is made
 * the ordinary way and the team's history records it.
 */
function registryWriter(dst: Client, journal: Journal, name: string) {
  return async <M extends RegistryWrite>(method: M, input: MethodInput<M>): Promise<MethodOutput<M>> => {
    if (!journal.data.createdModels.includes(name)) return dst.call(method, input);
    return (await dst.call('migrate.registryWrite', { method, input })).output as MethodOutput<M>;
  };
}

/**
 * Moves one registered model: the model itself, then each version the journal has not finished,
 * each an item of its own. Answers whether everything of the model is on the target.
 */
async function copyModel(src: Client, dst: Client, journal: Journal, attempt: Attempt, name: string, before: (model: string) => Promise<void>): Promise<boolean> {
  const { model } = await src.call('registry.getModel', { name });
  const versions = (await allVersions(src, name)).sort((a, b) => a.version - b.version);
  const write = registryWriter(dst, journal, name);
  const ready = await attempt(`model:${name}`, `model '${name}' (and its ${versions.length} version(s))`, async () => {
    try {
      await dst.call('registry.getModel', { name });
    } catch (err) {
      if (!isNotFound(err)) throw err;
      await dst.call('migrate.registryWrite', { method: 'registry.createModel', input: { name } });
      journal.data.createdModels.push(name);
      journal.data.versionBases[name] = 0;
      journal.save();
    }
    if (journal.data.versionBases[name] === undefined) {
      // A model the target had: the laptop's numbers continue after the target's last one.
      journal.data.versionBases[name] = journal.data.createdModels.includes(name) ? 0 : (await dst.call('migrate.reserveVersions', { name, through: 0 })).lastVersion;
      journal.save();
    }
    if (model.description) await write('registry.updateModel', { name, description: model.description });
    for (const t of model.tags) await write('registry.setModelTag', { name, key: t.key, value: t.value });
  });
  if (!ready) return false;

  const missing = versions.filter((v) => journal.data.versions[`${name}/${v.version}`] === undefined);
  if (missing.length > 0) {
    // A version created just before an interruption is recognised by its tag, not made again.
    for (const existing of await allVersions(dst, name)) {
      const [migrationId, key] = (tagOf(existing.tags, MIGRATED_FROM) ?? '').split(' ');
      if (migrationId === journal.data.migrationId && key?.startsWith(`${name}/`) && journal.data.versions[key] === undefined) {
        journal.data.versions[key] = { target: existing.version, done: false };
      }
    }
  }
  const whatVersion = (v: ModelVersion) => `version ${v.version} of model '${name}'`;
  for (const v of versions) {
    const key = `${name}/${v.version}`;
    if (journal.data.versions[key] === undefined) {
      await attempt(`version:${key}`, whatVersion(v), async () => {
        const { source, runId } = await mapSource(dst, journal, v, before);
        // The numbers of versions deleted on the laptop stay unused here too, so this one keeps its number.
        await dst.call('migrate.reserveVersions', { name, through: journal.data.versionBases[name]! + v.version - 1 });
        const from = `${journal.data.migrationId} ${key} (created ${new Date(v.creationTimestamp).toISOString()}${v.userId ? ` by ${v.userId}` : ''}, source ${v.source})`;
        const { version } = await write('registry.createVersion', { name, source, runId, description: v.description, tags: [{ key: MIGRATED_FROM, value: from }] });
        // Registering from a logged model appends to its `mlflow.modelVersions` tag on the target
        // too; it keeps the list the laptop recorded instead of holding this version twice.
        const fromModel = /^models:\/(m-[0-9a-f]{32})$/.exec(source)?.[1];
        if (fromModel) {
          const { info } = (await src.call('loggedModels.get', { modelId: fromModel })).model;
          const recordedList = tagOf(info.tags, MODEL_VERSIONS_TAG);
          if (recordedList !== undefined) await dst.call('loggedModels.setTags', { modelId: fromModel, tags: [{ key: MODEL_VERSIONS_TAG, value: recordedList }] });
          // Setting a tag stamps the model as updated now: its recorded times are put back.
          const { experimentId } = (await dst.call('loggedModels.get', { modelId: fromModel })).model.info;
          const { modelId, name: modelName, status, modelType, sourceRunId, creationTimestampMs, lastUpdatedTimestampMs } = info;
          await dst.call('migrate.putLoggedModel', { experimentId, modelId, name: modelName, status, modelType, sourceRunId, creationTime: creationTimestampMs, lastUpdatedTime: lastUpdatedTimestampMs });
        }
        journal.data.versions[key] = { target: version.version, done: false };
        journal.save();
      });
    }
  }

  // Stages and aliases land where they were. Moves onto places the target protects would wait for
  // an approval, so protection is lifted while they are made (only when one is needed) and then
  // set to what the target had plus what the source had: a team's settings are never loosened.
  const { protection: wanted } = await src.call('registry.getProtection', { name });
  const { protection: had } = await dst.call('registry.getProtection', { name });
  const final = { aliases: [...new Set([...had.aliases, ...wanted.aliases])], stages: [...new Set([...had.stages, ...wanted.stages])] };
  const pending = versions.filter((v) => journal.data.versions[`${name}/${v.version}`]?.done === false);
  const blocked = pending.some((v) => (had.stages as string[]).includes(v.currentStage) || v.aliases.some((a) => had.aliases.includes(a)));
  if (blocked) await write('registry.setProtection', { name, aliases: [], stages: [] });
  try {
    for (const v of pending) {
      const entry = journal.data.versions[`${name}/${v.version}`]!;
      const ref = { name, version: entry.target };
      await attempt(`version:${name}/${v.version}`, whatVersion(v), async () => {
        for (const t of v.tags) await write('registry.setVersionTag', { ...ref, key: t.key, value: t.value });
        if (v.currentStage !== 'None') await write('registry.transitionStage', { ...ref, stage: v.currentStage });
        for (const alias of v.aliases) await write('registry.setAlias', { ...ref, alias });
        entry.done = true;
        journal.save();
      });
    }
  } finally {
    await write('registry.setProtection', { name, ...final });
  }
  if (!versions.every((v) => journal.data.versions[`${name}/${v.version}`]?.done === true)) return false;
  // Last, what the registry recorded about the model: the moves above stamped this server's time
  // and the owner, so the recorded times, users, history and requests are written over them.
  return attempt(`model:${name}`, `history and requests of model '${name}'`, async () => {
    await dst.call('migrate.putRegistryRecord', await registryRecord(src, dst, journal, model, versions));
  });
}

/**
 * What the source's registry recorded about one model, with its version numbers turned into the
 * target's. Entries about versions that no longer exist (deleted, so not moved) name the number
 * the version would have had there, which the copy left unused; only when a version of the
 * target's own has since taken it do they name none.
 */
async function registryRecord(src: Client, dst: Client, journal: Journal, model: RegisteredModel, versions: ModelVersion[]): Promise<MethodInput<'migrate.putRegistryRecord'>> {
  const { name } = model;
  const targetOf = (version: number | undefined) => (version === undefined ? undefined : journal.data.versions[`${name}/${version}`]?.target);
  const base = journal.data.versionBases[name];
  const taken = new Set((await allVersions(dst, name)).map((v) => v.version));
  const historyTargetOf = (version: number | undefined) => {
    if (version === undefined || base === undefined) return targetOf(version);
    return targetOf(version) ?? (taken.has(base + version) ? undefined : base + version);
  };
  const history = await allPages(async (pageToken) => {
    const r = await src.call('registry.history', { name, maxResults: 10_000, pageToken });
    return { items: r.entries, nextPageToken: r.nextPageToken };
  });
  const { requests } = await src.call('registry.listRequests', { name });
  return {
    name,
    creationTime: model.creationTimestamp,
    lastUpdatedTime: model.lastUpdatedTimestamp,
    userId: model.userId,
    createdByMigration: journal.data.createdModels.includes(name),
    versions: versions.map((v) => ({ version: targetOf(v.version)!, creationTime: v.creationTimestamp, lastUpdatedTime: v.lastUpdatedTimestamp, userId: v.userId })),
    history: history.map(({ entryId: _, version, ...entry }) => ({ ...entry, version: historyTargetOf(version) })),
    // Oldest first, so the target numbers them in the order they were made, as the source did.
    requests: [...requests]
      .sort((a, b) => a.requestedAt - b.requestedAt)
      .filter((r) => targetOf(r.version) !== undefined)
      .map(({ requestId: _, name: __, version, ...r }) => ({ ...r, version: targetOf(version)! })),
  };
}

async function countRun(api: Client, runId: string): Promise<{ params: number; metricPoints: number; artifactFiles: number; artifactBytes: number }> {
  const { run } = await api.call('runs.get', { runId });
  let metricPoints = 0;
  for (const key of new Set(run.data.metrics.map((m) => m.key))) metricPoints += (await metricHistory(api, runId, key)).length;
  const files = await artifactFiles(api, runId);
  return { params: run.data.params.length, metricPoints, artifactFiles: files.length, artifactBytes: files.reduce((n, f) => n + f.bytes, 0) };
}

/** Reads source and target back, entity by entity, and lists every difference. */
async function checkCounts(
  src: Client,
  dst: Client,
  j: Journal['data'],
  experimentIds: string[],
  runsOf: Map<string, Run[]>,
  modelNames: string[],
): Promise<Pick<MigrateReport, 'source' | 'target' | 'mismatches'>> {
  const zero = (): EntityCounts => ({ experiments: 0, runs: 0, params: 0, metricPoints: 0, artifactFiles: 0, artifactBytes: 0, loggedModels: 0, versions: 0, traces: 0, requests: 0 });
  const source = zero();
  const target = zero();
  const mismatches: string[] = [];
  for (const experimentId of experimentIds) {
    source.experiments++;
    const targetId = j.experiments[experimentId];
    const runs = runsOf.get(experimentId)!;
    if (targetId !== undefined) {
      await dst.call('experiments.get', { experimentId: targetId });
      target.experiments++;
    } else mismatches.push(`experiment ${experimentId}: not on the target`);
    const sourceIds = new Set(runs.map((r) => r.info.runId));
    // Other laptops may have moved runs into the same experiment: count only this folder's.
    const targetRuns = targetId === undefined ? [] : (await allRuns(dst, targetId)).filter((r) => sourceIds.has(r.info.runId));
    source.runs += runs.length;
    target.runs += targetRuns.length;
    if (targetRuns.length !== runs.length) mismatches.push(`experiment ${experimentId}: ${runs.length} run(s) in the source, ${targetRuns.length} migrated on the target`);
    for (const model of await allLoggedModels(src, experimentId)) {
      source.loggedModels++;
      const there = targetId === undefined ? undefined : await dst.call('loggedModels.get', { modelId: model.info.modelId }).catch((err: unknown) => (isNotFound(err) ? undefined : Promise.reject(err)));
      const [a, b] = [(await modelFiles(src, model.info.modelId)).length, there ? (await modelFiles(dst, model.info.modelId)).length : 0];
      if (there) target.loggedModels++;
      if (!there) mismatches.push(`logged model ${model.info.modelId}: not on the target`);
      else if (a !== b || there.model.data.metrics.length !== model.data.metrics.length) mismatches.push(`logged model ${model.info.modelId}: ${a} file(s) and ${model.data.metrics.length} metric point(s) in the source, ${b} and ${there.model.data.metrics.length} on the target`);
    }
    const sourceTraces = await allTraces(src, [experimentId]);
    const traceIds = new Set(sourceTraces.map((t) => t.traceId));
    const targetTraces = targetId === undefined ? [] : (await allTraces(dst, [targetId])).filter((t) => traceIds.has(t.traceId));
    source.traces += sourceTraces.length;
    target.traces += targetTraces.length;
    if (targetTraces.length !== sourceTraces.length) mismatches.push(`experiment ${experimentId}: ${sourceTraces.length} trace(s) in the source, ${targetTraces.length} on the target`);
    for (const run of runs) {
      const a = await countRun(src, run.info.runId);
      const moved = j.runs[run.info.runId];
      const b = moved ? await countRun(dst, moved.target) : { params: 0, metricPoints: 0, artifactFiles: 0, artifactBytes: 0 };
      for (const k of ['params', 'metricPoints', 'artifactFiles', 'artifactBytes'] as const) {
        source[k] += a[k];
        target[k] += b[k];
        if (a[k] !== b[k]) mismatches.push(`run ${run.info.runId}: ${k} ${a[k]} in the source, ${b[k]} on the target`);
      }
    }
  }
  for (const name of modelNames) {
    const a = (await allVersions(src, name)).length;
    const b = (await allVersions(dst, name)).filter((v) => tagOf(v.tags, MIGRATED_FROM)?.startsWith(`${j.migrationId} ${name}/`)).length;
    source.versions += a;
    target.versions += b;
    if (a !== b) mismatches.push(`model '${name}': ${a} version(s) in the source, ${b} migrated on the target`);
    const sourceRequests = (await src.call('registry.listRequests', { name })).requests.length;
    const targetRequests = await dst.call('registry.listRequests', { name }).then((r) => r.requests.length, (err: unknown) => (isNotFound(err) ? 0 : Promise.reject(err)));
    source.requests += sourceRequests;
    target.requests += targetRequests;
    if (targetRequests < sourceRequests) mismatches.push(`model '${name}': ${sourceRequests} approval request(s) in the source, ${targetRequests} on the target`);
  }
  return { source, target, mismatches };
}
