import { describe, expect, it } from 'vitest';
import { mlflowGet, mlflowPost, startTestServer } from '../helpers/server.ts';

const API = '/api/2.0/mlflow';
const AJAX = '/ajax-api/2.0/mlflow';

const ERROR = (code: string) => ({ error_code: code, message: expect.any(String) });

async function createRun(url: string): Promise<string> {
  const { body } = await mlflowPost(url, `${API}/runs/create`, {});
  return body.run.info.run_id as string;
}

/** Logs `key` at every step in `steps` (value = step / 10, timestamp = 1000 + step) through log-batch. */
async function logSteps(url: string, runId: string, key: string, steps: number[]): Promise<void> {
  for (let i = 0; i < steps.length; i += 1000) {
    const metrics = steps.slice(i, i + 1000).map((step) => ({ key, value: step / 10, timestamp: 1000 + step, step }));
    const { status } = await mlflowPost(url, `${API}/runs/log-batch`, { run_id: runId, metrics });
    expect(status).toBe(200);
  }
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('MLflow metrics/get-history', () => {
  it('answers the whole history without max_results, with run_uuid alone, NaN as a string', async () => {
    const { url } = await startTestServer();
    const runId = await createRun(url);
    await mlflowPost(url, `${API}/runs/log-batch`, {
      run_id: runId,
      metrics: [
        { key: 'loss', value: 1, timestamp: 10, step: 0 },
        { key: 'loss', value: 'NaN', timestamp: 11, step: 1 },
        { key: 'loss', value: 0.5, timestamp: 12, step: 2 },
        { key: 'other', value: 9, timestamp: 12, step: 2 },
      ],
    });
    expect(await mlflowGet(url, `${API}/metrics/get-history`, { run_uuid: runId, metric_key: 'loss' })).toEqual({
      status: 200,
      body: {
        metrics: [
          { key: 'loss', value: 1, timestamp: 10, step: 0 },
          { key: 'loss', value: 'NaN', timestamp: 11, step: 1 },
          { key: 'loss', value: 0.5, timestamp: 12, step: 2 },
        ],
      },
    });
  });

  it('follows the contract pages internally past 25,000 points when max_results is absent', async () => {
    const { url } = await startTestServer();
    const runId = await createRun(url);
    await logSteps(url, runId, 'long', range(0, 25_999));
    const { body } = await mlflowGet(url, `${API}/metrics/get-history`, { run_id: runId, metric_key: 'long' });
    expect(body.metrics).toHaveLength(26_000);
    expect(body.metrics.map((m: { step: number }) => m.step)).toEqual(range(0, 25_999));
    expect(body.next_page_token).toBeUndefined();
  });

  it('pages with max_results (a numeric string) and page_token, omitting the token on the last page', async () => {
    const { url } = await startTestServer();
    const runId = await createRun(url);
    await logSteps(url, runId, 'm', range(0, 4));
    const steps: number[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const query: Record<string, string> = { run_id: runId, run_uuid: runId, metric_key: 'm', max_results: '2' };
      if (token) query.page_token = token;
      const { status, body } = await mlflowGet(url, `${AJAX}/metrics/get-history`, query);
      expect(status).toBe(200);
      steps.push(...body.metrics.map((m: { step: number }) => m.step));
      token = body.next_page_token;
      pages++;
    } while (token);
    expect(steps).toEqual([0, 1, 2, 3, 4]);
    expect(pages).toBe(3);
  });

  it('answers {} for a key never logged, 404 for an unknown run and 400 for missing fields', async () => {
    const { url } = await startTestServer();
    const runId = await createRun(url);
    expect(await mlflowGet(url, `${API}/metrics/get-history`, { run_id: runId, metric_key: 'none' })).toEqual({ status: 200, body: {} });
    expect(await mlflowGet(url, `${API}/metrics/get-history`, { run_id: 'a'.repeat(32), metric_key: 'm' })).toEqual({ status: 404, body: ERROR('RESOURCE_DOES_NOT_EXIST') });
    expect(await mlflowGet(url, `${API}/metrics/get-history`, { run_id: runId })).toEqual({ status: 400, body: ERROR('INVALID_PARAMETER_VALUE') });
    expect(await mlflowGet(url, `${API}/metrics/get-history`, { metric_key: 'm' })).toEqual({ status: 400, body: ERROR('INVALID_PARAMETER_VALUE') });
    expect(await mlflowGet(url, `${API}/metrics/get-history`, { run_id: runId, metric_key: 'm', max_results: '0' })).toEqual({ status: 400, body: ERROR('INVALID_PARAMETER_VALUE') });
  });
});

describe('MLflow metrics/get-history-bulk-interval', () => {
  it('answers every point with its run_id when there are fewer steps than max_results', async () => {
    const { url } = await startTestServer();
    const a = await createRun(url);
    const b = await createRun(url);
    await logSteps(url, a, 'loss', [0, 1, 2]);
    await logSteps(url, b, 'loss', [1, 3]);
    // run_ids as repeated query keys, as MLflow's UI sends them.
    const { status, body } = await mlflowGet(url, `${AJAX}/metrics/get-history-bulk-interval`, { run_ids: [a, b], metric_key: 'loss' });
    expect(status).toBe(200);
    expect(body).toEqual({
      metrics: [
        { key: 'loss', value: 0, timestamp: 1000, step: 0, run_id: a },
        { key: 'loss', value: 0.1, timestamp: 1001, step: 1, run_id: a },
        { key: 'loss', value: 0.2, timestamp: 1002, step: 2, run_id: a },
        { key: 'loss', value: 0.1, timestamp: 1001, step: 1, run_id: b },
        { key: 'loss', value: 0.3, timestamp: 1003, step: 3, run_id: b },
      ],
    });
  });

  it('samples evenly across the logged steps, keeping each run first and last step', async () => {
    const { url } = await startTestServer();
    const a = await createRun(url);
    const b = await createRun(url);
    await logSteps(url, a, 'm', range(0, 99));
    await logSteps(url, b, 'm', [7, 50]);
    const { body } = await mlflowGet(url, `${API}/metrics/get-history-bulk-interval`, { run_ids: [a, b], metric_key: 'm', max_results: '10' });
    const stepsOf = (runId: string) => body.metrics.filter((m: { run_id: string }) => m.run_id === runId).map((m: { step: number }) => m.step);
    expect(stepsOf(a)).toEqual([0, 7, 10, 20, 30, 40, 50, 60, 70, 80, 90, 99]);
    expect(stepsOf(b)).toEqual([7, 50]);
  });

  it('limits the sample to [start_step, end_step]', async () => {
    const { url } = await startTestServer();
    const a = await createRun(url);
    await logSteps(url, a, 'm', range(0, 99));
    const { body } = await mlflowGet(url, `${API}/metrics/get-history-bulk-interval`, { run_ids: a, metric_key: 'm', start_step: '20', end_step: '29', max_results: '5' });
    expect(body.metrics.map((m: { step: number }) => m.step)).toEqual([20, 22, 24, 26, 28, 29]);
  });

  it('refuses bad run_ids, a lone start_step, start after end and max_results outside 1..2500', async () => {
    const { url } = await startTestServer();
    const a = await createRun(url);
    const many = Array.from({ length: 101 }, (_, i) => i.toString(16).padStart(32, '0'));
    const queries: Record<string, string | string[]>[] = [
      { metric_key: 'm' },
      { run_ids: many, metric_key: 'm' },
      { run_ids: a },
      { run_ids: a, metric_key: 'm', start_step: '1' },
      { run_ids: a, metric_key: 'm', start_step: '5', end_step: '1' },
      { run_ids: a, metric_key: 'm', max_results: '0' },
      { run_ids: a, metric_key: 'm', max_results: '2501' },
    ];
    for (const query of queries) {
      expect(await mlflowGet(url, `${API}/metrics/get-history-bulk-interval`, query)).toEqual({ status: 400, body: ERROR('INVALID_PARAMETER_VALUE') });
    }
    expect(await mlflowGet(url, `${API}/metrics/get-history-bulk-interval`, { run_ids: 'b'.repeat(32), metric_key: 'm' })).toEqual({ status: 404, body: ERROR('RESOURCE_DOES_NOT_EXIST') });
  });
});

describe('MLflow ajax metrics/get-history-bulk', () => {
  it('answers the histories of several runs (sorted run ids), each point with its run_id, capped at max_results', async () => {
    const { url } = await startTestServer();
    const ids = [await createRun(url), await createRun(url)];
    const [first, second] = [...ids].sort();
    await logSteps(url, first!, 'm', [0, 1]);
    await logSteps(url, second!, 'm', [0, 1, 2]);
    const { status, body } = await mlflowGet(url, `${AJAX}/metrics/get-history-bulk`, { run_id: [second!, first!], metric_key: 'm' });
    expect(status).toBe(200);
    expect(body.metrics.map((m: { run_id: string; step: number }) => [m.run_id, m.step])).toEqual([
      [first, 0],
      [first, 1],
      [second, 0],
      [second, 1],
      [second, 2],
    ]);
    expect(body.metrics[0]).toEqual({ key: 'm', value: 0, timestamp: 1000, step: 0, run_id: first });
    const capped = await mlflowGet(url, `${AJAX}/metrics/get-history-bulk`, { run_id: [first!, second!], metric_key: 'm', max_results: '3' });
    expect(capped.body.metrics).toHaveLength(3);
  });

  it('exists only under /ajax-api and refuses a request without run_id or metric_key', async () => {
    const { url } = await startTestServer();
    const runId = await createRun(url);
    expect(await mlflowGet(url, `${API}/metrics/get-history-bulk`, { run_id: runId, metric_key: 'm' })).toEqual({ status: 404, body: ERROR('ENDPOINT_NOT_FOUND') });
    expect(await mlflowGet(url, `${AJAX}/metrics/get-history-bulk`, { metric_key: 'm' })).toEqual({ status: 400, body: ERROR('INVALID_PARAMETER_VALUE') });
    expect(await mlflowGet(url, `${AJAX}/metrics/get-history-bulk`, { run_id: runId })).toEqual({ status: 400, body: ERROR('INVALID_PARAMETER_VALUE') });
  });
});

describe('MLflow artifacts/list', () => {
  it('lists run-relative full paths with the root URI, file sizes for files only', async () => {
    const { url, fd } = await startTestServer();
    const { body } = await mlflowPost(url, `${API}/runs/create`, {});
    const { run_id: runId, artifact_uri: root } = body.run.info;
    const store = (root as string).replace('mlflow-artifacts:/', '');
    await fd.artifacts.write(`${store}/model/MLmodel`, Buffer.from('flavors: {}\n'));
    await fd.artifacts.write(`${store}/model/data/weights.bin`, Buffer.from('0123456789'));
    await fd.artifacts.write(`${store}/notes.txt`, Buffer.from('hi'));

    expect(await mlflowGet(url, `${API}/artifacts/list`, { run_id: runId })).toEqual({
      status: 200,
      body: {
        root_uri: root,
        files: [
          { path: 'model', is_dir: true },
          { path: 'notes.txt', is_dir: false, file_size: 2 },
        ],
      },
    });
    expect(await mlflowGet(url, `${AJAX}/artifacts/list`, { run_uuid: runId, path: 'model/' })).toEqual({
      status: 200,
      body: {
        root_uri: root,
        files: [
          { path: 'model/MLmodel', is_dir: false, file_size: 12 },
          { path: 'model/data', is_dir: true },
        ],
      },
    });
    expect(await mlflowGet(url, `${API}/artifacts/list`, { run_id: runId, path: 'missing' })).toEqual({ status: 200, body: { root_uri: root } });
  });

  it('refuses a traversing path with 400 and an unknown run with 404', async () => {
    const { url } = await startTestServer();
    const runId = await createRun(url);
    expect(await mlflowGet(url, `${API}/artifacts/list`, { run_id: runId, path: '../../etc' })).toEqual({ status: 400, body: ERROR('INVALID_PARAMETER_VALUE') });
    expect(await mlflowGet(url, `${API}/artifacts/list`, { run_id: 'c'.repeat(32) })).toEqual({ status: 404, body: ERROR('RESOURCE_DOES_NOT_EXIST') });
    expect(await mlflowGet(url, `${API}/artifacts/list`)).toEqual({ status: 400, body: ERROR('INVALID_PARAMETER_VALUE') });
  });
});
