import { describe, expect, it } from 'vitest';
import type { Client } from '#core/api/client.ts';
import { FlowdeskError } from '#core/api/errors.ts';
import { clientOver, TRANSPORTS } from '../helpers/transports.ts';
import { testFlowdesk } from '../helpers/flowdesk.ts';

/** Logs a run with params, latest metrics and tags; returns its id. */
async function logRun(api: Client, experimentId: string, params: Record<string, string>, metrics: Record<string, number>, tags: Record<string, string> = {}) {
  const { run } = await api.call('runs.create', { experimentId });
  await api.call('runs.logBatch', {
    runId: run.info.runId,
    params: Object.entries(params).map(([key, value]) => ({ key, value })),
    metrics: Object.entries(metrics).map(([key, value]) => ({ key, value, timestamp: 1, step: 0 })),
    tags: Object.entries(tags).map(([key, value]) => ({ key, value })),
  });
  return run.info.runId;
}

describe('runs.keys', () => {
  it('lists the distinct param, metric and tag keys of the experiment, sorted, leaving out other experiments and deleted runs by default', async () => {
    const { api } = await testFlowdesk();
    const { experimentId } = await api.call('experiments.create', { name: 'keys' });
    const other = await api.call('experiments.create', { name: 'other' });
    await logRun(api, experimentId, { lr: '0.1', model: 'rf' }, { loss: 1 }, { team: 'a' });
    await logRun(api, experimentId, { lr: '0.2' }, { acc: 0.5, loss: 2 });
    const gone = await logRun(api, experimentId, { dropout: '0.5' }, { f1: 0.1 });
    await api.call('runs.delete', { runId: gone });
    await logRun(api, other.experimentId, { batch: '32' }, { auc: 1 });

    const keys = await api.call('runs.keys', { experimentIds: [experimentId] });
    expect(keys.params).toEqual(['lr', 'model']);
    expect(keys.metrics).toEqual(['acc', 'loss']);
    expect(keys.tags).toEqual(expect.arrayContaining(['team', 'mlflow.runName']));
    const all = await api.call('runs.keys', { experimentIds: [experimentId], viewType: 'ALL' });
    expect(all.params).toEqual(['dropout', 'lr', 'model']);
  });

  it('refuses an experiment id that is not made of digits', async () => {
    const { api } = await testFlowdesk();
    await expect(api.call('runs.keys', { experimentIds: ['1; drop table runs'] })).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
  });
});

describe('runs.groups', () => {
  it.each(TRANSPORTS)('summarizes the latest metrics per param value with run counts, the missing value last (%s)', async (transport) => {
    const { api } = await clientOver(transport);
    const { experimentId } = await api.call('experiments.create', { name: 'groups' });
    await logRun(api, experimentId, { model: 'rf' }, { loss: 0.5, acc: 0.8 });
    await logRun(api, experimentId, { model: 'rf' }, { loss: 0.3 });
    await logRun(api, experimentId, { model: 'xgb' }, { loss: 0.1, acc: Number.NaN });
    await logRun(api, experimentId, {}, { loss: 0.9 });
    await logRun(api, experimentId, { model: 'lr' }, { loss: Number.POSITIVE_INFINITY });

    const { groups, truncated } = await api.call('runs.groups', { experimentIds: [experimentId], param: 'model' });
    expect(truncated).toBe(false);
    expect(groups.map((g) => [g.value, g.runCount])).toEqual([['lr', 1], ['rf', 2], ['xgb', 1], [null, 1]]);
    const rf = groups.find((g) => g.value === 'rf')!;
    expect(rf.metrics).toEqual([
      { key: 'acc', mean: 0.8, min: 0.8, max: 0.8, count: 1 },
      { key: 'loss', mean: 0.4, min: 0.3, max: 0.5, count: 2 },
    ]);
    // NaN values are left out of the summary, so xgb has no acc; infinity is kept.
    expect(groups.find((g) => g.value === 'xgb')!.metrics.map((m) => m.key)).toEqual(['loss']);
    expect(groups.find((g) => g.value === 'lr')!.metrics[0]!.max).toBe(Number.POSITIVE_INFINITY);
    expect(groups.find((g) => g.value === null)!.metrics).toEqual([{ key: 'loss', mean: 0.9, min: 0.9, max: 0.9, count: 1 }]);
  });

  it('groups only the runs matching the filter, and only the named metrics', async () => {
    const { api } = await testFlowdesk();
    const { experimentId } = await api.call('experiments.create', { name: 'filtered' });
    await logRun(api, experimentId, { model: 'rf' }, { loss: 0.5, acc: 0.8 });
    await logRun(api, experimentId, { model: 'rf' }, { loss: 0.3, acc: 0.6 });
    await logRun(api, experimentId, { model: 'xgb' }, { loss: 0.1 });
    const { groups } = await api.call('runs.groups', { experimentIds: [experimentId], param: 'model', filter: 'metrics.loss > 0.2', metrics: ['acc'] });
    expect(groups).toEqual([{ value: 'rf', runCount: 2, metrics: [{ key: 'acc', mean: 0.7, min: 0.6, max: 0.8, count: 2 }] }]);
  });

  it('refuses a malformed filter with its position', async () => {
    const { api } = await testFlowdesk();
    const err = await api.call('runs.groups', { experimentIds: ['0'], param: 'model', filter: 'metrics.loss <<< 1' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FlowdeskError);
    expect((err as FlowdeskError).message).toMatch(/position \d+/);
  });
});

describe('runs.childCounts', () => {
  it('counts the active children of each run named, leaving out runs without children', async () => {
    const { api } = await testFlowdesk();
    const parent = await logRun(api, '0', {}, {});
    const lonely = await logRun(api, '0', {}, {});
    await logRun(api, '0', {}, {}, { 'mlflow.parentRunId': parent });
    const deleted = await logRun(api, '0', {}, {}, { 'mlflow.parentRunId': parent });
    await logRun(api, '0', {}, {}, { 'mlflow.parentRunId': parent });
    await api.call('runs.delete', { runId: deleted });
    expect((await api.call('runs.childCounts', { runIds: [parent, lonely] })).counts).toEqual({ [parent]: 2 });
    expect((await api.call('runs.childCounts', { runIds: [parent], viewType: 'ALL' })).counts).toEqual({ [parent]: 3 });
    expect((await api.call('runs.childCounts', { runIds: [] })).counts).toEqual({});
  });
});
