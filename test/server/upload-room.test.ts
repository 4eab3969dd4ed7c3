/**
 * Disk is not infinite: artifact uploads are held to a per-file cap and must leave a free-space
 * reserve on the disk holding the artifacts. Refusals are 507 (which MLflow clients do not retry),
 * before a byte is read when the size is announced, as soon as the upload crosses when it is
 * chunked, and they leave no partial file. The limits are set small (or the reserve just above
 * the real free space) instead of filling a disk.
 */
import { statfsSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { CLIENT_VERSIONS, PYTHON_CLIENTS_NOT_RUN_REASON, runPython } from '../helpers/python-clients.ts';
import { snapshotTree } from '../artifacts/snapshot-tree.ts';

const MiB = 1024 * 1024;
const PUT = '/api/2.0/mlflow-artifacts/artifacts/0/r/artifacts/';

/** Free bytes on the disk of the data folder, as the server measures them. */
function freeBytes(dataDir: string): number {
  const info = statfsSync(dataDir);
  return info.bavail * info.bsize;
}

interface Answer {
  status: number;
  body: { error_code?: string; message?: string };
  /** Bytes the client got to send before the answer came. */
  sent: number;
}

/** Uploads `bytes` bytes, announced or chunked, stopping once the server has answered. */
function upload(server: TestServer, path: string, bytes: number, announced: boolean): Promise<Answer> {
  return new Promise((resolve, reject) => {
    let sent = 0;
    let answered = false;
    const headers = announced ? { 'content-length': String(bytes) } : { 'transfer-encoding': 'chunked' };
    const req = http.request({ host: '127.0.0.1', port: server.server.port, method: path.startsWith('/ajax') ? 'POST' : 'PUT', path, headers }, (res) => {
      answered = true;
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text), sent }));
    });
    req.on('error', (err) => (answered ? undefined : reject(err)));
    const piece = Buffer.alloc(MiB, 0x61);
    void (async () => {
      while (sent < bytes && !answered) {
        const data = piece.subarray(0, Math.min(MiB, bytes - sent));
        sent += data.length;
        if (!req.write(data)) await new Promise((r) => req.once('drain', r));
        await new Promise((r) => setImmediate(r));
      }
      req.end();
    })();
  });
}

/** Every file under the artifact folder, staging files included. */
function filesOnDisk(server: TestServer): string[] {
  return Object.entries(snapshotTree(join(server.dataDir, 'artifacts')))
    .filter(([, kind]) => kind.startsWith('file'))
    .map(([path]) => path);
}

describe('the per-file upload cap', () => {
  it('refuses an announced upload over the cap with 507 before reading it, and stores nothing', async () => {
    const server = await startTestServer({ limits: { maxUploadBytes: 4 * MiB } });
    const answer = await upload(server, `${PUT}big.bin`, 64 * MiB, true);
    expect(answer.status).toBe(507);
    expect(answer.body.error_code).toBe('QUOTA_EXCEEDED');
    expect(answer.body.message).toContain('larger than the 4.0 MiB (4194304 bytes) one upload may store');
    expect(answer.sent).toBeLessThan(64 * MiB);
    expect(filesOnDisk(server)).toEqual([]);
  });

  it('stops a chunked upload with 507 as soon as it crosses the cap, leaving no partial file', async () => {
    const server = await startTestServer({ limits: { maxUploadBytes: 4 * MiB } });
    const answer = await upload(server, `${PUT}big.bin`, 64 * MiB, false);
    expect(answer.status).toBe(507);
    expect(answer.body.error_code).toBe('QUOTA_EXCEEDED');
    expect(answer.sent).toBeLessThan(64 * MiB);
    expect(filesOnDisk(server)).toEqual([]);
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
  });

  it('stores an upload of exactly the cap', async () => {
    const server = await startTestServer({ limits: { maxUploadBytes: 4 * MiB } });
    expect((await upload(server, `${PUT}announced.bin`, 4 * MiB, true)).status).toBe(200);
    expect((await upload(server, `${PUT}chunked.bin`, 4 * MiB, false)).status).toBe(200);
    expect(await server.fd.artifacts.du('0/r/artifacts')).toBe(8 * MiB);
  });

  it("holds the window's upload helper to the cap too", async () => {
    const server = await startTestServer({ limits: { maxUploadBytes: 2 * MiB } });
    const { run } = await server.api.call('runs.create', {});
    const answer = await upload(server, `/ajax-api/2.0/mlflow/upload-artifact?run_uuid=${run.info.runId}&path=big.bin`, 3 * MiB, false);
    expect(answer.status).toBe(507);
    expect(filesOnDisk(server)).toEqual([]);
  });
});

