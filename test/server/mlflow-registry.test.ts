import { describe, expect, it } from 'vitest';
import { osUser } from '#core/registry/registry-work.ts';
import { mlflowCall as call, mlflowGet, mlflowPost, startTestServer } from '../helpers/server.ts';

const API = '/api/2.0/mlflow';
const AJAX = '/ajax-api/2.0/mlflow';
const USER = osUser();


const error = (status: number, code: string, message: unknown = expect.any(String)) => ({ status, body: { error_code: code, message } });

/** A server with a run (in experiment 0) and model `m` holding `versions` versions from `runs:/<run>/model`. */
async function serverWithModel(versions = 0) {
  const server = await startTestServer();
  const { url } = server;
  const runId = (await mlflowPost(url, `${API}/runs/create`, { experiment_id: '0' })).body.run.info.run_id as string;
  expect((await mlflowPost(url, `${API}/registered-models/create`, { name: 'm' })).status).toBe(200);
  for (let i = 0; i < versions; i++) {
    expect((await mlflowPost(url, `${API}/model-versions/create`, { name: 'm', source: `runs:/${runId}/model`, run_id: runId })).status).toBe(200);
  }
  return { ...server, runId };
}

describe('MLflow registered-model routes', () => {
  it('POST /registered-models/create answers the model in MLflow JSON, empty lists omitted', async () => {
    const { url } = await startTestServer();
    const created = await mlflowPost(url, `${API}/registered-models/create`, {
      name: 'churn',
      description: 'desc',
      tags: [{ key: 'team', value: 'ml' }],
      deployment_job_id: '',
    });
    expect(created).toEqual({
      status: 200,
      body: {
        registered_model: {
          name: 'churn',
          creation_timestamp: expect.any(Number),
          last_updated_timestamp: expect.any(Number),
          user_id: USER,
          description: 'desc',
          tags: [{ key: 'team', value: 'ml' }],
        },
      },
    });
    const bare = await mlflowPost(url, `${API}/registered-models/create`, { name: 'bare' });
    expect(Object.keys(bare.body.registered_model).sort()).toEqual(['creation_timestamp', 'last_updated_timestamp', 'name', 'user_id']);
  });

  it('POST /registered-models/create answers 400 RESOURCE_ALREADY_EXISTS for a duplicate, 400 for no name', async () => {
    const { url } = await startTestServer();
    await mlflowPost(url, `${API}/registered-models/create`, { name: 'm' });
    expect(await mlflowPost(url, `${API}/registered-models/create`, { name: 'm' })).toEqual(error(400, 'RESOURCE_ALREADY_EXISTS', 'Registered Model (name=m) already exists.'));
    expect(await mlflowPost(url, `${API}/registered-models/create`, {})).toEqual(error(400, 'INVALID_PARAMETER_VALUE', "Missing value for required parameter 'name'."));
  });

  it('GET /registered-models/get answers latest versions, tags and aliases (versions as strings); 404 when missing; also under /ajax-api', async () => {
    const { url, runId } = await serverWithModel(2);
    await mlflowPost(url, `${API}/registered-models/set-tag`, { name: 'm', key: 'k', value: 'v' });
    await mlflowPost(url, `${API}/registered-models/alias`, { name: 'm', alias: 'champion', version: '2' });
    const got = await mlflowGet(url, `${API}/registered-models/get`, { name: 'm' });
    expect(got).toEqual({
      status: 200,
      body: {
        registered_model: {
          name: 'm',
          creation_timestamp: expect.any(Number),
          last_updated_timestamp: expect.any(Number),
          user_id: USER,
          latest_versions: [
            {
              name: 'm',
              version: '2',
              creation_timestamp: expect.any(Number),
              last_updated_timestamp: expect.any(Number),
              user_id: USER,
              current_stage: 'None',
              source: `runs:/${runId}/model`,
              run_id: runId,
              status: 'READY',
              aliases: ['champion'],
            },
          ],
          tags: [{ key: 'k', value: 'v' }],
          aliases: [{ alias: 'champion', version: '2' }],
        },
      },
    });
    expect(await mlflowGet(url, `${AJAX}/registered-models/get`, { name: 'm' })).toEqual(got);
    expect(await mlflowGet(url, `${API}/registered-models/get`, { name: 'nope' })).toEqual(error(404, 'RESOURCE_DOES_NOT_EXIST', 'Registered Model with name=nope not found'));
  });

  it('POST /registered-models/rename moves versions and aliases; a taken name is 400 RESOURCE_ALREADY_EXISTS', async () => {
    const { url } = await serverWithModel(1);
    await mlflowPost(url, `${API}/registered-models/alias`, { name: 'm', alias: 'champion', version: '1' });
    await mlflowPost(url, `${API}/registered-models/create`, { name: 'taken' });
    expect(await mlflowPost(url, `${API}/registered-models/rename`, { name: 'm', new_name: 'taken' })).toEqual(error(400, 'RESOURCE_ALREADY_EXISTS'));
    const renamed = await mlflowPost(url, `${API}/registered-models/rename`, { name: 'm', new_name: 'n' });
    expect(renamed.status).toBe(200);
    expect(renamed.body.registered_model).toMatchObject({ name: 'n', aliases: [{ alias: 'champion', version: '1' }], latest_versions: [{ name: 'n', version: '1' }] });
    expect((await mlflowGet(url, `${API}/registered-models/alias`, { name: 'n', alias: 'champion' })).body.model_version).toMatchObject({ name: 'n', version: '1' });
    expect((await mlflowGet(url, `${API}/registered-models/get`, { name: 'm' })).status).toBe(404);
  });

  it('PATCH /registered-models/update sets the description; DELETE /registered-models/delete takes a JSON body', async () => {
    const { url } = await serverWithModel(1);
    const updated = await call(url, 'PATCH', `${API}/registered-models/update`, { name: 'm', description: '# new' });
    expect(updated.status).toBe(200);
    expect((updated.body.registered_model as { description: string }).description).toBe('# new');
    expect(await call(url, 'DELETE', `${API}/registered-models/delete`, { name: 'm' })).toEqual({ status: 200, body: {} });
    expect((await mlflowGet(url, `${API}/registered-models/get`, { name: 'm' })).status).toBe(404);
    expect((await mlflowGet(url, `${API}/model-versions/get`, { name: 'm', version: '1' })).status).toBe(404);
    expect(await call(url, 'DELETE', `${API}/registered-models/delete`, { name: 'm' })).toEqual(error(404, 'RESOURCE_DOES_NOT_EXIST'));
  });

  it('POST /registered-models/set-tag and DELETE /registered-models/delete-tag answer {}', async () => {
    const { url } = await serverWithModel();
    expect(await mlflowPost(url, `${API}/registered-models/set-tag`, { name: 'm', key: 'k', value: 'v' })).toEqual({ status: 200, body: {} });
    expect(await call(url, 'DELETE', `${API}/registered-models/delete-tag`, { name: 'm', key: 'k' })).toEqual({ status: 200, body: {} });
    expect((await mlflowGet(url, `${API}/registered-models/get`, { name: 'm' })).body.registered_model.tags).toBeUndefined();
    expect(await mlflowPost(url, `${API}/registered-models/set-tag`, { name: 'm', key: 'bad//key', value: 'v' })).toEqual(error(400, 'INVALID_PARAMETER_VALUE'));
  });

  it('GET /registered-models/search filters (prompt clause included), orders, pages, and omits the token on the last page', async () => {
    const { url } = await startTestServer();
    for (const name of ['b', 'a', 'c']) await mlflowPost(url, `${API}/registered-models/create`, { name });
    await mlflowPost(url, `${API}/registered-models/create`, { name: 'p', tags: [{ key: 'mlflow.prompt.is_prompt', value: 'true' }] });
    const names = (body: Record<string, unknown>) => ((body.registered_models ?? []) as { name: string }[]).map((m) => m.name);
    const all = await mlflowGet(url, `${API}/registered-models/search`, { filter: "name LIKE '%' AND tag.`mlflow.prompt.is_prompt` != 'true'" });
    expect(names(all.body)).toEqual(['a', 'b', 'c']);
    expect(all.body.next_page_token).toBeUndefined();
    const first = await mlflowGet(url, `${API}/registered-models/search`, { max_results: '2', order_by: ['name DESC'] });
    expect(names(first.body)).toEqual(['c', 'b']);
    const second = await mlflowGet(url, `${API}/registered-models/search`, { max_results: '2', order_by: ['name DESC'], page_token: first.body.next_page_token as string });
    expect(second.body).toEqual({ registered_models: [expect.objectContaining({ name: 'a' })] });
    expect(await mlflowGet(url, `${API}/registered-models/search`, { filter: "name = 'zzz'" })).toEqual({ status: 200, body: {} });
    expect(await mlflowGet(url, `${API}/registered-models/search`, { max_results: '1001' })).toEqual(error(400, 'INVALID_PARAMETER_VALUE'));
    expect(await mlflowGet(url, `${API}/registered-models/search`, { filter: 'name =' })).toEqual(error(400, 'INVALID_PARAMETER_VALUE'));
  });

  it('POST and GET /registered-models/get-latest-versions answer the newest version per requested stage', async () => {
    const { url } = await serverWithModel(3);
    await mlflowPost(url, `${API}/model-versions/transition-stage`, { name: 'm', version: '1', stage: 'Staging', archive_existing_versions: false });
    await mlflowPost(url, `${API}/model-versions/transition-stage`, { name: 'm', version: '2', stage: 'Staging', archive_existing_versions: false });
    const versions = (a: Awaited<ReturnType<typeof call>>) => (a.body.model_versions as { version: string; current_stage: string }[]).map((v) => [v.version, v.current_stage]);
    const posted = await mlflowPost(url, `${API}/registered-models/get-latest-versions`, { name: 'm', stages: ['staging'] });
    expect(versions(posted)).toEqual([['2', 'Staging']]);
    expect(versions(await mlflowGet(url, `${API}/registered-models/get-latest-versions`, { name: 'm', stages: ['Staging', 'None'] }))).toEqual([
      ['2', 'Staging'],
      ['3', 'None'],
    ]);
    expect(versions(await mlflowPost(url, `${API}/registered-models/get-latest-versions`, { name: 'm' }))).toEqual([
      ['3', 'None'],
      ['2', 'Staging'],
    ]);
    expect(await mlflowPost(url, `${API}/registered-models/get-latest-versions`, { name: 'm', stages: ['Production'] })).toEqual({ status: 200, body: {} });
    expect(await mlflowPost(url, `${API}/registered-models/get-latest-versions`, { name: 'm', stages: ['Prod'] })).toEqual(error(400, 'INVALID_PARAMETER_VALUE'));
  });

  it('POST, GET and DELETE /registered-models/alias set, read and delete an alias', async () => {
    const { url } = await serverWithModel(2);
    expect(await mlflowPost(url, `${API}/registered-models/alias`, { name: 'm', alias: 'champion', version: '1' })).toEqual({ status: 200, body: {} });
    expect(await mlflowPost(url, `${API}/registered-models/alias`, { name: 'm', alias: 'champion', version: '2' })).toEqual({ status: 200, body: {} });
    const got = await mlflowGet(url, `${API}/registered-models/alias`, { name: 'm', alias: 'champion' });
    expect(got.status).toBe(200);
    expect(got.body.model_version).toMatchObject({ name: 'm', version: '2', aliases: ['champion'], status: 'READY', current_stage: 'None' });
    expect(await call(url, 'DELETE', `${API}/registered-models/alias`, { name: 'm', alias: 'champion' })).toEqual({ status: 200, body: {} });
    expect(await mlflowGet(url, `${API}/registered-models/alias`, { name: 'm', alias: 'champion' })).toEqual(
      error(404, 'RESOURCE_DOES_NOT_EXIST', 'Registered model alias champion not found.'),
    );
    expect(await mlflowPost(url, `${API}/registered-models/alias`, { name: 'm', alias: 'champion', version: '7' })).toEqual(error(404, 'RESOURCE_DOES_NOT_EXIST'));
    expect(await mlflowPost(url, `${API}/registered-models/alias`, { name: 'm', alias: 'latest', version: '1' })).toEqual(error(400, 'INVALID_PARAMETER_VALUE'));
    expect(await mlflowPost(url, `${API}/registered-models/alias`, { name: 'm', alias: 'a', version: 'one' })).toEqual(error(400, 'INVALID_PARAMETER_VALUE'));
  });

  it('POST /registered-models/alias onto a protected alias answers 403 naming the pending request, and moves nothing', async () => {
    const { url, api } = await serverWithModel(1);
    await api.call('registry.setProtection', { name: 'm', aliases: ['production'], stages: [] });
    const answer = await mlflowPost(url, `${API}/registered-models/alias`, { name: 'm', alias: 'production', version: '1' });
    const { requests } = await api.call('registry.listRequests', { name: 'm' });
    expect(requests).toHaveLength(1);
    expect(answer).toEqual(
      error(
        403,
        'PERMISSION_DENIED',
        `Moving version 1 of 'm' to alias 'production' needs approval: request ${requests[0]!.requestId} is pending. It moves once someone approves it in Flowdesk.`,
      ),
    );
    expect((await mlflowGet(url, `${API}/registered-models/alias`, { name: 'm', alias: 'production' })).status).toBe(404);
    // A retry names the same request instead of piling up new ones.
    expect(await mlflowPost(url, `${API}/registered-models/alias`, { name: 'm', alias: 'production', version: '1' })).toEqual(answer);
    await api.call('registry.approveRequest', { requestId: requests[0]!.requestId });
    expect((await mlflowGet(url, `${API}/registered-models/alias`, { name: 'm', alias: 'production' })).body.model_version).toMatchObject({ version: '1' });
  });
});

