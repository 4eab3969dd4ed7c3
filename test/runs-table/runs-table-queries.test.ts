import { describe, expect, it } from 'vitest';
import type { Client } from '#core/api/client.ts';
import { FlowdeskError } from '#core/api/errors.ts';
import { MAX_NAMED_RUNS, type FlowdeskEvent } from '#core/api/events.ts';
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

describe('runs.count', () => {
  it('counts exactly the runs the filter matches, in the view type', async () => {
    const { api } = await testFlowdesk();
    const { experimentId } = await api.call('experiments.create', { name: 'count' });
    for (let i = 0; i < 7; i++) await logRun(api, experimentId, { i: String(i) }, { loss: i / 10 });
    const gone = await logRun(api, experimentId, {}, { loss: 0.05 });
    await api.call('runs.delete', { runId: gone });
    expect((await api.call('runs.count', { experimentIds: [experimentId] })).count).toBe(7);
    expect((await api.call('runs.count', { experimentIds: [experimentId], filter: 'metrics.loss < 0.3' })).count).toBe(3);
    expect((await api.call('runs.count', { experimentIds: [experimentId], filter: 'metrics.loss < 0.3', viewType: 'ALL' })).count).toBe(4);
  });

  it('refuses a malformed filter', async () => {
    const { api } = await testFlowdesk();
    await expect(api.call('runs.count', { experimentIds: ['0'], filter: 'metrics.loss <<< 1' })).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
  });
});

describe('runs.columnStats', () => {
  it('says how many runs have each param and metric, how many values a param takes, whether they are numbers and whether a metric varies', async () => {
    const { api } = await testFlowdesk();
    const { experimentId } = await api.call('experiments.create', { name: 'stats' });
    await logRun(api, experimentId, { lr: '0.1', model: 'rf', fixed: 'x' }, { loss: 1, rare: 1, epochs: 40, gap: 0 });
    await logRun(api, experimentId, { lr: '0.2', model: 'rf', fixed: 'x' }, { loss: 2, epochs: 40, gap: NaN });
    await logRun(api, experimentId, { lr: '0.3', fixed: 'x' }, { loss: 3, epochs: 40 });
    const stats = await api.call('runs.columnStats', { experimentIds: [experimentId] });
    expect(stats.runCount).toBe(3);
    expect(stats.params).toEqual([
      { key: 'fixed', runCount: 3, distinctValues: 1, numeric: false },
      { key: 'lr', runCount: 3, distinctValues: 3, numeric: true },
      { key: 'model', runCount: 2, distinctValues: 1, numeric: false },
    ]);
    expect(stats.metrics).toEqual([
      { key: 'epochs', runCount: 3, varies: false },
      { key: 'gap', runCount: 2, varies: true },
      { key: 'loss', runCount: 3, varies: true },
      { key: 'rare', runCount: 1, varies: false },
    ]);
  });
});

