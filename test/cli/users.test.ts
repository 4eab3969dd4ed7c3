import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openCatalog } from '#core/catalog/catalog.ts';
import { spawnServe } from '../helpers/spawn-serve.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const flowdesk = (args: string[]) => spawnSync(process.execPath, ['bin/flowdesk.js', ...args], { encoding: 'utf8' });

function tokenIn(stdout: string): string {
  const match = /^\s+(fdt_[A-Za-z0-9_-]{43})$/m.exec(stdout);
  if (!match) throw new Error(`no token in: ${stdout}`);
  return match[1]!;
}

/** Starts `flowdesk serve` beyond loopback; resolves with the loopback URL once it listens. */
async function serveTeam(dataDir: string): Promise<{ url: string; stop(): Promise<void> }> {
  const served = spawnServe(['serve', '--host', '0.0.0.0', '--port', '0', '--data-dir', dataDir]);
  const { port } = new URL(await served.ready);
  return { url: `http://127.0.0.1:${port}`, stop: async () => void (await served.stop()) };
}

// Each case spawns the CLI, one after another: on a loaded two-core machine that alone nears a minute.
describe('flowdesk users', { timeout: 180_000 }, () => {
  it('shows a new token once and keeps only its SHA-256 in the catalog', async () => {
    const dataDir = tempDir();
    const added = flowdesk(['users', 'add', 'ann', '--role', 'writer', '--data-dir', dataDir]);
    expect(added.status).toBe(0);
    expect(added.stdout).toMatch(/Added ann \(writer\)\. Their token, shown this once/);
    const token = tokenIn(added.stdout);

    const listed = flowdesk(['users', 'list', '--data-dir', dataDir]);
    expect(listed.status).toBe(0);
    expect(listed.stdout).toMatch(/^NAME\s+ROLE\s+CREATED\s+REVOKED\nann\s+writer\s+\d{4}-\d\d-\d\dT[\d:]+Z\n$/);
    expect(listed.stdout).not.toContain(token);

    // Neither the database nor its WAL holds the token; the hash is what is stored.
    for (const file of readdirSync(dataDir).filter((f) => f.startsWith('catalog.sqlite'))) {
      expect(readFileSync(join(dataDir, file)).includes(Buffer.from(token))).toBe(false);
      expect(readFileSync(join(dataDir, file)).includes(Buffer.from(token.slice(4)))).toBe(false);
    }
    const catalog = await openCatalog(join(dataDir, 'catalog.sqlite'));
    const rows = await catalog.db.selectFrom('user_tokens').select('token_hash').execute();
    await catalog.close();
    expect(rows).toEqual([{ token_hash: createHash('sha256').update(token).digest('hex') }]);
  });

  it('refuses bad names, roles, reused names and unknown users plainly', () => {
    const dataDir = tempDir();
    const cases: [string[], RegExp][] = [
      [['users', 'add', 'bob', '--role', 'admin'], /role must be one of reader, writer, approver; got 'admin'/],
      [['users', 'add', 'bob'], /needs --role/],
      [['users', 'add', 'has space', '--role', 'reader'], /A user name is 1 to 64/],
      [['users', 'revoke', 'nobody'], /No user named 'nobody'/],
      [['users', 'remove', 'bob'], /takes add, list or revoke/],
    ];
    for (const [args, message] of cases) {
      const result = flowdesk([...args, '--data-dir', dataDir]);
      expect({ args, status: result.status }).toEqual({ args, status: 1 });
      expect(result.stderr).toMatch(message);
    }
    expect(flowdesk(['users', 'add', 'bob', '--role', 'reader', '--data-dir', dataDir]).status).toBe(0);
    expect(flowdesk(['users', 'revoke', 'bob', '--data-dir', dataDir]).status).toBe(0);
    const again = flowdesk(['users', 'add', 'bob', '--role', 'reader', '--data-dir', dataDir]);
    expect(again.stderr).toMatch(/User 'bob' already exists \(revoked; names are not reused/);
  });

  it('serves a team with the token, refuses to change users under a running server, and a revoke holds after restart', async () => {
    const dataDir = tempDir();
    const token = tokenIn(flowdesk(['users', 'add', 'ann', '--role', 'reader', '--data-dir', dataDir]).stdout);
    const server = await serveTeam(dataDir);
    const search = (authorization?: string) =>
      fetch(`${server.url}/api/2.0/mlflow/experiments/search?max_results=5`, { headers: authorization ? { authorization } : {} }).then((r) => r.status);
    expect(await search()).toBe(401);
    expect(await search(`Bearer ${token}`)).toBe(200);

    const refused = flowdesk(['users', 'revoke', 'ann', '--data-dir', dataDir]);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/A Flowdesk server \(pid \d+, .*\) has .* open; stop it, change users, then start it again/);

    await server.stop();
    expect(flowdesk(['users', 'revoke', 'ann', '--data-dir', dataDir]).status).toBe(0);
    expect(flowdesk(['users', 'list', '--data-dir', dataDir]).stdout).toMatch(/ann\s+reader\s+\S+Z\s+\S+Z/);
    const restarted = await serveTeam(dataDir);
    const response = await fetch(`${restarted.url}/api/2.0/mlflow/experiments/search?max_results=5`, { headers: { authorization: `Bearer ${token}` } });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error_code: 'UNAUTHENTICATED', message: expect.stringMatching(/revoked/) });
  });
});