describe('MLflow model-version routes', () => {
  it('POST /model-versions/create answers the version: string number, stage None, status READY', async () => {
    const { url, runId } = await serverWithModel();
    const created = await mlflowPost(url, `${API}/model-versions/create`, {
      name: 'm',
      source: `mlflow-artifacts:/0/${runId}/artifacts/model`,
      run_id: runId,
      tags: [{ key: 'k', value: 'v' }],
      run_link: '',
      description: 'notes',
    });
    expect(created).toEqual({
      status: 200,
      body: {
        model_version: {
          name: 'm',
          version: '1',
          creation_timestamp: expect.any(Number),
          last_updated_timestamp: expect.any(Number),
          user_id: USER,
          current_stage: 'None',
          description: 'notes',
          source: `mlflow-artifacts:/0/${runId}/artifacts/model`,
          run_id: runId,
          status: 'READY',
          tags: [{ key: 'k', value: 'v' }],
        },
      },
    });
    expect(await mlflowGet(url, `${API}/model-versions/get`, { name: 'm', version: '1' })).toEqual(created);
  });

  it('POST /model-versions/create refuses sources outside the artifact store (400) and a missing model (404)', async () => {
    const { url, runId } = await serverWithModel();
    for (const source of ['file:///etc', '/etc/passwd', 's3://x', 'mlflow-artifacts:/../../x', `runs:/${runId}/../../x`, `runs:/${runId}/%2e%2e/%2e%2e/x`]) {
      expect(await mlflowPost(url, `${API}/model-versions/create`, { name: 'm', source })).toEqual(error(400, 'INVALID_PARAMETER_VALUE'));
    }
    expect(await mlflowPost(url, `${API}/model-versions/create`, { name: 'nope', source: `runs:/${runId}/model` })).toEqual(error(404, 'RESOURCE_DOES_NOT_EXIST'));
    expect(await mlflowPost(url, `${API}/model-versions/create`, { name: 'm' })).toEqual(error(400, 'INVALID_PARAMETER_VALUE', "Missing value for required parameter 'source'."));
    expect((await mlflowGet(url, `${API}/model-versions/search`, {})).body).toEqual({});
  });

  it('GET /model-versions/get answers 404 for a missing version and 400 for a version that is not a number', async () => {
    const { url } = await serverWithModel(1);
    expect(await mlflowGet(url, `${API}/model-versions/get`, { name: 'm', version: '2' })).toEqual(error(404, 'RESOURCE_DOES_NOT_EXIST', 'Model Version (name=m, version=2) not found'));
    expect(await mlflowGet(url, `${API}/model-versions/get`, { name: 'm', version: 'x' })).toEqual(error(400, 'INVALID_PARAMETER_VALUE'));
  });

  it('PATCH /model-versions/update sets the description; DELETE /model-versions/delete drops it and its aliases, numbers are not reused', async () => {
    const { url, runId } = await serverWithModel(2);
    const updated = await call(url, 'PATCH', `${API}/model-versions/update`, { name: 'm', version: '2', description: 'better' });
    expect(updated.status).toBe(200);
    expect(updated.body.model_version).toMatchObject({ version: '2', description: 'better' });
    await mlflowPost(url, `${API}/registered-models/alias`, { name: 'm', alias: 'champion', version: '2' });
    expect(await call(url, 'DELETE', `${API}/model-versions/delete`, { name: 'm', version: '2' })).toEqual({ status: 200, body: {} });
    expect((await mlflowGet(url, `${API}/registered-models/alias`, { name: 'm', alias: 'champion' })).status).toBe(404);
    const next = await mlflowPost(url, `${API}/model-versions/create`, { name: 'm', source: `runs:/${runId}/model` });
    expect(next.body.model_version).toMatchObject({ version: '3' });
  });

  it('POST /model-versions/transition-stage moves a version (any case), archives others on request, and refuses bad stages', async () => {
    const { url } = await serverWithModel(2);
    const staged = await mlflowPost(url, `${API}/model-versions/transition-stage`, { name: 'm', version: '1', stage: 'staging', archive_existing_versions: false });
    expect(staged.status).toBe(200);
    expect(staged.body.model_version).toMatchObject({ name: 'm', version: '1', current_stage: 'Staging', status: 'READY' });
    const second = await mlflowPost(url, `${API}/model-versions/transition-stage`, { name: 'm', version: '2', stage: 'Staging', archive_existing_versions: 'True' });
    expect(second.body.model_version).toMatchObject({ current_stage: 'Staging' });
    expect((await mlflowGet(url, `${API}/model-versions/get`, { name: 'm', version: '1' })).body.model_version).toMatchObject({ current_stage: 'Archived' });
    expect(await mlflowPost(url, `${API}/model-versions/transition-stage`, { name: 'm', version: '1', stage: 'Prod', archive_existing_versions: false })).toEqual(
      error(400, 'INVALID_PARAMETER_VALUE'),
    );
    expect(await mlflowPost(url, `${API}/model-versions/transition-stage`, { name: 'm', version: '1', stage: 'None', archive_existing_versions: true })).toEqual(
      error(400, 'INVALID_PARAMETER_VALUE'),
    );
  });

  it('POST /model-versions/transition-stage onto a protected Production answers 403 naming the request; the version stays', async () => {
    const { url, api } = await serverWithModel(1);
    await api.call('registry.setProtection', { name: 'm', aliases: [], stages: ['Production'] });
    const answer = await mlflowPost(url, `${API}/model-versions/transition-stage`, { name: 'm', version: '1', stage: 'Production', archive_existing_versions: false });
    const [request] = (await api.call('registry.listRequests', { status: 'pending' })).requests;
    expect(answer).toEqual(
      error(403, 'PERMISSION_DENIED', `Moving version 1 of 'm' to Production needs approval: request ${request!.requestId} is pending. It moves once someone approves it in Flowdesk.`),
    );
    expect((await mlflowGet(url, `${API}/model-versions/get`, { name: 'm', version: '1' })).body.model_version).toMatchObject({ current_stage: 'None' });
    await api.call('registry.rejectRequest', { requestId: request!.requestId, comment: 'not yet' });
    expect((await mlflowGet(url, `${API}/model-versions/get`, { name: 'm', version: '1' })).body.model_version).toMatchObject({ current_stage: 'None' });
  });

  it('GET /model-versions/search filters by name and run_id, pages, and leaves prompts out', async () => {
    const { url, runId } = await serverWithModel(3);
    const versions = (a: Awaited<ReturnType<typeof call>>) => ((a.body.model_versions ?? []) as { version: string }[]).map((v) => v.version);
    expect(versions(await mlflowGet(url, `${API}/model-versions/search`, { filter: "name='m'", order_by: ['version_number ASC'] }))).toEqual(['1', '2', '3']);
    expect(versions(await mlflowGet(url, `${API}/model-versions/search`, { filter: `run_id='${runId}'`, max_results: '10000' }))).toEqual(['3', '2', '1']);
    const first = await mlflowGet(url, `${API}/model-versions/search`, { filter: "name='m'", max_results: '2' });
    expect(versions(first)).toEqual(['3', '2']);
    const second = await mlflowGet(url, `${API}/model-versions/search`, { filter: "name='m'", max_results: '2', page_token: first.body.next_page_token as string });
    expect(versions(second)).toEqual(['1']);
    expect(second.body.next_page_token).toBeUndefined();
    expect(await mlflowGet(url, `${API}/model-versions/search`, { max_results: '200001' })).toEqual(error(400, 'INVALID_PARAMETER_VALUE'));
  });

  it('GET /model-versions/get-download-uri answers the concrete mlflow-artifacts:/ location', async () => {
    const { url, runId } = await serverWithModel(1);
    expect(await mlflowGet(url, `${API}/model-versions/get-download-uri`, { name: 'm', version: '1' })).toEqual({
      status: 200,
      body: { artifact_uri: `mlflow-artifacts:/0/${runId}/artifacts/model` },
    });
  });

  it('POST /model-versions/set-tag and DELETE /model-versions/delete-tag answer {}', async () => {
    const { url } = await serverWithModel(1);
    expect(await mlflowPost(url, `${API}/model-versions/set-tag`, { name: 'm', version: '1', key: 'k', value: 'v' })).toEqual({ status: 200, body: {} });
    expect((await mlflowGet(url, `${API}/model-versions/get`, { name: 'm', version: '1' })).body.model_version.tags).toEqual([{ key: 'k', value: 'v' }]);
    expect(await call(url, 'DELETE', `${API}/model-versions/delete-tag`, { name: 'm', version: '1', key: 'k' })).toEqual({ status: 200, body: {} });
    expect((await mlflowGet(url, `${API}/model-versions/get`, { name: 'm', version: '1' })).body.model_version.tags).toBeUndefined();
  });

  it('a version made from a logged model carries model_id, and the logged model lists the registration', async () => {
    const { url } = await serverWithModel();
    const model = (await mlflowPost(url, `${API}/logged-models`, { experiment_id: '0', name: 'clf' })).body.model.info;
    const created = await mlflowPost(url, `${API}/model-versions/create`, { name: 'm', source: `models:/${model.model_id}`, model_id: model.model_id });
    expect(created.body.model_version).toMatchObject({ version: '1', source: `models:/${model.model_id}`, model_id: model.model_id });
    const info = (await mlflowGet(url, `${API}/logged-models/${model.model_id}`)).body.model.info;
    expect(info.registrations).toEqual([{ name: 'm', version: '1' }]);
    expect(info.tags).toContainEqual({ key: 'mlflow.modelVersions', value: '[{"name":"m","version":1}]' });
    expect((await mlflowGet(url, `${API}/model-versions/get-download-uri`, { name: 'm', version: '1' })).body).toEqual({ artifact_uri: model.artifact_uri });
  });
});

