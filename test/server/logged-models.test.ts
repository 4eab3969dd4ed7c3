import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { mlflowCall as call, mlflowGet, mlflowPost, startTestServer } from '../helpers/server.ts';

const API = '/api/2.0/mlflow';
const PROXY = '/api/2.0/mlflow-artifacts/artifacts';
const MODEL_ID = /^m-[0-9a-f]{32}$/;


/** A PUT of raw file bytes to the artifact proxy, as the client uploads each file. */
async function put(url: string, path: string, body: Buffer | string): Promise<number> {
  return (await fetch(`${url}${PROXY}/${path}`, { method: 'PUT', headers: { 'content-type': 'application/octet-stream' }, body })).status;
}

type Model = { info: Record<string, unknown> & { model_id: string; artifact_uri: string }; data: Record<string, unknown> };

async function createModel(url: string, body: Record<string, unknown>): Promise<Model> {
  const { status, body: answer } = await mlflowPost(url, `${API}/logged-models`, body);
  expect(status).toBe(200);
  return answer.model as Model;
}

describe('logged model routes', () => {
  it('POST /logged-models creates a pending model and answers it in MLflow JSON', async () => {
    const { url } = await startTestServer();
    const model = await createModel(url, {
      experiment_id: '0',
      name: 'model',
      model_type: 'sklearn',
      params: [{ key: 'alpha', value: '0.5' }],
      tags: [{ key: 'mlflow.source.type', value: 'LOCAL' }],
    });
    expect(model.info.model_id).toMatch(MODEL_ID);
    expect(model).toEqual({
      info: {
        model_id: model.info.model_id,
        experiment_id: '0',
        name: 'model',
        creation_timestamp_ms: expect.any(Number),
        last_updated_timestamp_ms: model.info.creation_timestamp_ms,
        artifact_uri: `mlflow-artifacts:/0/models/${model.info.model_id}/artifacts`,
        status: 'LOGGED_MODEL_PENDING',
        model_type: 'sklearn',
        tags: [{ key: 'mlflow.source.type', value: 'LOCAL' }],
      },
      data: { params: [{ key: 'alpha', value: '0.5' }] },
    });
  });

  it('POST /logged-models omits empty lists and unset fields, and picks a name when none is sent', async () => {
    const { url } = await startTestServer();
    const model = await createModel(url, { experiment_id: 0, name: '' });
    expect(Object.keys(model.info).sort()).toEqual(['artifact_uri', 'creation_timestamp_ms', 'experiment_id', 'last_updated_timestamp_ms', 'model_id', 'name', 'status']);
    expect(model.info.name).toMatch(/^[a-z]+-[a-z]+-\d+$/);
    expect(model.data).toEqual({});
  });

  it('POST /logged-models refuses a missing or unknown experiment and a bad name', async () => {
    const { url } = await startTestServer();
    expect(await mlflowPost(url, `${API}/logged-models`, { name: 'm' })).toEqual({
      status: 400,
      body: { error_code: 'INVALID_PARAMETER_VALUE', message: "Missing value for required parameter 'experiment_id'." },
    });
    expect(await mlflowPost(url, `${API}/logged-models`, { experiment_id: '77' })).toEqual({
      status: 404,
      body: { error_code: 'RESOURCE_DOES_NOT_EXIST', message: "No experiment with id '77'" },
    });
    const bad = await mlflowPost(url, `${API}/logged-models`, { experiment_id: '0', name: 'a/b' });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ error_code: 'INVALID_PARAMETER_VALUE' });
  });

  it('GET /logged-models/{id} answers the model, and 404 JSON for an unknown id', async () => {
    const { url } = await startTestServer();
    const model = await createModel(url, { experiment_id: '0', name: 'm' });
    expect(await mlflowGet(url, `${API}/logged-models/${model.info.model_id}`)).toEqual({ status: 200, body: { model } });
    expect(await mlflowGet(url, `${API}/logged-models/m-${'0'.repeat(32)}`)).toEqual({
      status: 404,
      body: { error_code: 'RESOURCE_DOES_NOT_EXIST', message: `Logged model with ID 'm-${'0'.repeat(32)}' not found.` },
    });
  });

  it('PATCH /logged-models/{id} finalizes by enum name or number and answers the updated model', async () => {
    const { url } = await startTestServer();
    const model = await createModel(url, { experiment_id: '0', name: 'm' });
    const path = `${API}/logged-models/${model.info.model_id}`;
    const ready = await call(url, 'PATCH', path, { model_id: model.info.model_id, status: 'LOGGED_MODEL_READY' });
    expect(ready.status).toBe(200);
    expect((ready.body.model as Model).info.status).toBe('LOGGED_MODEL_READY');
    expect(((await mlflowGet(url, path)).body.model as Model).info.status).toBe('LOGGED_MODEL_READY');
    const failed = await call(url, 'PATCH', path, { model_id: model.info.model_id, status: 3 });
    expect((failed.body.model as Model).info.status).toBe('LOGGED_MODEL_UPLOAD_FAILED');
  });

  it('PATCH /logged-models/{id} refuses a missing, unknown or unspecified status', async () => {
    const { url } = await startTestServer();
    const model = await createModel(url, { experiment_id: '0', name: 'm' });
    const path = `${API}/logged-models/${model.info.model_id}`;
    expect(await call(url, 'PATCH', path, { model_id: model.info.model_id })).toEqual({
      status: 400,
      body: { error_code: 'INVALID_PARAMETER_VALUE', message: "Missing value for required parameter 'status'." },
    });
    for (const status of ['DONE', 0, 'LOGGED_MODEL_STATUS_UNSPECIFIED', true]) {
      const answer = await call(url, 'PATCH', path, { status });
      expect(answer.status).toBe(400);
      expect(answer.body).toMatchObject({ error_code: 'INVALID_PARAMETER_VALUE' });
    }
  });

  it('DELETE /logged-models/{id} answers {} and the model is gone', async () => {
    const { url } = await startTestServer();
    const model = await createModel(url, { experiment_id: '0', name: 'm' });
    const path = `${API}/logged-models/${model.info.model_id}`;
    expect(await call(url, 'DELETE', path, { model_id: model.info.model_id })).toEqual({ status: 200, body: {} });
    expect((await mlflowGet(url, path)).status).toBe(404);
    expect((await call(url, 'DELETE', path)).status).toBe(404);
  });

  it('PATCH /tags upserts and DELETE /tags/{key} removes a key, slashes included', async () => {
    const { url } = await startTestServer();
    const model = await createModel(url, { experiment_id: '0', name: 'm' });
    const path = `${API}/logged-models/${model.info.model_id}`;
    const tags = [
      { key: 'team', value: 'vision' },
      { key: 'a/b/c', value: 'deep' },
    ];
    expect(await call(url, 'PATCH', `${path}/tags`, { tags })).toEqual({ status: 200, body: {} });
    expect(((await mlflowGet(url, path)).body.model as Model).info.tags).toEqual([tags[1], tags[0]]);
    // The client puts the raw key into the path: `a/b/c` arrives as three segments.
    expect(await call(url, 'DELETE', `${path}/tags/a/b/c`)).toEqual({ status: 200, body: {} });
    expect(await call(url, 'DELETE', `${path}/tags/team%20lead`)).toEqual({
      status: 404,
      body: { error_code: 'RESOURCE_DOES_NOT_EXIST', message: `No tag with key 'team lead' on logged model ${model.info.model_id}` },
    });
    expect(((await mlflowGet(url, path)).body.model as Model).info.tags).toEqual([tags[0]]);
  });

  it('POST /params logs params, and refuses to change one', async () => {
    const { url } = await startTestServer();
    const model = await createModel(url, { experiment_id: '0', name: 'm' });
    const path = `${API}/logged-models/${model.info.model_id}`;
    expect(await mlflowPost(url, `${path}/params`, { model_id: model.info.model_id, params: [{ key: 'k', value: 'v' }] })).toEqual({ status: 200, body: {} });
    expect(((await mlflowGet(url, path)).body.model as Model).data.params).toEqual([{ key: 'k', value: 'v' }]);
    const changed = await mlflowPost(url, `${path}/params`, { params: [{ key: 'k', value: 'w' }] });
    expect(changed.status).toBe(400);
    expect(changed.body).toMatchObject({ error_code: 'INVALID_PARAMETER_VALUE' });
  });

  it('POST /logged-models/search filters, orders and pages, and omits the token on the last page', async () => {
    const { url } = await startTestServer();
    const a = await createModel(url, { experiment_id: '0', name: 'a' });
    const b = await createModel(url, { experiment_id: '0', name: 'b' });
    const byName = await mlflowPost(url, `${API}/logged-models/search`, { experiment_ids: ['0'], filter: "name = 'a'" });
    expect(byName).toEqual({ status: 200, body: { models: [a] } });
    const first = await mlflowPost(url, `${API}/logged-models/search`, {
      experiment_ids: ['0'],
      order_by: [{ field_name: 'name', ascending: false }],
      max_results: 1,
    });
    expect((first.body.models as Model[]).map((m) => m.info.name)).toEqual(['b']);
    expect(first.body.next_page_token).toBeTypeOf('string');
    const second = await mlflowPost(url, `${API}/logged-models/search`, {
      experiment_ids: ['0'],
      order_by: [{ field_name: 'name', ascending: false }],
      max_results: 1,
      page_token: first.body.next_page_token,
    });
    expect(second.body).toEqual({ models: [a] });
    expect(await mlflowPost(url, `${API}/logged-models/search`, { experiment_ids: ['0'], filter: "name = 'zzz'" })).toEqual({ status: 200, body: {} });
    expect(b.info.model_id).not.toBe(a.info.model_id);
  });

  it('POST /logged-models/search refuses a missing experiment list, a bad filter and datasets', async () => {
    const { url } = await startTestServer();
    expect(await mlflowPost(url, `${API}/logged-models/search`, {})).toEqual({
      status: 400,
      body: { error_code: 'INVALID_PARAMETER_VALUE', message: "Missing value for required parameter 'experiment_ids'." },
    });
    const bad = await mlflowPost(url, `${API}/logged-models/search`, { experiment_ids: ['0'], filter: 'name =' });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ error_code: 'INVALID_PARAMETER_VALUE', message: expect.stringMatching(/^Invalid filter at position/) });
    const datasets = await mlflowPost(url, `${API}/logged-models/search`, { experiment_ids: ['0'], datasets: [{ dataset_name: 'd' }] });
    expect(datasets.status).toBe(501);
    expect(datasets.body).toMatchObject({ error_code: 'NOT_IMPLEMENTED' });
  });

  it("GET /artifacts/directories lists the model's files relative to its root", async () => {
    const { url } = await startTestServer();
    const model = await createModel(url, { experiment_id: '0', name: 'm' });
    const root = `0/models/${model.info.model_id}/artifacts`;
    await put(url, `${root}/MLmodel`, 'abc');
    await put(url, `${root}/code/util.py`, 'x = 1\n');
    const path = `${API}/logged-models/${model.info.model_id}/artifacts/directories`;
    expect(await mlflowGet(url, path)).toEqual({
      status: 200,
      body: {
        root_uri: model.info.artifact_uri,
        files: [
          { path: 'MLmodel', is_dir: false, file_size: 3 },
          { path: 'code', is_dir: true },
        ],
      },
    });
    expect((await mlflowGet(url, path, { artifact_directory_path: 'code' })).body).toEqual({
      root_uri: model.info.artifact_uri,
      files: [{ path: 'code/util.py', is_dir: false, file_size: 6 }],
    });
    expect((await mlflowGet(url, path, { artifact_directory_path: 'nothing' })).body).toEqual({ root_uri: model.info.artifact_uri });
  });

  it("GET /ajax-api/.../artifacts/files serves one of the model's files as a download", async () => {
    const { url } = await startTestServer();
    const model = await createModel(url, { experiment_id: '0', name: 'm' });
    await put(url, `0/models/${model.info.model_id}/artifacts/conda.yaml`, 'name: env\n');
    const response = await fetch(`${url}/ajax-api/2.0/mlflow/logged-models/${model.info.model_id}/artifacts/files?artifact_file_path=conda.yaml`);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('name: env\n');
    expect(Object.fromEntries(response.headers)).toMatchObject({
      'content-type': 'text/yaml; charset=utf-8',
      'content-disposition': 'attachment; filename=conda.yaml',
      'x-content-type-options': 'nosniff',
      'content-security-policy': "default-src 'none'; sandbox",
    });
    const missing = await fetch(`${url}/ajax-api/2.0/mlflow/logged-models/${model.info.model_id}/artifacts/files?artifact_file_path=nope.txt`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error_code: 'RESOURCE_DOES_NOT_EXIST' });
  });

  it('POST /runs/outputs links a model to a run and refuses missing models', async () => {
    const { url, api } = await startTestServer();
    const { run } = await api.call('runs.create', {});
    const runId = run.info.runId;
    const model = await createModel(url, { experiment_id: '0', name: 'm', source_run_id: runId });
    expect(await mlflowPost(url, `${API}/runs/outputs`, { run_id: runId, models: [{ model_id: model.info.model_id, step: '3' }] })).toEqual({
      status: 200,
      body: {},
    });
    expect((await api.call('runs.get', { runId })).run.outputs).toEqual({ modelOutputs: [{ modelId: model.info.model_id, step: 3 }] });
    expect(await mlflowPost(url, `${API}/runs/outputs`, { run_id: runId })).toEqual({
      status: 400,
      body: { error_code: 'INVALID_PARAMETER_VALUE', message: "Missing value for required parameter 'models'." },
    });
    const unknown = await mlflowPost(url, `${API}/runs/outputs`, { run_id: runId, models: [{ model_id: 'm-x' }] });
    expect(unknown.status).toBe(404);
  });

  it('serves the routes under /ajax-api too', async () => {
    const { url } = await startTestServer();
    const created = await mlflowPost(url, '/ajax-api/2.0/mlflow/logged-models', { experiment_id: '0', name: 'm' });
    expect(created.status).toBe(200);
    const id = (created.body.model as Model).info.model_id;
    expect((await mlflowGet(url, `/ajax-api/2.0/mlflow/logged-models/${id}`)).status).toBe(200);
  });
});

