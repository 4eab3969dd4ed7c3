/**
 * `flowdesk serve` in its own process for the benchmarks that talk to it over HTTP, so the load
 * generator never shares the server's event loop. FLOWDESK_BENCH_NODE_ARGS adds Node options
 * to it (e.g. `--cpu-prof --cpu-prof-dir=prof`) to profile the server under the bench's load.
 */
import { spawn } from 'node:child_process';

export interface ServeProcess {
  url: string;
  pid: number;
  /** Milliseconds from spawning to the "Listening on" line. */
  listeningAfterMs: number;
  stop: () => Promise<void>;
}

/** Starts `bin/flowdesk.js serve` on a free port over `dataDir` and waits until it listens. */
export async function startServe(dataDir: string, extraArgs: string[] = []): Promise<ServeProcess> {
  const nodeArgs = (process.env.FLOWDESK_BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const started = process.hrtime.bigint();
  const child = spawn(process.execPath, [...nodeArgs, 'bin/flowdesk.js', 'serve', '--port', '0', '--data-dir', dataDir, ...extraArgs], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      const match = /Listening on (\S+)/.exec(out);
      if (match) resolve(match[1]!);
    });
    child.on('exit', (code) => reject(new Error(`flowdesk serve exited with ${code}`)));
  });
  return {
    url,
    pid: child.pid!,
    listeningAfterMs: Number(process.hrtime.bigint() - started) / 1e6,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
