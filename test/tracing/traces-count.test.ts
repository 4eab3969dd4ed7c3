/** traces.count: the exact number of traces a search would find, for the window's traces table. */
import { describe, expect, it } from 'vitest';
import type { Client } from '#core/api/client.ts';
import { testFlowdesk } from '../helpers/flowdesk.ts';

const traceIdOf = (n: number) => `tr-${n.toString(16).padStart(32, '0')}`;
const T0 = 1_700_000_000_000;

async function startTrace(api: Client, experimentId: string, n: number, extra: { tags?: Record<string, string>; metadata?: Record<string, string>; state?: 'OK' | 'ERROR' } = {}) {
  await api.call('traces.start', {
    trace: { traceId: traceIdOf(n), experimentId, requestTime: T0 + n, executionDuration: n, state: extra.state ?? 'OK', tags: extra.tags, metadata: extra.metadata },
  });
}

describe('traces.count', () => {
  it('counts the traces a filter matches, with OR and parentheses', async () => {
    const { api } = await testFlowdesk();
    const { experimentId } = await api.call('experiments.create', { name: 'count' });
    for (let n = 1; n <= 9; n++) await startTrace(api, experimentId, n, { tags: { team: n % 3 === 0 ? 'a' : 'b' }, state: n % 2 ? 'OK' : 'ERROR' });
    const count = async (filter?: string) => (await api.call('traces.count', { experimentIds: [experimentId], filter })).count;
    expect(await count()).toBe(9);
    expect(await count("trace.status = 'ERROR'")).toBe(4);
    // Team a is 3, 6 and 9; errors slower than 5 ms are 6 and 8.
    expect(await count("tags.team = 'a' OR (trace.status = 'ERROR' AND trace.execution_time_ms > 5)")).toBe(4);
  });

  it('counts only the traces of a run, leaving out those of a deleted run', async () => {
    const { api } = await testFlowdesk();
    const { experimentId } = await api.call('experiments.create', { name: 'count-run' });
    const { run } = await api.call('runs.create', { experimentId });
    const { run: other } = await api.call('runs.create', { experimentId });
    await startTrace(api, experimentId, 1, { metadata: { 'mlflow.sourceRun': run.info.runId } });
    await startTrace(api, experimentId, 2);
    await startTrace(api, experimentId, 3, { metadata: { 'mlflow.sourceRun': other.info.runId } });
    await api.call('traces.linkToRun', { traceIds: [traceIdOf(2)], runId: run.info.runId });
    expect((await api.call('traces.count', { experimentIds: [experimentId], runId: run.info.runId })).count).toBe(2);
    await api.call('runs.delete', { runId: other.info.runId });
    expect((await api.call('traces.count', { experimentIds: [experimentId] })).count).toBe(2);
  });

  it('refuses a malformed filter with the position of the mistake', async () => {
    const { api } = await testFlowdesk();
    const { experimentId } = await api.call('experiments.create', { name: 'count-bad' });
    await expect(api.call('traces.count', { experimentIds: [experimentId], filter: "trace.status = 'OK' AND" })).rejects.toMatchObject({
      code: 'INVALID_PARAMETER_VALUE',
      message: expect.stringMatching(/^Invalid filter at position \d+:/),
    });
  });
});
