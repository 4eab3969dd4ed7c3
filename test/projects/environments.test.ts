import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chooseManager, prepareEnvironment } from '#core/projects/environments.ts';
import { loadProject, parseMLproject } from '#core/projects/mlproject.ts';
import { createProjectRunner } from '#core/projects/project-runner.ts';
import { startTestServer } from '../helpers/server.ts';
import { tempDir } from '../helpers/temp-dir.ts';

/** A folder on PATH holding a stand-in `docker` program: the process edge, not Flowdesk, is faked. */
function fakeDocker(script: string): string {
  const bin = tempDir('flowdesk-bin-');
  writeFileSync(join(bin, 'docker'), `#!/bin/sh\n${script}\n`);
  chmodSync(join(bin, 'docker'), 0o755);
  return bin;
}

function dockerProject(): string {
  const dir = tempDir();
  writeFileSync(join(dir, 'MLproject'), 'docker_env:\n  image: trainer:1\n  volumes: ["/data:/data"]\n  environment: [["MODE", "fast"]]\nentry_points:\n  main:\n    command: python train.py');
  return dir;
}

const prepare = (dir: string, env: NodeJS.ProcessEnv, requested?: 'local' | 'virtualenv' | 'conda' | 'docker') =>
  prepareEnvironment({ spec: loadProject(dir), directory: dir, requested, cacheDir: tempDir(), runKey: 'k1', env });

describe('environments', () => {
  it('chooses the manager from the project, and refuses combinations that make no sense', () => {
    const spec = (text: string) => parseMLproject(`${text}\nentry_points: {main: {command: x}}`, { defaultName: 'p' });
    expect(chooseManager(spec('python_env: p.yaml'), undefined)).toBe('virtualenv');
    expect(chooseManager(spec('conda_env: c.yaml'), undefined)).toBe('conda');
    expect(chooseManager(spec('name: plain'), undefined)).toBe('local');
    expect(chooseManager(spec('conda_env: c.yaml'), 'virtualenv')).toBe('virtualenv');
    expect(chooseManager(spec('docker_env: {image: x}'), 'local')).toBe('local');
    expect(() => chooseManager(spec('docker_env: {image: x}'), 'virtualenv')).toThrow(/runs in Docker.*--env-manager local/);
    expect(() => chooseManager(spec('python_env: p.yaml'), 'conda')).toThrow('The conda environment needs a conda_env file in MLproject; this project has python_env');
  });

  it('says plainly when conda is not installed', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'conda.yaml'), 'dependencies: [python=3.11]');
    writeFileSync(join(dir, 'MLproject'), 'conda_env: conda.yaml\nentry_points: {main: {command: x}}');
    await expect(prepare(dir, { ...process.env, MLFLOW_CONDA_HOME: tempDir() })).rejects.toThrow(/^The conda environment needs conda \(.*\/bin\/conda\), which is not installed or not on PATH\. Install conda/);
  });

  it('says plainly when Docker is not installed', async () => {
    await expect(prepare(dockerProject(), { ...process.env, PATH: tempDir() })).rejects.toThrow('This project runs in Docker (docker_env), but Docker is not installed (no docker command on PATH). Start Docker, or use --env-manager local to run it on this machine');
  });

  it('says plainly when the Docker engine does not answer', async () => {
    const bin = fakeDocker('echo "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?" >&2; exit 1');
    await expect(prepare(dockerProject(), { ...process.env, PATH: `${bin}:${process.env.PATH}` })).rejects.toThrow(
      'This project runs in Docker (docker_env), but the Docker engine does not answer (docker info: Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?)',
    );
  });

  it('gives up on a Docker engine that hangs', async () => {
    const bin = fakeDocker('sleep 30');
    await expect(prepare(dockerProject(), { ...process.env, PATH: `${bin}:${process.env.PATH}` })).rejects.toThrow(/the Docker engine does not answer \(docker info: no answer within 5 s\)/);
  });

  it('runs a docker_env command in the image with the project mounted and the run variables passed by name', async () => {
    const dir = dockerProject();
    const bin = fakeDocker('echo 27.1.0');
    const env = await prepare(dir, { ...process.env, PATH: `${bin}:${process.env.PATH}` });
    expect(env.manager).toBe('docker');
    const launch = env.launch('python train.py 1', { MLFLOW_RUN_ID: 'r1', MLFLOW_TRACKING_URI: 'http://127.0.0.1:5000' });
    expect(launch.argv).toEqual([
      'docker', 'run', '--rm', '--name', 'flowdesk-k1', '--network', 'host', '-v', `${dir}:/flowdesk/project`, '-w', '/flowdesk/project',
      '-v', '/data:/data', '-e', 'MLFLOW_RUN_ID', '-e', 'MLFLOW_TRACKING_URI', '-e', 'MODE=fast', 'trainer:1', 'bash', '-c', 'python train.py 1',
    ]);
    expect(launch.env).toEqual({ MLFLOW_RUN_ID: 'r1', MLFLOW_TRACKING_URI: 'http://127.0.0.1:5000' });
  });

  it('runs a docker_env project on this machine when asked to', async () => {
    const env = await prepare(dockerProject(), { ...process.env, PATH: tempDir() }, 'local');
    expect(env.manager).toBe('local');
    expect(env.launch('x', {}).argv.slice(1)).toEqual(['-c', 'x']);
  });

  it('notes a Python version the virtualenv cannot provide and refuses a missing requirements file', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'python_env.yaml'), 'python: "2.7"\ndependencies: ["-r missing.txt"]');
    writeFileSync(join(dir, 'MLproject'), 'python_env: python_env.yaml\nentry_points: {main: {command: x}}');
    await expect(prepare(dir, process.env)).rejects.toThrow("The requirements file 'missing.txt' does not exist in the project");
    writeFileSync(join(dir, 'python_env.yaml'), 'python: "2.7"\ndependencies: []');
    const env = await prepare(dir, process.env);
    expect(env.notes[0]).toMatch(/^The project asks for Python 2\.7; this virtualenv uses Python 3\.\d+/);
    expect(env.setup.map((s) => s.argv.slice(1, 3))).toEqual([['-m', 'venv']]);
  });

  it('starts no run when the environment is not available', async () => {
    const s = await startTestServer();
    const dir = dockerProject();
    const runner = createProjectRunner({
      api: s.api,
      saveArtifact: async () => undefined,
      cacheDir: tempDir(),
      server: { url: s.url },
      env: { ...process.env, PATH: fakeDocker('exit 1') },
    });
    await expect(runner.start({ uri: dir })).rejects.toThrow(/Docker engine does not answer/);
    expect((await s.api.call('runs.search', { experimentIds: ['0'] })).runs).toEqual([]);
  });
});
