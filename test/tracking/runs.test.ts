import { describe, expect, it } from 'vitest';
import { testFlowdesk } from '../helpers/flowdesk.ts';

describe('runs', () => {
  it('creates a RUNNING run with a 32-hex id, a name tag and a server-assigned artifact URI', async () => {
    const { api } = await testFlowdesk();
    const { run } = await api.call('runs.create', { experimentId: '0', runName: 'first', startTime: 1234 });
    expect(run.info.runId).toMatch(/^[0-9a-f]{32}$/);
    expect(run.info).toMatchObject({ runName: 'first', status: 'RUNNING', startTime: 1234, lifecycleStage: 'active', experimentId: '0' });
    expect(run.info.endTime).toBeUndefined();
    expect(run.info.artifactUri).toBe(`mlflow-artifacts:/0/${run.info.runId}/artifacts`);
    expect(run.data.tags).toContainEqual({ key: 'mlflow.runName', value: 'first' });
  });

  it('names a run from the mlflow.runName tag, or gives it a random name', async () => {
    const { api } = await testFlowdesk();
    const tagged = await api.call('runs.create', { tags: [{ key: 'mlflow.runName', value: 'from-tag' }] });
    expect(tagged.run.info.runName).toBe('from-tag');
    const anonymous = await api.call('runs.create', {});
    expect(anonymous.run.info.runName).toMatch(/^[a-z]+-[a-z]+-\d+$/);
    await expect(api.call('runs.create', { runName: 'a', tags: [{ key: 'mlflow.runName', value: 'b' }] })).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
  });

  it('keeps system tags (user, source, git commit) and the parent of a nested run', async () => {
    const { api } = await testFlowdesk();
    const parent = (await api.call('runs.create', {})).run.info.runId;
    const tags = [
      { key: 'mlflow.user', value: 'ada' },
      { key: 'mlflow.source.name', value: 'train.py' },
      { key: 'mlflow.source.git.commit', value: 'abc123' },
      { key: 'mlflow.parentRunId', value: parent },
    ];
    const { run } = await api.call('runs.create', { tags });
    expect(run.info.userId).toBe('ada');
    for (const tag of tags) expect(run.data.tags).toContainEqual(tag);
  });

  it('answers runs.create with the run as runs.get reads it back, its tags in SQLite\'s byte order', async () => {
    const { api } = await testFlowdesk();
    // Upper before lower case, U+FF21 (a BMP letter above the surrogates) before U+1D400 (an astral
    // one), which UTF-16 code units would order the other way; a repeated key keeps its last value.
    const tags = ['b', 'B', 'a', '\uff21', '\u{1d400}', 'é', 'mlflow.source.name', 'b'].map((key, i) => ({ key, value: `v${i}` }));
    const { run } = await api.call('runs.create', { experimentId: '0', runName: 'ordered', tags, startTime: 5 });
    const { outputs, ...read } = (await api.call('runs.get', { runId: run.info.runId })).run;
    expect(outputs).toEqual({ modelOutputs: [] });
    expect(read.inputs.modelInputs).toEqual([]);
    delete read.inputs.modelInputs;
    expect(JSON.stringify(run)).toBe(JSON.stringify(read));
    expect(run.data.tags.map((t) => t.key)).toEqual(['B', 'a', 'b', 'mlflow.runName', 'mlflow.source.name', 'é', '\uff21', '\u{1d400}']);
    expect(run.data.tags.find((t) => t.key === 'b')?.value).toBe('v7');
  });

  it('refuses runs in unknown experiments', async () => {
    const { api } = await testFlowdesk();
    await expect(api.call('runs.create', { experimentId: '77' })).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
    await expect(api.call('runs.get', { runId: 'f'.repeat(32) })).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
  });

  it('updates status, end time and name; absent fields stay; the name tag follows', async () => {
    const { api } = await testFlowdesk();
    const runId = (await api.call('runs.create', { runName: 'old' })).run.info.runId;
    const { runInfo } = await api.call('runs.update', { runId, status: 'FINISHED', endTime: 99 });
    expect(runInfo).toMatchObject({ status: 'FINISHED', endTime: 99, runName: 'old' });
    await api.call('runs.update', { runId, runName: 'new' });
    const { run } = await api.call('runs.get', { runId });
    expect(run.info).toMatchObject({ runName: 'new', status: 'FINISHED', endTime: 99 });
    expect(run.data.tags).toContainEqual({ key: 'mlflow.runName', value: 'new' });
  });

  it('renames the run when the mlflow.runName tag is set', async () => {
    const { api } = await testFlowdesk();
    const runId = (await api.call('runs.create', { runName: 'old' })).run.info.runId;
    await api.call('runs.setTag', { runId, key: 'mlflow.runName', value: 'renamed' });
    expect((await api.call('runs.get', { runId })).run.info.runName).toBe('renamed');
  });

  it('soft-deletes and restores a run; a deleted run refuses writes', async () => {
    const { api } = await testFlowdesk();
    const runId = (await api.call('runs.create', {})).run.info.runId;
    await api.call('runs.delete', { runId });
    expect((await api.call('runs.get', { runId })).run.info.lifecycleStage).toBe('deleted');
    await expect(api.call('runs.logMetric', { runId, key: 'm', value: 1, timestamp: 1 })).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
    await expect(api.call('runs.update', { runId, status: 'FAILED' })).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
    await api.call('runs.restore', { runId });
    await api.call('runs.logMetric', { runId, key: 'm', value: 1, timestamp: 1 });
    expect((await api.call('runs.get', { runId })).run.data.metrics).toEqual([{ key: 'm', value: 1, timestamp: 1, step: 0 }]);
  });

  it('deletes a tag, and answers RESOURCE_DOES_NOT_EXIST for a missing one', async () => {
    const { api } = await testFlowdesk();
    const runId = (await api.call('runs.create', {})).run.info.runId;
    await api.call('runs.setTag', { runId, key: 'k', value: 'v' });
    await api.call('runs.deleteTag', { runId, key: 'k' });
    expect((await api.call('runs.get', { runId })).run.data.tags.find((t) => t.key === 'k')).toBeUndefined();
    await expect(api.call('runs.deleteTag', { runId, key: 'k' })).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
  });

  it('records dataset inputs once per experiment by name and digest', async () => {
    const { api, fd } = await testFlowdesk();
    const a = (await api.call('runs.create', {})).run.info.runId;
    const b = (await api.call('runs.create', {})).run.info.runId;
    const input = { tags: [{ key: 'mlflow.data.context', value: 'train' }], dataset: { name: 'iris', digest: 'd1', sourceType: 'local', source: '{}' } };
    await api.call('runs.logInputs', { runId: a, datasets: [input] });
    await api.call('runs.logInputs', { runId: b, datasets: [input] });
    expect((await api.call('runs.get', { runId: a })).run.inputs.datasetInputs).toEqual([input]);
    const datasets = await fd.catalog.db.selectFrom('datasets').selectAll().execute();
    expect(datasets).toHaveLength(1);
  });

  it('replaces the tags of a dataset input logged again', async () => {
    const { api } = await testFlowdesk();
    const runId = (await api.call('runs.create', {})).run.info.runId;
    const dataset = { name: 'iris', digest: 'd1', sourceType: 'local', source: '{}' };
    await api.call('runs.logInputs', { runId, datasets: [{ tags: [{ key: 'mlflow.data.context', value: 'train' }], dataset }] });
    await api.call('runs.logInputs', { runId, datasets: [{ tags: [{ key: 'mlflow.data.context', value: 'eval' }], dataset }] });
    expect((await api.call('runs.get', { runId })).run.inputs.datasetInputs).toEqual([{ tags: [{ key: 'mlflow.data.context', value: 'eval' }], dataset }]);
  });

  it('holds a name set through the mlflow.runName tag to the same 250 characters as runs.create, runs.update and migrate.putRun', async () => {
    const { api } = await testFlowdesk();
    const { run } = await api.call('runs.create', { runName: 'short' });
    const long = 'n'.repeat(251);
    const refusal = /Invalid run name: names may be at most 250 characters, got 251/;
    await expect(api.call('runs.setTag', { runId: run.info.runId, key: 'mlflow.runName', value: long })).rejects.toThrow(refusal);
    await expect(api.call('runs.logBatch', { runId: run.info.runId, tags: [{ key: 'mlflow.runName', value: long }] })).rejects.toThrow(refusal);
    await expect(api.call('runs.update', { runId: run.info.runId, runName: long })).rejects.toThrow(refusal);
    await expect(api.call('runs.create', { runName: long })).rejects.toThrow(refusal);
    await expect(
      api.call('migrate.putRun', { experimentId: '0', runId: 'ab'.repeat(16), runName: long, userId: '', status: 'FINISHED', startTime: 0, lifecycleStage: 'active' }),
    ).rejects.toThrow(refusal);
    await api.call('runs.setTag', { runId: run.info.runId, key: 'mlflow.runName', value: 'n'.repeat(250) });
    expect((await api.call('runs.get', { runId: run.info.runId })).run.info.runName).toHaveLength(250);
  });
});
