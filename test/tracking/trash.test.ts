import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { testFlowdesk } from '../helpers/flowdesk.ts';
import { artifactBackends, listKeys, type ArtifactBackend } from '../helpers/s3.ts';
import type { Client } from '#core/api/client.ts';
import { parseS3Url } from '#core/artifacts/s3-artifact-store.ts';
import type { Flowdesk } from '#core/flowdesk.ts';

/**
 * Every file path in the store. On S3 it comes from a raw listing of the bucket, so a purge is
 * seen to delete the objects themselves, not just to hide them from the store.
 */
async function storedFiles(fd: Flowdesk, setting: string | undefined): Promise<string[]> {
  if (setting !== undefined) {
    const { bucket, prefix } = parseS3Url(setting);
    return Object.keys(await listKeys(bucket, `${prefix}/`)).map((k) => k.slice(prefix.length + 1)).sort();
  }
  const walk = async (dir: string): Promise<string[]> =>
    (await Promise.all((await fd.artifacts.list(dir)).map((e) => (e.isDir ? walk(`${dir}${e.path}/`) : [`${dir}${e.path}`])))).flat();
  return (await walk('')).sort();
}

/** A Flowdesk on the backend, with what its store holds. */
async function open(backend: ArtifactBackend, options: { now?: () => number } = {}) {
  const artifacts = backend.setting();
  const opened = await testFlowdesk({ ...options, artifacts });
  return { ...opened, files: () => storedFiles(opened.fd, artifacts) };
}

async function runWithArtifact(api: Client, fd: Flowdesk, experimentId: string, bytes: number) {
  const { run } = await api.call('runs.create', { experimentId });
  await api.call('runs.logBatch', {
    runId: run.info.runId,
    metrics: Array.from({ length: 50 }, (_, i) => ({ key: 'm', value: i, timestamp: i, step: i })),
    params: [{ key: 'p', value: '1' }],
  });
  await fd.artifacts.write(`${experimentId}/${run.info.runId}/artifacts/data.bin`, Readable.from([Buffer.alloc(bytes, 1)]));
  return run.info.runId;
}

