import { describe, expect, it } from 'vitest';
import { startTestServer } from '../helpers/server.ts';

describe('/health', () => {
  it('answers 200 with every named check passing while the catalog answers', async () => {
    const { url } = await startTestServer();
    const response = await fetch(`${url}/health`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { status: string; version: string; checks: { name: string; ok: boolean; ms: number }[] };
    expect(body).toMatchObject({ status: 'ok', version: 'test' });
    expect(body.checks).toEqual([{ name: 'catalog', ok: true, ms: expect.any(Number) }]);
  });

  it('answers 503 naming the failed check once the catalog cannot answer', async () => {
    const { url, fd } = await startTestServer();
    await fd.catalog.close();
    const response = await fetch(`${url}/health`);
    expect(response.status).toBe(503);
    const body = (await response.json()) as { status: string; checks: { name: string; ok: boolean; error?: string }[] };
    expect(body.status).toBe('unhealthy');
    expect(body.checks).toEqual([{ name: 'catalog', ok: false, ms: expect.any(Number), error: expect.any(String) }]);
  });
});
