/**
 * `flowdesk import` as a person runs it: the real CLI as a child process, its help, progress and
 * summary, what a kill -9 or a Ctrl-C in the middle leaves (only whole runs) and how the next run
 * continues, and a TensorBoard file cut off mid-record.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openFlowdesk } from '#core/flowdesk.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { writeSyntheticMlruns } from '../helpers/synthetic-mlruns.ts';
import { writeScalarEventFile } from '../import/tensorboard-logs.ts';

interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI; `until` may stop it with `signal` (SIGKILL unless told) once its output says so. */
function flowdesk(args: string[], until?: (stderr: string) => boolean, signal: NodeJS.Signals = 'SIGKILL'): Promise<Finished & { killed: boolean }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['bin/flowdesk.js', ...args], { env: { ...process.env, FLOWDESK_DATA_DIR: '' } });
    let stdout = '';
    let stderr = '';
    let killed = false;
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
      if (!killed && until?.(stderr)) {
        killed = true;
        child.kill(signal);
      }
    });
    child.on('exit', (code) => resolve({ code, stdout, stderr, killed }));
  });
}

/** Runs and their stored point counts, read from the data folder once no process has it. */
async function storedRuns(dataDir: string): Promise<Map<string, number>> {
  const fd = await openFlowdesk({ dataDir });
  try {
    const rows = await fd.catalog.db
      .selectFrom('runs')
      .leftJoin('metric_series', 'metric_series.run_id', 'runs.id')
      .select(['runs.run_uuid', 'metric_series.point_count'])
      .execute();
    return new Map(rows.map((r) => [r.run_uuid, Number(r.point_count ?? 0)]));
  } finally {
    await fd.close();
  }
}

