import { spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { openFlowdesk } from '#core/flowdesk.ts';
import { spawnServe } from '../helpers/spawn-serve.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const flowdesk = (args: string[]) => spawnSync(process.execPath, ['bin/flowdesk.js', ...args], { encoding: 'utf8' });

/** Starts `flowdesk serve`; `ready` resolves once it printed its URL. */
const serve = (args: string[]) => spawnServe(['serve', ...args]);

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

describe('flowdesk serve upload limits', () => {
  const put = (url: string, name: string, bytes: number) =>
    fetch(`${url}/api/2.0/mlflow-artifacts/artifacts/0/r/artifacts/${name}`, { method: 'PUT', body: Buffer.alloc(bytes) });

  it('caps each upload at --max-upload-size, refusing a larger file with 507', async () => {
    const s = serve(['--port', '0', '--data-dir', tempDir(), '--max-upload-size', '1KiB']);
    const url = await s.ready;
    try {
      expect((await put(url, 'fits.bin', 1024)).status).toBe(200);
      const refused = await put(url, 'big.bin', 1025);
      expect(refused.status).toBe(507);
      expect(((await refused.json()) as { message: string }).message).toContain('larger than the 1.0 KiB (1024 bytes) one upload may store');
    } finally {
      s.child.kill('SIGTERM');
      await s.exited;
    }
  });

  it('reads the cap and the reserve from settings.json, the option winning over the file', async () => {
    const dataDir = tempDir();
    writeFileSync(join(dataDir, 'settings.json'), JSON.stringify({ maxUploadBytes: 10, freeSpaceReserveBytes: 2 ** 52 }));
    const fromFile = serve(['--port', '0', '--data-dir', dataDir]);
    try {
      const url = await fromFile.ready;
      const refused = await put(url, 'a.bin', 5);
      expect(refused.status).toBe(507);
      expect(((await refused.json()) as { message: string }).message).toMatch(/^Not enough free disk space/);
    } finally {
      fromFile.child.kill('SIGTERM');
      await fromFile.exited;
    }
    const overridden = serve(['--port', '0', '--data-dir', dataDir, '--free-space-reserve', '0']);
    try {
      const url = await overridden.ready;
      expect((await put(url, 'a.bin', 5)).status).toBe(200);
      expect(((await (await put(url, 'b.bin', 11)).json()) as { message: string }).message).toContain('larger than the 10 bytes one upload may store');
    } finally {
      overridden.child.kill('SIGTERM');
      await overridden.exited;
    }
  });

  it('rejects a size it cannot read', () => {
    const result = flowdesk(['serve', '--port', '0', '--data-dir', tempDir(), '--max-upload-size', '20 gigs']);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("--max-upload-size must be a size like 20GiB, 512MiB or a number of bytes, got '20 gigs'");
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
