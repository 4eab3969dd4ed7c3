/**
 * Bodies over a limit, on every route the server has, and on each kind of route sent every way a
 * client (or an attacker) can send them: each gets its answer, and the server keeps serving. Slow
 * and idle connections, and bodies trickling below the minimum rate, are cut, while uploads and
 * event streams that keep going are not. Every response carries nosniff and its CSP. Raw sockets,
 * so the test controls the chunking and can stop or vanish mid-request.
 */
import http from 'node:http';
import net from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { describe, expect, it, onTestFinished } from 'vitest';
import { serverRoutes } from '#core/server/server.ts';
import { UI_CSP } from '#core/server/ui-routes.ts';
import { startTestServer } from '../helpers/server.ts';

const MiB = 1024 * 1024;

/** How a test client sends a body. */
type Mode = 'announced' | 'chunked' | 'aborted' | 'stalled';

interface RawResult {
  /** The status line's code, or 0 when the connection ended without an answer. */
  status: number;
  /** Whether the server closed the connection (rather than the client). */
  closedByServer: boolean;
}

/**
 * Sends `head` and a body of `bytes` bytes on a fresh socket. `announced` and `chunked` send the
 * whole body then read the answer; `aborted` sends half and destroys the socket; `stalled` sends
 * past the limit, then keeps the connection open sending nothing, until the server closes it.
 */
function send(port: number, request: string, headers: Record<string, string>, bytes: number, mode: Mode): Promise<RawResult> {
  const chunked = mode === 'chunked' || mode === 'stalled';
  // A stalled client announces more than it sends and stops: only the server can end it.
  const head = `${request} HTTP/1.1\r\nHost: 127.0.0.1\r\n${Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('')}${chunked ? 'Transfer-Encoding: chunked\r\n' : `Content-Length: ${bytes}\r\n`}\r\n`;
  const piece = Buffer.alloc(MiB, 0x20);
  const frame = (data: Buffer) => (chunked ? Buffer.concat([Buffer.from(`${data.length.toString(16)}\r\n`), data, Buffer.from('\r\n')]) : data);
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let answer = '';
    let clientClosing = false;
    socket.on('data', (d: Buffer) => (answer += d.toString('latin1')));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      const match = /^HTTP\/1\.1 (\d{3})/.exec(answer);
      resolve({ status: match ? Number(match[1]) : 0, closedByServer: !clientClosing });
    });
    void (async () => {
      socket.write(head);
      const sendBytes = mode === 'aborted' ? bytes / 2 : bytes;
      for (let sent = 0; sent < sendBytes && !socket.destroyed; sent += piece.length) {
        const data = piece.subarray(0, Math.min(piece.length, sendBytes - sent));
        if (!socket.write(frame(data))) await new Promise((r) => socket.once('drain', r).once('close', r));
      }
      if (mode === 'aborted') {
        clientClosing = true;
        socket.destroy();
      } else if (mode === 'announced' || mode === 'chunked') {
        if (mode === 'chunked') socket.write('0\r\n\r\n');
        // Read the answer, then hang up like a client done with its connection.
        const done = () => {
          clientClosing = true;
          socket.end();
        };
        if (answer.includes('\r\n\r\n')) done();
        else socket.once('data', done);
      }
    })();
  });
}

