/**
 * People over real HTTP: a server with users, listening beyond loopback, refuses what each role
 * may not do, on our own API, the MLflow routes, the artifact proxy and the event stream.
 */
import MLflow from 'mlflow';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { createClient, type Client } from '#core/api/client.ts';
import { createHttpTransport } from '#core/api/http-transport.ts';
import { openFlowdesk, type Flowdesk } from '#core/flowdesk.ts';
import { startServer } from '#core/server/server.ts';
import { addUser, revokeUser } from '#core/users/users.ts';
import { tempDir } from '../helpers/temp-dir.ts';

interface Team {
  fd: Flowdesk;
  /** Reached over loopback; the server itself listens on 0.0.0.0. */
  url: string;
  tokens: Record<'reader' | 'writer' | 'approver' | 'approver2' | 'revoked', string>;
  as(token?: string): Client;
}

async function startTeam(host = '0.0.0.0'): Promise<Team> {
  const fd = await openFlowdesk({ dataDir: tempDir() });
  const tokens = {} as Team['tokens'];
  for (const [name, role] of [['reader', 'reader'], ['writer', 'writer'], ['approver', 'approver'], ['approver2', 'approver'], ['revoked', 'writer']] as const) {
    tokens[name] = (await addUser(fd.catalog, name, role, 1_000)).token;
  }
  await revokeUser(fd.catalog, 'revoked', 2_000);
  const server = await startServer({ flowdesk: fd, host, port: 0, version: 'test', log: () => undefined });
  onTestFinished(async () => {
    await server.close();
    await fd.close();
  });
  const url = `http://127.0.0.1:${server.port}`;
  return { fd, url, tokens, as: (token) => createClient(createHttpTransport({ baseUrl: url, fetch, token })) };
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
