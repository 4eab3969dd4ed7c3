/**
 * People over real HTTP: a server with users, listening beyond loopback, refuses what each role
 * may not do, on our own API, the MLflow routes, the artifact proxy and the event stream; and on
 * a team server nobody, the owner token included, acts on the machine.
 */
import MLflow from 'mlflow';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { createClient, type Client } from '#core/api/client.ts';
import { contract, METHOD_NAMES } from '#core/api/contract.ts';
import { createHttpTransport } from '#core/api/http-transport.ts';
import { openFlowdesk, type Flowdesk } from '#core/flowdesk.ts';
import { serverRoutes, startServer, type RunningServer } from '#core/server/server.ts';
import { addUser, revokeUser } from '#core/users/users.ts';
import { tempDir } from '../helpers/temp-dir.ts';

interface Team {
  fd: Flowdesk;
  /** Reached over loopback; the server itself listens on 0.0.0.0. */
  url: string;
  tokens: Record<'reader' | 'writer' | 'approver' | 'approver2' | 'revoked', string>;
  as(token?: string): Client;
  server: RunningServer;
}

async function startTeam(host = '0.0.0.0', ownerToken?: string): Promise<Team> {
  const fd = await openFlowdesk({ dataDir: tempDir() });
  const tokens = {} as Team['tokens'];
  for (const [name, role] of [['reader', 'reader'], ['writer', 'writer'], ['approver', 'approver'], ['approver2', 'approver'], ['revoked', 'writer']] as const) {
    tokens[name] = (await addUser(fd.catalog, name, role, 1_000)).token;
  }
  await revokeUser(fd.catalog, 'revoked', 2_000);
  const server = await startServer({ flowdesk: fd, host, port: 0, token: ownerToken, version: 'test', log: () => undefined });
  onTestFinished(async () => {
    await server.close();
    await fd.close();
  });
  const url = `http://127.0.0.1:${server.port}`;
  return { fd, url, tokens, server, as: (token) => createClient(createHttpTransport({ baseUrl: url, fetch, token })) };
}

