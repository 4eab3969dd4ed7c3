import { describe, expect, it } from 'vitest';
import { mlflowGet, mlflowPost, startTestServer } from '../helpers/server.ts';

const API = '/api/2.0/mlflow';
const AJAX = '/ajax-api/2.0/mlflow';

const RUN_ID = expect.stringMatching(/^[0-9a-f]{32}$/);

async function createRun(url: string, body: object = {}): Promise<string> {
  const { status, body: answer } = await mlflowPost(url, `${API}/runs/create`, body);
  expect(status).toBe(200);
  return answer.run.info.run_id as string;
}

async function getRun(url: string, runId: string) {
  const { status, body } = await mlflowGet(url, `${API}/runs/get`, { run_uuid: runId, run_id: runId });
  expect(status).toBe(200);
  return body.run;
}

const ERROR = (code: string) => ({ error_code: code, message: expect.any(String) });

describe('MLflow runs: the Python client call sequences', () => {
  it('replays start_run, log_param/log_metric/set_tag, log_batch and end_run (reference 8.2, 8.3, 8.12)', async () => {
    const { url } = await startTestServer();
    const { body: exp } = await mlflowPost(url, `${API}/experiments/create`, { name: 'replay' });
    const experimentId = exp.experiment_id;

    // 8.2: POST /runs/create exactly as start_run(run_name="r") sends it.
    const created = await mlflowPost(url, `${API}/runs/create`, {
      experiment_id: experimentId,
      user_id: 'alice',
      start_time: 1_700_000_000_000,
      run_name: 'r',
      tags: [
        { key: 'mlflow.user', value: 'alice' },
        { key: 'mlflow.source.name', value: 'train.py' },
        { key: 'mlflow.source.type', value: 'LOCAL' },
        { key: 'mlflow.runName', value: 'r' },
      ],
    });
    expect(created.status).toBe(200);
    const runId = created.body.run.info.run_id;
    expect(created.body).toEqual({
      run: {
        info: {
          run_id: RUN_ID,
          run_uuid: runId,
          run_name: 'r',
          experiment_id: experimentId,
          user_id: 'alice',
          status: 'RUNNING',
          start_time: 1_700_000_000_000,
          artifact_uri: `mlflow-artifacts:/${experimentId}/${runId}/artifacts`,
          lifecycle_stage: 'active',
        },
        data: {
          tags: [
            { key: 'mlflow.runName', value: 'r' },
            { key: 'mlflow.source.name', value: 'train.py' },
            { key: 'mlflow.source.type', value: 'LOCAL' },
            { key: 'mlflow.user', value: 'alice' },
          ],
        },
        inputs: {},
        outputs: {},
      },
    });

    // 8.3: single-item calls carry run_id and run_uuid.
    const both = { run_id: runId, run_uuid: runId };
    expect(await mlflowPost(url, `${API}/runs/log-parameter`, { ...both, key: 'lr', value: '0.01' })).toEqual({ status: 200, body: {} });
    expect(await mlflowPost(url, `${API}/runs/log-metric`, { ...both, key: 'loss', value: 0.5, timestamp: 1_700_000_000_100, step: 0 })).toEqual({ status: 200, body: {} });
    expect(await mlflowPost(url, `${API}/runs/set-tag`, { ...both, key: 'note', value: 'hello' })).toEqual({ status: 200, body: {} });
    expect(
      await mlflowPost(url, `${API}/runs/log-batch`, {
        run_id: runId,
        metrics: [
          { key: 'loss', value: 0.25, timestamp: 1_700_000_000_200, step: 1, run_id: runId },
          { key: 'acc', value: 0.9, timestamp: 1_700_000_000_200, step: 1, run_id: runId },
        ],
        params: [{ key: 'epochs', value: '10' }],
        tags: [{ key: 'phase', value: 'train' }],
      }),
    ).toEqual({ status: 200, body: {} });

    // 8.12: RG, then update with status FINISHED and end_time.
    const before = await getRun(url, runId);
    expect(before.info.run_name).toBe('r');
    const ended = await mlflowPost(url, `${API}/runs/update`, { ...both, status: 'FINISHED', end_time: 1_700_000_001_000 });
    expect(ended).toEqual({
      status: 200,
      body: {
        run_info: {
          ...created.body.run.info,
          status: 'FINISHED',
          end_time: 1_700_000_001_000,
        },
      },
    });

    expect(await getRun(url, runId)).toEqual({
      info: { ...created.body.run.info, status: 'FINISHED', end_time: 1_700_000_001_000 },
      data: {
        metrics: [
          { key: 'acc', value: 0.9, timestamp: 1_700_000_000_200, step: 1 },
          { key: 'loss', value: 0.25, timestamp: 1_700_000_000_200, step: 1 },
        ],
        params: [
          { key: 'epochs', value: '10' },
          { key: 'lr', value: '0.01' },
        ],
        tags: [
          { key: 'mlflow.runName', value: 'r' },
          { key: 'mlflow.source.name', value: 'train.py' },
          { key: 'mlflow.source.type', value: 'LOCAL' },
          { key: 'mlflow.user', value: 'alice' },
          { key: 'note', value: 'hello' },
          { key: 'phase', value: 'train' },
        ],
      },
      inputs: {},
      outputs: {},
    });
  });

  it('resumes a run: update back to RUNNING keeps it usable (reference 8.2 resume)', async () => {
    const { url } = await startTestServer();
    const runId = await createRun(url);
    await mlflowPost(url, `${API}/runs/update`, { run_id: runId, status: 'FAILED', end_time: 5 });
    const resumed = await mlflowPost(url, `${API}/runs/update`, { run_id: runId, run_uuid: runId, status: 'RUNNING', end_time: 5 });
    expect(resumed.body.run_info.status).toBe('RUNNING');
    expect((await mlflowPost(url, `${API}/runs/log-batch`, { run_id: runId, tags: [{ key: 'resumed', value: 'yes' }] })).status).toBe(200);
  });
});

