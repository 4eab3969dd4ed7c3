import { describe, expect, it } from 'vitest';
import { mlflowGet, mlflowPost, startTestServer } from '../helpers/server.ts';

const API = '/api/2.0/mlflow';
const AJAX = '/ajax-api/2.0/mlflow';

/** The Default experiment as every MLflow client expects to find it. */
const DEFAULT_EXPERIMENT = {
  experiment_id: '0',
  name: 'Default',
  artifact_location: 'mlflow-artifacts:/0',
  lifecycle_stage: 'active',
  creation_time: expect.any(Number),
  last_update_time: expect.any(Number),
};

async function createExperiment(url: string, name: string, extra: object = {}): Promise<string> {
  const { status, body } = await mlflowPost(url, `${API}/experiments/create`, { name, ...extra });
  expect(status).toBe(200);
  return body.experiment_id as string;
}

describe('MLflow experiments: create, get, get-by-name', () => {
  it('replays set_experiment: get-by-name 404, create, get (reference 8.1)', async () => {
    const { url } = await startTestServer();
    const missing = await mlflowGet(url, `${API}/experiments/get-by-name`, { experiment_name: 'exp' });
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ error_code: 'RESOURCE_DOES_NOT_EXIST', message: expect.any(String) });

    const created = await mlflowPost(url, `${API}/experiments/create`, { name: 'exp' });
    expect(created).toEqual({ status: 200, body: { experiment_id: expect.stringMatching(/^\d+$/) } });

    const got = await mlflowGet(url, `${API}/experiments/get`, { experiment_id: created.body.experiment_id });
    expect(got).toEqual({
      status: 200,
      body: {
        experiment: {
          experiment_id: created.body.experiment_id,
          name: 'exp',
          artifact_location: `mlflow-artifacts:/${created.body.experiment_id}`,
          lifecycle_stage: 'active',
          creation_time: expect.any(Number),
          last_update_time: expect.any(Number),
        },
      },
    });

    const again = await mlflowGet(url, `${API}/experiments/get-by-name`, { experiment_name: 'exp' });
    expect(again.body).toEqual(got.body);
  });

  it('creates an experiment with tags and returns them as key/value pairs', async () => {
    const { url } = await startTestServer();
    const id = await createExperiment(url, 'tagged', { tags: [{ key: 'team', value: 'vision' }, { key: 'n', value: 3 }] });
    const { body } = await mlflowGet(url, `${API}/experiments/get`, { experiment_id: id });
    expect(body.experiment.tags).toEqual([
      { key: 'n', value: '3' },
      { key: 'team', value: 'vision' },
    ]);
  });

  it('refuses a duplicate name with 400 RESOURCE_ALREADY_EXISTS, also while the first is deleted', async () => {
    const { url } = await startTestServer();
    const id = await createExperiment(url, 'dup');
    expect(await mlflowPost(url, `${API}/experiments/create`, { name: 'dup' })).toEqual({
      status: 400,
      body: { error_code: 'RESOURCE_ALREADY_EXISTS', message: expect.stringContaining('dup') },
    });
    await mlflowPost(url, `${API}/experiments/delete`, { experiment_id: id });
    expect((await mlflowPost(url, `${API}/experiments/create`, { name: 'dup' })).body.error_code).toBe('RESOURCE_ALREADY_EXISTS');
  });

  it('refuses a client-chosen artifact_location and accepts an empty one', async () => {
    const { url } = await startTestServer();
    const refused = await mlflowPost(url, `${API}/experiments/create`, { name: 'mine', artifact_location: '/tmp/elsewhere' });
    expect(refused).toEqual({ status: 400, body: { error_code: 'INVALID_PARAMETER_VALUE', message: expect.stringContaining('assigns artifact locations') } });
    const search = await mlflowPost(url, `${API}/experiments/search`, { filter: "name = 'mine'" });
    expect(search.body).toEqual({});
    expect(await createExperiment(url, 'mine', { artifact_location: '' })).toMatch(/^\d+$/);
  });

  it('answers 400 INVALID_PARAMETER_VALUE when a required field is missing', async () => {
    const { url } = await startTestServer();
    for (const [path, method] of [
      ['/experiments/create', 'POST'],
      ['/experiments/get', 'GET'],
      ['/experiments/get-by-name', 'GET'],
      ['/experiments/update', 'POST'],
      ['/experiments/delete', 'POST'],
      ['/experiments/restore', 'POST'],
      ['/experiments/set-experiment-tag', 'POST'],
      ['/experiments/delete-experiment-tag', 'POST'],
    ] as const) {
      const response = method === 'GET' ? await mlflowGet(url, `${API}${path}`) : await mlflowPost(url, `${API}${path}`, {});
      expect({ path, ...response }).toEqual({
        path,
        status: 400,
        body: { error_code: 'INVALID_PARAMETER_VALUE', message: expect.stringContaining('Missing value for required parameter') },
      });
    }
  });

  it('answers 404 RESOURCE_DOES_NOT_EXIST for an unknown experiment id on every experiment RPC', async () => {
    const { url } = await startTestServer();
    const calls = [
      mlflowGet(url, `${API}/experiments/get`, { experiment_id: '999' }),
      mlflowPost(url, `${API}/experiments/update`, { experiment_id: '999', new_name: 'x' }),
      mlflowPost(url, `${API}/experiments/delete`, { experiment_id: '999' }),
      mlflowPost(url, `${API}/experiments/restore`, { experiment_id: '999' }),
      mlflowPost(url, `${API}/experiments/set-experiment-tag`, { experiment_id: '999', key: 'k', value: 'v' }),
      mlflowPost(url, `${API}/experiments/delete-experiment-tag`, { experiment_id: '999', key: 'k' }),
    ];
    for (const response of await Promise.all(calls)) {
      expect(response).toEqual({ status: 404, body: { error_code: 'RESOURCE_DOES_NOT_EXIST', message: expect.any(String) } });
    }
  });

  it('serves the same RPCs under /ajax-api', async () => {
    const { url } = await startTestServer();
    const { body } = await mlflowPost(url, `${AJAX}/experiments/create`, { name: 'via-ajax' });
    const got = await mlflowGet(url, `${AJAX}/experiments/get-by-name`, { experiment_name: 'via-ajax' });
    expect(got.status).toBe(200);
    expect(got.body.experiment.experiment_id).toBe(body.experiment_id);
  });

  it('accepts a numeric experiment_id, a double-encoded body and lowerCamelCase field names', async () => {
    const { url } = await startTestServer();
    const id = await createExperiment(url, 'coerced');
    expect((await mlflowPost(url, `${API}/experiments/update`, { experiment_id: Number(id), new_name: 'renamed' })).status).toBe(200);
    // A string body is JSON-encoded twice, as very old clients send it.
    expect((await mlflowPost(url, `${API}/experiments/set-experiment-tag`, JSON.stringify({ experiment_id: id, key: 'k', value: 'v' }))).status).toBe(200);
    expect((await mlflowPost(url, `${API}/experiments/set-experiment-tag`, { experimentId: id, key: 'k2', value: 'w' })).status).toBe(200);
    const { body } = await mlflowGet(url, `${API}/experiments/get`, { experiment_id: id });
    expect(body.experiment).toMatchObject({ name: 'renamed', tags: [{ key: 'k', value: 'v' }, { key: 'k2', value: 'w' }] });
  });
});

