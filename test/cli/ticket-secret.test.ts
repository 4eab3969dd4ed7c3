/**
 * `flowdesk serve` signs tickets with the secret it is given ($FLOWDESK_TICKET_SECRET or
 * --ticket-secret-file), so every process of a team server can share one, and refuses a secret
 * too short to be one.
 */
import { spawnSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openCatalog } from '#core/catalog/catalog.ts';
import { addUser } from '#core/users/users.ts';
import { spawnServe } from '../helpers/spawn-serve.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const hmac = (key: string, text: string) => createHmac('sha256', key).update(text).digest('base64url');

describe('the ticket secret of flowdesk serve', () => {
  it('signs tickets with $FLOWDESK_TICKET_SECRET, so a process that shares it accepts them', async () => {
    const dataDir = tempDir();
    const catalog = await openCatalog(join(dataDir, 'catalog.sqlite'));
    await addUser(catalog, 'ann', 'reader', 1_000);
    const row = await catalog.db.selectFrom('user_tokens').select(['id', 'token_hash']).executeTakeFirstOrThrow();
    await catalog.close();

    const secret = 'the-team-servers-shared-ticket-secret-0123456789';
    const served = spawnServe(['serve', '--host', '0.0.0.0', '--port', '0', '--data-dir', dataDir], { ...process.env, FLOWDESK_TICKET_SECRET: secret });
    const { port } = new URL(await served.ready);

    // What any other process given the same secret would issue for ann's token.
    const payload = `${row.id}.${Date.now() + 60_000}`;
    const ticket = `${payload}.${hmac(hmac(secret, row.token_hash), payload)}`;
    const response = await fetch(`http://127.0.0.1:${port}/api/flowdesk/v1/events?ticket=${encodeURIComponent(ticket)}`);
    expect(response.status).toBe(200);
    await response.body!.cancel();
  });

  it('refuses a secret file too short to be a secret', () => {
    const file = join(tempDir(), 'secret');
    writeFileSync(file, 'hunter2\n');
    const result = spawnSync(process.execPath, ['bin/flowdesk.js', 'serve', '--port', '0', '--data-dir', tempDir(), '--ticket-secret-file', file], { encoding: 'utf8' });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`flowdesk: --ticket-secret-file ${file} must hold at least 32 characters`);
  });
});
