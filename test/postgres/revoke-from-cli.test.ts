/**
 * A revoke from the command line reaches a running team server at once: `flowdesk users revoke
 * --catalog postgresql://...` in one process cuts the user's open event stream in a `flowdesk
 * serve` process on the same database, with no restart and no reconnect.
 */
import { spawn } from 'node:child_process';
import { describe, expect, it, onTestFinished } from 'vitest';
import { freshPostgresDatabase } from '../helpers/postgres.ts';
import { spawnServe } from '../helpers/spawn-serve.ts';
import { tempDir } from '../helpers/temp-dir.ts';

/** Runs the CLI; resolves with how it ended. */
function flowdesk(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['bin/flowdesk.js', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('close', (code) => resolve({ code, out, err }));
  });
}

/** Starts `flowdesk serve` beyond loopback on `catalog`; resolves with its loopback URL. */
async function serve(catalog: string): Promise<string> {
  const url = new URL(await spawnServe(['serve', '--host', '0.0.0.0', '--port', '0', '--data-dir', tempDir(), '--catalog', catalog]).ready);
  url.hostname = '127.0.0.1';
  return url.origin;
}

describe('a revoke from the command line', () => {
  it("cuts the user's open event stream on a running team server", async () => {
    const catalog = await freshPostgresDatabase();
    const added = await flowdesk(['users', 'add', 'ann', '--role', 'reader', '--catalog', catalog]);
    expect(added.code).toBe(0);
    const token = /^\s+(fdt_\S+)$/m.exec(added.out)![1]!;
    const url = await serve(catalog);

    const controller = new AbortController();
    onTestFinished(() => controller.abort());
    const stream = await fetch(`${url}/api/flowdesk/v1/events`, { headers: { authorization: `Bearer ${token}` }, signal: controller.signal });
    expect(stream.status).toBe(200);
    const reader = stream.body!.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toContain(': connected');

    const revoked = await flowdesk(['users', 'revoke', 'ann', '--catalog', catalog]);
    expect(revoked.code).toBe(0);
    // Read until the server ends the stream; the test's own abort would only come at its end.
    for (;;) {
      const chunk = await reader.read().catch(() => ({ done: true as const }));
      if (chunk.done) break;
    }
    expect((await fetch(`${url}/api/flowdesk/v1/events`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(401);
  });
});
