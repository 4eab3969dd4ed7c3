/**
 * Project runs: the time from asking for a run of a trivial entry point (`true`) to its run being
 * recorded FINISHED with its logs saved, next to spawning the same command in a shell directly,
 * measured in the same run. The difference is what Flowdesk adds to every project run: reading
 * the project, checking parameters, git state, creating the run, saving the logs, closing it.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { allowExecution, openFlowdesk } from '#core/flowdesk.ts';
import { startServer } from '#core/server/server.ts';
import { median, report } from './bench-util.ts';

const RUNS = 20;

function spawnTrue(): Promise<void> {
  return new Promise((resolve) => spawn('/bin/bash', ['-c', 'true --alpha 0.5'], { stdio: 'ignore' }).on('close', () => resolve()));
}

export async function runProjectsBench(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'flowdesk-bench-projects-'));
  const project = join(dir, 'project');
  mkdirSync(project);
  writeFileSync(join(project, 'MLproject'), 'entry_points:\n  main:\n    parameters: {alpha: {type: float, default: 0.5}}\n    command: "true --alpha {alpha}"\n');
  // The bench is the person here: it starts its own trivial project, which no caller could do unasked.
  const fd = await openFlowdesk({ dataDir: join(dir, 'data'), execution: allowExecution('the bench runs its own trivial project') });
  const server = await startServer({ flowdesk: fd, port: 0, version: 'bench', log: () => undefined });
  try {
    const direct: number[] = [];
    const flowdesk: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      let start = performance.now();
      await spawnTrue();
      direct.push(performance.now() - start);
      start = performance.now();
      const final = await (await fd.projects.start({ uri: project })).done;
      if (final.status !== 'FINISHED') throw new Error(`bench run ended ${final.status}`);
      flowdesk.push(performance.now() - start);
    }
    const [d, f] = [median(direct), median(flowdesk)];
    report(`Project run of a trivial entry point, median of ${RUNS}`, [
      ['bash -c directly (baseline)', `${d.toFixed(1)} ms`],
      ['flowdesk project run, recorded', `${f.toFixed(1)} ms  (${(f / d).toFixed(1)}x, +${(f - d).toFixed(1)} ms)`],
    ]);
  } finally {
    await server.close();
    await fd.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
