import { mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HOSTILE_URL_PATHS } from '../artifacts/hostile-paths.ts';
import { snapshotTree } from '../artifacts/snapshot-tree.ts';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { parseS3Url } from '#core/artifacts/s3-artifact-store.ts';
import type { Flowdesk } from '#core/flowdesk.ts';
import { artifactBackends, listKeys, testS3Client, type ArtifactBackend } from '../helpers/s3.ts';
import { startTestServer } from '../helpers/server.ts';

/**
 * Traversal and smuggling forms as a client would put them on the wire: literal, percent-encoded
 * once and twice, with backslashes, absolute and drive paths, NUL, and the URL delimiters '#', '?'
 * and ';' encoded. `{abs}` is the canary's absolute path without its leading slash.
 */
const WIRE_FORMS = [
  '..',
  '../canary/secret.txt',
  'ok/../../canary/secret.txt',
  '%2e%2e/canary/secret.txt',
  '%2E%2E/canary/secret.txt',
  '%252e%252e/canary/secret.txt',
  '%252e%252e%252fcanary%252fsecret.txt',
  '..%2fcanary%2fsecret.txt',
  '..%2Fcanary%2Fsecret.txt',
  '%2e%2e%5ccanary%5csecret.txt',
  '..%5ccanary%5csecret.txt',
  '..\\canary\\secret.txt',
  '/{abs}/secret.txt',
  '%2f{abs}%2fsecret.txt',
  'C:/canary/secret.txt',
  'C:%5ccanary',
  'c%3a%5ccanary',
  'secret.txt%00.png',
  '%00',
  'a%23b',
  '..%23/canary/secret.txt',
  'a%3fb',
  '..%3f/canary/secret.txt',
  'a;b',
  '..;/canary/secret.txt',
];

/** Every form once: the wire forms above and the store's own catalogue of hostile paths. */
const FORMS = [...new Set([...WIRE_FORMS, ...HOSTILE_URL_PATHS])];

/** UTF-8 bytes of one code unit or code point, lone surrogates included (as WTF-8, which is what a hostile client would send). */
function utf8(ch: string): number[] {
  const code = ch.codePointAt(0)!;
  if (code >= 0xd800 && code <= 0xdfff) return [0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f)];
  return [...Buffer.from(ch, 'utf8')];
}

