/**
 * Model serving benchmark: predictions/s over HTTP for the linear ONNX model of the models tests
 * (logged through the TypeScript client, registered, served by alias with `flowdesk models serve`
 * in its own process), at batch sizes 1 and 100, next to GET /ping requests/s on the same server
 * measured in the same run (the HTTP floor: what a request costs with no model behind it).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { expected, logLinearModels } from '../test/models/model-fixture.ts';
import { report } from './bench-util.ts';

const SECONDS = 6;
const CONNECTIONS = 4;

/** Starts a flowdesk command that prints `Listening on <url>` when ready. */
async function start(args: string[], env: NodeJS.ProcessEnv): Promise<{ url: string; stop: () => Promise<void> }> {
  const child: ChildProcess = spawn(process.execPath, ['bin/flowdesk.js', ...args], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const match = /Listening on (\S+)/.exec(out);
      if (match) resolve(match[1]!);
    });
    child.on('exit', (code) => reject(new Error(`flowdesk ${args[0]} exited with ${code}`)));
  });
  return {
    url,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

async function load(url: string, options: { method: 'GET' | 'POST'; body?: string }) {
  const result = await autocannon({
    url,
    method: options.method,
    connections: CONNECTIONS,
    duration: SECONDS,
    headers: options.body ? { 'content-type': 'application/json' } : {},
    body: options.body,
  });
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${result.non2xx} non-2xx answers and ${result.errors} errors under load`);
  return result;
}

export async function runModelsBench(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'flowdesk-models-bench-'));
  try {
    const tracking = await start(['serve', '--port', '0', '--data-dir', join(dir, 'data')], process.env);
    try {
      await logLinearModels(tracking.url);
      const scoring = await start(['models', 'serve', '-m', 'models:/linear@champion', '--port', '0'], { ...process.env, FLOWDESK_URI: tracking.url });
      try {
        const rows = (n: number) => Array.from({ length: n }, (_, i) => [i, i / 2, -i]);
        // One checked request first: a benchmark of wrong answers would measure nothing.
        const check = await fetch(`${scoring.url}/invocations`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ inputs: rows(100) }) });
        const { predictions } = (await check.json()) as { predictions: number[][] };
        if (JSON.stringify(predictions) !== JSON.stringify(expected(rows(100)))) throw new Error('The served model answered wrong predictions');
        const ping = await load(`${scoring.url}/ping`, { method: 'GET' });
        const one = await load(`${scoring.url}/invocations`, { method: 'POST', body: JSON.stringify({ inputs: rows(1) }) });
        const hundred = await load(`${scoring.url}/invocations`, { method: 'POST', body: JSON.stringify({ inputs: rows(100) }) });
        const pingRate = ping.requests.average;
        report(`ONNX model serving over HTTP (linear, 3 features), ${CONNECTIONS} connections`, [
          ['GET /ping (baseline)', `${Math.round(pingRate).toLocaleString()} requests/s`],
          ['batch 1', `${Math.round(one.requests.average).toLocaleString()} predictions/s, p50 ${one.latency.p50} ms, p99 ${one.latency.p99} ms; ratio to /ping ${(one.requests.average / pingRate).toFixed(2)}`],
          ['batch 100', `${Math.round(hundred.requests.average * 100).toLocaleString()} predictions/s (${Math.round(hundred.requests.average).toLocaleString()} requests/s), p50 ${hundred.latency.p50} ms; request ratio to /ping ${(hundred.requests.average / pingRate).toFixed(2)}`],
        ]);
      } finally {
        await scoring.stop();
      }
    } finally {
      await tracking.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
