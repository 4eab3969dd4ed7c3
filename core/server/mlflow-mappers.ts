/**
 * Explicit mappers from contract entities (camelCase) to MLflow's JSON (snake_case), shared by
 * every MLflow route module. They follow MLflow's protobuf-to-JSON rules (reference §1.3, §2.1):
 * unset fields are omitted, empty repeated fields are omitted (clients read a missing list as
 * `[]`), and enums and `lifecycle_stage` are always present because a missing enum decodes to its
 * first value on the client (§9.1, §9.2).
 */
import type { DatasetInput, Experiment, FileInfo, Metric, Run, RunInfo, Tag } from '#core/api/entities.ts';

/** MLflow's `{key, value}` pair (tags and params). */
export interface MlflowKeyValue {
  key: string;
  value: string;
}

/** MLflow's Experiment message. */
export interface MlflowExperiment {
  experiment_id: string;
  name: string;
  artifact_location: string;
  lifecycle_stage: string;
  creation_time: number;
  last_update_time: number;
  tags?: MlflowKeyValue[];
}

/** MLflow's RunInfo message; `run_uuid` is the deprecated twin of `run_id` that old clients read. */
export interface MlflowRunInfo {
  run_id: string;
  run_uuid: string;
  run_name: string;
  experiment_id: string;
  user_id: string;
  status: string;
  start_time: number;
  end_time?: number;
  artifact_uri: string;
  lifecycle_stage: string;
}

/** MLflow's Metric message; `run_id` only where a response mixes several runs (bulk history). */
export interface MlflowMetric {
  key: string;
  value: number;
  timestamp: number;
  step: number;
  run_id?: string;
  model_id?: string;
  dataset_name?: string;
  dataset_digest?: string;
}

/** MLflow's DatasetInput message. */
export interface MlflowDatasetInput {
  tags?: MlflowKeyValue[];
  dataset: { name: string; digest: string; source_type: string; source: string; schema?: string; profile?: string };
}

/** MLflow's Run message. */
export interface MlflowRun {
  info: MlflowRunInfo;
  data: { metrics?: MlflowMetric[]; params?: MlflowKeyValue[]; tags?: MlflowKeyValue[] };
  inputs: { dataset_inputs?: MlflowDatasetInput[]; model_inputs?: { model_id: string }[] };
  /** Always present, as MLflow 3 sends it; MLflow 2 clients ignore the field. */
  outputs: { model_outputs?: { model_id: string; step: number }[] };
}

/** MLflow's FileInfo message. */
export interface MlflowFileInfo {
  path: string;
  is_dir: boolean;
  file_size?: number;
}

/**
 * Sets `target[name] = list` only when the list is non-empty: MLflow omits empty repeated
 * fields, and omitting them everywhere keeps our responses byte-for-byte in its shape.
 */
export function putList<T extends object, K extends keyof T>(target: T, name: K, list: T[K] & unknown[]): T {
  if (list.length > 0) target[name] = list;
  return target;
}

/** Tags or params as MLflow's `{key, value}` pairs. */
export function toMlflowKeyValues(items: readonly Tag[]): MlflowKeyValue[] {
  return items.map((t) => ({ key: t.key, value: t.value }));
}

/** An experiment, `lifecycle_stage` always present (`set_experiment` raises on anything but "active"). */
export function toMlflowExperiment(e: Experiment): MlflowExperiment {
  const out: MlflowExperiment = {
    experiment_id: e.experimentId,
    name: e.name,
    artifact_location: e.artifactLocation,
    lifecycle_stage: e.lifecycleStage,
    creation_time: e.creationTime,
    last_update_time: e.lastUpdateTime,
  };
  return putList(out, 'tags', toMlflowKeyValues(e.tags));
}