describe('MLflow registry routes and the history', () => {
  it('every registry route leaves earlier history entries as they were', async () => {
    const { url, runId, fd } = await serverWithModel(2);
    await mlflowPost(url, `${API}/registered-models/alias`, { name: 'm', alias: 'champion', version: '1' });
    const snapshot = await fd.catalog.db.selectFrom('registry_history').selectAll().orderBy('id').execute();
    const calls: [string, string, Record<string, unknown>][] = [
      ['POST', '/registered-models/create', { name: 'x' }],
      ['GET', '/registered-models/get', { name: 'x' }],
      ['PATCH', '/registered-models/update', { name: 'x', description: 'd' }],
      ['POST', '/registered-models/set-tag', { name: 'x', key: 'k', value: 'v' }],
      ['DELETE', '/registered-models/delete-tag', { name: 'x', key: 'k' }],
      ['GET', '/registered-models/search', {}],
      ['POST', '/model-versions/create', { name: 'x', source: `runs:/${runId}/model` }],
      ['GET', '/model-versions/get', { name: 'x', version: '1' }],
      ['PATCH', '/model-versions/update', { name: 'x', version: '1', description: 'd' }],
      ['POST', '/model-versions/set-tag', { name: 'x', version: '1', key: 'k', value: 'v' }],
      ['DELETE', '/model-versions/delete-tag', { name: 'x', version: '1', key: 'k' }],
      ['GET', '/model-versions/search', {}],
      ['GET', '/model-versions/get-download-uri', { name: 'x', version: '1' }],
      ['POST', '/registered-models/alias', { name: 'x', alias: 'a', version: '1' }],
      ['GET', '/registered-models/alias', { name: 'x', alias: 'a' }],
      ['DELETE', '/registered-models/alias', { name: 'x', alias: 'a' }],
      ['POST', '/model-versions/transition-stage', { name: 'x', version: '1', stage: 'Staging', archive_existing_versions: true }],
      ['POST', '/registered-models/get-latest-versions', { name: 'x' }],
      ['GET', '/registered-models/get-latest-versions', { name: 'x' }],
      ['POST', '/registered-models/rename', { name: 'x', new_name: 'y' }],
      ['DELETE', '/model-versions/delete', { name: 'y', version: '1' }],
      ['DELETE', '/registered-models/delete', { name: 'y' }],
      ['DELETE', '/registered-models/delete', { name: 'm' }],
    ];
    for (const [method, path, fields] of calls) {
      const answer =
        method === 'GET' ? await mlflowGet(url, `${API}${path}`, fields as Record<string, string>) : await call(url, method, `${API}${path}`, fields);
      expect([method, path, answer.status]).toEqual([method, path, 200]);
    }
    const after = await fd.catalog.db.selectFrom('registry_history').selectAll().orderBy('id').execute();
    expect(after.slice(0, snapshot.length)).toEqual(snapshot);
    expect(after.length).toBeGreaterThan(snapshot.length);
  });
});
