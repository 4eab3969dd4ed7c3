/**
 * The contract: one table of methods, `namespace.verb`, each with an input and an output schema
 * and who may call it from where (access.ts). The core implements it, `dispatch` serves it over
 * IPC and HTTP and enforces the access, `createClient` calls it.
 */
import { z } from 'zod';
import {
  datasetInput,
  experiment,
  experimentDiskUsage,
  fileInfo,
  historyEntry,
  loggedModel,
  loggedModelMetric,
  loggedModelOrder,
  loggedModelStatus,
  metric,
  metricBucket,
  modelInput,
  modelOutput,
  modelProtection,
  modelStage,
  modelVersion,
  param,
  purgeReport,
  registeredModel,
  requestStatus,
  run,
  runInfo,
  runStatus,
  tag,
  trashEntry,
  transitionRequest,
  viewType,
} from './entities.ts';
import { method } from './contract-method.ts';
import { TEAM_APPROVE, TEAM_READ, TEAM_WRITE, type Principal } from './access.ts';
import { projectsContract } from './projects-contract.ts';
import { modelsContract } from './models-contract.ts';
import { settingsContract } from './settings-contract.ts';
import { executionContract } from './execution-contract.ts';

export { method, type MethodSpec } from './contract-method.ts';
import { runsTableContract } from './runs-table-contract.ts';
import { importsContract } from './imports-contract.ts';
import { tracesContract } from './traces-contract.ts';
import { overviewContract } from './overview-contract.ts';
import { batchedReadsContract } from './batched-reads-contract.ts';
import { migrateContract } from './migrate-contract.ts';

const id = z.string().min(1);
const empty = z.object({});
const page = { maxResults: z.number().int().min(1).optional(), pageToken: z.string().optional() };
/**
 * Who makes a registry change, for its history: a person's or token's name. The server fills it
 * from the caller's credentials where it has them; absent, the OS user running Flowdesk.
 */
const actor = z.string().min(1).max(255).optional();
/** A registry model name and a version number of it. */
const versionRef = { name: z.string(), version: z.number().int().min(1) };
/** A person's comment on a request or a decision. */
const comment = z.string().max(5000).optional();

