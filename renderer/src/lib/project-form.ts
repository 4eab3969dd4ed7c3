/**
 * Pure helpers of the Run project form: what an earlier project run asks to run again, and the
 * request the form sends.
 */
import type { Run } from '#core/api/entities.ts';
import type { EnvManager, ProjectEntryPoint, ProjectRunRequest } from '#core/api/projects-entities.ts';

/** What the form holds. */
export interface ProjectFormValues {
  uri: string;
  entryPoint: string;
  /** For a folder without MLproject: a command instead of a script. */
  command: string;
  params: Record<string, string>;
  /** Parameters the entry point does not declare, passed as `--key value`. */
  extras: { key: string; value: string }[];
  /** '' for the project's own choice. */
  envManager: EnvManager | '';
  experimentId: string;
}

/** Whether a run was started from a project (and so can run again). */
export function isProjectRun(tags: ReadonlyMap<string, string>): boolean {
  return tags.get('mlflow.source.type') === 'PROJECT' && (tags.get('mlflow.source.name') ?? '') !== '';
}

/** The form values that run a project run again: same source, entry point, parameters, environment and experiment. */
export function valuesFromRun(run: Run): ProjectFormValues {
  const tags = new Map(run.data.tags.map((t) => [t.key, t.value]));
  const env = tags.get('mlflow.project.env');
  return {
    uri: tags.get('mlflow.source.name') ?? '',
    entryPoint: tags.get('mlflow.project.entryPoint') ?? '',
    command: tags.get('flowdesk.project.userCommand') ?? '',
    params: Object.fromEntries(run.data.params.map((p) => [p.key, p.value])),
    extras: [],
    envManager: env === 'local' || env === 'virtualenv' || env === 'conda' || env === 'docker' ? env : '',
    experimentId: run.info.experimentId,
  };
}

/**
 * Splits given values over an entry point: its declared parameters (what was given, else the
 * default) and the rest, which travel as extra `--key value` parameters.
 */
export function splitParams(entry: ProjectEntryPoint | undefined, given: Record<string, string>): Pick<ProjectFormValues, 'params' | 'extras'> {
  const params: Record<string, string> = {};
  for (const p of entry?.parameters ?? []) params[p.name] = given[p.name] ?? p.default ?? '';
  const extras = Object.entries(given)
    .filter(([key]) => !Object.hasOwn(params, key))
    .map(([key, value]) => ({ key, value }));
  return { params, extras };
}

/**
 * The request for the form's values. Required parameters left empty are left out, so core names
 * them as missing; optional ones are sent as typed.
 */
export function requestOf(values: ProjectFormValues, entry: ProjectEntryPoint | undefined): ProjectRunRequest {
  const params: Record<string, string> = {};
  for (const [key, value] of Object.entries(values.params)) {
    const declared = entry?.parameters.find((p) => p.name === key);
    if (declared && declared.default === undefined && value === '') continue;
    params[key] = value;
  }
  for (const { key, value } of values.extras) if (key.trim() !== '') params[key.trim()] = value;
  const request: ProjectRunRequest = { uri: values.uri.trim(), params, experimentId: values.experimentId || undefined };
  if (values.envManager !== '') request.envManager = values.envManager;
  if (entry) request.entryPoint = entry.name;
  else if (values.command.trim() !== '') request.command = values.command.trim();
  return request;
}
