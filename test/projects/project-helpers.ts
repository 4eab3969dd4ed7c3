/** Shared by the project tests: fixture paths, artifact reads, fixture git repositories. */
import { execFileSync } from 'node:child_process';
import { cpSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Client } from '#core/api/client.ts';
import { tempDir } from '../helpers/temp-dir.ts';

export const FIXTURES = resolve('test/fixtures/projects');
export const fixture = (name: string) => join(FIXTURES, name);

/** The text of a run's artifact, read over the server's artifact proxy. */
export async function artifactText(url: string, api: Client, runId: string, path: string): Promise<string> {
  const { run } = await api.call('runs.get', { runId });
  const root = run.info.artifactUri.replace(/^mlflow-artifacts:\/+/, '');
  const response = await fetch(`${url}/api/2.0/mlflow-artifacts/artifacts/${root}/${path}`);
  if (!response.ok) throw new Error(`artifact ${path}: ${response.status} ${await response.text()}`);
  return response.text();
}

/** The run's tags as a record. */
export async function tagsOf(api: Client, runId: string): Promise<Record<string, string>> {
  const { run } = await api.call('runs.get', { runId });
  return Object.fromEntries(run.data.tags.map((t) => [t.key, t.value]));
}

export function gitIn(dir: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd: dir, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 'Test', GIT_AUTHOR_EMAIL: 't@example.org', GIT_COMMITTER_NAME: 'Test', GIT_COMMITTER_EMAIL: 't@example.org' } }).trim();
}

/** A copy of a fixture project as a fresh git repository with one commit on `branch`. */
export function fixtureRepo(name: string, branch = 'main'): string {
  const dir = join(tempDir('flowdesk-repo-'), name);
  cpSync(fixture(name), dir, { recursive: true });
  gitIn(dir, 'init', '--quiet', '--initial-branch', branch);
  gitIn(dir, 'add', '.');
  gitIn(dir, 'commit', '--quiet', '-m', 'first');
  return dir;
}

/** Whether a process is still alive. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Polls `check` until it holds or the time is up. */
export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}
