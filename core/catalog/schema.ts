/**
 * Table types of the catalog, for Kysely. SQL names are snake_case; mappers in the services
 * turn rows into contract entities.
 */
import type { Generated } from 'kysely';

export interface MetaTable {
  key: string;
  value: string;
}

export interface ExperimentsTable {
  experiment_id: Generated<number>;
  name: string;
  artifact_location: string;
  lifecycle_stage: string;
  creation_time: number;
  last_update_time: number;
  deleted_time: number | null;
}

export interface ExperimentTagsTable {
  experiment_id: number;
  key: string;
  value: string;
}

export interface RunsTable {
  /** Internal integer id: metric rows reference it instead of the 32-character uuid. */
  id: Generated<number>;
  run_uuid: string;
  experiment_id: number;
  name: string;
  user_id: string;
  status: string;
  start_time: number;
  end_time: number | null;
  lifecycle_stage: string;
  artifact_uri: string;
  deleted_time: number | null;
}

export interface RunTagsTable {
  run_id: number;
  key: string;
  value: string;
}

export interface ParamsTable {
  run_id: number;
  key: string;
  value: string;
}

/**
 * One row per (run, metric key): the series id that metric points reference, and the latest
 * point (greatest step, then timestamp, then value), which serves the runs table directly.
 */
export interface MetricSeriesTable {
  id: Generated<number>;
  run_id: number;
  key: string;
  value: number;
  is_nan: number;
  /** 1 when the value is -0 (stored as 0): see `toStoredValue`. */
  negative_zero: Generated<number>;
  timestamp: number;
  step: number;
  point_count: number;
  nan_count: number;
  min_step: number;
  max_step: number;
}

/**
 * Full metric history. NaN is stored as value 0 with is_nan 1 (SQL has no NaN), -0 as value 0
 * with negative_zero 1 (SQLite keeps no sign on a zero): see `toStoredValue`.
 */
export interface MetricsTable {
  series_id: number;
  step: number;
  timestamp: number;
  value: number;
  is_nan: number;
  negative_zero: Generated<number>;
}

/**
 * Min/max summaries of a series over fixed step buckets at a few coarser resolutions, kept up to
 * date as points arrive, so a chart of a long series reads hundreds of rows instead of millions.
 */
export interface MetricBucketsTable {
  series_id: number;
  level: number;
  bucket: number;
  count: number;
  min: number;
  max: number;
  first_step: number;
  first_timestamp: number;
  first_value: number;
  last_step: number;
  last_timestamp: number;
  last_value: number;
  /** Which of min (1), max (2), first_value (4) and last_value (8) are -0, stored as 0. */
  negative_zeros: Generated<number>;
}

export interface DatasetsTable {
  id: Generated<number>;
  experiment_id: number;
  name: string;
  digest: string;
  source_type: string;
  source: string;
  schema: string | null;
  profile: string | null;
}

export interface RunInputsTable {
  run_id: number;
  dataset_id: number;
  /** The input's tags (e.g. mlflow.data.context) as a JSON array of {key, value}. */
  tags_json: string;
}

export interface Database {
  flowdesk_meta: MetaTable;
  experiments: ExperimentsTable;
  experiment_tags: ExperimentTagsTable;
  runs: RunsTable;
  run_tags: RunTagsTable;
  params: ParamsTable;
  metric_series: MetricSeriesTable;
  metrics: MetricsTable;
  metric_buckets: MetricBucketsTable;
  datasets: DatasetsTable;
  run_inputs: RunInputsTable;
  logged_models: LoggedModelsTable;
  logged_model_params: LoggedModelParamsTable;
  logged_model_tags: LoggedModelTagsTable;
  logged_model_metrics: LoggedModelMetricsTable;
  run_model_outputs: RunModelOutputsTable;
  run_model_inputs: RunModelInputsTable;
  registered_models: RegisteredModelsTable;
  registered_model_tags: RegisteredModelTagsTable;
  registered_model_aliases: RegisteredModelAliasesTable;
  registry_protections: RegistryProtectionsTable;
  model_versions: ModelVersionsTable;
  model_version_tags: ModelVersionTagsTable;
  registry_requests: RegistryRequestsTable;
  registry_history: RegistryHistoryTable;
  users: UsersTable;
  user_tokens: UserTokensTable;
  traces: TracesTable;
  trace_tags: TraceKeyValuesTable;
  trace_metadata: TraceKeyValuesTable;
  trace_runs: TraceRunsTable;
  trace_spans: TraceSpansTable;
  trace_assessments: TraceAssessmentsTable;
  aggregate_epochs: AggregateEpochsTable;
  aggregate_cache: AggregateCacheTable;
}

