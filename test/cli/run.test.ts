import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createClient } from '#core/api/client.ts';
import { createHttpTransport } from '#core/api/http-transport.ts';
import { openFlowdesk } from '#core/flowdesk.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { alive, eventually, fixture } from '../projects/project-helpers.ts';

/** This process's environment without a tracking URI, which `flowdesk run` would log to instead. */
const ENV = Object.fromEntries(Object.entries(process.env).filter(([key]) => key !== 'FLOWDESK_URI' && key !== 'MLFLOW_TRACKING_URI'));

/** Starts the CLI; `exited` resolves with its code and everything it printed. */
function flowdesk(args: string[]) {
  const child = spawn(process.execPath, ['bin/flowdesk.js', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: ENV });
  const out = { stdout: '', stderr: '' };
  child.stdout.on('data', (c: Buffer) => (out.stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out.stderr += c.toString()));
  const exited = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => child.on('close', (code) => resolve({ code, ...out })));
  return { child, out, exited };
}

/** The runs of the data folder, read once no process owns it. */
async function runsIn(dataDir: string) {
  const fd = await openFlowdesk({ dataDir });
  try {
    const { experiments } = await fd.handlers['experiments.search']({});
    const { runs } = await fd.handlers['runs.search']({ experimentIds: experiments.map((e) => e.experimentId) });
    return runs;
  } finally {
    await fd.close();
  }
}

describe('flowdesk run', () => {
  it('serves the data folder itself when no server runs, streaming the output and recording the run', async () => {
    const dataDir = tempDir();
    const result = await flowdesk(['run', fixture('node-logger'), '-P', 'label=cli', '-P', 'epochs=2', '--experiment', 'from-cli', '--data-dir', dataDir]).exited;
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^ARGS .*\nepoch 0 loss=1\.000\nepoch 1 loss=0\.500\n$/);
    expect(result.stderr).toContain(`no Flowdesk server is running for ${dataDir}; serving it at http://127.0.0.1:`);
    expect(result.stderr).toContain('a warning on stderr');
    expect(result.stderr).toContain('flowdesk: Run finished (exit code 0)');
    expect(existsSync(join(dataDir, 'server.json'))).toBe(false);
    const [run] = await runsIn(dataDir);
    expect(run!.info.status).toBe('FINISHED');
    expect(run!.data.metrics.find((m) => m.key === 'loss')).toMatchObject({ value: 0.5, step: 1 });
    expect(run!.data.params).toContainEqual({ key: 'label', value: 'cli' });
  });

  it('runs what the person typed, while its private server refuses to run anything for its callers', async () => {
    const dataDir = tempDir();
    const project = tempDir();
    const marker = join(tempDir(), 'ran');
    // The script asks the server it logs to for a run of its own: only the person may start runs.
    writeFileSync(
      join(project, 'escalate.mjs'),
      `const response = await fetch(process.env.MLFLOW_TRACKING_URI + '/api/flowdesk/v1/call/projects.run', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ uri: ${JSON.stringify(project)}, command: ${JSON.stringify(`touch ${marker}`)} }) });\nconsole.log('projects.run answered ' + response.status);\n`,
    );
    const result = await flowdesk(['run', project, '--command', 'node escalate.mjs', '--data-dir', dataDir]).exited;
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('projects.run answered 403\n');
    expect(existsSync(marker)).toBe(false);
    expect((await runsIn(dataDir)).map((r) => r.info.status)).toEqual(['FINISHED']);
  });

  it('logs through the running server when there is one', async () => {
    const dataDir = tempDir();
    const serve = flowdesk(['serve', '--port', '0', '--data-dir', dataDir]);
    await eventually(() => /Listening on (\S+)/.test(serve.out.stdout));
    const url = /Listening on (\S+)/.exec(serve.out.stdout)![1]!;
    try {
      const result = await flowdesk(['run', fixture('node-logger'), '-P', 'label=remote', '-P', 'epochs=1', '--data-dir', dataDir]).exited;
      expect(result.code).toBe(0);
      expect(result.stderr).toContain(`logging through the Flowdesk server at ${url}`);
      // The server still owns the folder.
      expect(JSON.parse(readFileSync(join(dataDir, 'server.json'), 'utf8'))).toMatchObject({ pid: serve.child.pid, url });
      const api = createClient(createHttpTransport({ baseUrl: url, fetch }));
      const { runs } = await api.call('runs.search', { experimentIds: ['0'] });
      expect(runs).toHaveLength(1);
      expect(runs[0]!.info.status).toBe('FINISHED');
      const files = await api.call('artifacts.list', { runId: runs[0]!.info.runId, path: 'logs' });
      expect(files.files.map((f) => f.path)).toEqual(['stderr.txt', 'stdout.txt']);
    } finally {
      serve.child.kill('SIGTERM');
      await serve.exited;
    }
  });

  it('exits 1 with the problems when the parameters are wrong, and records nothing', async () => {
    const dataDir = tempDir();
    const result = await flowdesk(['run', fixture('node-logger'), '-P', 'epochs=many', '--data-dir', dataDir]).exited;
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("flowdesk: Invalid parameters: 'epochs' must be an integer (int), got 'many'; 'label' is required (string) and has no default");
    expect(await runsIn(dataDir)).toEqual([]);
  });

  it('exits 1 when the script fails', async () => {
    const dataDir = tempDir();
    const result = await flowdesk(['run', fixture('node-logger'), '-e', 'fail', '--data-dir', dataDir]).exited;
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('Traceback: the data file is corrupt');
    expect((await runsIn(dataDir))[0]!.info.status).toBe('FAILED');
  });

  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)('stops the run and its children on %s and records it KILLED', async (signal, exitCode) => {
    const dataDir = tempDir();
    const run = flowdesk(['run', fixture('node-logger'), '-e', 'wait', '--data-dir', dataDir]);
    await eventually(() => /PIDS \d+ \d+/.test(run.out.stdout));
    const pids = /PIDS (\d+) (\d+)/.exec(run.out.stdout)!.slice(1).map(Number);
    run.child.kill(signal);
    const result = await run.exited;
    expect(result.code).toBe(exitCode);
    expect(result.stderr).toContain(`${signal}: stopping the run`);
    await eventually(() => !pids.some(alive));
    expect((await runsIn(dataDir))[0]!.info.status).toBe('KILLED');
  });

  it('explains its usage mistakes', async () => {
    const none = await flowdesk(['run']).exited;
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('flowdesk run takes one project (a folder or a git URL), got none');
    const manager = await flowdesk(['run', fixture('node-logger'), '--env-manager', 'docker', '--data-dir', tempDir()]).exited;
    expect(manager.stderr).toContain("--env-manager is local, virtualenv or conda, got 'docker'");
    const param = await flowdesk(['run', fixture('node-logger'), '-P', 'novalue', '--data-dir', tempDir()]).exited;
    expect(param.stderr).toContain("-P takes key=value, got 'novalue'");
  });
});
