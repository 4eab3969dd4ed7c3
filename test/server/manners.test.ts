import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { startTestServer } from '../helpers/server.ts';

interface RawResponse {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

/** A raw HTTP request, so Host, Origin and bodies are exactly what the test says. */
function raw(url: string, options: { method?: string; path: string; headers?: Record<string, string>; body?: string | Buffer | AsyncIterable<Buffer> }): Promise<RawResponse> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    let responded = false;
    const req = request({ hostname, port, method: options.method ?? 'GET', path: options.path, headers: options.headers, setHost: !options.headers?.host }, (res) => {
      responded = true;
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    // A server that refuses a body answers and closes; writing the rest then fails with EPIPE.
    req.on('error', (err) => {
      if (!responded) setTimeout(() => (responded ? undefined : reject(err)), 2000);
    });
    const body = options.body;
    if (body === undefined) req.end();
    else if (typeof body === 'string' || Buffer.isBuffer(body)) req.end(body);
    else
      (async () => {
        try {
          for await (const chunk of body) {
            // Like a real client, stop sending once the server has answered; yielding between
            // chunks lets an early answer (413) be read before the server closes the socket.
            if (responded) return;
            if (!req.write(chunk)) await new Promise((r) => req.once('drain', r));
            await new Promise((r) => setImmediate(r));
          }
          req.end();
        } catch {
          // the server may close the connection once it has refused the body
        }
      })();
  });
}

const json = { 'content-type': 'application/json' };
const createPath = '/api/2.0/mlflow/experiments/create';

async function experimentCount(api: Awaited<ReturnType<typeof startTestServer>>['api']) {
  return (await api.call('experiments.search', { viewType: 'ALL' })).experiments.length;
}

