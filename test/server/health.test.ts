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
    expect(await health(url)).toEqual({ status: 200, body: { status: 'OK', checks: [{ name: 'artifacts', ok: true }] } });
  });
});

describe('GET /health when the artifact store is unusable', () => {
  it('answers 503 naming the check when the artifact folder is gone', async () => {
    const { url, dataDir } = await startTestServer();
    rmSync(join(dataDir, 'artifacts'), { recursive: true });
    expect(await health(url)).toEqual({
      status: 503,
      body: { status: 'UNHEALTHY', checks: [{ name: 'artifacts', ok: false, error: `The artifact folder ${join(dataDir, 'artifacts')} does not exist` }] },
    });
  });

  it('answers 503 when the S3 bucket does not exist, or the endpoint does not answer', async () => {
    const bucket = `no-such-bucket-${Date.now()}`;
    const saved = process.env.AWS_ENDPOINT_URL;
    if (!S3_TEST_URL) process.env.AWS_ENDPOINT_URL = 'http://127.0.0.1:1';
    try {
      const { url } = await startTestServer({ artifacts: `s3://${bucket}/p` });
      const { status, body } = await health(url);
      expect(status).toBe(503);
      const reason = S3_TEST_URL ? /bucket .* does not exist/ : /unreachable \(ECONNREFUSED\)/;
      expect(body).toMatchObject({ status: 'UNHEALTHY', checks: [{ name: 'artifacts', ok: false, error: expect.stringMatching(reason) }] });
    } finally {
      if (saved === undefined) delete process.env.AWS_ENDPOINT_URL;
      else process.env.AWS_ENDPOINT_URL = saved;
    }
  });
});
