/**
 * A version's source must name something the server assigned. Sources pointing at the
 * filesystem, at another store, or climbing out of a run's or logged model's artifacts are
 * refused with INVALID_PARAMETER_VALUE, and nothing is written: no version, no number used up,
 * no history entry, no logged-model tag.
 */
import { describe, expect, it } from 'vitest';
import { HOSTILE_PATHS } from '../artifacts/hostile-paths.ts';
import { registryFixture, type RegistryFixture } from './registry-fixture.ts';

/** Every row of every table a version creation writes to. */
async function registryState(f: RegistryFixture) {
  const db = f.fd.catalog.db;
  return {
    models: await db.selectFrom('registered_models').selectAll().execute(),
    versions: await db.selectFrom('model_versions').selectAll().execute(),
    versionTags: await db.selectFrom('model_version_tags').selectAll().execute(),
    history: await db.selectFrom('registry_history').selectAll().execute(),
    loggedModelTags: await db.selectFrom('logged_model_tags').selectAll().execute(),
  };
}

/** Tries every source on one model; answers each source's error code ('created' if it was accepted). */
async function outcomes(f: RegistryFixture, sources: readonly string[], extra: { runId?: string; modelId?: string } = {}) {
  const result: Record<string, string> = {};
  for (const source of sources) {
    try {
      await f.api.call('registry.createVersion', { name: 'm', source, tags: [{ key: 'k', value: 'v' }], ...extra });
      result[source] = 'created';
    } catch (err) {
      result[source] = (err as { code: string }).code;
    }
  }
  return result;
}

const allInvalid = (sources: readonly string[]) => Object.fromEntries(sources.map((s) => [s, 'INVALID_PARAMETER_VALUE']));

