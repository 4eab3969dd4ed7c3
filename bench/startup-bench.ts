/**
 * Start-up benchmark: `flowdesk serve` on an existing data folder of 50,000 runs, from spawning
 * to its first `/health` answer, and its resident memory at rest afterwards. The baseline is a
 * bare Node HTTP server spawned the same way in the same run, which shows what Node itself costs.
 * The first start after a build compiles the whole bundle and writes V8's code cache beside it
 * (bin/flowdesk.js); it is measured once on its own, and the median is of the starts after it.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { openFlowdesk } from '#core/flowdesk.ts';
import { goal, median, report } from './bench-util.ts';
import { entries, seedRuns } from './seed-runs.ts';

const RUNS = 50_000;
/** V8's code cache of the CLI bundle, which bin/flowdesk.js writes when it finds none. */
const CODE_CACHE = 'dist/cli/main.cjs.cache';
const ROUNDS = 5;

/** 50,000 runs with 5 params, 5 tags and 5 latest metrics each, written straight into the catalog. */
async function seed(dataDir: string): Promise<void> {
  const fd = await openFlowdesk({ dataDir });
  try {
    await seedRuns(fd, RUNS, (_, id) => ({
      params: entries(5, (p) => `p${p}`, (p) => String((id * 7 + p) % 100)),
      tags: entries(5, (t) => `t${t}`, (t) => String((id + t) % 10)),
      metrics: entries(5, (m) => `m${m}`, (m) => ((id * 31 + m) % 1000) / 1000),
    }));
  } finally {
    await fd.close();
  }
}

/** Spawns `args`, polls `/health` on `port` until it answers, then reads RSS after a second at rest. */
async function startOnce(args: string[], port: number): Promise<{ healthMs: number; rssMb: number }> {
  const started = process.hrtime.bigint();
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  let exited = false;
  child.once('exit', () => (exited = true));
  try {
    for (;;) {
      if (exited) throw new Error(`${args.join(' ')} exited before answering /health`);
      try {
        const response = await fetch(`http://127.0.0.1:${port}/health`);
        await response.arrayBuffer();
        if (response.ok) break;
      } catch {
        // Not listening yet.
      }
      await sleep(5);
    }
    const healthMs = Number(process.hrtime.bigint() - started) / 1e6;
    await sleep(1500);
    const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
    const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
    return { healthMs, rssMb: rssKb / 1024 };
  } finally {
    await new Promise<void>((resolve) => {
      if (exited) resolve();
      else {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }
    });
  }
}

/** A port nobody listens on, picked by the OS. */
async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export async function runStartupBench(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'flowdesk-startup-bench-'));
  try {
    await seed(join(dir, 'data'));
    const bare = `require('node:http').createServer((q, s) => s.end('{}')).listen(+process.argv[1], '127.0.0.1')`;
    const baseline: { healthMs: number; rssMb: number }[] = [];
    const flowdesk: { healthMs: number; rssMb: number }[] = [];
    const serveArgs = (port: number) => ['bin/flowdesk.js', 'serve', '--port', String(port), '--data-dir', join(dir, 'data')];
    rmSync(CODE_CACHE, { force: true });
    const firstPort = await freePort();
    const first = await startOnce(serveArgs(firstPort), firstPort);
    for (let i = 0; i < ROUNDS; i++) {
      const port = await freePort();
      baseline.push(await startOnce(['-e', bare, String(port)], port));
      const servePort = await freePort();
      flowdesk.push(await startOnce(serveArgs(servePort), servePort));
    }
    const healthMs = median(flowdesk.map((x) => x.healthMs));
    const rssMb = median(flowdesk.map((x) => x.rssMb));
    const ms = (xs: { healthMs: number }[]) => `${median(xs.map((x) => x.healthMs)).toFixed(0)} ms`;
    const mb = (xs: { rssMb: number }[]) => `${median(xs.map((x) => x.rssMb)).toFixed(0)} MB`;
    report(`start-up on a data folder of ${RUNS.toLocaleString()} runs (median of ${ROUNDS})`, [
      ['bare Node HTTP server: spawn to first answer (baseline)', ms(baseline)],
      ['flowdesk serve, first start after a build (no code cache yet): spawn to first /health answer', ms([first])],
      ['flowdesk serve: spawn to first /health answer', `${ms(flowdesk)} ${goal(healthMs, 499, '< 500 ms')}`],
      ['bare Node HTTP server: RSS at rest (baseline)', mb(baseline)],
      ['flowdesk serve: RSS at rest', `${mb(flowdesk)} ${goal(rssMb, 99.9, '< 100 MB')}`],
      ['load average of the machine now (a busy machine stretches both times alike)', loadavg()[0]!.toFixed(1)],
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