/** A person of a team server. `approver` implies `writer`, which implies `reader`. */
export interface UsersTable {
  id: Generated<number>;
  name: string;
  role: string;
  created_time: number;
  revoked_time: number | null;
}

/** A user's token, kept only as the SHA-256 hex of the token itself. */
export interface UserTokensTable {
  id: string;
  user_id: number;
  token_hash: string;
  created_time: number;
}

/** MLflow 3 logged models. Deleting one is soft (`lifecycle_stage`); rows go with their experiment. */
export interface LoggedModelsTable {
  /** `m-` and 32 hex characters, as MLflow assigns. */
  model_id: string;
  experiment_id: number;
  name: string;
  /** MLflow's enum name, e.g. LOGGED_MODEL_READY. */
  status: string;
  model_type: string | null;
  source_run_id: string | null;
  artifact_uri: string;
  creation_time: number;
  last_updated_time: number;
  lifecycle_stage: string;
  deleted_time: number | null;
}

export interface LoggedModelParamsTable {
  model_id: string;
  key: string;
  value: string;
}

export interface LoggedModelTagsTable {
  model_id: string;
  key: string;
  value: string;
}

/**
 * Metric points recorded against a logged model. `run_id`, `dataset_name` and `dataset_digest`
 * are '' when unset rather than NULL, so the primary key can make an identical point a no-op.
 */
export interface LoggedModelMetricsTable {
  model_id: string;
  key: string;
  value: number;
  is_nan: number;
  /** 1 when the value is -0 (stored as 0): see `toStoredValue`. */
  negative_zero: Generated<number>;
  timestamp: number;
  step: number;
  run_id: string;
  dataset_name: string;
  dataset_digest: string;
}

/** Logged models a run produced (`outputs.model_outputs`). */
export interface RunModelOutputsTable {
  run_id: number;
  model_id: string;
  step: number;
}

/** Logged models a run consumed (`inputs.model_inputs`). */
export interface RunModelInputsTable {
  run_id: number;
  model_id: string;
}

/** Registered models of the model registry. Deleting one removes its rows; its history stays. */
export interface RegisteredModelsTable {
  id: Generated<number>;
  name: string;
  description: string | null;
  user_id: string | null;
  creation_time: number;
  last_updated_time: number;
  /** The highest version number ever given out: numbers of deleted versions are never reused. */
  last_version: number;
}

export interface RegisteredModelTagsTable {
  registered_model_id: number;
  key: string;
  value: string;
}

/** An alias names one version of its model; deleting the version deletes the alias. */
export interface RegisteredModelAliasesTable {
  registered_model_id: number;
  alias: string;
  version: number;
}

/** A protected alias (`kind` 'alias') or stage ('stage') of a model: moves onto it need an approval. */
export interface RegistryProtectionsTable {
  registered_model_id: number;
  kind: string;
  target: string;
}

export interface ModelVersionsTable {
  id: Generated<number>;
  registered_model_id: number;
  /** The model's current name, kept in step by rename, so version search needs no join. */
  model_name: string;
  version: number;
  /** As the client sent it, echoed back verbatim. */
  source: string;
  /** The server-assigned `mlflow-artifacts:/` location the source resolved to. */
  storage_location: string;
  run_id: string | null;
  run_link: string | null;
  /** The MLflow 3 logged model the version was made from. */
  logged_model_id: string | null;
  description: string | null;
  /** None, Staging, Production or Archived. */
  current_stage: string;
  status: string;
  user_id: string | null;
  creation_time: number;
  last_updated_time: number;
}

