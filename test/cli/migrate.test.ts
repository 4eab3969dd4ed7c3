import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createClient, type Client } from '#core/api/client.ts';
import { IN_PROCESS_OWNER } from '#core/api/access.ts';
import { dispatch } from '#core/api/dispatch.ts';
import { createHttpTransport } from '#core/api/http-transport.ts';
import type { Metric, Run } from '#core/api/entities.ts';
import { openFlowdesk } from '#core/flowdesk.ts';
import { journalPath } from '#core/migrate/migrate-journal.ts';
import { migrate, MIGRATED_FROM } from '#core/migrate/migrate.ts';
import { startServer } from '#core/server/server.ts';
import { storePathIn } from '#core/api/artifact-locations.ts';
import { PYTHON_CLIENTS_NOT_RUN_REASON, runPython } from '../helpers/python-clients.ts';
import { runFlowdesk as flowdesk } from '../helpers/cli.ts';
import { startTestServer } from '../helpers/server.ts';
import { spawnServe } from '../helpers/spawn-serve.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const TOKEN = 'owner-secret-token';
const BIG = randomBytes(1_500_000);
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/**
 * A laptop's data folder: two experiments, a parent run with a nested child, a failed run, params
 * and tags, metrics with NaN and ±Infinity over 2,500 steps, artifacts in nested folders including
 * a 1.5 MB file, and a registered model with two versions, an alias and stages. Closed on return.
 */
async function buildSource(): Promise<{ dataDir: string; parentId: string }> {
  const dataDir = tempDir();
  const fd = await openFlowdesk({ dataDir });
  const api = createClient((name, input) => dispatch(fd.handlers, name, input, IN_PROCESS_OWNER, () => undefined));
  const { experimentId: a } = await api.call('experiments.create', { name: 'vision', tags: [{ key: 'team', value: 'cv' }] });
  const { experimentId: b } = await api.call('experiments.create', { name: 'text' });

  const { run: parent } = await api.call('runs.create', { experimentId: a, runName: 'sweep', startTime: 1_700_000_000_000, userId: 'alice' });
  const parentId = parent.info.runId;
  const loss: Metric[] = Array.from({ length: 2500 }, (_, step) => ({
    key: 'loss',
    value: step === 7 ? Number.NaN : step === 8 ? Number.POSITIVE_INFINITY : step === 9 ? Number.NEGATIVE_INFINITY : 1 / (step + 1),
    timestamp: 1_700_000_000_000 + step,
    step,
  }));
  for (let i = 0; i < loss.length; i += 1000) await api.call('runs.logBatch', { runId: parentId, metrics: loss.slice(i, i + 1000) });
  await api.call('runs.logBatch', {
    runId: parentId,
    params: [{ key: 'lr', value: '0.01' }, { key: 'optimizer', value: 'adam' }],
    tags: [{ key: 'stage', value: 'sweep' }],
    metrics: [{ key: 'acc', value: 0.5, timestamp: 1_700_000_000_100, step: 0 }, { key: 'acc', value: 0.9, timestamp: 1_700_000_000_200, step: 1 }],
  });
  await api.call('runs.logInputs', {
    runId: parentId,
    datasets: [{ tags: [{ key: 'mlflow.data.context', value: 'train' }], dataset: { name: 'imagenet', digest: 'd1', sourceType: 'local', source: '{}' } }],
  });
  const artifact = (run: Run, path: string, body: Buffer) => fd.artifacts.write(storePathIn(run.info.artifactUri, path), body);
  await artifact(parent, 'model/MLmodel', Buffer.from('flavors: {}\n'));
  await artifact(parent, 'model/data/weights.bin', BIG);
  await artifact(parent, 'notes.txt', Buffer.from('hello'));
  await api.call('runs.update', { runId: parentId, status: 'FINISHED', endTime: 1_700_000_900_000 });

  const { run: child } = await api.call('runs.create', {
    experimentId: a,
    runName: 'trial-1',
    startTime: 1_700_000_000_500,
    tags: [{ key: 'mlflow.parentRunId', value: parentId }],
  });
  await api.call('runs.logBatch', { runId: child.info.runId, params: [{ key: 'lr', value: '0.1' }], metrics: [{ key: 'loss', value: 0.3, timestamp: 1_700_000_000_600, step: 0 }] });
  await api.call('runs.update', { runId: child.info.runId, status: 'FINISHED', endTime: 1_700_000_000_900 });

  const { run: failed } = await api.call('runs.create', { experimentId: b, runName: 'bert', startTime: 1_700_000_001_000 });
  await api.call('runs.logParam', { runId: failed.info.runId, key: 'layers', value: '12' });
  await api.call('runs.update', { runId: failed.info.runId, status: 'FAILED', endTime: 1_700_000_002_000 });

  await api.call('registry.createModel', { name: 'classifier', description: 'The **CV** model', tags: [{ key: 'owner', value: 'cv' }] });
  await api.call('registry.createVersion', { name: 'classifier', source: `runs:/${parentId}/model`, runId: parentId, description: 'first' });
  await api.call('registry.createVersion', { name: 'classifier', source: `${parent.info.artifactUri}/model`, runId: parentId, tags: [{ key: 'validated', value: 'yes' }] });
  await api.call('registry.setAlias', { name: 'classifier', version: 1, alias: 'champion' });
  await api.call('registry.transitionStage', { name: 'classifier', version: 1, stage: 'Staging' });
  // Production is protected by default: the migration has to carry the stage all the same.
  await api.call('registry.setProtection', { name: 'classifier', aliases: [], stages: [] });
  await api.call('registry.transitionStage', { name: 'classifier', version: 2, stage: 'Production' });
  await api.call('registry.setProtection', { name: 'classifier', aliases: ['production'], stages: ['Production'] });
  await fd.close();
  return { dataDir, parentId };
}

