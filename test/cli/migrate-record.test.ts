/**
 * `flowdesk migrate` carries what was recorded, not only what is: the registry's creation times and
 * users, its history with its times and actors, its approval requests (pending ones stay pending
 * and can be decided on the target), and traces with their spans, tags, links and assessments
 * (ids, sources and times kept). What it cannot move is named and the exit code says so; and the
 * owner-only `migrate.*` methods refuse every other role.
 */
import { buffer } from 'node:stream/consumers';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createClient, type Client } from '#core/api/client.ts';
import { IN_PROCESS_OWNER } from '#core/api/access.ts';
import { METHOD_NAMES, type MethodInput, type MethodName } from '#core/api/contract.ts';
import { dispatch } from '#core/api/dispatch.ts';
import type { HistoryEntry, LoggedModel } from '#core/api/entities.ts';
import { storePathIn } from '#core/api/artifact-locations.ts';
import { createHttpTransport } from '#core/api/http-transport.ts';
import { openFlowdesk, type Flowdesk } from '#core/flowdesk.ts';
import { migrate } from '#core/migrate/migrate.ts';
import { startServer } from '#core/server/server.ts';
import { loadModels } from '#core/tracking/logged-models.ts';
import { addUser } from '#core/users/users.ts';
import { startTestServer } from '../helpers/server.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { runFlowdesk as flowdesk } from '../helpers/cli.ts';

const TOKEN = 'owner-secret-token';
const T0 = 1_600_000_000_000;
const TRACE_ID = `tr-${'ab'.repeat(16)}`;
const b64 = (hex: string) => Buffer.from(hex, 'hex').toString('base64');

const inProcess = (fd: Flowdesk): Client => createClient((name, input) => dispatch(fd.handlers, name, input, IN_PROCESS_OWNER, () => undefined));

/**
 * A laptop folder whose registry and traces were made by several people at known times long ago:
 * model 'm' by alice, version 1 by bob, a stage move by carol, a protected move by dave that waits
 * for approval; a trace of a run with two spans, a tag, a link and alice's feedback.
 */
async function buildRecordedSource(): Promise<{ dataDir: string; runId: string }> {
  const dataDir = tempDir();
  let clock = T0;
  const fd = await openFlowdesk({ dataDir, now: () => clock });
  const api = inProcess(fd);
  try {
    const { experimentId } = await api.call('experiments.create', { name: 'agents' });
    const { run } = await api.call('runs.create', { experimentId, runName: 'r', startTime: T0 });
    const runId = run.info.runId;
    clock = T0 + 1_000;
    await api.call('registry.createModel', { name: 'm', actor: 'alice' });
    clock = T0 + 2_000;
    await api.call('registry.createVersion', { name: 'm', source: `runs:/${runId}/model`, runId, actor: 'bob' });
    clock = T0 + 3_000;
    await api.call('registry.transitionStage', { name: 'm', version: 1, stage: 'Staging', actor: 'carol' });
    await api.call('registry.setProtection', { name: 'm', aliases: ['production'], stages: ['Production'] });
    clock = T0 + 4_000;
    const { request } = await api.call('registry.setAlias', { name: 'm', version: 1, alias: 'production', actor: 'dave', comment: 'ready' });
    expect(request?.status).toBe('pending');

    clock = T0 + 5_000;
    await api.call('traces.start', {
      trace: { traceId: TRACE_ID, experimentId, requestTime: T0 + 5_000, executionDuration: 7, state: 'OK', tags: { team: 'agents' }, metadata: { 'mlflow.sourceRun': runId } },
    });
    const span = (id: string, parent: string | null, name: string, start: number) => ({
      trace_id: b64('ab'.repeat(16)),
      span_id: b64(id),
      parent_span_id: parent === null ? null : b64(parent),
      name,
      start_time_unix_nano: start * 1_000_000,
      end_time_unix_nano: (start + 5) * 1_000_000,
      events: [],
      status: { code: 'STATUS_CODE_OK', message: '' },
      attributes: { 'mlflow.traceRequestId': JSON.stringify(TRACE_ID), 'mlflow.spanInputs': '{"q": "why"}' },
    });
    await api.call('traces.putData', {
      traceId: TRACE_ID,
      json: JSON.stringify({ spans: [span('0000000000000001', null, 'root', T0 + 5_000), span('0000000000000002', '0000000000000001', 'llm', T0 + 5_001)] }),
    });
    await api.call('traces.linkToRun', { traceIds: [TRACE_ID], runId });
    clock = T0 + 6_000;
    await api.call('traces.createAssessment', { traceId: TRACE_ID, assessment: { name: 'helpful', source: { sourceType: 'HUMAN', sourceId: 'alice' }, feedback: { value: true }, rationale: 'clear' } });
    return { dataDir, runId };
  } finally {
    await fd.close();
  }
}

