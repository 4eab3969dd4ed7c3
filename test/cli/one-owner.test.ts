/**
 * One owner per data folder, with real processes: a second `flowdesk serve` on the same folder is
 * refused and names the first; the folder of a server killed with kill -9 is taken over; commands
 * that would open the folder under a running server are refused, and `flowdesk run` logs through it.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { spawnServe } from '../helpers/spawn-serve.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const flowdesk = (args: string[]) => spawnSync(process.execPath, ['bin/flowdesk.js', ...args], { encoding: 'utf8' });

/** Starts `flowdesk serve --port 0` on `dataDir`; `ready` resolves with its URL, `exited` with how it ended. */
const serve = (dataDir: string) => spawnServe(['serve', '--port', '0', '--data-dir', dataDir]);

const serverJson = (dataDir: string) => JSON.parse(readFileSync(join(dataDir, 'server.json'), 'utf8')) as { pid: number; url: string };

describe('one owner per data folder', () => {
  it('refuses a second flowdesk serve on the same folder, naming the first, whose server.json stays', async () => {
    const dataDir = tempDir();
    const first = serve(dataDir);
    const url = await first.ready;

    const second = serve(dataDir);
    const { code, err } = await second.exited;
    expect(code).toBe(1);
    expect(err).toContain(`flowdesk: A Flowdesk server (pid ${first.child.pid}, ${url}) has ${dataDir} open`);
    expect(serverJson(dataDir)).toMatchObject({ pid: first.child.pid, url });
    expect((await fetch(`${url}/health`)).status).toBe(200);
  });

  it('takes over the folder of a server killed with kill -9', async () => {
    const dataDir = tempDir();
    const killed = serve(dataDir);
    await killed.ready;
    killed.child.kill('SIGKILL');
    expect((await killed.exited).signal).toBe('SIGKILL');

    const next = serve(dataDir);
    const url = await next.ready;
    expect(serverJson(dataDir)).toMatchObject({ pid: next.child.pid, url });
    expect((await fetch(`${url}/health`)).status).toBe(200);
  });

  it('refuses gc while a server has the folder, and runs a project through that server', async () => {
    const dataDir = tempDir();
    const server = serve(dataDir);
    const url = await server.ready;

    const gc = flowdesk(['gc', '--data-dir', dataDir]);
    expect(gc.status).toBe(1);
    expect(gc.stderr).toContain(`A Flowdesk server (pid ${server.child.pid}, ${url}) has ${dataDir} open; empty the trash there, or stop it and run gc again`);

    const project = tempDir();
    const run = flowdesk(['run', project, '--command', 'node -e "console.log(42)"', '--data-dir', dataDir]);
    expect(run.stderr).toContain(`logging through the Flowdesk server at ${url}`);
    expect(run.status).toBe(0);
    expect(serverJson(dataDir)).toMatchObject({ pid: server.child.pid, url });
  });
});
