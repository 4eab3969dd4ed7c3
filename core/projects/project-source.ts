/**
 * Where a project's files come from: a folder on this machine, or a git URL cloned into a cache
 * folder (updated on later runs). Also the git state a run records: commit, branch, remote and
 * whether the tree was dirty, with the diff.
 *
 * Git runs with the options that keep a repository's own configuration from running programs
 * (no fsmonitor, no external diff, no textconv, no prompts): reading a project runs nothing of it.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { invalid } from '#core/api/errors.ts';
import type { ProjectGit } from '#core/api/projects-entities.ts';
import { checkArtifactPath } from '#core/api/artifact-path.ts';

/** A project's folder, and the git URL it came from when it did. */
export interface ProjectSource {
  uri: string;
  directory: string;
  gitUrl?: string;
}

/** The largest diff kept as an artifact; a bigger one is cut with a note (a dirty tree of data files, say). */
const MAX_DIFF_BYTES = 10 * 1024 * 1024;
const GIT_SAFETY = ['-c', 'core.fsmonitor=false', '-c', 'core.hooksPath=/dev/null', '-c', 'protocol.ext.allow=never'];

/** Whether `uri` names a git repository to clone rather than a folder. */
export function isGitUrl(uri: string): boolean {
  return /^(https?|ssh|git|file):\/\//i.test(uri) || /^[\w.-]+@[\w.-]+:/.test(uri);
}

interface GitResult {
  ok: boolean;
  stdout: string;
  stderr: string;
}

/** Runs git (asynchronously: a clone may take a while) and never throws for a failing command. */
export function git(args: string[], options: { cwd?: string; timeoutMs?: number } = {}): Promise<GitResult> {
  return new Promise((done) => {
    execFile(
      'git',
      [...GIT_SAFETY, ...args],
      {
        cwd: options.cwd,
        timeout: options.timeoutMs ?? 120_000,
        maxBuffer: MAX_DIFF_BYTES + 1024 * 1024,
        env: { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_ASKPASS: '', SSH_ASKPASS: '', GIT_PAGER: 'cat', LC_ALL: 'C' },
      },
      (err, stdout, stderr) => done({ ok: err === null, stdout: String(stdout), stderr: String(stderr) }),
    );
  });
}

/**
 * The folder of a project: a folder path (absolute, or relative to `cwd`), or a git URL, cloned
 * into `cacheDir` (or brought up to date there). A git URL may name a subfolder after `#`.
 */
export async function resolveProjectSource(uri: string, options: { cacheDir: string; cwd?: string; refresh?: boolean }): Promise<ProjectSource> {
  if (!isGitUrl(uri)) {
    const directory = isAbsolute(uri) ? uri : resolve(options.cwd ?? process.cwd(), uri);
    let isDir = false;
    try {
      isDir = statSync(directory).isDirectory();
    } catch {
      // reported below
    }
    if (!isDir) throw invalid(`No project folder at '${directory}' (give a folder, or a git URL such as https://host/repo.git)`);
    return { uri, directory };
  }
  const [url, subdir] = uri.split('#', 2) as [string, string?];
  const clone = join(options.cacheDir, createHash('sha256').update(url).digest('hex').slice(0, 16));
  if (!existsSync(join(clone, '.git'))) await cloneInto(url, clone);
  else if (options.refresh) await update(url, clone);
  let directory = clone;
  if (subdir) {
    let clean: string;
    try {
      clean = checkArtifactPath(subdir);
    } catch {
      throw invalid(`The subfolder '${subdir}' after '#' must be a path inside the repository`);
    }
    directory = join(clone, clean);
    if (!existsSync(directory) || !statSync(directory).isDirectory()) throw invalid(`The repository ${url} has no folder '${subdir}'`);
  }
  return { uri, directory, gitUrl: url };
}

async function cloneInto(url: string, clone: string): Promise<void> {
  mkdirSync(join(clone, '..'), { recursive: true });
  rmSync(clone, { recursive: true, force: true });
  const result = await git(['clone', '--quiet', '--', url, clone]);
  if (!result.ok) {
    rmSync(clone, { recursive: true, force: true });
    throw invalid(`Could not clone ${url}: ${lastLine(result.stderr)}`);
  }
}

/** Brings a cached clone to the remote's current state, dropping anything a previous run left in it. */
async function update(url: string, clone: string): Promise<void> {
  const fetched = await git(['fetch', '--quiet', '--prune', 'origin'], { cwd: clone });
  if (!fetched.ok) throw invalid(`Could not update ${url}: ${lastLine(fetched.stderr)}`);
  const upstream = await git(['rev-parse', '--abbrev-ref', '--symbolic-full-name', '@{upstream}'], { cwd: clone });
  const target = upstream.ok ? upstream.stdout.trim() : 'origin/HEAD';
  const reset = await git(['reset', '--quiet', '--hard', target], { cwd: clone });
  if (!reset.ok) throw invalid(`Could not update ${url}: ${lastLine(reset.stderr)}`);
  await git(['clean', '-ffdxq'], { cwd: clone });
}

function lastLine(text: string): string {
  return text.trim().split('\n').at(-1) ?? 'git failed';
}

/** The git state of a project folder, or undefined outside a repository (or without git). */
export async function gitState(directory: string, gitUrl?: string): Promise<(ProjectGit & { diff?: string }) | undefined> {
  const head = await git(['rev-parse', 'HEAD'], { cwd: directory });
  if (!head.ok) return undefined;
  const [branch, remote, status] = await Promise.all([
    git(['symbolic-ref', '--quiet', '--short', 'HEAD'], { cwd: directory }),
    git(['config', '--get', 'remote.origin.url'], { cwd: directory }),
    git(['status', '--porcelain', '--untracked-files=all'], { cwd: directory }),
  ]);
  const dirty = status.ok && status.stdout.trim() !== '';
  const state: ProjectGit & { diff?: string } = { commit: head.stdout.trim(), dirty };
  if (branch.ok && branch.stdout.trim()) state.branch = branch.stdout.trim();
  const repoUrl = gitUrl ?? (remote.ok ? remote.stdout.trim() : '');
  if (repoUrl) state.repoUrl = repoUrl;
  if (dirty) state.diff = await diffOf(directory, status.stdout);
  return state;
}

/** The changes against HEAD as a patch, with the untracked files listed (their content is not in it). */
async function diffOf(directory: string, porcelain: string): Promise<string> {
  const diff = await git(['diff', '--no-ext-diff', '--no-textconv', '--no-color', 'HEAD'], { cwd: directory });
  const untracked = porcelain
    .split('\n')
    .filter((line) => line.startsWith('?? '))
    .map((line) => `# untracked: ${line.slice(3)}`);
  let text = diff.ok ? diff.stdout : `# git diff failed: ${lastLine(diff.stderr)}\n`;
  if (Buffer.byteLength(text) > MAX_DIFF_BYTES) text = `${text.slice(0, MAX_DIFF_BYTES)}\n# diff cut at ${MAX_DIFF_BYTES} bytes\n`;
  return untracked.length > 0 ? `${text}${untracked.join('\n')}\n` : text;
}
