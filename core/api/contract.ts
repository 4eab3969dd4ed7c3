/**
 * The contract: one table of methods, `namespace.verb`, each with an input and an output schema.
 * The core implements it, `dispatch` serves it over IPC and HTTP, `createClient` calls it.
 */
import { z } from 'zod';
import {
  datasetInput,
  experiment,
  fileInfo,
  loggedModel,
  loggedModelMetric,
  loggedModelOrder,
  loggedModelStatus,
  metric,
  metricBucket,
  modelInput,
  modelOutput,
  param,
  purgeReport,
  run,
  runInfo,
  runStatus,
  tag,
  trashEntry,
  viewType,
} from './entities.ts';

const id = z.string().min(1);
const empty = z.object({});
const page = { maxResults: z.number().int().min(1).optional(), pageToken: z.string().optional() };

interface MethodSpec<I extends z.ZodType, O extends z.ZodType> {
  doc: string;
  input: I;
  output: O;
}

const method = <I extends z.ZodType, O extends z.ZodType>(doc: string, input: I, output: O): MethodSpec<I, O> => ({
  doc,
  input,
  output,
});

export const contract = {
  'experiments.create': method(
    'Creates an experiment. Names are unique among experiments that are not purged; the server assigns the artifact location.',
    z.object({ name: z.string(), tags: z.array(tag).optional() }),
    z.object({ experimentId: z.string() }),
  ),
  'experiments.get': method(
    'Gets an experiment by id, also a deleted one.',
    z.object({ experimentId: id }),
    z.object({ experiment }),
  ),
  'experiments.getByName': method(
    'Gets an experiment by name, preferring the active one.',
    z.object({ name: z.string() }),
    z.object({ experiment }),
  ),
  'experiments.search': method(
    'Finds experiments with the query language, sorted and paged (default: newest first).',
    z.object({ filter: z.string().optional(), viewType: viewType.optional(), orderBy: z.array(z.string()).optional(), ...page }),
    z.object({ experiments: z.array(experiment), nextPageToken: z.string().optional() }),
  ),
  'experiments.rename': method(
    'Renames an active experiment.',
    z.object({ experimentId: id, newName: z.string() }),
    empty,
  ),
  'experiments.delete': method(
    'Moves an experiment and its runs to the trash.',
    z.object({ experimentId: id }),
    empty,
  ),
  'experiments.restore': method(
    'Restores an experiment and the runs deleted with it from the trash.',
    z.object({ experimentId: id }),
    empty,
  ),
  'experiments.setTag': method(
    'Sets (or replaces) a tag on an active experiment.',
    z.object({ experimentId: id, key: z.string(), value: z.string() }),
    empty,
  ),
  'experiments.deleteTag': method(
    'Deletes a tag from an active experiment.',
    z.object({ experimentId: id, key: z.string() }),
    empty,
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
  ),
  'runs.get': method('Gets a run with its latest metrics, params, tags and inputs.', z.object({ runId: id }), z.object({ run })),
  'runs.update': method(
    'Updates the status, end time or name of an active run; absent fields stay as they are.',
    z.object({
      runId: id,
      status: runStatus.optional(),
      endTime: z.number().int().min(0).optional(),
      runName: z.string().optional(),
    }),
    z.object({ runInfo }),
  ),
  'runs.delete': method('Moves a run to the trash.', z.object({ runId: id }), empty),
  'runs.restore': method('Restores a run from the trash.', z.object({ runId: id }), empty),
  'runs.logBatch': method(
    'Logs metrics, params and tags to an active run in one transaction: all of them or none.',
    z.object({
      runId: id,
      metrics: z.array(metric).optional(),
      params: z.array(param).optional(),
      tags: z.array(tag).optional(),
    }),
    empty,
  ),
  'runs.logMetric': method('Logs one metric point (through logBatch).', z.object({ runId: id }).extend(metric.shape), empty),
  'runs.logParam': method('Logs one param (through logBatch).', z.object({ runId: id, key: z.string(), value: z.string() }), empty),
  'runs.setTag': method('Sets one tag (through logBatch).', z.object({ runId: id, key: z.string(), value: z.string() }), empty),
  'runs.deleteTag': method('Deletes a tag from an active run.', z.object({ runId: id, key: z.string() }), empty),
  'runs.logInputs': method(
    'Records the datasets a run used; a dataset is stored once per experiment by name and digest.',
    z.object({ runId: id, datasets: z.array(datasetInput).optional() }),
    empty,
  ),
  'runs.logModel': method(
    "Appends a model's description (MLflow's MLmodel fields) to the run's `mlflow.log-model.history` tag, a JSON array kept whole however long it grows.",
    z.object({ runId: id, model: z.record(z.string(), z.unknown()) }),
    empty,
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
  ),
  'metrics.history': method(
    'Reads the full history of one metric of a run, ordered by step then timestamp, paged.',
    z.object({ runId: id, key: z.string(), ...page }),
    z.object({ metrics: z.array(metric), nextPageToken: z.string().optional() }),
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
  ),
  'artifacts.list': method(
    "Lists the immediate children of a folder in a run's artifacts.",
    z.object({ runId: id, path: z.string().optional() }),
    z.object({ rootUri: z.string(), files: z.array(fileInfo) }),
  ),
  'artifacts.delete': method(
    "Deletes a file or folder from a run's artifacts.",
    z.object({ runId: id, path: z.string().min(1) }),
    empty,
  ),
  'trash.list': method(
    'Lists deleted experiments and runs with the bytes their artifacts take on disk.',
    empty,
    z.object({ entries: z.array(trashEntry) }),
  ),
  'trash.purge': method(
    'Permanently removes deleted experiments and runs (all of them, or the given ones, or those deleted before a time): rows and artifact files.',
    z.object({
      experimentIds: z.array(id).optional(),
      runIds: z.array(id).optional(),
      deletedBefore: z.number().int().optional(),
    }),
    purgeReport,
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
  ),
  'loggedModels.get': method('Gets a logged model; a deleted one is not found.', z.object({ modelId: id }), z.object({ model: loggedModel })),
  'loggedModels.finalize': method(
    'Sets the status of a logged model once its files are uploaded (LOGGED_MODEL_READY) or failed to upload; returns the updated model.',
    z.object({ modelId: id, status: loggedModelStatus }),
    z.object({ model: loggedModel }),
  ),
  'loggedModels.delete': method(
    'Deletes a logged model: it leaves get and search at once; its rows and files go when its experiment is purged.',
    z.object({ modelId: id }),
    empty,
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
  ),
  'loggedModels.setTags': method('Sets (or replaces) tags on a logged model.', z.object({ modelId: id, tags: z.array(tag) }), empty),
  'loggedModels.deleteTag': method('Deletes a tag from a logged model.', z.object({ modelId: id, key: z.string() }), empty),
  'loggedModels.logParams': method(
    'Logs params on a logged model; like run params they are write-once (the same value again is fine).',
    z.object({ modelId: id, params: z.array(param) }),
    empty,
  ),
  'loggedModels.logMetrics': method(
    'Records metric points against a logged model (MLflow 3 metrics that carry a model_id); an identical point again is a no-op.',
    z.object({ modelId: id, metrics: z.array(loggedModelMetric.omit({ modelId: true })) }),
    empty,
  ),
  'loggedModels.listArtifacts': method(
    "Lists the immediate children of a folder in a logged model's artifacts.",
    z.object({ modelId: id, path: z.string().optional() }),
    z.object({ rootUri: z.string(), files: z.array(fileInfo) }),
  ),
  'runs.logOutputs': method(
    'Records logged models as outputs of an active run, each at a step; logging a model again moves it to the new step.',
    z.object({ runId: id, models: z.array(modelOutput).min(1) }),
    empty,
  ),
  'runs.logModelInputs': method(
    'Records logged models an active run used as inputs (MLflow 3 `log_inputs(models=...)`).',
    z.object({ runId: id, models: z.array(modelInput).min(1) }),
    empty,
  ),
} as const;

export type Contract = typeof contract;
export type MethodName = keyof Contract;
export type MethodInput<M extends MethodName> = z.input<Contract[M]['input']>;
export type MethodParsedInput<M extends MethodName> = z.output<Contract[M]['input']>;
export type MethodOutput<M extends MethodName> = z.output<Contract[M]['output']>;

/** What the core implements: one async function per contract method, given validated input. */
export type Handlers = {
  [M in MethodName]: (input: MethodParsedInput<M>) => Promise<z.input<Contract[M]['output']>>;
};

export const METHOD_NAMES = Object.keys(contract) as MethodName[];
