/**
 * Names that break other systems: every way of writing an artifact over HTTP refuses a name
 * Windows or macOS cannot hold with a 400 naming the segment, while files already on disk under
 * such names (written before the rule) can still be listed, read and deleted.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { artifactBackends } from '../helpers/s3.ts';
import { startTestServer } from '../helpers/server.ts';

/** One request through node:http, so the path is sent exactly as given. */
function request(baseUrl: string, method: string, path: string, body?: string): Promise<{ status: number; json: Record<string, string>; headers: http.IncomingHttpHeaders }> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: hostname, port, method, path }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, json: text.startsWith('{') ? (JSON.parse(text) as Record<string, string>) : {} }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const NAMES: [string, string][] = [
  ['CON', 'CON'],
  ['aux.json', 'aux.json'],
  ['sub/nul.txt', 'nul.txt'],
  ['COM1', 'COM1'],
  ['lpt9.log', 'lpt9.log'],
  ['x/a%3Ab.txt', 'a:b.txt'],
  ['%3Cx%3E', '<x>'],
  ['q%7C.txt', 'q|.txt'],
  ['star*', 'star*'],
  ['dot./f', 'dot.'],
  ['space%20', 'space '],
  ['CONOUT$', 'CONOUT$'],
  ['conin$.txt', 'conin$.txt'],
];

describe.each(artifactBackends())('artifact names ($name)', (backend) => {
  it.each(NAMES)('the proxy PUT, the upload helper and multipart uploads refuse %j with a 400 naming %j', async (path, segment) => {
    const { url, api, fd } = await startTestServer({ artifacts: backend.setting() });
    const { run } = await api.call('runs.create', {});
    const put = await request(url, 'PUT', `/api/2.0/mlflow-artifacts/artifacts/0/${run.info.runId}/artifacts/${path}`, 'x');
    const helper = await request(url, 'POST', `/ajax-api/2.0/mlflow/upload-artifact?run_uuid=${run.info.runId}&path=${path}`, 'x');
    const multipart = await request(url, 'POST', `/api/2.0/mlflow-artifacts/mpu/create/0/${run.info.runId}/artifacts/${path}`, '{}');
    for (const res of [put, helper, multipart]) {
      expect(res.status).toBe(400);
      expect(res.json.error_code).toBe('INVALID_PARAMETER_VALUE');
      expect(res.json.message).toContain(`segment '${segment}'`);
    }
    expect(await fd.artifacts.du('')).toBe(0);
  });
});

describe('files written under such names before the rule', () => {
  it('are still listed, read and deleted through the proxy', async () => {
    const { url, dataDir } = await startTestServer();
    const folder = join(dataDir, 'artifacts', '0', 'r', 'artifacts');
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, 'CON'), 'device?');
    writeFileSync(join(folder, 'a:b.txt'), 'colon');
    writeFileSync(join(folder, 'say "hi".txt'), 'quoted');
    const proxy = '/api/2.0/mlflow-artifacts/artifacts';
    const listing = await request(url, 'GET', `${proxy}?path=0/r/artifacts`);
    expect(listing.json.files).toEqual([
      { path: 'CON', is_dir: false, file_size: 7 },
      { path: 'a:b.txt', is_dir: false, file_size: 5 },
      { path: 'say "hi".txt', is_dir: false, file_size: 6 },
    ]);
    // A quote cannot close the header's quoted file name: it is replaced there, and exact in filename*.
    const quoted = await request(url, 'GET', `${proxy}/0/r/artifacts/say%20%22hi%22.txt`);
    expect(quoted.headers['content-disposition']).toBe(`attachment; filename="say _hi_.txt"; filename*=UTF-8''say%20%22hi%22.txt`);
    expect((await request(url, 'GET', `${proxy}/0/r/artifacts/CON`)).status).toBe(200);
    expect((await request(url, 'GET', `${proxy}/0/r/artifacts/a%3Ab.txt`)).status).toBe(200);
    expect((await request(url, 'DELETE', `${proxy}/0/r/artifacts/a%3Ab.txt`)).status).toBe(200);
    expect((await request(url, 'GET', `${proxy}/0/r/artifacts/a%3Ab.txt`)).status).toBe(404);
  });
});
