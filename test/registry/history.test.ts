import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import type { MethodInput, MethodName } from '#core/api/contract.ts';
import { METHOD_NAMES } from '#core/api/contract.ts';
import { HISTORY_KINDS } from '#core/api/entities.ts';
import { DEFAULT_ACTOR, modelWithVersions, registryFixture } from './registry-fixture.ts';
import { linearOnnxModel } from '../models/onnx-builder.ts';
import { allowExecution } from '#core/execution/execution-policy.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { OTEL_TRACE, ROOT_SPAN, TRACE, traceData } from '../helpers/mlflow-trace-data.ts';

describe('registry history', () => {
  it('holds exactly the 20 changes of a scripted sequence, in order, with actors and values before and after', async () => {
    const f = await registryFixture({ withUsers: true });
    const { api, runId } = f;
    const source = `runs:/${runId}/model`;
    await api.call('registry.createModel', { name: 'm', description: 'v1' }); // 1
    await api.call('registry.updateModel', { name: 'm', description: 'v2', actor: 'alice' }); // 2
    await api.call('registry.setModelTag', { name: 'm', key: 'team', value: 'ml' }); // 3
    await api.call('registry.deleteModelTag', { name: 'm', key: 'team' }); // 4
    await api.call('registry.createVersion', { name: 'm', source }); // 5
    await api.call('registry.createVersion', { name: 'm', source, description: 'second' }); // 6
    await api.call('registry.setVersionTag', { name: 'm', version: 2, key: 'k', value: 'v' }); // 7
    await api.call('registry.setAlias', { name: 'm', alias: 'champion', version: 1 }); // 8
    await api.call('registry.setAlias', { name: 'm', alias: 'champion', version: 2 }); // 9
    await api.call('registry.deleteAlias', { name: 'm', alias: 'champion' }); // 10
    await api.call('registry.transitionStage', { name: 'm', version: 1, stage: 'staging' }); // 11
    const first = (await api.call('registry.setAlias', { name: 'm', alias: 'production', version: 2, comment: 'why not', actor: 'alice' })).request!; // 12
    await api.call('registry.rejectRequest', { requestId: first.requestId, comment: 'no', actor: 'bob' }); // 13
    const second = (await api.call('registry.transitionStage', { name: 'm', version: 2, stage: 'Production', actor: 'alice' })).request!; // 14
    await api.call('registry.approveRequest', { requestId: second.requestId, actor: 'bob' }); // 15, 16
    await api.call('registry.renameModel', { name: 'm', newName: 'm2' }); // 17
    await api.call('registry.setProtection', { name: 'm2', aliases: [], stages: ['Production', 'Staging'] }); // 18
    await api.call('registry.deleteVersion', { name: 'm2', version: 1 }); // 19
    await api.call('registry.deleteModel', { name: 'm2' }); // 20

    const { entries } = await api.call('registry.history', { name: 'm2' });
    const defaults = { aliases: ['production'], stages: ['Production'] };
    const expected: [string, string, string, number | undefined, unknown, unknown][] = [
      ['model.created', DEFAULT_ACTOR, 'm', undefined, null, { name: 'm', description: 'v1', tags: [], protection: defaults }],
      ['model.described', 'alice', 'm', undefined, { description: 'v1' }, { description: 'v2' }],
      ['model.tagSet', DEFAULT_ACTOR, 'm', undefined, null, { key: 'team', value: 'ml' }],
      ['model.tagDeleted', DEFAULT_ACTOR, 'm', undefined, { key: 'team', value: 'ml' }, null],
      [
        'version.created',
        DEFAULT_ACTOR,
        'm',
        1,
        null,
        { source, storageLocation: `mlflow-artifacts:/0/${runId}/artifacts/model`, runId, modelId: null, description: null, tags: [], stage: 'None' },
      ],
      [
        'version.created',
        DEFAULT_ACTOR,
        'm',
        2,
        null,
        { source, storageLocation: `mlflow-artifacts:/0/${runId}/artifacts/model`, runId, modelId: null, description: 'second', tags: [], stage: 'None' },
      ],
      ['version.tagSet', DEFAULT_ACTOR, 'm', 2, null, { key: 'k', value: 'v' }],
      ['alias.set', DEFAULT_ACTOR, 'm', 1, null, { alias: 'champion', version: 1 }],
      ['alias.moved', DEFAULT_ACTOR, 'm', 2, { alias: 'champion', version: 1 }, { alias: 'champion', version: 2 }],
      ['alias.deleted', DEFAULT_ACTOR, 'm', 2, { alias: 'champion', version: 2 }, null],
      ['stage.transitioned', DEFAULT_ACTOR, 'm', 1, { stage: 'None' }, { stage: 'Staging' }],
      ['request.created', 'alice', 'm', 2, null, { requestId: first.requestId, kind: 'alias', target: 'production', archiveExistingVersions: false, comment: 'why not' }],
      ['request.rejected', 'bob', 'm', 2, { requestId: first.requestId, status: 'pending' }, { requestId: first.requestId, status: 'rejected', comment: 'no' }],
      ['request.created', 'alice', 'm', 2, null, { requestId: second.requestId, kind: 'stage', target: 'Production', archiveExistingVersions: false, comment: null }],
      ['request.approved', 'bob', 'm', 2, { requestId: second.requestId, status: 'pending' }, { requestId: second.requestId, status: 'approved', comment: null }],
      ['stage.transitioned', 'bob', 'm', 2, { stage: 'None' }, { stage: 'Production' }],
      ['model.renamed', DEFAULT_ACTOR, 'm2', undefined, { name: 'm' }, { name: 'm2' }],
      ['model.protectionChanged', DEFAULT_ACTOR, 'm2', undefined, defaults, { aliases: [], stages: ['Staging', 'Production'] }],
      [
        'version.deleted',
        DEFAULT_ACTOR,
        'm2',
        1,
        { source, stage: 'Staging', aliases: [], tags: [], description: null, runId },
        null,
      ],
      ['model.deleted', DEFAULT_ACTOR, 'm2', undefined, { name: 'm2', description: 'v2', tags: [], aliases: [], versions: [2] }, null],
    ];
    expect(expected).toHaveLength(20);
    expect(entries.map((e) => [e.kind, e.actor, e.name, e.version, e.before, e.after])).toEqual(expected);
    const times = entries.map((e) => e.time);
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    expect(new Set(entries.map((e) => e.entryId)).size).toBe(20);
    // The model is gone; its history outlives it and is found by either of its names.
    await expect(api.call('registry.getModel', { name: 'm2' })).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
    expect((await api.call('registry.history', { name: 'm' })).entries).toEqual(entries);
  });

  it('reads one version, and pages oldest first', async () => {
    const f = await registryFixture();
    await modelWithVersions(f, 'm', 2);
    await f.api.call('registry.setVersionTag', { name: 'm', version: 1, key: 'a', value: '1' });
    await f.api.call('registry.setVersionTag', { name: 'm', version: 2, key: 'b', value: '2' });
    expect((await f.api.call('registry.history', { name: 'm', version: 1 })).entries.map((e) => [e.kind, e.version])).toEqual([
      ['version.created', 1],
      ['version.tagSet', 1],
    ]);
    const all = (await f.api.call('registry.history', { name: 'm' })).entries;
    const first = await f.api.call('registry.history', { name: 'm', maxResults: 3 });
    const second = await f.api.call('registry.history', { name: 'm', maxResults: 3, pageToken: first.nextPageToken });
    expect([...first.entries, ...second.entries]).toEqual(all);
    expect(second.nextPageToken).toBeUndefined();
    await expect(f.api.call('registry.history', { name: 'm', version: 2, pageToken: first.nextPageToken })).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
    await expect(f.api.call('registry.history', { name: 'never' })).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
  });

  it('records no entry for a call that changes nothing', async () => {
    const f = await registryFixture();
    await modelWithVersions(f, 'm', 1);
    const before = (await f.api.call('registry.history', { name: 'm' })).entries;
    await f.api.call('registry.renameModel', { name: 'm', newName: 'm' });
    await f.api.call('registry.setAlias', { name: 'm', alias: 'a', version: 1 });
    await f.api.call('registry.setAlias', { name: 'm', alias: 'a', version: 1 });
    await f.api.call('registry.setModelTag', { name: 'm', key: 'k', value: 'v' });
    await f.api.call('registry.setModelTag', { name: 'm', key: 'k', value: 'v' });
    await f.api.call('registry.transitionStage', { name: 'm', version: 1, stage: 'None' });
    await f.api.call('registry.deleteAlias', { name: 'm', alias: 'nope' });
    const after = (await f.api.call('registry.history', { name: 'm' })).entries;
    expect(after.slice(before.length).map((e) => e.kind)).toEqual(['alias.set', 'model.tagSet']);
  });

  it('records every kind of change there is', async () => {
    const f = await registryFixture();
    const { api, runId } = f;
    await api.call('registry.createModel', { name: 'm' });
    await api.call('registry.updateModel', { name: 'm', description: 'd' });
    await api.call('registry.setModelTag', { name: 'm', key: 'k', value: 'v' });
    await api.call('registry.deleteModelTag', { name: 'm', key: 'k' });
    await api.call('registry.setProtection', { name: 'm', aliases: ['production'], stages: [] });
    await api.call('registry.createVersion', { name: 'm', source: `runs:/${runId}/model` });
    await api.call('registry.updateVersion', { name: 'm', version: 1, description: 'd' });
    await api.call('registry.setVersionTag', { name: 'm', version: 1, key: 'k', value: 'v' });
    await api.call('registry.deleteVersionTag', { name: 'm', version: 1, key: 'k' });
    await api.call('registry.createVersion', { name: 'm', source: `runs:/${runId}/model` });
    await api.call('registry.setAlias', { name: 'm', alias: 'a', version: 1 });
    await api.call('registry.setAlias', { name: 'm', alias: 'a', version: 2 });
    await api.call('registry.deleteAlias', { name: 'm', alias: 'a' });
    await api.call('registry.transitionStage', { name: 'm', version: 1, stage: 'Staging' });
    for (const decision of ['registry.approveRequest', 'registry.rejectRequest', 'registry.cancelRequest'] as const) {
      const { request } = await api.call('registry.setAlias', { name: 'm', alias: 'production', version: decision === 'registry.approveRequest' ? 1 : 2 });
      await api.call(decision, { requestId: request!.requestId });
    }
    await api.call('registry.renameModel', { name: 'm', newName: 'n' });
    await api.call('registry.deleteVersion', { name: 'n', version: 1 });
    await api.call('registry.deleteModel', { name: 'n' });
    const kinds = new Set((await api.call('registry.history', { name: 'n' })).entries.map((e) => e.kind));
    expect([...kinds].sort()).toEqual([...HISTORY_KINDS].sort());
  });
});