describe.each(artifactBackends())('trash and purge ($name)', (backend) => {
  it('lists deleted runs and experiments with the bytes their artifacts take', async () => {
    const { api, fd } = await open(backend);
    const { experimentId } = await api.call('experiments.create', { name: 'exp' });
    const runId = await runWithArtifact(api, fd, experimentId, 3000);
    const other = await api.call('experiments.create', { name: 'other' });
    await runWithArtifact(api, fd, other.experimentId, 5000);
    await api.call('runs.delete', { runId });
    await api.call('experiments.delete', { experimentId: other.experimentId });
    const { entries } = await api.call('trash.list', {});
    expect(entries).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'run', id: runId, bytes: 3000 }),
        expect.objectContaining({ kind: 'experiment', id: other.experimentId, name: 'other', bytes: 5000 }),
      ]),
    );
    expect(entries).toHaveLength(2);
  });

  it('purges a deleted run: rows, metric points and artifact files, reporting the bytes freed', async () => {
    const { api, fd, files } = await open(backend);
    const keep = await runWithArtifact(api, fd, '0', 100);
    const runId = await runWithArtifact(api, fd, '0', 4096);
    await api.call('runs.delete', { runId });
    const report = await api.call('trash.purge', { runIds: [runId] });
    expect(report).toEqual({ experimentsPurged: 0, runsPurged: 1, bytesReclaimed: 4096, kept: [] });
    await expect(api.call('runs.get', { runId })).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
    expect(await files()).toEqual([`0/${keep}/artifacts/data.bin`]);
    const points = await fd.catalog.db.selectFrom('metrics').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
    expect(Number(points.n)).toBe(50);
    const buckets = await fd.catalog.db.selectFrom('metric_buckets').select('series_id').distinct().execute();
    expect(buckets).toHaveLength(1);
  });

  it('purges a deleted experiment with all its runs and frees its name', async () => {
    const { api, fd, files } = await open(backend);
    const { experimentId } = await api.call('experiments.create', { name: 'gone' });
    await runWithArtifact(api, fd, experimentId, 1000);
    await runWithArtifact(api, fd, experimentId, 2000);
    await api.call('experiments.delete', { experimentId });
    const report = await api.call('trash.purge', {});
    expect(report).toEqual({ experimentsPurged: 1, runsPurged: 0, bytesReclaimed: 3000, kept: [] });
    expect(await files()).toEqual([]);
    await expect(api.call('experiments.get', { experimentId })).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
    const again = await api.call('experiments.create', { name: 'gone' });
    expect(again.experimentId).not.toBe(experimentId);
    expect(Number((await fd.catalog.db.selectFrom('runs').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n)).toBe(0);
  });

  it('refuses to purge what is not in the trash and leaves it intact', async () => {
    const { api, fd } = await open(backend);
    const runId = await runWithArtifact(api, fd, '0', 10);
    await expect(api.call('trash.purge', { runIds: [runId] })).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
    await expect(api.call('trash.purge', { runIds: ['0'.repeat(32)] })).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
    expect((await api.call('runs.get', { runId })).run.data.params).toEqual([{ key: 'p', value: '1' }]);
  });

  it('purges only what was deleted before a given time', async () => {
    let now = 1_000;
    const { api, fd } = await open(backend, { now: () => now });
    const old = await runWithArtifact(api, fd, '0', 10);
    const recent = await runWithArtifact(api, fd, '0', 10);
    await api.call('runs.delete', { runId: old });
    now = 5_000;
    await api.call('runs.delete', { runId: recent });
    expect(await api.call('trash.purge', { deletedBefore: 2_000 })).toMatchObject({ runsPurged: 1 });
    await expect(api.call('runs.get', { runId: old })).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
    expect((await api.call('runs.get', { runId: recent })).run.info.lifecycleStage).toBe('deleted');
  });

  it('refuses to purge a run whose files a registered model version uses, and keeps it when purging everything', async () => {
    const { api, fd, files } = await open(backend);
    const runId = await runWithArtifact(api, fd, '0', 64);
    await fd.artifacts.write(`0/${runId}/artifacts/model/MLmodel`, Readable.from([Buffer.from('flavors: {}\n')]));
    await api.call('registry.createModel', { name: 'clf' });
    await api.call('registry.createVersion', { name: 'clf', source: `runs:/${runId}/model` });
    const other = await runWithArtifact(api, fd, '0', 32);
    await api.call('runs.delete', { runId });
    await api.call('runs.delete', { runId: other });
    await expect(api.call('trash.purge', { runIds: [runId] })).rejects.toThrow(/version 1 of 'clf'/);
    const report = await api.call('trash.purge', {});
    expect(report).toEqual({ experimentsPurged: 0, runsPurged: 1, bytesReclaimed: 32, kept: [{ kind: 'run', id: runId, reason: "used by registered model version 1 of 'clf'" }] });
    expect(await files()).toEqual([`0/${runId}/artifacts/data.bin`, `0/${runId}/artifacts/model/MLmodel`]);
    expect((await api.call('runs.get', { runId })).run.info.lifecycleStage).toBe('deleted');
  });

  it('keeps a deleted experiment whose run backs a registered version', async () => {
    const { api, fd } = await open(backend);
    const { experimentId } = await api.call('experiments.create', { name: 'kept' });
    const runId = await runWithArtifact(api, fd, experimentId, 16);
    await api.call('registry.createModel', { name: 'm' });
    await api.call('registry.createVersion', { name: 'm', source: `runs:/${runId}/data.bin` });
    await api.call('experiments.delete', { experimentId });
    const report = await api.call('trash.purge', {});
    expect(report.experimentsPurged).toBe(0);
    expect(report.kept).toEqual([{ kind: 'experiment', id: experimentId, reason: "used by registered model version 1 of 'm'" }]);
    expect((await api.call('runs.get', { runId })).run.info.runId).toBe(runId);
  });

  it('sweeps artifact folders that no run refers to', async () => {
    const { api, fd, files } = await open(backend);
    const live = await runWithArtifact(api, fd, '0', 10);
    await fd.artifacts.write(`0/${'a'.repeat(32)}/artifacts/x.bin`, Buffer.alloc(777));
    await fd.artifacts.write('9999/y.bin', Buffer.alloc(23));
    expect(await fd.sweepOrphans()).toBe(800);
    expect(await files()).toEqual([`0/${live}/artifacts/data.bin`]);
  });
});