describe('MLflow runs: create, get, update', () => {
  it('creates a run in the Default experiment with a generated name and no end_time', async () => {
    const { url } = await startTestServer();
    const { body } = await mlflowPost(url, `${API}/runs/create`, {});
    const info = body.run.info;
    expect(info).toEqual({
      run_id: RUN_ID,
      run_uuid: info.run_id,
      run_name: expect.any(String),
      experiment_id: '0',
      user_id: '',
      status: 'RUNNING',
      start_time: expect.any(Number),
      artifact_uri: `mlflow-artifacts:/0/${info.run_id}/artifacts`,
      lifecycle_stage: 'active',
    });
    expect(body.run.data.tags).toEqual([{ key: 'mlflow.runName', value: info.run_name }]);
  });

  it('accepts numeric strings for int64 fields and a numeric experiment_id', async () => {
    const { url } = await startTestServer();
    const runId = await createRun(url, { experiment_id: 0, start_time: '1700000000000' });
    const run = await getRun(url, runId);
    expect(run.info).toMatchObject({ experiment_id: '0', start_time: 1_700_000_000_000 });
    const updated = await mlflowPost(url, `${API}/runs/update`, { run_id: runId, end_time: '1700000000500', status: 3 });
    expect(updated.body.run_info).toMatchObject({ status: 'FINISHED', end_time: 1_700_000_000_500 });
  });

  it('takes status by name or by RunStatus number and refuses unknown statuses', async () => {
    const { url } = await startTestServer();
    const runId = await createRun(url);
    const expected = ['RUNNING', 'SCHEDULED', 'FINISHED', 'FAILED', 'KILLED'];
    for (const [i, name] of expected.entries()) {
      const response = await mlflowPost(url, `${API}/runs/update`, { run_id: runId, status: i % 2 === 0 ? i + 1 : String(i + 1) });
      expect(response.body.run_info.status).toBe(name);
    }
    expect(await mlflowPost(url, `${API}/runs/update`, { run_id: runId, status: 'DONE' })).toEqual({ status: 400, body: ERROR('INVALID_PARAMETER_VALUE') });
    expect(await mlflowPost(url, `${API}/runs/update`, { run_id: runId, status: 6 })).toEqual({ status: 400, body: ERROR('INVALID_PARAMETER_VALUE') });
  });

  it('renames through update and keeps the mlflow.runName tag in step', async () => {
    const { url } = await startTestServer();
    const runId = await createRun(url, { run_name: 'old' });
    const updated = await mlflowPost(url, `${API}/runs/update`, { run_uuid: runId, run_name: 'new' });
    expect(updated.body.run_info.run_name).toBe('new');
    expect((await getRun(url, runId)).data.tags).toContainEqual({ key: 'mlflow.runName', value: 'new' });
  });

  it('refuses run_name and a differing mlflow.runName tag together with 400', async () => {
    const { url } = await startTestServer();
    const response = await mlflowPost(url, `${API}/runs/create`, { run_name: 'a', tags: [{ key: 'mlflow.runName', value: 'b' }] });
    expect(response).toEqual({ status: 400, body: ERROR('INVALID_PARAMETER_VALUE') });
  });

  it('answers 404 for a run in an unknown experiment and 400 for one in a deleted experiment', async () => {
    const { url } = await startTestServer();
    expect(await mlflowPost(url, `${API}/runs/create`, { experiment_id: '404' })).toEqual({ status: 404, body: ERROR('RESOURCE_DOES_NOT_EXIST') });
    const { body } = await mlflowPost(url, `${API}/experiments/create`, { name: 'doomed' });
    await mlflowPost(url, `${API}/experiments/delete`, { experiment_id: body.experiment_id });
    expect(await mlflowPost(url, `${API}/runs/create`, { experiment_id: body.experiment_id })).toEqual({ status: 400, body: ERROR('INVALID_PARAMETER_VALUE') });
  });

  it('gets a run by run_id or by run_uuid alone, under both prefixes', async () => {
    const { url } = await startTestServer();
    const runId = await createRun(url);
    const byId = await mlflowGet(url, `${API}/runs/get`, { run_id: runId });
    const byUuid = await mlflowGet(url, `${AJAX}/runs/get`, { run_uuid: runId });
    expect(byId.status).toBe(200);
    expect(byUuid).toEqual(byId);
  });

  it('answers 400 for a missing run id and 404 for an unknown one on every run RPC', async () => {
    const { url } = await startTestServer();
    const unknown = 'f'.repeat(32);
    const posts: [string, object][] = [
      ['/runs/update', { status: 'FINISHED' }],
      ['/runs/delete', {}],
      ['/runs/restore', {}],
      ['/runs/log-metric', { key: 'm', value: 1, timestamp: 1 }],
      ['/runs/log-parameter', { key: 'p', value: 'v' }],
      ['/runs/set-tag', { key: 't', value: 'v' }],
      ['/runs/delete-tag', { key: 't' }],
      ['/runs/log-batch', {}],
      ['/runs/log-inputs', {}],
      ['/runs/log-model', { model_json: JSON.stringify({ artifact_path: 'model', flavors: {}, utc_time_created: 'now', run_id: unknown }) }],
    ];
    for (const [path, body] of posts) {
      expect({ path, ...(await mlflowPost(url, `${API}${path}`, body)) }).toEqual({ path, status: 400, body: ERROR('INVALID_PARAMETER_VALUE') });
      expect({ path, ...(await mlflowPost(url, `${API}${path}`, { ...body, run_id: unknown })) }).toEqual({ path, status: 404, body: ERROR('RESOURCE_DOES_NOT_EXIST') });
    }
    expect(await mlflowGet(url, `${API}/runs/get`)).toEqual({ status: 400, body: ERROR('INVALID_PARAMETER_VALUE') });
    expect(await mlflowGet(url, `${API}/runs/get`, { run_id: unknown })).toEqual({ status: 404, body: ERROR('RESOURCE_DOES_NOT_EXIST') });
  });
});

