/**
 * Two real `flowdesk serve` processes on one PostgreSQL catalog and one S3 prefix, as a team
 * runs them behind a load balancer: they share nothing local, yet every point logged through
 * either arrives once, live events and artifacts cross from one to the other, and registry
 * versions created through both at once are numbered without gaps or repeats.
 */
import { spawn } from 'node:child_process';
import { describe, expect, it, onTestFinished } from 'vitest';
import { freshPostgresDatabase } from '../helpers/postgres.ts';
import { spawnServe } from '../helpers/spawn-serve.ts';
import { S3_NOT_RUN_REASON, S3_TEST_URL, s3TestPlace } from '../helpers/s3.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const CLIENTS_PER_SERVER = 4;

/** Starts `flowdesk serve` on a port of its own and a data folder of its own; stopped after the test. */
function serve(catalog: string, artifacts: string): Promise<string> {
  return spawnServe(['serve', '--port', '0', '--data-dir', tempDir(), '--catalog', catalog, '--artifacts', artifacts]).ready;
}

/** One logging client process (test/fixtures/mlflow-rest-logger.ts) against `url`. */
function runClient(url: string, shared: string, worker: number): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['bin/run-ts.js', 'test/fixtures/mlflow-rest-logger.ts', url, shared, String(worker)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('close', (code) => resolve({ code, out, err }));
  });
}