async function allHistory(api: Client, runId: string, key: string): Promise<Metric[]> {
  const out: Metric[] = [];
  let pageToken: string | undefined;
  do {
    const page = await api.call('metrics.history', { runId, key, pageToken });
    out.push(...page.metrics);
    pageToken = page.nextPageToken;
  } while (pageToken);
  return out;
}

async function filesOf(api: Client, runId: string, dir = ''): Promise<string[]> {
  const { files } = await api.call('artifacts.list', { runId, path: dir || undefined });
  const out: string[] = [];
  for (const f of files) {
    const path = dir ? `${dir}/${f.path}` : f.path;
    if (f.isDir) out.push(...(await filesOf(api, runId, path)));
    else out.push(`${path}:${f.fileSize}`);
  }
  return out.sort();
}

/** Asserts the target holds exactly what the source folder holds, entity by entity. */
async function expectSameAsSource(sourceDir: string, target: Client, targetUrl: string): Promise<void> {
  const fd = await openFlowdesk({ dataDir: sourceDir });
  const src = createClient((name, input) => dispatch(fd.handlers, name, input, IN_PROCESS_OWNER, () => undefined));
  try {
    const { experiments } = await src.call('experiments.search', { viewType: 'ALL' });
    const { experiments: targetExperiments } = await target.call('experiments.search', { viewType: 'ALL' });
    expect(targetExperiments.map((e) => [e.name, e.lifecycleStage]).sort()).toEqual([['Default', 'active'], ...experiments.filter((e) => e.name !== 'Default').map((e) => [e.name, e.lifecycleStage])].sort());
    const runIds: string[] = [];
    for (const e of experiments) {
      const t = targetExperiments.find((x) => x.name === e.name)!;
      expect(t.tags).toEqual(expect.arrayContaining(e.tags));
      const { runs } = await src.call('runs.search', { experimentIds: [e.experimentId], viewType: 'ALL' });
      const { runs: targetRuns } = await target.call('runs.search', { experimentIds: [t.experimentId], viewType: 'ALL' });
      // Runs keep their ids.
      expect(targetRuns.map((r) => r.info.runId).sort()).toEqual(runs.map((r) => r.info.runId).sort());
      runIds.push(...runs.map((r) => r.info.runId));
    }
    for (const runId of runIds) {
      const { run: s } = await src.call('runs.get', { runId });
      const { run: t } = await target.call('runs.get', { runId });
      expect({ ...t.info, experimentId: '', artifactUri: '' }).toEqual({ ...s.info, experimentId: '', artifactUri: '' });
      expect(t.data.params).toEqual(s.data.params);
      expect(t.inputs.datasetInputs).toEqual(s.inputs.datasetInputs);
      expect(t.data.tags).toEqual(s.data.tags);
      for (const key of new Set(s.data.metrics.map((m) => m.key))) expect(await allHistory(target, runId, key)).toEqual(await allHistory(src, runId, key));
      expect(await filesOf(target, runId)).toEqual(await filesOf(src, runId));
    }
    // The trash arrived with its deletion times.
    const trashOf = async (api: Client) => (await api.call('trash.list', {})).entries.map((e) => ({ kind: e.kind, name: e.name, deletedTime: e.deletedTime })).sort((a, b) => a.name.localeCompare(b.name));
    expect(await trashOf(target)).toEqual(await trashOf(src));
    // The big file arrived byte for byte.
    const withWeights = [];
    for (const targetId of runIds) if ((await filesOf(target, targetId)).includes(`model/data/weights.bin:${BIG.length}`)) withWeights.push(targetId);
    expect(withWeights).toHaveLength(1);
    const { run: weightsRun } = await target.call('runs.get', { runId: withWeights[0]! });
    const response = await fetch(`${targetUrl}/api/2.0/mlflow-artifacts/artifacts/${weightsRun.info.artifactUri.replace('mlflow-artifacts:/', '')}/model/data/weights.bin`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(sha(Buffer.from(await response.arrayBuffer()))).toBe(sha(BIG));

    const { versions } = await src.call('registry.searchVersions', {});
    const { versions: targetVersions } = await target.call('registry.searchVersions', {});
    expect(targetVersions).toHaveLength(versions.length);
    for (const v of versions) {
      const tv = targetVersions.find((x) => x.tags.some((tag) => tag.key === MIGRATED_FROM && tag.value.includes(` ${v.name}/${v.version} (`)))!;
      expect(tv.currentStage).toBe(v.currentStage);
      expect(tv.aliases).toEqual(v.aliases);
      expect(tv.description).toEqual(v.description);
      expect(tv.runId).toBe(v.runId);
      const { run: targetRun } = await target.call('runs.get', { runId: tv.runId! });
      expect(tv.source).toBe(v.source.startsWith('runs:/') ? `runs:/${tv.runId}/model` : `${targetRun.info.artifactUri}/model`);
      expect(tv.tags.filter((tag) => tag.key !== MIGRATED_FROM)).toEqual(v.tags);
    }
    const { model } = await src.call('registry.getModel', { name: 'classifier' });
    const { model: tm } = await target.call('registry.getModel', { name: 'classifier' });
    expect(tm.description).toBe(model.description);
    expect(tm.tags).toEqual(model.tags);
    expect((await target.call('registry.getProtection', { name: 'classifier' })).protection).toEqual(
      (await src.call('registry.getProtection', { name: 'classifier' })).protection,
    );
  } finally {
    await fd.close();
  }
}

/**
 * A team server that refuses one run of the laptop's folder for what it is: the team has put its
 * experiment 'text' (where the laptop's run 'bert' lives) in the trash, and a deleted experiment
 * takes no new runs. Answers how to take it out of the trash again.
 */
async function targetWithTextInTrash(): Promise<{ target: Awaited<ReturnType<typeof startTestServer>>; restore: () => Promise<void> }> {
  const target = await startTestServer({ token: TOKEN });
  const { experimentId } = await target.api.call('experiments.create', { name: 'text' });
  await target.api.call('experiments.delete', { experimentId });
  return { target, restore: async () => void (await target.api.call('experiments.restore', { experimentId })) };
}

/** The run 'bert' of a folder made by buildSource. */
async function bertOf(dataDir: string): Promise<string> {
  const fd = await openFlowdesk({ dataDir });
  try {
    const api = createClient((name, input) => dispatch(fd.handlers, name, input, IN_PROCESS_OWNER, () => undefined));
    const { runs } = await api.call('runs.search', { experimentIds: [(await api.call('experiments.getByName', { name: 'text' })).experiment.experimentId] });
    return runs.find((r) => r.info.runName === 'bert')!.info.runId;
  } finally {
    await fd.close();
  }
}

describe('flowdesk migrate', () => {
  it('copies experiments, nested runs, metric history, artifacts and the registry to a server and checks the counts', async () => {
    const { dataDir } = await buildSource();
    const target = await startTestServer({ token: TOKEN });
    const result = await flowdesk(['migrate', '--to', target.url, '--token', TOKEN, '--data-dir', dataDir]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/Migrating 3 experiment\(s\) and 3 run\(s\)/);
    expect(result.stdout).toMatch(/\[runs 3\/3\] text \/ bert: 1\.4 MiB of artifacts so far/);
    expect(result.stdout).toMatch(/\[models 1\/1\] classifier/);
    expect(result.stdout).toMatch(/metric points\s+2503\s+2503/);
    expect(result.stdout).toMatch(/artifact bytes\s+1500017\s+1500017/);
    expect(result.stdout).toMatch(/model versions\s+2\s+2/);
    expect(result.stdout).toMatch(/Done: everything arrived/);
    await expectSameAsSource(dataDir, target.api, target.url);

    // Again: nothing new is created, and the check still passes.
    const again = await flowdesk(['migrate', '--to', target.url, '--token', TOKEN, '--data-dir', dataDir]);
    expect(again.code).toBe(0);
    await expectSameAsSource(dataDir, target.api, target.url);
  });

  it('moves the trash: a deleted experiment with its runs and a deleted run stay deleted on the target, with their deletion times and ids', async () => {
    const { dataDir } = await buildSource();
    let clock = 1_700_000_400_000;
    const fd = await openFlowdesk({ dataDir, now: () => clock });
    try {
      const api = createClient((name, input) => dispatch(fd.handlers, name, input, IN_PROCESS_OWNER, () => undefined));
      const { experimentId } = await api.call('experiments.create', { name: 'old' });
      const { run: kept } = await api.call('runs.create', { experimentId, runName: 'kept-in-old', startTime: 1_700_000_000_000 });
      await api.call('runs.logBatch', { runId: kept.info.runId, params: [{ key: 'p', value: '1' }], metrics: [{ key: 'm', value: 1, timestamp: 1, step: 0 }] });
      await fd.artifacts.write(storePathIn(kept.info.artifactUri, 'a.txt'), Buffer.from('old'));
      clock = 1_700_000_500_000;
      await api.call('experiments.delete', { experimentId });
      const { experiment: vision } = await api.call('experiments.getByName', { name: 'vision' });
      const { run: scratch } = await api.call('runs.create', { experimentId: vision.experimentId, runName: 'scratch', startTime: 1_700_000_000_001 });
      await api.call('runs.logParam', { runId: scratch.info.runId, key: 'q', value: '2' });
      clock = 1_700_000_600_000;
      await api.call('runs.delete', { runId: scratch.info.runId });
    } finally {
      await fd.close();
    }
    const target = await startTestServer({ token: TOKEN });
    const result = await flowdesk(['migrate', '--to', target.url, '--token', TOKEN, '--data-dir', dataDir]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    await expectSameAsSource(dataDir, target.api, target.url);
    const trash = (await target.api.call('trash.list', {})).entries.map((e) => [e.kind, e.name, e.deletedTime]);
    expect(trash.sort()).toEqual([['experiment', 'old', 1_700_000_500_000], ['run', 'scratch', 1_700_000_600_000]].sort());
    // Restoring the experiment on the target brings back its run, as on the laptop.
    const { experiment: old } = await target.api.call('experiments.getByName', { name: 'old' });
    await target.api.call('experiments.restore', { experimentId: old.experimentId });
    expect((await target.api.call('runs.search', { experimentIds: [old.experimentId] })).runs.map((r) => r.info.runName)).toEqual(['kept-in-old']);
  });

  // Each case loses the answer to one call the target did carry out, the worst moment to stop:
  // the work is done there but the journal does not know it.
  it.each([
    ['migrate.putRun', 2],
    ['runs.logBatch', 3],
    ['runs.logInputs', 1],
    ['mlflow-artifacts/artifacts', 2],
    ['registry.createVersion', 2],
    ['registry.transitionStage', 1],
  ])('resumes without duplicates after losing the answer to call %s #%i', async (what, nth) => {
    const { dataDir } = await buildSource();
    const target = await startTestServer({ token: TOKEN });
    let seen = 0;
    // A model the migration creates gets its registry writes through migrate.registryWrite, which names the method in its body.
    const isCall = (url: string, init: RequestInit) => url.includes(what) || (url.endsWith('/migrate.registryWrite') && String(init.body).includes(`"method":"${what}"`));
    const flaky = (async (url: string, init: RequestInit) => {
      const response = await fetch(url, init);
      if (isCall(url, init) && ++seen === nth) throw new Error('connection reset');
      return response;
    }) as typeof fetch;

    const source = await openFlowdesk({ dataDir });
    try {
      await expect(migrate({ source, target: target.url, token: TOKEN, fetch: flaky })).rejects.toThrow(/connection reset/);
      const journal = JSON.parse(readFileSync(journalPath(dataDir, target.url), 'utf8')) as { runs: object };
      expect(Object.keys(journal.runs).length).toBeGreaterThan(0);
      const report = await migrate({ source, target: target.url, token: TOKEN });
      expect(report.mismatches).toEqual([]);
      expect(report.target).toEqual(report.source);
      expect(report.source).toEqual({ experiments: 3, runs: 3, params: 4, metricPoints: 2503, artifactFiles: 3, artifactBytes: 1_500_017, loggedModels: 0, versions: 2, traces: 0, requests: 0 });
    } finally {
      await source.close();
    }
    await expectSameAsSource(dataDir, target.api, target.url);
    // No temporary journal files left behind.
    expect(readdirSync(dataDir).filter((f) => f.startsWith('migrate-'))).toHaveLength(1);
  });

  it('moves two laptops into one server: shared experiment and model names, each counted on its own', async () => {
    const first = await buildSource();
    const second = await buildSource();
    const target = await startTestServer({ token: TOKEN });
    for (const { dataDir } of [first, second]) {
      const source = await openFlowdesk({ dataDir });
      try {
        const report = await migrate({ source, target: target.url, token: TOKEN });
        expect(report.mismatches).toEqual([]);
        expect(report.target).toEqual(report.source);
      } finally {
        await source.close();
      }
    }
    const { experiments } = await target.api.call('experiments.search', {});
    expect(experiments.map((e) => e.name).sort()).toEqual(['Default', 'text', 'vision']);
    const vision = experiments.find((e) => e.name === 'vision')!;
    expect((await target.api.call('runs.search', { experimentIds: [vision.experimentId] })).runs).toHaveLength(4);
    const { versions } = await target.api.call('registry.searchVersions', {});
    expect(versions.map((v) => v.version).sort()).toEqual([1, 2, 3, 4]);
  });

  it('moves everything but the run the target refuses, names it with the reason, exits 3, and moves it on a later run once accepted', async () => {
    const { dataDir } = await buildSource();
    const bert = await bertOf(dataDir);
    const { target, restore } = await targetWithTextInTrash();
    const { experiment: text } = await target.api.call('experiments.getByName', { name: 'text' });

    const result = await flowdesk(['migrate', '--to', target.url, '--token', TOKEN, '--data-dir', dataDir]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(3);
    const reason = `The experiment ${text.experimentId} must be in the 'active' state. Current state is deleted.`;
    expect(result.stdout).toContain(`Not moved: the target refused 1 item(s); the rest arrived:\n  run ${bert} 'bert' in experiment 'text': ${reason}\n`);
    // The others all arrived: the two runs of 'vision' with their data and the registry.
    expect(result.stdout).toMatch(/runs\s+3\s+2\n/);
    expect(result.stdout).toMatch(/metric points\s+2503\s+2503/);
    expect(result.stdout).toMatch(/model versions\s+2\s+2/);
    const { experiment: vision } = await target.api.call('experiments.getByName', { name: 'vision' });
    const { runs } = await target.api.call('runs.search', { experimentIds: [vision.experimentId] });
    expect(runs.map((r) => r.info.runName).sort()).toEqual(['sweep', 'trial-1']);
    expect(runs.every((r) => r.info.status === 'FINISHED')).toBe(true);
    const journal = JSON.parse(readFileSync(journalPath(dataDir, target.url), 'utf8')) as { refused: object };
    expect(journal.refused).toEqual({ [`run:${bert}`]: { what: `run ${bert} 'bert' in experiment 'text'`, why: reason } });

    // The team takes 'text' out of the trash: the same command now moves the run and ends well.
    await restore();
    const again = await flowdesk(['migrate', '--to', target.url, '--token', TOKEN, '--data-dir', dataDir]);
    expect(again.stderr).toBe('');
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/Trying again the 1 item\(s\) the target refused last time/);
    expect(again.stdout).toMatch(/Done: everything arrived/);
    await expectSameAsSource(dataDir, target.api, target.url);
  });

  it('tries again only the refused run on a later run, writing nothing else', async () => {
    const { dataDir } = await buildSource();
    const bert = await bertOf(dataDir);
    const { target } = await targetWithTextInTrash();
    const source = await openFlowdesk({ dataDir });
    try {
      const first = await migrate({ source, target: target.url, token: TOKEN });
      expect(first.notMoved.map((r) => r.what)).toEqual([`run ${bert} 'bert' in experiment 'text'`]);

      // Every call the second pass makes, passed through to the target unchanged.
      const calls: { name: string; body: Record<string, unknown> }[] = [];
      const recording = (async (url: string, init: RequestInit) => {
        const method = /\/api\/flowdesk\/v1\/call\/([\w.]+)$/.exec(url)?.[1];
        calls.push({ name: method ?? `${init.method} ${url}`, body: method ? (JSON.parse(String(init.body)) as Record<string, unknown>) : {} });
        return fetch(url, init);
      }) as typeof fetch;
      const second = await migrate({ source, target: target.url, token: TOKEN, fetch: recording });
      expect(second.retried).toBe(1);
      expect(second.notMoved).toEqual(first.notMoved);
      const writes = calls.filter((c) => !/\.(search\w*|get\w*|list\w*|history)$/.test(c.name));
      expect(writes).toEqual([{ name: 'migrate.putRun', body: expect.objectContaining({ runId: bert, runName: 'bert', lifecycleStage: 'active' }) }]);
    } finally {
      await source.close();
    }
  });

  it.runIf(!PYTHON_CLIENTS_NOT_RUN_REASON)("moves a version MLflow's copy_model_version made, its source naming the origin's number on the target", async () => {
    const other = await buildSource();
    const { dataDir } = await buildSource();
    // The laptop's copy is made by the real client, through a server on the laptop's folder.
    const fd = await openFlowdesk({ dataDir });
    try {
      const server = await startServer({ flowdesk: fd, port: 0, version: 'test', log: () => undefined });
      try {
        const copied = await runPython<{ name: string; version: string; source: string }>(
          '3.5.1',
          server.url,
          `
import json
from mlflow import MlflowClient
mv = MlflowClient().copy_model_version("models:/classifier/2", "approved")
print(json.dumps({"name": mv.name, "version": str(mv.version), "source": mv.source}))
`,
        );
        expect(copied).toEqual({ name: 'approved', version: '1', source: 'models:/classifier/2' });
      } finally {
        await server.close();
      }
    } finally {
      await fd.close();
    }

    // Another laptop moved first, so this laptop's classifier/2 becomes classifier/4 there.
    const target = await startTestServer({ token: TOKEN });
    const otherSource = await openFlowdesk({ dataDir: other.dataDir });
    try {
      expect((await migrate({ source: otherSource, target: target.url, token: TOKEN })).notMoved).toEqual([]);
    } finally {
      await otherSource.close();
    }
    const result = await flowdesk(['migrate', '--to', target.url, '--token', TOKEN, '--data-dir', dataDir]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/model versions\s+3\s+3/);

    const { version: origin } = await target.api.call('registry.getVersion', { name: 'classifier', version: 4 });
    expect(origin.tags.find((t) => t.key === MIGRATED_FROM)?.value).toMatch(/ classifier\/2 \(/);
    const { versions } = await target.api.call('registry.searchVersions', { filter: "name = 'approved'" });
    expect(versions).toHaveLength(1);
    expect(versions[0]!.source).toBe('models:/classifier/4');
    expect(versions[0]!.runId).toBe(origin.runId);
    expect(versions[0]!.tags.filter((t) => t.key !== MIGRATED_FROM)).toEqual([{ key: 'validated', value: 'yes' }]);
  });

  it('reports a copied version whose origin model was deleted as not moved and moves everything else', async () => {
    const { dataDir, parentId } = await buildSource();
    const fd = await openFlowdesk({ dataDir });
    try {
      const api = createClient((name, input) => dispatch(fd.handlers, name, input, IN_PROCESS_OWNER, () => undefined));
      // What copy_model_version writes, then the scratch model it was copied from is deleted.
      await api.call('registry.createModel', { name: 'approved' });
      await api.call('registry.createVersion', { name: 'approved', source: 'models:/classifier/2', runId: parentId });
      await api.call('registry.createModel', { name: 'scratch' });
      await api.call('registry.createVersion', { name: 'scratch', source: `runs:/${parentId}/model`, runId: parentId });
      await api.call('registry.createVersion', { name: 'approved', source: 'models:/scratch/1', runId: parentId });
      await api.call('registry.deleteModel', { name: 'scratch' });
    } finally {
      await fd.close();
    }
    const target = await startTestServer({ token: TOKEN });
    const source = await openFlowdesk({ dataDir });
    try {
      const report = await migrate({ source, target: target.url, token: TOKEN });
      expect(report.notMoved).toEqual([
        {
          what: "version 2 of model 'approved'",
          why: "Version 2 of model 'approved' is a copy of 'models:/scratch/1', which has not moved to the target; it moves once that version has",
        },
      ]);
      expect(report.target).toEqual({ ...report.source, versions: report.source.versions - 1 });
    } finally {
      await source.close();
    }
    const { versions } = await target.api.call('registry.searchVersions', { filter: "name = 'approved'" });
    expect(versions.map((v) => v.source)).toEqual(['models:/classifier/2']);
  });

  // A failing target is nobody's item: it stops the run, to be resumed, and nothing is written off.
  it.each(['runs.logBatch', 'mlflow-artifacts/artifacts'])('stops when the target answers %s with a 5xx, and resumes', async (what) => {
    const { dataDir } = await buildSource();
    const target = await startTestServer({ token: TOKEN });
    let failed = false;
    const failing = (async (url: string, init: RequestInit) => {
      if (url.includes(what) && !failed) {
        failed = true;
        return new Response(JSON.stringify({ error_code: 'INTERNAL_ERROR', message: 'database is restarting' }), { status: 503 });
      }
      return fetch(url, init);
    }) as typeof fetch;
    const source = await openFlowdesk({ dataDir });
    try {
      await expect(migrate({ source, target: target.url, token: TOKEN, fetch: failing })).rejects.toThrow(/database is restarting/);
      const journal = JSON.parse(readFileSync(journalPath(dataDir, target.url), 'utf8')) as { refused: object };
      expect(journal.refused).toEqual({});
      const report = await migrate({ source, target: target.url, token: TOKEN });
      expect(report.notMoved).toEqual([]);
      expect(report.retried).toBe(0);
      expect(report.target).toEqual(report.source);
    } finally {
      await source.close();
    }
  });

  it('refuses a wrong token plainly and leaves no journal and nothing on the target', async () => {
    const { dataDir } = await buildSource();
    const target = await startTestServer({ token: TOKEN });
    const result = await flowdesk(['migrate', '--to', target.url, '--token', 'not-the-token', '--data-dir', dataDir]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(new RegExp(`flowdesk: The target ${target.url.replace(/[.]/g, '\\.')} refused the migration: .*token`, 'i'));
    expect(existsSync(journalPath(dataDir, target.url))).toBe(false);
    const { experiments } = await target.api.call('experiments.search', {});
    expect(experiments.map((e) => e.name)).toEqual(['Default']);
  });

  it('refuses while a live server owns the data folder, and needs --to', async () => {
    const dataDir = tempDir();
    const owner = await openFlowdesk({ dataDir });
    const server = await startServer({ flowdesk: owner, port: 0, version: 'test', log: () => undefined });
    const served = await flowdesk(['migrate', '--to', 'http://127.0.0.1:1', '--data-dir', dataDir]);
    await server.close();
    await owner.close();
    expect(served.code).toBe(1);
    expect(served.stderr).toContain(`A Flowdesk server (pid ${process.pid}, ${server.url}) has ${dataDir} open; stop it, migrate, then start it again`);
    const noTarget = await flowdesk(['migrate', '--data-dir', dataDir]);
    expect(noTarget.code).toBe(1);
    expect(noTarget.stderr).toMatch(/flowdesk migrate needs --to <server URL>/);
  });
});

describe('flowdesk migrate onto a SQLite team server, both killed with SIGKILL', () => {
  it('resumes once the server is back on its folder and ends with everything once', async () => {
    const { dataDir } = await buildSource();
    const serverDir = tempDir();
    const first = spawnServe(['serve', '--port', '0', '--data-dir', serverDir, '--token', TOKEN]);
    const url = await first.ready;
    const port = new URL(url).port;

    const child = spawn(process.execPath, ['bin/flowdesk.js', 'migrate', '--to', url, '--token', TOKEN, '--data-dir', dataDir], { env: { ...process.env, FLOWDESK_TOKEN: '' } });
    // Both die the moment the first run is reported done: the next run's writes are in flight.
    const cut = await new Promise<NodeJS.Signals | null>((resolve) => {
      let out = '';
      child.stdout.on('data', (c: Buffer) => {
        out += c.toString();
        if (out.includes('[runs 1/3]')) {
          child.kill('SIGKILL');
          first.child.kill('SIGKILL');
        }
      });
      child.on('exit', (_, signal) => resolve(signal));
    });
    expect(cut).toBe('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');
    expect(Object.values((JSON.parse(readFileSync(journalPath(dataDir, url), 'utf8')) as { runs: Record<string, { stage: string }> }).runs).some((r) => r.stage !== 'done')).toBe(true);

    // The same server (same folder, same address) comes back and the same command finishes the move.
    const again = spawnServe(['serve', '--port', port, '--data-dir', serverDir, '--token', TOKEN]);
    expect(await again.ready).toBe(url);
    const resumed = await flowdesk(['migrate', '--to', url, '--token', TOKEN, '--data-dir', dataDir]);
    expect(resumed.stderr).toBe('');
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toMatch(/Done: everything arrived/);
    const target = createClient(createHttpTransport({ baseUrl: url, fetch, token: TOKEN }));
    await expectSameAsSource(dataDir, target, url);
    expect((await target.call('registry.searchVersions', {})).versions).toHaveLength(2);
  });
});