describe('MLflow runs: delete, restore and writes to a deleted run', () => {
  it('deletes softly, refuses writes with 400, and restores', async () => {
    const { url } = await startTestServer();
    const runId = await createRun(url);
    expect(await mlflowPost(url, `${API}/runs/delete`, { run_id: runId })).toEqual({ status: 200, body: {} });
    expect((await getRun(url, runId)).info.lifecycle_stage).toBe('deleted');
    for (const [path, body] of [
      ['/runs/log-metric', { key: 'm', value: 1, timestamp: 1 }],
      ['/runs/log-parameter', { key: 'p', value: 'v' }],
      ['/runs/set-tag', { key: 't', value: 'v' }],
      ['/runs/log-batch', { params: [{ key: 'p', value: 'v' }] }],
      ['/runs/update', { status: 'FINISHED' }],
    ] as const) {
      const response = await mlflowPost(url, `${API}${path}`, { run_id: runId, ...body });
      expect({ path, ...response }).toEqual({ path, status: 400, body: { error_code: 'INVALID_PARAMETER_VALUE', message: expect.stringContaining("'active'") } });
    }
    expect(await mlflowPost(url, `${API}/runs/restore`, { run_id: runId })).toEqual({ status: 200, body: {} });
    expect((await getRun(url, runId)).info.lifecycle_stage).toBe('active');
  });
});

