import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { artifactBackends, S3_TEST_URL } from '../helpers/s3.ts';
import { startTestServer } from '../helpers/server.ts';

async function health(url: string) {
  const response = await fetch(`${url}/health`);
  return { status: response.status, body: (await response.json()) as unknown };
}

describe.each(artifactBackends())('GET /health ($name)', (backend) => {
  it('answers 200 with every named check passing', async () => {
    const { url } = await startTestServer({ artifacts: backend.setting() });
    expect(await health(url)).toEqual({ status: 200, body: { status: 'OK', checks: [{ name: 'catalog', ok: true }, { name: 'artifacts', ok: true }] } });
  });
});

describe('GET /health when the artifact store is unusable', () => {
  it('answers 503 naming the check when the artifact folder is gone', async () => {
    const { url, dataDir } = await startTestServer();
    rmSync(join(dataDir, 'artifacts'), { recursive: true });
    expect(await health(url)).toEqual({
      status: 503,
      body: { status: 'UNHEALTHY', checks: [{ name: 'catalog', ok: true }, { name: 'artifacts', ok: false, error: `The artifact folder ${join(dataDir, 'artifacts')} does not exist` }] },
    });
  });

  it('answers 503 when the S3 bucket does not exist, or the endpoint does not answer', async () => {
    const bucket = `no-such-bucket-${Date.now()}`;
    // Without a test S3 server, an endpoint where nothing listens stands in for one that is down.
    const standIn = { AWS_ENDPOINT_URL: 'http://127.0.0.1:1', AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'y' };
    const saved = Object.fromEntries(Object.keys(standIn).map((k) => [k, process.env[k]]));
    if (!S3_TEST_URL) Object.assign(process.env, standIn);
    try {
      const { url } = await startTestServer({ artifacts: `s3://${bucket}/p` });
      const { status, body } = await health(url);
      expect(status).toBe(503);
      const reason = S3_TEST_URL ? /bucket .* does not exist/ : /unreachable \(ECONNREFUSED\)/;
      expect(body).toMatchObject({ status: 'UNHEALTHY', checks: [{ name: 'catalog', ok: true }, { name: 'artifacts', ok: false, error: expect.stringMatching(reason) }] });
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });

  it('answers 503 saying so when the S3 store has no credentials', async () => {
    const names = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_PROFILE', 'AWS_SESSION_TOKEN', 'AWS_CONFIG_FILE', 'AWS_SHARED_CREDENTIALS_FILE', 'AWS_ENDPOINT_URL'];
    const saved = Object.fromEntries(names.map((k) => [k, process.env[k]]));
    for (const k of names) delete process.env[k];
    // Empty config files, and an endpoint where nothing listens, so no credential source on this machine answers.
    process.env.AWS_CONFIG_FILE = process.env.AWS_SHARED_CREDENTIALS_FILE = '/dev/null';
    process.env.AWS_ENDPOINT_URL = 'http://127.0.0.1:1';
    try {
      const { url } = await startTestServer({ artifacts: 's3://some-bucket/p' });
      const { status, body } = await health(url);
      expect(status).toBe(503);
      expect(body).toMatchObject({ checks: [{ name: 'catalog', ok: true }, { name: 'artifacts', ok: false, error: expect.stringMatching(/no credentials .* AWS_PROFILE/) }] });
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });
});

describe('GET /health when the catalog cannot answer', () => {
  it('answers 503 naming the catalog check', async () => {
    const { url, fd } = await startTestServer();
    await fd.catalog.close();
    const { status, body } = await health(url);
    expect(status).toBe(503);
    expect(body).toMatchObject({ status: 'UNHEALTHY', checks: [{ name: 'catalog', ok: false, error: expect.any(String) }, { name: 'artifacts', ok: true }] });
  });
});
