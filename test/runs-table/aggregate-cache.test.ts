/**
 * The catalog's cache of the runs table's whole-experiment aggregates (`runs.columnStats`,
 * `runs.groups` without a filter): asked again, the stored answer is served; after any change
 * to the runs, their params or their latest metrics, the answer is exactly what a fresh read gives.
 */
import { describe, expect, it } from 'vitest';
import type { Client } from '#core/api/client.ts';
import type { Flowdesk } from '#core/flowdesk.ts';
import { testFlowdesk } from '../helpers/flowdesk.ts';

/** Logs a run with params and latest metrics; returns its id. */
async function logRun(api: Client, experimentId: string, params: Record<string, string>, metrics: Record<string, number>) {
  const { run } = await api.call('runs.create', { experimentId });
  await api.call('runs.logBatch', {
    runId: run.info.runId,
    params: Object.entries(params).map(([key, value]) => ({ key, value })),
    metrics: Object.entries(metrics).map(([key, value]) => ({ key, value, timestamp: 1, step: 0 })),
  });
  return run.info.runId;
}

/** A sweep of five runs: `lr` numeric, `model` text, `loss` on every run, `acc` on some. */
async function sweep() {
  const { fd, api } = await testFlowdesk();
  const { experimentId } = await api.call('experiments.create', { name: 'sweep' });
  const runIds: string[] = [];
  for (let i = 0; i < 5; i++) {
    runIds.push(await logRun(api, experimentId, { lr: String(0.001 * 10 ** i), model: i % 2 ? 'rf' : 'xgb' }, i % 2 ? { loss: i } : { loss: i, acc: i / 10 }));
  }
  return { fd, api, experimentId, runIds };
}

/** The three aggregates the window asks, each answered by the handlers (from the cache when it holds them). */
async function aggregates(api: Client, experimentId: string) {
  return {
    stats: await api.call('runs.columnStats', { experimentIds: [experimentId] }),
    all: await api.call('runs.columnStats', { experimentIds: [experimentId], viewType: 'ALL' }),
    byModel: await api.call('runs.groups', { experimentIds: [experimentId], param: 'model' }),
    byLr: await api.call('runs.groups', { experimentIds: [experimentId], param: 'lr', bins: 3 }),
  };
}

/** The same aggregates read afresh from the runs, with the cache emptied first. */
async function fresh(fd: Flowdesk, api: Client, experimentId: string) {
  await fd.catalog.write((trx) => trx.deleteFrom('aggregate_cache').execute());
  return aggregates(api, experimentId);
}