describe('MLflow runs: metrics, params, tags', () => {
  it('takes NaN and ±Infinity as strings and answers them as strings', async () => {
    const { url } = await startTestServer();
    const runId = await createRun(url);
    await mlflowPost(url, `${API}/runs/log-metric`, { run_id: runId, key: 'nan', value: 'NaN', timestamp: 1 });
    await mlflowPost(url, `${API}/runs/log-batch`, {
      run_id: runId,
      metrics: [
        { key: 'pos', value: 'Infinity', timestamp: '2', step: '3' },
        { key: 'neg', value: '-Infinity', timestamp: 2 },
      ],
    });
    const response = await fetch(`${url}${API}/runs/get?run_id=${runId}`);
    const text = await response.text();
    expect(text).toContain('"value":"NaN"');
    expect(JSON.parse(text).run.data.metrics).toEqual([
      { key: 'nan', value: 'NaN', timestamp: 1, step: 0 },
      { key: 'neg', value: '-Infinity', timestamp: 2, step: 0 },
      { key: 'pos', value: 'Infinity', timestamp: 2, step: 3 },
    ]);
  });

  it('accepts MLflow 3 extra fields on log-metric and numeric-string values', async () => {
    const { url } = await startTestServer();
    const runId = await createRun(url);
    const modelId = (await mlflowPost(url, `${API}/logged-models`, { experiment_id: '0', name: 'clf' })).body.model.info.model_id;
    const point = { run_id: runId, key: 'm', value: '1.5', timestamp: 10, step: 2, dataset_name: 'train', dataset_digest: 'abc' };
    expect(await mlflowPost(url, `${API}/runs/log-metric`, { ...point, model_id: modelId })).toEqual({ status: 200, body: {} });
    expect((await getRun(url, runId)).data.metrics).toEqual([{ key: 'm', value: 1.5, timestamp: 10, step: 2 }]);
    // An unknown model is refused before anything is written.
    const unknown = await mlflowPost(url, `${API}/runs/log-metric`, { ...point, step: 3, model_id: 'm-123' });
    expect(unknown).toEqual({ status: 404, body: ERROR('RESOURCE_DOES_NOT_EXIST') });
    expect((await getRun(url, runId)).data.metrics).toEqual([{ key: 'm', value: 1.5, timestamp: 10, step: 2 }]);
  });

  it('refuses a metric without a value or timestamp, or with a boolean value', async () => {
    const { url } = await startTestServer();
    const runId = await createRun(url);
    for (const body of [{ key: 'm', timestamp: 1 }, { key: 'm', value: 1 }, { key: 'm', value: true, timestamp: 1 }, { value: 1, timestamp: 1 }, { key: 'm', value: 1, timestamp: 'soon' }]) {
      expect(await mlflowPost(url, `${API}/runs/log-metric`, { run_id: runId, ...body })).toEqual({ status: 400, body: ERROR('INVALID_PARAMETER_VALUE') });
    }
  });

  it('stringifies param values, accepts the same value again and refuses overwriting with 400', async () => {
    const { url } = await startTestServer();
    const runId = await createRun(url);
    expect((await mlflowPost(url, `${API}/runs/log-parameter`, { run_id: runId, key: 'n', value: 3 })).status).toBe(200);
    expect((await mlflowPost(url, `${API}/runs/log-parameter`, { run_id: runId, key: 'n', value: '3' })).status).toBe(200);
    const overwrite = await mlflowPost(url, `${API}/runs/log-parameter`, { run_id: runId, key: 'n', value: '4' });
    expect(overwrite).toEqual({ status: 400, body: { error_code: 'INVALID_PARAMETER_VALUE', message: expect.stringContaining('Changing param values is not allowed') } });
    expect((await getRun(url, runId)).data.params).toEqual([{ key: 'n', value: '3' }]);
  });

  it('renames the run when the mlflow.runName tag is set, and deletes tags (absent: 404)', async () => {
    const { url } = await startTestServer();
    const runId = await createRun(url, { run_name: 'one' });
    await mlflowPost(url, `${API}/runs/set-tag`, { run_id: runId, key: 'mlflow.runName', value: 'two' });
    await mlflowPost(url, `${API}/runs/set-tag`, { run_id: runId, key: 'gone', value: 'soon' });
    expect((await getRun(url, runId)).info.run_name).toBe('two');
    expect(await mlflowPost(url, `${API}/runs/delete-tag`, { run_id: runId, key: 'gone' })).toEqual({ status: 200, body: {} });
    expect((await getRun(url, runId)).data.tags).toEqual([{ key: 'mlflow.runName', value: 'two' }]);
    expect(await mlflowPost(url, `${API}/runs/delete-tag`, { run_id: runId, key: 'gone' })).toEqual({ status: 404, body: ERROR('RESOURCE_DOES_NOT_EXIST') });
  });

  it('refuses a batch with duplicate param keys or a malformed element, and writes nothing', async () => {
    const { url } = await startTestServer();
    const runId = await createRun(url);
    const dup = await mlflowPost(url, `${API}/runs/log-batch`, { run_id: runId, params: [{ key: 'a', value: '1' }, { key: 'a', value: '2' }], tags: [{ key: 't', value: 'v' }] });
    expect(dup).toEqual({ status: 400, body: ERROR('INVALID_PARAMETER_VALUE') });
    for (const body of [{ metrics: 'loss' }, { metrics: [{ key: 'm', timestamp: 1 }] }, { params: [{ value: 'x' }] }, { tags: [42] }]) {
      expect(await mlflowPost(url, `${API}/runs/log-batch`, { run_id: runId, ...body })).toEqual({ status: 400, body: ERROR('INVALID_PARAMETER_VALUE') });
    }
    const run = await getRun(url, runId);
    expect(run.data.params).toBeUndefined();
    expect(run.data.metrics).toBeUndefined();
  });

  it('accepts lowerCamelCase twins of the field names in a double-encoded body', async () => {
    const { url } = await startTestServer();
    const runId = await createRun(url);
    const body = JSON.stringify({ runId, metrics: [{ key: 'm', value: 2, timestamp: 5 }], params: [{ key: 'p', value: 'v' }] });
    expect(await mlflowPost(url, `${API}/runs/log-batch`, body)).toEqual({ status: 200, body: {} });
    expect((await getRun(url, runId)).data).toMatchObject({ metrics: [{ key: 'm', value: 2, timestamp: 5, step: 0 }], params: [{ key: 'p', value: 'v' }] });
  });
});

