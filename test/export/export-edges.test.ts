/** What `flowdesk export` refuses, leaves out and leaves behind, without the Python clients. */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exportMlruns } from '#core/export/export-mlruns.ts';
import { openFlowdesk } from '#core/flowdesk.ts';
import { createClient } from '#core/api/client.ts';
import { IN_PROCESS_OWNER } from '#core/api/access.ts';
import { dispatch } from '#core/api/dispatch.ts';
import { testFlowdesk } from '../helpers/flowdesk.ts';
import { tempDir } from '../helpers/temp-dir.ts';

describe('flowdesk export', () => {
  it('refuses a target folder that holds something other than an export, and writes nothing', async () => {
    const { fd } = await testFlowdesk();
    const parent = tempDir();
    const target = join(parent, 'mine');
    mkdirSync(target);
    writeFileSync(join(target, 'thesis.tex'), 'precious');
    await expect(exportMlruns({ flowdesk: fd, to: target })).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE', message: expect.stringContaining('not a previous Flowdesk export') });
    expect(readdirSync(target)).toEqual(['thesis.tex']);
    expect(readdirSync(parent)).toEqual(['mine']);
  });

  it('leaves out and reports the keys and model names MLflow’s file store cannot hold, writing the rest', async () => {
    const { fd, api } = await testFlowdesk();
    const { run } = await api.call('runs.create', { runName: 'r' });
    await api.call('runs.logBatch', {
      runId: run.info.runId,
      params: [{ key: 'a:b', value: '1' }, { key: 'ok', value: '2' }, { key: 'dir', value: '3' }, { key: 'dir/inner', value: '4' }],
    });
    await api.call('registry.createModel', { name: 'top-10%' });
    const target = join(tempDir(), 'mlruns');
    const report = await exportMlruns({ flowdesk: fd, to: target });
    expect(report.skipped.map((s) => s.what)).toEqual([`run ${run.info.runId} param 'a:b'`, `run ${run.info.runId} param 'dir'`, "registered model 'top-10%'"]);
    const params = join(target, '0', run.info.runId, 'params');
    expect(readFileSync(join(params, 'ok'), 'utf8')).toBe('2');
    expect(readFileSync(join(params, 'dir', 'inner'), 'utf8')).toBe('4');
    expect(report.counts.params).toBe(2);
  });

  it('names an experiment or run that is not there', async () => {
    const { fd } = await testFlowdesk();
    const target = join(tempDir(), 'mlruns');
    await expect(exportMlruns({ flowdesk: fd, to: target, experiments: ['nope'] })).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST', message: "No experiment named or numbered 'nope'" });
    await expect(exportMlruns({ flowdesk: fd, to: target, runs: ['0123456789abcdef0123456789abcdef'] })).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
    expect(existsSync(target)).toBe(false);
  });

  it('shows an interrupted export only as a partial folder beside the target, which the next export replaces', async () => {
    const { fd, api } = await testFlowdesk();
    const { run } = await api.call('runs.create', { runName: 'r' });
    await api.call('runs.logMetric', { runId: run.info.runId, key: 'loss', value: 1, timestamp: 1, step: 0 });
    const parent = tempDir();
    const target = join(parent, 'mlruns');
    // A reader that fails half-way stands for the process dying mid-export.
    const failing = { ...fd, handlers: { ...fd.handlers, 'metrics.history': () => Promise.reject(new Error('cut')) } };
    await expect(exportMlruns({ flowdesk: failing, to: target })).rejects.toThrow('cut');
    expect(existsSync(target)).toBe(false);
    expect(readdirSync(parent)).toEqual(['.mlruns.flowdesk-export-partial']);
    const lines: string[] = [];
    await exportMlruns({ flowdesk: fd, to: target, out: (l) => lines.push(l) });
    expect(lines[0]).toContain('left by an export that did not finish');
    expect(readdirSync(parent)).toEqual(['mlruns']);
    expect(readFileSync(join(target, '0', run.info.runId, 'metrics', 'loss'), 'utf8')).toBe('1 1.0 0\n');
  });

  it('runs from the command line on a data folder and prints what it wrote', async () => {
    const dataDir = tempDir();
    const fd = await openFlowdesk({ dataDir });
    const api = createClient((name, input) => dispatch(fd.handlers, name, input, IN_PROCESS_OWNER, () => undefined));
    const { experimentId } = await api.call('experiments.create', { name: 'cli' });
    await api.call('runs.create', { experimentId, runName: 'one' });
    await fd.close();
    const target = join(tempDir(), 'out');
    const cli = spawnSync(process.execPath, ['bin/flowdesk.js', 'export', '--to', target, '--experiment', 'cli', '--data-dir', dataDir], { encoding: 'utf8' });
    expect(cli.stderr).toBe('');
    expect(cli.status).toBe(0);
    expect(cli.stdout).toContain('Exported 2 experiment(s), 1 run(s)');
    expect(readFileSync(join(target, experimentId, 'meta.yaml'), 'utf8')).toContain('name: cli');
    const missing = spawnSync(process.execPath, ['bin/flowdesk.js', 'export', '--data-dir', dataDir], { encoding: 'utf8' });
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('flowdesk export needs --to <folder>');
  });
});