/** A run's info; `end_time` stays absent while the run has not ended (clients read 0 as "absent" too). */
export function toMlflowRunInfo(info: RunInfo): MlflowRunInfo {
  const out: MlflowRunInfo = {
    run_id: info.runId,
    run_uuid: info.runId,
    run_name: info.runName,
    experiment_id: info.experimentId,
    user_id: info.userId,
    status: info.status,
    start_time: info.startTime,
    artifact_uri: info.artifactUri,
    lifecycle_stage: info.lifecycleStage,
  };
  if (info.endTime !== undefined) out.end_time = info.endTime;
  return out;
}

/**
 * A metric point. Non-finite values stay numbers here: the server's serializer writes them as
 * MLflow's strings "NaN", "Infinity", "-Infinity". MLflow 3's optional `model_id`,
 * `dataset_name` and `dataset_digest` are copied when the entity carries them.
 */
export function toMlflowMetric(m: Metric, runId?: string): MlflowMetric {
  const out: MlflowMetric = { key: m.key, value: m.value, timestamp: m.timestamp, step: m.step };
  if (runId !== undefined) out.run_id = runId;
  const extra = m as Metric & { modelId?: string; datasetName?: string; datasetDigest?: string };
  if (extra.modelId) out.model_id = extra.modelId;
  if (extra.datasetName) out.dataset_name = extra.datasetName;
  if (extra.datasetDigest) out.dataset_digest = extra.datasetDigest;
  return out;
}

/** A dataset input of a run; `schema` and `profile` only when recorded. */
export function toMlflowDatasetInput(d: DatasetInput): MlflowDatasetInput {
  const dataset: MlflowDatasetInput['dataset'] = {
    name: d.dataset.name,
    digest: d.dataset.digest,
    source_type: d.dataset.sourceType,
    source: d.dataset.source,
  };
  if (d.dataset.schema !== undefined) dataset.schema = d.dataset.schema;
  if (d.dataset.profile !== undefined) dataset.profile = d.dataset.profile;
  return putList<MlflowDatasetInput, 'tags'>({ dataset }, 'tags', toMlflowKeyValues(d.tags));
}

/**
 * The model links MLflow 3 adds to a run (`inputs.model_inputs`, `outputs.model_outputs`). The
 * Run entity may or may not carry them yet (logged models add them), so they are read
 * structurally: this compiles and maps correctly either way.
 */
interface ModelLinks {
  inputs?: { modelInputs?: { modelId: string }[] };
  outputs?: { modelOutputs?: { modelId: string; step: number }[] };
}

/** A whole run: info, data (latest metrics, params, tags), inputs and outputs. */
export function toMlflowRun(run: Run): MlflowRun {
  const links = run as Run & ModelLinks;
  const data: MlflowRun['data'] = {};
  putList(data, 'metrics', run.data.metrics.map((m) => toMlflowMetric(m)));
  putList(data, 'params', toMlflowKeyValues(run.data.params));
  putList(data, 'tags', toMlflowKeyValues(run.data.tags));
  const inputs: MlflowRun['inputs'] = {};
  putList(inputs, 'dataset_inputs', run.inputs.datasetInputs.map(toMlflowDatasetInput));
  putList(inputs, 'model_inputs', (links.inputs?.modelInputs ?? []).map((m) => ({ model_id: m.modelId })));
  const outputs: MlflowRun['outputs'] = {};
  putList(outputs, 'model_outputs', (links.outputs?.modelOutputs ?? []).map((m) => ({ model_id: m.modelId, step: m.step })));
  return { info: toMlflowRunInfo(run.info), data, inputs, outputs };
}

/**
 * A listed artifact. `dir` is the run-relative folder that was listed: the run-scoped listing
 * answers run-relative full paths (`dir/file`), unlike the proxy's basenames (reference §9.8).
 */
export function toMlflowFileInfo(f: FileInfo, dir = ''): MlflowFileInfo {
  const out: MlflowFileInfo = { path: dir ? `${dir}/${f.path}` : f.path, is_dir: f.isDir };
  if (!f.isDir && f.fileSize !== undefined) out.file_size = f.fileSize;
  return out;
}
