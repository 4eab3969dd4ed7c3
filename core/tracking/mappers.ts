/** Explicit mappers from catalog rows (snake_case) to contract entities (camelCase). */
import type { Experiment, LifecycleStage, Metric, RunInfo, RunStatus, Tag } from '#core/api/entities.ts';
import type { Database } from '#core/catalog/schema.ts';
import type { Selectable } from 'kysely';

export type ExperimentRow = Selectable<Database['experiments']>;
export type RunRow = Selectable<Database['runs']>;

export function toExperiment(row: ExperimentRow, tags: Tag[]): Experiment {
  return {
    experimentId: String(row.experiment_id),
    name: row.name,
    artifactLocation: row.artifact_location,
    lifecycleStage: row.lifecycle_stage as LifecycleStage,
    creationTime: Number(row.creation_time),
    lastUpdateTime: Number(row.last_update_time),
    tags,
  };
}

export function toRunInfo(row: RunRow): RunInfo {
  const info: RunInfo = {
    runId: row.run_uuid,
    runName: row.name,
    experimentId: String(row.experiment_id),
    userId: row.user_id,
    status: row.status as RunStatus,
    startTime: Number(row.start_time),
    artifactUri: row.artifact_uri,
    lifecycleStage: row.lifecycle_stage as LifecycleStage,
  };
  if (row.end_time !== null) info.endTime = Number(row.end_time);
  if (row.lifecycle_stage === 'deleted' && row.deleted_time !== null) info.deletedTime = Number(row.deleted_time);
  return info;
}

/** How a metric value sits in the catalog's `value`, `is_nan` and `negative_zero` columns. */
export interface StoredValue {
  value: number;
  is_nan: number;
  negative_zero: number;
}

/**
 * The columns for a metric value. SQL has no NaN, so NaN is stored as 0 with `is_nan` set, as
 * MLflow does. SQLite stores -0.0 in a REAL column as the integer 0, so -0 is stored as 0 with
 * `negative_zero` set, on both dialects: every comparison and order, where -0 equals 0, works on
 * `value` unchanged, and only reading a value back needs the flag.
 */
export function toStoredValue(value: number): StoredValue {
  if (Number.isNaN(value)) return { value: 0, is_nan: 1, negative_zero: 0 };
  if (Object.is(value, -0)) return { value: 0, is_nan: 0, negative_zero: 1 };
  return { value, is_nan: 0, negative_zero: 0 };
}

/** The metric value that `toStoredValue` stored. */
export function fromStoredValue(row: StoredValue): number {
  return row.is_nan ? Number.NaN : row.negative_zero ? -0 : row.value;
}

export function toLatestMetric(row: StoredValue & { key: string; timestamp: number; step: number }): Metric {
  return { key: row.key, value: fromStoredValue(row), timestamp: Number(row.timestamp), step: Number(row.step) };
}
