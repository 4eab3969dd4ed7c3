import { describe, expect, it } from 'vitest';
import { OVERVIEW_RUNS } from '#core/api/overview-contract.ts';
import { testFlowdesk } from '../helpers/flowdesk.ts';

describe('the start page overview', () => {
  it('counts each active experiment’s active runs, running ones apart, most recently active first', async () => {
    const { api } = await testFlowdesk();
    const quiet = await api.call('experiments.create', { name: 'quiet' });
    const busy = await api.call('experiments.create', { name: 'busy' });
    const gone = await api.call('experiments.create', { name: 'gone' });
    const start = Date.now() + 60_000;
    const finished = await api.call('runs.create', { experimentId: busy.experimentId, startTime: start });
    await api.call('runs.update', { runId: finished.run.info.runId, status: 'FINISHED', endTime: start + 5_000 });
    await api.call('runs.create', { experimentId: busy.experimentId, startTime: start + 1_000 });
    const trashed = await api.call('runs.create', { experimentId: busy.experimentId, startTime: start + 2_000 });
    await api.call('runs.delete', { runId: trashed.run.info.runId });
    await api.call('runs.create', { experimentId: gone.experimentId });
    await api.call('experiments.delete', { experimentId: gone.experimentId });

    const { experiments } = await api.call('home.overview', {});
    expect(experiments.map((e) => [e.name, e.runCount, e.runningCount])).toEqual([
      ['busy', 2, 1],
      ['quiet', 0, 0],
      ['Default', 0, 0],
    ]);
    expect(experiments[0]).toMatchObject({ experimentId: busy.experimentId, lastActivity: start + 5_000 });
    expect(experiments.find((e) => e.experimentId === quiet.experimentId)!.lastActivity).toBeLessThan(start);
  });

  it('lists the running runs and the newest runs, each newest first and capped, with their experiment’s name', async () => {
    const { api } = await testFlowdesk();
    const { experimentId } = await api.call('experiments.create', { name: 'sweep' });
    const start = 1_700_000_000_000;
    const ids: string[] = [];
    for (let i = 0; i < OVERVIEW_RUNS + 3; i++) {
      const { run } = await api.call('runs.create', { experimentId, runName: `trial-${i}`, startTime: start + i * 1000 });
      ids.push(run.info.runId);
      // Every third run is still running; the rest finished.
      if (i % 3 !== 0) await api.call('runs.update', { runId: run.info.runId, status: 'FINISHED', endTime: start + i * 1000 + 500 });
    }
    await api.call('runs.delete', { runId: ids[12]! });

    const { running, recent } = await api.call('home.overview', {});
    expect(running.map((r) => r.runName)).toEqual(['trial-9', 'trial-6', 'trial-3', 'trial-0']);
    expect(recent.map((r) => r.runName)).toEqual(['trial-11', 'trial-10', 'trial-9', 'trial-8', 'trial-7', 'trial-6', 'trial-5', 'trial-4', 'trial-3', 'trial-2']);
    expect(recent[0]).toEqual({ runId: ids[11], runName: 'trial-11', experimentId, experimentName: 'sweep', status: 'FINISHED', startTime: start + 11_000, endTime: start + 11_500 });
    expect(running[0]).not.toHaveProperty('endTime');
  });

  it('answers an empty catalog with the Default experiment and no runs', async () => {
    const { api } = await testFlowdesk();
    const overview = await api.call('home.overview', {});
    expect(overview.experiments.map((e) => [e.experimentId, e.runCount])).toEqual([['0', 0]]);
    expect(overview.running).toEqual([]);
    expect(overview.recent).toEqual([]);
  });
});