describe('model version sources outside the server artifact store', () => {
  async function setUp() {
    const f = await registryFixture();
    await f.api.call('registry.createModel', { name: 'm' });
    const { model } = await f.api.call('loggedModels.create', { experimentId: '0', name: 'clf', sourceRunId: f.runId });
    return { f, modelId: model.info.modelId };
  }

  it('are refused when they name the filesystem or another store, and nothing is written', async () => {
    const { f } = await setUp();
    const run = f.runId;
    const sources = [
      'file:///etc',
      'file:///etc/passwd',
      'file:/etc/passwd',
      'file://localhost/etc/passwd',
      '/etc/passwd',
      'etc/passwd',
      'model',
      '',
      '~/.ssh/id_rsa',
      '../x',
      'C:\\Windows\\System32',
      'c:/x',
      '\\\\server\\share\\x',
      's3://x',
      's3://bucket/key',
      'gs://bucket/key',
      'wasbs://c@a.blob.core.windows.net/x',
      'hdfs://namenode/x',
      'dbfs:/x',
      'ftp://host/x',
      'http://127.0.0.1:5000/api/2.0/mlflow-artifacts/artifacts/0',
      'https://evil.example/x',
      `RUNS:/${run}/model`,
      `runs%3A/${run}/model`,
      `Mlflow-Artifacts:/0/${run}/artifacts/model`,
      ` runs:/${run}/model`,
    ];
    const before = await registryState(f);
    expect(await outcomes(f, sources)).toEqual(allInvalid(sources));
    expect(await registryState(f)).toEqual(before);
  });

  it('are refused when they climb out of a run, plain or percent-encoded, and nothing is written', async () => {
    const { f } = await setUp();
    const run = f.runId;
    const sources = [
      `runs:/${run}/../../x`,
      `runs:/${run}/../${'0'.repeat(32)}/artifacts`,
      `runs:/${run}/model/../../../..`,
      `runs:/${run}/%2e%2e/%2e%2e/x`,
      `runs:/${run}/%2E%2E%2F%2E%2E%2Fx`,
      `runs:/${run}/%252e%252e/%252e%252e/x`,
      `runs:/${run}//etc/passwd`,
      `runs:/${run}/%2fetc%2fpasswd`,
      `runs:/${run}/..\\..\\x`,
      `runs:/${run}%2F..%2F..%2Fx`,
      'runs:/../../x',
      'runs:/%2e%2e/x',
      'runs:/',
      ...HOSTILE_PATHS.map((p) => `runs:/${run}/${p.replaceAll('{abs}', 'etc')}`),
    ];
    const before = await registryState(f);
    expect(await outcomes(f, sources)).toEqual(allInvalid(sources));
    expect(await registryState(f)).toEqual(before);
  });

  it('are refused when an mlflow-artifacts:/ location is not inside a run or logged model of this server', async () => {
    const { f, modelId } = await setUp();
    const run = f.runId;
    const sources = [
      'mlflow-artifacts:/../../x',
      'mlflow-artifacts:/%2e%2e/%2e%2e/x',
      'mlflow-artifacts:/%252e%252e/x',
      'mlflow-artifacts:/etc/passwd',
      'mlflow-artifacts:///etc/passwd',
      `mlflow-artifacts://evil.example/0/${run}/artifacts/model`,
      'mlflow-artifacts:/',
      'mlflow-artifacts:/0',
      `mlflow-artifacts:/0/${run}`,
      `mlflow-artifacts:/0/${run}/other`,
      `mlflow-artifacts:/0/${run}/artifacts/../../x`,
      `mlflow-artifacts:/0/${run}/artifacts/%2e%2e/%2e%2e/%2e%2e/x`,
      `mlflow-artifacts:/0/${run}/artifacts/model/%252e%252e/%252e%252e/%252e%252e/%252e%252e/x`,
      `mlflow-artifacts:/1/${run}/artifacts/model`,
      `mlflow-artifacts:/0/${'0'.repeat(32)}/artifacts/model`,
      `mlflow-artifacts:/0/models/m-${'0'.repeat(32)}/artifacts`,
      `mlflow-artifacts:/0/models/${modelId}`,
      `mlflow-artifacts:/0/models/${modelId}/artifacts/../../../x`,
      ...HOSTILE_PATHS.map((p) => `mlflow-artifacts:/${p.replaceAll('{abs}', 'etc')}`),
      ...HOSTILE_PATHS.map((p) => `mlflow-artifacts:/0/${run}/artifacts/${p.replaceAll('{abs}', 'etc')}`),
    ];
    const before = await registryState(f);
    expect(await outcomes(f, sources)).toEqual(allInvalid(sources));
    expect(await registryState(f)).toEqual(before);
  });

  it('are refused when a models:/ URI is malformed', async () => {
    const { f } = await setUp();
    const sources = ['models:/', 'models://m/1', 'models:/..', 'models:/../../x', 'models:/m/..', 'models:/m/1/../x', 'models:/m@', 'models:/m@a/b', 'models:/%2e%2e'];
    const before = await registryState(f);
    expect(await outcomes(f, sources)).toEqual(allInvalid(sources));
    expect(await registryState(f)).toEqual(before);
  });

  it('are refused with a run_id or model_id that names nothing, and nothing is written', async () => {
    const { f } = await setUp();
    const before = await registryState(f);
    expect(await outcomes(f, [`runs:/${f.runId}/model`], { runId: '0'.repeat(32) })).toEqual({ [`runs:/${f.runId}/model`]: 'INVALID_PARAMETER_VALUE' });
    expect(await outcomes(f, [`models:/m/1`], { runId: '0'.repeat(32) })).toEqual({ 'models:/m/1': 'RESOURCE_DOES_NOT_EXIST' });
    expect(await outcomes(f, [`runs:/${f.runId}/model`], { modelId: `m-${'0'.repeat(32)}` })).toEqual({ [`runs:/${f.runId}/model`]: 'RESOURCE_DOES_NOT_EXIST' });
    expect(await registryState(f)).toEqual(before);
  });

  it('after all refusals, the next good source still gets version 1', async () => {
    const { f, modelId } = await setUp();
    await outcomes(f, ['file:///etc', `runs:/${f.runId}/../../x`, 'mlflow-artifacts:/../../x', `mlflow-artifacts:/0/models/${modelId}/artifacts/../x`]);
    const { version } = await f.api.call('registry.createVersion', { name: 'm', source: `runs:/${f.runId}/model` });
    expect(version.version).toBe(1);
  });
});

describe('prompt versions (MLflow 3 prompt registry)', () => {
  const PROMPT = { key: 'mlflow.prompt.is_prompt', value: 'true' };

  async function setUp() {
    const f = await registryFixture();
    await f.api.call('registry.createModel', { name: 'greeting', tags: [PROMPT] });
    await f.api.call('registry.createModel', { name: 'm' });
    return f;
  }

  it('keep the placeholder source the client sends and have no files', async () => {
    const f = await setUp();
    const { version } = await f.api.call('registry.createVersion', { name: 'greeting', source: 'dummy-source', tags: [PROMPT, { key: 'mlflow.prompt.text', value: 'Hello {{name}}!' }] });
    expect([version.version, version.source]).toEqual([1, 'dummy-source']);
    await expect(f.api.call('registry.downloadUri', { name: 'greeting', version: 1 })).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
    await expect(f.api.call('registry.resolve', { uri: 'models:/greeting/1' })).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
    expect(await outcomes(f, ['models:/greeting/1'])).toEqual({ 'models:/greeting/1': 'INVALID_PARAMETER_VALUE' });
  });

  it('need the prompt tag on both the model and the version', async () => {
    const f = await setUp();
    await expect(f.api.call('registry.createVersion', { name: 'm', source: 'dummy-source', tags: [PROMPT] })).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
    await expect(f.api.call('registry.createVersion', { name: 'greeting', source: 'dummy-source' })).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
  });
});
