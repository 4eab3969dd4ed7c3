import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FlowdeskEvent } from '#core/api/events.ts';
import { testFlowdesk } from '../helpers/flowdesk.ts';

/** A clock that advances one millisecond per reading, so update times are observably later. */
function ticking(start = 1_700_000_000_000) {
  let t = start;
  return () => t++;
}

describe('logged models', () => {
  it('are created pending, with a server-assigned id and artifact location, params and tags', async () => {
    const { api } = await testFlowdesk({ now: () => 1234 });
    const { experimentId } = await api.call('experiments.create', { name: 'e' });
    const { model } = await api.call('loggedModels.create', {
      experimentId,
      name: 'model',
      modelType: 'sklearn',
      sourceRunId: 'f'.repeat(32),
      params: [{ key: 'alpha', value: '0.5' }],
      tags: [{ key: 'mlflow.user', value: 'ada' }],
    });
    expect(model.info.modelId).toMatch(/^m-[0-9a-f]{32}$/);
    expect(model).toEqual({
      info: {
        modelId: model.info.modelId,
        experimentId,
        name: 'model',
        creationTimestampMs: 1234,
        lastUpdatedTimestampMs: 1234,
        artifactUri: `mlflow-artifacts:/${experimentId}/models/${model.info.modelId}/artifacts`,
        status: 'LOGGED_MODEL_PENDING',
        modelType: 'sklearn',
        sourceRunId: 'f'.repeat(32),
        tags: [{ key: 'mlflow.user', value: 'ada' }],
      },
      data: { params: [{ key: 'alpha', value: '0.5' }], metrics: [] },
    });
    expect(await api.call('loggedModels.get', { modelId: model.info.modelId })).toEqual({ model });
  });

  it('get a random name when none is given, and no run when none was active', async () => {
    const { api } = await testFlowdesk();
    const { model } = await api.call('loggedModels.create', { experimentId: '0' });
    expect(model.info.name).toMatch(/^[a-z]+-[a-z]+-\d+$/);
    expect(model.info.sourceRunId).toBeUndefined();
    expect(model.info.modelType).toBeUndefined();
  });

  it.each(['a/b', 'a:b', 'a.b', 'a%b', 'a"b', "a'b", ''])('refuse the name %j', async (name) => {
    const { api } = await testFlowdesk();
    await expect(api.call('loggedModels.create', { experimentId: '0', name })).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
  });

  it('are created only in an active experiment that exists', async () => {
    const { api } = await testFlowdesk();
    await expect(api.call('loggedModels.create', { experimentId: '42' })).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
    const { experimentId } = await api.call('experiments.create', { name: 'gone' });
    await api.call('experiments.delete', { experimentId });
    await expect(api.call('loggedModels.create', { experimentId })).rejects.toMatchObject({
      code: 'INVALID_PARAMETER_VALUE',
      message: `The experiment ${experimentId} must be in the 'active' state. Current state is deleted.`,
    });
  });

  it('are finalized to a status, which also bumps their update time', async () => {
    const { api } = await testFlowdesk({ now: ticking() });
    const { model } = await api.call('loggedModels.create', { experimentId: '0', name: 'm' });
    const { model: ready } = await api.call('loggedModels.finalize', { modelId: model.info.modelId, status: 'LOGGED_MODEL_READY' });
    expect(ready.info.status).toBe('LOGGED_MODEL_READY');
    expect(ready.info.lastUpdatedTimestampMs).toBeGreaterThan(model.info.lastUpdatedTimestampMs);
    const { model: failed } = await api.call('loggedModels.finalize', { modelId: model.info.modelId, status: 'LOGGED_MODEL_UPLOAD_FAILED' });
    expect(failed.info.status).toBe('LOGGED_MODEL_UPLOAD_FAILED');
  });

  it('are not found once deleted, and cannot be deleted twice', async () => {
    const { api } = await testFlowdesk();
    const { model } = await api.call('loggedModels.create', { experimentId: '0', name: 'm' });
    const modelId = model.info.modelId;
    await api.call('loggedModels.delete', { modelId });
    await expect(api.call('loggedModels.get', { modelId })).rejects.toMatchObject({
      code: 'RESOURCE_DOES_NOT_EXIST',
      message: `Logged model with ID '${modelId}' not found.`,
    });
    await expect(api.call('loggedModels.delete', { modelId })).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
    await expect(api.call('loggedModels.finalize', { modelId, status: 'LOGGED_MODEL_READY' })).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
    expect((await api.call('loggedModels.search', { experimentIds: ['0'] })).models).toEqual([]);
  });

  it('upsert tags and delete them, refusing to delete a missing one', async () => {
    const { api } = await testFlowdesk();
    const { model } = await api.call('loggedModels.create', { experimentId: '0', tags: [{ key: 'a', value: '1' }] });
    const modelId = model.info.modelId;
    await api.call('loggedModels.setTags', { modelId, tags: [{ key: 'a', value: '2' }, { key: 'b/c', value: 'x' }, { key: 'b/c', value: 'y' }] });
    expect((await api.call('loggedModels.get', { modelId })).model.info.tags).toEqual([
      { key: 'a', value: '2' },
      { key: 'b/c', value: 'y' },
    ]);
    await api.call('loggedModels.deleteTag', { modelId, key: 'b/c' });
    expect((await api.call('loggedModels.get', { modelId })).model.info.tags).toEqual([{ key: 'a', value: '2' }]);
    await expect(api.call('loggedModels.deleteTag', { modelId, key: 'b/c' })).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
    await expect(api.call('loggedModels.setTags', { modelId, tags: [{ key: '../x', value: '' }] })).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
  });

  it('keep params write-once: the same value again is fine, another value is refused', async () => {
    const { api } = await testFlowdesk();
    const { model } = await api.call('loggedModels.create', { experimentId: '0', params: [{ key: 'lr', value: '0.1' }] });
    const modelId = model.info.modelId;
    const many = Array.from({ length: 700 }, (_, i) => ({ key: `p${String(i).padStart(3, '0')}`, value: String(i) }));
    await api.call('loggedModels.logParams', { modelId, params: [{ key: 'lr', value: '0.1' }, ...many] });
    expect((await api.call('loggedModels.get', { modelId })).model.data.params).toHaveLength(701);
    await expect(api.call('loggedModels.logParams', { modelId, params: [{ key: 'lr', value: '0.2' }] })).rejects.toMatchObject({
      code: 'INVALID_PARAMETER_VALUE',
      message: `Changing param values is not allowed. Param with key='lr' was already logged with value='0.1' for logged model ID='${modelId}'. Attempted logging new value '0.2'.`,
    });
  });

  it('record metric points with their run and dataset, NaN kept, an identical point once', async () => {
    const { api } = await testFlowdesk();
    const { model } = await api.call('loggedModels.create', { experimentId: '0' });
    const modelId = model.info.modelId;
    const point = { key: 'acc', value: 0.9, timestamp: 5, step: 1, runId: 'r'.repeat(32), datasetName: 'test', datasetDigest: 'abc' };
    await api.call('loggedModels.logMetrics', { modelId, metrics: [point, point, { key: 'loss', value: Number.NaN, timestamp: 6 }] });
    await api.call('loggedModels.logMetrics', { modelId, metrics: [point] });
    const { metrics } = (await api.call('loggedModels.get', { modelId })).model.data;
    expect(metrics).toEqual([
      { ...point, modelId },
      { key: 'loss', value: Number.NaN, timestamp: 6, step: 0, modelId },
    ]);
  });

  it("list the immediate children of a folder in the model's artifacts", async () => {
    const { api, fd } = await testFlowdesk();
    const { model } = await api.call('loggedModels.create', { experimentId: '0' });
    const root = `0/models/${model.info.modelId}/artifacts`;
    await fd.artifacts.write(`${root}/MLmodel`, Buffer.from('x'));
    await fd.artifacts.write(`${root}/code/a.py`, Buffer.from('yz'));
    expect(await api.call('loggedModels.listArtifacts', { modelId: model.info.modelId })).toEqual({
      rootUri: model.info.artifactUri,
      files: [
        { path: 'MLmodel', isDir: false, fileSize: 1 },
        { path: 'code', isDir: true },
      ],
    });
    expect((await api.call('loggedModels.listArtifacts', { modelId: model.info.modelId, path: 'code' })).files).toEqual([{ path: 'a.py', isDir: false, fileSize: 2 }]);
    await expect(api.call('loggedModels.listArtifacts', { modelId: model.info.modelId, path: '../../..' })).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
  });

  it('publish experiment.changed when created or changed', async () => {
    const { api, fd } = await testFlowdesk();
    const events: FlowdeskEvent[] = [];
    fd.events.subscribe((e) => events.push(e));
    const { model } = await api.call('loggedModels.create', { experimentId: '0' });
    await api.call('loggedModels.finalize', { modelId: model.info.modelId, status: 'LOGGED_MODEL_READY' });
    expect(events).toEqual([
      { type: 'experiment.changed', experimentId: '0' },
      { type: 'experiment.changed', experimentId: '0' },
    ]);
  });
});

