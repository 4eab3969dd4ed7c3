import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { join } from 'node:path';
import { buffer } from 'node:stream/consumers';
import { parse as parseContentDisposition } from 'content-disposition';
import { describe, expect, it } from 'vitest';
import type { FlowdeskEvent } from '#core/api/events.ts';
import type { Flowdesk } from '#core/flowdesk.ts';
import { artifactBackends } from '../helpers/s3.ts';
import { startTestServer } from '../helpers/server.ts';

const PROXY = '/api/2.0/mlflow-artifacts';
const MULTIPART_501 = { error_code: 'NOT_IMPLEMENTED', message: 'Multipart upload is not supported for the current artifact repository' };

interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  json(): unknown;
}

/** One request through node:http, which sends the path exactly as given (fetch would normalize it). */
function request(baseUrl: string, method: string, path: string, body?: Buffer | string, headers: Record<string, string> = {}): Promise<RawResponse> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: hostname, port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const data = Buffer.concat(chunks);
        resolve({ status: res.statusCode!, headers: res.headers, body: data, json: () => JSON.parse(data.toString('utf8')) });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** What the store holds at a path, read through the store itself (a folder or S3 alike). */
async function stored(fd: Flowdesk, path: string): Promise<Buffer> {
  return buffer((await fd.artifacts.read(path)).stream);
}