describe('MLflow experiments: update, delete, restore, tags', () => {
  it('renames, and refuses renaming a deleted experiment with a 4xx', async () => {
    const { url } = await startTestServer();
    const id = await createExperiment(url, 'before');
    expect(await mlflowPost(url, `${API}/experiments/update`, { experiment_id: id, new_name: 'after' })).toEqual({ status: 200, body: {} });
    expect((await mlflowGet(url, `${API}/experiments/get-by-name`, { experiment_name: 'after' })).body.experiment.experiment_id).toBe(id);
    await mlflowPost(url, `${API}/experiments/delete`, { experiment_id: id });
    const refused = await mlflowPost(url, `${API}/experiments/update`, { experiment_id: id, new_name: 'again' });
    expect(refused.status).toBe(400);
    expect(refused.body.error_code).toEqual(expect.any(String));
  });

  it('deletes softly (get still answers, lifecycle_stage deleted) and restores', async () => {
    const { url } = await startTestServer();
    const id = await createExperiment(url, 'trash-me');
    expect(await mlflowPost(url, `${API}/experiments/delete`, { experiment_id: id })).toEqual({ status: 200, body: {} });
    expect((await mlflowGet(url, `${API}/experiments/get`, { experiment_id: id })).body.experiment.lifecycle_stage).toBe('deleted');
    expect((await mlflowGet(url, `${API}/experiments/get-by-name`, { experiment_name: 'trash-me' })).body.experiment.lifecycle_stage).toBe('deleted');
    expect(await mlflowPost(url, `${API}/experiments/restore`, { experiment_id: id })).toEqual({ status: 200, body: {} });
    expect((await mlflowGet(url, `${API}/experiments/get`, { experiment_id: id })).body.experiment.lifecycle_stage).toBe('active');
  });

  it('sets, replaces and deletes experiment tags; deleting an absent tag is 404', async () => {
    const { url } = await startTestServer();
    const id = await createExperiment(url, 'tags');
    await mlflowPost(url, `${API}/experiments/set-experiment-tag`, { experiment_id: id, key: 'stage', value: 'a' });
    await mlflowPost(url, `${API}/experiments/set-experiment-tag`, { experiment_id: id, key: 'stage', value: 'b' });
    expect((await mlflowGet(url, `${API}/experiments/get`, { experiment_id: id })).body.experiment.tags).toEqual([{ key: 'stage', value: 'b' }]);
    expect(await mlflowPost(url, `${API}/experiments/delete-experiment-tag`, { experiment_id: id, key: 'stage' })).toEqual({ status: 200, body: {} });
    expect((await mlflowGet(url, `${API}/experiments/get`, { experiment_id: id })).body.experiment.tags).toBeUndefined();
    const absent = await mlflowPost(url, `${API}/experiments/delete-experiment-tag`, { experiment_id: id, key: 'stage' });
    expect(absent).toEqual({ status: 404, body: { error_code: 'RESOURCE_DOES_NOT_EXIST', message: expect.any(String) } });
  });

  it('refuses tag writes on a deleted experiment with 400', async () => {
    const { url } = await startTestServer();
    const id = await createExperiment(url, 'gone');
    await mlflowPost(url, `${API}/experiments/delete`, { experiment_id: id });
    const refused = await mlflowPost(url, `${API}/experiments/set-experiment-tag`, { experiment_id: id, key: 'k', value: 'v' });
    expect(refused).toEqual({ status: 400, body: { error_code: 'INVALID_PARAMETER_VALUE', message: expect.stringContaining('active') } });
  });
});

