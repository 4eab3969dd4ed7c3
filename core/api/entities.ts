/**
 * Entities of the contract, as runtime schemas (zod) with their static types. Field names are
 * camelCase here; the MLflow translation layer maps them to MLflow's snake_case JSON.
 */
import { z } from 'zod';

/**
 * A metric value. JSON has no NaN or Infinity, so on the wire they travel as the strings MLflow
 * uses ("NaN", "Infinity", "-Infinity"); this schema accepts both forms and yields a number.
 */
export const metricValue = z
  // z.number() refuses NaN and ±Infinity, which metrics must keep.
  .union([z.custom<number>((v) => typeof v === 'number', 'expected a number'), z.enum(['NaN', 'Infinity', '-Infinity', 'nan', 'inf', '-inf'])])
  .transform((v): number => {
    if (typeof v === 'number') return v;
    if (v === 'NaN' || v === 'nan') return Number.NaN;
    return v.startsWith('-') ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  });

/** Milliseconds since the Unix epoch. */
export const timestampMs = z.number().int().min(0);

export const tag = z.object({ key: z.string(), value: z.string() });
export type Tag = z.infer<typeof tag>;

export const param = z.object({ key: z.string(), value: z.string() });
export type Param = z.infer<typeof param>;

export const metric = z.object({
  key: z.string(),
  value: metricValue,
  timestamp: timestampMs,
  step: z.number().int().default(0),
});
export type Metric = z.output<typeof metric>;
export type MetricInput = z.input<typeof metric>;

export const lifecycleStage = z.enum(['active', 'deleted']);
export type LifecycleStage = z.infer<typeof lifecycleStage>;

export const RUN_STATUSES = ['RUNNING', 'SCHEDULED', 'FINISHED', 'FAILED', 'KILLED'] as const;
export const runStatus = z.enum(RUN_STATUSES);
export type RunStatus = z.infer<typeof runStatus>;

/** Which lifecycle stages a listing includes. */
export const viewType = z.enum(['ACTIVE_ONLY', 'DELETED_ONLY', 'ALL']);
export type ViewType = z.infer<typeof viewType>;

export const experiment = z.object({
  experimentId: z.string(),
  name: z.string(),
  artifactLocation: z.string(),
  lifecycleStage,
  creationTime: z.number(),
  lastUpdateTime: z.number(),
  tags: z.array(tag),
});
export type Experiment = z.infer<typeof experiment>;

export const runInfo = z.object({
  runId: z.string(),
  runName: z.string(),
  experimentId: z.string(),
  userId: z.string(),
  status: runStatus,
  startTime: z.number(),
  /** Absent while the run has not ended. */
  endTime: z.number().optional(),
  artifactUri: z.string(),
  lifecycleStage,
  /** When a deleted run went to the trash (with its experiment, or on its own). */
  deletedTime: z.number().optional(),
});
export type RunInfo = z.infer<typeof runInfo>;

export const dataset = z.object({
  name: z.string(),
  digest: z.string(),
  sourceType: z.string(),
  source: z.string(),
  schema: z.string().optional(),
  profile: z.string().optional(),
});
export type Dataset = z.infer<typeof dataset>;

export const datasetInput = z.object({ tags: z.array(tag).default([]), dataset });
export type DatasetInput = z.output<typeof datasetInput>;

/** A logged model a run consumed (MLflow 3 `inputs.model_inputs`). */
export const modelInput = z.object({ modelId: z.string() });
export type ModelInput = z.infer<typeof modelInput>;

/** A logged model a run produced (MLflow 3 `outputs.model_outputs`), with the step it was logged at. */
export const modelOutput = z.object({ modelId: z.string(), step: z.number().int() });
export type ModelOutput = z.infer<typeof modelOutput>;

export const run = z.object({
  info: runInfo,
  data: z.object({ metrics: z.array(metric), params: z.array(param), tags: z.array(tag) }),
  /** `modelInputs` and `outputs` are optional: only reads that join the logged-model tables fill them. */
  inputs: z.object({ datasetInputs: z.array(datasetInput), modelInputs: z.array(modelInput).optional() }),
  outputs: z.object({ modelOutputs: z.array(modelOutput) }).optional(),
});
export type Run = z.output<typeof run>;

