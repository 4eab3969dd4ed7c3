/**
 * `flowdesk run` honours the tracking URI as `mlflow run` does: with MLFLOW_TRACKING_URI (or
 * FLOWDESK_URI, which wins) naming a server, a project whose script logs with the real MLflow
 * client records its run on that server, not in the data folder, and the first line printed
 * names the server.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { startTestServer } from '../helpers/server.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { CLIENT_VERSIONS, PYTHON_CLIENTS_NOT_RUN_REASON, runWithClient, type ClientVersion } from '../helpers/python-clients.ts';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** A small MLproject whose script logs a metric with the real client into the run flowdesk made. */
function project(): string {
  const dir = join(tempDir('flowdesk-proj-'), 'tiny');
  mkdirSync(dir);
  writeFileSync(
    join(dir, 'MLproject'),
    'name: tiny\nentry_points:\n  main:\n    parameters:\n      alpha: {type: float, default: 0.5}\n    command: "python3 train.py {alpha}"\n',
  );
  writeFileSync(join(dir, 'train.py'), 'import sys, mlflow\nwith mlflow.start_run():\n    mlflow.log_metric("score", float(sys.argv[1]) * 2)\nprint("trained")\n');
  return dir;
}

/** `flowdesk run` of the project with the client's Python on PATH and `env` on top. */
async function flowdeskRun(version: ClientVersion, env: Record<string, string>) {
  const dataDir = tempDir();
  const result = await runWithClient(version, process.execPath, ['bin/flowdesk.js', 'run', project(), '-P', 'alpha=0.75', '--env-manager', 'local', '--data-dir', dataDir], {
    cwd: repoRoot,
    env,
  });
  return { ...result, dataDir };
}

describe.runIf(!PYTHON_CLIENTS_NOT_RUN_REASON)('flowdesk run and the tracking URI', () => {
  it.each(CLIENT_VERSIONS)('logs to the server MLFLOW_TRACKING_URI names and says so first (MLflow %s)', async (version) => {
    const { url, api } = await startTestServer();
    const result = await flowdeskRun(version, { MLFLOW_TRACKING_URI: url });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr.split('\n')[0]).toBe(`flowdesk: logging through the Flowdesk server at ${url} (from MLFLOW_TRACKING_URI)`);
    expect(result.stdout).toContain('trained');
    const { runs } = await api.call('runs.search', { experimentIds: ['0'] });
    expect(runs).toHaveLength(1);
    expect(runs[0]!.info.status).toBe('FINISHED');
    expect(runs[0]!.data.params).toContainEqual({ key: 'alpha', value: '0.75' });
    expect(runs[0]!.data.metrics).toContainEqual(expect.objectContaining({ key: 'score', value: 1.5 }));
    // Nothing went into the data folder: no catalog was opened there.
    expect(existsSync(join(result.dataDir, 'catalog.sqlite'))).toBe(false);
  });

  it('prefers FLOWDESK_URI to MLFLOW_TRACKING_URI', async () => {
    const chosen = await startTestServer();
    const other = await startTestServer();
    const result = await flowdeskRun('3.5.1', { FLOWDESK_URI: chosen.url, MLFLOW_TRACKING_URI: other.url });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr.split('\n')[0]).toBe(`flowdesk: logging through the Flowdesk server at ${chosen.url} (from FLOWDESK_URI)`);
    expect((await chosen.api.call('runs.search', { experimentIds: ['0'] })).runs).toHaveLength(1);
    expect((await other.api.call('runs.search', { experimentIds: ['0'] })).runs).toHaveLength(0);
  });

  it('refuses a tracking URI that does not answer, before running anything', async () => {
    const result = await flowdeskRun('3.5.1', { MLFLOW_TRACKING_URI: 'http://127.0.0.1:9' });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('Flowdesk at http://127.0.0.1:9 (from MLFLOW_TRACKING_URI) is not answering');
    expect(result.stdout).not.toContain('trained');
  });
});