describe('MLflow experiments: search', () => {
  it('finds the Default experiment with the curl of the issue (POST, max_results 10)', async () => {
    const { url } = await startTestServer();
    expect(await mlflowPost(url, `${API}/experiments/search`, { max_results: 10 })).toEqual({ status: 200, body: { experiments: [DEFAULT_EXPERIMENT] } });
  });

  it('searches by POST and GET with filter, order_by (repeated keys) and view_type', async () => {
    const { url } = await startTestServer();
    const a = await createExperiment(url, 'alpha');
    const b = await createExperiment(url, 'beta');
    const c = await createExperiment(url, 'gamma');
    await mlflowPost(url, `${API}/experiments/delete`, { experiment_id: c });

    const post = await mlflowPost(url, `${API}/experiments/search`, { filter: "name LIKE '%a'", order_by: ['name DESC'], max_results: 1000 });
    expect(post.body.experiments.map((e: { experiment_id: string }) => e.experiment_id)).toEqual([b, a]);

    const get = await mlflowGet(url, `${API}/experiments/search`, { filter: "name LIKE '%a'", order_by: ['name DESC', 'experiment_id'], max_results: '1000' });
    expect(get.body).toEqual(post.body);

    for (const viewType of ['DELETED_ONLY', '2', 2]) {
      const deleted = await mlflowPost(url, `${API}/experiments/search`, { view_type: viewType });
      expect(deleted.body.experiments.map((e: { experiment_id: string }) => e.experiment_id)).toEqual([c]);
    }
    const all = await mlflowGet(url, `${API}/experiments/search`, { view_type: 'ALL', order_by: 'name' });
    expect(all.body.experiments.map((e: { name: string }) => e.name)).toEqual(['Default', 'alpha', 'beta', 'gamma']);
  });

  it('pages with page_token and omits next_page_token on the last page', async () => {
    const { url } = await startTestServer();
    for (const name of ['e1', 'e2', 'e3']) await createExperiment(url, name);
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const { status, body } = await mlflowPost(url, `${API}/experiments/search`, { max_results: 2, order_by: ['name'], page_token: token });
      expect(status).toBe(200);
      seen.push(...body.experiments.map((e: { name: string }) => e.name));
      token = body.next_page_token;
      pages++;
    } while (token);
    expect(seen).toEqual(['Default', 'e1', 'e2', 'e3']);
    expect(pages).toBe(2);
  });

  it('refuses max_results outside 1..50000 and a bad view_type with 400', async () => {
    const { url } = await startTestServer();
    for (const body of [{ max_results: 0 }, { max_results: 50_001 }, { max_results: 'many' }, { view_type: 'SOME' }, { view_type: 7 }]) {
      const response = await mlflowPost(url, `${API}/experiments/search`, body);
      expect(response).toEqual({ status: 400, body: { error_code: 'INVALID_PARAMETER_VALUE', message: expect.any(String) } });
    }
  });

  it('answers a bad filter with 400 INVALID_PARAMETER_VALUE', async () => {
    const { url } = await startTestServer();
    const response = await mlflowPost(url, `${API}/experiments/search`, { filter: 'name === oops' });
    expect(response.status).toBe(400);
    expect(response.body.error_code).toBe('INVALID_PARAMETER_VALUE');
  });

  it('serves the 1.x experiments/list old clients call as an unfiltered search', async () => {
    const { url } = await startTestServer();
    expect(await mlflowGet(url, `${API}/experiments/list`, { view_type: 'ALL' })).toEqual({ status: 200, body: { experiments: [DEFAULT_EXPERIMENT] } });
  });
});
