/**
 * The conformance suite's cases: each writes through contract methods and reads the result back
 * through others, and names every method it covers. conformance.test.ts runs each case over
 * every transport on the project's catalog, checks that each covered method was really called
 * and answered, and fails when a contract method is covered by no case.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { Client } from '#core/api/client.ts';
import type { MethodName } from '#core/api/contract.ts';
import type { Flowdesk } from '#core/flowdesk.ts';
import { linearOnnxModel } from '../models/onnx-builder.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { OTEL_TRACE, ROOT_SPAN, TRACE, traceData } from '../helpers/mlflow-trace-data.ts';

/** One case: the methods it covers, and the calls and assertions that cover them. */
export interface ConformanceCase {
  name: string;
  covers: MethodName[];
  /** Projects run and models are served: the Flowdesk is opened with execution allowed. */
  executes?: boolean;
  run: (api: Client, fd: Flowdesk) => Promise<void>;
}

/** The store path of a run's artifact root (the local store's `mlflow-artifacts:/` prefix removed). */
async function artifactRoot(api: Client, runId: string): Promise<string> {
  return (await api.call('runs.get', { runId })).run.info.artifactUri.replace('mlflow-artifacts:/', '');
}

/** An mlruns folder with one experiment holding one run with a param. */
function smallMlruns(): string {
  const dir = tempDir();
  mkdirSync(join(dir, '1', 'r1', 'params'), { recursive: true });
  writeFileSync(join(dir, '1', 'meta.yaml'), "artifact_location: file:///elsewhere/1\nexperiment_id: '1'\nlifecycle_stage: active\nname: imported\n");
  writeFileSync(
    join(dir, '1', 'r1', 'meta.yaml'),
    "artifact_uri: file:///elsewhere/1/r1/artifacts\nend_time: 2\nexperiment_id: '1'\nlifecycle_stage: active\nrun_id: r1\nrun_name: old\nstart_time: 1\nstatus: 3\nuser_id: u\n",
  );
  writeFileSync(join(dir, '1', 'r1', 'params', 'lr'), '0.1');
  return dir;
}

