/**
 * A real Flowdesk command that serves (`flowdesk serve`, `flowdesk models serve`) in a child
 * process: ready once it prints `Listening on <url>`, stopped with SIGTERM after the test unless
 * the test stopped it already.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { onTestFinished } from 'vitest';

/** How a served command ended, with everything it printed. */
export interface ServeExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  out: string;
  err: string;
}

export interface ServeProcess {
  child: ChildProcess;
  /** The URL it printed in `Listening on <url>`; rejects, with its stderr, when it exits before. */
  ready: Promise<string>;
  /** How it ended. */
  exited: Promise<ServeExit>;
  /** Everything it printed on stdout so far. */
  out(): string;
  /** Sends SIGTERM unless it has ended, and resolves with how it ended. */
  stop(): Promise<ServeExit>;
}

/**
 * Spawns `flowdesk <args>` (`['serve', ...]` or `['models', 'serve', ...]`) with `env` (this
 * process's by default). Call it inside a test: the process is stopped when the test finishes.
 */
export function spawnServe(args: string[], env: NodeJS.ProcessEnv = process.env): ServeProcess {
  const child = spawn(process.execPath, ['bin/flowdesk.js', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<ServeExit>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, out, err })));
  const ready = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', () => {
      const match = /Listening on (\S+)/.exec(out);
      if (match) resolve(match[1]!);
    });
    child.on('exit', (code) => reject(new Error(`flowdesk ${args.join(' ')} exited with ${code}: ${err}`)));
  });
  // A test that expects the command to fail awaits `exited` and never `ready`.
  ready.catch(() => undefined);
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    return exited;
  };
  onTestFinished(async () => void (await stop()));
  return { child, ready, exited, out: () => out, stop };
}
