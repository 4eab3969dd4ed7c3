import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createClient } from '#core/api/client.ts';
import { createHttpTransport } from '#core/api/http-transport.ts';
import { openFlowdesk } from '#core/flowdesk.ts';
import { startServer } from '#core/server/server.ts';
import { mlflowPost, startTestServer } from '../helpers/server.ts';
import { clientOver, TRANSPORTS } from '../helpers/transports.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { eventually, fixture, fixtureRepo, gitIn } from './project-helpers.ts';
import { allowExecution } from '#core/execution/execution-policy.ts';

/** These tests start projects and model servers, as a person who confirmed them would. */
const allowRuns = allowExecution('allowed by the test');

const call = (url: string, method: string, body: unknown) => mlflowPost(url, `/api/flowdesk/v1/call/${method}`, body);

describe.each(TRANSPORTS)('reading projects over %s', (kind) => {
  it('inspects and validates the same way', async () => {
    const { api } = await clientOver(kind);
    const { project } = await api.call('projects.inspect', { uri: fixture('node-logger') });
    expect(project.entryPoints.map((e) => e.name)).toEqual(['main', 'fail', 'wait']);
    expect((await api.call('projects.validate', { uri: fixture('node-logger'), entryPoint: 'wait', params: { seconds: '1.5' } })).issues).toEqual([
      { param: 'seconds', message: "'seconds' must be an integer (int), got '1.5'" },
    ]);
    await expect(api.call('projects.inspect', { uri: '' })).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
  });
});

describe('the projects methods over HTTP', () => {
  it('inspects a project: entry points with typed parameters, environment and git state', async () => {
    const s = await startTestServer();
    const { project } = await s.api.call('projects.inspect', { uri: fixture('python-logger') });
    expect(project).toMatchObject({
      name: 'python-logger',
      hasMLproject: true,
      environment: { kind: 'python_env', file: 'python_env.yaml', defaultManager: 'virtualenv' },
      entryPoints: [{ name: 'main', command: 'python train.py {learning_rate} {steps}', parameters: [{ name: 'learning_rate', type: 'float', default: '0.01' }, { name: 'steps', type: 'int', default: '4' }] }],
      warnings: [],
    });
  });

  it('answers a malformed MLproject with a 400 naming the line and field', async () => {
    const s = await startTestServer();
    const dir = tempDir();
    writeFileSync(join(dir, 'MLproject'), 'entry_points:\n  main:\n    parameters:\n      n: {type: number}\n    command: run {n}\n');
    const response = await call(s.url, 'projects.inspect', { uri: dir });
    expect(response).toEqual({ status: 400, body: { error_code: 'INVALID_PARAMETER_VALUE', message: "MLproject line 4, entry_points.main.parameters.n.type: unknown type 'number' (types: float, int, string, path, uri)" } });
  });

  it('validates parameters, naming each field, and previews the command', async () => {
    const s = await startTestServer();
    const bad = await s.api.call('projects.validate', { uri: fixture('node-logger'), params: { epochs: 'x' } });
    expect(bad).toEqual({
      issues: [
        { param: 'epochs', message: "'epochs' must be an integer (int), got 'x'" },
        { param: 'label', message: "'label' is required (string) and has no default" },
      ],
    });
    const good = await s.api.call('projects.validate', { uri: fixture('node-logger'), params: { label: 'a b' } });
    expect(good).toEqual({ issues: [], command: `node train.mjs --alpha 0.5 --epochs 3 --label 'a b' --data ${join(fixture('node-logger'), 'data/train.csv')} --note ''` });
  });

  it('runs, pages through the live log with `after`, and cancels', async () => {
    const s = await startTestServer({ execution: allowRuns });
    const { state } = await s.api.call('projects.run', { uri: fixture('node-logger'), entryPoint: 'wait', params: { seconds: '120' } });
    expect(state).toMatchObject({ phase: 'running', status: 'RUNNING', exitCode: null, command: 'node wait.mjs 120' });
    let next = 0;
    let text = '';
    await eventually(async () => {
      const page = await s.api.call('projects.log', { runId: state.runId, after: next });
      next = page.next;
      text += page.chunks.map((c) => c.text).join('');
      return /PIDS/.test(text);
    });
    expect(text).toMatch(/^Run [0-9a-f]{32} in experiment 0\n\$ node wait\.mjs 120\nPIDS \d+ \d+\n$/);
    // Nothing new since `next`.
    expect((await s.api.call('projects.log', { runId: state.runId, after: next })).chunks).toEqual([]);
    const cancelled = await s.api.call('projects.cancel', { runId: state.runId });
    expect(cancelled.state).toMatchObject({ phase: 'done', status: 'KILLED' });
    const rest = await s.api.call('projects.log', { runId: state.runId, after: next });
    expect(rest.chunks.map((c) => [c.stream, c.text])).toEqual([
      ['system', 'Stopping the run…\n'],
      ['system', 'Run killed (exit code 143)\n'],
    ]);
    expect(rest.truncated).toBe(false);
  });

  it('answers 404 for the log of a run it did not start', async () => {
    const s = await startTestServer();
    const { run } = await s.api.call('runs.create', {});
    const response = await call(s.url, 'projects.log', { runId: run.info.runId });
    expect(response.status).toBe(404);
    expect(response.body.message).toMatch(/^No live log of run [0-9a-f]+ here/);
    expect((await call(s.url, 'projects.cancel', { runId: 'nope' })).status).toBe(404);
  });

  it('runs nothing of a project when inspecting or validating it, not even git configuration', async () => {
    const s = await startTestServer();
    const repo = fixtureRepo('scripts-only');
    const marker = join(tempDir(), 'ran');
    writeFileSync(join(repo, 'MLproject'), `entry_points:\n  main:\n    command: touch ${marker}\n`);
    gitIn(repo, 'add', 'MLproject');
    gitIn(repo, 'commit', '--quiet', '-m', 'mlproject');
    // A repository's own configuration could run a program on `git status`; Flowdesk turns that off.
    gitIn(repo, 'config', 'core.fsmonitor', `touch ${marker}`);
    writeFileSync(join(repo, 'hello.py'), 'changed');
    const { project } = await s.api.call('projects.inspect', { uri: repo });
    expect(project.git?.dirty).toBe(true);
    expect((await s.api.call('projects.validate', { uri: repo })).command).toBe(`touch ${marker}`);
    expect(existsSync(marker)).toBe(false);
  });

  it('runs no projects on a server that listens beyond this machine', async () => {
    const fd = await openFlowdesk({ dataDir: tempDir() });
    const server = await startServer({ flowdesk: fd, host: '0.0.0.0', port: 0, token: 'secret', version: 'test', log: () => undefined });
    try {
      const api = createClient(createHttpTransport({ baseUrl: `http://127.0.0.1:${server.port}`, fetch, token: 'secret' }));
      await expect(api.call('projects.inspect', { uri: fixture('node-logger') })).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
      await expect(api.call('projects.run', { uri: fixture('scripts-only'), command: 'true' })).rejects.toThrow(/may not call projects.run over HTTP on a team server/);
      expect((await api.call('runs.search', { experimentIds: ['0'] })).runs).toEqual([]);
    } finally {
      await server.close();
      await fd.close();
    }
  });
});