describe('aggregate cache', () => {
  it('serves a stored answer again while nothing it read changed', async () => {
    const { fd, api, experimentId } = await sweep();
    const first = await api.call('runs.columnStats', { experimentIds: [experimentId] });
    expect(first.runCount).toBe(5);
    // A stored answer marked so that only the cache could give it.
    const stored = await fd.catalog.db.selectFrom('aggregate_cache').select(['request', 'answer']).execute();
    expect(stored).toHaveLength(1);
    const marked = JSON.stringify({ ...first, runCount: 12345 });
    await fd.catalog.write((trx) => trx.updateTable('aggregate_cache').set({ answer: marked }).execute());
    expect((await api.call('runs.columnStats', { experimentIds: [experimentId] })).runCount).toBe(12345);
  });

  it('keeps NaN and infinite metric summaries through the cache', async () => {
    const { api } = await testFlowdesk();
    const { experimentId } = await api.call('experiments.create', { name: 'inf' });
    await logRun(api, experimentId, { model: 'a' }, { loss: Number.POSITIVE_INFINITY });
    await logRun(api, experimentId, { model: 'a' }, { loss: Number.NEGATIVE_INFINITY });
    const ask = () => api.call('runs.groups', { experimentIds: [experimentId], param: 'model' });
    const read = await ask();
    const again = await ask();
    expect(again).toEqual(read);
    expect(again.groups[0]!.metrics[0]).toMatchObject({ key: 'loss', min: Number.NEGATIVE_INFINITY, max: Number.POSITIVE_INFINITY });
    expect(again.groups[0]!.metrics[0]!.mean).toBeNaN();
  });

  it('answers exactly after a run is logged', async () => {
    const { fd, api, experimentId } = await sweep();
    await aggregates(api, experimentId);
    await logRun(api, experimentId, { lr: '5', model: 'svm', extra: 'x' }, { f1: 0.5 });
    const after = await aggregates(api, experimentId);
    expect(after.stats.runCount).toBe(6);
    expect(after.byModel.groups.map((g) => g.value)).toContain('svm');
    expect(after).toEqual(await fresh(fd, api, experimentId));
  });

  it('answers exactly after a param or metric is added to a run and a latest metric changes', async () => {
    const { fd, api, experimentId, runIds } = await sweep();
    await aggregates(api, experimentId);
    await api.call('runs.logParam', { runId: runIds[0]!, key: 'depth', value: '3' });
    expect((await aggregates(api, experimentId)).stats.params.map((p) => p.key)).toContain('depth');
    await api.call('runs.logMetric', { runId: runIds[1]!, key: 'acc', value: 0.9, timestamp: 2, step: 1 });
    expect((await aggregates(api, experimentId)).stats.metrics.find((m) => m.key === 'acc')?.runCount).toBe(4);
    await api.call('runs.logMetric', { runId: runIds[0]!, key: 'loss', value: 100, timestamp: 2, step: 1 });
    const after = await aggregates(api, experimentId);
    expect(after.byModel.groups.find((g) => g.value === 'xgb')?.metrics.find((m) => m.key === 'loss')?.max).toBe(100);
    expect(after).toEqual(await fresh(fd, api, experimentId));
  });

  it('answers exactly after runs go to the trash, come back, and are purged', async () => {
    const { fd, api, experimentId, runIds } = await sweep();
    await aggregates(api, experimentId);
    await api.call('runs.delete', { runId: runIds[0]! });
    const trashed = await aggregates(api, experimentId);
    expect(trashed.stats.runCount).toBe(4);
    expect(trashed.all.runCount).toBe(5);
    expect(trashed).toEqual(await fresh(fd, api, experimentId));

    await api.call('runs.restore', { runId: runIds[0]! });
    expect((await aggregates(api, experimentId)).stats.runCount).toBe(5);

    await api.call('runs.deleteMany', { selection: { experimentIds: [experimentId], filter: "params.model = 'rf'" } });
    const bulk = await aggregates(api, experimentId);
    expect(bulk.byModel.groups.map((g) => g.value)).toEqual(['xgb']);
    expect(bulk).toEqual(await fresh(fd, api, experimentId));

    await api.call('runs.restoreMany', { selection: { experimentIds: [experimentId], filter: '' } });
    expect((await aggregates(api, experimentId)).stats.runCount).toBe(5);

    await api.call('runs.delete', { runId: runIds[4]! });
    await aggregates(api, experimentId);
    await api.call('trash.purge', { runIds: [runIds[4]!] });
    const purged = await aggregates(api, experimentId);
    expect(purged.all.runCount).toBe(4);
    expect(purged).toEqual(await fresh(fd, api, experimentId));
  });

  it('keeps the answers of two experiments apart: a change to one leaves the other served from its store', async () => {
    const { fd, api, experimentId } = await sweep();
    const other = await api.call('experiments.create', { name: 'other' });
    await logRun(api, other.experimentId, { lr: '1' }, { loss: 1 });
    await api.call('runs.columnStats', { experimentIds: [experimentId] });
    await api.call('runs.columnStats', { experimentIds: [other.experimentId] });
    await logRun(api, other.experimentId, { lr: '2' }, { loss: 2 });
    const epochs = await fd.catalog.db.selectFrom('aggregate_epochs').select(['experiment_id', 'epoch', 'valid']).orderBy('experiment_id').execute();
    expect(epochs.map((e) => [String(e.experiment_id), Number(e.epoch), Number(e.valid)])).toEqual([
      [experimentId, 0, 1],
      [other.experimentId, 1, 0],
    ]);
    expect((await api.call('runs.columnStats', { experimentIds: [other.experimentId] })).runCount).toBe(2);
  });

  it('reads a filtered group-by afresh each time, as a filter can read tables the epochs do not watch', async () => {
    const { fd, api, experimentId } = await sweep();
    await api.call('runs.groups', { experimentIds: [experimentId], param: 'model', filter: "params.model = 'rf'" });
    expect(await fd.catalog.db.selectFrom('aggregate_cache').select('request').execute()).toEqual([]);
  });
});