describe('a request body over a limit', () => {
  it('gets its answer on every route, sent whole, chunked, aborted or stalled, and the server keeps serving', async () => {
    const uncaught: unknown[] = [];
    const onUncaught = (err: unknown) => uncaught.push(err);
    process.on('uncaughtException', onUncaught);
    onTestFinished(() => void process.off('uncaughtException', onUncaught));
    // Small limits, so the cases run in moments: no waiting out a production-sized timeout.
    const { url, server, api, fd } = await startTestServer({ limits: { discardTimeoutMs: 200, maxUploadBytes: 12 * MiB } });
    const { run } = await api.call('runs.create', {});
    const json = { 'Content-Type': 'application/json' };
    const routes: { name: string; request: string; headers: Record<string, string>; bytes: number; status: number }[] = [
      { name: 'MLflow JSON', request: 'POST /api/2.0/mlflow/experiments/create', headers: json, bytes: 9 * MiB, status: 413 },
      { name: 'MLflow JSON (ajax)', request: 'POST /ajax-api/2.0/mlflow/runs/log-batch', headers: json, bytes: 9 * MiB, status: 413 },
      { name: 'contract', request: 'POST /api/flowdesk/v1/call/experiments.search', headers: json, bytes: 9 * MiB, status: 413 },
      { name: 'upload helper', request: `POST /ajax-api/2.0/mlflow/upload-artifact?run_uuid=${run.info.runId}&path=big.bin`, headers: {}, bytes: 11 * MiB, status: 413 },
      { name: 'artifact proxy PUT', request: `PUT /api/2.0/mlflow-artifacts/artifacts/0/${run.info.runId}/artifacts/big.bin`, headers: {}, bytes: 13 * MiB, status: 507 },
      { name: 'multipart', request: 'POST /api/2.0/mlflow-artifacts/mpu/create/0/x/artifacts/big.bin', headers: json, bytes: 9 * MiB, status: 501 },
      { name: 'unknown route', request: 'POST /api/2.0/mlflow/no-such-route', headers: {}, bytes: 9 * MiB, status: 404 },
    ];
    for (const route of routes) {
      for (const mode of ['announced', 'chunked', 'aborted', 'stalled'] as const) {
        const result = await send(server.port, route.request, route.headers, route.bytes, mode);
        const where = `${route.name}, ${mode}`;
        if (mode === 'aborted') expect(result.closedByServer, where).toBe(false);
        else expect({ where, status: result.status }).toEqual({ where, status: route.status });
        if (mode === 'stalled') expect(result.closedByServer, where).toBe(true);
        const health = await fetch(`${url}/health`);
        expect({ where, health: health.status }).toEqual({ where, health: 200 });
      }
    }
    expect(uncaught).toEqual([]);
    expect(await fd.artifacts.du('')).toBe(0);
  });
});

/**
 * Announces a body of `bytes` bytes, sends its first 64 KiB, and resolves with the status the
 * server answers (0 if it closes without one), then hangs up: a client that would go on sending.
 */
function announceBody(port: number, request: string, bytes: number): Promise<number> {
  const head = `${request} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${bytes}\r\n\r\n`;
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(Buffer.concat([Buffer.from(head), Buffer.alloc(64 * 1024, 0x20)])));
    let answer = '';
    const done = () => {
      const match = /^HTTP\/1\.1 (\d{3})/.exec(answer);
      socket.destroy();
      resolve(match ? Number(match[1]) : 0);
    };
    socket.on('data', (d: Buffer) => {
      answer += d.toString('latin1');
      if (answer.includes('\r\n')) done();
    });
    socket.on('error', () => undefined);
    socket.on('close', done);
  });
}

describe('every route the server has', () => {
  it('answers a body over its limit with its refusal, or as without a body where it reads none, and the server keeps serving', async () => {
    const uncaught: unknown[] = [];
    const onUncaught = (err: unknown) => uncaught.push(err);
    process.on('uncaughtException', onUncaught);
    onTestFinished(() => void process.off('uncaughtException', onUncaught));
    const { url, server, api, fd } = await startTestServer({ limits: { discardTimeoutMs: 200, maxUploadBytes: 12 * MiB } });
    const { run } = await api.call('runs.create', {});
    const runId = run.info.runId;
    // Over every body limit: JSON (8 MiB), trace data (64 MiB), the upload helper (10 MiB) and this server's upload cap.
    const bytes = 100 * MiB;
    const concrete = (path: string) =>
      path
        .replace(':method', 'runs.logBatch')
        .replace(':experiment_id', '0')
        .replace(':model_id', 'm-1')
        .replace(':trace_id', 'tr-1')
        .replace(':assessment_id', 'a-1')
        .replace('*', `0/${runId}/artifacts/big.bin`) + (path.endsWith('/upload-artifact') ? `?run_uuid=${runId}&path=big.bin` : '');
    // Where the answer is not 413: the proxy's upload cap, multipart's decline, and the proxy's
    // DELETE, which reads no body (deleting what is not there succeeds, as in MLflow).
    const expected = (method: string, path: string): number => {
      if (method === 'PUT' && path.endsWith('/artifacts/*')) return 507;
      if (method === 'DELETE' && path.endsWith('/artifacts/*')) return 200;
      if (path.includes('/mpu/')) return 501;
      return 413;
    };
    const routes = serverRoutes(server.app).filter((route) => route.method !== 'HEAD');
    expect(routes.length).toBeGreaterThan(100);
    for (const { method, url: path } of routes) {
      const route = `${method} ${path}`;
      const status = await announceBody(server.port, `${method} ${concrete(path)}`, bytes);
      // A GET reads no body: it answers as it would without one, never with a 5xx.
      if (method === 'GET') expect({ route, answered: status >= 200 && status < 500 }).toEqual({ route, answered: true });
      else expect({ route, status }).toEqual({ route, status: expected(method, path) });
      const health = await fetch(`${url}/health`);
      expect({ route, health: health.status }).toEqual({ route, health: 200 });
    }
    expect(uncaught).toEqual([]);
    expect(await fd.artifacts.du('')).toBe(0);
  });
});

