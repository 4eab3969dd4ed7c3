import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeAction, NO_POLICY_MESSAGE } from '#core/execution/execution-policy.ts';
import { startTestServer } from '../helpers/server.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { logLinearModels } from '../models/model-fixture.ts';

describe('a Flowdesk opened without an execution policy', () => {
  it('refuses projects.run and models.serve, starting nothing, and says so', async () => {
    const s = await startTestServer();
    const dir = tempDir();
    writeFileSync(join(dir, 'README.md'), 'scripts\n');
    const marker = join(tempDir(), 'ran');
    await expect(s.api.call('projects.run', { uri: dir, command: `touch ${marker}` })).rejects.toMatchObject({ code: 'PERMISSION_DENIED', message: NO_POLICY_MESSAGE });
    expect(existsSync(marker)).toBe(false);
    expect((await s.api.call('runs.search', { experimentIds: ['0'] })).runs).toEqual([]);
    await logLinearModels(s.url);
    await expect(s.api.call('models.serve', { model: { uri: 'models:/linear@champion' } })).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
    expect((await s.api.call('models.servers', {})).servers).toEqual([]);
    expect(await s.api.call('execution.policy', {})).toEqual({ mode: 'off', message: NO_POLICY_MESSAGE });
  });
});

describe('describeAction', () => {
  it('shows a git project with its clone, commit, and the environment it builds first', () => {
    const { detail } = describeAction({
      kind: 'project.run',
      uri: 'https://example.org/repo.git#train',
      directory: '/data/projects/git/abc/train',
      gitUrl: 'https://example.org/repo.git',
      git: { commit: '0123456789abcdef0123', branch: 'main', dirty: true },
      entryPoint: 'main',
      command: "python train.py 0.1 'a b'",
      params: { alpha: '0.1', name: 'a b' },
      envManager: 'virtualenv',
      setup: ['Creating a virtualenv with Python 3.11.2 in /data/projects/envs/venv-1', 'Installing the requirements: -r requirements.txt'],
      notes: [],
      trackingUri: 'http://127.0.0.1:5000',
    });
    expect(detail.split('\n')).toEqual([
      'Git repository: https://example.org/repo.git',
      'Cloned into: /data/projects/git/abc/train',
      'Commit: 0123456789ab (main), with uncommitted changes',
      'Entry point: main',
      "Command: python train.py 0.1 'a b'",
      'Parameters: alpha=0.1, name=a b',
      'Environment: virtualenv',
      '  First: Creating a virtualenv with Python 3.11.2 in /data/projects/envs/venv-1',
      '  First: Installing the requirements: -r requirements.txt',
      'Logs to: http://127.0.0.1:5000 (MLFLOW_TRACKING_URI; MLFLOW_RUN_ID names the new run)',
      '',
      "The command runs on this computer with your user's rights.",
    ]);
  });
});