/** Waits for an import to end, by its own state. */
async function importEnded(api: Client, importId: string): Promise<string> {
  for (;;) {
    const { state } = (await api.call('imports.get', { importId })).import;
    if (state !== 'running') return state;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export const CASES: ConformanceCase[] = [
  {
    name: 'experiments: created, found, renamed, tagged, trashed and restored',
    covers: ['experiments.create', 'experiments.get', 'experiments.getByName', 'experiments.search', 'experiments.rename', 'experiments.setTag', 'experiments.deleteTag', 'experiments.delete', 'experiments.restore', 'experiments.diskUsage'],
    async run(api) {
      const { experimentId } = await api.call('experiments.create', { name: 'first', tags: [{ key: 'a', value: '1' }] });
      await api.call('experiments.rename', { experimentId, newName: 'renamed' });
      await api.call('experiments.setTag', { experimentId, key: 'b', value: '2' });
      await api.call('experiments.deleteTag', { experimentId, key: 'a' });
      const { experiment } = await api.call('experiments.getByName', { name: 'renamed' });
      expect({ id: experiment.experimentId, tags: experiment.tags }).toEqual({ id: experimentId, tags: [{ key: 'b', value: '2' }] });
      await api.call('experiments.delete', { experimentId });
      expect((await api.call('experiments.get', { experimentId })).experiment.lifecycleStage).toBe('deleted');
      expect((await api.call('experiments.search', {})).experiments.map((e) => e.name)).toEqual(['Default']);
      await api.call('experiments.restore', { experimentId });
      expect((await api.call('experiments.search', { filter: "name = 'renamed'" })).experiments.map((e) => e.experimentId)).toEqual([experimentId]);
      const usage = await api.call('experiments.diskUsage', {});
      expect(usage.experiments.map((e) => e.experimentId).sort()).toEqual(['0', experimentId].sort());
    },
  },
  {
    name: 'runs: created, logged to, updated, tagged, searched, trashed and restored',
    covers: ['runs.create', 'runs.get', 'runs.update', 'runs.logBatch', 'runs.logMetric', 'runs.logParam', 'runs.setTag', 'runs.deleteTag', 'runs.search', 'runs.delete', 'runs.restore', 'metrics.history', 'metrics.sampled'],
    async run(api) {
      const { run } = await api.call('runs.create', { runName: 'r', startTime: 5, tags: [{ key: 'gone', value: 'x' }] });
      const runId = run.info.runId;
      await api.call('runs.logBatch', { runId, metrics: [{ key: 'loss', value: 1, timestamp: 1, step: 0 }], params: [{ key: 'lr', value: '0.1' }] });
      await api.call('runs.logMetric', { runId, key: 'loss', value: 0.5, timestamp: 2, step: 1 });
      await api.call('runs.logParam', { runId, key: 'depth', value: '3' });
      await api.call('runs.setTag', { runId, key: 'team', value: 'ml' });
      await api.call('runs.deleteTag', { runId, key: 'gone' });
      const { runInfo } = await api.call('runs.update', { runId, status: 'FINISHED', endTime: 9 });
      expect([runInfo.status, runInfo.endTime]).toEqual(['FINISHED', 9]);
      const { run: got } = await api.call('runs.get', { runId });
      expect(got.data.params).toEqual([{ key: 'depth', value: '3' }, { key: 'lr', value: '0.1' }]);
      expect(got.data.tags.filter((t) => !t.key.startsWith('mlflow.'))).toEqual([{ key: 'team', value: 'ml' }]);
      expect((await api.call('metrics.history', { runId, key: 'loss' })).metrics.map((m) => m.value)).toEqual([1, 0.5]);
      expect((await api.call('metrics.sampled', { runId, key: 'loss' })).pointCount).toBe(2);
      expect((await api.call('runs.search', { experimentIds: ['0'], filter: 'metrics.loss < 0.6' })).runs.map((r) => r.info.runId)).toEqual([runId]);
      await api.call('runs.delete', { runId });
      expect((await api.call('runs.search', { experimentIds: ['0'] })).runs).toEqual([]);
      await api.call('runs.restore', { runId });
      expect((await api.call('runs.get', { runId })).run.info.lifecycleStage).toBe('active');
    },
  },
  {
    name: 'runs: datasets and logged-model history recorded and read back',
    covers: ['runs.logInputs', 'runs.logModel'],
    async run(api) {
      const runId = (await api.call('runs.create', {})).run.info.runId;
      const dataset = { name: 'd', digest: 'x1', sourceType: 'local', source: '{}' };
      await api.call('runs.logInputs', { runId, datasets: [{ tags: [{ key: 'mlflow.data.context', value: 'train' }], dataset }] });
      await api.call('runs.logModel', { runId, model: { artifact_path: 'model', flavors: {} } });
      const { run } = await api.call('runs.get', { runId });
      expect(run.inputs.datasetInputs).toMatchObject([{ tags: [{ key: 'mlflow.data.context', value: 'train' }], dataset }]);
      expect(JSON.parse(run.data.tags.find((t) => t.key === 'mlflow.log-model.history')!.value)).toMatchObject([{ artifact_path: 'model' }]);
    },
  },
  {
    name: 'runs table: keys, groups, counts, stats, ranges, children, batched reads and the overview',
    covers: ['runs.keys', 'runs.groups', 'runs.count', 'runs.columnStats', 'runs.metricRanges', 'runs.childCounts', 'runs.getMany', 'metrics.sampledMany', 'home.overview'],
    async run(api) {
      const { experimentId } = await api.call('experiments.create', { name: 'table' });
      const ids: string[] = [];
      for (const lr of ['0.1', '0.1', '0.2']) {
        const { run } = await api.call('runs.create', { experimentId, tags: ids[0] ? [{ key: 'mlflow.parentRunId', value: ids[0] }] : [] });
        await api.call('runs.logBatch', { runId: run.info.runId, params: [{ key: 'lr', value: lr }], metrics: [{ key: 'acc', value: Number(lr) * 10, timestamp: 1, step: 0 }] });
        ids.push(run.info.runId);
      }
      const keys = await api.call('runs.keys', { experimentIds: [experimentId] });
      expect([keys.params, keys.metrics]).toEqual([['lr'], ['acc']]);
      const { groups } = await api.call('runs.groups', { experimentIds: [experimentId], param: 'lr' });
      expect(groups.map((g) => [g.value, g.runCount])).toEqual([['0.1', 2], ['0.2', 1]]);
      expect((await api.call('runs.count', { experimentIds: [experimentId], filter: "params.lr = '0.1'" })).count).toBe(2);
      expect((await api.call('runs.columnStats', { experimentIds: [experimentId] })).runCount).toBe(3);
      const { ranges } = await api.call('runs.metricRanges', { runIds: ids, keys: ['acc'] });
      expect(ranges[ids[2]!]).toEqual({ acc: { min: 2, max: 2 } });
      expect((await api.call('runs.childCounts', { runIds: [ids[0]!] })).counts).toEqual({ [ids[0]!]: 2 });
      expect((await api.call('runs.getMany', { runIds: [ids[2]!, ids[0]!] })).runs.map((r) => r.info.runId)).toEqual([ids[2], ids[0]]);
      const { series } = await api.call('metrics.sampledMany', { key: 'acc', series: [{ runId: ids[2]! }] });
      expect(series[0]!.buckets.map((b) => b.last)).toEqual([2]);
      expect((await api.call('home.overview', {})).experiments.map((e) => e.experimentId)).toContain(experimentId);
    },
  },
  {
    name: 'runs in bulk: tagged, trashed and restored by selection',
    covers: ['runs.setTagMany', 'runs.deleteMany', 'runs.restoreMany'],
    async run(api) {
      const a = (await api.call('runs.create', {})).run.info.runId;
      const b = (await api.call('runs.create', {})).run.info.runId;
      expect((await api.call('runs.setTagMany', { selection: { runIds: [a, b] }, key: 'batch', value: '7' })).count).toBe(2);
      expect((await api.call('runs.search', { experimentIds: ['0'], filter: "tags.batch = '7'" })).runs).toHaveLength(2);
      expect((await api.call('runs.deleteMany', { selection: { runIds: [a] } })).runIds).toEqual([a]);
      expect((await api.call('runs.search', { experimentIds: ['0'] })).runs.map((r) => r.info.runId)).toEqual([b]);
      expect((await api.call('runs.restoreMany', { selection: { runIds: [a] } })).runIds).toEqual([a]);
      expect((await api.call('runs.search', { experimentIds: ['0'] })).runs).toHaveLength(2);
    },
  },
  {
    name: 'artifacts: listed and deleted',
    covers: ['artifacts.list', 'artifacts.delete'],
    async run(api, fd) {
      const runId = (await api.call('runs.create', {})).run.info.runId;
      const root = await artifactRoot(api, runId);
      await fd.artifacts.write(`${root}/a.txt`, Buffer.from('hello'));
      await fd.artifacts.write(`${root}/b.txt`, Buffer.from('bye'));
      expect((await api.call('artifacts.list', { runId })).files.map((f) => [f.path, f.fileSize])).toEqual([['a.txt', 5], ['b.txt', 3]]);
      await api.call('artifacts.delete', { runId, path: 'b.txt' });
      expect((await api.call('artifacts.list', { runId })).files.map((f) => f.path)).toEqual(['a.txt']);
    },
  },
  {
    name: 'trash: listed and purged',
    covers: ['trash.list', 'trash.purge'],
    async run(api) {
      const runId = (await api.call('runs.create', { runName: 'doomed' })).run.info.runId;
      await api.call('runs.delete', { runId });
      expect((await api.call('trash.list', {})).entries.map((e) => [e.kind, e.id, e.name])).toEqual([['run', runId, 'doomed']]);
      expect((await api.call('trash.purge', { runIds: [runId] })).runsPurged).toBe(1);
      expect((await api.call('trash.list', {})).entries).toEqual([]);
      await expect(api.call('runs.get', { runId })).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
    },
  },
  {
    name: 'logged models: created, filled, finalized, linked to runs, searched and deleted',
    covers: ['loggedModels.create', 'loggedModels.get', 'loggedModels.finalize', 'loggedModels.search', 'loggedModels.setTags', 'loggedModels.deleteTag', 'loggedModels.logParams', 'loggedModels.logMetrics', 'loggedModels.listArtifacts', 'loggedModels.delete', 'runs.logOutputs', 'runs.logModelInputs'],
    async run(api, fd) {
      const runId = (await api.call('runs.create', {})).run.info.runId;
      const { model } = await api.call('loggedModels.create', { experimentId: '0', name: 'lm', sourceRunId: runId, tags: [{ key: 'old', value: '1' }] });
      const modelId = model.info.modelId;
      await api.call('loggedModels.setTags', { modelId, tags: [{ key: 'k', value: 'v' }] });
      await api.call('loggedModels.deleteTag', { modelId, key: 'old' });
      await api.call('loggedModels.logParams', { modelId, params: [{ key: 'p', value: '1' }] });
      await api.call('loggedModels.logMetrics', { modelId, metrics: [{ key: 'm', value: 2, timestamp: 1, step: 0 }] });
      expect((await api.call('loggedModels.finalize', { modelId, status: 'LOGGED_MODEL_READY' })).model.info.status).toBe('LOGGED_MODEL_READY');
      const { model: got } = await api.call('loggedModels.get', { modelId });
      expect({ tags: got.info.tags, params: got.data.params, metrics: got.data.metrics.map((m) => m.value) }).toEqual({ tags: [{ key: 'k', value: 'v' }], params: [{ key: 'p', value: '1' }], metrics: [2] });
      await fd.artifacts.write(`${got.info.artifactUri.replace('mlflow-artifacts:/', '')}/MLmodel`, Buffer.from('flavors: {}\n'));
      expect((await api.call('loggedModels.listArtifacts', { modelId })).files.map((f) => f.path)).toEqual(['MLmodel']);
      await api.call('runs.logOutputs', { runId, models: [{ modelId, step: 0 }] });
      const other = (await api.call('runs.create', {})).run.info.runId;
      await api.call('runs.logModelInputs', { runId: other, models: [{ modelId }] });
      expect((await api.call('runs.get', { runId })).run.outputs?.modelOutputs).toEqual([{ modelId, step: 0 }]);
      expect((await api.call('runs.get', { runId: other })).run.inputs.modelInputs).toEqual([{ modelId }]);
      expect((await api.call('loggedModels.search', { experimentIds: ['0'], filter: "name = 'lm'" })).models.map((m) => m.info.modelId)).toEqual([modelId]);
      await api.call('loggedModels.delete', { modelId });
      expect((await api.call('loggedModels.search', { experimentIds: ['0'] })).models).toEqual([]);
    },
  },
  {
    name: 'registry models: created, renamed, described, tagged, searched and deleted',
    covers: ['registry.createModel', 'registry.getModel', 'registry.renameModel', 'registry.updateModel', 'registry.setModelTag', 'registry.deleteModelTag', 'registry.searchModels', 'registry.deleteModel'],
    async run(api) {
      await api.call('registry.createModel', { name: 'm', description: 'one', tags: [{ key: 'old', value: '1' }] });
      await api.call('registry.renameModel', { name: 'm', newName: 'm2' });
      await api.call('registry.updateModel', { name: 'm2', description: 'two' });
      await api.call('registry.setModelTag', { name: 'm2', key: 'k', value: 'v' });
      await api.call('registry.deleteModelTag', { name: 'm2', key: 'old' });
      const { model } = await api.call('registry.getModel', { name: 'm2' });
      expect({ name: model.name, description: model.description, tags: model.tags }).toEqual({ name: 'm2', description: 'two', tags: [{ key: 'k', value: 'v' }] });
      expect((await api.call('registry.searchModels', { filter: "name LIKE 'm%'" })).models.map((m) => m.name)).toEqual(['m2']);
      await api.call('registry.deleteModel', { name: 'm2' });
      expect((await api.call('registry.searchModels', {})).models).toEqual([]);
    },
  },
  {
    name: 'registry versions: created, described, tagged, aliased, staged, resolved, recorded and deleted',
    covers: ['registry.createVersion', 'registry.getVersion', 'registry.updateVersion', 'registry.setVersionTag', 'registry.deleteVersionTag', 'registry.searchVersions', 'registry.latestVersions', 'registry.downloadUri', 'registry.resolve', 'registry.versionsOfRun', 'registry.setAlias', 'registry.getVersionByAlias', 'registry.deleteAlias', 'registry.transitionStage', 'registry.history', 'registry.deleteVersion'],
    async run(api) {
      const runId = (await api.call('runs.create', {})).run.info.runId;
      await api.call('registry.createModel', { name: 'm' });
      const { version } = await api.call('registry.createVersion', { name: 'm', source: `runs:/${runId}/model`, runId, tags: [{ key: 'old', value: '1' }] });
      expect(version.version).toBe(1);
      await api.call('registry.updateVersion', { name: 'm', version: 1, description: 'first' });
      await api.call('registry.setVersionTag', { name: 'm', version: 1, key: 'k', value: 'v' });
      await api.call('registry.deleteVersionTag', { name: 'm', version: 1, key: 'old' });
      await api.call('registry.setAlias', { name: 'm', version: 1, alias: 'champion' });
      await api.call('registry.transitionStage', { name: 'm', version: 1, stage: 'Staging' });
      const { version: got } = await api.call('registry.getVersion', { name: 'm', version: 1 });
      expect({ description: got.description, tags: got.tags, aliases: got.aliases, stage: got.currentStage }).toEqual({ description: 'first', tags: [{ key: 'k', value: 'v' }], aliases: ['champion'], stage: 'Staging' });
      expect((await api.call('registry.getVersionByAlias', { name: 'm', alias: 'champion' })).version.version).toBe(1);
      expect((await api.call('registry.latestVersions', { name: 'm', stages: ['Staging'] })).versions.map((v) => v.version)).toEqual([1]);
      expect((await api.call('registry.searchVersions', { filter: "name = 'm'" })).versions.map((v) => v.runId)).toEqual([runId]);
      expect((await api.call('registry.versionsOfRun', { runId })).versions.map((v) => [v.name, v.version])).toEqual([['m', 1]]);
      expect((await api.call('registry.downloadUri', { name: 'm', version: 1 })).artifactUri).toMatch(new RegExp(`${runId}/artifacts/model$`));
      expect((await api.call('registry.resolve', { uri: 'models:/m@champion' })).version.version).toBe(1);
      await api.call('registry.deleteAlias', { name: 'm', alias: 'champion' });
      await expect(api.call('registry.getVersionByAlias', { name: 'm', alias: 'champion' })).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
      const kinds = (await api.call('registry.history', { name: 'm', version: 1 })).entries.map((e) => e.kind);
      expect(kinds).toEqual(expect.arrayContaining(['version.created', 'alias.set', 'alias.deleted']));
      await api.call('registry.deleteVersion', { name: 'm', version: 1 });
      await expect(api.call('registry.getVersion', { name: 'm', version: 1 })).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
    },
  },
  {
    name: 'registry protection: protected moves become requests that are approved, rejected or cancelled',
    covers: ['registry.setProtection', 'registry.getProtection', 'registry.listRequests', 'registry.getRequest', 'registry.approveRequest', 'registry.rejectRequest', 'registry.cancelRequest'],
    async run(api) {
      const runId = (await api.call('runs.create', {})).run.info.runId;
      await api.call('registry.createModel', { name: 'm' });
      await api.call('registry.createVersion', { name: 'm', source: `runs:/${runId}/model` });
      const aliases = ['beta', 'canary', 'prod'];
      await api.call('registry.setProtection', { name: 'm', aliases, stages: [] });
      expect((await api.call('registry.getProtection', { name: 'm' })).protection).toMatchObject({ aliases, stages: [] });
      const ask = async (alias: string) => (await api.call('registry.setAlias', { name: 'm', version: 1, alias })).request!.requestId;
      const [approved, rejected, cancelled] = [await ask('prod'), await ask('canary'), await ask('beta')];
      expect((await api.call('registry.listRequests', { name: 'm', status: 'pending' })).requests).toHaveLength(3);
      await api.call('registry.rejectRequest', { requestId: rejected, comment: 'no' });
      await api.call('registry.cancelRequest', { requestId: cancelled });
      await api.call('registry.approveRequest', { requestId: approved });
      const statuses = await Promise.all([approved, rejected, cancelled].map(async (requestId) => (await api.call('registry.getRequest', { requestId })).request.status));
      expect(statuses).toEqual(['approved', 'rejected', 'cancelled']);
      expect((await api.call('registry.getVersion', { name: 'm', version: 1 })).version.aliases).toEqual(['prod']);
    },
  },
  {
    name: 'models: found, described and listed in a run, served and stopped',
    covers: ['models.find', 'models.describe', 'models.listInRun', 'models.serve', 'models.servers', 'models.stopServing'],
    executes: true,
    async run(api, fd) {
      const runId = (await api.call('runs.create', {})).run.info.runId;
      expect(await api.call('models.find', { runId, path: 'model' })).toEqual({});
      const root = await artifactRoot(api, runId);
      await fd.artifacts.write(`${root}/model/MLmodel`, Buffer.from('flavors:\n  onnx:\n    data: model.onnx\n'));
      await fd.artifacts.write(`${root}/model/model.onnx`, linearOnnxModel({ weights: [[1]], bias: [0] }));
      expect((await api.call('models.find', { runId, path: 'model' })).model?.flavors.map((f) => f.name)).toEqual(['onnx']);
      expect((await api.call('models.describe', { runId, path: 'model' })).model.flavors.map((f) => f.name)).toEqual(['onnx']);
      expect((await api.call('models.listInRun', { runId })).models.map((m) => m.path)).toEqual(['model']);
      const { server } = await api.call('models.serve', { model: { runId, path: 'model' } });
      expect((await api.call('models.servers', {})).servers.map((s) => s.serverId)).toEqual([server.serverId]);
      await api.call('models.stopServing', { serverId: server.serverId });
      expect((await api.call('models.servers', {})).servers).toEqual([]);
    },
  },
  {
    name: 'projects: inspected, validated, run, its log read, cancelled',
    covers: ['projects.inspect', 'projects.validate', 'projects.run', 'projects.log', 'projects.cancel', 'execution.policy'],
    executes: true,
    async run(api, fd) {
      const uri = 'test/fixtures/projects/scripts-only';
      expect((await api.call('execution.policy', {})).mode).toBe('allowed');
      expect((await api.call('projects.inspect', { uri })).project.entryPoints.map((e) => e.name)).toContain('hello.sh');
      expect((await api.call('projects.validate', { uri, entryPoint: 'hello.sh' })).issues).toEqual([]);
      // The command logs nothing, but a run needs a server address to hand to it.
      fd.projects.useServer({ url: 'http://127.0.0.1:9' });
      const { state } = await api.call('projects.run', { uri, command: 'echo conformance; sleep 30' });
      let text = '';
      let after = 0;
      while (!text.includes('conformance')) {
        const page = await api.call('projects.log', { runId: state.runId, after });
        text += page.chunks.map((c) => c.text).join('');
        after = page.next;
      }
      expect((await api.call('projects.cancel', { runId: state.runId })).state.runId).toBe(state.runId);
    },
  },
  {
    name: 'settings: read and changed',
    covers: ['settings.get', 'settings.update'],
    async run(api, fd) {
      expect((await api.call('settings.get', {})).dataDir).toBe(fd.dataDir);
      await api.call('settings.update', { theme: 'dark' });
      expect((await api.call('settings.get', {})).settings.theme).toBe('dark');
    },
  },
  {
    name: 'imports: an mlruns folder imported, followed, listed; a finished one stopped',
    covers: ['imports.start', 'imports.get', 'imports.list', 'imports.stop'],
    async run(api) {
      const { importId } = await api.call('imports.start', { source: smallMlruns() });
      expect(await importEnded(api, importId)).toBe('done');
      expect((await api.call('imports.list', {})).imports.map((i) => i.importId)).toEqual([importId]);
      await api.call('imports.stop', { importId });
      const { experiment } = await api.call('experiments.getByName', { name: 'imported' });
      const { runs } = await api.call('runs.search', { experimentIds: [experiment.experimentId] });
      expect(runs.map((r) => r.data.params)).toEqual([[{ key: 'lr', value: '0.1' }]]);
    },
  },
  {
    name: 'traces: started, filled, read, searched, tagged, linked and deleted',
    covers: ['traces.start', 'traces.putData', 'traces.get', 'traces.spans', 'traces.getSpan', 'traces.readData', 'traces.logSpans', 'traces.search', 'traces.count', 'traces.setTag', 'traces.deleteTag', 'traces.linkToRun', 'traces.delete'],
    async run(api) {
      const runId = (await api.call('runs.create', {})).run.info.runId;
      await api.call('traces.start', { trace: { traceId: TRACE, experimentId: '0', requestTime: 1, state: 'OK', tags: { gone: 'x' } } });
      expect(await api.call('traces.putData', { traceId: TRACE, json: traceData(TRACE, ROOT_SPAN) })).toEqual({ spanCount: 1 });
      expect(JSON.parse((await api.call('traces.readData', { traceId: TRACE })).json).spans).toHaveLength(1);
      expect((await api.call('traces.spans', { traceId: TRACE })).spans.map((s) => s.name)).toEqual(['root']);
      expect((await api.call('traces.getSpan', { traceId: TRACE, spanId: ROOT_SPAN })).span.name).toBe('root');
      await api.call('traces.setTag', { traceId: TRACE, key: 'k', value: 'v' });
      await api.call('traces.deleteTag', { traceId: TRACE, key: 'gone' });
      await api.call('traces.linkToRun', { traceIds: [TRACE], runId });
      expect((await api.call('traces.get', { traceId: TRACE })).trace.tags).toMatchObject({ k: 'v' });
      expect((await api.call('traces.get', { traceId: TRACE })).trace.tags).not.toHaveProperty('gone');
      expect((await api.call('traces.search', { experimentIds: ['0'], runId })).traces.map((t) => t.traceId)).toEqual([TRACE]);
      const span = { traceId: OTEL_TRACE, spanId: ROOT_SPAN, name: 'otel', startTimeNs: '1000000', endTimeNs: '2000000', status: { code: 'OK' as const, message: '' }, attributes: {}, events: [] };
      expect((await api.call('traces.logSpans', { experimentId: '0', spans: [span] })).traceIds).toEqual([OTEL_TRACE]);
      expect((await api.call('traces.count', { experimentIds: ['0'] })).count).toBe(2);
      expect((await api.call('traces.delete', { experimentId: '0', traceIds: [OTEL_TRACE] })).deleted).toBe(1);
      expect((await api.call('traces.count', { experimentIds: ['0'] })).count).toBe(1);
    },
  },
  {
    name: 'assessments: created, read, updated and deleted',
    covers: ['traces.createAssessment', 'traces.getAssessment', 'traces.updateAssessment', 'traces.deleteAssessment'],
    async run(api) {
      await api.call('traces.start', { trace: { traceId: TRACE, experimentId: '0', requestTime: 1, state: 'OK' } });
      const source = { sourceType: 'HUMAN' as const, sourceId: 'me' };
      const { assessment } = await api.call('traces.createAssessment', { traceId: TRACE, assessment: { name: 'helpful', source, feedback: { value: true } } });
      const { assessmentId } = assessment;
      await api.call('traces.updateAssessment', { traceId: TRACE, assessmentId, rationale: 'clear' });
      expect((await api.call('traces.getAssessment', { traceId: TRACE, assessmentId })).assessment).toMatchObject({ name: 'helpful', rationale: 'clear' });
      await api.call('traces.deleteAssessment', { traceId: TRACE, assessmentId });
      await expect(api.call('traces.getAssessment', { traceId: TRACE, assessmentId })).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
    },
  },
  {
    name: 'migrate: an experiment, a run and a logged model put with their ids, the experiment trashed',
    covers: ['migrate.putExperiment', 'migrate.putRun', 'migrate.putLoggedModel', 'migrate.trashExperiment'],
    async run(api) {
      const { experimentId, created } = await api.call('migrate.putExperiment', { name: 'moved', tags: [{ key: 'k', value: 'v' }], creationTime: 1, lastUpdateTime: 2 });
      expect(created).toBe(true);
      const runId = 'ab'.repeat(16);
      await api.call('migrate.putRun', { experimentId, runId, runName: 'moved-run', userId: 'u', status: 'FINISHED', startTime: 1, endTime: 2, lifecycleStage: 'active' });
      const modelId = `m-${'c'.repeat(32)}`;
      await api.call('migrate.putLoggedModel', { experimentId, modelId, name: 'lm', status: 'LOGGED_MODEL_READY', sourceRunId: runId, creationTime: 1, lastUpdatedTime: 2 });
      expect((await api.call('runs.get', { runId })).run.info).toMatchObject({ runName: 'moved-run', experimentId, startTime: 1, endTime: 2 });
      expect((await api.call('loggedModels.get', { modelId })).model.info).toMatchObject({ name: 'lm', sourceRunId: runId });
      await api.call('migrate.trashExperiment', { experimentId, deletedTime: 3 });
      expect((await api.call('experiments.get', { experimentId })).experiment).toMatchObject({ lifecycleStage: 'deleted', tags: [{ key: 'k', value: 'v' }] });
    },
  },
  {
    name: "migrate: a model's recorded times and history, its version numbers reserved, and a trace's assessments, written as recorded",
    covers: ['migrate.putRegistryRecord', 'migrate.reserveVersions', 'migrate.registryWrite', 'migrate.putAssessments'],
    async run(api) {
      await api.call('registry.createModel', { name: 'moved' });
      const history = [{ time: 5, actor: 'ada', kind: 'model.created' as const, name: 'moved', before: null, after: { description: '' } }];
      const record = { name: 'moved', creationTime: 5, lastUpdatedTime: 6, userId: 'ada', createdByMigration: true, versions: [], history, requests: [] };
      expect(await api.call('migrate.putRegistryRecord', record)).toEqual({ historyAdded: 1, requestsAdded: 0 });
      expect(await api.call('migrate.putRegistryRecord', record)).toEqual({ historyAdded: 0, requestsAdded: 0 });
      expect((await api.call('registry.getModel', { name: 'moved' })).model.creationTimestamp).toBe(5);
      expect(await api.call('migrate.reserveVersions', { name: 'moved', through: 3 })).toEqual({ lastVersion: 3 });
      expect(await api.call('migrate.reserveVersions', { name: 'moved', through: 1 })).toEqual({ lastVersion: 3 });
      // A registry write the migration makes: the same rules and answer, no history entry of its own.
      const { output } = await api.call('migrate.registryWrite', { method: 'registry.createModel', input: { name: 'copied', tags: [{ key: 'k', value: 'v' }] } });
      expect(output).toMatchObject({ model: { name: 'copied', tags: [{ key: 'k', value: 'v' }] } });
      expect((await api.call('registry.history', { name: 'copied' })).entries).toEqual([]);
      await expect(api.call('migrate.registryWrite', { method: 'registry.setModelTag', input: { name: 'copied' } })).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
      await api.call('traces.start', { trace: { traceId: TRACE, experimentId: '0', requestTime: 1, state: 'OK' } });
      const source = { sourceType: 'HUMAN' as const, sourceId: 'me' };
      const assessment = { assessmentId: 'a-moved', name: 'helpful', traceId: TRACE, source, createTime: 7, lastUpdateTime: 8, feedback: { value: true }, valid: true };
      await api.call('migrate.putAssessments', { traceId: TRACE, assessments: [assessment] });
      expect((await api.call('traces.getAssessment', { traceId: TRACE, assessmentId: 'a-moved' })).assessment).toMatchObject({ name: 'helpful', createTime: 7, lastUpdateTime: 8 });
    },
  },
];
