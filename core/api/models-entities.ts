/**
 * Entities of models: MLflow's MLmodel summary (flavors, signature, input example, size) and the
 * model servers Flowdesk runs. Schemas (zod) and their types.
 */
import { z } from 'zod';

/** MLflow's scalar column types. */
export const COLUMN_TYPES = ['boolean', 'integer', 'long', 'float', 'double', 'string', 'binary', 'datetime'] as const;
export type ColumnType = (typeof COLUMN_TYPES)[number];

/** One column of a column-based schema. `type` may also be MLflow's array, object or map, described by `detail`. */
export const columnSpec = z.object({
  name: z.string().optional(),
  type: z.string(),
  /** The spec's JSON, for a type that is not a scalar (array, object, map). */
  detail: z.string().optional(),
  required: z.boolean(),
});
export type ColumnSpec = z.infer<typeof columnSpec>;

/** One tensor of a tensor-based schema: a numpy dtype and a shape, -1 for a variable dimension. */
export const tensorSpec = z.object({
  name: z.string().optional(),
  dtype: z.string(),
  shape: z.array(z.number().int()),
});
export type TensorSpec = z.infer<typeof tensorSpec>;

/** A schema is either columns or tensors, never both (as in MLflow). */
export const modelSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('columns'), columns: z.array(columnSpec) }),
  z.object({ kind: z.literal('tensors'), tensors: z.array(tensorSpec) }),
]);
export type ModelSchema = z.infer<typeof modelSchema>;

/** One inference parameter: name, type, default and shape (null for a scalar). */
export const paramSpec = z.object({
  name: z.string(),
  type: z.string(),
  default: z.unknown(),
  shape: z.array(z.number().int()).nullable(),
});
export type ParamSpec = z.infer<typeof paramSpec>;

export const modelSignature = z.object({
  inputs: modelSchema.optional(),
  outputs: modelSchema.optional(),
  params: z.array(paramSpec).optional(),
});
export type ModelSignature = z.infer<typeof modelSignature>;

/** One flavor of a model and its fields (nested values as JSON text). */
export const modelFlavor = z.object({ name: z.string(), fields: z.record(z.string(), z.string()) });
export type ModelFlavor = z.infer<typeof modelFlavor>;

/** How Flowdesk can serve a model: ONNX in-process, the user's Python with MLflow, or not at all. */
export const servingKind = z.enum(['onnx', 'python', 'none']);
export type ServingKind = z.infer<typeof servingKind>;

/** What the window and the command line show of a model folder. */
export const modelSummary = z.object({
  /** The URI the model was asked for, e.g. `runs:/<id>/model` or `models:/churn/3`. */
  uri: z.string(),
  /** Where its files are: a server-assigned `mlflow-artifacts:/` location. */
  artifactUri: z.string(),
  runId: z.string().optional(),
  artifactPath: z.string().optional(),
  modelUuid: z.string().optional(),
  flavors: z.array(modelFlavor),
  signature: modelSignature.optional(),
  /** The saved input example's text, cut at a bounded size. */
  inputExample: z.object({ path: z.string(), type: z.string().optional(), text: z.string(), truncated: z.boolean() }).optional(),
  /** `model_size_bytes` of the MLmodel, else the bytes of the folder. */
  sizeBytes: z.number(),
  /** `utc_time_created` in ms since the epoch. */
  createdAt: z.number().optional(),
  mlflowVersion: z.string().optional(),
  /** Lines of the model's requirements.txt, when it has one. */
  requirements: z.array(z.string()).optional(),
  serving: z.object({ kind: servingKind, reason: z.string() }),
});
export type ModelSummary = z.infer<typeof modelSummary>;

/** A model named by a `runs:/` or `models:/` URI, a run and a path in its artifacts, or a registered version. */
export const modelRef = z.union([
  z.object({ uri: z.string().min(1) }).strict(),
  z.object({ runId: z.string().min(1), path: z.string() }).strict(),
  z.object({ name: z.string().min(1), version: z.number().int().min(1) }).strict(),
]);
export type ModelRef = z.infer<typeof modelRef>;

/** A model server Flowdesk started. */
export const modelServer = z.object({
  serverId: z.string(),
  /** The model it serves, as asked for. */
  modelUri: z.string(),
  kind: servingKind.exclude(['none']),
  url: z.string(),
  host: z.string(),
  port: z.number().int(),
  startedAt: z.number(),
});
export type ModelServer = z.infer<typeof modelServer>;