describe('MLflow runs: log-inputs and log-model', () => {
  it('records dataset inputs and returns them under inputs.dataset_inputs', async () => {
    const { url } = await startTestServer();
    const runId = await createRun(url);
    const datasets = [
      {
        tags: [{ key: 'mlflow.data.context', value: 'train' }],
        dataset: { name: 'iris', digest: 'abc123', source_type: 'local', source: '{"uri":"iris.csv"}', schema: '{"cols":[]}', profile: '{"rows":150}' },
      },
      { dataset: { name: 'extra', digest: 'd1', source_type: 'http', source: 'https://x' } },
    ];
    expect(await mlflowPost(url, `${API}/runs/log-inputs`, { run_id: runId, datasets })).toEqual({ status: 200, body: {} });
    expect((await getRun(url, runId)).inputs).toEqual({ dataset_inputs: datasets });
  });

  it('refuses a dataset missing a required field with 400', async () => {
    const { url } = await startTestServer();
    const runId = await createRun(url);
    for (const dataset of [undefined, { digest: 'd', source_type: 's', source: 'x' }, { name: 'n', digest: 'd', source: 'x' }]) {
      const response = await mlflowPost(url, `${API}/runs/log-inputs`, { run_id: runId, datasets: [{ dataset }] });
      expect(response).toEqual({ status: 400, body: ERROR('INVALID_PARAMETER_VALUE') });
    }
  });

  it('appends model_json to mlflow.log-model.history, whole even past 8000 characters', async () => {
    const { url } = await startTestServer();
    const runId = await createRun(url);
    const model = (i: number) => ({
      run_id: runId,
      artifact_path: `model${i}`,
      utc_time_created: '2025-01-01 00:00:00.000000',
      model_uuid: `uuid-${i}`,
      flavors: { python_function: { loader_module: 'mlflow.sklearn', padding: 'x'.repeat(3000) }, sklearn: { pickled_model: 'model.pkl' } },
    });
    for (let i = 0; i < 4; i++) {
      expect(await mlflowPost(url, `${API}/runs/log-model`, { run_id: runId, model_json: JSON.stringify(model(i)) })).toEqual({ status: 200, body: {} });
    }
    const tag = (await getRun(url, runId)).data.tags.find((t: { key: string }) => t.key === 'mlflow.log-model.history');
    expect(tag.value.length).toBeGreaterThan(8000);
    expect(JSON.parse(tag.value)).toEqual([model(0), model(1), model(2), model(3)]);
  });

  it('refuses model_json that is not JSON, not an object, or lacks a mandatory field', async () => {
    const { url } = await startTestServer();
    const runId = await createRun(url);
    const complete = { artifact_path: 'model', flavors: {}, utc_time_created: 'now', run_id: runId };
    const { run_id: _dropped, ...withoutRunId } = complete;
    for (const modelJson of ['{not json', '[1,2]', JSON.stringify(withoutRunId), undefined]) {
      const response = await mlflowPost(url, `${API}/runs/log-model`, { run_id: runId, model_json: modelJson });
      expect(response).toEqual({ status: 400, body: ERROR('INVALID_PARAMETER_VALUE') });
    }
    expect((await mlflowPost(url, `${API}/runs/log-model`, { run_id: runId, model_json: JSON.stringify({ ...complete, flavors: undefined }) })).body.message).toContain('flavors');
  });
});

