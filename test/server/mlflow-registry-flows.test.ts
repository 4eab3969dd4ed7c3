/**
 * The MLflow Python client's registry call sequences (reference §8.7, §8.8, §8.9, §8.11),
 * replayed request by request as the unmodified client sends them.
 */
import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { mlflowGet, mlflowPost, startTestServer } from '../helpers/server.ts';

const API = '/api/2.0/mlflow';
const PROXY = '/api/2.0/mlflow-artifacts/artifacts';

/** Percent-encodes each segment, as `requests` does for the proxy URL. */
const encodePath = (path: string) => path.split('/').map(encodeURIComponent).join('/');

/** The store path of a hostless mlflow-artifacts:/ URI, as the client's repository derives it. */
const storePath = (uri: string) => uri.replace(/^mlflow-artifacts:\//, '');

async function put(url: string, path: string, body: Buffer): Promise<void> {
  const response = await fetch(`${url}${PROXY}/${encodePath(path)}`, { method: 'PUT', headers: { 'content-type': 'application/octet-stream' }, body });
  expect(response.status).toBe(200);
}

/** `RG`: the run read the client makes to learn the artifact URI. */
async function getRun(url: string, runId: string) {
  const { status, body } = await mlflowGet(url, `${API}/runs/get`, { run_uuid: runId, run_id: runId });
  expect(status).toBe(200);
  return body.run;
}

/** A model folder as `log_model` uploads it: MLmodel, a binary pickle, files in a sub-folder. */
function modelFiles(): Map<string, Buffer> {
  return new Map([
    ['MLmodel', Buffer.from('artifact_path: model\nflavors:\n  python_function: {}\n')],
    ['model.pkl', randomBytes(200_000)],
    ['requirements.txt', Buffer.from('scikit-learn==1.5.0\n')],
    ['metadata/input example.json', Buffer.from('{"a": [1, 2]}')],
    ['metadata/deep/x.bin', randomBytes(1234)],
  ]);
}

/** A run with the model files uploaded under `artifacts/model` through the proxy (§8.4, §8.5). */
async function runWithModel(url: string) {
  const runId = (await mlflowPost(url, `${API}/runs/create`, { experiment_id: '0', start_time: 1 })).body.run.info.run_id as string;
  const artifactUri = (await getRun(url, runId)).info.artifact_uri as string;
  const files = modelFiles();
  for (const [path, body] of files) await put(url, `${storePath(artifactUri)}/model/${path}`, body);
  return { runId, artifactUri, files };
}

/** Step 1 of `register_model`: create, tolerating RESOURCE_ALREADY_EXISTS. */
async function ensureModel(url: string, name: string) {
  const created = await mlflowPost(url, `${API}/registered-models/create`, { name });
  if (created.status !== 200) expect(created).toEqual({ status: 400, body: { error_code: 'RESOURCE_ALREADY_EXISTS', message: expect.any(String) } });
}

/** Step 3 of `register_model`: create the version; the client polls unless status is READY. */
async function createVersion(url: string, body: Record<string, unknown>) {
  const created = await mlflowPost(url, `${API}/model-versions/create`, body);
  expect(created.status).toBe(200);
  expect(created.body.model_version.status).toBe('READY');
  return created.body.model_version as Record<string, string>;
}

/**
 * §8.11 step 4: the client's download through the proxy. A non-empty listing means a folder;
 * sub-folders are listed recursively, each file fetched. Answers path -> bytes.
 */
async function download(url: string, artifactUri: string): Promise<Map<string, Buffer>> {
  const root = storePath(artifactUri);
  const out = new Map<string, Buffer>();
  async function walk(dir: string): Promise<void> {
    const listing = await mlflowGet(url, PROXY, { path: dir });
    expect(listing.status).toBe(200);
    for (const f of (listing.body.files ?? []) as { path: string; is_dir: boolean }[]) {
      const full = `${dir}/${f.path}`;
      if (f.is_dir) {
        await walk(full);
      } else {
        const response = await fetch(`${url}${PROXY}/${encodePath(full)}`);
        expect(response.status).toBe(200);
        out.set(full.slice(root.length + 1), Buffer.from(await response.arrayBuffer()));
      }
    }
  }
  await walk(root);
  return out;
}

const digests = (files: Map<string, Buffer>) => new Map([...files].map(([path, body]) => [path, createHash('sha256').update(body).digest('hex')]));

describe('mlflow.register_model (reference 8.7)', () => {
  it('registers runs:/<run>/model as a 2.x client does: source = artifact_uri/model, run_id', async () => {
    const { url } = await startTestServer();
    const { runId, artifactUri } = await runWithModel(url);
    for (const expected of ['1', '2']) {
      await ensureModel(url, 'clf');
      const run = await getRun(url, runId);
      const version = await createVersion(url, { name: 'clf', source: `${run.info.artifact_uri}/model`, run_id: runId });
      expect(version).toMatchObject({ name: 'clf', version: expected, source: `${artifactUri}/model`, run_id: runId, current_stage: 'None' });
    }
  });

  it('registers runs:/<run>/model as a 3.x client does when the folder holds MLmodel', async () => {
    const { url } = await startTestServer();
    const { runId, artifactUri } = await runWithModel(url);
    await ensureModel(url, 'clf');
    const run = await getRun(url, runId);
    const listing = await mlflowGet(url, PROXY, { path: `${storePath(run.info.artifact_uri)}/model` });
    expect((listing.body.files as { path: string }[]).map((f) => f.path)).toContain('MLmodel');
    const version = await createVersion(url, { name: 'clf', source: `${artifactUri}/model`, run_id: runId });
    expect((await mlflowGet(url, `${API}/model-versions/get-download-uri`, { name: 'clf', version: version.version! })).body).toEqual({ artifact_uri: `${artifactUri}/model` });
  });

  it('registers runs:/<run>/model as a 3.x client does when the model is a logged model: search, then models:/<model_id>', async () => {
    const { url } = await startTestServer();
    const runId = (await mlflowPost(url, `${API}/runs/create`, { experiment_id: '0' })).body.run.info.run_id as string;
    const model = (await mlflowPost(url, `${API}/logged-models`, { experiment_id: '0', name: 'model', source_run_id: runId })).body.model.info;
    await mlflowPost(url, `${API}/runs/outputs`, { run_id: runId, models: [{ model_id: model.model_id, step: 0 }] });
    await put(url, `${storePath(model.artifact_uri)}/MLmodel`, Buffer.from('flavors: {}\n'));
    await ensureModel(url, 'clf');
    const run = await getRun(url, runId);
    // No MLmodel under the run's own 'model' folder: the client looks for a logged model instead.
    expect((await mlflowGet(url, PROXY, { path: `${storePath(run.info.artifact_uri)}/model` })).body).toEqual({ files: [] });
    const found = await mlflowPost(url, `${API}/logged-models/search`, { experiment_ids: ['0'], filter: "name = 'model'" });
    const candidates = (found.body.models as { info: { model_id: string; source_run_id?: string } }[]).filter((m) => m.info.source_run_id === runId);
    expect(candidates.map((m) => m.info.model_id)).toEqual([model.model_id]);
    const version = await createVersion(url, { name: 'clf', source: `models:/${model.model_id}`, model_id: model.model_id });
    expect(version).toMatchObject({ source: `models:/${model.model_id}`, model_id: model.model_id, run_id: runId });
    expect((await mlflowGet(url, `${API}/model-versions/get-download-uri`, { name: 'clf', version: '1' })).body).toEqual({ artifact_uri: model.artifact_uri });
  });

  it('registers models:/<model_id> (3.x log_model with registered_model_name) with no call before create', async () => {
    const { url } = await startTestServer();
    const model = (await mlflowPost(url, `${API}/logged-models`, { experiment_id: '0', name: 'model' })).body.model.info;
    await ensureModel(url, 'clf');
    const version = await createVersion(url, { name: 'clf', source: `models:/${model.model_id}`, model_id: model.model_id });
    expect(version).toMatchObject({ version: '1', model_id: model.model_id });
    expect(version.run_id).toBeUndefined();
  });

  it('registers models:/<name>/<version> (3.x): reads the version for its model_id, then creates', async () => {
    const { url } = await startTestServer();
    const { runId } = await runWithModel(url);
    await ensureModel(url, 'src');
    await createVersion(url, { name: 'src', source: `runs:/${runId}/model`, run_id: runId });
    const read = await mlflowGet(url, `${API}/model-versions/get`, { name: 'src', version: '1' });
    await ensureModel(url, 'copy');
    const version = await createVersion(url, { name: 'copy', source: 'models:/src/1', ...(read.body.model_version.model_id && { model_id: read.body.model_version.model_id }) });
    expect(version).toMatchObject({ name: 'copy', version: '1', source: 'models:/src/1' });
    expect((await mlflowGet(url, `${API}/model-versions/get-download-uri`, { name: 'copy', version: '1' })).body.artifact_uri).toBe(`mlflow-artifacts:/0/${runId}/artifacts/model`);
  });
});

describe('MlflowClient registry calls (reference 8.8, 8.9)', () => {
  async function registered(url: string) {
    const { runId } = await runWithModel(url);
    await ensureModel(url, 'clf');
    for (let i = 0; i < 3; i++) await createVersion(url, { name: 'clf', source: `runs:/${runId}/model`, run_id: runId });
  }

  it('set_registered_model_alias: GET registered-models/get, then POST alias', async () => {
    const { url } = await startTestServer();
    await registered(url);
    const got = await mlflowGet(url, `${API}/registered-models/get`, { name: 'clf' });
    expect(got.status).toBe(200);
    expect(got.body.registered_model.tags).toBeUndefined();
    expect(await mlflowPost(url, `${API}/registered-models/alias`, { name: 'clf', alias: 'champion', version: '3' })).toEqual({ status: 200, body: {} });
    expect((await mlflowGet(url, `${API}/registered-models/alias`, { name: 'clf', alias: 'champion' })).body.model_version).toMatchObject({ version: '3', aliases: ['champion'] });
  });

  it('transition_model_version_stage: GET registered-models/get, then POST transition-stage; a protected Production waits for approval', async () => {
    const { url, api } = await startTestServer();
    await registered(url);
    await api.call('registry.setProtection', { name: 'clf', aliases: [], stages: ['Production'] });
    expect((await mlflowGet(url, `${API}/registered-models/get`, { name: 'clf' })).status).toBe(200);
    const staged = await mlflowPost(url, `${API}/model-versions/transition-stage`, { name: 'clf', version: '3', stage: 'Staging', archive_existing_versions: false });
    expect(staged.body.model_version).toMatchObject({ version: '3', current_stage: 'Staging' });

    expect((await mlflowGet(url, `${API}/registered-models/get`, { name: 'clf' })).status).toBe(200);
    const held = await mlflowPost(url, `${API}/model-versions/transition-stage`, { name: 'clf', version: '3', stage: 'Production', archive_existing_versions: true });
    expect(held.status).toBe(403);
    expect(held.body.error_code).toBe('PERMISSION_DENIED');
    const requestId = /request (\d+) is pending/.exec(held.body.message as string)![1]!;
    expect((await api.call('registry.getRequest', { requestId })).request).toMatchObject({ name: 'clf', version: 3, kind: 'stage', target: 'Production', archiveExistingVersions: true });
    await api.call('registry.approveRequest', { requestId, comment: 'approved after review' });
    const again = await mlflowPost(url, `${API}/model-versions/transition-stage`, { name: 'clf', version: '3', stage: 'Production', archive_existing_versions: false });
    expect(again).toMatchObject({ status: 200, body: { model_version: { version: '3', current_stage: 'Production' } } });
  });
});

describe('mlflow.pyfunc.load_model (reference 8.11)', () => {
  async function registeredWithFiles(url: string) {
    const { runId, files } = await runWithModel(url);
    await ensureModel(url, 'clf');
    await createVersion(url, { name: 'clf', source: `runs:/${runId}/model`, run_id: runId });
    await createVersion(url, { name: 'clf', source: `runs:/${runId}/model`, run_id: runId });
    return files;
  }

  it('loads models:/clf@champion: alias, model, download URI, then listing and files byte for byte', async () => {
    const { url } = await startTestServer();
    const files = await registeredWithFiles(url);
    await mlflowPost(url, `${API}/registered-models/alias`, { name: 'clf', alias: 'champion', version: '2' });
    const byAlias = await mlflowGet(url, `${API}/registered-models/alias`, { name: 'clf', alias: 'champion' });
    const version = byAlias.body.model_version.version as string;
    expect(version).toBe('2');
    expect((await mlflowGet(url, `${API}/registered-models/get`, { name: 'clf' })).status).toBe(200);
    const { artifact_uri } = (await mlflowGet(url, `${API}/model-versions/get-download-uri`, { name: 'clf', version })).body;
    expect(artifact_uri).toMatch(/^mlflow-artifacts:\/0\/[0-9a-f]{32}\/artifacts\/model$/);
    expect(digests(await download(url, artifact_uri))).toEqual(digests(files));
  });

  it('loads models:/clf/1 and models:/clf/Production and models:/clf/latest through get-latest-versions', async () => {
    const { url, api } = await startTestServer();
    const files = await registeredWithFiles(url);
    await api.call('registry.setProtection', { name: 'clf', aliases: [], stages: [] });
    await mlflowPost(url, `${API}/model-versions/transition-stage`, { name: 'clf', version: '1', stage: 'Production', archive_existing_versions: false });
    const uris: string[] = [];
    uris.push((await mlflowGet(url, `${API}/model-versions/get-download-uri`, { name: 'clf', version: '1' })).body.artifact_uri);
    for (const stages of [['Production'], []]) {
      const latest = await mlflowPost(url, `${API}/registered-models/get-latest-versions`, { name: 'clf', stages });
      const versions = (latest.body.model_versions as { version: string }[]).map((v) => Number(v.version));
      const highest = String(Math.max(...versions));
      expect(highest).toBe(stages.length ? '1' : '2');
      uris.push((await mlflowGet(url, `${API}/model-versions/get-download-uri`, { name: 'clf', version: highest })).body.artifact_uri);
    }
    for (const uri of uris) expect(digests(await download(url, uri))).toEqual(digests(files));
  });
});