describe('runs and logged models', () => {
  it('link a model as an output of the run at a step, shown by runs.get and runs.search', async () => {
    const { api } = await testFlowdesk();
    const { run } = await api.call('runs.create', {});
    expect(run.outputs).toBeUndefined();
    const runId = run.info.runId;
    const { model: a } = await api.call('loggedModels.create', { experimentId: '0', sourceRunId: runId });
    const { model: b } = await api.call('loggedModels.create', { experimentId: '0', sourceRunId: runId });
    await api.call('runs.logOutputs', { runId, models: [{ modelId: a.info.modelId, step: 0 }] });
    await api.call('runs.logOutputs', { runId, models: [{ modelId: b.info.modelId, step: 5 }] });
    // Logging a model again moves it to the new step.
    await api.call('runs.logOutputs', { runId, models: [{ modelId: a.info.modelId, step: 7 }] });
    const expected = { modelOutputs: [{ modelId: b.info.modelId, step: 5 }, { modelId: a.info.modelId, step: 7 }] };
    expect((await api.call('runs.get', { runId })).run.outputs).toEqual(expected);
    expect((await api.call('runs.search', { experimentIds: ['0'] })).runs[0]!.outputs).toEqual(expected);
  });

  it('show no outputs and no model inputs for a run without them', async () => {
    const { api } = await testFlowdesk();
    const { run } = await api.call('runs.create', {});
    const { run: got } = await api.call('runs.get', { runId: run.info.runId });
    expect(got.outputs).toEqual({ modelOutputs: [] });
    expect(got.inputs).toEqual({ datasetInputs: [], modelInputs: [] });
  });

  it('refuse links to an unknown model or from a deleted run', async () => {
    const { api } = await testFlowdesk();
    const { run } = await api.call('runs.create', {});
    const runId = run.info.runId;
    await expect(api.call('runs.logOutputs', { runId, models: [{ modelId: 'm-nope', step: 0 }] })).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
    const { model } = await api.call('loggedModels.create', { experimentId: '0' });
    await api.call('runs.delete', { runId });
    await expect(api.call('runs.logOutputs', { runId, models: [{ modelId: model.info.modelId, step: 0 }] })).rejects.toMatchObject({
      code: 'INVALID_PARAMETER_VALUE',
    });
    await expect(api.call('runs.logOutputs', { runId: 'x'.repeat(32), models: [{ modelId: model.info.modelId, step: 0 }] })).rejects.toMatchObject({
      code: 'RESOURCE_DOES_NOT_EXIST',
    });
  });

  it('record models a run used as its model inputs, once each', async () => {
    const { api } = await testFlowdesk();
    const { run } = await api.call('runs.create', {});
    const { model } = await api.call('loggedModels.create', { experimentId: '0' });
    const models = [{ modelId: model.info.modelId }, { modelId: model.info.modelId }];
    await api.call('runs.logModelInputs', { runId: run.info.runId, models });
    await api.call('runs.logModelInputs', { runId: run.info.runId, models });
    expect((await api.call('runs.get', { runId: run.info.runId })).run.inputs.modelInputs).toEqual([{ modelId: model.info.modelId }]);
  });

  it('are purged with their experiment: rows, links and files', async () => {
    const { api, fd, dataDir } = await testFlowdesk();
    const { experimentId } = await api.call('experiments.create', { name: 'doomed' });
    const { run } = await api.call('runs.create', { experimentId });
    const { model } = await api.call('loggedModels.create', { experimentId, params: [{ key: 'p', value: '1' }], tags: [{ key: 't', value: '1' }] });
    const modelId = model.info.modelId;
    await api.call('loggedModels.logMetrics', { modelId, metrics: [{ key: 'm', value: 1, timestamp: 1 }] });
    await api.call('runs.logOutputs', { runId: run.info.runId, models: [{ modelId, step: 0 }] });
    await api.call('runs.logModelInputs', { runId: run.info.runId, models: [{ modelId }] });
    await fd.artifacts.write(`${experimentId}/models/${modelId}/artifacts/MLmodel`, Buffer.from('x'));

    await api.call('experiments.delete', { experimentId });
    await api.call('trash.purge', { experimentIds: [experimentId] });

    const db = fd.catalog.db;
    const counts = await Promise.all(
      (['logged_models', 'logged_model_params', 'logged_model_tags', 'logged_model_metrics', 'run_model_outputs', 'run_model_inputs'] as const).map(
        async (table) => Number((await db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n),
      ),
    );
    expect(counts).toEqual([0, 0, 0, 0, 0, 0]);
    expect(existsSync(join(dataDir, 'artifacts', experimentId))).toBe(false);
  });

  it('drop their links when the run alone is purged, and the model stays', async () => {
    const { api, fd } = await testFlowdesk();
    const { run } = await api.call('runs.create', {});
    const { model } = await api.call('loggedModels.create', { experimentId: '0', sourceRunId: run.info.runId });
    await api.call('runs.logOutputs', { runId: run.info.runId, models: [{ modelId: model.info.modelId, step: 0 }] });
    await api.call('runs.delete', { runId: run.info.runId });
    await api.call('trash.purge', { runIds: [run.info.runId] });
    expect((await api.call('loggedModels.get', { modelId: model.info.modelId })).model.info.sourceRunId).toBe(run.info.runId);
    expect(await fd.catalog.db.selectFrom('run_model_outputs').selectAll().execute()).toEqual([]);
  });
});

describe('logged model search', () => {
  /** Three models in experiment 1, one in 2 and one deleted, created one millisecond apart. */
  async function seeded() {
    const { api } = await testFlowdesk({ now: ticking() });
    const e1 = (await api.call('experiments.create', { name: 'e1' })).experimentId;
    const e2 = (await api.call('experiments.create', { name: 'e2' })).experimentId;
    const runA = 'a'.repeat(32);
    const make = async (experimentId: string, name: string, extra: { sourceRunId?: string; params?: { key: string; value: string }[] } = {}) =>
      (await api.call('loggedModels.create', { experimentId, name, ...extra })).model.info.modelId;
    const alpha = await make(e1, 'alpha', { sourceRunId: runA, params: [{ key: 'depth', value: '3' }] });
    const beta = await make(e1, 'beta', { sourceRunId: runA });
    const gamma = await make(e1, 'gamma', { params: [{ key: 'depth', value: '8' }] });
    const other = await make(e2, 'alpha');
    const deleted = await make(e1, 'alpha');
    await api.call('loggedModels.delete', { modelId: deleted });
    await api.call('loggedModels.finalize', { modelId: beta, status: 'LOGGED_MODEL_READY' });
    await api.call('loggedModels.setTags', { modelId: gamma, tags: [{ key: 'stage', value: 'prod' }] });
    await api.call('loggedModels.logMetrics', { modelId: alpha, metrics: [{ key: 'acc', value: 0.7, timestamp: 1, step: 0 }, { key: 'acc', value: 0.8, timestamp: 2, step: 1 }] });
    await api.call('loggedModels.logMetrics', { modelId: gamma, metrics: [{ key: 'acc', value: 0.95, timestamp: 1, step: 0 }] });
    const ids = async (input: Parameters<typeof api.call<'loggedModels.search'>>[1]) => (await api.call('loggedModels.search', input)).models.map((m) => m.info.modelId);
    return { api, e1, e2, runA, alpha, beta, gamma, other, ids };
  }

  it('lists live models of the given experiments, newest first', async () => {
    const { e1, e2, alpha, beta, gamma, other, ids } = await seeded();
    expect(await ids({ experimentIds: [e1] })).toEqual([gamma, beta, alpha]);
    expect(await ids({ experimentIds: [e1, e2] })).toEqual([other, gamma, beta, alpha]);
    expect(await ids({ experimentIds: ['999', 'not-an-id'] })).toEqual([]);
  });

  it("filters by name and source_run_id, as register_model from a runs:/ URI does", async () => {
    const { e1, runA, alpha, beta, ids } = await seeded();
    expect(await ids({ experimentIds: [e1], filter: "name = 'alpha'" })).toEqual([alpha]);
    expect(await ids({ experimentIds: [e1], filter: `source_run_id = '${runA}'` })).toEqual([beta, alpha]);
    expect(await ids({ experimentIds: [e1], filter: `name = 'beta' AND attributes.source_run_id = '${runA}'` })).toEqual([beta]);
    expect(await ids({ experimentIds: [e1], filter: "name LIKE 'a%'" })).toEqual([alpha]);
  });

  it('filters by status by full or short enum name', async () => {
    const { e1, beta, ids } = await seeded();
    expect(await ids({ experimentIds: [e1], filter: "status = 'READY'" })).toEqual([beta]);
    expect(await ids({ experimentIds: [e1], filter: "status = 'LOGGED_MODEL_READY'" })).toEqual([beta]);
    expect(await ids({ experimentIds: [e1], filter: "status IN ('PENDING')" })).toHaveLength(2);
  });

  it('filters by params, tags and metrics', async () => {
    const { e1, alpha, gamma, ids } = await seeded();
    expect(await ids({ experimentIds: [e1], filter: 'params.depth > 5' })).toEqual([gamma]);
    expect(await ids({ experimentIds: [e1], filter: "tags.stage = 'prod'" })).toEqual([gamma]);
    expect(await ids({ experimentIds: [e1], filter: 'metrics.acc > 0.75' })).toEqual([gamma, alpha]);
    expect(await ids({ experimentIds: [e1], filter: 'metrics.acc > 0.9' })).toEqual([gamma]);
  });

  it('orders by attributes and by the latest value of a metric, models lacking it last', async () => {
    const { e1, alpha, beta, gamma, ids } = await seeded();
    expect(await ids({ experimentIds: [e1], orderBy: [{ fieldName: 'name', ascending: true }] })).toEqual([alpha, beta, gamma]);
    expect(await ids({ experimentIds: [e1], orderBy: [{ fieldName: 'name', ascending: false }] })).toEqual([gamma, beta, alpha]);
    expect(await ids({ experimentIds: [e1], orderBy: [{ fieldName: 'creation_timestamp', ascending: true }] })).toEqual([alpha, beta, gamma]);
    expect(await ids({ experimentIds: [e1], orderBy: [{ fieldName: 'metrics.acc', ascending: true }] })).toEqual([alpha, gamma, beta]);
    expect(await ids({ experimentIds: [e1], orderBy: [{ fieldName: 'metrics.acc', ascending: false }] })).toEqual([gamma, alpha, beta]);
  });

  it('pages with a token that only the same query accepts', async () => {
    const { api, e1, alpha, beta, gamma } = await seeded();
    const first = await api.call('loggedModels.search', { experimentIds: [e1], maxResults: 2 });
    expect(first.models.map((m) => m.info.modelId)).toEqual([gamma, beta]);
    expect(first.nextPageToken).toBeTypeOf('string');
    const second = await api.call('loggedModels.search', { experimentIds: [e1], maxResults: 2, pageToken: first.nextPageToken });
    expect(second.models.map((m) => m.info.modelId)).toEqual([alpha]);
    expect(second.nextPageToken).toBeUndefined();
    await expect(api.call('loggedModels.search', { experimentIds: [e1], filter: "name = 'alpha'", pageToken: first.nextPageToken })).rejects.toMatchObject({
      code: 'INVALID_PARAMETER_VALUE',
      message: 'Invalid page_token: it belongs to a different search; repeat the original query to use it',
    });
    await expect(api.call('loggedModels.search', { experimentIds: [e1], pageToken: 'garbage' })).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
  });

  it('refuses malformed filters, unknown order fields, datasets and oversized pages', async () => {
    const { api, e1 } = await seeded();
    await expect(api.call('loggedModels.search', { experimentIds: [e1], filter: "name = 'x' AND" })).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
    await expect(api.call('loggedModels.search', { experimentIds: [e1], filter: "colour = 'red'" })).rejects.toMatchObject({
      code: 'INVALID_PARAMETER_VALUE',
      message: expect.stringContaining("unknown logged model attribute 'colour'"),
    });
    await expect(api.call('loggedModels.search', { experimentIds: [e1], orderBy: [{ fieldName: 'params.depth' }] })).rejects.toMatchObject({
      code: 'INVALID_PARAMETER_VALUE',
    });
    await expect(api.call('loggedModels.search', { experimentIds: [e1], orderBy: [{ fieldName: 'name DESC' }] })).rejects.toMatchObject({
      code: 'INVALID_PARAMETER_VALUE',
    });
    await expect(api.call('loggedModels.search', { experimentIds: [e1], datasets: [{ datasetName: 'test' }] })).rejects.toMatchObject({ code: 'NOT_IMPLEMENTED' });
    await expect(api.call('loggedModels.search', { experimentIds: [e1], maxResults: 50_001 })).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
  });
});
