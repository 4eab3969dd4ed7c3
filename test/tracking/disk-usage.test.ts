/** Disk usage per experiment: artifacts, and the catalog's share (its rows), on SQLite and PostgreSQL. */
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { catalogShares } from '#core/tracking/disk-usage.ts';
import { testFlowdesk } from '../helpers/flowdesk.ts';
import { artifactBackends } from '../helpers/s3.ts';
import { seedTraces } from '../e2e/bulk-traces.ts';

describe.each(artifactBackends())('disk usage per experiment ($name)', (backend) => {
  it('reports artifact bytes per experiment, active and deleted, largest first, with their total', async () => {
    const { api, fd } = await testFlowdesk({ artifacts: backend.setting() });
    const small = await api.call('experiments.create', { name: 'small' });
    const big = await api.call('experiments.create', { name: 'big' });
    const gone = await api.call('experiments.create', { name: 'gone' });
    const write = async (experimentId: string, bytes: number) => {
      const { run } = await api.call('runs.create', { experimentId });
      await fd.artifacts.write(`${experimentId}/${run.info.runId}/artifacts/data.bin`, Readable.from([Buffer.alloc(bytes, 1)]));
      return run.info.runId;
    };
    await write(small.experimentId, 1000);
    await write(big.experimentId, 7000);
    await write(big.experimentId, 3000);
    await write(gone.experimentId, 5000);
    await api.call('experiments.delete', { experimentId: gone.experimentId });

    const usage = await api.call('experiments.diskUsage', {});
    expect(usage.experiments.map((e) => [e.name, e.lifecycleStage, e.artifactBytes])).toEqual([
      ['big', 'active', 10000],
      ['gone', 'deleted', 5000],
      ['small', 'active', 1000],
      ['Default', 'active', 0],
    ]);
    for (const e of usage.experiments) expect(e.bytes).toBe(e.artifactBytes + e.catalogBytes);
    expect(usage.artifactBytes).toBe(16000);
    expect(usage.totalBytes).toBe(usage.artifactBytes + usage.catalogBytes);
  });

  it('counts a deleted run in its experiment until it is purged', async () => {
    const { api, fd } = await testFlowdesk({ artifacts: backend.setting() });
    const { run } = await api.call('runs.create', { experimentId: '0' });
    await fd.artifacts.write(`0/${run.info.runId}/artifacts/model.bin`, Readable.from([Buffer.alloc(2048, 1)]));
    await api.call('runs.delete', { runId: run.info.runId });
    expect((await api.call('experiments.diskUsage', {})).artifactBytes).toBe(2048);
    await api.call('trash.purge', { runIds: [run.info.runId] });
    const after = await api.call('experiments.diskUsage', {});
    expect(after.experiments.map((e) => [e.name, e.artifactBytes])).toEqual([['Default', 0]]);
    expect(after.artifactBytes).toBe(0);
  });

  it('drops a purged experiment from the report', async () => {
    const { api } = await testFlowdesk({ artifacts: backend.setting() });
    const { experimentId } = await api.call('experiments.create', { name: 'purged' });
    await api.call('experiments.delete', { experimentId });
    await api.call('trash.purge', { experimentIds: [experimentId] });
    const usage = await api.call('experiments.diskUsage', {});
    expect(usage.experiments.map((e) => e.name)).toEqual(['Default']);
  });
});