describe('MLflow client sequences with logged models', () => {
  it('8.6: a 3.x log_model(name=...) with an active run completes and leaves a READY model linked to the run', async () => {
    const { url } = await startTestServer();
    const experimentId = ((await mlflowPost(url, `${API}/experiments/create`, { name: 'three' })).body as { experiment_id: string }).experiment_id;
    const created = await mlflowPost(url, `${API}/runs/create`, { experiment_id: experimentId, start_time: 1000, tags: [{ key: 'mlflow.user', value: 'ada' }] });
    const runId = (created.body.run as { info: { run_id: string } }).info.run_id;
    await mlflowPost(url, `${API}/runs/log-batch`, {
      run_id: runId,
      params: [{ key: 'C', value: '1.0' }],
      metrics: [
        { key: 'acc', value: 0.9, timestamp: 1100, step: 0 },
        { key: 'loss', value: 0.3, timestamp: 1100, step: 0 },
      ],
    });

    // 1. RG: the run's params are copied onto the model.
    const rg = await mlflowGet(url, `${API}/runs/get`, { run_uuid: runId, run_id: runId });
    const params = (rg.body.run as { data: { params: { key: string; value: string }[] } }).data.params;
    // 2. Create the logged model.
    const model = await createModel(url, {
      experiment_id: experimentId,
      name: 'model',
      source_run_id: runId,
      params,
      tags: [
        { key: 'mlflow.user', value: 'ada' },
        { key: 'mlflow.source.name', value: 'train.py' },
        { key: 'mlflow.source.type', value: 'LOCAL' },
        { key: 'mlflow.source.git.commit', value: 'abc123' },
      ],
    });
    const modelId = model.info.model_id;
    expect(model.info).toMatchObject({ status: 'LOGGED_MODEL_PENDING', source_run_id: runId, experiment_id: experimentId });
    // 3. Link it as the run's output, then re-log the run's metrics at that step with the model id.
    expect(await mlflowPost(url, `${API}/runs/outputs`, { run_id: runId, models: [{ model_id: modelId, step: 0 }] })).toEqual({ status: 200, body: {} });
    const rg2 = await mlflowGet(url, `${API}/runs/get`, { run_uuid: runId, run_id: runId });
    expect(rg2.status).toBe(200);
    const metricKeys = (rg2.body.run as { data: { metrics: { key: string }[] } }).data.metrics.map((m) => m.key);
    const relog = [];
    for (const key of metricKeys) {
      const history = await mlflowGet(url, `${API}/metrics/get-history`, { run_id: runId, run_uuid: runId, metric_key: key, max_results: '25000' });
      expect(history.status).toBe(200);
      for (const m of history.body.metrics as { key: string; value: number; timestamp: number; step: number }[]) relog.push({ ...m, model_id: modelId });
    }
    expect(relog).toHaveLength(2);
    expect((await mlflowPost(url, `${API}/runs/log-batch`, { run_id: runId, metrics: relog })).status).toBe(200);
    // 4-5. Read the artifact location, then PUT each file under it.
    const got = await mlflowGet(url, `${API}/logged-models/${modelId}`);
    const artifactUri = (got.body.model as Model).info.artifact_uri;
    expect(artifactUri).toBe(`mlflow-artifacts:/${experimentId}/models/${modelId}/artifacts`);
    const files: Record<string, Buffer> = {
      MLmodel: Buffer.from(`artifact_path: ${artifactUri}\nmodel_id: ${modelId}\nflavors: {}\n`),
      'model.pkl': randomBytes(50_000),
      'conda.yaml': Buffer.from('name: env\n'),
      'python_env.yaml': Buffer.from('python: 3.11\n'),
      'requirements.txt': Buffer.from('scikit-learn\n'),
    };
    const base = artifactUri.slice('mlflow-artifacts:/'.length);
    for (const [name, body] of Object.entries(files)) expect(await put(url, `${base}/${name}`, body)).toBe(200);
    // 6. Finalize; the client reads the updated model from the answer.
    const done = await call(url, 'PATCH', `${API}/logged-models/${modelId}`, { model_id: modelId, status: 'LOGGED_MODEL_READY' });
    expect(done.status).toBe(200);
    expect((done.body.model as Model).info.status).toBe('LOGGED_MODEL_READY');
    expect((done.body.model as Model).data.params).toEqual([{ key: 'C', value: '1.0' }]);

    // The run now names its output with the step (reference §9.20).
    const after = await mlflowGet(url, `${API}/runs/get`, { run_id: runId });
    expect((after.body.run as { outputs?: unknown }).outputs).toEqual({ model_outputs: [{ model_id: modelId, step: 0 }] });
    // And the files come back byte for byte through the model's listing.
    const listing = await mlflowGet(url, `${API}/logged-models/${modelId}/artifacts/directories`);
    expect((listing.body.files as { path: string }[]).map((f) => f.path)).toEqual(Object.keys(files).sort());
    for (const [name, body] of Object.entries(files)) {
      const response = await fetch(`${url}${PROXY}/${base}/${name}`);
      const sha = createHash('sha256').update(Buffer.from(await response.arrayBuffer())).digest('hex');
      expect(sha).toBe(createHash('sha256').update(body).digest('hex'));
    }
  });

  it('8.7 (3.x): register from runs:/<run>/model finds the model by name and source run', async () => {
    const { url, api } = await startTestServer();
    const { run } = await api.call('runs.create', {});
    const runId = run.info.runId;
    const model = await createModel(url, { experiment_id: '0', name: 'model', source_run_id: runId });
    await createModel(url, { experiment_id: '0', name: 'model' });
    await mlflowPost(url, `${API}/runs/outputs`, { run_id: runId, models: [{ model_id: model.info.model_id, step: 0 }] });
    // No MLmodel under the run's own artifacts: the listing is empty...
    const listed = await fetch(`${url}${PROXY}?path=${encodeURIComponent(`0/${runId}/artifacts/model`)}`);
    expect(await listed.json()).toEqual({ files: [] });
    // ...so the client searches models named like the path and keeps those of the run.
    const found = await mlflowPost(url, `${API}/logged-models/search`, { experiment_ids: ['0'], filter: "name = 'model'" });
    const ofRun = (found.body.models as Model[]).filter((m) => m.info.source_run_id === runId);
    expect(ofRun.map((m) => m.info.model_id)).toEqual([model.info.model_id]);
  });

  it('8.5: a 2.x log_model uploads under the run and records the model on the run', async () => {
    const { url } = await startTestServer();
    const created = await mlflowPost(url, `${API}/runs/create`, { experiment_id: '0', start_time: 1 });
    const info = (created.body.run as { info: { run_id: string; artifact_uri: string } }).info;
    const base = info.artifact_uri.slice('mlflow-artifacts:/'.length);
    const files = { MLmodel: 'artifact_path: model\nflavors: {}\n', 'model.pkl': 'pickle', 'conda.yaml': 'name: env\n', 'requirements.txt': 'sklearn\n' };
    for (const [name, body] of Object.entries(files)) expect(await put(url, `${base}/model/${name}`, body)).toBe(200);
    const listed = await fetch(`${url}${PROXY}?path=${encodeURIComponent(`${base}/model`)}`);
    expect(((await listed.json()) as { files: { path: string }[] }).files.map((f) => f.path)).toEqual(Object.keys(files).sort());

    const modelJson = JSON.stringify({ run_id: info.run_id, artifact_path: 'model', utc_time_created: '2025-01-01 00:00:00.000000', flavors: { sklearn: {} } });
    const logged = await mlflowPost(url, `${API}/runs/log-model`, { run_id: info.run_id, model_json: modelJson });
    expect(logged).toEqual({ status: 200, body: {} });
    const rg = await mlflowGet(url, `${API}/runs/get`, { run_id: info.run_id });
    const tags = (rg.body.run as { data: { tags: { key: string; value: string }[] } }).data.tags;
    expect(JSON.parse(tags.find((t) => t.key === 'mlflow.log-model.history')!.value)).toEqual([JSON.parse(modelJson)]);
  });
});