const percent = (ch: string) =>
  utf8(ch)
    .map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`)
    .join('');

/**
 * A form as raw URL path text: what node:http refuses to send (space, controls, non-ASCII) is
 * percent-encoded, and so is a literal '?', which would start the query string; everything else,
 * '%' escapes and backslashes included, goes on the wire as written.
 */
function inPath(form: string): string {
  return [...form].map((ch) => (/[\u0021-\u007e]/.test(ch) && ch !== '?' ? ch : percent(ch))).join('');
}

/** A form as a raw query value: also '&', '#' and '+' encoded, so the server's one decoding yields the form. */
function inQuery(form: string): string {
  return [...form].map((ch) => (/[\u0021-\u007e]/.test(ch) && !'?&#+'.includes(ch) ? ch : percent(ch))).join('');
}

function send(baseUrl: string, method: string, path: string, body?: string): Promise<{ status: number; type: string | undefined; text: string }> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: hostname, port, method, path, headers: { 'content-type': 'application/octet-stream' } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode!, type: res.headers['content-type'], text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

type Route = (form: string, ids: { runId: string; modelId: string }) => [method: string, path: string, body?: string];

/** Every route that takes an artifact path, with the form placed where that route reads its path. */
const ROUTES: Record<string, Route> = {
  'PUT /artifacts/<path>': (f) => ['PUT', `/api/2.0/mlflow-artifacts/artifacts/${inPath(f)}`, 'pwned'],
  'PUT /ajax-api/.../artifacts/<path>': (f) => ['PUT', `/ajax-api/2.0/mlflow-artifacts/artifacts/${inPath(f)}`, 'pwned'],
  'GET /artifacts/<path>': (f) => ['GET', `/api/2.0/mlflow-artifacts/artifacts/${inPath(f)}`],
  'GET /artifacts?path=': (f) => ['GET', `/api/2.0/mlflow-artifacts/artifacts?path=${inQuery(f)}`],
  'DELETE /artifacts/<path>': (f) => ['DELETE', `/api/2.0/mlflow-artifacts/artifacts/${inPath(f)}`],
  'POST /mpu/create/<path>': (f) => ['POST', `/api/2.0/mlflow-artifacts/mpu/create/${inPath(f)}`, '{}'],
  'GET /get-artifact': (f, { runId }) => ['GET', `/get-artifact?run_id=${runId}&path=${inQuery(f)}`],
  'POST /upload-artifact': (f, { runId }) => ['POST', `/ajax-api/2.0/mlflow/upload-artifact?run_uuid=${runId}&path=${inQuery(f)}`, 'pwned'],
  'GET /logged-models/<id>/artifacts/files': (f, { modelId }) => [
    'GET',
    `/ajax-api/2.0/mlflow/logged-models/${modelId}/artifacts/files?artifact_file_path=${inQuery(f)}`,
  ],
  'GET /logged-models/<id>/artifacts/directories': (f, { modelId }) => [
    'GET',
    `/api/2.0/mlflow/logged-models/${modelId}/artifacts/directories?artifact_directory_path=${inQuery(f)}`,
  ],
};

/**
 * Canary files beside the store's root, where '../canary' from the root would land, and one file
 * inside; `snapshot` captures both. On S3 the canaries are objects next to the store's prefix.
 */
async function plantCanaries(backend: ArtifactBackend, setting: string | undefined, dataDir: string, fd: Flowdesk) {
  await fd.artifacts.write('inside.txt', Buffer.from('store content'));
  if (backend.name === 's3') {
    const { bucket, prefix } = parseS3Url(setting!);
    const base = prefix.replace(/\/store$/, '');
    const client = testS3Client();
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: `${base}/canary/secret.txt`, Body: 'canary secret' }));
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: `${base}/canary/sub/x.bin`, Body: Buffer.from([0, 1, 2]) }));
    return { abs: `${base}/canary`, snapshot: () => listKeys(bucket, `${base}/`) };
  }
  const canary = join(dataDir, 'canary');
  mkdirSync(join(canary, 'sub'), { recursive: true });
  writeFileSync(join(canary, 'secret.txt'), 'canary secret');
  writeFileSync(join(canary, 'sub', 'x.bin'), Buffer.from([0, 1, 2]));
  const store = join(dataDir, 'artifacts');
  return { abs: canary.replace(/^\/+/, ''), snapshot: async () => ({ canary: snapshotTree(canary), store: snapshotTree(store) }) };
}

describe.each(artifactBackends())('hostile artifact paths ($name)', (backend) => {
  it.each(Object.entries(ROUTES))('are refused with 400 JSON by %s, and nothing outside or inside the store changes', async (_name, route) => {
    const setting = backend.setting();
    const { url, dataDir, api, fd } = await startTestServer({ artifacts: setting });
    const { run } = await api.call('runs.create', {});
    const { model } = await api.call('loggedModels.create', { experimentId: '0' });
    const ids = { runId: run.info.runId, modelId: model.info.modelId };
    const { abs, snapshot } = await plantCanaries(backend, setting, dataDir, fd);
    const before = await snapshot();

    const failures: string[] = [];
    for (const form of FORMS.map((f) => f.replaceAll('{abs}', abs))) {
      const [method, path, body] = route(form, ids);
      const res = await send(url, method, path, body);
      let code: unknown;
      try {
        code = (JSON.parse(res.text) as { error_code?: unknown }).error_code;
      } catch {
        code = undefined;
      }
      // Malformed escapes in the URL path never reach a route: the router refuses the URL (BAD_REQUEST).
      if (res.status !== 400 || !res.type?.startsWith('application/json') || (code !== 'INVALID_PARAMETER_VALUE' && code !== 'BAD_REQUEST')) {
        failures.push(`${JSON.stringify(form)} -> ${res.status} ${res.text.slice(0, 120)}`);
      }
    }
    expect(failures).toEqual([]);
    expect(await snapshot()).toEqual(before);
  });
});