async function allHistory(api: Client, name: string): Promise<HistoryEntry[]> {
  const out: HistoryEntry[] = [];
  let pageToken: string | undefined;
  do {
    const page = await api.call('registry.history', { name, maxResults: 2, pageToken });
    out.push(...page.entries);
    pageToken = page.nextPageToken;
  } while (pageToken);
  return out;
}

const withoutId = ({ entryId: _, ...entry }: HistoryEntry) => entry;

describe('flowdesk migrate keeps what was recorded', () => {
  it("moves the registry's creation times, users and history with their times and actors, once however often it runs", async () => {
    const { dataDir } = await buildRecordedSource();
    const target = await startTestServer({ token: TOKEN });
    const source = await openFlowdesk({ dataDir });
    onTestFinished(() => source.close());
    const report = await migrate({ source, target: target.url, token: TOKEN });
    expect(report.mismatches).toEqual([]);
    expect(report.notMoved).toEqual([]);

    const src = inProcess(source);
    const { model } = await src.call('registry.getModel', { name: 'm' });
    const { model: there } = await target.api.call('registry.getModel', { name: 'm' });
    expect([there.creationTimestamp, there.lastUpdatedTimestamp, there.userId]).toEqual([model.creationTimestamp, model.lastUpdatedTimestamp, model.userId]);
    expect(there.creationTimestamp).toBe(T0 + 1_000);
    const { version } = await src.call('registry.getVersion', { name: 'm', version: 1 });
    const { version: versionThere } = await target.api.call('registry.getVersion', { name: 'm', version: 1 });
    expect([versionThere.creationTimestamp, versionThere.lastUpdatedTimestamp, versionThere.userId]).toEqual([T0 + 2_000, version.lastUpdatedTimestamp, version.userId]);

    // The migration created the model there, so its history is the laptop's, entry for entry, with
    // no entry of the migration's own moves.
    const recorded = (await allHistory(src, 'm')).map(withoutId);
    expect(recorded.map((e) => [e.kind, e.actor])).toEqual(expect.arrayContaining([['model.created', 'alice'], ['version.created', 'bob'], ['stage.transitioned', 'carol'], ['request.created', 'dave']]));
    expect((await allHistory(target.api, 'm')).map(withoutId)).toEqual(recorded);

    const again = await migrate({ source, target: target.url, token: TOKEN });
    expect(again.mismatches).toEqual([]);
    expect((await allHistory(target.api, 'm')).map(withoutId)).toEqual(recorded);
  });

  it("records the migration's changes to a model the server already had in that model's history, beside the laptop's entries", async () => {
    const { dataDir } = await buildRecordedSource();
    const target = await startTestServer({ token: TOKEN });
    await target.api.call('registry.createModel', { name: 'm', actor: 'team' });
    const source = await openFlowdesk({ dataDir });
    onTestFinished(() => source.close());
    expect((await migrate({ source, target: target.url, token: TOKEN })).notMoved).toEqual([]);

    const recorded = (await allHistory(inProcess(source), 'm')).map(withoutId);
    const history = (await allHistory(target.api, 'm')).map(withoutId);
    // The laptop's entries, then the team's own and the migration's, each at its time.
    expect(history.slice(0, recorded.length)).toEqual(recorded);
    const own = history.slice(recorded.length);
    expect(own[0]).toMatchObject({ kind: 'model.created', actor: 'team' });
    expect(own.filter((e) => e.kind === 'version.created').map((e) => e.version)).toEqual([1]);
    expect(own.every((e) => e.time > T0 + 10_000)).toBe(true);
  });

  it('keeps version numbers, so the history of a version deleted on the laptop names its number and no other version takes it', async () => {
    const { dataDir, runId } = await buildRecordedSource();
    let clock = T0 + 7_000;
    const fd = await openFlowdesk({ dataDir, now: () => clock });
    try {
      const api = inProcess(fd);
      await api.call('registry.createVersion', { name: 'm', source: `runs:/${runId}/model`, runId, actor: 'bob' });
      clock = T0 + 8_000;
      await api.call('registry.createVersion', { name: 'm', source: `runs:/${runId}/model`, runId, description: 'third', actor: 'bob' });
      clock = T0 + 9_000;
      await api.call('registry.deleteVersion', { name: 'm', version: 2, actor: 'carol' });
    } finally {
      await fd.close();
    }
    const target = await startTestServer({ token: TOKEN });
    const source = await openFlowdesk({ dataDir });
    onTestFinished(() => source.close());
    const report = await migrate({ source, target: target.url, token: TOKEN });
    expect(report.notMoved).toEqual([]);

    const { versions } = await target.api.call('registry.searchVersions', { filter: "name = 'm'" });
    expect(versions.map((v) => [v.version, v.description ?? '']).sort()).toEqual([
      [1, ''],
      [3, 'third'],
    ]);
    const ofVersion = async (api: Client, version: number) => (await api.call('registry.history', { name: 'm', version })).entries.map(withoutId);
    const deleted = await ofVersion(inProcess(source), 2);
    expect(deleted.map((e) => [e.kind, e.actor, e.version])).toEqual([
      ['version.created', 'bob', 2],
      ['version.deleted', 'carol', 2],
    ]);
    expect(await ofVersion(target.api, 2)).toEqual(deleted);
    expect((await ofVersion(target.api, 3)).slice(0, 1)).toEqual((await ofVersion(inProcess(source), 3)).slice(0, 1));
  });

  it('moves a pending approval request as pending, with who asked and when, and it can be approved on the target', async () => {
    const { dataDir } = await buildRecordedSource();
    const target = await startTestServer({ token: TOKEN });
    const source = await openFlowdesk({ dataDir });
    onTestFinished(() => source.close());
    const report = await migrate({ source, target: target.url, token: TOKEN });
    expect(report.source.requests).toBe(1);
    expect(report.target.requests).toBe(1);

    const { requests } = await target.api.call('registry.listRequests', { name: 'm', status: 'pending' });
    expect(requests.map(({ requestId: _, ...r }) => r)).toEqual([
      { name: 'm', version: 1, kind: 'alias', target: 'production', archiveExistingVersions: false, status: 'pending', requestedBy: 'dave', requestedAt: T0 + 4_000, comment: 'ready' },
    ]);
    // The alias stays where the laptop had it until someone decides.
    await expect(target.api.call('registry.getVersionByAlias', { name: 'm', alias: 'production' })).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
    await target.api.call('registry.approveRequest', { requestId: requests[0]!.requestId, actor: 'erin' });
    expect((await target.api.call('registry.getVersionByAlias', { name: 'm', alias: 'production' })).version.version).toBe(1);
  });

  it('moves a trace under its id with its spans, tags, metadata, link to its run and assessments with their ids and times', async () => {
    const { dataDir, runId } = await buildRecordedSource();
    const target = await startTestServer({ token: TOKEN });
    const source = await openFlowdesk({ dataDir });
    onTestFinished(() => source.close());
    const report = await migrate({ source, target: target.url, token: TOKEN });
    expect([report.source.traces, report.target.traces]).toEqual([1, 1]);

    const src = inProcess(source);
    const { trace } = await src.call('traces.get', { traceId: TRACE_ID });
    const { trace: there } = await target.api.call('traces.get', { traceId: TRACE_ID });
    const { experiment } = await target.api.call('experiments.getByName', { name: 'agents' });
    expect(there.tags['mlflow.artifactLocation']).toBe(`mlflow-artifacts:/${experiment.experimentId}/traces/${TRACE_ID}/artifacts`);
    const comparable = (t: typeof trace) => ({ ...t, experimentId: '', tags: { ...t.tags, 'mlflow.artifactLocation': '' } });
    expect(comparable(there)).toEqual(comparable(trace));
    expect(there.assessments).toHaveLength(1);
    expect(there.assessments[0]).toMatchObject({ source: { sourceType: 'HUMAN', sourceId: 'alice' }, createTime: T0 + 6_000, feedback: { value: true } });
    expect(there.linkedRunIds).toEqual([runId]);
    expect((await target.api.call('traces.spans', { traceId: TRACE_ID })).spans).toEqual((await src.call('traces.spans', { traceId: TRACE_ID })).spans);
    expect(JSON.parse((await target.api.call('traces.readData', { traceId: TRACE_ID })).json)).toEqual(JSON.parse((await src.call('traces.readData', { traceId: TRACE_ID })).json));
    expect((await target.api.call('traces.search', { experimentIds: [experiment.experimentId], runId })).traces.map((t) => t.traceId)).toEqual([TRACE_ID]);

    // Again: the assessment is not doubled.
    await migrate({ source, target: target.url, token: TOKEN });
    expect((await target.api.call('traces.get', { traceId: TRACE_ID })).trace.assessments).toEqual(trace.assessments);
  });

  it('moves a deleted logged model under its id with its params, metrics, files and run link, into the trash with its deletion time', async () => {
    const { dataDir, runId } = await buildRecordedSource();
    let clock = T0 + 10_000;
    const fd = await openFlowdesk({ dataDir, now: () => clock });
    let modelId: string;
    try {
      const api = inProcess(fd);
      const { experiment } = await api.call('experiments.getByName', { name: 'agents' });
      const { model } = await api.call('loggedModels.create', { experimentId: experiment.experimentId, name: 'gone', sourceRunId: runId, params: [{ key: 'C', value: '0.5' }], tags: [{ key: 'stage', value: 'draft' }] });
      modelId = model.info.modelId;
      await api.call('loggedModels.logMetrics', { modelId, metrics: [{ key: 'acc', value: 0.8, timestamp: T0 + 11_000, step: 0, runId }] });
      await fd.artifacts.write(storePathIn(model.info.artifactUri, 'MLmodel'), Buffer.from('flavors: {}\n'));
      await api.call('runs.logOutputs', { runId, models: [{ modelId, step: 0 }] });
      clock = T0 + 12_000;
      await api.call('loggedModels.delete', { modelId });
    } finally {
      await fd.close();
    }
    const target = await startTestServer({ token: TOKEN });
    const result = await flowdesk(['migrate', '--to', target.url, '--token', TOKEN, '--data-dir', dataDir]);
    expect(result.stderr).toBe('');
    expect(result.stdout).not.toContain('Left on this machine');
    expect(result.code).toBe(0);

    const deletedRows = (db: Flowdesk['catalog']['db']) => db.selectFrom('logged_models').selectAll().where('model_id', '=', modelId).where('lifecycle_stage', '=', 'deleted').execute();
    const source = await openFlowdesk({ dataDir });
    try {
      const [sourceRow] = await deletedRows(source.catalog.db);
      const [targetRow] = await deletedRows(target.fd.catalog.db);
      expect(targetRow?.deleted_time).toBe(T0 + 12_000);
      const comparable = (m: LoggedModel) => ({ ...m, info: { ...m.info, experimentId: undefined, artifactUri: undefined } });
      const [there] = await loadModels(target.fd.catalog.db, [targetRow!]);
      const [here] = await loadModels(source.catalog.db, [sourceRow!]);
      expect(comparable(there!)).toEqual(comparable(here!));
      expect(there!.data.params).toEqual([{ key: 'C', value: '0.5' }]);
      expect(await buffer((await target.fd.artifacts.read(storePathIn(targetRow!.artifact_uri, 'MLmodel'))).stream)).toEqual(Buffer.from('flavors: {}\n'));
    } finally {
      await source.close();
    }
    // The run still names it as an output, and the target's live logged models do not list it.
    const { run } = await target.api.call('runs.get', { runId });
    expect(run.outputs?.modelOutputs).toEqual([{ modelId, step: 0 }]);
    expect((await target.api.call('loggedModels.search', { experimentIds: [run.info.experimentId] })).models).toEqual([]);
  });

  it('moves the traces of a run and of an experiment in the trash under their ids, into the trash with them', async () => {
    const { dataDir, runId } = await buildRecordedSource();
    const OLD_TRACE = `tr-${'cd'.repeat(16)}`;
    const fd = await openFlowdesk({ dataDir });
    let sourceTraces: unknown[];
    try {
      const api = inProcess(fd);
      const { experimentId: oldId } = await api.call('experiments.create', { name: 'old-agents' });
      await api.call('traces.start', { trace: { traceId: OLD_TRACE, experimentId: oldId, requestTime: T0 + 9_000, executionDuration: 3, state: 'ERROR', tags: { team: 'old' }, metadata: { k: 'v' } } });
      await api.call('experiments.delete', { experimentId: oldId });
      await api.call('runs.delete', { runId });
      sourceTraces = [(await api.call('traces.get', { traceId: TRACE_ID })).trace, (await api.call('traces.get', { traceId: OLD_TRACE })).trace];
    } finally {
      await fd.close();
    }
    const target = await startTestServer({ token: TOKEN });
    const result = await flowdesk(['migrate', '--to', target.url, '--token', TOKEN, '--data-dir', dataDir]);
    expect(result.stderr).toBe('');
    expect(result.stdout).not.toContain('Left on this machine');
    expect(result.code).toBe(0);

    const there = createClient(createHttpTransport({ baseUrl: target.url, fetch, token: TOKEN }));
    const { run } = await there.call('runs.get', { runId });
    expect(run.info.lifecycleStage).toBe('deleted');
    const { experiment: old } = await there.call('experiments.getByName', { name: 'old-agents' });
    expect(old.lifecycleStage).toBe('deleted');
    // Same ids and record (times, state, tags, metadata, assessments, run links); only the experiment id and the data's location are the target's.
    const comparable = (t: unknown) => {
      const { experimentId: _e, tags, ...rest } = t as { experimentId: string; tags: Record<string, string> };
      const { 'mlflow.artifactLocation': _l, ...ownTags } = tags;
      return { ...rest, tags: ownTags };
    };
    const targetTraces = [(await there.call('traces.get', { traceId: TRACE_ID })).trace, (await there.call('traces.get', { traceId: OLD_TRACE })).trace];
    expect(targetTraces.map(comparable)).toEqual(sourceTraces.map(comparable));
    expect(targetTraces[1]!.experimentId).toBe(old.experimentId);
    expect((await there.call('traces.spans', { traceId: TRACE_ID })).spans.map((s) => s.name)).toEqual(['root', 'llm']);
    // In the trash on the target as on the laptop: the experiment's live traces do not list them.
    const { experiment: agents } = await there.call('experiments.getByName', { name: 'agents' });
    expect((await there.call('traces.search', { experimentIds: [agents.experimentId] })).traces).toEqual([]);

    // A second pass finds nothing left to move.
    const second = await flowdesk(['migrate', '--to', target.url, '--token', TOKEN, '--data-dir', dataDir]);
    expect(second.stdout).toContain('Done: everything arrived');
    expect(second.code).toBe(0);
  });

  it('exits 0 and says everything arrived when nothing is refused or left behind', async () => {
    const { dataDir } = await buildRecordedSource();
    const target = await startTestServer({ token: TOKEN });
    const result = await flowdesk(['migrate', '--to', target.url, '--token', TOKEN, '--data-dir', dataDir]);
    expect(result.stderr).toBe('');
    expect(result.stdout).not.toContain('Left on this machine');
    expect(result.stdout).toContain('Done: everything arrived');
    expect(result.code).toBe(0);
  });
});