describe('flowdesk import', () => {
  it('prints progress and a summary, and exits 0 when everything arrived', async () => {
    const mlruns = join(tempDir(), 'mlruns');
    const written = writeSyntheticMlruns(mlruns, 3, 100);
    const dataDir = tempDir();
    const result = await flowdesk(['import', mlruns, '--data-dir', dataDir]);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/done: 2 experiment\(s\), 3 run\(s\), 300 point\(s\)/);
    expect(result.stdout).toContain('runs             3 new, 0 already here');
    expect(result.stdout).toContain('metric points    300 new of 300 read');
    expect([...(await storedRuns(dataDir)).keys()].sort()).toEqual([...written.runIds].sort());
  });

  it('puts every run into the experiment --experiment names', async () => {
    const mlruns = join(tempDir(), 'mlruns');
    writeSyntheticMlruns(mlruns, 2, 10);
    const dataDir = tempDir();
    expect((await flowdesk(['import', mlruns, '--data-dir', dataDir, '--experiment', 'from-laptop'])).code).toBe(0);
    const fd = await openFlowdesk({ dataDir });
    try {
      const { experiment } = await fd.handlers['experiments.getByName']({ name: 'from-laptop' });
      expect((await fd.handlers['runs.search']({ experimentIds: [experiment.experimentId] })).runs).toHaveLength(2);
    } finally {
      await fd.close();
    }
  });

  it('refuses a folder that is neither an mlruns folder nor TensorBoard logs with exit code 1 and what it expected', async () => {
    const result = await flowdesk(['import', tempDir(), '--data-dir', tempDir()]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/neither an mlruns folder \(MLflow's file store.*nor a folder of TensorBoard logs/);
  });

  it('leaves only whole runs after a kill -9 mid-import, and the next import completes the rest once', async () => {
    const mlruns = join(tempDir(), 'mlruns');
    const pointsPerRun = 5_000;
    const written = writeSyntheticMlruns(mlruns, 80, pointsPerRun);
    const dataDir = tempDir();
    // Killed as soon as its progress line shows some runs finished and the import still going.
    const cut = await flowdesk(['import', mlruns, '--data-dir', dataDir], (stderr) => /runs: \d+ experiment\(s\), [1-9]\d* run\(s\)/.test(stderr));
    expect(cut.killed).toBe(true);

    const afterCut = await storedRuns(dataDir);
    expect(afterCut.size).toBeGreaterThan(0);
    expect(afterCut.size).toBeLessThan(written.runIds.length);
    // Every run that shows is whole: nothing half-imported.
    expect([...afterCut.values()].every((points) => points === pointsPerRun)).toBe(true);

    const resumed = await flowdesk(['import', mlruns, '--data-dir', dataDir]);
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toContain(`runs             ${written.runIds.length - afterCut.size} new, ${afterCut.size} already here`);
    const final = await storedRuns(dataDir);
    expect([...final.keys()].sort()).toEqual([...written.runIds].sort());
    expect([...final.values()].every((points) => points === pointsPerRun)).toBe(true);
  }, 300_000);

  it('stops between runs on Ctrl-C with exit 130, leaving only whole runs, and the next import completes the rest once', async () => {
    const mlruns = join(tempDir(), 'mlruns');
    const pointsPerRun = 5_000;
    const written = writeSyntheticMlruns(mlruns, 80, pointsPerRun);
    const dataDir = tempDir();
    const cut = await flowdesk(['import', mlruns, '--data-dir', dataDir], (stderr) => /runs: \d+ experiment\(s\), [1-9]\d* run\(s\)/.test(stderr), 'SIGINT');
    expect(cut.killed).toBe(true);
    expect(cut.code).toBe(130);
    expect(cut.stdout).toContain('Stopped. The runs finished so far are in; run the same command again to continue with the rest.');

    const afterCut = await storedRuns(dataDir);
    expect(afterCut.size).toBeGreaterThan(0);
    expect(afterCut.size).toBeLessThan(written.runIds.length);
    expect([...afterCut.values()].every((points) => points === pointsPerRun)).toBe(true);

    const resumed = await flowdesk(['import', mlruns, '--data-dir', dataDir]);
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toContain(`runs             ${written.runIds.length - afterCut.size} new, ${afterCut.size} already here`);
    expect([...(await storedRuns(dataDir)).values()].every((points) => points === pointsPerRun)).toBe(true);
  }, 300_000);

  it('imports a TensorBoard event file cut off inside its last record up to the cut, names the file and offset, and exits 3', async () => {
    const logs = join(tempDir(), 'tb-logs');
    mkdirSync(join(logs, 'run'), { recursive: true });
    const file = await writeScalarEventFile(join(logs, 'run'), 1000, ['loss']);
    // Walk the TFRecord framing (length, its CRC, data, data CRC) to the last record's start, and cut it in its middle.
    const bytes = readFileSync(file);
    let cutAt = 0;
    for (let next = 0; next < bytes.length; next += 12 + bytes.readUInt32LE(next) + 4) cutAt = next;
    truncateSync(file, cutAt + 15);
    const dataDir = tempDir();
    const result = await flowdesk(['import', logs, '--data-dir', dataDir]);
    expect(result.code).toBe(3);
    expect(result.stdout).toContain('metric points    999 new of 999 read');
    expect(result.stdout).toContain(`${file} at byte ${cutAt}: the file ends inside a record`);
    const stored = await storedRuns(dataDir);
    expect([...stored.values()]).toEqual([999]);
  });

  it('describes every source it takes in its --help: an mlruns folder, a server URL and TensorBoard logs', () => {
    const result = spawnSync(process.execPath, ['bin/flowdesk.js', 'import', '--help'], { encoding: 'utf8' });
    expect(result.status).toBe(0);
    for (const words of ['mlruns/', 'MLflow', 'tracking server', 'MLFLOW_TRACKING_TOKEN', 'TensorBoard logs', 'events.out.tfevents', '--leave-artifacts', '--experiment', '130']) {
      expect(result.stdout).toContain(words);
    }
  });
});