describe('MLflow runs: search', () => {
  it('searches runs with filter, order_by, run_view_type, max_results and pages', async () => {
    const { url } = await startTestServer();
    const { body: exp } = await mlflowPost(url, `${API}/experiments/create`, { name: 'search' });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const runId = await createRun(url, { experiment_id: exp.experiment_id, run_name: `run-${i}`, start_time: 1000 + i });
      await mlflowPost(url, `${API}/runs/log-metric`, { run_id: runId, key: 'acc', value: i / 10, timestamp: 1 });
      ids.push(runId);
    }
    await mlflowPost(url, `${API}/runs/delete`, { run_id: ids[4] });

    const filtered = await mlflowPost(url, `${API}/runs/search`, { experiment_ids: [exp.experiment_id], filter: 'metrics.acc >= 0.1', order_by: ['metrics.acc DESC'] });
    expect(filtered.status).toBe(200);
    expect(filtered.body.runs.map((r: { info: { run_id: string } }) => r.info.run_id)).toEqual([ids[3], ids[2], ids[1]]);
    expect(filtered.body.runs[0]).toEqual(await getRun(url, ids[3]!));
    expect(filtered.body.next_page_token).toBeUndefined();

    const deleted = await mlflowPost(url, `${API}/runs/search`, { experiment_ids: [Number(exp.experiment_id)], run_view_type: 'DELETED_ONLY' });
    expect(deleted.body.runs.map((r: { info: { run_id: string } }) => r.info.run_id)).toEqual([ids[4]]);
    const all = await mlflowPost(url, `${API}/runs/search`, { experiment_ids: [exp.experiment_id], run_view_type: 3 });
    expect(all.body.runs).toHaveLength(5);

    const seen: string[] = [];
    let token: string | undefined;
    do {
      const { body } = await mlflowPost(url, `${API}/runs/search`, { experiment_ids: [exp.experiment_id], max_results: 2, order_by: ['attributes.start_time ASC'], page_token: token });
      seen.push(...body.runs.map((r: { info: { run_id: string } }) => r.info.run_id));
      token = body.next_page_token;
    } while (token);
    expect(seen).toEqual(ids.slice(0, 4));
  });

  it('answers {} when nothing matches or no experiment is given', async () => {
    const { url } = await startTestServer();
    await createRun(url);
    expect(await mlflowPost(url, `${API}/runs/search`, { experiment_ids: ['0'], filter: "tags.none = 'x'" })).toEqual({ status: 200, body: {} });
    expect(await mlflowPost(url, `${API}/runs/search`, {})).toEqual({ status: 200, body: {} });
  });

  it('refuses max_results outside 1..50000, a bad run_view_type and a bad filter with 400', async () => {
    const { url } = await startTestServer();
    for (const body of [{ max_results: 0 }, { max_results: 50_001 }, { run_view_type: 'SOME' }, { filter: 'metrics.acc >' }]) {
      expect(await mlflowPost(url, `${API}/runs/search`, { experiment_ids: ['0'], ...body })).toEqual({ status: 400, body: ERROR('INVALID_PARAMETER_VALUE') });
    }
  });
});