/** Opens a socket, runs `talk` on it, and resolves with what the server sent once the server closes it. */
function untilServerCloses(port: number, talk: (socket: net.Socket) => void): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => talk(socket));
    let answer = '';
    socket.on('data', (d: Buffer) => (answer += d.toString('latin1')));
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(answer));
  });
}

describe('slow and idle connections', () => {
  it('cuts a connection whose headers never finish', async () => {
    const { server } = await startTestServer({ limits: { headersTimeoutMs: 300, connectionsCheckIntervalMs: 50 } });
    const answer = await untilServerCloses(server.port, (socket) => socket.write('GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n'));
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
  });

  it('cuts a connection trickling its headers a byte at a time (slowloris)', async () => {
    const { server } = await startTestServer({ limits: { headersTimeoutMs: 300, connectionsCheckIntervalMs: 50 } });
    const answer = await untilServerCloses(server.port, (socket) => {
      socket.write('GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n');
      const trickle = setInterval(() => (socket.destroyed ? clearInterval(trickle) : socket.write('X')), 20);
      socket.on('close', () => clearInterval(trickle));
    });
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
  });

  it('cuts a connection that goes silent in the middle of a body', async () => {
    const { server, fd } = await startTestServer({ limits: { idleTimeoutMs: 300 } });
    await untilServerCloses(server.port, (socket) =>
      socket.write('PUT /api/2.0/mlflow-artifacts/artifacts/0/r/artifacts/half.bin HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n\r\nonly ten b'),
    );
    expect(await fd.artifacts.du('')).toBe(0);
  });

  it('keeps an upload going for longer than the idle and headers timeouts while its bytes flow', async () => {
    const { server, fd } = await startTestServer({ limits: { idleTimeoutMs: 300, headersTimeoutMs: 300, connectionsCheckIntervalMs: 50 } });
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: server.port, method: 'PUT', path: '/api/2.0/mlflow-artifacts/artifacts/0/r/artifacts/slow.txt' }, (res) => {
        res.resume();
        resolve(res.statusCode!);
      });
      req.on('error', reject);
      void (async () => {
        // Ten pieces 100 ms apart: a second in all, never 300 ms silent.
        for (let i = 0; i < 10; i++) {
          req.write(`piece ${i}\n`);
          await delay(100);
        }
        req.end();
      })();
    });
    expect(status).toBe(200);
    expect(await fd.artifacts.du('0/r/artifacts/slow.txt')).toBe(80);
  });

  it('answers 408 to a body trickling below the minimum rate on every kind of route, closes the connection and keeps serving', async () => {
    // A grace of 200 ms and 1,000 bytes/s: a byte every 40 ms (25 bytes/s) is far below it, and
    // the idle timeout (its default, 120 s) never fires, so only the rate rule can cut these.
    const { url, server, api, fd } = await startTestServer({ limits: { bodyGraceMs: 200, minBodyBytesPerSecond: 1000 } });
    const { run } = await api.call('runs.create', {});
    const json = 'Content-Type: application/json\r\n';
    const routes = [
      { name: 'MLflow JSON', head: `POST /api/2.0/mlflow/experiments/create HTTP/1.1\r\n${json}` },
      { name: 'contract', head: `POST /api/flowdesk/v1/call/experiments.search HTTP/1.1\r\n${json}` },
      { name: 'upload helper', head: `POST /ajax-api/2.0/mlflow/upload-artifact?run_uuid=${run.info.runId}&path=slow.bin HTTP/1.1\r\n` },
      { name: 'artifact proxy PUT', head: `PUT /api/2.0/mlflow-artifacts/artifacts/0/${run.info.runId}/artifacts/slow.bin HTTP/1.1\r\n` },
    ];
    for (const route of routes) {
      for (const framing of ['Content-Length: 100000\r\n', 'Transfer-Encoding: chunked\r\n']) {
        const chunked = framing.startsWith('Transfer');
        const answer = await untilServerCloses(server.port, (socket) => {
          socket.write(`${route.head}Host: 127.0.0.1\r\n${framing}\r\n`);
          const trickle = setInterval(() => (socket.destroyed ? clearInterval(trickle) : socket.write(chunked ? '1\r\n{\r\n' : '{')), 40);
          socket.on('close', () => clearInterval(trickle));
        });
        const where = `${route.name}, ${chunked ? 'chunked' : 'announced'}`;
        expect({ where, status: answer.slice(0, 12) }).toEqual({ where, status: 'HTTP/1.1 408' });
        expect(answer).toMatch(/connection: close/i);
        expect(answer).toContain('arrived too slowly');
        const health = await fetch(`${url}/health`);
        expect({ where, health: health.status }).toEqual({ where, health: 200 });
      }
    }
    expect(await fd.artifacts.du('')).toBe(0);
  });

  it('keeps a body arriving above the minimum rate for longer than the grace period', async () => {
    const { server, fd, api } = await startTestServer({ limits: { bodyGraceMs: 200, minBodyBytesPerSecond: 1000 } });
    const { run } = await api.call('runs.create', {});
    const status = await new Promise<number>((resolve, reject) => {
      const path = `/api/2.0/mlflow-artifacts/artifacts/0/${run.info.runId}/artifacts/steady.bin`;
      const req = http.request({ host: '127.0.0.1', port: server.port, method: 'PUT', path }, (res) => {
        res.resume();
        resolve(res.statusCode!);
      });
      req.on('error', reject);
      void (async () => {
        // 100 bytes every 25 ms (4,000 bytes/s) for 750 ms: past the grace, well above the rate.
        for (let i = 0; i < 30; i++) {
          req.write(Buffer.alloc(100, 0x61));
          await delay(25);
        }
        req.end();
      })();
    });
    expect(status).toBe(200);
    expect(await fd.artifacts.du(`0/${run.info.runId}/artifacts/steady.bin`)).toBe(3000);
  });

  it('keeps an event stream open past the headers and keep-alive timeouts', async () => {
    const { url, fd } = await startTestServer({ limits: { headersTimeoutMs: 200, keepAliveTimeoutMs: 200, connectionsCheckIntervalMs: 50 } });
    const controller = new AbortController();
    onTestFinished(() => controller.abort());
    const response = await fetch(`${url}/api/flowdesk/v1/events`, { signal: controller.signal });
    const reader = response.body!.getReader();
    await delay(800);
    fd.events.publish({ type: 'run.updated', experimentId: '0', runId: 'r' });
    let text = '';
    while (!text.includes('run.updated')) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    expect(text).toContain('event: run.updated');
  });
});