describe.each(artifactBackends())('the artifact proxy ($name)', (backend) => {
  it('stores a PUT body of any content type byte for byte, creating folders, and answers {}', async () => {
    const { url, fd } = await startTestServer({ artifacts: backend.setting() });
    const bodies: [string, Buffer, Record<string, string>][] = [
      ['1/r/a/b/c.txt', Buffer.from('hello\n'), { 'content-type': 'text/plain' }],
      // Not JSON at all, though labelled so: the proxy must never parse artifact bodies.
      ['1/r/d.json', Buffer.from('{not json'), { 'content-type': 'application/json' }],
      ['1/r/e.bin', randomBytes(70_000), { 'content-type': 'application/octet-stream' }],
      ['1/r/no-type', Buffer.from('x'), {}],
      ['1/r/empty.txt', Buffer.alloc(0), { 'content-type': 'text/plain' }],
    ];
    for (const [path, body, headers] of bodies) {
      const res = await request(url, 'PUT', `${PROXY}/artifacts/${path}`, body, headers);
      expect(res.status).toBe(200);
      expect(res.json()).toEqual({});
      expect((await stored(fd, path)).equals(body)).toBe(true);
    }
  });

  it('replaces an existing file on PUT', async () => {
    const { url } = await startTestServer({ artifacts: backend.setting() });
    await request(url, 'PUT', `${PROXY}/artifacts/1/f.txt`, 'first version');
    await request(url, 'PUT', `${PROXY}/artifacts/1/f.txt`, 'second');
    expect((await request(url, 'GET', `${PROXY}/artifacts/1/f.txt`)).body.toString()).toBe('second');
  });

  it('leaves nothing behind when the client disconnects mid-upload', async () => {
    const { url, dataDir, server, fd } = await startTestServer({ artifacts: backend.setting() });
    await new Promise<void>((resolve, reject) => {
      const socket = net.connect(server.port, '127.0.0.1', () => {
        socket.write(`PUT ${PROXY}/artifacts/1/partial.bin HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nContent-Length: 1000\r\n\r\n`);
        socket.write(Buffer.alloc(400, 1), () => setTimeout(() => socket.destroy(), 100));
      });
      socket.on('close', () => resolve());
      socket.on('error', reject);
    });
    // The server notices the abort asynchronously; the list settles once the staging file is gone.
    if (backend.name === 'folder') {
      await expect.poll(() => (existsSync(join(dataDir, 'artifacts', '1')) ? readdirSync(join(dataDir, 'artifacts', '1')) : [])).toEqual([]);
    }
    expect(await fd.artifacts.du('')).toBe(0);
    expect((await request(url, 'GET', `${PROXY}/artifacts/1/partial.bin`)).status).toBe(404);
  });

  it('serves a file as a download with nosniff, a sandbox CSP and a guessed type', async () => {
    const { url } = await startTestServer({ artifacts: backend.setting() });
    await request(url, 'PUT', `${PROXY}/artifacts/1/plots/loss.png`, Buffer.from([0x89, 0x50, 0x4e, 0x47]), { 'content-type': 'image/png' });
    const res = await request(url, 'GET', `${PROXY}/artifacts/1/plots/loss.png`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47]));
    expect(res.headers).toMatchObject({
      'content-type': 'image/png',
      'content-length': '4',
      'content-disposition': 'attachment; filename=loss.png',
      'x-content-type-options': 'nosniff',
      'content-security-policy': "default-src 'none'; sandbox",
      'accept-ranges': 'bytes',
    });
    await request(url, 'PUT', `${PROXY}/artifacts/1/model/MLmodel`, 'flavors: {}\n');
    expect((await request(url, 'GET', `${PROXY}/artifacts/1/model/MLmodel`)).headers['content-type']).toBe('text/plain; charset=utf-8');
    await request(url, 'PUT', `${PROXY}/artifacts/1/model/model.pkl`, 'x');
    expect((await request(url, 'GET', `${PROXY}/artifacts/1/model/model.pkl`)).headers['content-type']).toBe('application/octet-stream');
  });

  it('names non-ASCII file names with RFC 5987 filename*', async () => {
    const { url } = await startTestServer({ artifacts: backend.setting() });
    const name = 'résumé (final).txt';
    const encoded = encodeURIComponent(name);
    expect((await request(url, 'PUT', `${PROXY}/artifacts/1/${encoded}`, 'cv')).status).toBe(200);
    const res = await request(url, 'GET', `${PROXY}/artifacts/1/${encoded}`);
    expect(res.body.toString()).toBe('cv');
    expect(res.headers['content-disposition']).toBe(`attachment; filename="r_sum_ (final).txt"; filename*=UTF-8''r%C3%A9sum%C3%A9%20%28final%29.txt`);
  });

  it('names every file so that a browser reads back its exact name, with a plain ASCII fallback', async () => {
    const { url } = await startTestServer({ artifacts: backend.setting() });
    for (const name of ['acc_95%.txt', 'top 5% [v2].png', '日本語 notes.md', "it's, a=b (1).txt", 'emoji 😀.bin']) {
      expect([name, (await request(url, 'PUT', `${PROXY}/artifacts/1/${encodeURIComponent(name)}`, 'x')).status]).toEqual([name, 200]);
      const header = (await request(url, 'GET', `${PROXY}/artifacts/1/${encodeURIComponent(name)}`)).headers['content-disposition']!;
      const { type, parameters } = parseContentDisposition(header);
      expect([name, type, parameters.filename]).toEqual([name, 'attachment', name]);
      // The plain filename a browser without RFC 8187 falls back to: printable ASCII, nothing to unescape.
      const fallback = parseContentDisposition(header, { extended: false }).parameters.filename;
      expect([name, fallback]).toEqual([name, expect.stringMatching(/^[\x20-\x7e]+$/)]);
      expect(fallback).not.toMatch(/["\\%]/);
    }
  });

  it('answers byte ranges with 206, suffix ranges too, and an unsatisfiable range with 416 JSON', async () => {
    const { url } = await startTestServer({ artifacts: backend.setting() });
    await request(url, 'PUT', `${PROXY}/artifacts/1/digits.txt`, '0123456789');
    const path = `${PROXY}/artifacts/1/digits.txt`;
    const middle = await request(url, 'GET', path, undefined, { range: 'bytes=2-5' });
    expect(middle.status).toBe(206);
    expect(middle.body.toString()).toBe('2345');
    expect(middle.headers).toMatchObject({ 'content-range': 'bytes 2-5/10', 'content-length': '4' });
    const open = await request(url, 'GET', path, undefined, { range: 'bytes=7-' });
    expect([open.status, open.body.toString(), open.headers['content-range']]).toEqual([206, '789', 'bytes 7-9/10']);
    const suffix = await request(url, 'GET', path, undefined, { range: 'bytes=-3' });
    expect([suffix.status, suffix.body.toString(), suffix.headers['content-range']]).toEqual([206, '789', 'bytes 7-9/10']);
    const past = await request(url, 'GET', path, undefined, { range: 'bytes=10-' });
    expect(past.status).toBe(416);
    expect(past.headers['content-range']).toBe('bytes */10');
    expect(past.json()).toEqual({ error_code: 'INVALID_PARAMETER_VALUE', message: "Range 'bytes=10-' is not within the 10 bytes of '1/digits.txt'" });
  });

  it('refuses a range that ends before it starts, or an empty suffix, with 416 and the size', async () => {
    const { url } = await startTestServer({ artifacts: backend.setting() });
    await request(url, 'PUT', `${PROXY}/artifacts/1/digits.txt`, '0123456789');
    for (const range of ['bytes=5-2', 'bytes=-0', 'bytes=10-12,5-2']) {
      const refused = await request(url, 'GET', `${PROXY}/artifacts/1/digits.txt`, undefined, { range });
      expect([range, refused.status, refused.headers['content-range']]).toEqual([range, 416, 'bytes */10']);
    }
  });

  it('merges ranges that overlap or touch into one 206 part', async () => {
    const { url } = await startTestServer({ artifacts: backend.setting() });
    await request(url, 'PUT', `${PROXY}/artifacts/1/digits.txt`, '0123456789');
    const merged = await request(url, 'GET', `${PROXY}/artifacts/1/digits.txt`, undefined, { range: 'bytes=4-5, 2-3,3-4' });
    expect([merged.status, merged.body.toString(), merged.headers['content-range'], merged.headers['content-length']]).toEqual([206, '2345', 'bytes 2-5/10', '4']);
  });

  it('answers the whole file with 200 for a range it does not serve as one part', async () => {
    const { url } = await startTestServer({ artifacts: backend.setting() });
    await request(url, 'PUT', `${PROXY}/artifacts/1/digits.txt`, '0123456789');
    // Separate ranges (no multipart/byteranges), another unit, malformed ones, and a suffix longer
    // than the file, which RFC 9110 reads as the whole file.
    for (const range of ['bytes=0-1,4-5', 'items=0-1', 'items=20-', 'bytes=abc', 'bytes=1-2-3', 'bytes=-20']) {
      const whole = await request(url, 'GET', `${PROXY}/artifacts/1/digits.txt`, undefined, { range });
      expect([range, whole.status, whole.body.toString(), whole.headers['content-range']]).toEqual([range, 200, '0123456789', undefined]);
    }
  });

  it('answers a missing file, or a folder, with 404 RESOURCE_DOES_NOT_EXIST', async () => {
    const { url } = await startTestServer({ artifacts: backend.setting() });
    const missing = await request(url, 'GET', `${PROXY}/artifacts/1/nothing.txt`);
    expect(missing.status).toBe(404);
    expect(missing.json()).toEqual({ error_code: 'RESOURCE_DOES_NOT_EXIST', message: "No artifact file at '1/nothing.txt'" });
    await request(url, 'PUT', `${PROXY}/artifacts/1/dir/f.txt`, 'x');
    const folder = await request(url, 'GET', `${PROXY}/artifacts/1/dir`);
    expect(folder.status).toBe(404);
    expect(folder.json()).toMatchObject({ error_code: 'RESOURCE_DOES_NOT_EXIST' });
  });

  it('lists immediate children by basename, is_dir always, file_size for files only', async () => {
    const { url } = await startTestServer({ artifacts: backend.setting() });
    await request(url, 'PUT', `${PROXY}/artifacts/1/r/artifacts/model/MLmodel`, 'abc');
    await request(url, 'PUT', `${PROXY}/artifacts/1/r/artifacts/model/sub/deep.txt`, 'x');
    await request(url, 'PUT', `${PROXY}/artifacts/1/r/artifacts/empty.txt`, '');
    const list = await request(url, 'GET', `${PROXY}/artifacts?path=${encodeURIComponent('1/r/artifacts/model')}`);
    expect(list.status).toBe(200);
    expect(list.json()).toEqual({ files: [{ path: 'MLmodel', is_dir: false, file_size: 3 }, { path: 'sub', is_dir: true }] });
    const parent = await request(url, 'GET', `${PROXY}/artifacts?path=1/r/artifacts`);
    expect(parent.json()).toEqual({ files: [{ path: 'empty.txt', is_dir: false, file_size: 0 }, { path: 'model', is_dir: true }] });
    expect((await request(url, 'GET', `${PROXY}/artifacts`)).json()).toEqual({ files: [{ path: '1', is_dir: true }] });
  });

  it('lists a file path or a missing folder as empty, which is how clients tell files from folders', async () => {
    const { url } = await startTestServer({ artifacts: backend.setting() });
    await request(url, 'PUT', `${PROXY}/artifacts/1/f.txt`, 'x');
    expect((await request(url, 'GET', `${PROXY}/artifacts?path=1/f.txt`)).json()).toEqual({ files: [] });
    expect((await request(url, 'GET', `${PROXY}/artifacts?path=1/nope`)).json()).toEqual({ files: [] });
  });

  it('refuses a listing path given twice', async () => {
    const { url } = await startTestServer({ artifacts: backend.setting() });
    const res = await request(url, 'GET', `${PROXY}/artifacts?path=1&path=2`);
    expect(res.status).toBe(400);
    expect(res.json()).toEqual({ error_code: 'INVALID_PARAMETER_VALUE', message: "Parameter 'path' is given 2 times; give it once" });
  });

  it('deletes a file or a folder tree, succeeds for a missing path and refuses the root', async () => {
    const { url, fd } = await startTestServer({ artifacts: backend.setting() });
    await request(url, 'PUT', `${PROXY}/artifacts/1/a/b/c.txt`, 'x');
    await request(url, 'PUT', `${PROXY}/artifacts/1/a/d.txt`, 'y');
    const file = await request(url, 'DELETE', `${PROXY}/artifacts/1/a/d.txt`);
    expect([file.status, file.json()]).toEqual([200, {}]);
    expect(await fd.artifacts.stat('1/a/d.txt')).toBeUndefined();
    expect((await request(url, 'DELETE', `${PROXY}/artifacts/1/a`)).status).toBe(200);
    expect(await fd.artifacts.stat('1/a')).toBeUndefined();
    expect(await fd.artifacts.du('')).toBe(0);
    const again = await request(url, 'DELETE', `${PROXY}/artifacts/1/a`);
    expect([again.status, again.json()]).toEqual([200, {}]);
    const root = await request(url, 'DELETE', `${PROXY}/artifacts/`);
    expect(root.status).toBe(400);
    expect(root.json()).toEqual({ error_code: 'INVALID_PARAMETER_VALUE', message: "Invalid path '': the artifact store root cannot be deleted" });
  });

  it('declines multipart upload with the 501 that makes clients fall back to one PUT', async () => {
    const { url } = await startTestServer({ artifacts: backend.setting() });
    for (const action of ['create', 'complete', 'abort']) {
      const res = await request(url, 'POST', `${PROXY}/mpu/${action}/1/r/artifacts`, JSON.stringify({ path: '/tmp/big.bin', num_parts: 3 }), {
        'content-type': 'application/json',
      });
      expect(res.status).toBe(501);
      expect(res.json()).toEqual(MULTIPART_501);
    }
  });

  it('serves every route under /ajax-api too', async () => {
    const { url } = await startTestServer({ artifacts: backend.setting() });
    const ajax = '/ajax-api/2.0/mlflow-artifacts';
    expect((await request(url, 'PUT', `${ajax}/artifacts/1/x.txt`, 'ajax')).status).toBe(200);
    expect((await request(url, 'GET', `${ajax}/artifacts/1/x.txt`)).body.toString()).toBe('ajax');
    expect((await request(url, 'GET', `${ajax}/artifacts?path=1`)).json()).toEqual({ files: [{ path: 'x.txt', is_dir: false, file_size: 4 }] });
    expect((await request(url, 'POST', `${ajax}/mpu/create/1`)).json()).toEqual(MULTIPART_501);
    expect((await request(url, 'DELETE', `${ajax}/artifacts/1/x.txt`)).status).toBe(200);
  });

  it("publishes artifact.added for a file landing in a run's artifacts, and nothing for other paths", async () => {
    const { url, fd, api } = await startTestServer({ artifacts: backend.setting() });
    const { run } = await api.call('runs.create', {});
    const events: FlowdeskEvent[] = [];
    fd.events.subscribe((e) => events.push(e));
    const runFolder = `0/${run.info.runId}`;
    await request(url, 'PUT', `${PROXY}/artifacts/${runFolder}/artifacts/d/f.txt`, 'x');
    await request(url, 'PUT', `${PROXY}/artifacts/0/models/m-1/artifacts/MLmodel`, 'x');
    // A run id the catalog does not know, or the right run under another experiment: no event.
    await request(url, 'PUT', `${PROXY}/artifacts/0/${'a'.repeat(32)}/artifacts/f.txt`, 'x');
    await request(url, 'PUT', `${PROXY}/artifacts/7/${run.info.runId}/artifacts/f.txt`, 'x');
    expect(events).toEqual([{ type: 'artifact.added', experimentId: '0', runId: run.info.runId, path: 'd/f.txt' }]);
  });
});