describe('runs.groups with bins', () => {
  it('groups numeric values into round-number ranges, then values that are not numbers, then runs without the param', async () => {
    const { api } = await testFlowdesk();
    const { experimentId } = await api.call('experiments.create', { name: 'bins' });
    for (const seed of [0, 3, 9, 10, 12, 19, 25, 49]) await logRun(api, experimentId, { seed: String(seed) }, { loss: seed });
    await logRun(api, experimentId, { seed: 'none' }, { loss: 100 });
    await logRun(api, experimentId, {}, { loss: 200 });
    const answer = await api.call('runs.groups', { experimentIds: [experimentId], param: 'seed', bins: 5 });
    expect(answer.binning).toEqual({ scale: 'linear', ranges: 5 });
    expect(answer.groups.map((g) => [g.value, g.runCount, g.range])).toEqual([
      ['[0, 10)', 3, { low: 0, high: 10 }],
      ['[10, 20)', 3, { low: 10, high: 20 }],
      ['[20, 30)', 1, { low: 20, high: 30 }],
      ['[40, 50)', 1, { low: 40, high: 50 }],
      ['not a number', 1, undefined],
      [null, 1, undefined],
    ]);
    expect(answer.groups[4]!.notNumber).toBe(true);
    expect(answer.groups[1]!.metrics).toEqual([{ key: 'loss', mean: 41 / 3, min: 10, max: 19, count: 3 }]);
  });

  it('cuts values spanning several magnitudes into decades', async () => {
    const { api } = await testFlowdesk();
    const { experimentId } = await api.call('experiments.create', { name: 'decades' });
    for (const lr of ['0.0001', '0.0003', '0.001', '0.005', '0.1']) await logRun(api, experimentId, { lr }, { loss: 1 });
    const answer = await api.call('runs.groups', { experimentIds: [experimentId], param: 'lr', bins: 10, metrics: [] });
    expect(answer.binning).toEqual({ scale: 'log', ranges: 4 });
    expect(answer.groups.map((g) => [g.value, g.runCount])).toEqual([['[0.0001, 0.001)', 2], ['[0.001, 0.01)', 2], ['[0.1, 1)', 1]]);
  });

  it('groups by value when no value is a number', async () => {
    const { api } = await testFlowdesk();
    const { experimentId } = await api.call('experiments.create', { name: 'words' });
    await logRun(api, experimentId, { optimizer: 'adam' }, {});
    await logRun(api, experimentId, { optimizer: 'adamw' }, {});
    const answer = await api.call('runs.groups', { experimentIds: [experimentId], param: 'optimizer', bins: 10 });
    expect(answer.binning).toBeUndefined();
    expect(answer.groups.map((g) => g.value)).toEqual(['adam', 'adamw']);
  });

  it('matches the runs the query language finds for each range', async () => {
    const { api } = await testFlowdesk();
    const { experimentId } = await api.call('experiments.create', { name: 'ranges' });
    for (let i = 0; i < 40; i++) await logRun(api, experimentId, { x: String((i * 7.3) % 31) }, {});
    const { groups } = await api.call('runs.groups', { experimentIds: [experimentId], param: 'x', bins: 4 });
    for (const g of groups) {
      const filter = `params.x >= ${g.range!.low} and params.x < ${g.range!.high}`;
      expect((await api.call('runs.count', { experimentIds: [experimentId], filter })).count).toBe(g.runCount);
    }
    expect(groups.reduce((n, g) => n + g.runCount, 0)).toBe(40);
  });
});

describe('runs.metricRanges', () => {
  it("reads each run's min and max over the whole history of a metric, NaN left out", async () => {
    const { api } = await testFlowdesk();
    const a = await logRun(api, '0', {}, {});
    const b = await logRun(api, '0', {}, {});
    const values = [0.5, -2, Number.NaN, 7, 1];
    await api.call('runs.logBatch', { runId: a, metrics: values.map((value, step) => ({ key: 'loss', value, timestamp: 1, step: step * 10_000 })) });
    await api.call('runs.logBatch', { runId: b, metrics: [{ key: 'acc', value: 0.9, timestamp: 1, step: 0 }] });
    const { ranges } = await api.call('runs.metricRanges', { runIds: [a, b], keys: ['loss', 'acc'] });
    expect(ranges).toEqual({ [a]: { loss: { min: -2, max: 7 } }, [b]: { acc: { min: 0.9, max: 0.9 } } });
  });
});