/** The smallest mlruns folder an import accepts: the Default experiment's meta.yaml. */
function tinyMlruns(): string {
  const dir = tempDir();
  mkdirSync(join(dir, '0'));
  writeFileSync(join(dir, '0', 'meta.yaml'), "artifact_location: file:///elsewhere/0\nexperiment_id: '0'\nlifecycle_stage: active\nname: Default\n");
  return dir;
}

describe('the history is append-only', () => {
  it('refuses a raw UPDATE or DELETE through Kysely, inside the writer or outside it', async () => {
    const f = await registryFixture();
    await modelWithVersions(f, 'm', 1);
    const { catalog } = f.fd;
    const before = await catalog.db.selectFrom('registry_history').selectAll().execute();
    await expect(catalog.write((trx) => trx.updateTable('registry_history').set({ actor: 'mallory' }).execute())).rejects.toThrow(/append-only/);
    await expect(catalog.write((trx) => trx.deleteFrom('registry_history').execute())).rejects.toThrow(/append-only/);
    await expect(catalog.write((trx) => trx.deleteFrom('registry_history').where('kind', '=', 'version.created').execute())).rejects.toThrow(/append-only/);
    await expect(catalog.db.updateTable('registry_history').set({ after_json: '{}' }).execute()).rejects.toThrow(/append-only/);
    await expect(catalog.db.deleteFrom('registry_history').execute()).rejects.toThrow(/append-only/);
    await expect(sql`delete from registry_history`.execute(catalog.db)).rejects.toThrow(/append-only/);
    if (catalog.dialect === 'sqlite') {
      // REPLACE deletes the conflicting row without firing delete triggers; an insert trigger stops it.
      await expect(sql`insert or replace into registry_history select * from registry_history`.execute(catalog.db)).rejects.toThrow(/append-only/);
    } else {
      // TRUNCATE fires no row triggers; a statement trigger stops it.
      await expect(sql`truncate registry_history`.execute(catalog.db)).rejects.toThrow(/append-only/);
    }
    await expect(
      catalog.db
        .insertInto('registry_history')
        .values({ ...before[0]!, actor: 'mallory' })
        .onConflict((oc) => oc.column('id').doUpdateSet({ actor: 'mallory' }))
        .execute(),
    ).rejects.toThrow(/append-only/);
    expect(await catalog.db.selectFrom('registry_history').selectAll().execute()).toEqual(before);
  });

  it('is not altered by any contract method: every method is called and earlier entries stay as they were', async () => {
    // Projects run and models are served here, as after a person's confirmation.
    const f = await registryFixture({ execution: allowExecution('allowed by the test'), withUsers: true });
    const { api, fd } = f;
    const db = fd.catalog.db;
    // Some history first: the entries that must survive everything below.
    await modelWithVersions(f, 'keep', 2);
    await api.call('registry.setAlias', { name: 'keep', alias: 'champion', version: 2 });
    const snapshot = await db.selectFrom('registry_history').selectAll().orderBy('id').execute();

    const ctx: Record<string, string> = {};
    const steps: { [M in MethodName]?: () => MethodInput<M> | Promise<MethodInput<M>> } = {
      'experiments.create': () => ({ name: 'e' }),
      'experiments.get': () => ({ experimentId: ctx.exp! }),
      'experiments.getByName': () => ({ name: 'e' }),
      'experiments.search': () => ({}),
      'experiments.diskUsage': () => ({}),
      'experiments.rename': () => ({ experimentId: ctx.exp!, newName: 'e2' }),
      'experiments.setTag': () => ({ experimentId: ctx.exp!, key: 'k', value: 'v' }),
      'experiments.deleteTag': () => ({ experimentId: ctx.exp!, key: 'k' }),
      'runs.create': () => ({ experimentId: ctx.exp! }),
      'runs.get': () => ({ runId: ctx.run! }),
      'runs.update': () => ({ runId: ctx.run!, runName: 'r' }),
      'runs.logBatch': () => ({ runId: ctx.run!, metrics: [{ key: 'm', value: 1, timestamp: 1 }], params: [{ key: 'p', value: '1' }], tags: [{ key: 't', value: '1' }] }),
      'runs.logMetric': () => ({ runId: ctx.run!, key: 'm', value: 2, timestamp: 2, step: 1 }),
      'runs.logParam': () => ({ runId: ctx.run!, key: 'q', value: '1' }),
      'runs.setTag': () => ({ runId: ctx.run!, key: 'u', value: '1' }),
      'runs.deleteTag': () => ({ runId: ctx.run!, key: 'u' }),
      'runs.logInputs': () => ({ runId: ctx.run!, datasets: [{ tags: [], dataset: { name: 'd', digest: 'x', sourceType: 'local', source: 's' } }] }),
      'runs.logModel': () => ({ runId: ctx.run!, model: { artifact_path: 'model' } }),
      'runs.search': () => ({ experimentIds: [ctx.exp!] }),
      'runs.keys': () => ({ experimentIds: [ctx.exp!] }),
      'runs.groups': () => ({ experimentIds: [ctx.exp!], param: 'p' }),
      'runs.childCounts': () => ({ runIds: [ctx.run!] }),
      'home.overview': () => ({}),
      'runs.count': () => ({ experimentIds: [ctx.exp!] }),
      'runs.columnStats': () => ({ experimentIds: [ctx.exp!] }),
      'runs.metricRanges': () => ({ runIds: [ctx.run!], keys: ['m'] }),
      'runs.setTagMany': () => ({ selection: { runIds: [ctx.run!] }, key: 'bulk', value: '1' }),
      'runs.deleteMany': () => ({ selection: { runIds: [ctx.run!] } }),
      'runs.restoreMany': () => ({ selection: { runIds: [ctx.run!] } }),
      'metrics.history': () => ({ runId: ctx.run!, key: 'm' }),
      'metrics.sampled': () => ({ runId: ctx.run!, key: 'm' }),
      'runs.getMany': () => ({ runIds: [ctx.run!] }),
      'metrics.sampledMany': () => ({ key: 'm', series: [{ runId: ctx.run! }] }),
      'artifacts.list': () => ({ runId: ctx.run! }),
      'artifacts.delete': async () => {
        const { run } = await api.call('runs.get', { runId: ctx.run! });
        await fd.artifacts.write(`${run.info.artifactUri.replace('mlflow-artifacts:/', '')}/f.txt`, Buffer.from('x'));
        return { runId: ctx.run!, path: 'f.txt' };
      },
      'models.describe': async () => {
        const { run } = await api.call('runs.get', { runId: ctx.run! });
        const root = run.info.artifactUri.replace('mlflow-artifacts:/', '');
        await fd.artifacts.write(`${root}/model/MLmodel`, Buffer.from('flavors:\n  onnx:\n    data: model.onnx\n'));
        await fd.artifacts.write(`${root}/model/model.onnx`, linearOnnxModel({ weights: [[1]], bias: [0] }));
        return { runId: ctx.run!, path: 'model' };
      },
      'models.find': () => ({ runId: ctx.run!, path: 'no-model-here' }),
      'models.listInRun': () => ({ runId: ctx.run! }),
      'models.serve': () => ({ model: { runId: ctx.run!, path: 'model' } }),
      'models.servers': () => ({}),
      'models.stopServing': async () => ({ serverId: (await api.call('models.servers', {})).servers[0]!.serverId }),
      'loggedModels.create': () => ({ experimentId: ctx.exp!, name: 'lm', sourceRunId: ctx.run! }),
      'loggedModels.get': () => ({ modelId: ctx.lm! }),
      'loggedModels.finalize': () => ({ modelId: ctx.lm!, status: 'LOGGED_MODEL_READY' }),
      'loggedModels.search': () => ({ experimentIds: [ctx.exp!] }),
      'loggedModels.setTags': () => ({ modelId: ctx.lm!, tags: [{ key: 'k', value: 'v' }] }),
      'loggedModels.deleteTag': () => ({ modelId: ctx.lm!, key: 'k' }),
      'loggedModels.logParams': () => ({ modelId: ctx.lm!, params: [{ key: 'p', value: '1' }] }),
      'loggedModels.logMetrics': () => ({ modelId: ctx.lm!, metrics: [{ key: 'm', value: 1, timestamp: 1, step: 0 }] }),
      'loggedModels.listArtifacts': () => ({ modelId: ctx.lm! }),
      'runs.logOutputs': () => ({ runId: ctx.run!, models: [{ modelId: ctx.lm!, step: 0 }] }),
      'runs.logModelInputs': () => ({ runId: ctx.run!, models: [{ modelId: ctx.lm! }] }),
      'registry.createModel': () => ({ name: 'x' }),
      'registry.getModel': () => ({ name: 'x' }),
      'registry.updateModel': () => ({ name: 'x', description: 'd' }),
      'registry.setModelTag': () => ({ name: 'x', key: 'k', value: 'v' }),
      'registry.deleteModelTag': () => ({ name: 'x', key: 'k' }),
      'registry.searchModels': () => ({}),
      'registry.createVersion': () => ({ name: 'x', source: `models:/${ctx.lm!}` }),
      'registry.getVersion': () => ({ name: 'x', version: 1 }),
      'registry.updateVersion': () => ({ name: 'x', version: 1, description: 'd' }),
      'registry.setVersionTag': () => ({ name: 'x', version: 1, key: 'k', value: 'v' }),
      'registry.deleteVersionTag': () => ({ name: 'x', version: 1, key: 'k' }),
      'registry.searchVersions': () => ({}),
      'registry.downloadUri': () => ({ name: 'x', version: 1 }),
      'registry.resolve': () => ({ uri: 'models:/x/1' }),
      'registry.versionsOfRun': () => ({ runId: ctx.run! }),
      'registry.latestVersions': () => ({ name: 'x' }),
      'registry.getVersionByAlias': () => ({ name: 'keep', alias: 'champion' }),
      'registry.setAlias': () => ({ name: 'x', alias: 'a', version: 1 }),
      'registry.deleteAlias': () => ({ name: 'x', alias: 'a' }),
      'registry.transitionStage': () => ({ name: 'x', version: 1, stage: 'Staging' }),
      'registry.getProtection': () => ({ name: 'x' }),
      'registry.setProtection': () => ({ name: 'x', aliases: ['production'], stages: ['Production', 'Staging'] }),
      'registry.listRequests': () => ({}),
      'registry.approveRequest': async () => ({ requestId: (await api.call('registry.setAlias', { name: 'x', alias: 'production', version: 1 })).request!.requestId }),
      'registry.rejectRequest': async () => ({ requestId: (await api.call('registry.setAlias', { name: 'keep', alias: 'production', version: 1 })).request!.requestId }),
      'registry.cancelRequest': async () => ({ requestId: (await api.call('registry.setAlias', { name: 'keep', alias: 'production', version: 2 })).request!.requestId }),
      'registry.getRequest': () => ({ requestId: '1' }),
      'registry.history': () => ({ name: 'keep' }),
      'settings.get': () => ({}),
      'settings.update': () => ({ theme: 'dark' }),
      'execution.policy': () => ({}),
      'registry.renameModel': () => ({ name: 'x', newName: 'y' }),
      'registry.deleteVersion': () => ({ name: 'y', version: 1 }),
      'registry.deleteModel': () => ({ name: 'y' }),
      'runs.delete': () => ({ runId: ctx.run! }),
      'runs.restore': () => ({ runId: ctx.run! }),
      'loggedModels.delete': () => ({ modelId: ctx.lm! }),
      'experiments.delete': () => ({ experimentId: ctx.exp! }),
      'experiments.restore': () => ({ experimentId: ctx.exp! }),
      'trash.list': () => ({}),
      'trash.purge': async () => {
        await api.call('experiments.delete', { experimentId: ctx.exp! });
        return {};
      },
      'projects.inspect': () => ({ uri: 'test/fixtures/projects/scripts-only' }),
      'projects.validate': () => ({ uri: 'test/fixtures/projects/scripts-only', entryPoint: 'hello.sh' }),
      'projects.run': () => {
        // The command logs nothing, but a run needs a server address to hand to it.
        fd.projects.useServer({ url: 'http://127.0.0.1:9' });
        return { uri: 'test/fixtures/projects/scripts-only', command: 'true' };
      },
      'projects.log': () => ({ runId: ctx.projectRun! }),
      'projects.cancel': () => ({ runId: ctx.projectRun! }),
      'imports.start': () => ({ source: tinyMlruns() }),
      'imports.get': () => ({ importId: ctx.importId! }),
      'imports.list': () => ({}),
      'imports.stop': () => ({ importId: ctx.importId! }),
      'traces.start': async () => {
        ctx.traceExp = (await api.call('experiments.create', { name: 'traced' })).experimentId;
        ctx.traceRun = (await api.call('runs.create', { experimentId: ctx.traceExp })).run.info.runId;
        return { trace: { traceId: TRACE, experimentId: ctx.traceExp, requestTime: 1, state: 'OK' } };
      },
      'traces.putData': () => ({ traceId: TRACE, json: traceData(TRACE, ROOT_SPAN) }),
      'traces.get': () => ({ traceId: TRACE }),
      'traces.spans': () => ({ traceId: TRACE }),
      'traces.getSpan': () => ({ traceId: TRACE, spanId: ROOT_SPAN }),
      'traces.readData': () => ({ traceId: TRACE }),
      'traces.logSpans': () => ({
        experimentId: ctx.traceExp!,
        spans: [{ traceId: OTEL_TRACE, spanId: ROOT_SPAN, name: 'otel', startTimeNs: '1000000', endTimeNs: '2000000', status: { code: 'OK', message: '' }, attributes: {}, events: [] }],
      }),
      'traces.search': () => ({ experimentIds: [ctx.traceExp!] }),
      'traces.count': () => ({ experimentIds: [ctx.traceExp!] }),
      'traces.setTag': () => ({ traceId: TRACE, key: 'k', value: 'v' }),
      'traces.deleteTag': () => ({ traceId: TRACE, key: 'k' }),
      'traces.linkToRun': () => ({ traceIds: [TRACE], runId: ctx.traceRun! }),
      'traces.createAssessment': () => ({ traceId: TRACE, assessment: { name: 'helpful', source: { sourceType: 'HUMAN', sourceId: 'me' }, feedback: { value: true } } }),
      'traces.getAssessment': () => ({ traceId: TRACE, assessmentId: ctx.assessment! }),
      'traces.updateAssessment': () => ({ traceId: TRACE, assessmentId: ctx.assessment!, rationale: 'clear' }),
      'traces.deleteAssessment': () => ({ traceId: TRACE, assessmentId: ctx.assessment! }),
      'traces.delete': () => ({ experimentId: ctx.traceExp!, traceIds: [OTEL_TRACE] }),
      'migrate.putExperiment': () => ({ name: 'moved', tags: [], creationTime: 1, lastUpdateTime: 2 }),
      'migrate.putRun': async () => ({ experimentId: (await api.call('experiments.getByName', { name: 'moved' })).experiment.experimentId, runId: 'ab'.repeat(16), runName: 'moved', userId: 'u', status: 'FINISHED', startTime: 1, lifecycleStage: 'active' }),
      'migrate.putLoggedModel': async () => ({ experimentId: (await api.call('experiments.getByName', { name: 'moved' })).experiment.experimentId, modelId: `m-${'c'.repeat(32)}`, name: 'lm', status: 'LOGGED_MODEL_READY', creationTime: 1, lastUpdatedTime: 2 }),
      'migrate.trashExperiment': async () => ({ experimentId: (await api.call('experiments.getByName', { name: 'moved' })).experiment.experimentId, deletedTime: 3 }),
      'migrate.putRegistryRecord': () => ({
        name: 'keep',
        creationTime: 1,
        lastUpdatedTime: 2,
        createdByMigration: false,
        versions: [],
        history: [{ time: 1, actor: 'elsewhere', kind: 'model.created', name: 'keep', before: null, after: { name: 'keep' } }],
        requests: [],
      }),
      'migrate.reserveVersions': () => ({ name: 'keep', through: 5 }),
      'migrate.registryWrite': () => ({ method: 'registry.createModel', input: { name: 'copied' } }),
      'migrate.putAssessments': () => ({ traceId: TRACE, assessments: [] }),
    };
    // A method added to the contract must be added here too, or this test cannot claim "every".
    expect(Object.keys(steps).sort()).toEqual([...METHOD_NAMES].sort());

    const failures: string[] = [];
    for (const [name, input] of Object.entries(steps) as [MethodName, () => unknown][]) {
      try {
        const output = (await api.call(name, (await input()) as never)) as Record<string, unknown>;
        if (name === 'experiments.create') ctx.exp = output.experimentId as string;
        if (name === 'runs.create') ctx.run = (output.run as { info: { runId: string } }).info.runId;
        if (name === 'loggedModels.create') ctx.lm = (output.model as { info: { modelId: string } }).info.modelId;
        if (name === 'projects.run') ctx.projectRun = (output.state as { runId: string }).runId;
        if (name === 'imports.start') ctx.importId = output.importId as string;
        if (name === 'traces.createAssessment') ctx.assessment = (output.assessment as { assessmentId: string }).assessmentId;
      } catch (err) {
        failures.push(`${name}: ${(err as Error).message}`);
      }
    }
    // The calls are meant to work: a failing one would prove nothing about what it could alter.
    expect(failures).toEqual([]);

    const after = await db.selectFrom('registry_history').selectAll().orderBy('id').execute();
    expect(after.slice(0, snapshot.length)).toEqual(snapshot);
    expect(after.length).toBeGreaterThan(snapshot.length);
    expect(after.slice(snapshot.length).every((row) => row.id > snapshot.at(-1)!.id)).toBe(true);
  });
});
