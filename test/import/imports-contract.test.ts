/**
 * The `imports.*` contract methods: an import started through the contract reports progress as
 * events, can be stopped between batches (whole runs stay, the one in flight is rolled back), and
 * the same import started again completes the rest.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FlowdeskEvent } from '#core/api/events.ts';
import { testFlowdesk } from '../helpers/flowdesk.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { writeSyntheticMlruns } from '../helpers/synthetic-mlruns.ts';

describe('imports through the contract', () => {
  it('stops between batches leaving only whole runs, and the same import started again completes the rest', async () => {
    const { fd, api } = await testFlowdesk();
    const mlruns = join(tempDir(), 'mlruns');
    const pointsPerRun = 3000;
    const written = writeSyntheticMlruns(mlruns, 40, pointsPerRun);
    const events: FlowdeskEvent[] = [];
    let heard = () => {};
    const unsubscribe = fd.events.subscribe((e) => {
      events.push(e);
      heard();
    });
    const { importId } = await api.call('imports.start', { source: mlruns });
    // Stopped once the first runs are in.
    await new Promise<void>((resolve) => {
      heard = () => {
        if (events.some((e) => e.type === 'imports.progress' && e.importId === importId && e.progress.runs > 0)) resolve();
      };
      heard();
    });
    await api.call('imports.stop', { importId });
    const stopped = (await api.call('imports.get', { importId })).import;
    expect(stopped.state).toBe('stopped');
    expect(events.filter((e) => e.type === 'imports.finished')).toEqual([{ type: 'imports.finished', importId, state: 'stopped', experimentIds: [] }]);

    const series = async () => fd.catalog.db.selectFrom('runs').innerJoin('metric_series', 'metric_series.run_id', 'runs.id').select(['runs.run_uuid', 'metric_series.point_count']).execute();
    const partial = await series();
    expect(partial.length).toBeGreaterThan(0);
    expect(partial.length).toBeLessThan(written.runIds.length);
    expect(partial.every((s) => Number(s.point_count) === pointsPerRun)).toBe(true);

    const again = await api.call('imports.start', { source: mlruns });
    await new Promise<void>((resolve) => {
      heard = () => {
        if (events.some((e) => e.type === 'imports.finished' && e.importId === again.importId)) resolve();
      };
      heard();
    });
    unsubscribe();
    const done = (await api.call('imports.get', { importId: again.importId })).import;
    expect([done.state, done.summary!.runs.imported, done.summary!.runs.alreadyThere]).toEqual(['done', written.runIds.length - partial.length, partial.length]);
    const all = await series();
    expect(all.map((s) => s.run_uuid).sort()).toEqual([...written.runIds].sort());
    expect(all.every((s) => Number(s.point_count) === pointsPerRun)).toBe(true);
    expect((await api.call('imports.list', {})).imports.map((i) => i.importId)).toEqual([again.importId, importId]);
  });
});
