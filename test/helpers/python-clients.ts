/**
 * The real, unmodified MLflow Python clients of `../shared/python-clients` (2.12.2 and 3.5.1),
 * run with Debian's python3 against a real Flowdesk server. Where that folder is absent (a clone
 * elsewhere) the suites that need it say so in one line; in CI (`CI=true`, or
 * FLOWDESK_REQUIRE_PYTHON_CLIENTS=1) its absence fails instead, as the S3 runs do.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll } from 'vitest';

export const CLIENT_VERSIONS = ['2.12.2', '3.5.1'] as const;
export type ClientVersion = (typeof CLIENT_VERSIONS)[number];

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Where the clients are: FLOWDESK_PYTHON_CLIENTS, else `shared/python-clients` beside the repository. */
export const PYTHON_CLIENTS_DIR = process.env.FLOWDESK_PYTHON_CLIENTS ?? resolve(repoRoot, '..', 'shared', 'python-clients');

/** Whether their absence must fail rather than be reported. */
export const PYTHON_CLIENTS_REQUIRED = process.env.CI === 'true' || process.env.FLOWDESK_REQUIRE_PYTHON_CLIENTS === '1';

/** Why the real-client suites cannot run here; undefined when they can. */
export const PYTHON_CLIENTS_NOT_RUN_REASON = existsSync(join(PYTHON_CLIENTS_DIR, 'env.sh'))
  ? undefined
  : `the real MLflow clients are not at ${PYTHON_CLIENTS_DIR} (set FLOWDESK_PYTHON_CLIENTS to the python-clients folder)`;

const environments = new Map<ClientVersion, NodeJS.ProcessEnv>();

/**
 * The environment `env.sh <version>` sets up (PATH, PYTHONPATH, MLFLOW_PYTHON, ...), read once per
 * version by sourcing it in bash. It only checks the Debian packages here: `.ci/run` installs them.
 */
export function clientEnvironment(version: ClientVersion): NodeJS.ProcessEnv {
  const known = environments.get(version);
  if (known) return known;
  if (PYTHON_CLIENTS_NOT_RUN_REASON) throw new Error(PYTHON_CLIENTS_NOT_RUN_REASON);
  const script = `. "$1" "$2" >&2 && env -0`;
  const out = execFileSync('bash', ['-c', script, 'bash', join(PYTHON_CLIENTS_DIR, 'env.sh'), version], {
    env: { ...process.env, PYTHON_CLIENTS_NO_APT: '1' },
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024,
  });
  const env: NodeJS.ProcessEnv = {};
  for (const entry of out.split('\0')) {
    const eq = entry.indexOf('=');
    if (eq > 0) env[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  // A tracking URI or token of the developer's own shell must never leak into a test.
  for (const key of Object.keys(env)) if (key.startsWith('MLFLOW_TRACKING_') || key.startsWith('FLOWDESK_')) delete env[key];
  environments.set(version, env);
  return env;
}

export interface PythonResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command (python3, mlflow, ...) with a client version's environment plus `env`. */
export function runWithClient(
  version: ClientVersion,
  command: string,
  args: string[],
  options: { env?: Record<string, string>; cwd?: string; input?: string; timeoutMs?: number } = {},
): Promise<PythonResult> {
  const env = { ...clientEnvironment(version), ...options.env };
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { env, cwd: options.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 170_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}

/**
 * Runs a Python script with the real client against `trackingUri` and returns what it printed
 * last on stdout as JSON (scripts end with `print(json.dumps(result))`). A non-zero exit throws
 * with the script's stderr, so a failing client call fails the test with MLflow's own message.
 */
export async function runPython<T = unknown>(
  version: ClientVersion,
  trackingUri: string,
  source: string,
  options: { env?: Record<string, string>; cwd?: string; timeoutMs?: number } = {},
): Promise<T> {
  // Its own folder, removed here rather than by onTestFinished, so that beforeAll may run scripts too.
  const ownDir = options.cwd ? undefined : mkdtempSync(join(tmpdir(), 'flowdesk-py-'));
  const dir = options.cwd ?? ownDir!;
  const file = join(dir, 'script.py');
  writeFileSync(file, source);
  const result = await runWithClient(version, 'python3', [file], {
    cwd: dir,
    timeoutMs: options.timeoutMs,
    env: { MLFLOW_TRACKING_URI: trackingUri, MLFLOW_HTTP_REQUEST_MAX_RETRIES: '0', ...options.env },
  }).finally(() => {
    if (ownDir) rmSync(ownDir, { recursive: true, force: true });
  });
  if (result.code !== 0) throw new Error(`python3 (MLflow ${version}) exited ${result.code}:\n${result.stderr.slice(-4000)}`);
  const lines = result.stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1] ?? 'null') as T;
}

/**
 * Starts one script per client version, all at once, in a `beforeAll` of the calling block (call
 * it after the server's own beforeAll is registered): each script pays seconds importing mlflow,
 * and they are independent. Returns the result of a version's script, for its tests to await.
 */
export function runPythonPerVersion<T>(
  trackingUri: () => string,
  source: (version: ClientVersion) => string,
  options: { env?: Record<string, string>; timeoutMs?: number } = {},
): (version: ClientVersion) => Promise<T> {
  const started = new Map<ClientVersion, Promise<T>>();
  beforeAll(() => {
    for (const version of CLIENT_VERSIONS) {
      const result = runPython<T>(version, trackingUri(), source(version), options);
      // Its failure is reported where that version's tests await it, not as an unhandled rejection.
      result.catch(() => undefined);
      started.set(version, result);
    }
    // Reading each version's environment (env.sh checks the Debian packages) is synchronous and slow on a busy machine.
  }, 120_000);
  return (version) => started.get(version) ?? Promise.reject(new Error(`no script was started for MLflow ${version}`));
}
