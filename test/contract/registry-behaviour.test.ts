import { describe, expect, it } from 'vitest';
import { clientOver, TRANSPORTS } from '../helpers/transports.ts';

/** The registry's part of the behaviour suite, run against the core directly, over HTTP and over an IPC pair. */
describe.each(TRANSPORTS)('the registry over %s', (transport) => {
  it('registers a version, protects production behind an approval, and keeps the history', async () => {
    const { api } = await clientOver(transport);
    const runId = (await api.call('runs.create', {})).run.info.runId;
    await api.call('registry.createModel', { name: 'clf', actor: 'alice' });
    await api.call('registry.setProtection', { name: 'clf', aliases: ['production'], stages: [], actor: 'alice' });
    const { version } = await api.call('registry.createVersion', { name: 'clf', source: `runs:/${runId}/model`, actor: 'alice' });
    expect(version).toMatchObject({ name: 'clf', version: 1, currentStage: 'None', status: 'READY', runId });
    await expect(api.call('registry.createVersion', { name: 'clf', source: 'file:///etc/passwd' })).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
    const { request } = await api.call('registry.setAlias', { name: 'clf', alias: 'production', version: 1, comment: 'ready', actor: 'alice' });
    expect(request).toMatchObject({ status: 'pending', requestedBy: 'alice', comment: 'ready' });
    await expect(api.call('registry.getVersionByAlias', { name: 'clf', alias: 'production' })).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
    await api.call('registry.approveRequest', { requestId: request!.requestId, actor: 'bob' });
    await expect(api.call('registry.approveRequest', { requestId: request!.requestId, actor: 'bob' })).rejects.toMatchObject({ code: 'INVALID_STATE' });
    expect((await api.call('registry.resolve', { uri: 'models:/clf@production' })).artifactUri).toBe(`mlflow-artifacts:/0/${runId}/artifacts/model`);
    const { entries } = await api.call('registry.history', { name: 'clf' });
    expect(entries.map((e) => [e.kind, e.actor])).toEqual([
      ['model.created', 'alice'],
      ['model.protectionChanged', 'alice'],
      ['version.created', 'alice'],
      ['request.created', 'alice'],
      ['request.approved', 'bob'],
      ['alias.set', 'bob'],
    ]);
  });

  it.each([
    ['a missing model', 'registry.getModel', { name: 'nope' }, 'RESOURCE_DOES_NOT_EXIST'],
    ['a version that is not a number', 'registry.getVersion', { name: 'm', version: 'one' }, 'INVALID_PARAMETER_VALUE'],
    ['an unknown stage in protection', 'registry.setProtection', { name: 'm', aliases: [], stages: ['Prod'] }, 'INVALID_PARAMETER_VALUE'],
  ] as const)('answers %s with its error code', async (_label, method, input, code) => {
    const { api } = await clientOver(transport);
    await expect(api.call(method, input as never)).rejects.toMatchObject({ code });
  });
});