describe('response headers', () => {
  it('carry nosniff and a CSP on every response: answers, errors, refusals, files, the window and event streams', async () => {
    const { server, api, fd } = await startTestServer();
    const { run } = await api.call('runs.create', {});
    await fd.artifacts.write(`0/${run.info.runId}/artifacts/a.txt`, Buffer.from('a'));
    const raw = (method: string, path: string, headers: Record<string, string> = {}, body?: string) =>
      new Promise<http.IncomingMessage>((resolve, reject) => {
        let answered = false;
        const req = http.request({ host: '127.0.0.1', port: server.port, method, path, headers }, (res) => {
          answered = true;
          resolve(res);
          res.destroy();
        });
        // Destroying the response mid-stream (the event stream never ends) resets the request.
        req.on('error', (err) => (answered ? undefined : reject(err)));
        req.end(body);
      });
    const cases: [string, () => Promise<http.IncomingMessage>][] = [
      ['health', () => raw('GET', '/health')],
      ['version', () => raw('GET', '/version')],
      ['MLflow answer', () => raw('GET', `/api/2.0/mlflow/runs/get?run_id=${run.info.runId}`)],
      ['unknown route', () => raw('GET', '/api/2.0/mlflow/nope')],
      ['malformed JSON', () => raw('POST', '/api/2.0/mlflow/experiments/create', { 'content-type': 'application/json' }, '{')],
      ['foreign Host', () => raw('GET', '/health', { host: 'evil.example' })],
      ['undecodable URL', () => raw('GET', '/api/2.0/mlflow-artifacts/artifacts/%E0%A4%A')],
      ['body over the limit', () => raw('POST', '/api/2.0/mlflow/experiments/create', { 'content-type': 'application/json' }, ' '.repeat(9 * MiB))],
      ['a method of the desktop window alone', () => raw('POST', '/api/flowdesk/v1/call/desktop.info', { 'content-type': 'application/json' }, '{}')],
      ['missing file of the window', () => raw('GET', '/assets/none.js')],
      ['artifact file', () => raw('GET', `/api/2.0/mlflow-artifacts/artifacts/0/${run.info.runId}/artifacts/a.txt`)],
      ['artifact file by run', () => raw('GET', `/get-artifact?run_id=${run.info.runId}&path=a.txt`)],
      ['the window', () => raw('GET', '/', { accept: 'text/html' })],
      ['event stream', () => raw('GET', '/api/flowdesk/v1/events')],
    ];
    // Each answer's own CSP: the window's page, a sandbox for downloads, nothing at all for the rest.
    const page = UI_CSP;
    const download = "default-src 'none'; sandbox";
    const notAPage = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
    const expected: Record<string, string> = { 'the window': page, 'artifact file': download, 'artifact file by run': download };
    for (const [name, send] of cases) {
      const res = await send();
      const headers = { nosniff: res.headers['x-content-type-options'], csp: res.headers['content-security-policy'] };
      expect({ name, ...headers }).toEqual({ name, nosniff: 'nosniff', csp: expected[name] ?? notAPage });
    }
  });

  it('give the window a CSP with no base URL and no form target', async () => {
    const { url } = await startTestServer();
    const response = await fetch(`${url}/`, { headers: { accept: 'text/html' } });
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toBe(UI_CSP);
    expect(csp.split(';').map((d) => d.trim())).toEqual(expect.arrayContaining(["base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'"]));
  });
});

