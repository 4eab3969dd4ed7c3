import { describe, expect, it } from 'vitest';
import { mlflowGet, mlflowPost, startTestServer } from '../helpers/server.ts';

async function runAndModel(url: string) {
  const run = (await mlflowPost(url, '/api/2.0/mlflow/runs/create', { experiment_id: '0' })).body.run.info.run_id as string;
  const model = (await mlflowPost(url, '/api/2.0/mlflow/logged-models', { experiment_id: '0', name: 'clf', source_run_id: run })).body.model.info.model_id as string;
  return { run, model };
}

describe('MLflow 3 metrics and inputs that name a logged model', () => {
  it('records metrics carrying model_id against the model as well as the run', async () => {
    const { url } = await startTestServer();
    const { run, model } = await runAndModel(url);
    const single = await mlflowPost(url, '/api/2.0/mlflow/runs/log-metric', { run_id: run, key: 'acc', value: 0.9, timestamp: 5, step: 1, model_id: model, dataset_name: 'iris', dataset_digest: 'abc' });
    expect(single.status).toBe(200);
    const batch = await mlflowPost(url, '/api/2.0/mlflow/runs/log-batch', {
      run_id: run,
      metrics: [
        { key: 'f1', value: 0.8, timestamp: 6, step: 1, model_id: model },
        { key: 'loss', value: 0.1, timestamp: 6, step: 1 },
      ],
    });
    expect(batch.status).toBe(200);
    const { body } = await mlflowGet(url, `/api/2.0/mlflow/logged-models/${model}`);
    const metrics = (body.model.data.metrics as { key: string; value: number; run_id?: string; dataset_name?: string }[]).sort((a, b) => a.key.localeCompare(b.key));
    expect(metrics.map((m) => m.key)).toEqual(['acc', 'f1']);
    expect(metrics[0]).toMatchObject({ value: 0.9, run_id: run, dataset_name: 'iris' });
    const runMetrics = (await mlflowGet(url, '/api/2.0/mlflow/runs/get', { run_id: run })).body.run.data.metrics as { key: string }[];
    expect(runMetrics.map((m) => m.key).sort()).toEqual(['acc', 'f1', 'loss']);
  });

  it('writes nothing of a log-batch whose second named model is unknown', async () => {
    const { url } = await startTestServer();
    const { run, model } = await runAndModel(url);
    const unknown = 'm-' + '0'.repeat(32);
    const batch = await mlflowPost(url, '/api/2.0/mlflow/runs/log-batch', {
      run_id: run,
      // The known model's points come first, so they are written before the unknown one is met.
      metrics: [
        { key: 'f1', value: 0.8, timestamp: 6, step: 1, model_id: model },
        { key: 'loss', value: 0.1, timestamp: 6, step: 1 },
        { key: 'f1', value: 0.7, timestamp: 6, step: 1, model_id: unknown },
      ],
      params: [{ key: 'lr', value: '0.1' }],
    });
    expect(batch.status).toBe(404);
    const { body } = await mlflowGet(url, `/api/2.0/mlflow/logged-models/${model}`);
    expect(body.model.data?.metrics ?? []).toEqual([]);
    const data = (await mlflowGet(url, '/api/2.0/mlflow/runs/get', { run_id: run })).body.run.data as { metrics?: unknown[]; params?: unknown[] };
    expect(data.metrics ?? []).toEqual([]);
    expect(data.params ?? []).toEqual([]);
  });

  it('records logged models a run used from log-inputs', async () => {
    const { url } = await startTestServer();
    const { run, model } = await runAndModel(url);
    const response = await mlflowPost(url, '/api/2.0/mlflow/runs/log-inputs', { run_id: run, models: [{ model_id: model }] });
    expect(response.status).toBe(200);
    const got = await mlflowGet(url, '/api/2.0/mlflow/runs/get', { run_id: run });
    expect(got.body.run.inputs.model_inputs).toEqual([{ model_id: model }]);
    const unknown = await mlflowPost(url, '/api/2.0/mlflow/runs/log-inputs', { run_id: run, models: [{ model_id: 'm-' + '0'.repeat(32) }] });
    expect(unknown.status).toBe(404);
  });
});