describe.each(artifactBackends())('the UI artifact helpers ($name)', (backend) => {
  it("get-artifact serves a run's file by run-relative path with the download headers", async () => {
    const { url, api } = await startTestServer({ artifacts: backend.setting() });
    const { run } = await api.call('runs.create', {});
    const runId = run.info.runId;
    await request(url, 'PUT', `${PROXY}/artifacts/0/${runId}/artifacts/eval/report.html`, '<h1>hi</h1>');
    for (const key of ['run_id', 'run_uuid']) {
      const res = await request(url, 'GET', `/get-artifact?${key}=${runId}&path=eval/report.html`);
      expect(res.status).toBe(200);
      expect(res.body.toString()).toBe('<h1>hi</h1>');
      expect(res.headers).toMatchObject({
        'content-type': 'text/html; charset=utf-8',
        'content-disposition': 'attachment; filename=report.html',
        'x-content-type-options': 'nosniff',
        'content-security-policy': "default-src 'none'; sandbox",
      });
    }
  });

  it('get-artifact answers a missing run or file with 404 and missing parameters with 400', async () => {
    const { url, api } = await startTestServer({ artifacts: backend.setting() });
    const { run } = await api.call('runs.create', {});
    const noRun = await request(url, 'GET', `/get-artifact?run_id=${'0'.repeat(32)}&path=f.txt`);
    expect(noRun.status).toBe(404);
    expect(noRun.json()).toMatchObject({ error_code: 'RESOURCE_DOES_NOT_EXIST' });
    const noFile = await request(url, 'GET', `/get-artifact?run_id=${run.info.runId}&path=f.txt`);
    expect(noFile.status).toBe(404);
    expect(noFile.json()).toEqual({ error_code: 'RESOURCE_DOES_NOT_EXIST', message: `No artifact file at '0/${run.info.runId}/artifacts/f.txt'` });
    const noPath = await request(url, 'GET', `/get-artifact?run_id=${run.info.runId}`);
    expect(noPath.status).toBe(400);
    expect(noPath.json()).toEqual({ error_code: 'INVALID_PARAMETER_VALUE', message: "Missing value for required parameter 'path'." });
    const noId = await request(url, 'GET', `/get-artifact?path=f.txt`);
    expect(noId.json()).toEqual({ error_code: 'INVALID_PARAMETER_VALUE', message: "Missing value for required parameter 'run_id'." });
  });

  it("upload-artifact writes a raw body into the run's artifacts and publishes artifact.added", async () => {
    const { url, fd, api } = await startTestServer({ artifacts: backend.setting() });
    const { run } = await api.call('runs.create', {});
    const events: FlowdeskEvent[] = [];
    fd.events.subscribe((e) => events.push(e));
    const body = randomBytes(5000);
    const res = await request(url, 'POST', `/ajax-api/2.0/mlflow/upload-artifact?run_uuid=${run.info.runId}&path=${encodeURIComponent('notes/a b.bin')}`, body, {
      'content-type': 'application/octet-stream',
    });
    expect([res.status, res.json()]).toEqual([200, {}]);
    expect((await stored(fd, `0/${run.info.runId}/artifacts/notes/a b.bin`)).equals(body)).toBe(true);
    expect(events).toEqual([{ type: 'artifact.added', experimentId: '0', runId: run.info.runId, path: 'notes/a b.bin' }]);
  });

  it('upload-artifact refuses bodies over 10 MB, announced or chunked, and writes nothing', async () => {
    const { url, api, fd } = await startTestServer({ artifacts: backend.setting() });
    const { run } = await api.call('runs.create', {});
    const path = `/ajax-api/2.0/mlflow/upload-artifact?run_uuid=${run.info.runId}&path=big.bin`;
    const announced = await request(url, 'POST', path, Buffer.alloc(10 * 1024 * 1024 + 1));
    expect(announced.status).toBe(413);
    expect(announced.json()).toMatchObject({ error_code: 'REQUEST_LIMIT_EXCEEDED' });
    const chunked = await new Promise<RawResponse>((resolve, reject) => {
      const { hostname, port } = new URL(url);
      const req = http.request({ host: hostname, port, method: 'POST', path, headers: { 'transfer-encoding': 'chunked' } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks), json: () => JSON.parse(Buffer.concat(chunks).toString()) }));
      });
      req.on('error', reject);
      for (let i = 0; i < 11; i++) req.write(Buffer.alloc(1024 * 1024));
      req.end();
    });
    expect(chunked.status).toBe(413);
    expect(await fd.artifacts.du('')).toBe(0);
  });

  it('upload-artifact answers an unknown run with 404', async () => {
    const { url } = await startTestServer({ artifacts: backend.setting() });
    const res = await request(url, 'POST', `/ajax-api/2.0/mlflow/upload-artifact?run_uuid=${'0'.repeat(32)}&path=f.txt`, 'x');
    expect(res.status).toBe(404);
    expect(res.json()).toMatchObject({ error_code: 'RESOURCE_DOES_NOT_EXIST' });
  });
});