async function call(url: string, method: string, input: unknown, authorization?: string) {
  const response = await fetch(`${url}/api/flowdesk/v1/call/${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
    body: JSON.stringify(input),
  });
  return { status: response.status, body: (await response.json()) as { error_code?: string; message?: string } };
}

const bearer = (token: string) => `Bearer ${token}`;
const basic = (user: string, token: string) => `Basic ${Buffer.from(`${user}:${token}`).toString('base64')}`;

describe('a team server beyond loopback', () => {
  it('refuses every kind of route without a token (401) but serves the window and /health', async () => {
    const { url } = await startTeam();
    const routes: [string, string, string?][] = [
      ['POST', '/api/flowdesk/v1/call/experiments.search', '{}'],
      ['GET', '/api/2.0/mlflow/experiments/search?max_results=5'],
      ['POST', '/api/2.0/mlflow/runs/search', '{}'],
      ['GET', '/api/2.0/mlflow-artifacts/artifacts/0/x.txt'],
      ['PUT', '/api/2.0/mlflow-artifacts/artifacts/0/x.txt', 'bytes'],
      ['GET', '/api/flowdesk/v1/events'],
      ['GET', '/get-artifact?run_id=00000000000000000000000000000000&path=x'],
      ['GET', '/version'],
    ];
    for (const [method, path, body] of routes) {
      const response = await fetch(`${url}${path}`, { method, body, headers: body === '{}' ? { 'content-type': 'application/json' } : {} });
      expect({ path, status: response.status }).toEqual({ path, status: 401 });
      expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect(await response.json()).toMatchObject({ error_code: 'UNAUTHENTICATED', message: expect.stringMatching(/needs a token/) });
    }
    expect((await fetch(`${url}/health`)).status).toBe(200);
    expect((await fetch(`${url}/`)).status).toBe(200);
  });

  it("refuses every route the server has without a token (401), but the window's files, its session and /health", async () => {
    const { url, server } = await startTeam();
    // The window's files, the health probe, and the session route that tells the window to ask for a token.
    const open = new Set(['GET /', 'GET /*', 'GET /health', 'GET /api/flowdesk/v1/auth/session']);
    const refused: string[] = [];
    for (const { method, url: path } of serverRoutes(server.app)) {
      const route = `${method} ${path}`;
      if (method === 'HEAD' || open.has(route)) continue;
      const concrete = path.replace(/:[a-z_]+/g, 'x').replace('*', '0/x.txt');
      const response = await fetch(`${url}${concrete}`, method === 'GET' ? {} : { method, headers: { 'content-type': 'application/json' }, body: '{}' });
      if (response.status === 401) refused.push(route);
      else expect({ route, status: response.status }).toEqual({ route, status: 401 });
    }
    expect(refused.length).toBeGreaterThan(150);
  });

  it('refuses wrong, revoked and malformed credentials with 401, never 5xx', async () => {
    const { url, tokens } = await startTeam();
    const cases: [string, RegExp][] = [
      [bearer('fdt_wrong'), /not valid/],
      [bearer(tokens.revoked), /user 'revoked' was revoked/],
      [basic('revoked', tokens.revoked), /was revoked/],
      ['Basic !!!not-base64', /not valid/],
      ['Bearer ', /not valid/],
      ['Digest username="x"', /needs a token/],
    ];
    for (const [authorization, message] of cases) {
      const { status, body } = await call(url, 'experiments.search', {}, authorization);
      expect({ authorization, status, code: body.error_code }).toEqual({ authorization, status: 401, code: 'UNAUTHENTICATED' });
      expect(body.message).toMatch(message);
    }
  });

  it('lets each role do what it may and refuses the rest with 403', async () => {
    const { url, tokens, as } = await startTeam();
    const admin = as(tokens.approver);
    await admin.call('registry.createModel', { name: 'm' });
    const { run } = await as(tokens.writer).call('runs.create', {});
    await admin.call('registry.createVersion', { name: 'm', source: `runs:/${run.info.runId}/model`, runId: run.info.runId });
    await admin.call('registry.setProtection', { name: 'm', aliases: ['prod'], stages: [] });
    const { request } = await as(tokens.writer).call('registry.setAlias', { name: 'm', version: 1, alias: 'prod' });
    const requestId = request!.requestId;

    const table: [keyof Team['tokens'], string, unknown, number][] = [
      ['reader', 'experiments.search', {}, 200],
      ['reader', 'runs.get', { runId: run.info.runId }, 200],
      ['reader', 'registry.history', { name: 'm' }, 200],
      ['reader', 'experiments.create', { name: 'r' }, 403],
      ['reader', 'runs.logMetric', { runId: run.info.runId, key: 'k', value: 1, timestamp: 1, step: 0 }, 403],
      ['reader', 'registry.setAlias', { name: 'm', version: 1, alias: 'dev' }, 403],
      ['writer', 'experiments.create', { name: 'w' }, 200],
      ['writer', 'runs.logMetric', { runId: run.info.runId, key: 'k', value: 1, timestamp: 1, step: 0 }, 200],
      ['writer', 'registry.setProtection', { name: 'm', aliases: [], stages: [] }, 403],
      ['writer', 'registry.approveRequest', { requestId }, 403],
      ['writer', 'registry.rejectRequest', { requestId }, 403],
      ['approver', 'registry.approveRequest', { requestId }, 200],
    ];
    for (const [who, method, input, expected] of table) {
      const { status, body } = await call(url, method, input, bearer(tokens[who]));
      expect({ who, method, status }).toEqual({ who, method, status: expected });
      if (expected === 403) {
        expect(body).toMatchObject({ error_code: 'PERMISSION_DENIED', message: expect.stringContaining(`User '${who}' (${who}) may not call ${method}`) });
      }
    }
    expect((await admin.call('registry.getVersionByAlias', { name: 'm', alias: 'prod' })).version.version).toBe(1);
  });

  it('does not let an approver approve their own request; another approver can', async () => {
    const { tokens, as } = await startTeam();
    const approver = as(tokens.approver);
    await approver.call('registry.createModel', { name: 'm' });
    const { run } = await approver.call('runs.create', {});
    await approver.call('registry.createVersion', { name: 'm', source: `runs:/${run.info.runId}/model` });
    await approver.call('registry.setProtection', { name: 'm', aliases: ['prod'], stages: [] });
    const { request } = await approver.call('registry.setAlias', { name: 'm', version: 1, alias: 'prod' });
    await expect(approver.call('registry.approveRequest', { requestId: request!.requestId })).rejects.toMatchObject({ code: 'PERMISSION_DENIED', message: expect.stringMatching(/another approver/) });
    const approved = await as(tokens.approver2).call('registry.approveRequest', { requestId: request!.requestId, actor: 'someone-else' });
    expect(approved.request).toMatchObject({ status: 'approved', requestedBy: 'approver', decidedBy: 'approver2' });
  });

  it('keeps reads and writes through the MLflow routes and the artifact proxy to their roles', async () => {
    const { url, tokens, as } = await startTeam();
    const { run } = await as(tokens.writer).call('runs.create', {});
    const runPath = `/api/2.0/mlflow-artifacts/artifacts/0/${run.info.runId}/artifacts/notes.txt`;
    const put = (token: string) => fetch(`${url}${runPath}`, { method: 'PUT', headers: { authorization: bearer(token) }, body: 'hello' });
    expect((await put(tokens.reader)).status).toBe(403);
    expect((await put(tokens.writer)).status).toBe(200);
    const get = await fetch(`${url}${runPath}`, { headers: { authorization: bearer(tokens.reader) } });
    expect({ status: get.status, text: await get.text() }).toEqual({ status: 200, text: 'hello' });
    const del = await fetch(`${url}${runPath}`, { method: 'DELETE', headers: { authorization: bearer(tokens.reader) } });
    expect(del.status).toBe(403);

    const mlflow = (path: string, body: unknown, token: string) =>
      fetch(`${url}/api/2.0/mlflow${path}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: bearer(token) }, body: JSON.stringify(body) });
    expect((await mlflow('/runs/search', { experiment_ids: ['0'] }, tokens.reader)).status).toBe(200);
    const refused = await mlflow('/experiments/create', { name: 'x' }, tokens.reader);
    expect({ status: refused.status, body: await refused.json() }).toMatchObject({ status: 403, body: { error_code: 'PERMISSION_DENIED' } });
    expect((await mlflow('/registered-models/create', { name: 'x' }, tokens.writer)).status).toBe(200);
  });

  it('records who did what from the token, whatever the caller claims', async () => {
    const { url, tokens, as } = await startTeam();
    const created = await fetch(`${url}/api/2.0/mlflow/runs/create`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: basic('ignored', tokens.writer) },
      body: JSON.stringify({ experiment_id: '0', user_id: 'mallory', tags: [{ key: 'mlflow.user', value: 'mallory' }] }),
    });
    const { run } = (await created.json()) as { run: { info: { run_id: string; user_id: string }; data: { tags: { key: string; value: string }[] } } };
    expect(run.info.user_id).toBe('writer');
    expect(run.data.tags.filter((t) => t.key === 'mlflow.user')).toEqual([{ key: 'mlflow.user', value: 'writer' }]);

    const writer = as(tokens.writer);
    await writer.call('registry.createModel', { name: 'm', actor: 'mallory' });
    await writer.call('registry.setModelTag', { name: 'm', key: 'k', value: 'v', actor: 'mallory' });
    const { entries } = await writer.call('registry.history', { name: 'm' });
    expect(entries.map((e) => e.actor)).toEqual(['writer', 'writer']);
  });

  it('drives the mlflow npm client with Basic auth (username and the token as password)', async () => {
    const { url, tokens } = await startTeam();
    const spy = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    onTestFinished(() => spy.mockRestore());
    const client = (user: string, token: string) => new MLflow({ endpoint: url, headers: { Authorization: basic(user, token) } });
    const { experiment_id } = await client('writer', tokens.writer).Experiments.create({ name: 'npm-basic', artifact_location: '' });
    expect((await client('reader', tokens.reader).Experiments.get({ experiment_id })).experiment.name).toBe('npm-basic');
    await expect(client('reader', tokens.reader).Experiments.create({ name: 'nope', artifact_location: '' })).rejects.toThrow(/PERMISSION_DENIED/);
    await expect(client('revoked', tokens.revoked).Experiments.get({ experiment_id })).rejects.toThrow(/UNAUTHENTICATED/);
  });

  it('trades a token for a short-lived read-only ticket that opens the event stream and artifact downloads', async () => {
    const { url, tokens, fd } = await startTeam();
    const response = await fetch(`${url}/api/flowdesk/v1/auth/ticket`, { method: 'POST', headers: { authorization: bearer(tokens.writer) } });
    const { ticket } = (await response.json()) as { ticket: string };
    expect(ticket).not.toContain(tokens.writer);
    const events = await fetch(`${url}/api/flowdesk/v1/events?ticket=${encodeURIComponent(ticket)}`);
    expect(events.status).toBe(200);
    const reader = events.body!.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toContain(': connected');
    await reader.cancel();
    // Read-only: a ticket never writes, and a forged or revoked one opens nothing.
    const put = await fetch(`${url}/api/2.0/mlflow-artifacts/artifacts/0/x.txt?ticket=${encodeURIComponent(ticket)}`, { method: 'PUT', body: 'x' });
    expect(put.status).toBe(401);
    const forged = ticket.replace(/\.(\d+)\./, (_m, expiry: string) => `.${Number(expiry) + 1}.`);
    expect((await fetch(`${url}/api/flowdesk/v1/events?ticket=${encodeURIComponent(forged)}`)).status).toBe(401);
    await revokeUser(fd.catalog, 'writer', Date.now());
    expect((await fetch(`${url}/version?ticket=${encodeURIComponent(ticket)}`)).status).toBe(401);
  });

  it('refuses a token revoked while the server runs (by another process on a shared catalog) within two seconds', async () => {
    const { url, tokens, fd } = await startTeam();
    expect((await call(url, 'experiments.search', {}, bearer(tokens.writer))).status).toBe(200);
    await revokeUser(fd.catalog, 'writer', Date.now());
    await expect.poll(async () => (await call(url, 'experiments.search', {}, bearer(tokens.writer))).status, { timeout: 3000, interval: 100 }).toBe(401);
  });

  it('tells the window who is signed in', async () => {
    const { url, tokens } = await startTeam();
    const session = await fetch(`${url}/api/flowdesk/v1/auth/session`, { headers: { authorization: bearer(tokens.approver) } });
    expect(await session.json()).toEqual({ required: true, name: 'approver', role: 'approver' });
    // Asked before signing in, it answers that a token is needed, and a bad token is still refused.
    const anonymous = await fetch(`${url}/api/flowdesk/v1/auth/session`);
    expect({ status: anonymous.status, body: await anonymous.json() }).toEqual({ status: 200, body: { required: true, name: null, role: null } });
    expect((await fetch(`${url}/api/flowdesk/v1/auth/session`, { headers: { authorization: bearer('fdt_nope') } })).status).toBe(401);
  });
});

