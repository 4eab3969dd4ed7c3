/**
 * Write throughput through the real MLflow 2.12.2 Python client (`../shared/python-clients`),
 * measured from outside against three servers in the same run: a do-nothing server that reads
 * each request and answers it with a valid minimal response (the client's own ceiling: what
 * serialising, sending and reading back costs the client alone), Flowdesk (`flowdesk serve`, in
 * its own process, every answer durably committed), and MLflow 2.12.2's own tracking server on
 * SQLite (the comparison row; reported as not run when it cannot start here).
 *
 * Three workloads, each a plain MlflowClient loop for a fixed time: `log_batch` of 1,000 points
 * per call, `log_metric` one call per point, and `create_run` followed by a `log_batch` of 20
 * values (10 params, 10 metrics), the start of a typical training run. The ceiling and Flowdesk
 * run twice, alternating, and each keeps its best round, so a burst of load from elsewhere on a
 * shared machine does not land on one side only.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PYTHON_CLIENTS_NOT_RUN_REASON, clientEnvironment, runPython } from '../test/helpers/python-clients.ts';
import { report } from './bench-util.ts';
import { startServe } from './serve-process.ts';

/** Seconds each workload runs per server and round. */
const SECONDS = Number(process.env.FLOWDESK_BENCH_PY_SECONDS ?? 5);
/** The goal: Flowdesk at this share of the client's ceiling or above. */
const GOAL = 0.9;

interface Rates {
  /** Points per second through `log_batch`, 1,000 per call. */
  logBatch: number;
  /** Calls (points) per second through `log_metric`. */
  logMetric: number;
  /** Runs per second through `create_run` + `log_batch` of 20 values. */
  createRun: number;
}

/** The client loops; each runs for SECONDS and the script prints the three rates as JSON. */
const SCRIPT = `
import json, os, time
from mlflow.entities import Metric, Param
from mlflow.tracking import MlflowClient

seconds = float(os.environ["BENCH_SECONDS"])
client = MlflowClient()
run_id = client.create_run("0").info.run_id
client.log_metric(run_id, "warm-up", 1.0)

def timed(body):
    count, start = 0, time.perf_counter()
    while True:
        count += body(count)
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return count / elapsed

def batch(n):
    ts = int(time.time() * 1000)
    client.log_batch(run_id, metrics=[Metric("loss", float(i), ts, n + i) for i in range(1000)])
    return 1000

def single(n):
    client.log_metric(run_id, "acc", 0.5, step=n)
    return 1

def create(n):
    ts = int(time.time() * 1000)
    rid = client.create_run("0").info.run_id
    client.log_batch(rid, metrics=[Metric(f"m{i}", float(i), ts, 0) for i in range(10)], params=[Param(f"p{i}", str(i)) for i in range(10)])
    return 1

print(json.dumps({"logBatch": timed(batch), "logMetric": timed(single), "createRun": timed(create)}))
`;

async function readBody(request: IncomingMessage): Promise<void> {
  for await (const chunk of request) void chunk;
}

/**
 * Answers every MLflow call the script makes with a minimal valid response, after reading the
 * whole body, and does nothing else: the time a client spends against it is the client's own.
 */