describe('bulk changes', () => {
  it('moves every run a filter matches to the trash in one call, and restores them by the ids it answered', async () => {
    const { api } = await testFlowdesk();
    const { experimentId } = await api.call('experiments.create', { name: 'bulk' });
    const ids = [];
    for (let i = 0; i < 6; i++) ids.push(await logRun(api, experimentId, {}, { loss: i }));
    const { runIds } = await api.call('runs.deleteMany', { selection: { experimentIds: [experimentId], filter: 'metrics.loss >= 2' } });
    expect(new Set(runIds)).toEqual(new Set(ids.slice(2)));
    expect((await api.call('runs.count', { experimentIds: [experimentId] })).count).toBe(2);
    expect((await api.call('runs.get', { runId: ids[3]! })).run.info.lifecycleStage).toBe('deleted');
    const restored = await api.call('runs.restoreMany', { selection: { runIds } });
    expect(restored.runIds).toHaveLength(4);
    expect((await api.call('runs.count', { experimentIds: [experimentId] })).count).toBe(6);
  });

  it('announces a bulk change once per experiment, naming the runs up to the cap and none past it', async () => {
    const { api, fd } = await testFlowdesk();
    const { experimentId } = await api.call('experiments.create', { name: 'bulk-events' });
    const few = [await logRun(api, experimentId, {}, {}), await logRun(api, experimentId, {}, {})];
    const seen: FlowdeskEvent[] = [];
    fd.events.subscribe((e) => seen.push(e));
    await api.call('runs.deleteMany', { selection: { runIds: few } });
    await api.call('runs.restoreMany', { selection: { runIds: few } });
    const changes = seen.filter((e) => e.type === 'runs.changed');
    expect(changes.map((e) => e.type === 'runs.changed' && [e.experimentId, [...e.runIds].sort()])).toEqual([
      [experimentId, [...few].sort()],
      [experimentId, [...few].sort()],
    ]);

    const many = await api.call('experiments.create', { name: 'bulk-events-many' });
    for (let i = 0; i <= MAX_NAMED_RUNS; i++) await api.call('runs.create', { experimentId: many.experimentId });
    seen.length = 0;
    const { count } = await api.call('runs.setTagMany', { selection: { experimentIds: [many.experimentId] }, key: 'reviewed', value: 'yes' });
    expect(count).toBe(MAX_NAMED_RUNS + 1);
    expect(seen).toEqual([
      { type: 'experiment.changed', experimentId: many.experimentId },
      { type: 'runs.changed', experimentId: many.experimentId, runIds: [] },
    ]);
  });

  it('refuses a list naming a run that does not exist, and changes nothing', async () => {
    const { api } = await testFlowdesk();
    const run = await logRun(api, '0', {}, {});
    await expect(api.call('runs.deleteMany', { selection: { runIds: [run, 'f'.repeat(32)] } })).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
    expect((await api.call('runs.get', { runId: run })).run.info.lifecycleStage).toBe('active');
  });

  it('refuses to restore runs of a deleted experiment, and restores none of them', async () => {
    const { api } = await testFlowdesk();
    const { experimentId } = await api.call('experiments.create', { name: 'gone' });
    const kept = await logRun(api, '0', {}, {});
    const inside = await logRun(api, experimentId, {}, {});
    await api.call('runs.deleteMany', { selection: { runIds: [kept, inside] } });
    await api.call('experiments.delete', { experimentId });
    await expect(api.call('runs.restoreMany', { selection: { runIds: [kept, inside] } })).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
    expect((await api.call('runs.get', { runId: kept })).run.info.lifecycleStage).toBe('deleted');
  });

  it('tags every matching active run in one call, replacing an old value, and refuses system tags', async () => {
    const { api } = await testFlowdesk();
    const { experimentId } = await api.call('experiments.create', { name: 'tagging' });
    const a = await logRun(api, experimentId, { model: 'rf' }, {}, { review: 'old' });
    const b = await logRun(api, experimentId, { model: 'rf' }, {});
    const c = await logRun(api, experimentId, { model: 'xgb' }, {});
    const { count } = await api.call('runs.setTagMany', { selection: { experimentIds: [experimentId], filter: "params.model = 'rf'" }, key: 'review', value: 'done' });
    expect(count).toBe(2);
    const tagOf = async (runId: string) => (await api.call('runs.get', { runId })).run.data.tags.find((t) => t.key === 'review')?.value;
    expect([await tagOf(a), await tagOf(b), await tagOf(c)]).toEqual(['done', 'done', undefined]);
    await expect(api.call('runs.setTagMany', { selection: { runIds: [c] }, key: 'mlflow.runName', value: 'x' })).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
    expect(await tagOf(c)).toBeUndefined();
  });
});
