/**
 * Tickets and revokes over real HTTP: a ticket cannot be made from what the catalog holds, it
 * survives a restart of the same data folder, and a revoke cuts the user's open event stream at
 * once and refuses their tickets from then on. On the postgres project the revoke travels as a
 * NOTIFY, as it does from `flowdesk users revoke` to a running team server.
 */
import { createHmac } from 'node:crypto';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { openFlowdesk, type Flowdesk } from '#core/flowdesk.ts';
import { startServer, type RunningServer } from '#core/server/server.ts';
import { addUser, revokeUser } from '#core/users/users.ts';
import { ON_POSTGRES, testCatalogOption } from '../helpers/postgres.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

async function openTeamFolder(dataDir: string, catalog: string | undefined): Promise<Flowdesk> {
  const fd = await openFlowdesk({ dataDir, catalog });
  onTestFinished(() => fd.close());
  return fd;
}

async function serve(fd: Flowdesk, options: { accessRecheckMs?: number; ticketSecret?: string } = {}): Promise<RunningServer & { base: string }> {
  const server = await startServer({ flowdesk: fd, host: '0.0.0.0', port: 0, version: 'test', log: () => undefined, ...options });
  onTestFinished(() => server.close());
  return Object.assign(server, { base: `http://127.0.0.1:${server.port}` });
}

async function ticketOf(base: string, token: string): Promise<string> {
  const response = await fetch(`${base}/api/flowdesk/v1/auth/ticket`, { method: 'POST', headers: bearer(token) });
  expect(response.status).toBe(200);
  return ((await response.json()) as { ticket: string }).ticket;
}

const eventsUrl = (base: string, ticket: string) => `${base}/api/flowdesk/v1/events?ticket=${encodeURIComponent(ticket)}`;

interface Stream {
  /** Resolves once the stream has carried `text`. */
  carried(text: string): Promise<void>;
  /** Settles when the server closes the stream (or cuts its connection). */
  ended: Promise<void>;
}

async function openStream(url: string, headers: Record<string, string> = {}): Promise<Stream> {
  const controller = new AbortController();
  onTestFinished(() => controller.abort());
  const response = await fetch(url, { headers, signal: controller.signal });
  expect(response.status).toBe(200);
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  let heard = () => undefined as void;
  const ended = (async () => {
    for (;;) {
      const chunk = await reader.read().catch(() => ({ done: true as const, value: undefined }));
      if (chunk.done) return;
      text += decoder.decode(chunk.value);
      heard();
    }
  })();
  const carried = async (wanted: string) => {
    while (!text.includes(wanted)) await new Promise<void>((resolve) => (heard = resolve));
  };
  await carried(': connected');
  return { carried, ended };
}