/** One bucket of a downsampled series: every point in [startStep, endStep] summarised. */
export const metricBucket = z.object({
  startStep: z.number(),
  endStep: z.number(),
  count: z.number(),
  min: metricValue,
  max: metricValue,
  first: metricValue,
  last: metricValue,
  firstStep: z.number(),
  lastStep: z.number(),
  /** When the first and last points were logged (ms), so charts can put wall time on x. */
  firstTimestamp: z.number(),
  lastTimestamp: z.number(),
});
export type MetricBucket = z.output<typeof metricBucket>;

export const fileInfo = z.object({
  path: z.string(),
  isDir: z.boolean(),
  fileSize: z.number().optional(),
});
export type FileInfo = z.infer<typeof fileInfo>;

export const trashEntry = z.object({
  kind: z.enum(['experiment', 'run']),
  id: z.string(),
  name: z.string(),
  experimentId: z.string(),
  deletedTime: z.number(),
  bytes: z.number(),
});
export type TrashEntry = z.infer<typeof trashEntry>;

/**
 * The bytes one experiment takes on disk: its folder (its runs' artifacts and its logged models)
 * and its estimated share of the catalog (runs, params, tags, metric points), and their sum.
 */
export const experimentDiskUsage = z.object({
  experimentId: z.string(),
  name: z.string(),
  lifecycleStage,
  bytes: z.number(),
  artifactBytes: z.number(),
  catalogBytes: z.number(),
});
export type ExperimentDiskUsage = z.infer<typeof experimentDiskUsage>;

export const purgeReport = z.object({
  experimentsPurged: z.number(),
  runsPurged: z.number(),
  bytesReclaimed: z.number(),
  /** What a purge of everything left in the trash because registered model versions still use its files. */
  kept: z.array(z.object({ kind: z.enum(['experiment', 'run']), id: z.string(), reason: z.string() })),
});
export type PurgeReport = z.infer<typeof purgeReport>;

/** MLflow 3 logged-model statuses, by MLflow's enum names (UNSPECIFIED is never stored). */
export const LOGGED_MODEL_STATUSES = ['LOGGED_MODEL_PENDING', 'LOGGED_MODEL_READY', 'LOGGED_MODEL_UPLOAD_FAILED'] as const;
export const loggedModelStatus = z.enum(LOGGED_MODEL_STATUSES);
export type LoggedModelStatus = z.infer<typeof loggedModelStatus>;

/**
 * A metric point recorded against a logged model: the run that logged it and, for evaluation
 * metrics, the dataset it was measured on.
 */
export const loggedModelMetric = metric.extend({
  modelId: z.string(),
  runId: z.string().optional(),
  datasetName: z.string().optional(),
  datasetDigest: z.string().optional(),
});
export type LoggedModelMetric = z.output<typeof loggedModelMetric>;

/** What MLflow calls LoggedModelInfo: identity, location, status and tags of a logged model. */
export const loggedModelInfo = z.object({
  /** `m-` and 32 hex characters. */
  modelId: z.string(),
  experimentId: z.string(),
  name: z.string(),
  creationTimestampMs: z.number(),
  lastUpdatedTimestampMs: z.number(),
  /** Server-assigned: `<experiment location>/models/<modelId>/artifacts`. */
  artifactUri: z.string(),
  status: loggedModelStatus,
  modelType: z.string().optional(),
  /** The run that was active when the model was logged; absent when none was. */
  sourceRunId: z.string().optional(),
  tags: z.array(tag),
  /** The registered model versions made from this model; absent while there are none. */
  registrations: z.array(z.object({ name: z.string(), version: z.number().int() })).optional(),
});
export type LoggedModelInfo = z.infer<typeof loggedModelInfo>;

/** An MLflow 3 logged model: a model with its own artifact folder, params, tags and metrics. */
export const loggedModel = z.object({
  info: loggedModelInfo,
  data: z.object({ params: z.array(param), metrics: z.array(loggedModelMetric) }),
});
export type LoggedModel = z.output<typeof loggedModel>;

/** One key of a logged-model search order: an attribute (`name`, `creation_timestamp`, ...) or `metrics.<key>`. */
export const loggedModelOrder = z.object({
  fieldName: z.string().min(1),
  ascending: z.boolean().default(true),
  /** For a metric key: only points measured on this dataset count. */
  datasetName: z.string().optional(),
  datasetDigest: z.string().optional(),
});
export type LoggedModelOrder = z.output<typeof loggedModelOrder>;

/** The MLflow stages a model version can be in, canonical spelling; new versions start in None. */
export const MODEL_STAGES = ['None', 'Staging', 'Production', 'Archived'] as const;
export const modelStage = z.enum(MODEL_STAGES);
export type ModelStage = z.infer<typeof modelStage>;

