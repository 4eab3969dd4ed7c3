import { describe, expect, it } from 'vitest';
import { addUser } from '#core/users/users.ts';
import { DEFAULT_ACTOR, modelWithVersions, registryFixture } from './registry-fixture.ts';

describe('registered models', () => {
  it('are created with description, tags and the creating user, nothing protected where there are no users', async () => {
    const f = await registryFixture();
    const { model } = await f.api.call('registry.createModel', { name: 'churn', description: '# Churn\nmodel', tags: [{ key: 'team', value: 'ml' }] });
    expect(model).toEqual({
      name: 'churn',
      creationTimestamp: expect.any(Number),
      lastUpdatedTimestamp: model.creationTimestamp,
      userId: DEFAULT_ACTOR,
      description: '# Churn\nmodel',
      latestVersions: [],
      tags: [{ key: 'team', value: 'ml' }],
      aliases: [],
    });
    expect(await f.api.call('registry.getModel', { name: 'churn' })).toEqual({ model });
    expect(await f.api.call('registry.getProtection', { name: 'churn' })).toEqual({ protection: { aliases: [], stages: [] } });
    expect(f.events).toContainEqual({ type: 'registry.changed', name: 'churn' });
  });

  it('start with alias production and stage Production protected once the catalog has users', async () => {
    const f = await registryFixture({ withUsers: true });
    await f.api.call('registry.createModel', { name: 'churn' });
    expect(await f.api.call('registry.getProtection', { name: 'churn' })).toEqual({ protection: { aliases: ['production'], stages: ['Production'] } });
  });

  it('made before the first user keep the protection they had', async () => {
    const f = await registryFixture();
    await f.api.call('registry.createModel', { name: 'early' });
    await addUser(f.fd.catalog, 'approver', 'approver', 1_600_000_000_000);
    expect(await f.api.call('registry.getProtection', { name: 'early' })).toEqual({ protection: { aliases: [], stages: [] } });
    await f.api.call('registry.createModel', { name: 'later' });
    expect(await f.api.call('registry.getProtection', { name: 'later' })).toEqual({ protection: { aliases: ['production'], stages: ['Production'] } });
  });

  it('record the actor named in the call instead of the OS user', async () => {
    const f = await registryFixture();
    const { model } = await f.api.call('registry.createModel', { name: 'm', actor: 'token:ci' });
    expect(model.userId).toBe('token:ci');
    const { entries } = await f.api.call('registry.history', { name: 'm' });
    expect(entries.map((e) => e.actor)).toEqual(['token:ci']);
  });

  it('refuse a duplicate name with RESOURCE_ALREADY_EXISTS and change nothing', async () => {
    const f = await registryFixture();
    await f.api.call('registry.createModel', { name: 'm', description: 'first' });
    await expect(f.api.call('registry.createModel', { name: 'm', description: 'second' })).rejects.toMatchObject({
      code: 'RESOURCE_ALREADY_EXISTS',
      message: 'Registered Model (name=m) already exists.',
    });
    expect((await f.api.call('registry.getModel', { name: 'm' })).model.description).toBe('first');
    expect((await f.api.call('registry.history', { name: 'm' })).entries).toHaveLength(1);
  });

  it.each(['', '   ', 'a/b', 'a@b', 'x'.repeat(257), 'a\nb'])('refuse the name %j', async (name) => {
    const f = await registryFixture();
    await expect(f.api.call('registry.createModel', { name })).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
  });

  it('refuse a tag with an invalid key or a value over 1 MiB, and keep a long one whole', async () => {
    const f = await registryFixture();
    await expect(f.api.call('registry.createModel', { name: 'm', tags: [{ key: '../x', value: 'v' }] })).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
    await f.api.call('registry.createModel', { name: 'm' });
    await expect(f.api.call('registry.setModelTag', { name: 'm', key: 'k', value: 'é'.repeat(512 * 1024 + 1) })).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
    await f.api.call('registry.setModelTag', { name: 'm', key: 'k', value: 'v'.repeat(200_000) });
    expect((await f.api.call('registry.getModel', { name: 'm' })).model.tags).toEqual([{ key: 'k', value: 'v'.repeat(200_000) }]);
  });

  it('answer RESOURCE_DOES_NOT_EXIST for a missing model on every call that names one', async () => {
    const f = await registryFixture();
    const missing = { code: 'RESOURCE_DOES_NOT_EXIST', message: 'Registered Model with name=nope not found' };
    await expect(f.api.call('registry.getModel', { name: 'nope' })).rejects.toMatchObject(missing);
    await expect(f.api.call('registry.renameModel', { name: 'nope', newName: 'x' })).rejects.toMatchObject(missing);
    await expect(f.api.call('registry.updateModel', { name: 'nope', description: 'd' })).rejects.toMatchObject(missing);
    await expect(f.api.call('registry.deleteModel', { name: 'nope' })).rejects.toMatchObject(missing);
    await expect(f.api.call('registry.setModelTag', { name: 'nope', key: 'k', value: 'v' })).rejects.toMatchObject(missing);
    await expect(f.api.call('registry.latestVersions', { name: 'nope' })).rejects.toMatchObject(missing);
    await expect(f.api.call('registry.createVersion', { name: 'nope', source: `runs:/${f.runId}/m` })).rejects.toMatchObject(missing);
    await expect(f.api.call('registry.setAlias', { name: 'nope', alias: 'a', version: 1 })).rejects.toMatchObject(missing);
  });

  it('rename with their versions and aliases following; the old name is gone', async () => {
    const f = await registryFixture();
    await modelWithVersions(f, 'old', 2);
    await f.api.call('registry.setAlias', { name: 'old', alias: 'champion', version: 2 });
    const { model } = await f.api.call('registry.renameModel', { name: 'old', newName: 'new' });
    expect(model.name).toBe('new');
    expect(model.aliases).toEqual([{ alias: 'champion', version: 2 }]);
    expect(model.latestVersions.map((v) => [v.name, v.version])).toEqual([['new', 2]]);
    expect((await f.api.call('registry.getVersion', { name: 'new', version: 1 })).version.name).toBe('new');
    expect((await f.api.call('registry.getVersionByAlias', { name: 'new', alias: 'champion' })).version.version).toBe(2);
    expect((await f.api.call('registry.searchVersions', { filter: "name = 'new'" })).versions).toHaveLength(2);
    await expect(f.api.call('registry.getModel', { name: 'old' })).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
    expect(f.events).toContainEqual({ type: 'registry.changed', name: 'new', previousName: 'old' });
    // Numbering continues under the new name.
    expect((await f.api.call('registry.createVersion', { name: 'new', source: `runs:/${f.runId}/model` })).version.version).toBe(3);
  });

  it('refuse renaming onto a taken name', async () => {
    const f = await registryFixture();
    await f.api.call('registry.createModel', { name: 'a' });
    await f.api.call('registry.createModel', { name: 'b' });
    await expect(f.api.call('registry.renameModel', { name: 'a', newName: 'b' })).rejects.toMatchObject({ code: 'RESOURCE_ALREADY_EXISTS' });
    expect((await f.api.call('registry.getModel', { name: 'a' })).model.name).toBe('a');
  });

  it('take a markdown description and bump their update time', async () => {
    const f = await registryFixture();
    const { model: before } = await f.api.call('registry.createModel', { name: 'm' });
    expect(before.description).toBeUndefined();
    const { model } = await f.api.call('registry.updateModel', { name: 'm', description: '**bold**' });
    expect(model.description).toBe('**bold**');
    expect(model.lastUpdatedTimestamp).toBeGreaterThan(before.lastUpdatedTimestamp);
  });

  it('set, replace and delete tags; deleting a missing tag is a no-op', async () => {
    const f = await registryFixture();
    await f.api.call('registry.createModel', { name: 'm' });
    await f.api.call('registry.setModelTag', { name: 'm', key: 'b', value: '1' });
    await f.api.call('registry.setModelTag', { name: 'm', key: 'a', value: '1' });
    await f.api.call('registry.setModelTag', { name: 'm', key: 'b', value: '2' });
    expect((await f.api.call('registry.getModel', { name: 'm' })).model.tags).toEqual([
      { key: 'a', value: '1' },
      { key: 'b', value: '2' },
    ]);
    await f.api.call('registry.deleteModelTag', { name: 'm', key: 'a' });
    await f.api.call('registry.deleteModelTag', { name: 'm', key: 'a' });
    expect((await f.api.call('registry.getModel', { name: 'm' })).model.tags).toEqual([{ key: 'b', value: '2' }]);
  });

  it('are deleted with versions, tags and aliases; a new model of the same name starts at version 1', async () => {
    const f = await registryFixture();
    await modelWithVersions(f, 'm', 2);
    await f.api.call('registry.setAlias', { name: 'm', alias: 'champion', version: 1 });
    await f.api.call('registry.deleteModel', { name: 'm' });
    await expect(f.api.call('registry.getModel', { name: 'm' })).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
    for (const table of ['model_versions', 'model_version_tags', 'registered_model_aliases', 'registered_model_tags', 'registry_protections'] as const) {
      expect(await f.fd.catalog.db.selectFrom(table).selectAll().execute()).toEqual([]);
    }
    await f.api.call('registry.createModel', { name: 'm' });
    expect((await f.api.call('registry.createVersion', { name: 'm', source: `runs:/${f.runId}/model` })).version.version).toBe(1);
  });

  it('list the newest version in each stage, in stage order, as latest versions', async () => {
    const f = await registryFixture();
    await modelWithVersions(f, 'm', 5);
    await f.api.call('registry.setProtection', { name: 'm', aliases: [], stages: [] });
    await f.api.call('registry.transitionStage', { name: 'm', version: 1, stage: 'Production' });
    await f.api.call('registry.transitionStage', { name: 'm', version: 2, stage: 'Production' });
    await f.api.call('registry.transitionStage', { name: 'm', version: 3, stage: 'Staging' });
    await f.api.call('registry.transitionStage', { name: 'm', version: 4, stage: 'Archived' });
    const latest = (stages?: string[]) => f.api.call('registry.latestVersions', { name: 'm', stages }).then((r) => r.versions.map((v) => [v.currentStage, v.version]));
    expect(await latest()).toEqual([
      ['None', 5],
      ['Staging', 3],
      ['Production', 2],
      ['Archived', 4],
    ]);
    expect(await latest(['production', 'STAGING'])).toEqual([
      ['Production', 2],
      ['Staging', 3],
    ]);
    expect((await f.api.call('registry.getModel', { name: 'm' })).model.latestVersions.map((v) => v.version)).toEqual([5, 3, 2, 4]);
    await expect(f.api.call('registry.latestVersions', { name: 'm', stages: ['Prod'] })).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
  });
});