describe('the free-space reserve', () => {
  it('refuses an upload when the disk has less free space than the reserve, naming both', async () => {
    const probe = await startTestServer();
    const server = await startTestServer({ limits: { freeSpaceReserveBytes: freeBytes(probe.dataDir) + 1024 ** 3 } });
    for (const announced of [true, false]) {
      const answer = await upload(server, `${PUT}small.txt`, 1000, announced);
      expect(answer.status).toBe(507);
      expect(answer.body.message).toMatch(/^Not enough free disk space: .* free, and uploads must leave .*\(the free space reserve of flowdesk serve\)$/);
    }
    expect(filesOnDisk(server)).toEqual([]);
  });

  it('refuses an announced upload that would eat into the reserve before reading it', async () => {
    const probe = await startTestServer();
    // 256 MiB of room above the reserve; other writers on this machine may take some meanwhile.
    const server = await startTestServer({ limits: { freeSpaceReserveBytes: freeBytes(probe.dataDir) - 256 * MiB } });
    const answer = await upload(server, `${PUT}big.bin`, 1024 * MiB, true);
    expect(answer.status).toBe(507);
    expect(answer.sent).toBeLessThan(1024 * MiB);
    expect(filesOnDisk(server)).toEqual([]);
  });

  it('stops a chunked upload with 507 once it eats into the reserve, leaving no partial file', async () => {
    const probe = await startTestServer();
    const server = await startTestServer({ limits: { freeSpaceReserveBytes: freeBytes(probe.dataDir) - 48 * MiB } });
    const answer = await upload(server, `${PUT}big.bin`, 512 * MiB, false);
    expect(answer.status).toBe(507);
    expect(answer.body.message).toContain('Not enough free disk space');
    expect(answer.sent).toBeLessThan(512 * MiB);
    expect(filesOnDisk(server)).toEqual([]);
  });
});

describe.runIf(!PYTHON_CLIENTS_NOT_RUN_REASON).each(CLIENT_VERSIONS)('MLflow %s', (version) => {
  it('gets the 507 of an upload over the cap as an error at once, without retrying', async () => {
    const server = await startTestServer({ limits: { maxUploadBytes: MiB } });
    let puts = 0;
    server.server.app.server.on('request', (request: http.IncomingMessage) => void (request.method === 'PUT' && puts++));
    const out = await runPython<{ error: string }>(
      version,
      server.url,
      `
import json, os, tempfile, mlflow
path = os.path.join(tempfile.mkdtemp(), "big.bin")
with open(path, "wb") as f:
    f.write(b"x" * (2 * 1024 * 1024))
with mlflow.start_run():
    try:
        mlflow.log_artifact(path)
        error = ""
    except Exception as e:
        error = str(e)
print(json.dumps({"error": error}))
`,
      // Retries on, as by default (the harness turns them off): a retried status would show as more PUTs.
      { env: { MLFLOW_HTTP_REQUEST_MAX_RETRIES: '3', MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR: '0', MLFLOW_HTTP_REQUEST_BACKOFF_JITTER: '0' } },
    );
    expect(puts).toBe(1);
    expect(out.error).toContain('507');
    expect(out.error).toContain('one upload may store');
    expect(filesOnDisk(server)).toEqual([]);
  });
});