export interface ModelVersionTagsTable {
  version_id: number;
  key: string;
  value: string;
}

/** A request to move a version onto a protected alias or stage, and how it was decided. */
export interface RegistryRequestsTable {
  id: Generated<number>;
  version_id: number;
  /** 'alias' or 'stage'. */
  kind: string;
  /** The alias, or the canonical stage name. */
  target: string;
  /** For a stage move: 1 when approving also archives the other versions in that stage. */
  archive_existing_versions: number;
  /** pending, approved, rejected or cancelled. */
  status: string;
  requested_by: string;
  requested_time: number;
  comment: string | null;
  decided_by: string | null;
  decided_time: number | null;
  decision_comment: string | null;
}

/** The append-only audit log of the registry; triggers refuse UPDATE and DELETE. */
export interface RegistryHistoryTable {
  id: Generated<number>;
  time: number;
  actor: string;
  kind: string;
  /** Not a foreign key: the history outlives the model. */
  registered_model_id: number;
  /** The model's name when the change happened. */
  model_name: string;
  version: number | null;
  before_json: string | null;
  after_json: string | null;
}

/** MLflow 3 traces: one row per trace, `trace_id` as MLflow issues it (`tr-` + 32 hex). */
export interface TracesTable {
  id: Generated<number>;
  trace_id: string;
  experiment_id: number;
  client_request_id: string | null;
  /** Milliseconds since the epoch. */
  request_time: number;
  /** Milliseconds; NULL while unknown (spans still arriving without an end). */
  execution_duration: number | null;
  /** OK, ERROR, IN_PROGRESS or STATE_UNSPECIFIED. */
  state: string;
  request_preview: string | null;
  response_preview: string | null;
  /** The run the trace was made in (metadata mlflow.sourceRun): it goes to the trash with it. */
  source_run: string | null;
  /** The logged model the trace belongs to (metadata mlflow.modelId). */
  model_id: string | null;
  input_tokens: number | null;
  output_tokens: number | null;
  total_tokens: number | null;
  span_count: number;
}

/** A trace's tags or its metadata. */
export interface TraceKeyValuesTable {
  trace_id: number;
  key: string;
  value: string;
}

/** Runs a trace was linked to (MLflow's LinkTracesToRun). */
export interface TraceRunsTable {
  trace_id: number;
  run_uuid: string;
}

/** The spans of a trace; ids are OpenTelemetry's, in hex. Times in ns as decimal text. */
export interface TraceSpansTable {
  trace_id: number;
  span_id: string;
  parent_span_id: string | null;
  name: string;
  span_type: string | null;
  start_time_ns: string;
  end_time_ns: string | null;
  /** UNSET, OK or ERROR. */
  status_code: string;
  status_message: string;
  /** Attribute name to MLflow's JSON-encoded value; oversized values cut (see attributes_path). */
  attributes_json: string;
  events_json: string;
  /** Store path of the full attributes when they were too large to keep in the row. */
  attributes_path: string | null;
}

/** Feedback and expectations on a trace (MLflow 3 assessments). */
export interface TraceAssessmentsTable {
  assessment_id: string;
  trace_id: number;
  name: string;
  /** feedback or expectation. */
  kind: string;
  span_id: string | null;
  source_type: string;
  source_id: string;
  create_time: number;
  last_update_time: number;
  /** The feedback's or expectation's value message as JSON (`{value}` or `{serialized_value}`). */
  value_json: string | null;
  error_json: string | null;
  rationale: string | null;
  metadata_json: string | null;
  overrides: string | null;
  valid: number;
}

/** Per experiment, the epoch that triggers advance when something the runs-table aggregates read changes. */
export interface AggregateEpochsTable {
  experiment_id: number;
  epoch: number;
  /** 1 while an answer may be cached at this epoch; the next change advances the epoch and sets 0. */
  valid: number;
}

/** Answers of whole-experiment aggregates, each with the epochs of its experiments when it was read. */
export interface AggregateCacheTable {
  request: string;
  epochs: string;
  answer: string;
  filled_at: number;
}
