import { describe, expect, it } from 'vitest';
import { MAX_BATCH_BUCKETS } from '#core/api/batched-reads-contract.ts';
import { clientOver, TRANSPORTS } from '../helpers/transports.ts';

describe('runs.getMany', () => {
  it.each(TRANSPORTS)('answers each named run as runs.get does, in the order named, once each, and lists the ids that name no run (%s)', async (transport) => {
    const { api } = await clientOver(transport);
    const { experimentId } = await api.call('experiments.create', { name: 'many' });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const { run } = await api.call('runs.create', { experimentId, runName: `r${i}` });
      await api.call('runs.logBatch', { runId: run.info.runId, params: [{ key: 'lr', value: String(i) }], metrics: [{ key: 'loss', value: i / 2, timestamp: 5, step: 2 }] });
      ids.push(run.info.runId);
    }
    await api.call('runs.delete', { runId: ids[1]! });
    const unknown = 'f'.repeat(32);

    const { runs, missing } = await api.call('runs.getMany', { runIds: [ids[2]!, unknown, ids[0]!, ids[1]!, ids[2]!, 'not-an-id'] });
    expect(runs.map((r) => r.info.runId)).toEqual([ids[2], ids[0], ids[1]]);
    expect(missing).toEqual([unknown, 'not-an-id']);
    for (const run of runs) expect(run).toEqual((await api.call('runs.get', { runId: run.info.runId })).run);
  });
});

describe('metrics.sampledMany', () => {
  it.each(TRANSPORTS)("answers each run's series as metrics.sampled does, over each run's own step range (%s)", async (transport) => {
    const { api } = await clientOver(transport);
    const { experimentId } = await api.call('experiments.create', { name: 'sampled-many' });
    const ids: string[] = [];
    for (let r = 0; r < 3; r++) {
      const { run } = await api.call('runs.create', { experimentId });
      ids.push(run.info.runId);
      // The third run never logs the metric.
      if (r === 2) continue;
      const metrics = Array.from({ length: 500 }, (_, step) => ({ key: 'loss', value: step === 250 ? Number.NaN : Math.sin(step + r) * (r + 1), timestamp: 1000 + step, step }));
      await api.call('runs.logBatch', { runId: run.info.runId, metrics });
    }

    const { series } = await api.call('metrics.sampledMany', {
      key: 'loss',
      buckets: 40,
      series: [{ runId: ids[1]! }, { runId: ids[0]!, startStep: 100, endStep: 180 }, { runId: ids[2]! }],
    });
    expect(series.map((s) => s.runId)).toEqual([ids[1], ids[0], ids[2]]);
    expect(series[0]).toEqual({ runId: ids[1], ...(await api.call('metrics.sampled', { runId: ids[1]!, key: 'loss', buckets: 40 })) });
    expect(series[1]).toEqual({ runId: ids[0], ...(await api.call('metrics.sampled', { runId: ids[0]!, key: 'loss', buckets: 40, startStep: 100, endStep: 180 })) });
    expect(series[0]!.nanCount).toBe(1);
    expect(series[2]).toEqual({ runId: ids[2], buckets: [], nanCount: 0, pointCount: 0 });
  });

  it('refuses more buckets in all than the cap, an unknown run and a reversed range, with 4xx codes', async () => {
    const { api } = await clientOver('http');
    const { run } = await api.call('runs.create', {});
    const runId = run.info.runId;
    const runs = Math.floor(MAX_BATCH_BUCKETS / 1000) + 1;
    await expect(api.call('metrics.sampledMany', { key: 'm', buckets: 1000, series: Array.from({ length: runs }, () => ({ runId })) })).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
    await expect(api.call('metrics.sampledMany', { key: 'm', series: [{ runId }, { runId: 'f'.repeat(32) }] })).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
    await expect(api.call('metrics.sampledMany', { key: 'm', series: [{ runId, startStep: 5, endStep: 1 }] })).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
  });
});
