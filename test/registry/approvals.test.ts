import { join } from 'node:path';
import { createClient } from '#core/api/client.ts';
import { IN_PROCESS_OWNER } from '#core/api/access.ts';
import { dispatch } from '#core/api/dispatch.ts';
import { openFlowdesk } from '#core/flowdesk.ts';
import { describe, expect, it, onTestFinished } from 'vitest';
import { DEFAULT_ACTOR, modelWithVersions, registryFixture, type RegistryFixture } from './registry-fixture.ts';
import { tempDir } from '../helpers/temp-dir.ts';

/** Model `m` with versions 1 and 2; `production` points at 1 (set before protection applies). */
async function withProduction(): Promise<RegistryFixture> {
  const f = await registryFixture();
  await modelWithVersions(f, 'm', 2);
  await f.api.call('registry.setProtection', { name: 'm', aliases: [], stages: [] });
  await f.api.call('registry.setAlias', { name: 'm', alias: 'production', version: 1 });
  await f.api.call('registry.transitionStage', { name: 'm', version: 1, stage: 'Production' });
  await f.api.call('registry.setProtection', { name: 'm', aliases: ['production'], stages: ['Production'] });
  return f;
}

async function requestProduction(f: RegistryFixture, actor?: string) {
  const { request } = await f.api.call('registry.setAlias', { name: 'm', alias: 'production', version: 2, comment: 'better AUC', actor });
  return request!;
}

const aliasTarget = async (f: RegistryFixture, alias = 'production') => (await f.api.call('registry.getVersionByAlias', { name: 'm', alias })).version.version;
const stageOf = async (f: RegistryFixture, version: number) => (await f.api.call('registry.getVersion', { name: 'm', version })).version.currentStage;

