/**
 * A large mlruns/ folder written directly in MLflow's file-store layout (the layout the
 * real-client import tests prove), for tests and benchmarks that need many runs and millions of
 * points faster than the MLflow client writes them.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface SyntheticMlruns {
  experimentId: string;
  runIds: string[];
  points: number;
}

/** Writes `runs` runs of one experiment ('synthetic'), each with a param, a tag and `pointsPerRun` points of `loss`. */
export function writeSyntheticMlruns(root: string, runs: number, pointsPerRun: number): SyntheticMlruns {
  const experimentId = '412';
  const experimentDir = join(root, experimentId);
  mkdirSync(join(root, '0'), { recursive: true });
  writeFileSync(join(root, '0', 'meta.yaml'), `artifact_location: file://${root}/0\ncreation_time: 1700000000000\nexperiment_id: '0'\nlast_update_time: 1700000000000\nlifecycle_stage: active\nname: Default\n`);
  mkdirSync(experimentDir);
  writeFileSync(join(experimentDir, 'meta.yaml'), `artifact_location: file://${experimentDir}\ncreation_time: 1700000000000\nexperiment_id: '${experimentId}'\nlast_update_time: 1700000000000\nlifecycle_stage: active\nname: synthetic\n`);
  const runIds: string[] = [];
  for (let r = 0; r < runs; r++) {
    const runId = randomBytes(16).toString('hex');
    runIds.push(runId);
    const dir = join(experimentDir, runId);
    for (const sub of ['metrics', 'params', 'tags', 'artifacts']) mkdirSync(join(dir, sub), { recursive: true });
    writeFileSync(
      join(dir, 'meta.yaml'),
      `artifact_uri: file://${dir}/artifacts\nend_time: 1700000100000\nentry_point_name: ''\nexperiment_id: '${experimentId}'\nlifecycle_stage: active\nrun_id: ${runId}\nrun_name: run-${r}\nrun_uuid: ${runId}\nsource_name: ''\nsource_type: 4\nsource_version: ''\nstart_time: 1700000000000\nstatus: 3\ntags: []\nuser_id: bench\n`,
    );
    writeFileSync(join(dir, 'params', 'lr'), String(r / 1000));
    writeFileSync(join(dir, 'tags', 'mlflow.runName'), `run-${r}`);
    const lines: string[] = new Array(pointsPerRun);
    for (let step = 0; step < pointsPerRun; step++) lines[step] = `${1700000000000 + step} ${1 / (step + 1 + r)} ${step}`;
    writeFileSync(join(dir, 'metrics', 'loss'), `${lines.join('\n')}\n`);
  }
  return { experimentId, runIds, points: runs * pointsPerRun };
}
