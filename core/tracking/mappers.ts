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
  return info;
}

export function toLatestMetric(row: { key: string; value: number; is_nan: number; timestamp: number; step: number }): Metric {
  return { key: row.key, value: row.is_nan ? Number.NaN : row.value, timestamp: Number(row.timestamp), step: Number(row.step) };
}