describe('the server refuses what a web page or a stranger could send', () => {
  it.each(['evil.example', 'evil.example:5000', '127.0.0.1.evil.example', 'localhost.evil.example'])('refuses Host %s with 403', async (host) => {
    const { url, api } = await startTestServer();
    const response = await raw(url, { method: 'POST', path: createPath, headers: { ...json, host }, body: '{"name":"x"}' });
    expect(response.status).toBe(403);
    expect(JSON.parse(response.body)).toMatchObject({ error_code: 'PERMISSION_DENIED' });
    expect(await experimentCount(api)).toBe(1);
  });

  it.each(['127.0.0.1', 'localhost', '[::1]'])('accepts the loopback Host %s on any port', async (name) => {
    const { url } = await startTestServer();
    const response = await raw(url, { path: '/health', headers: { host: `${name}:1234` } });
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body)).toMatchObject({ status: 'OK' });
  });

  it.each(['https://evil.example', 'http://localhost:3000', 'null'])('refuses Origin %s with 403 and writes nothing', async (origin) => {
    const { url, api } = await startTestServer();
    const response = await raw(url, { method: 'POST', path: createPath, headers: { ...json, origin }, body: '{"name":"x"}' });
    expect(response.status).toBe(403);
    expect(await experimentCount(api)).toBe(1);
  });

  it('accepts a request whose Origin is the server itself', async () => {
    const { url } = await startTestServer();
    const response = await raw(url, { method: 'POST', path: createPath, headers: { ...json, origin: url }, body: '{"name":"same-origin"}' });
    expect(response.status).toBe(200);
  });

  it.each(['cross-site', 'same-site'])('refuses Sec-Fetch-Site %s', async (site) => {
    const { url, api } = await startTestServer();
    const response = await raw(url, { method: 'POST', path: createPath, headers: { ...json, 'sec-fetch-site': site }, body: '{"name":"x"}' });
    expect(response.status).toBe(403);
    expect(await experimentCount(api)).toBe(1);
  });

  it('refuses CORS preflights', async () => {
    const { url } = await startTestServer();
    const response = await raw(url, { method: 'OPTIONS', path: createPath, headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
    expect(response.status).toBe(403);
    expect(response.headers['access-control-allow-origin']).toBeUndefined();
  });

  it.each(['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x'])('refuses a %s POST with 4xx and writes nothing', async (type) => {
    const { url, api } = await startTestServer();
    const response = await raw(url, { method: 'POST', path: createPath, headers: { 'content-type': type }, body: '{"name":"sneaky"}' });
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
    expect(JSON.parse(response.body)).toHaveProperty('error_code');
    expect(await experimentCount(api)).toBe(1);
  });

  it('answers malformed JSON with 400 and a clear message', async () => {
    const { url } = await startTestServer();
    const response = await raw(url, { method: 'POST', path: createPath, headers: json, body: '{"name": "x",' });
    expect(response.status).toBe(400);
    expect(JSON.parse(response.body).message).toMatch(/Malformed JSON/);
  });

  it('refuses deeply nested JSON', async () => {
    const { url, api } = await startTestServer();
    const body = `{"name":"deep","tags":${'['.repeat(5000)}${']'.repeat(5000)}}`;
    const response = await raw(url, { method: 'POST', path: createPath, headers: json, body });
    expect(response.status).toBe(400);
    expect(await experimentCount(api)).toBe(1);
  });

  it('ignores __proto__ keys instead of letting them reach objects', async () => {
    const { url } = await startTestServer();
    const response = await raw(url, { method: 'POST', path: createPath, headers: json, body: '{"name":"proto","__proto__":{"polluted":true}}' });
    expect(response.status).toBe(200);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('refuses a 200 MB JSON body with 413 without the process memory growing by it', async () => {
    const { url, api } = await startTestServer();
    const size = 200 * 1024 * 1024;
    const chunk = Buffer.alloc(1024 * 1024, 0x20);
    async function* body() {
      yield Buffer.from('{"name":"');
      for (let sent = 0; sent < size; sent += chunk.length) yield chunk;
      yield Buffer.from('"}');
    }
    const before = process.memoryUsage().rss;
    const declared = await raw(url, { method: 'POST', path: createPath, headers: { ...json, 'content-length': String(size + 11) }, body: body() });
    const chunked = await raw(url, { method: 'POST', path: createPath, headers: { ...json, 'transfer-encoding': 'chunked' }, body: body() });
    const growth = process.memoryUsage().rss - before;
    expect(declared.status).toBe(413);
    expect(chunked.status).toBe(413);
    expect(JSON.parse(chunked.body)).toMatchObject({ error_code: 'REQUEST_LIMIT_EXCEEDED' });
    expect(growth).toBeLessThan(100 * 1024 * 1024);
    expect(await experimentCount(api)).toBe(1);
  });

  it('refuses oversized headers', async () => {
    const { url, api } = await startTestServer();
    const response = await raw(url, { method: 'POST', path: createPath, headers: { ...json, 'x-padding': 'a'.repeat(64 * 1024) }, body: '{"name":"x"}' });
    expect(response.status).toBe(431);
    expect(await experimentCount(api)).toBe(1);
  });

  it('requires the token when one is set, as Bearer or Basic password', async () => {
    const { url } = await startTestServer({ token: 's3cret' });
    expect((await raw(url, { path: '/version' })).status).toBe(401);
    expect((await raw(url, { path: '/version', headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    expect((await raw(url, { path: '/version', headers: { authorization: 'Bearer s3cret' } })).status).toBe(200);
    const basic = Buffer.from('user:s3cret').toString('base64');
    expect((await raw(url, { path: '/version', headers: { authorization: `Basic ${basic}` } })).status).toBe(200);
    // A load balancer's probe carries no token; the health answer reveals nothing.
    expect((await raw(url, { path: '/health' })).status).toBe(200);
  });

  it('answers unknown routes, including MLflow routes not built (webhooks), with MLflow JSON 404', async () => {
    const { url } = await startTestServer();
    for (const path of ['/api/2.0/mlflow/webhooks', '/api/2.0/mlflow/nope', '/api/3.0/mlflow/server-info']) {
      const response = await raw(url, { path });
      expect(response.status).toBe(404);
      expect(JSON.parse(response.body)).toMatchObject({ error_code: 'ENDPOINT_NOT_FOUND' });
    }
  });

  it('serves /version as plain text', async () => {
    const { url } = await startTestServer();
    expect(await raw(url, { path: '/version' })).toMatchObject({ status: 200, body: 'test' });
  });
});
