import { describe, expect, it } from 'vitest';
import type { Run } from '#core/api/entities.ts';
import type { ProjectEntryPoint } from '#core/api/projects-entities.ts';
import { isProjectRun, requestOf, splitParams, valuesFromRun } from '../../renderer/src/lib/project-form.ts';
import { parseRoute, routeHref } from '../../renderer/src/lib/route.ts';

const entry: ProjectEntryPoint = {
  name: 'main',
  command: 'train {alpha} {label}',
  isScript: false,
  parameters: [
    { name: 'alpha', type: 'float', default: '0.5' },
    { name: 'label', type: 'string' },
  ],
};

function projectRun(tags: Record<string, string>, params: Record<string, string>): Run {
  return {
    info: { runId: 'r1', runName: 'x', experimentId: '4', userId: 'u', status: 'FINISHED', startTime: 1, endTime: 2, artifactUri: 'mlflow-artifacts:/4/r1/artifacts', lifecycleStage: 'active' },
    data: { metrics: [], params: Object.entries(params).map(([key, value]) => ({ key, value })), tags: Object.entries(tags).map(([key, value]) => ({ key, value })) },
    inputs: { datasetInputs: [] },
  } as unknown as Run;
}

describe('the Run project form', () => {
  it('knows a project run by its source tags', () => {
    expect(isProjectRun(new Map([['mlflow.source.type', 'PROJECT'], ['mlflow.source.name', '/p']]))).toBe(true);
    expect(isProjectRun(new Map([['mlflow.source.type', 'LOCAL'], ['mlflow.source.name', 'train.py']]))).toBe(false);
    expect(isProjectRun(new Map([['mlflow.source.type', 'PROJECT']]))).toBe(false);
  });

  it('takes the source, entry point, params, environment and experiment of a run to run it again', () => {
    const run = projectRun({ 'mlflow.source.type': 'PROJECT', 'mlflow.source.name': 'https://host/repo.git', 'mlflow.project.entryPoint': 'main', 'mlflow.project.env': 'virtualenv' }, { alpha: '0.1', label: 'x', extra: '1' });
    expect(valuesFromRun(run)).toEqual({ uri: 'https://host/repo.git', entryPoint: 'main', command: '', params: { alpha: '0.1', label: 'x', extra: '1' }, extras: [], envManager: 'virtualenv', experimentId: '4' });
    expect(valuesFromRun(projectRun({ 'mlflow.source.name': '/p', 'flowdesk.project.userCommand': 'bash go.sh' }, {}))).toMatchObject({ entryPoint: '', command: 'bash go.sh', envManager: '' });
  });

  it('splits values into declared parameters (defaults filling gaps) and extras', () => {
    expect(splitParams(entry, { label: 'x', batch: '32' })).toEqual({ params: { alpha: '0.5', label: 'x' }, extras: [{ key: 'batch', value: '32' }] });
    expect(splitParams(undefined, { k: 'v' })).toEqual({ params: {}, extras: [{ key: 'k', value: 'v' }] });
  });

  it('leaves an empty required parameter out so core names it missing, and sends extras', () => {
    const values = { uri: ' /p ', entryPoint: 'main', command: '', params: { alpha: '', label: '' }, extras: [{ key: 'batch', value: '32' }, { key: ' ', value: 'dropped' }], envManager: '' as const, experimentId: '2' };
    expect(requestOf(values, entry)).toEqual({ uri: '/p', entryPoint: 'main', params: { alpha: '', batch: '32' }, experimentId: '2' });
    expect(requestOf({ ...values, envManager: 'local', params: {}, extras: [], command: ' bash go.sh ' }, undefined)).toEqual({ uri: '/p', params: {}, experimentId: '2', envManager: 'local', command: 'bash go.sh' });
  });

  it('routes to the form, optionally from a run', () => {
    expect(parseRoute('#/projects/run')).toEqual({ view: 'project-run', from: undefined });
    const again = { view: 'project-run', from: 'abc123' } as const;
    expect(routeHref(again)).toBe('#/projects/run?from=abc123');
    expect(parseRoute(routeHref(again))).toEqual(again);
  });
});