describe('one keep-alive connection', () => {
  it('holds no listener per refused body once that body is read away', async () => {
    const { server } = await startTestServer();
    const serverSockets: net.Socket[] = [];
    server.app.server.on('connection', (socket: net.Socket) => serverSockets.push(socket));
    const socket = net.connect(server.port, '127.0.0.1');
    onTestFinished(() => void socket.destroy());
    await new Promise((resolve) => socket.once('connect', resolve));
    let answers = '';
    socket.on('data', (d: Buffer) => (answers += d.toString('latin1')));
    // Over the 8 MiB JSON limit: refused from its length alone, before the body is sent.
    const body = Buffer.alloc(9 * MiB, 0x20);
    const listeners: number[] = [];
    for (let i = 1; i <= 12; i++) {
      socket.write(`POST /api/2.0/mlflow/runs/log-batch HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`);
      await expect.poll(() => answers.split('HTTP/1.1 413').length - 1).toBe(i);
      socket.write(body);
      // The server reads the refused body away; the next request on the connection comes after it.
      await expect.poll(() => serverSockets[0]!.bytesRead).toBeGreaterThanOrEqual(i * body.length);
      listeners.push(serverSockets[0]!.listenerCount('close'));
    }
    expect(serverSockets).toHaveLength(1);
    expect(listeners.at(-1)).toBe(listeners[0]);
  });
});