describe('moves onto a protected alias', () => {
  it('create a pending request instead of moving, and a retry returns the same request', async () => {
    const f = await withProduction();
    const request = await requestProduction(f);
    expect(request).toEqual({
      requestId: expect.stringMatching(/^\d+$/),
      name: 'm',
      version: 2,
      kind: 'alias',
      target: 'production',
      archiveExistingVersions: false,
      status: 'pending',
      requestedBy: DEFAULT_ACTOR,
      requestedAt: expect.any(Number),
      comment: 'better AUC',
    });
    expect(await aliasTarget(f)).toBe(1);
    expect(await requestProduction(f)).toEqual(request);
    expect(await f.api.call('registry.listRequests', { name: 'm', status: 'pending' })).toEqual({ requests: [request] });
    expect(await f.api.call('registry.getRequest', { requestId: request.requestId })).toEqual({ request });
    expect(f.events).toContainEqual({ type: 'registry.request', requestId: request.requestId, name: 'm', version: 2, status: 'pending' });
  });

  it('are protected whatever the alias case', async () => {
    const f = await withProduction();
    const { request } = await f.api.call('registry.setAlias', { name: 'm', alias: 'Production', version: 2 });
    expect(request).toMatchObject({ status: 'pending', target: 'Production' });
    await expect(f.api.call('registry.getVersionByAlias', { name: 'm', alias: 'Production' })).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
  });

  it('move the version once approved, in the same transaction, with the approver recorded', async () => {
    const f = await withProduction();
    const request = await requestProduction(f, 'alice');
    const { request: approved } = await f.api.call('registry.approveRequest', { requestId: request.requestId, comment: 'ship it', actor: 'bob' });
    expect(approved).toEqual({ ...request, requestedBy: 'alice', status: 'approved', decidedBy: 'bob', decidedAt: expect.any(Number), decisionComment: 'ship it' });
    expect(await aliasTarget(f)).toBe(2);
    expect(f.events.slice(-2)).toEqual([
      { type: 'registry.request', requestId: request.requestId, name: 'm', version: 2, status: 'approved' },
      { type: 'registry.changed', name: 'm', version: 2 },
    ]);
    const entries = (await f.api.call('registry.history', { name: 'm' })).entries.slice(-3);
    expect(entries.map((e) => [e.kind, e.actor, e.before, e.after])).toEqual([
      ['request.created', 'alice', null, { requestId: request.requestId, kind: 'alias', target: 'production', archiveExistingVersions: false, comment: 'better AUC' }],
      ['request.approved', 'bob', { requestId: request.requestId, status: 'pending' }, { requestId: request.requestId, status: 'approved', comment: 'ship it' }],
      ['alias.moved', 'bob', { alias: 'production', version: 1 }, { alias: 'production', version: 2 }],
    ]);
  });

  it('refuse a second decision on a decided request with INVALID_STATE', async () => {
    const f = await withProduction();
    const request = await requestProduction(f);
    await f.api.call('registry.approveRequest', { requestId: request.requestId });
    for (const method of ['registry.approveRequest', 'registry.rejectRequest', 'registry.cancelRequest'] as const) {
      await expect(f.api.call(method, { requestId: request.requestId })).rejects.toMatchObject({ code: 'INVALID_STATE' });
    }
    expect((await f.api.call('registry.getRequest', { requestId: request.requestId })).request.status).toBe('approved');
  });

  it('leave the version where it was when rejected', async () => {
    const f = await withProduction();
    const request = await requestProduction(f);
    const { request: rejected } = await f.api.call('registry.rejectRequest', { requestId: request.requestId, comment: 'AUC is not enough', actor: 'bob' });
    expect(rejected).toMatchObject({ status: 'rejected', decidedBy: 'bob', decisionComment: 'AUC is not enough' });
    expect(await aliasTarget(f)).toBe(1);
    expect((await f.api.call('registry.getVersion', { name: 'm', version: 2 })).version.aliases).toEqual([]);
    await expect(f.api.call('registry.approveRequest', { requestId: request.requestId })).rejects.toMatchObject({ code: 'INVALID_STATE' });
    expect(await aliasTarget(f)).toBe(1);
    expect((await f.api.call('registry.history', { name: 'm' })).entries.at(-1)!.kind).toBe('request.rejected');
  });

  it('may be cancelled by the requester only', async () => {
    const f = await withProduction();
    const request = await requestProduction(f, 'alice');
    await expect(f.api.call('registry.cancelRequest', { requestId: request.requestId, actor: 'bob' })).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
    const { request: cancelled } = await f.api.call('registry.cancelRequest', { requestId: request.requestId, actor: 'alice', comment: 'wrong version' });
    expect(cancelled).toMatchObject({ status: 'cancelled', decidedBy: 'alice', decisionComment: 'wrong version' });
    expect(await aliasTarget(f)).toBe(1);
    // A new request may be made once the old one is closed.
    expect((await requestProduction(f)).requestId).not.toBe(request.requestId);
  });

  it('go away with their version; the history keeps them', async () => {
    const f = await withProduction();
    const request = await requestProduction(f);
    await f.api.call('registry.deleteVersion', { name: 'm', version: 2 });
    await expect(f.api.call('registry.approveRequest', { requestId: request.requestId })).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
    expect((await f.api.call('registry.history', { name: 'm', version: 2 })).entries.map((e) => e.kind)).toEqual(['version.created', 'request.created', 'version.deleted']);
  });

  it('apply at once where the alias is not protected, and protection is set per model', async () => {
    const f = await withProduction();
    expect(await f.api.call('registry.setAlias', { name: 'm', alias: 'champion', version: 2 })).toEqual({});
    expect(await aliasTarget(f, 'champion')).toBe(2);
    await f.api.call('registry.setProtection', { name: 'm', aliases: ['Champion'], stages: ['Staging'] });
    expect(await f.api.call('registry.getProtection', { name: 'm' })).toEqual({ protection: { aliases: ['champion'], stages: ['Staging'] } });
    expect((await f.api.call('registry.setAlias', { name: 'm', alias: 'champion', version: 1 })).request).toBeDefined();
    expect(await f.api.call('registry.setAlias', { name: 'm', alias: 'production', version: 2 })).toEqual({});
    expect(await aliasTarget(f)).toBe(2);
  });
});

describe('moves onto a protected stage', () => {
  it('create a request and answer the version as it is; approval moves it and archives others when asked', async () => {
    const f = await withProduction();
    const { version, request } = await f.api.call('registry.transitionStage', { name: 'm', version: 2, stage: 'production', archiveExistingVersions: true, comment: 'promote' });
    expect(version.currentStage).toBe('None');
    expect(request).toMatchObject({ kind: 'stage', target: 'Production', archiveExistingVersions: true, status: 'pending', comment: 'promote' });
    expect(await stageOf(f, 1)).toBe('Production');
    await f.api.call('registry.approveRequest', { requestId: request!.requestId });
    expect([await stageOf(f, 1), await stageOf(f, 2)]).toEqual(['Archived', 'Production']);
  });

  it('leave the version in its stage when rejected', async () => {
    const f = await withProduction();
    await f.api.call('registry.transitionStage', { name: 'm', version: 2, stage: 'Staging' });
    const { request } = await f.api.call('registry.transitionStage', { name: 'm', version: 2, stage: 'Production', archiveExistingVersions: true });
    await f.api.call('registry.rejectRequest', { requestId: request!.requestId });
    expect([await stageOf(f, 1), await stageOf(f, 2)]).toEqual(['Production', 'Staging']);
  });

  it('apply at once when leaving a protected stage', async () => {
    const f = await withProduction();
    const { version, request } = await f.api.call('registry.transitionStage', { name: 'm', version: 1, stage: 'Archived' });
    expect(request).toBeUndefined();
    expect(version.currentStage).toBe('Archived');
  });
});