describe('a server on loopback', () => {
  it('stays open without users, and needs a token once users exist', async () => {
    const fd = await openFlowdesk({ dataDir: tempDir() });
    const server = await startServer({ flowdesk: fd, port: 0, version: 'test', log: () => undefined });
    onTestFinished(async () => {
      await server.close();
      await fd.close();
    });
    expect((await call(server.url, 'experiments.search', {})).status).toBe(200);
    const { token } = await addUser(fd.catalog, 'ann', 'reader', 1);
    // "No users yet" is asked again at most once a second.
    await expect.poll(async () => (await call(server.url, 'experiments.search', {})).status, { timeout: 3000 }).toBe(401);
    expect((await call(server.url, 'experiments.search', {}, bearer(token))).status).toBe(200);
  });

  it('refuses to listen beyond loopback with neither users nor a token', async () => {
    const fd = await openFlowdesk({ dataDir: tempDir() });
    onTestFinished(() => fd.close());
    await expect(startServer({ flowdesk: fd, host: '0.0.0.0', port: 0, version: 'test' })).rejects.toThrow(/add users .* or set a token/);
  });

  it('keeps the owner token (--token) working with every right and the caller-named actor', async () => {
    const fd = await openFlowdesk({ dataDir: tempDir() });
    await addUser(fd.catalog, 'ann', 'reader', 1);
    const server = await startServer({ flowdesk: fd, host: '0.0.0.0', port: 0, token: 'owner-secret', version: 'test', log: () => undefined });
    onTestFinished(async () => {
      await server.close();
      await fd.close();
    });
    const owner = createClient(createHttpTransport({ baseUrl: `http://127.0.0.1:${server.port}`, fetch, token: 'owner-secret' }));
    await owner.call('registry.createModel', { name: 'm', actor: 'ci-bot' });
    await owner.call('registry.setProtection', { name: 'm', aliases: ['prod'], stages: [], actor: 'ci-bot' });
    expect((await owner.call('registry.history', { name: 'm' })).entries.map((e) => e.actor)).toEqual(['ci-bot', 'ci-bot']);
  });
});

