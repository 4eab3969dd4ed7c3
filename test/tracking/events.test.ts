import { describe, expect, it } from 'vitest';
import type { FlowdeskEvent } from '#core/api/events.ts';
import { testFlowdesk } from '../helpers/flowdesk.ts';

describe('events', () => {
  it('publishes what changed after each write, in order', async () => {
    const { api, fd } = await testFlowdesk();
    const seen: FlowdeskEvent[] = [];
    fd.events.subscribe((e) => seen.push(e));
    const { experimentId } = await api.call('experiments.create', { name: 'e' });
    const runId = (await api.call('runs.create', { experimentId })).run.info.runId;
    await api.call('runs.logMetric', { runId, key: 'loss', value: 1, timestamp: 1 });
    await api.call('runs.update', { runId, status: 'FINISHED' });
    expect(seen).toEqual([
      { type: 'experiment.changed', experimentId },
      { type: 'run.created', experimentId, runId },
      { type: 'metrics.logged', experimentId, runId, keys: ['loss'] },
      { type: 'run.updated', experimentId, runId },
    ]);
  });

  it('keeps a throwing listener from failing the write or starving other listeners', async () => {
    const { api, fd } = await testFlowdesk();
    const seen: string[] = [];
    fd.events.subscribe(() => {
      throw new Error('subscriber went away');
    });
    fd.events.subscribe((e) => seen.push(e.type));
    const runId = (await api.call('runs.create', {})).run.info.runId;
    await expect(api.call('runs.logMetric', { runId, key: 'm', value: 1, timestamp: 1 })).resolves.toEqual({});
    expect(seen).toEqual(['run.created', 'metrics.logged']);
  });
});