describe('registered model search', () => {
  async function seeded() {
    const f = await registryFixture();
    for (const name of ['beta', 'alpha', 'Gamma', 'delta']) await f.api.call('registry.createModel', { name });
    await f.api.call('registry.setModelTag', { name: 'alpha', key: 'team', value: 'vision' });
    await f.api.call('registry.setModelTag', { name: 'beta', key: 'team', value: 'nlp' });
    await f.api.call('registry.createModel', { name: 'my-prompt', tags: [{ key: 'mlflow.prompt.is_prompt', value: 'true' }] });
    await f.api.call('registry.createModel', { name: 'not-prompt', tags: [{ key: 'mlflow.prompt.is_prompt', value: 'false' }] });
    return f;
  }
  const names = (r: { models: { name: string }[] }) => r.models.map((m) => m.name);

  it('orders by name by default and leaves prompts out', async () => {
    const f = await seeded();
    expect(names(await f.api.call('registry.searchModels', {}))).toEqual(['Gamma', 'alpha', 'beta', 'delta', 'not-prompt']);
  });

  it.each([
    ["name = 'alpha'", ['alpha']],
    ["name LIKE '%ta'", ['beta', 'delta']],
    ["name ILIKE 'g%'", ['Gamma']],
    ["tags.team = 'vision'", ['alpha']],
    ["tag.team != 'vision'", ['beta']],
    // What clients from 2.21 on append to every search: a missing tag counts as not 'true'.
    ["name LIKE '%' AND tag.`mlflow.prompt.is_prompt` != 'true'", ['Gamma', 'alpha', 'beta', 'delta', 'not-prompt']],
    ["tags.`mlflow.prompt.is_prompt` = 'true'", ['my-prompt']],
    ["tags.`mlflow.prompt.is_prompt` != 'false'", ['my-prompt']],
  ])('filters %s', async (filter, expected) => {
    const f = await seeded();
    expect(names(await f.api.call('registry.searchModels', { filter }))).toEqual(expected);
  });

  it('orders by name descending or by update time, and pages with tokens until the last page', async () => {
    const f = await seeded();
    expect(names(await f.api.call('registry.searchModels', { orderBy: ['name DESC'] }))).toEqual(['not-prompt', 'delta', 'beta', 'alpha', 'Gamma']);
    expect(names(await f.api.call('registry.searchModels', { orderBy: ['last_updated_timestamp DESC'] }))).toEqual(['not-prompt', 'beta', 'alpha', 'delta', 'Gamma']);
    const first = await f.api.call('registry.searchModels', { maxResults: 2 });
    const second = await f.api.call('registry.searchModels', { maxResults: 2, pageToken: first.nextPageToken });
    const third = await f.api.call('registry.searchModels', { maxResults: 2, pageToken: second.nextPageToken });
    expect([...names(first), ...names(second), ...names(third)]).toEqual(['Gamma', 'alpha', 'beta', 'delta', 'not-prompt']);
    expect(third.nextPageToken).toBeUndefined();
  });

  it('refuses unknown attributes, metrics and more than 1000 results per page', async () => {
    const f = await seeded();
    await expect(f.api.call('registry.searchModels', { filter: "status = 'x'" })).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
    await expect(f.api.call('registry.searchModels', { filter: 'metrics.acc > 1' })).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
    await expect(f.api.call('registry.searchModels', { maxResults: 1001 })).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
  });
});