describe('two decisions racing for one request', () => {
  it('let exactly one approval win; the other gets INVALID_STATE and nothing moves twice', async () => {
    const f = await withProduction();
    const request = await requestProduction(f);
    const results = await Promise.allSettled([
      f.api.call('registry.approveRequest', { requestId: request.requestId, actor: 'bob' }),
      f.api.call('registry.approveRequest', { requestId: request.requestId, actor: 'carol' }),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const lost = results.filter((r) => r.status === 'rejected');
    expect(lost).toHaveLength(1);
    expect((lost[0] as PromiseRejectedResult).reason).toMatchObject({ code: 'INVALID_STATE' });
    expect(await aliasTarget(f)).toBe(2);
    const kinds = (await f.api.call('registry.history', { name: 'm' })).entries.map((e) => e.kind);
    expect(kinds.filter((k) => k === 'request.approved')).toHaveLength(1);
    expect(kinds.filter((k) => k === 'alias.moved')).toHaveLength(1);
  });

  it('let an approval and a rejection race: the request ends in the winner state, and the alias agrees', async () => {
    const f = await withProduction();
    const request = await requestProduction(f);
    const results = await Promise.allSettled([
      f.api.call('registry.rejectRequest', { requestId: request.requestId }),
      f.api.call('registry.approveRequest', { requestId: request.requestId }),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    const { status } = (await f.api.call('registry.getRequest', { requestId: request.requestId })).request;
    expect(await aliasTarget(f)).toBe(status === 'approved' ? 2 : 1);
  });

  it('across two processes sharing the catalog file, exactly one approval wins', async () => {
    const f = await withProduction();
    const request = await requestProduction(f);
    // A second engine on the same catalog, as a second process would open it (from a data folder
    // of its own: a data folder has one owner).
    const other = await openFlowdesk({ dataDir: tempDir(), catalog: f.catalog ?? join(f.dataDir, 'catalog.sqlite'), defaultActor: () => 'carol' });
    onTestFinished(() => other.close());
    const otherApi = createClient((name, input) => dispatch(other.handlers, name, input, IN_PROCESS_OWNER, () => undefined));
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, (_, i) => (i % 2 === 0 ? f.api : otherApi).call('registry.approveRequest', { requestId: request.requestId })),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results.filter((r) => r.status === 'rejected')) expect((r as PromiseRejectedResult).reason).toMatchObject({ code: 'INVALID_STATE' });
    const kinds = (await f.api.call('registry.history', { name: 'm' })).entries.map((e) => e.kind);
    expect(kinds.filter((k) => k === 'request.approved')).toHaveLength(1);
    expect(await aliasTarget(f)).toBe(2);
  });
});

describe('transition requests', () => {
  it('are listed newest first, by model and by status', async () => {
    const f = await withProduction();
    await modelWithVersions(f, 'other', 1);
    await f.api.call('registry.setProtection', { name: 'other', aliases: ['production'], stages: [] });
    const a = await requestProduction(f);
    const { request: b } = await f.api.call('registry.transitionStage', { name: 'm', version: 2, stage: 'Production' });
    const { request: c } = await f.api.call('registry.setAlias', { name: 'other', alias: 'production', version: 1 });
    await f.api.call('registry.rejectRequest', { requestId: a.requestId });
    const ids = (r: { requests: { requestId: string }[] }) => r.requests.map((x) => x.requestId);
    expect(ids(await f.api.call('registry.listRequests', {}))).toEqual([c!.requestId, b!.requestId, a.requestId]);
    expect(ids(await f.api.call('registry.listRequests', { name: 'm' }))).toEqual([b!.requestId, a.requestId]);
    expect(ids(await f.api.call('registry.listRequests', { status: 'pending' }))).toEqual([c!.requestId, b!.requestId]);
    expect(ids(await f.api.call('registry.listRequests', { status: 'rejected' }))).toEqual([a.requestId]);
  });

  it('that do not exist are RESOURCE_DOES_NOT_EXIST', async () => {
    const f = await withProduction();
    for (const requestId of ['999', 'abc']) {
      await expect(f.api.call('registry.getRequest', { requestId })).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
      await expect(f.api.call('registry.approveRequest', { requestId })).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
    }
  });
});
