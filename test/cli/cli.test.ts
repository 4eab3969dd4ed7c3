import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { openFlowdesk } from '#core/flowdesk.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const flowdesk = (args: string[]) => spawnSync(process.execPath, ['bin/flowdesk.js', ...args], { encoding: 'utf8' });

/** Starts `flowdesk serve` and resolves once it printed its URL. */
function serve(args: string[]) {
  const child = spawn(process.execPath, ['bin/flowdesk.js', 'serve', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const ready = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      const match = /Listening on (\S+)/.exec(out);
      if (match) resolve(match[1]!);
    });
    child.on('exit', (code) => reject(new Error(`serve exited with ${code}: ${err}`)));
  });
  const exited = new Promise<{ code: number | null; out: string; err: string }>((resolve) => child.on('exit', (code) => resolve({ code, out, err })));
  return { child, ready, exited };
}

describe('flowdesk serve', () => {
  it('serves on a free port with --port 0, writes server.json and shuts down cleanly on SIGTERM', async () => {
    const dataDir = tempDir();
    const s = serve(['--port', '0', '--data-dir', dataDir]);
    const url = await s.ready;
    const info = JSON.parse(readFileSync(join(dataDir, 'server.json'), 'utf8'));
    expect(info).toMatchObject({ pid: s.child.pid, url });
    const response = await fetch(`${url}/api/2.0/mlflow/experiments/search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"max_results":10}' });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { experiments: unknown[] }).experiments[0]).toMatchObject({ experiment_id: '0', name: 'Default' });
    s.child.kill('SIGTERM');
    const { code } = await s.exited;
    expect(code).toBe(0);
    expect(existsSync(join(dataDir, 'server.json'))).toBe(false);
  });

  it('says plainly when the port is taken', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const result = flowdesk(['serve', '--port', String(port), '--data-dir', tempDir()]);
      expect(result.status).toBe(1);
      expect(result.stderr).toContain(`Port ${port} on 127.0.0.1 is already in use`);
    } finally {
      blocker.close();
    }
  });

  it('refuses to listen beyond loopback without a token', () => {
    const result = flowdesk(['serve', '--host', '0.0.0.0', '--port', '0', '--data-dir', tempDir()]);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/set a token/);
  });

  it('rejects a malformed port and unknown options with usage', () => {
    expect(flowdesk(['serve', '--port', 'abc', '--data-dir', tempDir()]).stderr).toMatch(/--port must be a number/);
    const catalog = flowdesk(['serve', '--catalog', 'mysql://me:s3cret@db/x', '--data-dir', tempDir()]);
    expect(catalog.stderr).toMatch(/--catalog must be a postgresql:\/\/ URL, got 'mysql:\/\/me:\*\*\*@db\/x'/);
    expect(catalog.stderr).not.toContain('s3cret');
    const unknown = flowdesk(['serve', '--bogus']);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/Usage/);
  });
});

describe('flowdesk gc', () => {
  it('purges the trash and prints the bytes reclaimed', async () => {
    const dataDir = tempDir();
    const fd = await openFlowdesk({ dataDir });
    const runId = (await fd.handlers['runs.create']({})).run.info.runId;
    await fd.artifacts.write(`0/${runId}/artifacts/model.bin`, Readable.from([Buffer.alloc(2048)]));
    await fd.handlers['runs.delete']({ runId });
    await fd.close();
    const result = flowdesk(['gc', '--data-dir', dataDir]);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('Purged 0 experiment(s) and 1 run(s)');
    expect(result.stdout).toContain('Reclaimed 2.0 KiB (2048 bytes)');
    expect(existsSync(join(dataDir, 'artifacts', '0', runId))).toBe(false);
  });
});
