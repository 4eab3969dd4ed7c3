import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { testFlowdesk } from '../helpers/flowdesk.ts';
import { artifactBackends } from '../helpers/s3.ts';

describe.each(artifactBackends())('disk usage per experiment ($name)', (backend) => {
  it('reports bytes per experiment, active and deleted, largest first, with their total', async () => {
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
    expect(usage.experiments).toEqual([
      { experimentId: big.experimentId, name: 'big', lifecycleStage: 'active', bytes: 10000 },
      { experimentId: gone.experimentId, name: 'gone', lifecycleStage: 'deleted', bytes: 5000 },
      { experimentId: small.experimentId, name: 'small', lifecycleStage: 'active', bytes: 1000 },
      { experimentId: '0', name: 'Default', lifecycleStage: 'active', bytes: 0 },
    ]);
    expect(usage.totalBytes).toBe(16000);
  });

  it('counts a deleted run in its experiment until it is purged', async () => {
    const { api, fd } = await testFlowdesk({ artifacts: backend.setting() });
    const { run } = await api.call('runs.create', { experimentId: '0' });
    await fd.artifacts.write(`0/${run.info.runId}/artifacts/model.bin`, Readable.from([Buffer.alloc(2048, 1)]));
    await api.call('runs.delete', { runId: run.info.runId });
    expect((await api.call('experiments.diskUsage', {})).totalBytes).toBe(2048);
    await api.call('trash.purge', { runIds: [run.info.runId] });
    const after = await api.call('experiments.diskUsage', {});
    expect(after.experiments).toEqual([{ experimentId: '0', name: 'Default', lifecycleStage: 'active', bytes: 0 }]);
    expect(after.totalBytes).toBe(0);
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
