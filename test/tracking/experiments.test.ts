import { describe, expect, it } from 'vitest';
import { testFlowdesk } from '../helpers/flowdesk.ts';

describe('experiments', () => {
  it('has the Default experiment 0, active, with a server-assigned location', async () => {
    const { api } = await testFlowdesk();
    const { experiment } = await api.call('experiments.get', { experimentId: '0' });
    expect(experiment).toMatchObject({ experimentId: '0', name: 'Default', lifecycleStage: 'active', artifactLocation: 'mlflow-artifacts:/0' });
  });

  it('creates an experiment with tags and finds it by id and by name', async () => {
    const { api } = await testFlowdesk();
    const { experimentId } = await api.call('experiments.create', { name: 'vision', tags: [{ key: 'team', value: 'cv' }] });
    const byId = await api.call('experiments.get', { experimentId });
    const byName = await api.call('experiments.getByName', { name: 'vision' });
    expect(byId.experiment).toEqual(byName.experiment);
    expect(byId.experiment.artifactLocation).toBe(`mlflow-artifacts:/${experimentId}`);
    expect(byId.experiment.tags).toEqual([{ key: 'team', value: 'cv' }]);
  });

  it('refuses a duplicate name, also of a deleted experiment', async () => {
    const { api } = await testFlowdesk();
    const { experimentId } = await api.call('experiments.create', { name: 'dup' });
    await expect(api.call('experiments.create', { name: 'dup' })).rejects.toMatchObject({ code: 'RESOURCE_ALREADY_EXISTS' });
    await api.call('experiments.delete', { experimentId });
    await expect(api.call('experiments.create', { name: 'dup' })).rejects.toMatchObject({ code: 'RESOURCE_ALREADY_EXISTS' });
  });

  it('rejects empty and overlong names', async () => {
    const { api } = await testFlowdesk();
    await expect(api.call('experiments.create', { name: '' })).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
    await expect(api.call('experiments.create', { name: 'x'.repeat(501) })).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
  });

  it('answers RESOURCE_DOES_NOT_EXIST for unknown ids and names', async () => {
    const { api } = await testFlowdesk();
    await expect(api.call('experiments.get', { experimentId: '999' })).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
    await expect(api.call('experiments.get', { experimentId: 'abc' })).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
    await expect(api.call('experiments.getByName', { name: 'nope' })).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
  });

  it('renames an active experiment and refuses renaming a deleted one or onto a taken name', async () => {
    const { api } = await testFlowdesk();
    const a = await api.call('experiments.create', { name: 'a' });
    await api.call('experiments.create', { name: 'b' });
    await api.call('experiments.rename', { experimentId: a.experimentId, newName: 'a2' });
    expect((await api.call('experiments.get', { experimentId: a.experimentId })).experiment.name).toBe('a2');
    await expect(api.call('experiments.rename', { experimentId: a.experimentId, newName: 'b' })).rejects.toMatchObject({ code: 'RESOURCE_ALREADY_EXISTS' });
    await api.call('experiments.delete', { experimentId: a.experimentId });
    await expect(api.call('experiments.rename', { experimentId: a.experimentId, newName: 'a3' })).rejects.toMatchObject({ code: 'INVALID_STATE' });
  });

  it('deletes an experiment with its runs and restores exactly the runs deleted with it', async () => {
    const { api } = await testFlowdesk({ now: (() => { let t = 1_000; return () => ++t; })() });
    const { experimentId } = await api.call('experiments.create', { name: 'e' });
    const early = (await api.call('runs.create', { experimentId })).run.info.runId;
    const kept = (await api.call('runs.create', { experimentId })).run.info.runId;
    await api.call('runs.delete', { runId: early });
    await api.call('experiments.delete', { experimentId });
    expect((await api.call('runs.get', { runId: kept })).run.info.lifecycleStage).toBe('deleted');
    await expect(api.call('runs.logParam', { runId: kept, key: 'a', value: '1' })).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
    await expect(api.call('runs.create', { experimentId })).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
    await api.call('experiments.restore', { experimentId });
    expect((await api.call('experiments.get', { experimentId })).experiment.lifecycleStage).toBe('active');
    expect((await api.call('runs.get', { runId: kept })).run.info.lifecycleStage).toBe('active');
    expect((await api.call('runs.get', { runId: early })).run.info.lifecycleStage).toBe('deleted');
  });

  it('refuses to delete the Default experiment', async () => {
    const { api } = await testFlowdesk();
    await expect(api.call('experiments.delete', { experimentId: '0' })).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
    expect((await api.call('experiments.get', { experimentId: '0' })).experiment.lifecycleStage).toBe('active');
  });

  it('sets, replaces and deletes experiment tags; deleting a missing tag is RESOURCE_DOES_NOT_EXIST', async () => {
    const { api } = await testFlowdesk();
    const { experimentId } = await api.call('experiments.create', { name: 't' });
    await api.call('experiments.setTag', { experimentId, key: 'k', value: 'v1' });
    await api.call('experiments.setTag', { experimentId, key: 'k', value: 'v2' });
    expect((await api.call('experiments.get', { experimentId })).experiment.tags).toEqual([{ key: 'k', value: 'v2' }]);
    await api.call('experiments.deleteTag', { experimentId, key: 'k' });
    expect((await api.call('experiments.get', { experimentId })).experiment.tags).toEqual([]);
    await expect(api.call('experiments.deleteTag', { experimentId, key: 'k' })).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
    await expect(api.call('experiments.setTag', { experimentId, key: 'bad//key', value: 'v' })).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
    await expect(api.call('experiments.setTag', { experimentId, key: 'k', value: 'x'.repeat(1024 * 1024 + 1) })).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
    await api.call('experiments.setTag', { experimentId, key: 'k', value: 'x'.repeat(20_000) });
    expect((await api.call('experiments.get', { experimentId })).experiment.tags[0]!.value).toHaveLength(20_000);
  });

  it('rejects input of the wrong type with INVALID_PARAMETER_VALUE naming the field', async () => {
    const { api } = await testFlowdesk();
    await expect(api.call('experiments.create', { name: 42 } as never)).rejects.toThrow(/name/);
    await expect(api.call('experiments.create', { name: 42 } as never)).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
  });
});
