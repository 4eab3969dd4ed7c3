import { appendFileSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { LogChunk } from '#core/api/projects-entities.ts';
import { startTestServer } from '../helpers/server.ts';
import { testFlowdesk } from '../helpers/flowdesk.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { alive, artifactText, eventually, fixture, fixtureRepo, gitIn, tagsOf } from './project-helpers.ts';
import { allowExecution } from '#core/execution/execution-policy.ts';

/** These tests start projects and model servers, as a person who confirmed them would. */
const allowRuns = allowExecution('allowed by the test');

describe('running a project', () => {
  it('runs a Node entry point that logs over HTTP into the run it was given, with params, tags and its output saved', async () => {
    const s = await startTestServer({ execution: allowRuns });
    const heard: LogChunk[] = [];
    const started = await s.fd.projects.start({ uri: fixture('node-logger'), params: { label: 'first', epochs: '3' }, experimentName: 'projects' }, { onOutput: (c) => heard.push(c) });
    const final = await started.done;
    expect(final).toMatchObject({ status: 'FINISHED', exitCode: 0, phase: 'done' });

    const { run } = await s.api.call('runs.get', { runId: final.runId });
    const { experiment } = await s.api.call('experiments.getByName', { name: 'projects' });
    expect(run.info).toMatchObject({ status: 'FINISHED', experimentId: experiment.experimentId });
    expect(Object.fromEntries(run.data.params.map((p) => [p.key, p.value]))).toEqual({ alpha: '0.5', epochs: '3', label: 'first', data: 'data/train.csv', note: '' });
    expect(run.data.metrics).toEqual([expect.objectContaining({ key: 'loss', value: 1 / 3, step: 2 })]);
    const tags = await tagsOf(s.api, final.runId);
    expect(tags).toMatchObject({
      'mlflow.source.name': fixture('node-logger'),
      'mlflow.source.type': 'PROJECT',
      'mlflow.project.entryPoint': 'main',
      'mlflow.project.env': 'local',
      script: 'train.mjs',
      // The script saw the experiment the run is in.
      experiment_env: experiment.experimentId,
    });
    expect(tags['mlflow.user']).toBeTruthy();

    const stdout = await artifactText(s.url, s.api, final.runId, 'logs/stdout.txt');
    const args = JSON.parse(/^ARGS (.*)$/m.exec(stdout)![1]!) as string[];
    expect(args).toEqual(['--alpha', '0.5', '--epochs', '3', '--label', 'first', '--data', join(fixture('node-logger'), 'data/train.csv'), '--note', '']);
    expect(stdout).toContain('epoch 2 loss=0.333');
    expect(await artifactText(s.url, s.api, final.runId, 'logs/stderr.txt')).toBe('a warning on stderr\n');
    // What the listener heard is what was saved, plus Flowdesk's own lines.
    expect(heard.filter((c) => c.stream === 'stdout').map((c) => c.text).join('')).toBe(stdout);
    expect(heard.filter((c) => c.stream === 'system').map((c) => c.text).join('')).toContain('Run finished (exit code 0)');
  });

  it('passes injection attempts to the script as the literal text they are', async () => {
    const s = await startTestServer({ execution: allowRuns });
    const hostile = ['; rm -rf ~', '$(touch pwned)', '`id`', "a'b\"c $HOME", '&& echo injected'];
    const marker = join(fixture('node-logger'), 'pwned');
    for (const label of hostile) {
      const final = await (await s.fd.projects.start({ uri: fixture('node-logger'), params: { label, note: label, epochs: '0' } })).done;
      expect(final.status).toBe('FINISHED');
      const stdout = await artifactText(s.url, s.api, final.runId, 'logs/stdout.txt');
      const args = JSON.parse(/^ARGS (.*)$/m.exec(stdout)![1]!) as string[];
      expect(args[5]).toBe(label);
      expect(args[9]).toBe(label);
      // A line of its own would mean `echo injected` ran.
      expect(stdout.split('\n')).not.toContain('injected');
    }
    expect(existsSync(marker)).toBe(false);
  });

  it('runs a Python entry point in a virtualenv built from a requirements file with no third-party packages', async () => {
    const s = await startTestServer({ execution: allowRuns });
    const system: string[] = [];
    const final = await (await s.fd.projects.start({ uri: fixture('python-logger'), params: { steps: '3' } }, { onOutput: (c) => c.stream === 'system' && system.push(c.text) })).done;
    expect(final).toMatchObject({ status: 'FINISHED', command: 'python train.py 0.01 3' });
    const tags = await tagsOf(s.api, final.runId);
    expect(tags['mlflow.project.env']).toBe('virtualenv');
    expect(tags.in_virtualenv).toBe('true');
    expect(tags.python_prefix!.startsWith(join(s.dataDir, 'projects', 'envs', 'venv-'))).toBe(true);
    expect(existsSync(join(tags.python_prefix!, '.flowdesk-ready'))).toBe(true);
    expect(system.join('')).toContain('Creating a virtualenv with Python 3');
    const { metrics } = await s.api.call('metrics.history', { runId: final.runId, key: 'loss' });
    expect(metrics.map((m) => m.step)).toEqual([0, 1, 2]);

    // The same requirements reuse the environment.
    const again: string[] = [];
    const second = await (await s.fd.projects.start({ uri: fixture('python-logger') }, { onOutput: (c) => c.stream === 'system' && again.push(c.text) })).done;
    expect(second.status).toBe('FINISHED');
    expect(again.join('')).toContain('Using the virtualenv built earlier');
    expect((await tagsOf(s.api, second.runId)).python_prefix).toBe(tags.python_prefix);
  });

  it('ends a failing script FAILED with its exit code and its stderr saved', async () => {
    const s = await startTestServer({ execution: allowRuns });
    const final = await (await s.fd.projects.start({ uri: fixture('node-logger'), entryPoint: 'fail' })).done;
    expect(final).toMatchObject({ status: 'FAILED', exitCode: 3 });
    const { run } = await s.api.call('runs.get', { runId: final.runId });
    expect(run.info.status).toBe('FAILED');
    expect(run.info.endTime).toBeGreaterThan(0);
    expect(await artifactText(s.url, s.api, final.runId, 'logs/stderr.txt')).toBe('Traceback: the data file is corrupt\n');
    expect(await artifactText(s.url, s.api, final.runId, 'logs/stdout.txt')).toBe('loading data\n');
  });

  it('ends a cancelled run KILLED, its children stopped too', async () => {
    const s = await startTestServer({ execution: allowRuns });
    const started = await s.fd.projects.start({ uri: fixture('node-logger'), entryPoint: 'wait' });
    let pids: number[] = [];
    await eventually(() => {
      const text = s.fd.projects.log(started.state.runId).chunks.map((c) => c.text).join('');
      const match = /PIDS (\d+) (\d+)/.exec(text);
      if (match) pids = [Number(match[1]), Number(match[2])];
      return match !== null;
    });
    expect(pids.every(alive)).toBe(true);
    const state = await s.fd.projects.cancel(started.state.runId);
    expect(state.status).toBe('KILLED');
    await eventually(() => !pids.some(alive));
    expect((await s.api.call('runs.get', { runId: state.runId })).run.info.status).toBe('KILLED');
    expect(await artifactText(s.url, s.api, state.runId, 'logs/stdout.txt')).toMatch(/^PIDS \d+ \d+\n$/);
    // Cancelling again changes nothing.
    expect((await s.fd.projects.cancel(state.runId)).status).toBe('KILLED');
  });

  it('kills running projects when Flowdesk closes', async () => {
    const s = await startTestServer({ execution: allowRuns });
    const started = await s.fd.projects.start({ uri: fixture('node-logger'), entryPoint: 'wait' });
    await s.fd.projects.shutdown();
    expect((await started.done).status).toBe('KILLED');
    expect((await s.api.call('runs.get', { runId: started.state.runId })).run.info.status).toBe('KILLED');
  });

  it('starts nothing when the parameters are wrong', async () => {
    const s = await startTestServer({ execution: allowRuns });
    await expect(s.fd.projects.start({ uri: fixture('node-logger'), params: { alpha: 'high' }, experimentName: 'never' })).rejects.toThrow(
      "Invalid parameters: 'alpha' must be a number (float), got 'high'; 'label' is required (string) and has no default",
    );
    await expect(s.api.call('experiments.getByName', { name: 'never' })).rejects.toThrow("Could not find experiment with name 'never'");
    expect((await s.api.call('runs.search', { experimentIds: ['0'] })).runs).toEqual([]);
  });

  it('names the entry points when asked for one the project lacks', async () => {
    const s = await startTestServer({ execution: allowRuns });
    await expect(s.fd.projects.start({ uri: fixture('node-logger'), entryPoint: 'train' })).rejects.toThrow("The project has no entry point 'train'; it has main, fail, wait");
    await expect(s.fd.projects.start({ uri: join(fixture('node-logger'), 'missing') })).rejects.toThrow(/No project folder at/);
  });

  it('runs the scripts of a folder without MLproject, and a command of its own', async () => {
    const s = await startTestServer({ execution: allowRuns });
    const py = await (await s.fd.projects.start({ uri: fixture('scripts-only'), entryPoint: 'hello.py', params: { name: 'a b' } })).done;
    expect(py.status).toBe('FINISHED');
    expect(await artifactText(s.url, s.api, py.runId, 'logs/stdout.txt')).toBe("ARGS ['--name', 'a b']\n");
    const command = await (await s.fd.projects.start({ uri: fixture('scripts-only'), command: 'bash hello.sh first', params: { k: 'v' } })).done;
    expect(await artifactText(s.url, s.api, command.runId, 'logs/stdout.txt')).toBe('ARGS first --k v\n');
    expect(await tagsOf(s.api, command.runId)).toMatchObject({ 'flowdesk.project.userCommand': 'bash hello.sh first' });
    await expect(s.fd.projects.start({ uri: fixture('scripts-only') })).rejects.toThrow('This folder has no MLproject file: name a script to run (hello.py, hello.sh) as the entry point, or give a command');
    await expect(s.fd.projects.start({ uri: fixture('node-logger'), command: 'ls' })).rejects.toThrow(/has an MLproject file/);
  });

  it('reports the warnings of the MLproject file in the log', async () => {
    const s = await startTestServer({ execution: allowRuns });
    const dir = tempDir();
    writeFileSync(join(dir, 'MLproject'), 'name: typo\nentry_points:\n  main:\n    command: "true"\n    paramters: {a: int}\n');
    const heard: string[] = [];
    const final = await (await s.fd.projects.start({ uri: dir }, { onOutput: (c) => c.stream === 'system' && heard.push(c.text) })).done;
    expect(final.status).toBe('FINISHED');
    expect(heard).toContain("Warning: MLproject line 5: unknown key 'paramters' in entry_points.main is ignored (known: command, parameters)\n");
  });

  it('refuses to run without a tracking server for the script to log to', async () => {
    const { fd } = await testFlowdesk();
    await expect(fd.projects.start({ uri: fixture('node-logger'), params: { label: 'x' } })).rejects.toThrow(/none is listening/);
  });
});

describe('git sources', () => {
  it('records commit, branch, remote and a dirty tree with its diff', async () => {
    const s = await startTestServer({ execution: allowRuns });
    const repo = fixtureRepo('node-logger', 'experiments');
    gitIn(repo, 'remote', 'add', 'origin', 'https://example.org/team/node-logger.git');
    const commit = gitIn(repo, 'rev-parse', 'HEAD');

    const clean = await (await s.fd.projects.start({ uri: repo, params: { label: 'clean', epochs: '0' } })).done;
    expect(await tagsOf(s.api, clean.runId)).toMatchObject({
      'mlflow.source.git.commit': commit,
      'mlflow.source.git.branch': 'experiments',
      'mlflow.source.git.repoURL': 'https://example.org/team/node-logger.git',
      'flowdesk.source.git.dirty': 'false',
    });
    expect((await s.api.call('artifacts.list', { runId: clean.runId, path: 'source' })).files).toEqual([]);

    appendFileSync(join(repo, 'train.mjs'), '// tuned by hand\n');
    writeFileSync(join(repo, 'scratch.txt'), 'notes');
    const dirty = await (await s.fd.projects.start({ uri: repo, params: { label: 'dirty', epochs: '0' } })).done;
    expect(await tagsOf(s.api, dirty.runId)).toMatchObject({ 'mlflow.source.git.commit': commit, 'flowdesk.source.git.dirty': 'true' });
    const diff = await artifactText(s.url, s.api, dirty.runId, 'source/git-diff.patch');
    expect(diff).toContain('+// tuned by hand');
    expect(diff).toContain('# untracked: scratch.txt');
  });

  it('clones a git URL into the cache and updates it on the next run', async () => {
    const s = await startTestServer({ execution: allowRuns });
    const repo = fixtureRepo('node-logger');
    const bare = join(tempDir('flowdesk-bare-'), 'node-logger.git');
    gitIn(repo, 'clone', '--quiet', '--bare', repo, bare);
    const url = `file://${bare}`;

    const inspected = await s.fd.projects.inspect(url);
    expect(inspected.directory.startsWith(join(s.dataDir, 'projects', 'git'))).toBe(true);
    expect(inspected.git).toMatchObject({ commit: gitIn(repo, 'rev-parse', 'HEAD'), branch: 'main', repoUrl: url, dirty: false });

    const first = await (await s.fd.projects.start({ uri: url, params: { label: 'remote', epochs: '1' } })).done;
    expect(first.status).toBe('FINISHED');
    expect(await tagsOf(s.api, first.runId)).toMatchObject({ 'mlflow.source.name': url, 'mlflow.source.git.repoURL': url, 'mlflow.source.git.commit': gitIn(repo, 'rev-parse', 'HEAD') });

    appendFileSync(join(repo, 'train.mjs'), '// second commit\n');
    gitIn(repo, 'commit', '--quiet', '-am', 'second');
    gitIn(repo, 'push', '--quiet', bare, 'main');
    const second = await (await s.fd.projects.start({ uri: url, params: { label: 'remote', epochs: '0' } })).done;
    expect((await tagsOf(s.api, second.runId))['mlflow.source.git.commit']).toBe(gitIn(repo, 'rev-parse', 'HEAD'));
    expect(first.runId).not.toBe(second.runId);
  });

  it('says plainly when a git URL cannot be cloned', async () => {
    const s = await startTestServer({ execution: allowRuns });
    await expect(s.fd.projects.inspect(`file://${join(tempDir(), 'nothing.git')}`)).rejects.toThrow(/^Could not clone file:\/\/.*nothing\.git: /);
  });
});
