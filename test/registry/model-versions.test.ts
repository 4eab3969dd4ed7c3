import { describe, expect, it } from 'vitest';
import { DEFAULT_ACTOR, modelWithVersions, registryFixture, type RegistryFixture } from './registry-fixture.ts';

async function loggedModel(f: RegistryFixture, sourceRunId?: string) {
  const { model } = await f.api.call('loggedModels.create', { experimentId: '0', name: 'clf', sourceRunId });
  return model.info;
}

describe('model versions', () => {
  it('are created from runs:/<run>/<path> as READY in stage None, naming their run and a concrete location', async () => {
    const f = await registryFixture();
    await f.api.call('registry.createModel', { name: 'm' });
    const { version } = await f.api.call('registry.createVersion', {
      name: 'm',
      source: `runs:/${f.runId}/model`,
      description: 'first',
      runLink: 'http://example/run',
      tags: [{ key: 'k', value: 'v' }],
    });
    expect(version).toEqual({
      name: 'm',
      version: 1,
      creationTimestamp: expect.any(Number),
      lastUpdatedTimestamp: version.creationTimestamp,
      userId: DEFAULT_ACTOR,
      currentStage: 'None',
      description: 'first',
      source: `runs:/${f.runId}/model`,
      runId: f.runId,
      runLink: 'http://example/run',
      status: 'READY',
      tags: [{ key: 'k', value: 'v' }],
      aliases: [],
    });
    expect(await f.api.call('registry.getVersion', { name: 'm', version: 1 })).toEqual({ version });
    expect(await f.api.call('registry.downloadUri', { name: 'm', version: 1 })).toEqual({ artifactUri: `mlflow-artifacts:/0/${f.runId}/artifacts/model` });
    expect(f.events).toContainEqual({ type: 'registry.changed', name: 'm', version: 1 });
  });

  it('number 1, 2, 3 per model and never reuse a deleted number', async () => {
    const f = await registryFixture();
    await modelWithVersions(f, 'm', 3);
    await modelWithVersions(f, 'other', 1);
    await f.api.call('registry.deleteVersion', { name: 'm', version: 3 });
    await f.api.call('registry.deleteVersion', { name: 'm', version: 2 });
    expect((await f.api.call('registry.createVersion', { name: 'm', source: `runs:/${f.runId}/model` })).version.version).toBe(4);
    await expect(f.api.call('registry.getVersion', { name: 'm', version: 3 })).rejects.toMatchObject({
      code: 'RESOURCE_DOES_NOT_EXIST',
      message: 'Model Version (name=m, version=3) not found',
    });
  });

  it('accept the artifact location the server assigned to a run, with or without run_id', async () => {
    const f = await registryFixture();
    await f.api.call('registry.createModel', { name: 'm' });
    const source = `mlflow-artifacts:/0/${f.runId}/artifacts/model`;
    const withRun = await f.api.call('registry.createVersion', { name: 'm', source, runId: f.runId });
    const without = await f.api.call('registry.createVersion', { name: 'm', source: `${source}/sub` });
    expect([withRun.version.runId, without.version.runId]).toEqual([f.runId, f.runId]);
    expect((await f.api.call('registry.downloadUri', { name: 'm', version: 2 })).artifactUri).toBe(`${source}/sub`);
  });

  it('refuse a run_id that disagrees with the source, and a run that does not exist', async () => {
    const f = await registryFixture();
    await f.api.call('registry.createModel', { name: 'm' });
    const { run } = await f.api.call('runs.create', {});
    await expect(f.api.call('registry.createVersion', { name: 'm', source: `runs:/${f.runId}/model`, runId: run.info.runId })).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
    await expect(
      f.api.call('registry.createVersion', { name: 'm', source: `mlflow-artifacts:/0/${f.runId}/artifacts/model`, runId: run.info.runId }),
    ).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
    await expect(f.api.call('registry.createVersion', { name: 'm', source: `runs:/${'0'.repeat(32)}/model` })).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
    await expect(f.api.call('registry.createVersion', { name: 'm', source: `models:/m-${'0'.repeat(32)}` })).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
    expect(await f.fd.catalog.db.selectFrom('model_versions').selectAll().execute()).toEqual([]);
  });

  it('are created from models:/<logged model id>: its location, its run, and the model lists the registration', async () => {
    const f = await registryFixture();
    const info = await loggedModel(f, f.runId);
    await f.api.call('registry.createModel', { name: 'm' });
    await f.api.call('registry.createModel', { name: 'n' });
    const { version } = await f.api.call('registry.createVersion', { name: 'm', source: `models:/${info.modelId}`, modelId: info.modelId });
    await f.api.call('registry.createVersion', { name: 'n', source: `models:/${info.modelId}` });
    expect(version).toMatchObject({ source: `models:/${info.modelId}`, modelId: info.modelId, runId: f.runId });
    expect((await f.api.call('registry.downloadUri', { name: 'm', version: 1 })).artifactUri).toBe(info.artifactUri);
    const { model } = await f.api.call('loggedModels.get', { modelId: info.modelId });
    expect(model.info.registrations).toEqual([
      { name: 'm', version: 1 },
      { name: 'n', version: 1 },
    ]);
    expect(model.info.tags).toContainEqual({
      key: 'mlflow.modelVersions',
      value: JSON.stringify([
        { name: 'm', version: 1 },
        { name: 'n', version: 1 },
      ]),
    });
    // Registrations follow a rename.
    await f.api.call('registry.renameModel', { name: 'n', newName: 'n2' });
    expect((await f.api.call('loggedModels.get', { modelId: info.modelId })).model.info.registrations).toContainEqual({ name: 'n2', version: 1 });
  });

  it('take model_id beside a runs:/ source, and refuse a model_id that disagrees with a models:/ source', async () => {
    const f = await registryFixture();
    const a = await loggedModel(f, f.runId);
    const b = await loggedModel(f);
    await f.api.call('registry.createModel', { name: 'm' });
    const { version } = await f.api.call('registry.createVersion', { name: 'm', source: `runs:/${f.runId}/model`, modelId: a.modelId });
    expect(version).toMatchObject({ modelId: a.modelId, runId: f.runId });
    await expect(f.api.call('registry.createVersion', { name: 'm', source: `models:/${a.modelId}`, modelId: b.modelId })).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
  });

  it('accept a logged model artifact location', async () => {
    const f = await registryFixture();
    const info = await loggedModel(f);
    await f.api.call('registry.createModel', { name: 'm' });
    const { version } = await f.api.call('registry.createVersion', { name: 'm', source: info.artifactUri });
    expect(version.modelId).toBe(info.modelId);
    expect((await f.api.call('registry.downloadUri', { name: 'm', version: 1 })).artifactUri).toBe(info.artifactUri);
  });

  it('are created from another version by models:/<name>/<version>, @alias, /<stage> and /latest', async () => {
    const f = await registryFixture();
    await modelWithVersions(f, 'src', 3);
    await f.api.call('registry.setAlias', { name: 'src', alias: 'champion', version: 2 });
    await f.api.call('registry.transitionStage', { name: 'src', version: 1, stage: 'Staging' });
    await f.api.call('registry.createModel', { name: 'copy' });
    for (const source of ['models:/src/2', 'models:/src@champion', 'models:/src/staging', 'models:/src/latest']) {
      await f.api.call('registry.createVersion', { name: 'copy', source });
    }
    const uris = [];
    for (const version of [1, 2, 3, 4]) uris.push((await f.api.call('registry.downloadUri', { name: 'copy', version })).artifactUri);
    expect(uris).toEqual(Array(4).fill(`mlflow-artifacts:/0/${f.runId}/artifacts/model`));
    await expect(f.api.call('registry.createVersion', { name: 'copy', source: 'models:/src/9' })).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
    await expect(f.api.call('registry.createVersion', { name: 'copy', source: 'models:/src/Production' })).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
    await expect(f.api.call('registry.createVersion', { name: 'copy', source: 'models:/src@nope' })).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
  });

  it('take a description, set and delete tags; deleting a missing tag is a no-op', async () => {
    const f = await registryFixture();
    await modelWithVersions(f, 'm', 1);
    const { version } = await f.api.call('registry.updateVersion', { name: 'm', version: 1, description: '## notes' });
    expect(version.description).toBe('## notes');
    await f.api.call('registry.setVersionTag', { name: 'm', version: 1, key: 'b', value: '1' });
    await f.api.call('registry.setVersionTag', { name: 'm', version: 1, key: 'a', value: '2' });
    await f.api.call('registry.deleteVersionTag', { name: 'm', version: 1, key: 'b' });
    await f.api.call('registry.deleteVersionTag', { name: 'm', version: 1, key: 'b' });
    expect((await f.api.call('registry.getVersion', { name: 'm', version: 1 })).version.tags).toEqual([{ key: 'a', value: '2' }]);
    await expect(f.api.call('registry.setVersionTag', { name: 'm', version: 2, key: 'a', value: '1' })).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
  });

  it('are deleted with their aliases and tags', async () => {
    const f = await registryFixture();
    await modelWithVersions(f, 'm', 2);
    await f.api.call('registry.setAlias', { name: 'm', alias: 'champion', version: 2 });
    await f.api.call('registry.setVersionTag', { name: 'm', version: 2, key: 'k', value: 'v' });
    await f.api.call('registry.deleteVersion', { name: 'm', version: 2 });
    expect((await f.api.call('registry.getModel', { name: 'm' })).model.aliases).toEqual([]);
    await expect(f.api.call('registry.getVersionByAlias', { name: 'm', alias: 'champion' })).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
    expect(await f.fd.catalog.db.selectFrom('model_version_tags').selectAll().execute()).toEqual([]);
  });

  it('are listed by the run they were made from, newest first (lineage both ways)', async () => {
    const f = await registryFixture();
    await modelWithVersions(f, 'a', 1);
    await modelWithVersions(f, 'b', 2);
    const { run } = await f.api.call('runs.create', {});
    await f.api.call('registry.createVersion', { name: 'a', source: `runs:/${run.info.runId}/model` });
    const { versions } = await f.api.call('registry.versionsOfRun', { runId: f.runId });
    expect(versions.map((v) => [v.name, v.version, v.runId])).toEqual([
      ['b', 2, f.runId],
      ['b', 1, f.runId],
      ['a', 1, f.runId],
    ]);
    expect((await f.api.call('registry.versionsOfRun', { runId: run.info.runId })).versions.map((v) => [v.name, v.version])).toEqual([['a', 2]]);
    expect((await f.api.call('registry.versionsOfRun', { runId: 'f'.repeat(32) })).versions).toEqual([]);
  });

  it('resolve models:/ URIs to a version and its location', async () => {
    const f = await registryFixture();
    await modelWithVersions(f, 'm', 3);
    await f.api.call('registry.setAlias', { name: 'm', alias: 'champion', version: 1 });
    await f.api.call('registry.setProtection', { name: 'm', aliases: [], stages: [] });
    await f.api.call('registry.transitionStage', { name: 'm', version: 2, stage: 'Production' });
    const resolved = async (uri: string) => (await f.api.call('registry.resolve', { uri })).version.version;
    expect(await resolved('models:/m/3')).toBe(3);
    expect(await resolved('models:/m@champion')).toBe(1);
    expect(await resolved('models:/m/Production')).toBe(2);
    expect(await resolved('models:/m/production')).toBe(2);
    expect(await resolved('models:/m/latest')).toBe(3);
    expect((await f.api.call('registry.resolve', { uri: 'models:/m/3' })).artifactUri).toBe(`mlflow-artifacts:/0/${f.runId}/artifacts/model`);
    for (const uri of ['models:/m', 'models:/', 'models:/m/3/x', 'models:/m/v3', 'runs:/x/y', 'models://m/3', 'models:/m@']) {
      await expect(f.api.call('registry.resolve', { uri })).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
    }
    await expect(f.api.call('registry.resolve', { uri: 'models:/m/Staging' })).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
  });
});