/** MLflow's ModelVersionStatus; Flowdesk registers synchronously, so versions are always READY. */
export const modelVersionStatus = z.enum(['PENDING_REGISTRATION', 'FAILED_REGISTRATION', 'READY']);

/** One version of a registered model. Numbers count 1, 2, 3, ... per model and are never reused. */
export const modelVersion = z.object({
  name: z.string(),
  version: z.number().int(),
  creationTimestamp: z.number(),
  lastUpdatedTimestamp: z.number(),
  /** Who registered it. */
  userId: z.string().optional(),
  currentStage: modelStage,
  /** Markdown. */
  description: z.string().optional(),
  /** As given at creation (`runs:/...`, `models:/...` or a server-assigned `mlflow-artifacts:/...`). */
  source: z.string(),
  /** The run it was made from: lineage from the version to its run. */
  runId: z.string().optional(),
  runLink: z.string().optional(),
  status: modelVersionStatus,
  tags: z.array(tag),
  /** The aliases pointing at this version. */
  aliases: z.array(z.string()),
  /** The MLflow 3 logged model it was made from. */
  modelId: z.string().optional(),
});
export type ModelVersion = z.infer<typeof modelVersion>;

/** An alias of a registered model and the version it names. */
export const modelAlias = z.object({ alias: z.string(), version: z.number().int() });
export type ModelAlias = z.infer<typeof modelAlias>;

/** A registered model: a name, its versions' newest per stage, its tags and aliases. */
export const registeredModel = z.object({
  name: z.string(),
  creationTimestamp: z.number(),
  lastUpdatedTimestamp: z.number(),
  /** Who created it. */
  userId: z.string().optional(),
  /** Markdown. */
  description: z.string().optional(),
  /** The newest version in each stage that has one, in stage order (None, Staging, Production, Archived). */
  latestVersions: z.array(modelVersion),
  tags: z.array(tag),
  aliases: z.array(modelAlias),
});
export type RegisteredModel = z.infer<typeof registeredModel>;

/** The aliases and stages of a model onto which a move needs an approval. */
export const modelProtection = z.object({ aliases: z.array(z.string()), stages: z.array(modelStage) });
export type ModelProtection = z.infer<typeof modelProtection>;

export const REQUEST_STATUSES = ['pending', 'approved', 'rejected', 'cancelled'] as const;
export const requestStatus = z.enum(REQUEST_STATUSES);
export type RequestStatus = z.infer<typeof requestStatus>;

/** A request to move a version onto a protected alias or stage; only an approval moves it. */
export const transitionRequest = z.object({
  requestId: z.string(),
  name: z.string(),
  version: z.number().int(),
  kind: z.enum(['alias', 'stage']),
  /** The alias, or the stage. */
  target: z.string(),
  /** For a stage move: approving also archives the other versions in that stage. */
  archiveExistingVersions: z.boolean(),
  status: requestStatus,
  requestedBy: z.string(),
  requestedAt: z.number(),
  /** Why the move is wanted. */
  comment: z.string().optional(),
  decidedBy: z.string().optional(),
  decidedAt: z.number().optional(),
  decisionComment: z.string().optional(),
});
export type TransitionRequest = z.infer<typeof transitionRequest>;

/** What a registry history entry records. */
export const HISTORY_KINDS = [
  'model.created',
  'model.renamed',
  'model.described',
  'model.tagSet',
  'model.tagDeleted',
  'model.protectionChanged',
  'model.deleted',
  'version.created',
  'version.described',
  'version.tagSet',
  'version.tagDeleted',
  'version.deleted',
  'alias.set',
  'alias.moved',
  'alias.deleted',
  'stage.transitioned',
  'request.created',
  'request.approved',
  'request.rejected',
  'request.cancelled',
] as const;
export const historyKind = z.enum(HISTORY_KINDS);
export type HistoryKind = z.infer<typeof historyKind>;

/** A value as it was before or after a change; null where there was none (before a creation, after a deletion). */
export const historyValue = z.record(z.string(), z.unknown()).nullable();

/** One entry of the registry's append-only audit log. */
export const historyEntry = z.object({
  entryId: z.string(),
  time: z.number(),
  actor: z.string(),
  kind: historyKind,
  /** The model's name when the change happened. */
  name: z.string(),
  version: z.number().int().optional(),
  before: historyValue,
  after: historyValue,
});
export type HistoryEntry = z.infer<typeof historyEntry>;