describe('the catalog share of disk usage', () => {
  it('counts an experiment with a million metric points and no artifacts by its catalog rows', async () => {
    const { api, fd } = await testFlowdesk();
    const big = await api.call('experiments.create', { name: 'million-points' });
    const small = await api.call('experiments.create', { name: 'ten-points' });
    const { run } = await api.call('runs.create', { experimentId: big.experimentId });
    // Through the core directly, a thousand points a batch: the contract client would only add validation time.
    for (let first = 0; first < 1_000_000; first += 1000) {
      await fd.handlers['runs.logBatch']({ runId: run.info.runId, metrics: Array.from({ length: 1000 }, (_, i) => ({ key: 'loss', value: Math.sin(first + i), timestamp: 1_700_000_000_000 + first + i, step: first + i })) });
    }
    const { run: other } = await api.call('runs.create', { experimentId: small.experimentId });
    await api.call('runs.logBatch', { runId: other.info.runId, metrics: Array.from({ length: 10 }, (_, step) => ({ key: 'loss', value: step, timestamp: 1_700_000_000_000 + step, step })) });

    const usage = await api.call('experiments.diskUsage', {});
    const row = (name: string) => usage.experiments.find((e) => e.name === name)!;
    expect(usage.experiments[0]!.name).toBe('million-points');
    expect(row('million-points').artifactBytes).toBe(0);
    // A point takes tens of bytes on disk (about 35 in SQLite, 140 in PostgreSQL with its row headers).
    expect(row('million-points').catalogBytes / 1_000_000).toBeGreaterThan(15);
    expect(row('million-points').catalogBytes / 1_000_000).toBeLessThan(250);
    expect(row('ten-points').catalogBytes).toBeGreaterThan(0);
    // Small tables have pages of fixed size (PostgreSQL's are 8 KiB, and each index has its own), so a few rows cost more than their bytes.
    expect(row('ten-points').catalogBytes).toBeLessThan(row('million-points').catalogBytes / 100);
    expect(usage.catalogBytes).toBe(usage.experiments.reduce((sum, e) => sum + e.catalogBytes, 0));
  });

  it('counts the traces of an experiment without runs by their catalog rows', async () => {
    const { api, fd } = await testFlowdesk();
    const { experimentId } = await api.call('experiments.create', { name: 'agent-traces' });
    await api.call('experiments.create', { name: 'empty' });
    await seedTraces(fd, experimentId, 2000);

    const usage = await api.call('experiments.diskUsage', {});
    const row = (name: string) => usage.experiments.find((e) => e.name === name)!;
    expect(usage.experiments[0]!.name).toBe('agent-traces');
    expect(row('agent-traces').artifactBytes).toBe(0);
    // Each trace is a row with its previews, a span with its attributes, a tag and metadata: hundreds of bytes.
    expect(row('agent-traces').catalogBytes / 2000).toBeGreaterThan(100);
    expect(row('empty').catalogBytes).toBeLessThan(row('agent-traces').catalogBytes / 100);
    expect(usage.catalogBytes).toBe(usage.experiments.reduce((sum, e) => sum + e.catalogBytes, 0));
  });

  it('gives the catalog share of a purged experiment back', async () => {
    const { api } = await testFlowdesk();
    const { experimentId } = await api.call('experiments.create', { name: 'short-lived' });
    const { run } = await api.call('runs.create', { experimentId });
    await api.call('runs.logBatch', { runId: run.info.runId, params: [{ key: 'lr', value: '0.1' }], metrics: [{ key: 'loss', value: 1, timestamp: 1, step: 0 }] });
    await api.call('experiments.delete', { experimentId });
    const before = await api.call('experiments.diskUsage', {});
    expect(before.experiments.find((e) => e.name === 'short-lived')!.catalogBytes).toBeGreaterThan(0);
    await api.call('trash.purge', { experimentIds: [experimentId] });
    const after = await api.call('experiments.diskUsage', {});
    expect(after.experiments.map((e) => e.name)).toEqual(['Default']);
    expect(after.catalogBytes).toBe(after.experiments[0]!.catalogBytes);
  });

  it('splits each table between experiments in proportion to the rows they own', () => {
    const shares = catalogShares(
      {
        metrics: new Map([
          [1, 900],
          [2, 100],
        ]),
        runs: new Map([
          [1, 1],
          [2, 3],
          [3, 0],
        ]),
        params: new Map([[2, 5]]),
      },
      new Map([
        ['metrics', 40_000],
        ['runs', 8000],
        ['params', 0],
      ]),
    );
    expect(shares.get(1)).toBe(36_000 + 2000);
    expect(shares.get(2)).toBe(4000 + 6000);
    expect(shares.get(3) ?? 0).toBe(0);
  });
});