describe.each(artifactBackends())('MLflow client sequences over the proxy ($name)', (backend) => {
  it('8.4: a run gets a hostless mlflow-artifacts URI and log_artifact lands under it', async () => {
    const { url, api } = await startTestServer({ artifacts: backend.setting() });
    const { experimentId } = await api.call('experiments.create', { name: 'e' });
    const { run } = await api.call('runs.create', { experimentId });
    expect(run.info.artifactUri).toBe(`mlflow-artifacts:/${experimentId}/${run.info.runId}/artifacts`);
    // The client maps mlflow-artifacts:/<p> to <tracking uri>/api/2.0/mlflow-artifacts/artifacts/<p>.
    const base = `${PROXY}/artifacts/${run.info.artifactUri.slice('mlflow-artifacts:/'.length)}`;
    expect((await request(url, 'PUT', `${base}/d/f.txt`, 'logged', { 'content-type': 'text/plain' })).status).toBe(200);
    expect((await request(url, 'PUT', `${base}/a/b.json`, '{\n  "k": 1\n}', { 'content-type': 'application/json' })).status).toBe(200);
    const listed = await api.call('artifacts.list', { runId: run.info.runId });
    expect(listed.files).toEqual([
      { path: 'a', isDir: true },
      { path: 'd', isDir: true },
    ]);
  });

  it('8.11: a recursive client download gets every file byte-identical', async () => {
    const { url } = await startTestServer({ artifacts: backend.setting() });
    const root = '1/0123456789abcdef0123456789abcdef/artifacts/model';
    const files: Record<string, Buffer> = {
      MLmodel: Buffer.from('artifact_path: model\nflavors:\n  python_function: {}\n'),
      'model.pkl': randomBytes(300_000),
      'conda.yaml': Buffer.from('dependencies: []\n'),
      'requirements.txt': Buffer.from('scikit-learn==1.5\n'),
      'code/util.py': Buffer.from('def f():\n    return 1\n'),
      'code/nested/data.bin': randomBytes(1234),
      'metadata/empty': Buffer.alloc(0),
    };
    for (const [path, body] of Object.entries(files)) {
      expect((await request(url, 'PUT', `${PROXY}/artifacts/${root}/${path}`, body)).status).toBe(200);
    }

    // What the client does: list the root (non-empty means a folder), recurse, GET each file.
    const downloaded: Record<string, string> = {};
    const walk = async (dir: string): Promise<void> => {
      const { files: entries } = (await request(url, 'GET', `${PROXY}/artifacts?path=${encodeURIComponent(`${root}${dir && `/${dir}`}`)}`)).json() as {
        files: { path: string; is_dir: boolean; file_size?: number }[];
      };
      for (const entry of entries) {
        const rel = dir ? `${dir}/${entry.path}` : entry.path;
        if (entry.is_dir) {
          await walk(rel);
          continue;
        }
        const res = await request(url, 'GET', `${PROXY}/artifacts/${root}/${rel}`);
        expect(res.status).toBe(200);
        expect(Number(res.headers['content-length'])).toBe(entry.file_size);
        downloaded[rel] = sha256(res.body);
      }
    };
    await walk('');
    expect(downloaded).toEqual(Object.fromEntries(Object.entries(files).map(([path, body]) => [path, sha256(body)])));
  });
});
