/**
 * Team benchmark: MLflow log-batch points/s from 8 client processes spread over two
 * `flowdesk serve` processes sharing one PostgreSQL catalog, next to the same 8 clients on one
 * process with its SQLite catalog, measured in the same run. Needs a PostgreSQL server
 * (FLOWDESK_BENCH_POSTGRES_URL, else FLOWDESK_TEST_POSTGRES_URL) whose role may create databases;
 * the benchmark's database is created and dropped here.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { report } from './bench-util.ts';
import { startServe } from './serve-process.ts';

const CLIENTS = 8;
const SECONDS = 8;
/** Time given to the clients to start (tsx compiles them) and create their runs before the clock starts. */
const WARMUP_MS = 6000;

function runClient(url: string, startAt: number, endAt: number, worker: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/run-ts.js', 'bench/team-bench-client.ts', url, String(startAt), String(endAt), String(worker)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('close', (code) => (code === 0 ? resolve(Number(out.trim())) : reject(new Error(`bench client ${worker} exited with ${code}: ${err}`))));
  });
}

/**
 * Points/s the 8 clients log through `urls` (client w through urls[w % urls.length]) in the
 * common window. A client finishes the request in flight when the window ends, so the time
 * counted runs until the last client is done.
 */
async function measure(urls: string[]): Promise<number> {
  const startAt = Date.now() + WARMUP_MS;
  const endAt = startAt + SECONDS * 1000;
  const points = await Promise.all(Array.from({ length: CLIENTS }, (_, w) => runClient(urls[w % urls.length]!, startAt, endAt, w)));
  const seconds = (Date.now() - startAt) / 1000;
  return points.reduce((a, b) => a + b, 0) / seconds;
}

async function withDatabase<T>(serverUrl: string, use: (url: string) => Promise<T>): Promise<T> {
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  const name = `flowdesk_bench_${process.pid}_${Date.now()}`;
  await admin.query(`create database ${name}`);
  try {
    const url = new URL(serverUrl);
    url.pathname = `/${name}`;
    return await use(url.toString());
  } finally {
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.end();
  }
}

export async function runTeamBench(): Promise<void> {
  const title = `log-batch with ${CLIENTS} client processes: two processes on PostgreSQL vs one on SQLite`;
  const postgresUrl = process.env.FLOWDESK_BENCH_POSTGRES_URL || process.env.FLOWDESK_TEST_POSTGRES_URL;
  const dir = mkdtempSync(join(tmpdir(), 'flowdesk-team-bench-'));
  try {
    const single = await startServe(join(dir, 'single'));
    let sqlite: number;
    try {
      sqlite = await measure([single.url]);
    } finally {
      await single.stop();
    }
    if (!postgresUrl) {
      report(title, [
        ['one process, SQLite (baseline)', `${Math.round(sqlite).toLocaleString()} points/s`],
        ['two processes, PostgreSQL', 'not measured: neither FLOWDESK_BENCH_POSTGRES_URL nor FLOWDESK_TEST_POSTGRES_URL is set (a PostgreSQL role that may create databases)'],
      ]);
      return;
    }
    const team = await withDatabase(postgresUrl, async (catalog) => {
      // One after the other: the first runs the migrations, the second finds them done.
      const a = await startServe(join(dir, 'a'), ['--catalog', catalog]);
      const b = await startServe(join(dir, 'b'), ['--catalog', catalog]).catch(async (err: unknown) => {
        await a.stop();
        throw err;
      });
      try {
        return await measure([a.url, b.url]);
      } finally {
        await Promise.all([a.stop(), b.stop()]);
      }
    });
    report(title, [
      ['one process, SQLite (baseline)', `${Math.round(sqlite).toLocaleString()} points/s`],
      ['two processes, PostgreSQL', `${Math.round(team).toLocaleString()} points/s`],
      ['ratio PostgreSQL team / SQLite single', (team / sqlite).toFixed(2)],
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