async function startDoNothing(): Promise<{ url: string; stop: () => Promise<void> }> {
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    void readBody(request).then(() => {
      let body = '{}';
      if (request.url?.endsWith('/runs/create')) {
        const id = randomUUID().replaceAll('-', '');
        const now = Date.now();
        body = JSON.stringify({
          run: {
            info: { run_id: id, run_uuid: id, run_name: 'bench', experiment_id: '0', user_id: '', status: 'RUNNING', start_time: now, artifact_uri: `mlflow-artifacts:/0/${id}/artifacts`, lifecycle_stage: 'active' },
            data: {},
          },
        });
      }
      response.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      response.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** MLflow 2.12.2's own tracking server on a fresh SQLite file; undefined (with why) when it does not come up in time. */
async function startMlflow(dir: string): Promise<{ url: string; stop: () => Promise<void> } | { notRun: string }> {
  const port = await freePort();
  const env = clientEnvironment('2.12.2');
  const child: ChildProcess = spawn(
    'mlflow',
    ['server', '--backend-store-uri', `sqlite:///${join(dir, 'mlflow.db')}`, '--default-artifact-root', join(dir, 'artifacts'), '--host', '127.0.0.1', '--port', String(port)],
    // Its own process group: the server forks gunicorn workers, and all of them are stopped together.
    { env, cwd: dir, stdio: 'ignore', detached: true },
  );
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      process.kill(-child.pid!, 'SIGTERM');
    });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) return { notRun: `mlflow server exited with ${child.exitCode}` };
    const up = await fetch(`${url}/health`).then((r) => r.ok, () => false);
    if (up) return { url, stop };
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  await stop();
  return { notRun: 'mlflow server did not answer /health within 120 s' };
}

function measure(url: string): Promise<Rates> {
  return runPython<Rates>('2.12.2', url, SCRIPT, { env: { BENCH_SECONDS: String(SECONDS) }, timeoutMs: 600_000 });
}

function best(a: Rates, b: Rates): Rates {
  return { logBatch: Math.max(a.logBatch, b.logBatch), logMetric: Math.max(a.logMetric, b.logMetric), createRun: Math.max(a.createRun, b.createRun) };
}

const WORKLOADS: { key: keyof Rates; title: string; unit: string }[] = [
  { key: 'logBatch', title: 'log_batch, 1,000 points per call', unit: 'points/s' },
  { key: 'logMetric', title: 'log_metric, one call per point', unit: 'calls/s' },
  { key: 'createRun', title: 'create_run + log_batch of 20 values (10 params, 10 metrics)', unit: 'runs/s' },
];

const rate = (n: number, unit: string) => `${Math.round(n).toLocaleString()} ${unit}`;

/** Runs the three workloads against the ceiling, Flowdesk and MLflow, and prints each against the ceiling. */
export async function runPythonClientBench(): Promise<void> {
  if (PYTHON_CLIENTS_NOT_RUN_REASON) {
    report('MLflow 2.12.2 Python client', [['not run', PYTHON_CLIENTS_NOT_RUN_REASON]]);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'flowdesk-py-bench-'));
  try {
    const nothing = await startDoNothing();
    const flowdesk = await startServe(join(dir, 'flowdesk'));
    let ceiling: Rates;
    let ours: Rates;
    try {
      const c1 = await measure(nothing.url);
      const f1 = await measure(flowdesk.url);
      const f2 = await measure(flowdesk.url);
      const c2 = await measure(nothing.url);
      ceiling = best(c1, c2);
      ours = best(f1, f2);
    } finally {
      await flowdesk.stop();
      await nothing.stop();
    }
    const started = await startMlflow(dir);
    let mlflow: Rates | string;
    if ('notRun' in started) mlflow = started.notRun;
    else {
      try {
        mlflow = await measure(started.url);
      } finally {
        await started.stop();
      }
    }
    for (const { key, title, unit } of WORKLOADS) {
      const share = ours[key] / ceiling[key];
      report(`MLflow 2.12.2 Python client: ${title} (${SECONDS} s each, best of 2 rounds)`, [
        ['do-nothing server: the client\'s ceiling (baseline)', rate(ceiling[key], unit)],
        ['MLflow 2.12.2 server (SQLite)', typeof mlflow === 'string' ? `not run: ${mlflow}` : rate(mlflow[key], unit)],
        ['Flowdesk', rate(ours[key], unit)],
        ['Flowdesk / ceiling', `${(share * 100).toFixed(0)}% (goal >= ${GOAL * 100}%)${share >= GOAL ? '' : ': NOT MET'}`],
      ]);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