async function mlflow<T>(url: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${url}/api/2.0/mlflow${path}`, body === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await response.text();
  if (!response.ok) throw new Error(`${path} answered ${response.status}: ${text}`);
  return JSON.parse(text) as T;
}

interface Point {
  value: number;
  step: number;
}

async function history(url: string, runId: string, key: string): Promise<Point[]> {
  const { metrics = [] } = await mlflow<{ metrics?: Point[] }>(url, `/metrics/get-history?run_id=${runId}&metric_key=${key}&max_results=10000`);
  return metrics.map(({ value, step }) => ({ value, step })).sort((a, b) => a.step - b.step);
}

/** Every point the fixture logs to a key: 200 single points, then 10 batches of 100; the value is the step. */
const expectedPoints: Point[] = [...Array.from({ length: 200 }, (_, i) => i), ...Array.from({ length: 10 }, (_, b) => Array.from({ length: 100 }, (_, i) => 1000 + (b * 20 + 19) * 100 + i)).flat()]
  .sort((a, b) => a - b)
  .map((step) => ({ value: step, step }));

async function twoServers(): Promise<[string, string]> {
  const catalog = await freshPostgresDatabase();
  const artifacts = s3TestPlace().url;
  return Promise.all([serve(catalog, artifacts), serve(catalog, artifacts)]);
}

if (S3_TEST_URL) {
  describe('two flowdesk serve processes on one PostgreSQL and one S3 prefix', () => {
    it('receives every point from 8 client processes logging through both at once, exactly once', async () => {
      const servers = await twoServers();
      const { run } = await mlflow<{ run: { info: { run_id: string } } }>(servers[0], '/runs/create', { experiment_id: '0', run_name: 'shared' });
      const shared = run.info.run_id;
      // Worker w logs through server w % 2, so both take writes to the shared run at the same time.
      const results = await Promise.all(Array.from({ length: 2 * CLIENTS_PER_SERVER }, (_, w) => runClient(servers[w % 2]!, shared, w)));
      for (const r of results) {
        expect(r.err).toBe('');
        expect(r.code).toBe(0);
      }
      for (let w = 0; w < results.length; w++) {
        // Read back through the other server than the one the points went through.
        const reader = servers[(w + 1) % 2]!;
        const runId = results[w]!.out.trim();
        expect(await history(reader, runId, `own-${w}`)).toEqual(expectedPoints);
        expect(await history(reader, shared, `shared-${w}`)).toEqual(expectedPoints);
      }
      const sharedRun = await mlflow<{ run: { data: { metrics: { key: string; step: number }[] } } }>(servers[1], `/runs/get?run_id=${shared}`);
      expect(sharedRun.run.data.metrics.map((m) => m.key).sort()).toEqual(Array.from({ length: results.length }, (_, w) => `shared-${w}`).sort());
      expect(new Set(sharedRun.run.data.metrics.map((m) => m.step))).toEqual(new Set([expectedPoints.at(-1)!.step]));
    });

    it('streams to a subscriber on one process the runs created through the other', async () => {
      const [a, b] = await twoServers();
      const controller = new AbortController();
      onTestFinished(() => controller.abort());
      const response = await fetch(`${a}/api/flowdesk/v1/events`, { signal: controller.signal });
      expect(response.headers.get('content-type')).toMatch(/text\/event-stream/);
      const reader = response.body!.getReader();
      const { run } = await mlflow<{ run: { info: { run_id: string } } }>(b, '/runs/create', { experiment_id: '0', run_name: 'through-b' });
      const runId = run.info.run_id;
      let text = '';
      const decoder = new TextDecoder();
      while (!text.includes(`"runId":"${runId}"`)) {
        const { value, done } = await reader.read();
        if (done) break;
        text += decoder.decode(value, { stream: true });
      }
      expect(text).toContain('event: run.created');
      expect(text).toContain(`"runId":"${runId}"`);
    });

    it('serves through one process an artifact uploaded through the other', async () => {
      const [a, b] = await twoServers();
      const { run } = await mlflow<{ run: { info: { run_id: string } } }>(a, '/runs/create', { experiment_id: '0' });
      const path = `0/${run.info.run_id}/artifacts/model/weights.bin`;
      const body = Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 31) % 256));
      const put = await fetch(`${a}/api/2.0/mlflow-artifacts/artifacts/${path}`, { method: 'PUT', body });
      expect(put.status).toBe(200);
      const got = await fetch(`${b}/api/2.0/mlflow-artifacts/artifacts/${path}`);
      expect(got.status).toBe(200);
      expect(Buffer.from(await got.arrayBuffer()).equals(body)).toBe(true);
      const listed = await mlflow<{ files: { path: string; file_size: number }[] }>(b, `/artifacts/list?run_id=${run.info.run_id}&path=model`);
      expect(listed.files).toEqual([{ path: 'model/weights.bin', is_dir: false, file_size: body.length }]);
    });

    it('numbers registry versions created at once through both processes 1..N', async () => {
      const servers = await twoServers();
      await mlflow(servers[0], '/registered-models/create', { name: 'team-model' });
      const { run } = await mlflow<{ run: { info: { run_id: string } } }>(servers[1], '/runs/create', { experiment_id: '0' });
      const perServer = 10;
      const created = await Promise.all(
        servers.flatMap((url) =>
          Array.from({ length: perServer }, () =>
            mlflow<{ model_version: { version: string } }>(url, '/model-versions/create', { name: 'team-model', source: `runs:/${run.info.run_id}/model`, run_id: run.info.run_id }),
          ),
        ),
      );
      const numbers = created.map((c) => Number(c.model_version.version)).sort((x, y) => x - y);
      expect(numbers).toEqual(Array.from({ length: 2 * perServer }, (_, i) => i + 1));
      const { model_versions } = await mlflow<{ model_versions: { version: string }[] }>(servers[0], `/model-versions/search?filter=${encodeURIComponent("name='team-model'")}&max_results=100`);
      expect(model_versions.map((v) => Number(v.version)).sort((x, y) => x - y)).toEqual(numbers);
    });
  });
} else {
  describe('two flowdesk serve processes on one PostgreSQL and one S3 prefix', () => {
    it('did not run: FLOWDESK_TEST_S3_URL is not set, and is allowed only where FLOWDESK_REQUIRE_S3 is unset (.ci/run sets both)', () => {
      console.log(`Two-process team test did not run: ${S3_NOT_RUN_REASON}.`);
      expect(process.env.FLOWDESK_REQUIRE_S3 ?? '').toBe('');
    });
  });
}
