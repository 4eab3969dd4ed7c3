import { describe, expect, it } from 'vitest';
import type { Run } from '#core/api/entities.ts';
import { toMlflowFileInfo, toMlflowMetric, toMlflowRun } from '#core/server/mlflow-mappers.ts';

const info: Run['info'] = {
  runId: 'a'.repeat(32),
  runName: 'r',
  experimentId: '1',
  userId: 'u',
  status: 'FINISHED',
  startTime: 1,
  endTime: 2,
  artifactUri: `mlflow-artifacts:/1/${'a'.repeat(32)}/artifacts`,
  lifecycleStage: 'active',
};

describe('MLflow entity mappers', () => {
  it('maps MLflow 3 model links of a run to inputs.model_inputs and outputs.model_outputs', () => {
    const run = {
      info,
      data: { metrics: [], params: [], tags: [] },
      inputs: { datasetInputs: [], modelInputs: [{ modelId: 'm-1' }] },
      outputs: { modelOutputs: [{ modelId: 'm-2', step: 3 }] },
    };
    expect(toMlflowRun(run as Run)).toEqual({
      info: {
        run_id: info.runId,
        run_uuid: info.runId,
        run_name: 'r',
        experiment_id: '1',
        user_id: 'u',
        status: 'FINISHED',
        start_time: 1,
        end_time: 2,
        artifact_uri: info.artifactUri,
        lifecycle_stage: 'active',
      },
      data: {},
      inputs: { model_inputs: [{ model_id: 'm-1' }] },
      outputs: { model_outputs: [{ model_id: 'm-2', step: 3 }] },
    });
  });

  it('copies MLflow 3 metric extras when the entity carries them, and the run id when asked', () => {
    const point = { key: 'k', value: 1, timestamp: 2, step: 3, modelId: 'm-1', datasetName: 'd', datasetDigest: 'x' };
    expect(toMlflowMetric(point, 'r1')).toEqual({ key: 'k', value: 1, timestamp: 2, step: 3, run_id: 'r1', model_id: 'm-1', dataset_name: 'd', dataset_digest: 'x' });
    expect(toMlflowMetric({ key: 'k', value: Number.NaN, timestamp: 2, step: 0 })).toEqual({ key: 'k', value: Number.NaN, timestamp: 2, step: 0 });
  });

  it('prefixes listed artifacts with the listed folder and omits file_size for folders', () => {
    expect(toMlflowFileInfo({ path: 'f.txt', isDir: false, fileSize: 4 }, 'a/b')).toEqual({ path: 'a/b/f.txt', is_dir: false, file_size: 4 });
    expect(toMlflowFileInfo({ path: 'sub', isDir: true }, '')).toEqual({ path: 'sub', is_dir: true });
  });
});
