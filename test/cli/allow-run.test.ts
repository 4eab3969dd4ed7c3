import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createClient } from '#core/api/client.ts';
import { createHttpTransport } from '#core/api/http-transport.ts';
import { FlowdeskClient } from '#core/sdk/flowdesk-client.ts';
import { mlflowPost } from '../helpers/server.ts';
import { freePort, listening, touchingProject } from '../helpers/side-effects.ts';
import { spawnServe } from '../helpers/spawn-serve.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { logLinearModels, SKLEARN_MLMODEL } from '../models/model-fixture.ts';
import { eventually } from '../projects/project-helpers.ts';

/** Starts the real `flowdesk serve` on a fresh data folder; stopped after the test. */
async function serve(extraArgs: string[], env: NodeJS.ProcessEnv = process.env) {
  const dataDir = tempDir();
  const url = await spawnServe(['serve', '--port', '0', '--data-dir', dataDir, ...extraArgs], env).ready;
  return { url, dataDir, api: createClient(createHttpTransport({ baseUrl: url, fetch })) };
}

const OFF = 'Running projects and serving models from the browser is off. To allow them, restart the server with: flowdesk serve --allow-run';

describe('flowdesk serve without --allow-run', () => {
  it('says running is off and how to allow it', async () => {
    const s = await serve([]);
    expect(await s.api.call('execution.policy', {})).toEqual({ mode: 'off', message: OFF });
  });

  it('refuses projects.run with a 403 and runs nothing: no process, no run, no experiment', async () => {
    const s = await serve([]);
    const { dir, marker } = touchingProject();
    const response = await mlflowPost(s.url, '/api/flowdesk/v1/call/projects.run', { uri: dir, command: `touch ${marker}`, experimentName: 'never' });
    expect(response).toEqual({ status: 403, body: { error_code: 'PERMISSION_DENIED', message: OFF } });
    expect(existsSync(marker)).toBe(false);
    expect((await s.api.call('runs.search', { experimentIds: ['0'] })).runs).toEqual([]);
    await expect(s.api.call('experiments.getByName', { name: 'never' })).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
  });

  it('refuses before a virtualenv is built, so no setup.py of a requirement runs', async () => {
    const s = await serve([]);
    const { dir, marker } = touchingProject();
    mkdirSync(join(dir, 'pkg'));
    writeFileSync(join(dir, 'pkg', 'setup.py'), `open(${JSON.stringify(marker)}, 'w').close()\nfrom setuptools import setup\nsetup(name='pkg')\n`);
    writeFileSync(join(dir, 'requirements.txt'), './pkg\n');
    await expect(s.api.call('projects.run', { uri: dir, command: 'true', envManager: 'virtualenv' })).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
    expect(existsSync(marker)).toBe(false);
    expect(existsSync(join(s.dataDir, 'projects', 'envs')) ? readdirSync(join(s.dataDir, 'projects', 'envs')) : []).toEqual([]);
  });

  it('refuses models.serve with a 403 and opens no port', async () => {
    const s = await serve([]);
    await logLinearModels(s.url);
    const port = await freePort();
    const response = await mlflowPost(s.url, '/api/flowdesk/v1/call/models.serve', { model: { uri: 'models:/linear@champion' }, port });
    expect(response).toEqual({ status: 403, body: { error_code: 'PERMISSION_DENIED', message: OFF } });
    expect(await listening(port)).toBe(false);
    expect((await s.api.call('models.servers', {})).servers).toEqual([]);
  });

  it("starts no Python for a Python model's server", async () => {
    const marker = join(tempDir(), 'python-ran');
    const python = join(tempDir(), 'python');
    writeFileSync(python, `#!/bin/sh\ntouch '${marker}'\nexit 1\n`);
    chmodSync(python, 0o755);
    const s = await serve([], { ...process.env, FLOWDESK_PYTHON: python });
    const folder = join(tempDir(), 'model');
    mkdirSync(folder);
    writeFileSync(join(folder, 'MLmodel'), SKLEARN_MLMODEL);
    writeFileSync(join(folder, 'model.pkl'), 'opaque');
    const run = await new FlowdeskClient(s.url).startRun({ runName: 'sklearn' });
    await run.logModel({ folder });
    await expect(s.api.call('models.serve', { model: { runId: run.runId, path: 'model' } })).rejects.toMatchObject({ code: 'PERMISSION_DENIED', message: OFF });
    expect(existsSync(marker)).toBe(false);
  });
});

describe('flowdesk serve --allow-run', () => {
  it('runs the project the call asks for', async () => {
    const s = await serve(['--allow-run']);
    expect((await s.api.call('execution.policy', {})).mode).toBe('allowed');
    const { dir, marker } = touchingProject();
    const { state } = await s.api.call('projects.run', { uri: dir, command: `touch ${marker}` });
    await eventually(async () => (await s.api.call('runs.get', { runId: state.runId })).run.info.status === 'FINISHED');
    expect(existsSync(marker)).toBe(true);
  });

  it('serves the model the call asks for', async () => {
    const s = await serve(['--allow-run']);
    await logLinearModels(s.url);
    const port = await freePort();
    const { server } = await s.api.call('models.serve', { model: { uri: 'models:/linear@champion' }, port });
    expect(server.port).toBe(port);
    expect((await fetch(`${server.url}/ping`)).status).toBe(200);
  });

  it('is refused for a server beyond loopback', () => {
    const result = spawnSync(process.execPath, ['bin/flowdesk.js', 'serve', '--allow-run', '--host', '0.0.0.0', '--token', 'secret', '--port', '0', '--data-dir', tempDir()], { encoding: 'utf8' });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('--allow-run is for a server on loopback only; this one would listen on 0.0.0.0');
  });
});