describe('tickets', () => {
  it('refuses a ticket signed with the token hash the catalog holds', async () => {
    const fd = await openTeamFolder(tempDir(), await testCatalogOption());
    const { token } = await addUser(fd.catalog, 'ann', 'reader', 1_000);
    const { base } = await serve(fd);
    const genuine = await fetch(eventsUrl(base, await ticketOf(base, token)));
    expect(genuine.status).toBe(200);
    await genuine.body!.cancel();

    // All an attacker with a copy of the catalog has: the token's id and its SHA-256.
    const row = await fd.catalog.db.selectFrom('user_tokens').select(['id', 'token_hash']).executeTakeFirstOrThrow();
    const expiry = Date.now() + 60_000;
    const forged = `${row.id}.${expiry}.${createHmac('sha256', row.token_hash).update(`${row.id}.${expiry}`).digest('base64url')}`;
    const response = await fetch(eventsUrl(base, forged));
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error_code: 'UNAUTHENTICATED' });
  });

  it('keeps its secret in the data folder with mode 0600, so tickets outlive a restart there', async () => {
    const dataDir = tempDir();
    const catalog = await testCatalogOption();
    const first = await openFlowdesk({ dataDir, catalog });
    const { token } = await addUser(first.catalog, 'ann', 'reader', 1_000);
    const server = await startServer({ flowdesk: first, host: '0.0.0.0', port: 0, version: 'test', log: () => undefined });
    const ticket = await ticketOf(`http://127.0.0.1:${server.port}`, token);
    await server.close();
    await first.close();

    expect(statSync(join(dataDir, 'ticket-secret')).mode & 0o777).toBe(0o600);
    const { base } = await serve(await openTeamFolder(dataDir, catalog));
    const response = await fetch(eventsUrl(base, ticket));
    expect(response.status).toBe(200);
    await response.body!.cancel();
  });

  it('accepts on one server the tickets of another that shares its ticket secret, and only then', async () => {
    const catalog = await testCatalogOption();
    const shared = 'a-ticket-secret-shared-by-every-process-0123456789';
    const one = await openTeamFolder(tempDir(), catalog);
    const { token } = await addUser(one.catalog, 'ann', 'reader', 1_000);
    // On SQLite the second process reads a copy of the same users: the catalog is not what makes tickets.
    const two = ON_POSTGRES ? await openTeamFolder(tempDir(), catalog) : one;
    const first = await serve(one, { ticketSecret: shared });
    const ticket = await ticketOf(first.base, token);
    const sameSecret = await serve(two, { ticketSecret: shared });
    const otherSecret = await serve(two, { ticketSecret: `${shared}-but-not-quite` });
    const accepted = await fetch(eventsUrl(sameSecret.base, ticket));
    expect(accepted.status).toBe(200);
    await accepted.body!.cancel();
    expect((await fetch(eventsUrl(otherSecret.base, ticket))).status).toBe(401);
  });
});

describe('a revoke', () => {
  it("cuts the user's open event stream when it is announced, and refuses their ticket and token afterwards", async () => {
    const fd = await openTeamFolder(tempDir(), await testCatalogOption());
    const { token } = await addUser(fd.catalog, 'ann', 'reader', 1_000);
    const other = (await addUser(fd.catalog, 'bob', 'reader', 1_000)).token;
    // No periodic look-up during this test: only the announcement can cut the stream.
    const { base } = await serve(fd, { accessRecheckMs: 3_600_000 });
    const ticket = await ticketOf(base, token);
    const byTicket = await openStream(eventsUrl(base, ticket));
    const byToken = await openStream(`${base}/api/flowdesk/v1/events`, bearer(token));
    const bobs = await openStream(`${base}/api/flowdesk/v1/events`, bearer(other));

    // On PostgreSQL the revoke reaches the server as a NOTIFY, as from another process; on SQLite
    // through this process's bus (the folder's one owner is the only one that may revoke).
    await revokeUser(fd.catalog, 'ann', 2_000, ON_POSTGRES ? undefined : fd.events);
    await byTicket.ended;
    await byToken.ended;

    expect((await fetch(eventsUrl(base, ticket))).status).toBe(401);
    expect((await fetch(`${base}/api/flowdesk/v1/events`, { headers: bearer(token) })).status).toBe(401);
    // Someone else's stream stays open and still carries events.
    const { experimentId } = await fd.handlers['experiments.create']({ name: 'still-here' });
    await bobs.carried(`"experimentId":"${experimentId}"`);
  });

  it('cuts the stream of a user revoked without an announcement at the next periodic look-up', async () => {
    const fd = await openTeamFolder(tempDir(), await testCatalogOption());
    const { token } = await addUser(fd.catalog, 'ann', 'reader', 1_000);
    const { base } = await serve(fd, { accessRecheckMs: 25 });
    const stream = await openStream(eventsUrl(base, await ticketOf(base, token)));
    // A revoke whose event was lost: only the catalog says so.
    await fd.catalog.write((trx) => trx.updateTable('users').set({ revoked_time: 2_000 }).where('name', '=', 'ann').execute());
    await stream.ended;
  });
});