describe('the migrate.* methods', () => {
  it('refuse a writer and an approver token on a team server (403) and write nothing', async () => {
    const fd = await openFlowdesk({ dataDir: tempDir() });
    const tokens = { writer: (await addUser(fd.catalog, 'wendy', 'writer', 1_000)).token, approver: (await addUser(fd.catalog, 'abe', 'approver', 1_000)).token };
    const server = await startServer({ flowdesk: fd, port: 0, token: TOKEN, version: 'test', log: () => undefined });
    onTestFinished(async () => {
      await server.close();
      await fd.close();
    });
    const url = `http://127.0.0.1:${server.port}`;
    const owner = createClient(createHttpTransport({ baseUrl: url, fetch, token: TOKEN }));
    const { experimentId } = await owner.call('experiments.create', { name: 'e' });
    const inputs: { [M in MethodName & `migrate.${string}`]: MethodInput<M> } = {
      'migrate.putExperiment': { name: 'x', tags: [], creationTime: 1, lastUpdateTime: 1 },
      'migrate.trashExperiment': { experimentId, deletedTime: 1 },
      'migrate.putRun': { experimentId, runId: 'a'.repeat(32), runName: 'r', userId: 'u', status: 'FINISHED', startTime: 1, lifecycleStage: 'active' },
      'migrate.putLoggedModel': { experimentId, modelId: `m-${'c'.repeat(32)}`, name: 'lm', status: 'LOGGED_MODEL_READY', creationTime: 1, lastUpdatedTime: 1 },
      'migrate.putRegistryRecord': { name: 'm', creationTime: 1, lastUpdatedTime: 1, createdByMigration: true, versions: [], history: [], requests: [] },
      'migrate.reserveVersions': { name: 'm', through: 1 },
      'migrate.registryWrite': { method: 'registry.createModel', input: { name: 'm' } },
      'migrate.putAssessments': { traceId: TRACE_ID, assessments: [] },
    };
    const migrateMethods = METHOD_NAMES.filter((m) => m.startsWith('migrate.'));
    expect(migrateMethods.sort()).toEqual(Object.keys(inputs).sort());
    for (const [who, token] of Object.entries(tokens)) {
      for (const method of migrateMethods) {
        const response = await fetch(`${url}/api/flowdesk/v1/call/${method}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify(inputs[method as keyof typeof inputs]),
        });
        const body = (await response.json()) as { error_code?: string };
        expect({ who, method, status: response.status, code: body.error_code }).toEqual({ who, method, status: 403, code: 'PERMISSION_DENIED' });
      }
    }
    const { experiments } = await owner.call('experiments.search', { viewType: 'ALL' });
    expect(experiments.map((e) => [e.name, e.lifecycleStage]).sort()).toEqual([['Default', 'active'], ['e', 'active']]);
    expect((await owner.call('runs.search', { experimentIds: [experimentId], viewType: 'ALL' })).runs).toEqual([]);
    expect((await owner.call('loggedModels.search', { experimentIds: [experimentId] })).models).toEqual([]);
  });
});
