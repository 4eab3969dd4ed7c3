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

export const purgeReport = z.object({
  experimentsPurged: z.number(),
  runsPurged: z.number(),
  bytesReclaimed: z.number(),
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