/**
 * Every route but GET and HEAD, as the server lists them (`serverRoutes`): `VERB /path` with
 * parameters as registered (`:model_id`, `*`).
 */
function writableRoutes(server: RunningServer): string[] {
  return serverRoutes(server.app)
    .filter((route) => route.method !== 'GET' && route.method !== 'HEAD')
    .map((route) => `${route.method} ${route.url}`);
}

describe('a reader on a team server', () => {
  /** A run, a registered model with a version, a logged model and an experiment to act on, made by the approver. */
  async function seeded(team: Team) {
    const admin = team.as(team.tokens.approver);
    const { experimentId } = await admin.call('experiments.create', { name: 'seeded' });
    const { run } = await admin.call('runs.create', { experimentId, tags: [{ key: 'k', value: 'v' }] });
    const runId = run.info.runId;
    await admin.call('registry.createModel', { name: 'm', tags: [{ key: 'k', value: 'v' }] });
    await admin.call('registry.createVersion', { name: 'm', source: `runs:/${runId}/model`, runId, tags: [{ key: 'k', value: 'v' }] });
    const { model } = await admin.call('loggedModels.create', { experimentId, tags: [{ key: 'k', value: 'v' }] });
    const put = await fetch(`${team.url}/api/2.0/mlflow-artifacts/artifacts/${experimentId}/${runId}/artifacts/x.txt`, { method: 'PUT', headers: { authorization: bearer(team.tokens.writer) }, body: 'kept' });
    expect(put.status).toBe(200);
    const traceId = `tr-${'5'.repeat(32)}`;
    await admin.call('traces.start', { trace: { traceId, experimentId, requestTime: 1_700_000_000_000, state: 'OK', tags: { k: 'v' } } });
    const snapshot = async () =>
      JSON.stringify([
        await admin.call('experiments.search', { viewType: 'ALL' }),
        await admin.call('runs.search', { experimentIds: ['0', experimentId], viewType: 'ALL' }),
        await admin.call('registry.searchVersions', {}),
        await admin.call('registry.getModel', { name: 'm' }),
        await admin.call('loggedModels.get', { modelId: model.info.modelId }),
        await admin.call('artifacts.list', { runId }),
        await admin.call('traces.search', { experimentIds: [experimentId] }),
        await admin.call('traces.spans', { traceId }),
        await admin.call('settings.get', {}).catch((err: Error) => err.message),
      ]);
    return { experimentId, runId, modelId: model.info.modelId, traceId, snapshot };
  }

  it('is refused every write route, MLflow\'s and ours, with 403, and nothing changes', async () => {
    const team = await startTeam();
    const { experimentId: e, runId: r, modelId, traceId: t, snapshot } = await seeded(team);
    const before = await snapshot();
    const file = `${e}/${r}/artifacts/x.txt`;
    // Each write route with a body that passes its own field checks, so only the role can refuse it.
    const mlflow: Record<string, [string, unknown]> = {
      'POST /experiments/create': ['', { name: 'x' }],
      'POST /experiments/set-experiment-tag': ['', { experiment_id: e, key: 'k', value: 'w' }],
      'POST /experiments/update': ['', { experiment_id: e, new_name: 'renamed' }],
      'POST /experiments/delete': ['', { experiment_id: e }],
      'POST /experiments/delete-experiment-tag': ['', { experiment_id: e, key: 'k' }],
      'POST /experiments/restore': ['', { experiment_id: e }],
      'POST /runs/create': ['', { experiment_id: e }],
      'POST /runs/update': ['', { run_id: r, status: 'FINISHED' }],
      'POST /runs/delete': ['', { run_id: r }],
      'POST /runs/delete-tag': ['', { run_id: r, key: 'k' }],
      'POST /runs/restore': ['', { run_id: r }],
      'POST /runs/set-tag': ['', { run_id: r, key: 'k', value: 'w' }],
      'POST /runs/log-metric': ['', { run_id: r, key: 'm', value: 1, timestamp: 1, step: 0 }],
      'POST /runs/log-model': ['', { run_id: r, model_json: JSON.stringify({ artifact_path: 'model', flavors: {}, utc_time_created: '2024-01-01 00:00:00.000000', run_id: r }) }],
      'POST /runs/log-parameter': ['', { run_id: r, key: 'p', value: '1' }],
      'POST /runs/log-batch': ['', { run_id: r, metrics: [{ key: 'm', value: 1, timestamp: 1, step: 0 }] }],
      'POST /runs/log-inputs': ['', { run_id: r, datasets: [{ dataset: { name: 'd', digest: 'x', source_type: 'local', source: 's' } }] }],
      'POST /runs/outputs': ['', { run_id: r, models: [{ model_id: modelId, step: 0 }] }],
      'POST /registered-models/create': ['', { name: 'x' }],
      'POST /registered-models/rename': ['', { name: 'm', new_name: 'n' }],
      'PATCH /registered-models/update': ['', { name: 'm', description: 'd' }],
      'DELETE /registered-models/delete': ['', { name: 'm' }],
      'DELETE /registered-models/delete-tag': ['', { name: 'm', key: 'k' }],
      'POST /registered-models/set-tag': ['', { name: 'm', key: 'k', value: 'w' }],
      'POST /registered-models/alias': ['', { name: 'm', alias: 'a', version: '1' }],
      'DELETE /registered-models/alias': ['', { name: 'm', alias: 'a' }],
      'POST /model-versions/create': ['', { name: 'm', source: `runs:/${r}/model` }],
      'PATCH /model-versions/update': ['', { name: 'm', version: '1', description: 'd' }],
      'DELETE /model-versions/delete': ['', { name: 'm', version: '1' }],
      'DELETE /model-versions/delete-tag': ['', { name: 'm', version: '1', key: 'k' }],
      'POST /model-versions/transition-stage': ['', { name: 'm', version: '1', stage: 'Staging', archive_existing_versions: false }],
      'POST /model-versions/set-tag': ['', { name: 'm', version: '1', key: 'k', value: 'w' }],
      'POST /logged-models': ['', { experiment_id: e }],
      'PATCH /logged-models/:model_id': [`/logged-models/${modelId}`, { status: 'LOGGED_MODEL_READY' }],
      'DELETE /logged-models/:model_id': [`/logged-models/${modelId}`, {}],
      'PATCH /logged-models/:model_id/tags': [`/logged-models/${modelId}/tags`, { tags: [{ key: 'k', value: 'w' }] }],
      'DELETE /logged-models/:model_id/tags/*': [`/logged-models/${modelId}/tags/k`, {}],
      'POST /logged-models/:model_id/params': [`/logged-models/${modelId}/params`, { params: [{ key: 'p', value: '1' }] }],
    };
    const reads = new Set(['POST /experiments/search', 'POST /runs/search', 'POST /registered-models/get-latest-versions', 'POST /logged-models/search']);
    const cases: { route: string; method: string; url: string; body?: string; json?: boolean; headers?: Record<string, string> }[] = [];
    for (const prefix of ['/api/2.0/mlflow', '/ajax-api/2.0/mlflow']) {
      for (const [route, [path, body]] of Object.entries(mlflow)) {
        const [verb, template] = route.split(' ') as [string, string];
        cases.push({ route: `${verb} ${prefix}${template}`, method: verb, url: `${prefix}${path || template}`, body: JSON.stringify(body), json: true });
      }
      const artifacts = prefix.replace('/mlflow', '/mlflow-artifacts');
      cases.push({ route: `PUT ${artifacts}/artifacts/*`, method: 'PUT', url: `${artifacts}/artifacts/${file}`, body: 'overwritten' });
      cases.push({ route: `DELETE ${artifacts}/artifacts/*`, method: 'DELETE', url: `${artifacts}/artifacts/${file}` });
      for (const action of ['create', 'complete', 'abort']) cases.push({ route: `POST ${artifacts}/mpu/${action}/*`, method: 'POST', url: `${artifacts}/mpu/${action}/${file}`, body: '{}', json: true });
    }
    // Tracing: MLflow's trace RPCs under the API version each has, the trace data file, OTLP.
    const traceRpcs: Record<string, [string, string, unknown]> = {
      // One body for both versions' StartTrace: the older reads experiment_id, the newer the trace.
      'POST /traces': ['', '', { experiment_id: e, trace: { trace_info: { trace_id: `tr-${'6'.repeat(32)}`, trace_location: { mlflow_experiment: { experiment_id: e } }, state: 'OK' } } }],
      'PATCH /traces/:trace_id/tags': ['', `/traces/${t}/tags`, { key: 'k', value: 'w' }],
      'DELETE /traces/:trace_id/tags': ['', `/traces/${t}/tags`, { key: 'k' }],
      'POST /traces/delete-traces': ['', '', { experiment_id: e, request_ids: [t] }],
      'POST /traces/:trace_id/assessments': ['3', `/traces/${t}/assessments`, { assessment: { assessment_name: 'a', source: { source_type: 'HUMAN', source_id: 'x' }, feedback: { value: 1 } } }],
      'PATCH /traces/:trace_id/assessments/:assessment_id': ['3', `/traces/${t}/assessments/a-1`, { assessment: { rationale: 'r' }, update_mask: 'rationale' }],
      'DELETE /traces/:trace_id/assessments/:assessment_id': ['3', `/traces/${t}/assessments/a-1`, {}],
      'PATCH /traces/:trace_id': ['2', `/traces/${t}`, { status: 'OK' }],
      'POST /traces/link-to-run': ['2', '', { trace_ids: [t], run_id: r }],
    };
    for (const version of ['2', '3']) {
      for (const api of ['api', 'ajax-api']) {
        const prefix = `/${api}/${version}.0/mlflow`;
        for (const [route, [only, path, body]] of Object.entries(traceRpcs)) {
          if (only !== '' && only !== version) continue;
          const [verb, template] = route.split(' ') as [string, string];
          cases.push({ route: `${verb} ${prefix}${template}`, method: verb, url: `${prefix}${path || template}`, body: JSON.stringify(body), json: true });
        }
      }
    }
    for (const api of ['api', 'ajax-api']) {
      cases.push({
        route: `PUT /${api}/2.0/mlflow-artifacts/artifacts/:experiment_id/traces/:trace_id/artifacts/traces.json`,
        method: 'PUT',
        url: `/${api}/2.0/mlflow-artifacts/artifacts/${e}/traces/${t}/artifacts/traces.json`,
        body: '{"spans": []}',
      });
    }
    const otlp = { resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: '7'.repeat(32), spanId: '8'.repeat(16), name: 's', startTimeUnixNano: '1', endTimeUnixNano: '2' }] }] }] };
    cases.push({ route: 'POST /v1/traces', method: 'POST', url: '/v1/traces', body: JSON.stringify(otlp), json: true, headers: { 'x-mlflow-experiment-id': e } });
    const traceReads = ['POST /api/3.0/mlflow/traces/search', 'POST /ajax-api/3.0/mlflow/traces/search'];
    // The UI's upload helper names its run and path in the query string.
    cases.push({ route: 'POST /ajax-api/2.0/mlflow/upload-artifact', method: 'POST', url: `/ajax-api/2.0/mlflow/upload-artifact?run_uuid=${r}&path=x.txt`, body: 'overwritten' });
    for (const name of METHOD_NAMES.filter((m) => contract[m].access.role !== 'reader')) {
      cases.push({ route: 'POST /api/flowdesk/v1/call/:method', method: 'POST', url: `/api/flowdesk/v1/call/${name}`, body: '{}', json: true });
    }

    // Every route the server has that may write is a case here: a new one must be added.
    const writable = writableRoutes(team.server);
    expect(writable).toEqual(expect.arrayContaining(['POST /api/2.0/mlflow/runs/log-batch', 'PUT /ajax-api/2.0/mlflow-artifacts/artifacts/*', 'POST /api/2.0/mlflow-artifacts/mpu/create/*', 'POST /ajax-api/2.0/mlflow/upload-artifact']));
    const covered = new Set([...cases.map((c) => c.route), ...[...reads].flatMap((r) => [r.replace(' ', ' /api/2.0/mlflow'), r.replace(' ', ' /ajax-api/2.0/mlflow')]), 'POST /api/flowdesk/v1/auth/ticket', ...traceReads]);
    expect(writable.filter((route) => !covered.has(route))).toEqual([]);

    for (const { route, method, url, body, json, headers: extra } of cases) {
      const headers: Record<string, string> = { authorization: bearer(team.tokens.reader), ...(json ? { 'content-type': 'application/json' } : {}), ...extra };
      const response = await fetch(`${team.url}${url}`, { method, headers, body });
      const answer = (await response.json()) as { error_code?: string };
      expect({ route, url, status: response.status, code: answer.error_code }).toEqual({ route, url, status: 403, code: 'PERMISSION_DENIED' });
    }
    expect(await snapshot()).toBe(before);
    const kept = await fetch(`${team.url}/api/2.0/mlflow-artifacts/artifacts/${file}`, { headers: { authorization: bearer(team.tokens.reader) } });
    expect(await kept.text()).toBe('kept');
  });

  it('still reads through the POST routes that only read', async () => {
    const team = await startTeam();
    const { experimentId } = await seeded(team);
    const reads: [string, unknown][] = [
      ['/experiments/search', {}],
      ['/runs/search', { experiment_ids: [experimentId] }],
      ['/registered-models/get-latest-versions', { name: 'm' }],
      ['/logged-models/search', { experiment_ids: [experimentId] }],
    ];
    for (const [path, body] of reads) {
      const response = await fetch(`${team.url}/api/2.0/mlflow${path}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: bearer(team.tokens.reader) }, body: JSON.stringify(body) });
      expect({ path, status: response.status }).toEqual({ path, status: 200 });
    }
  });
});

describe('the settings', () => {
  it('are refused to every user, and answered to the owner token', async () => {
    const team = await startTeam('0.0.0.0', 'owner-secret');
    for (const who of ['reader', 'writer', 'approver'] as const) {
      const { status, body } = await call(team.url, 'settings.get', {}, bearer(team.tokens[who]));
      expect({ who, status, body }).toEqual({ who, status: 403, body: { error_code: 'PERMISSION_DENIED', message: `User '${who}' (${who}) may not call settings.get: it needs the owner role` } });
    }
    const owner = await call(team.url, 'settings.get', {}, bearer('owner-secret'));
    expect({ status: owner.status, dataDir: (owner.body as { dataDir?: string }).dataDir }).toEqual({ status: 200, dataDir: team.fd.dataDir });
  });
});

describe('a team server acting on its machine', () => {
  const machineCalls: [string, unknown][] = [
    ['projects.inspect', { uri: '/etc' }],
    ['projects.inspect', { uri: 'file:///etc' }],
    ['projects.inspect', { uri: 'https://example.com/repo.git' }],
    ['projects.validate', { uri: '/etc', entryPoint: 'main', params: {} }],
    ['projects.run', { uri: '/etc', entryPoint: 'main', params: {} }],
    ['projects.cancel', { runId: '0'.repeat(32) }],
    ['models.serve', { model: { uri: 'models:/m/1' } }],
    ['models.stopServing', { serverId: 'x' }],
    ['settings.update', { requireToken: true }],
  ];

  it('refuses projects, serving and changing settings to every role and to the owner token', async () => {
    const team = await startTeam('0.0.0.0', 'owner-secret');
    const before = team.fd.settings.read();
    for (const [who, authorization] of [...(['reader', 'writer', 'approver'] as const).map((w) => [w, bearer(team.tokens[w])]), ['owner', bearer('owner-secret')]]) {
      for (const [method, input] of machineCalls) {
        const { status, body } = await call(team.url, method, input, authorization);
        expect({ who, method, input, status, code: body.error_code }).toEqual({ who, method, input, status: 403, code: 'PERMISSION_DENIED' });
      }
    }
    expect(team.fd.settings.read()).toEqual(before);
  });

  it('counts a loopback server with users as a team server, so the owner token cannot act on the machine there either', async () => {
    const team = await startTeam('127.0.0.1', 'owner-secret');
    const { status, body } = await call(team.url, 'projects.inspect', { uri: '/etc' }, bearer('owner-secret'));
    expect({ status, message: body.message }).toEqual({ status: 403, message: expect.stringMatching(/on a team server/) });
  });

  it('leaves them to the owner of an open loopback server, where a local path is read', async () => {
    const fd = await openFlowdesk({ dataDir: tempDir() });
    const server = await startServer({ flowdesk: fd, port: 0, version: 'test', log: () => undefined });
    onTestFinished(async () => {
      await server.close();
      await fd.close();
    });
    const { status, body } = await call(server.url, 'projects.inspect', { uri: tempDir() });
    expect({ status, project: 'project' in body }).toEqual({ status: 200, project: true });
  });
});

describe('a signed-in user\'s identity', () => {
  async function usersRun() {
    const team = await startTeam();
    const mlflow = async (path: string, body: unknown, token = team.tokens.writer) => {
      const response = await fetch(`${team.url}/api/2.0/mlflow${path}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: bearer(token) }, body: JSON.stringify(body) });
      return { status: response.status, body: (await response.json()) as { error_code?: string } };
    };
    const created = (await mlflow('/runs/create', { experiment_id: '0' })).body as unknown as { run: { info: { run_id: string } } };
    const runId = created.run.info.run_id;
    const identity = async () => {
      const { run } = await team.as(team.tokens.approver).call('runs.get', { runId });
      return { userId: run.info.userId, tag: run.data.tags.find((t) => t.key === 'mlflow.user')?.value };
    };
    return { team, runId, mlflow, identity };
  }

  it('is not rewritten by a later set-tag, log-batch or delete-tag of mlflow.user', async () => {
    const { team, runId, mlflow, identity } = await usersRun();
    const attempts: [string, unknown, string?][] = [
      ['/runs/set-tag', { run_id: runId, key: 'mlflow.user', value: 'mallory' }],
      ['/runs/log-batch', { run_id: runId, tags: [{ key: 'mlflow.user', value: 'mallory' }], metrics: [{ key: 'm', value: 1, timestamp: 1, step: 0 }] }],
      ['/runs/delete-tag', { run_id: runId, key: 'mlflow.user' }],
      ['/runs/set-tag', { run_id: runId, key: 'mlflow.user', value: 'approver' }, team.tokens.approver],
    ];
    for (const [path, body, token] of attempts) {
      const answer = await mlflow(path, body, token);
      expect({ path, status: answer.status, code: answer.body.error_code }).toEqual({ path, status: 403, code: 'PERMISSION_DENIED' });
    }
    expect(await identity()).toEqual({ userId: 'writer', tag: 'writer' });
    // Nothing of the refused batch was written.
    expect((await team.as(team.tokens.writer).call('runs.get', { runId })).run.data.metrics).toEqual([]);
  });

  it('accepts the same value again, as a client resending its tags does', async () => {
    const { runId, mlflow, identity } = await usersRun();
    expect((await mlflow('/runs/set-tag', { run_id: runId, key: 'mlflow.user', value: 'writer' })).status).toBe(200);
    expect(await identity()).toEqual({ userId: 'writer', tag: 'writer' });
  });
});
