import { describe, expect, it } from 'vitest';
import { modelWithVersions, registryFixture } from './registry-fixture.ts';

describe('aliases', () => {
  it('are set, moved and deleted; the model and its versions list them', async () => {
    const f = await registryFixture();
    await modelWithVersions(f, 'm', 3);
    expect(await f.api.call('registry.setAlias', { name: 'm', alias: 'champion', version: 1 })).toEqual({});
    await f.api.call('registry.setAlias', { name: 'm', alias: 'challenger', version: 1 });
    expect((await f.api.call('registry.getVersion', { name: 'm', version: 1 })).version.aliases).toEqual(['challenger', 'champion']);
    await f.api.call('registry.setAlias', { name: 'm', alias: 'champion', version: 3 });
    expect((await f.api.call('registry.getModel', { name: 'm' })).model.aliases).toEqual([
      { alias: 'challenger', version: 1 },
      { alias: 'champion', version: 3 },
    ]);
    expect((await f.api.call('registry.getVersionByAlias', { name: 'm', alias: 'champion' })).version.version).toBe(3);
    await f.api.call('registry.deleteAlias', { name: 'm', alias: 'champion' });
    await f.api.call('registry.deleteAlias', { name: 'm', alias: 'champion' });
    await expect(f.api.call('registry.getVersionByAlias', { name: 'm', alias: 'champion' })).rejects.toMatchObject({
      code: 'RESOURCE_DOES_NOT_EXIST',
      message: 'Registered model alias champion not found.',
    });
    const kinds = (await f.api.call('registry.history', { name: 'm' })).entries.map((e) => e.kind).filter((k) => k.startsWith('alias.'));
    expect(kinds).toEqual(['alias.set', 'alias.set', 'alias.moved', 'alias.deleted']);
  });

  it('need an existing version', async () => {
    const f = await registryFixture();
    await modelWithVersions(f, 'm', 1);
    await expect(f.api.call('registry.setAlias', { name: 'm', alias: 'a', version: 2 })).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
  });

  it.each(['', 'latest', 'LATEST', 'v1', 'V12', 'a b', 'a.b', 'a/b', 'x'.repeat(256)])('refuse %j', async (alias) => {
    const f = await registryFixture();
    await modelWithVersions(f, 'm', 1);
    await expect(f.api.call('registry.setAlias', { name: 'm', alias, version: 1 })).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
  });

  it.each(['champion', 'prod-2024', 'v1a', 'vx', 'über', 'x'.repeat(255)])('accept %j', async (alias) => {
    const f = await registryFixture();
    await modelWithVersions(f, 'm', 1);
    await f.api.call('registry.setAlias', { name: 'm', alias, version: 1 });
    expect((await f.api.call('registry.getVersionByAlias', { name: 'm', alias })).version.version).toBe(1);
  });
});

describe('stages', () => {
  async function unprotected() {
    const f = await registryFixture();
    await modelWithVersions(f, 'm', 3);
    await f.api.call('registry.setProtection', { name: 'm', aliases: [], stages: [] });
    return f;
  }

  it('move a version in any spelling of a stage, stored canonical', async () => {
    const f = await unprotected();
    const { version, request } = await f.api.call('registry.transitionStage', { name: 'm', version: 1, stage: 'staging' });
    expect(request).toBeUndefined();
    expect(version.currentStage).toBe('Staging');
    for (const [stage, canonical] of [['PRODUCTION', 'Production'], ['archived', 'Archived'], ['none', 'None']]) {
      expect((await f.api.call('registry.transitionStage', { name: 'm', version: 1, stage: stage! })).version.currentStage).toBe(canonical);
    }
  });

  it('refuse an unknown stage', async () => {
    const f = await unprotected();
    await expect(f.api.call('registry.transitionStage', { name: 'm', version: 1, stage: 'Prod' })).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
  });

  it('archive the other versions of the stage when asked', async () => {
    const f = await unprotected();
    await f.api.call('registry.transitionStage', { name: 'm', version: 1, stage: 'Production' });
    await f.api.call('registry.transitionStage', { name: 'm', version: 2, stage: 'Production' });
    await f.api.call('registry.transitionStage', { name: 'm', version: 3, stage: 'Production', archiveExistingVersions: true });
    const stages = [];
    for (const version of [1, 2, 3]) stages.push((await f.api.call('registry.getVersion', { name: 'm', version })).version.currentStage);
    expect(stages).toEqual(['Archived', 'Archived', 'Production']);
  });

  it('leave the other versions alone without archive_existing_versions', async () => {
    const f = await unprotected();
    await f.api.call('registry.transitionStage', { name: 'm', version: 1, stage: 'Staging' });
    await f.api.call('registry.transitionStage', { name: 'm', version: 2, stage: 'Staging', archiveExistingVersions: false });
    expect((await f.api.call('registry.getVersion', { name: 'm', version: 1 })).version.currentStage).toBe('Staging');
  });

  it.each(['None', 'Archived'])('refuse archive_existing_versions for %s', async (stage) => {
    const f = await unprotected();
    await expect(f.api.call('registry.transitionStage', { name: 'm', version: 1, stage, archiveExistingVersions: true })).rejects.toMatchObject({
      code: 'INVALID_PARAMETER_VALUE',
    });
    expect((await f.api.call('registry.getVersion', { name: 'm', version: 1 })).version.currentStage).toBe('None');
  });
});