describe('model version search', () => {
  async function seeded() {
    const f = await registryFixture();
    await modelWithVersions(f, 'alpha', 2);
    await modelWithVersions(f, 'beta', 2);
    const { run } = await f.api.call('runs.create', {});
    await f.api.call('registry.createVersion', { name: 'beta', source: `runs:/${run.info.runId}/other` });
    await f.api.call('registry.setVersionTag', { name: 'alpha', version: 1, key: 'team', value: 'vision' });
    await f.api.call('registry.createModel', { name: 'prompt', tags: [{ key: 'mlflow.prompt.is_prompt', value: 'true' }] });
    // MLflow tags prompt versions as well as the prompt itself.
    await f.api.call('registry.createVersion', { name: 'prompt', source: `runs:/${f.runId}/prompt`, tags: [{ key: 'mlflow.prompt.is_prompt', value: 'true' }] });
    return { f, otherRun: run.info.runId };
  }
  const pairs = (r: { versions: { name: string; version: number }[] }) => r.versions.map((v) => `${v.name}/${v.version}`);

  it('orders newest update first by default and leaves prompts out', async () => {
    const { f } = await seeded();
    expect(pairs(await f.api.call('registry.searchVersions', {}))).toEqual(['alpha/1', 'beta/3', 'beta/2', 'beta/1', 'alpha/2']);
  });

  it('filters on name, run_id, version_number, source_path, current_stage and tags', async () => {
    const { f, otherRun } = await seeded();
    const search = async (filter: string, orderBy = ['name', 'version_number']) => pairs(await f.api.call('registry.searchVersions', { filter, orderBy }));
    expect(await search("name = 'alpha'")).toEqual(['alpha/1', 'alpha/2']);
    expect(await search(`run_id = '${otherRun}'`)).toEqual(['beta/3']);
    expect(await search(`run_id IN ('${otherRun}', '${f.runId}') AND name = 'beta'`)).toEqual(['beta/1', 'beta/2', 'beta/3']);
    expect(await search('version_number >= 2')).toEqual(['alpha/2', 'beta/2', 'beta/3']);
    expect(await search("source_path LIKE '%/other'")).toEqual(['beta/3']);
    expect(await search("current_stage = 'None' AND name ILIKE 'ALPHA'")).toEqual(['alpha/1', 'alpha/2']);
    expect(await search("tags.team = 'vision'")).toEqual(['alpha/1']);
    expect(await search("name = 'prompt' AND tags.`mlflow.prompt.is_prompt` != 'true'")).toEqual([]);
    expect(await search("tags.`mlflow.prompt.is_prompt` = 'true'")).toEqual(['prompt/1']);
  });

  it('pages through every version once', async () => {
    const { f } = await seeded();
    const seen: string[] = [];
    let pageToken: string | undefined;
    do {
      const page = await f.api.call('registry.searchVersions', { maxResults: 2, pageToken });
      seen.push(...pairs(page));
      pageToken = page.nextPageToken;
    } while (pageToken);
    expect(seen).toEqual(['alpha/1', 'beta/3', 'beta/2', 'beta/1', 'alpha/2']);
  });

  it('refuses an unknown attribute and a string compared with version_number', async () => {
    const { f } = await seeded();
    await expect(f.api.call('registry.searchVersions', { filter: "stage = 'x'" })).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
    await expect(f.api.call('registry.searchVersions', { filter: "version_number > '1'" })).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
  });
});
