import MLflow from 'mlflow';
import { RunStatus, ViewType } from 'mlflow/enum';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { startTestServer } from '../helpers/server.ts';

/** The third-party client prints every POST body; keep the test output readable. */
function quietClient(endpoint: string): MLflow {
  const spy = vi.spyOn(console, 'log').mockImplementation(() => undefined);
  onTestFinished(() => spy.mockRestore());
  return new MLflow({ endpoint });
}

describe('the independent npm package `mlflow` against the server', () => {
  it('drives experiments: create, get, update, list, delete, restore', async () => {
    const { url } = await startTestServer();
    const { Experiments } = quietClient(url);
    const { experiment_id } = await Experiments.create({ name: 'npm-exp', artifact_location: '' });
    expect(experiment_id).toMatch(/^\d+$/);
    expect(await Experiments.get({ experiment_id })).toEqual({
      experiment: {
        experiment_id,
        name: 'npm-exp',
        artifact_location: `mlflow-artifacts:/${experiment_id}`,
        lifecycle_stage: 'active',
        creation_time: expect.any(Number),
        last_update_time: expect.any(Number),
      },
    });
    expect(await Experiments.update({ experiment_id, new_name: 'npm-renamed' })).toEqual({});
    const listed = await Experiments.list({ view_type: ViewType.ALL });
    expect(listed.experiments.map((e: { name: string }) => e.name).sort()).toEqual(['Default', 'npm-renamed']);
    expect(await Experiments.delete({ experiment_id })).toEqual({});
    expect((await Experiments.get({ experiment_id })).experiment.lifecycle_stage).toBe('deleted');
    expect(await Experiments.restore({ experiment_id })).toEqual({});
    await expect(Experiments.get({ experiment_id: '999' })).rejects.toThrow(/RESOURCE_DOES_NOT_EXIST/);
  });

  it('drives runs, metrics and artifact listing end to end', async () => {
    const { url, fd } = await startTestServer();
    const { Experiments, Runs, Metrics, Artifacts } = quietClient(url);
    const { experiment_id } = await Experiments.create({ name: 'npm-runs', artifact_location: '' });
    const { run } = await Runs.create({ experiment_id, user_id: 'node', start_time: 1_000, tags: [{ key: 'mlflow.runName', value: 'from-node' }] });
    const runId: string = run.info.run_id;
    expect(run.info).toMatchObject({ run_uuid: runId, run_name: 'from-node', user_id: 'node', status: 'RUNNING', lifecycle_stage: 'active' });

    await Runs.logParameter({ run_id: runId, key: 'lr', value: '0.1' });
    await Runs.logMetric({ run_id: runId, key: 'loss', value: 0.9, timestamp: 1_001, step: 0 });
    await Runs.logBatch({
      run_id: runId,
      metrics: [
        { key: 'loss', value: 0.5, timestamp: 1_002, step: 1 },
        { key: 'loss', value: 0.2, timestamp: 1_003, step: 2 },
      ],
      params: [{ key: 'epochs', value: '3' }],
      tags: [{ key: 'tmp', value: 'x' }],
    });
    await Runs.setTag({ run_id: runId, key: 'framework', value: 'none' });
    await Runs.deleteTag({ run_id: runId, key: 'tmp' });
    const ended = await Runs.update({ run_id: runId, status: RunStatus.FINISHED, end_time: 2_000 });
    expect(ended.run_info).toMatchObject({ run_id: runId, status: RunStatus.FINISHED, end_time: 2_000 });

    const { run: got } = await Runs.get({ run_id: runId });
    expect(got.data).toEqual({
      metrics: [{ key: 'loss', value: 0.2, timestamp: 1_003, step: 2 }],
      params: [
        { key: 'epochs', value: '3' },
        { key: 'lr', value: '0.1' },
      ],
      tags: [
        { key: 'framework', value: 'none' },
        { key: 'mlflow.runName', value: 'from-node' },
      ],
    });

    const { runs } = await Runs.search({ experiment_ids: [experiment_id], filter: "params.lr = '0.1'", run_view_type: ViewType.ACTIVE_ONLY, max_results: 10 });
    expect(runs.map((r: { info: { run_id: string } }) => r.info.run_id)).toEqual([runId]);

    expect(await Metrics.getHistory({ run_id: runId, metric_key: 'loss' })).toEqual({
      metrics: [
        { key: 'loss', value: 0.9, timestamp: 1_001, step: 0 },
        { key: 'loss', value: 0.5, timestamp: 1_002, step: 1 },
        { key: 'loss', value: 0.2, timestamp: 1_003, step: 2 },
      ],
    });

    const store = (got.info.artifact_uri as string).replace('mlflow-artifacts:/', '');
    await fd.artifacts.write(`${store}/plots/loss.png`, Buffer.from('png'));
    expect(await Artifacts.list({ run_id: runId, path: '' })).toEqual({ root_uri: got.info.artifact_uri, files: [{ path: 'plots', is_dir: true }] });
    expect(await Artifacts.list({ run_id: runId, path: 'plots' })).toEqual({
      root_uri: got.info.artifact_uri,
      files: [{ path: 'plots/loss.png', is_dir: false, file_size: 3 }],
    });

    expect(await Runs.delete({ run_id: runId })).toEqual({});
    const deleted = await Runs.search({ experiment_ids: [experiment_id], run_view_type: ViewType.DELETED_ONLY });
    expect(deleted.runs).toHaveLength(1);
    expect(await Runs.restore({ run_id: runId })).toEqual({});
    await expect(Runs.logParameter({ run_id: runId, key: 'lr', value: '0.2' })).rejects.toThrow(/INVALID_PARAMETER_VALUE/);
  });
});