export const contract = {
  'experiments.create': method(
    'Creates an experiment. Names are unique among experiments that are not purged; the server assigns the artifact location.',
    z.object({ name: z.string(), tags: z.array(tag).optional() }),
    z.object({ experimentId: z.string() }),
    TEAM_WRITE,
  ),
  'experiments.get': method(
    'Gets an experiment by id, also a deleted one.',
    z.object({ experimentId: id }),
    z.object({ experiment }),
    TEAM_READ,
  ),
  'experiments.getByName': method(
    'Gets an experiment by name, preferring the active one.',
    z.object({ name: z.string() }),
    z.object({ experiment }),
    TEAM_READ,
  ),
  'experiments.search': method(
    'Finds experiments with the query language, sorted and paged (default: newest first).',
    z.object({ filter: z.string().optional(), viewType: viewType.optional(), orderBy: z.array(z.string()).optional(), ...page }),
    z.object({ experiments: z.array(experiment), nextPageToken: z.string().optional() }),
    TEAM_READ,
  ),
  'experiments.rename': method(
    'Renames an active experiment.',
    z.object({ experimentId: id, newName: z.string() }),
    empty,
    TEAM_WRITE,
  ),
  'experiments.delete': method(
    'Moves an experiment and its runs to the trash.',
    z.object({ experimentId: id }),
    empty,
    TEAM_WRITE,
  ),
  'experiments.restore': method(
    'Restores an experiment and the runs deleted with it from the trash.',
    z.object({ experimentId: id }),
    empty,
    TEAM_WRITE,
  ),
  'experiments.diskUsage': method(
    'Bytes on disk per experiment, active and deleted (not yet purged), largest first: artifacts, the estimated share of the catalog, and their totals.',
    empty,
    z.object({ experiments: z.array(experimentDiskUsage), totalBytes: z.number(), artifactBytes: z.number(), catalogBytes: z.number() }),
    TEAM_READ,
  ),
  'experiments.setTag': method(
    'Sets (or replaces) a tag on an active experiment.',
    z.object({ experimentId: id, key: z.string(), value: z.string() }),
    empty,
    TEAM_WRITE,
  ),
  'experiments.deleteTag': method(
    'Deletes a tag from an active experiment.',
    z.object({ experimentId: id, key: z.string() }),
    empty,
    TEAM_WRITE,
  ),
  'runs.create': method(
    'Starts a run in an active experiment (the Default experiment "0" when none is given).',
    z.object({
      experimentId: id.optional(),
      runName: z.string().optional(),
      startTime: z.number().int().min(0).optional(),
      userId: z.string().optional(),
      tags: z.array(tag).optional(),
    }),
    z.object({ run }),
    TEAM_WRITE,
  ),
  'runs.get': method('Gets a run with its latest metrics, params, tags and inputs.', z.object({ runId: id }), z.object({ run }), TEAM_READ),
  'runs.update': method(
    'Updates the status, end time or name of an active run; absent fields stay as they are.',
    z.object({
      runId: id,
      status: runStatus.optional(),
      endTime: z.number().int().min(0).optional(),
      runName: z.string().optional(),
    }),
    z.object({ runInfo }),
    TEAM_WRITE,
  ),
  'runs.delete': method('Moves a run to the trash.', z.object({ runId: id }), empty, TEAM_WRITE),
  'runs.restore': method('Restores a run from the trash.', z.object({ runId: id }), empty, TEAM_WRITE),
  'runs.logBatch': method(
    'Logs metrics, params and tags to an active run in one transaction: all of them or none. Points that measure a logged model (MLflow 3 metrics with a model_id) are recorded against it in the same transaction; an unknown model refuses the whole batch.',
    z.object({
      runId: id,
      metrics: z.array(metric).optional(),
      params: z.array(param).optional(),
      tags: z.array(tag).optional(),
      modelMetrics: z.array(z.object({ modelId: id, metrics: z.array(loggedModelMetric.omit({ modelId: true })) })).optional(),
    }),
    empty,
    TEAM_WRITE,
  ),
  'runs.logMetric': method('Logs one metric point (through logBatch).', z.object({ runId: id }).extend(metric.shape), empty, TEAM_WRITE),
  'runs.logParam': method('Logs one param (through logBatch).', z.object({ runId: id, key: z.string(), value: z.string() }), empty, TEAM_WRITE),
  'runs.setTag': method('Sets one tag (through logBatch).', z.object({ runId: id, key: z.string(), value: z.string() }), empty, TEAM_WRITE),
  'runs.deleteTag': method('Deletes a tag from an active run.', z.object({ runId: id, key: z.string() }), empty, TEAM_WRITE),
  'runs.logInputs': method(
    'Records the datasets a run used; a dataset is stored once per experiment by name and digest.',
    z.object({ runId: id, datasets: z.array(datasetInput).optional() }),
    empty,
    TEAM_WRITE,
  ),
  'runs.logModel': method(
    "Appends a model's description (MLflow's MLmodel fields) to the run's `mlflow.log-model.history` tag, a JSON array kept whole however long it grows.",
    z.object({ runId: id, model: z.record(z.string(), z.unknown()) }),
    empty,
    TEAM_WRITE,
  ),
  'runs.search': method(
    'Finds runs in one or several experiments with the query language, sorted and paged (default: newest first).',
    z.object({
      experimentIds: z.array(id).min(1),
      filter: z.string().optional(),
      viewType: viewType.optional(),
      orderBy: z.array(z.string()).optional(),
      ...page,
    }),
    z.object({ runs: z.array(run), nextPageToken: z.string().optional() }),
    TEAM_READ,
  ),
  'metrics.history': method(
    'Reads the full history of one metric of a run, ordered by step then timestamp, paged.',
    z.object({ runId: id, key: z.string(), ...page }),
    z.object({ metrics: z.array(metric), nextPageToken: z.string().optional() }),
    TEAM_READ,
  ),
  'metrics.sampled': method(
    'Reads a metric downsampled to at most `buckets` buckets over a step range; each bucket keeps min and max so spikes survive.',
    z.object({
      runId: id,
      key: z.string(),
      startStep: z.number().int().optional(),
      endStep: z.number().int().optional(),
      buckets: z.number().int().min(1).max(100_000).optional(),
    }),
    z.object({ buckets: z.array(metricBucket), nanCount: z.number(), pointCount: z.number() }),
    TEAM_READ,
  ),
  'artifacts.list': method(
    "Lists the immediate children of a folder in a run's artifacts.",
    z.object({ runId: id, path: z.string().optional() }),
    z.object({ rootUri: z.string(), files: z.array(fileInfo) }),
    TEAM_READ,
  ),
  'artifacts.delete': method(
    "Deletes a file or folder from a run's artifacts.",
    z.object({ runId: id, path: z.string().min(1) }),
    empty,
    TEAM_WRITE,
  ),
  'trash.list': method(
    'Lists deleted experiments and runs with the bytes their artifacts take on disk.',
    empty,
    z.object({ entries: z.array(trashEntry) }),
    TEAM_READ,
  ),
  'trash.purge': method(
    'Permanently removes deleted experiments and runs (all of them, or the given ones, or those deleted before a time): rows and artifact files.',
    z.object({
      experimentIds: z.array(id).optional(),
      runIds: z.array(id).optional(),
      deletedBefore: z.number().int().optional(),
    }),
    purgeReport,
    TEAM_WRITE,
  ),
  'loggedModels.create': method(
    'Creates an MLflow 3 logged model in an active experiment, in status LOGGED_MODEL_PENDING, with a server-assigned id (`m-` + 32 hex) and artifact location `<experiment location>/models/<id>/artifacts`; a random name when none is given.',
    z.object({
      experimentId: id,
      name: z.string().optional(),
      modelType: z.string().optional(),
      sourceRunId: z.string().optional(),
      params: z.array(param).optional(),
      tags: z.array(tag).optional(),
    }),
    z.object({ model: loggedModel }),
    TEAM_WRITE,
  ),
  'loggedModels.get': method('Gets a logged model; a deleted one is not found.', z.object({ modelId: id }), z.object({ model: loggedModel }), TEAM_READ),
  'loggedModels.finalize': method(
    'Sets the status of a logged model once its files are uploaded (LOGGED_MODEL_READY) or failed to upload; returns the updated model.',
    z.object({ modelId: id, status: loggedModelStatus }),
    z.object({ model: loggedModel }),
    TEAM_WRITE,
  ),
  'loggedModels.delete': method(
    'Deletes a logged model: it leaves get and search at once; its rows and files go when its experiment is purged.',
    z.object({ modelId: id }),
    empty,
    TEAM_WRITE,
  ),
  'loggedModels.search': method(
    'Finds logged models in experiments with the query language (attributes, metrics., params., tags.), sorted (default: newest first) and paged. `datasets` is not supported yet.',
    z.object({
      experimentIds: z.array(id).min(1),
      filter: z.string().optional(),
      datasets: z.array(z.object({ datasetName: z.string().min(1), datasetDigest: z.string().optional() })).optional(),
      orderBy: z.array(loggedModelOrder).optional(),
      ...page,
    }),
    z.object({ models: z.array(loggedModel), nextPageToken: z.string().optional() }),
    TEAM_READ,
  ),
  'loggedModels.setTags': method('Sets (or replaces) tags on a logged model.', z.object({ modelId: id, tags: z.array(tag) }), empty, TEAM_WRITE),
  'loggedModels.deleteTag': method('Deletes a tag from a logged model.', z.object({ modelId: id, key: z.string() }), empty, TEAM_WRITE),
  'loggedModels.logParams': method(
    'Logs params on a logged model; like run params they are write-once (the same value again is fine).',
    z.object({ modelId: id, params: z.array(param) }),
    empty,
    TEAM_WRITE,
  ),
  'loggedModels.logMetrics': method(
    'Records metric points against a logged model (MLflow 3 metrics that carry a model_id); an identical point again is a no-op.',
    z.object({ modelId: id, metrics: z.array(loggedModelMetric.omit({ modelId: true })) }),
    empty,
    TEAM_WRITE,
  ),
  'loggedModels.listArtifacts': method(
    "Lists the immediate children of a folder in a logged model's artifacts.",
    z.object({ modelId: id, path: z.string().optional() }),
    z.object({ rootUri: z.string(), files: z.array(fileInfo) }),
    TEAM_READ,
  ),
  'runs.logOutputs': method(
    'Records logged models as outputs of an active run, each at a step; logging a model again moves it to the new step.',
    z.object({ runId: id, models: z.array(modelOutput).min(1) }),
    empty,
    TEAM_WRITE,
  ),
  'runs.logModelInputs': method(
    'Records logged models an active run used as inputs (MLflow 3 `log_inputs(models=...)`).',
    z.object({ runId: id, models: z.array(modelInput).min(1) }),
    empty,
    TEAM_WRITE,
  ),
  'registry.createModel': method(
    "Creates a registered model. On a server with users its alias 'production' and stage Production start protected (moves onto them need an approval); without users nothing starts protected until `registry.setProtection`.",
    z.object({ name: z.string(), description: z.string().optional(), tags: z.array(tag).optional(), actor }),
    z.object({ model: registeredModel }),
    TEAM_WRITE,
  ),
  'registry.getModel': method('Gets a registered model with its newest version per stage, tags and aliases.', z.object({ name: z.string() }), z.object({ model: registeredModel }), TEAM_READ),
  'registry.renameModel': method(
    'Renames a registered model; its versions, aliases and history follow it.',
    z.object({ name: z.string(), newName: z.string(), actor }),
    z.object({ model: registeredModel }),
    TEAM_WRITE,
  ),
  'registry.updateModel': method(
    "Sets a registered model's description (markdown).",
    z.object({ name: z.string(), description: z.string(), actor }),
    z.object({ model: registeredModel }),
    TEAM_WRITE,
  ),
  'registry.deleteModel': method(
    'Deletes a registered model with its versions, tags, aliases and requests. Its history is kept.',
    z.object({ name: z.string(), actor }),
    empty,
    TEAM_WRITE,
  ),
  'registry.setModelTag': method('Sets (or replaces) a tag on a registered model.', z.object({ name: z.string(), key: z.string(), value: z.string(), actor }), empty, TEAM_WRITE),
  'registry.deleteModelTag': method('Deletes a tag from a registered model.', z.object({ name: z.string(), key: z.string(), actor }), empty, TEAM_WRITE),
  'registry.searchModels': method(
    'Finds registered models with the query language (name, tags.), sorted (default: by name) and paged. Prompts (tag mlflow.prompt.is_prompt = true) are left out unless the filter names that tag.',
    z.object({ filter: z.string().optional(), orderBy: z.array(z.string()).optional(), ...page }),
    z.object({ models: z.array(registeredModel), nextPageToken: z.string().optional() }),
    TEAM_READ,
  ),
  'registry.latestVersions': method(
    'The newest version of a model in each of the given stages (all four when none are given), in the order the stages are given.',
    z.object({ name: z.string(), stages: z.array(z.string()).optional() }),
    z.object({ versions: z.array(modelVersion) }),
    TEAM_READ,
  ),
  'registry.createVersion': method(
    'Registers a new version from `runs:/<run id>/<path>`, a `models:/` URI (a logged model id, name/version, name/stage, name/latest or name@alias) or an `mlflow-artifacts:/` location the server assigned. A filesystem path or any other URI is refused.',
    z.object({
      name: z.string(),
      source: z.string(),
      runId: z.string().optional(),
      runLink: z.string().optional(),
      description: z.string().optional(),
      tags: z.array(tag).optional(),
      modelId: z.string().optional(),
      actor,
    }),
    z.object({ version: modelVersion }),
    TEAM_WRITE,
  ),
  'registry.getVersion': method('Gets one version of a registered model.', z.object(versionRef), z.object({ version: modelVersion }), TEAM_READ),
  'registry.updateVersion': method(
    "Sets a version's description (markdown).",
    z.object({ ...versionRef, description: z.string(), actor }),
    z.object({ version: modelVersion }),
    TEAM_WRITE,
  ),
  'registry.deleteVersion': method(
    'Deletes a version with its tags, aliases and requests; its number is never given out again.',
    z.object({ ...versionRef, actor }),
    empty,
    TEAM_WRITE,
  ),
  'registry.setVersionTag': method('Sets (or replaces) a tag on a version.', z.object({ ...versionRef, key: z.string(), value: z.string(), actor }), empty, TEAM_WRITE),
  'registry.deleteVersionTag': method('Deletes a tag from a version.', z.object({ ...versionRef, key: z.string(), actor }), empty, TEAM_WRITE),
  'registry.searchVersions': method(
    'Finds versions with the query language (name, run_id, source_path, version_number, current_stage, tags.), sorted (default: newest update first) and paged. Versions of prompts are left out unless the filter names tag mlflow.prompt.is_prompt.',
    z.object({ filter: z.string().optional(), orderBy: z.array(z.string()).optional(), ...page }),
    z.object({ versions: z.array(modelVersion), nextPageToken: z.string().optional() }),
    TEAM_READ,
  ),
  'registry.downloadUri': method(
    "Where a version's files are: the concrete `mlflow-artifacts:/` location its source resolved to.",
    z.object(versionRef),
    z.object({ artifactUri: z.string() }),
    TEAM_READ,
  ),
  'registry.resolve': method(
    'Resolves `models:/<name>/<version>`, `models:/<name>@<alias>`, `models:/<name>/<stage>` or `models:/<name>/latest` to a version and its download location.',
    z.object({ uri: z.string() }),
    z.object({ version: modelVersion, artifactUri: z.string() }),
    TEAM_READ,
  ),
  'registry.versionsOfRun': method(
    'The versions registered from a run, newest first: lineage from a run to its versions.',
    z.object({ runId: id }),
    z.object({ versions: z.array(modelVersion) }),
    TEAM_READ,
  ),
  'registry.setAlias': method(
    "Points an alias at a version, moving it if it pointed elsewhere. Onto a protected alias the move is not made: a transition request is created (or the pending identical one returned) and answered as `request`.",
    z.object({ ...versionRef, alias: z.string(), comment, actor }),
    z.object({ request: transitionRequest.optional() }),
    TEAM_WRITE,
  ),
  'registry.deleteAlias': method('Deletes an alias of a model.', z.object({ name: z.string(), alias: z.string(), actor }), empty, TEAM_WRITE),
  'registry.getVersionByAlias': method('Gets the version an alias points at.', z.object({ name: z.string(), alias: z.string() }), z.object({ version: modelVersion }), TEAM_READ),
  'registry.transitionStage': method(
    'Moves a version to a stage (None, Staging, Production, Archived; any case), optionally archiving the other versions in Staging or Production. Onto a protected stage the move is not made: a transition request is created (or the pending identical one returned) and answered as `request`, with the version as it is.',
    z.object({ ...versionRef, stage: z.string(), archiveExistingVersions: z.boolean().optional(), comment, actor }),
    z.object({ version: modelVersion, request: transitionRequest.optional() }),
    TEAM_WRITE,
  ),
  'registry.getProtection': method('The aliases and stages of a model that need an approval.', z.object({ name: z.string() }), z.object({ protection: modelProtection }), TEAM_READ),
  'registry.setProtection': method(
    'Replaces the protected aliases and stages of a model. Pending requests stay pending.',
    z.object({ name: z.string(), aliases: z.array(z.string()), stages: z.array(modelStage), actor }),
    z.object({ protection: modelProtection }),
    TEAM_APPROVE,
  ),
  'registry.listRequests': method(
    'Lists transition requests, newest first, of one model or all, optionally of one status.',
    z.object({ name: z.string().optional(), status: requestStatus.optional() }),
    z.object({ requests: z.array(transitionRequest) }),
    TEAM_READ,
  ),
  'registry.getRequest': method('Gets one transition request.', z.object({ requestId: id }), z.object({ request: transitionRequest }), TEAM_READ),
  'registry.approveRequest': method(
    'Approves a pending request and makes its move, in one transaction. A request already decided or cancelled is an INVALID_STATE error.',
    z.object({ requestId: id, comment, actor }),
    z.object({ request: transitionRequest }),
    TEAM_APPROVE,
  ),
  'registry.rejectRequest': method(
    'Rejects a pending request; the version stays where it was.',
    z.object({ requestId: id, comment, actor }),
    z.object({ request: transitionRequest }),
    TEAM_APPROVE,
  ),
  'registry.cancelRequest': method(
    'Withdraws a pending request; only its requester may.',
    z.object({ requestId: id, comment, actor }),
    z.object({ request: transitionRequest }),
    TEAM_WRITE,
  ),
  'registry.history': method(
    "A model's history (or one version's), oldest first, paged: every change with time, actor and the values before and after. A deleted model's history stays readable by its last name.",
    z.object({ name: z.string(), version: z.number().int().min(1).optional(), ...page }),
    z.object({ entries: z.array(historyEntry), nextPageToken: z.string().optional() }),
    TEAM_READ,
  ),
  ...projectsContract,
  ...modelsContract,
  ...settingsContract,
  ...executionContract,
  ...runsTableContract,
  ...importsContract,
  ...tracesContract,
  ...overviewContract,
  ...batchedReadsContract,
  ...migrateContract,
} as const;

export type Contract = typeof contract;
export type MethodName = keyof Contract;
export type MethodInput<M extends MethodName> = z.input<Contract[M]['input']>;
export type MethodParsedInput<M extends MethodName> = z.output<Contract[M]['input']>;
export type MethodOutput<M extends MethodName> = z.output<Contract[M]['output']>;

/**
 * What the core implements: one async function per contract method, given validated input and
 * the caller `dispatch` has already let through (services use it for who-did-what rules). Engine
 * code that calls a handler directly, without `dispatch`, passes no caller: it is the machine's owner.
 */
export type Handlers = {
  [M in MethodName]: (input: MethodParsedInput<M>, caller?: Principal) => Promise<z.input<Contract[M]['output']>>;
};

export const METHOD_NAMES = Object.keys(contract) as MethodName[];
