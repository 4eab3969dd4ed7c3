/**
 * Entities of projects (MLflow's MLproject format): what a project offers to run and what a
 * running project has printed so far.
 */
import { z } from 'zod';
import { runStatus } from './entities.ts';

/** The parameter types of an MLproject entry point. */
export const PROJECT_PARAM_TYPES = ['float', 'int', 'string', 'path', 'uri'] as const;
export const projectParamType = z.enum(PROJECT_PARAM_TYPES);
export type ProjectParamType = z.infer<typeof projectParamType>;

/** Where a project's command runs: this machine as it is, a virtualenv, a conda env or Docker. */
export const ENV_MANAGERS = ['local', 'virtualenv', 'conda', 'docker'] as const;
export const envManager = z.enum(ENV_MANAGERS);
export type EnvManager = z.infer<typeof envManager>;

export const projectParameter = z.object({
  name: z.string(),
  type: projectParamType,
  /** Absent: the parameter is required. */
  default: z.string().optional(),
});
export type ProjectParameter = z.infer<typeof projectParameter>;

export const projectEntryPoint = z.object({
  name: z.string(),
  /** The command template, `{name}` marking where each parameter goes. */
  command: z.string(),
  parameters: z.array(projectParameter),
  /**
   * A `.py` or `.sh` file of the project run as MLflow runs one: its parameters are not declared,
   * every one given is passed as `--key value`.
   */
  isScript: z.boolean(),
});
export type ProjectEntryPoint = z.infer<typeof projectEntryPoint>;

export const projectEnvironment = z.object({
  kind: z.enum(['none', 'python_env', 'conda_env', 'docker_env']),
  /** The environment file (python_env, conda_env), relative to the project. */
  file: z.string().optional(),
  /** The Docker image (docker_env). */
  image: z.string().optional(),
  /** The manager used when the caller names none. */
  defaultManager: envManager,
});
export type ProjectEnvironment = z.infer<typeof projectEnvironment>;

export const projectGit = z.object({
  commit: z.string(),
  branch: z.string().optional(),
  repoUrl: z.string().optional(),
  /** Whether the working tree differs from the commit (changed or untracked files). */
  dirty: z.boolean(),
});
export type ProjectGit = z.infer<typeof projectGit>;

export const projectInfo = z.object({
  /** What the caller named: a folder or a git URL. */
  uri: z.string(),
  /** The folder the project runs in (for a git URL, its clone in the cache). */
  directory: z.string(),
  name: z.string(),
  hasMLproject: z.boolean(),
  entryPoints: z.array(projectEntryPoint),
  environment: projectEnvironment,
  /** Problems that do not stop a run, such as unknown keys in the MLproject file. */
  warnings: z.array(z.string()),
  git: projectGit.optional(),
});
export type ProjectInfo = z.infer<typeof projectInfo>;

/** One problem with the parameters of a run; `param` names the field when there is one. */
export const paramIssue = z.object({ param: z.string().optional(), message: z.string() });
export type ParamIssue = z.infer<typeof paramIssue>;

/** What a run of a project is asked for. */
export const projectRunRequest = z.object({
  uri: z.string().min(1),
  /** Default: `main`. */
  entryPoint: z.string().min(1).optional(),
  /** Parameter values as text, as given on a command line. */
  params: z.record(z.string(), z.string()).optional(),
  /** For a folder without an MLproject file: the command to run (parameters are appended as `--key value`). */
  command: z.string().min(1).optional(),
  envManager: envManager.optional(),
  /** An experiment by id; or by name, created when missing. Default: the Default experiment. */
  experimentId: z.string().min(1).optional(),
  experimentName: z.string().min(1).optional(),
  runName: z.string().optional(),
});
export type ProjectRunRequest = z.infer<typeof projectRunRequest>;

/** A piece of a running project's output; `system` lines are Flowdesk's own (environment set-up, exit). */
export const logChunk = z.object({ stream: z.enum(['stdout', 'stderr', 'system']), text: z.string() });
export type LogChunk = z.infer<typeof logChunk>;

export const projectRunState = z.object({
  runId: z.string(),
  experimentId: z.string(),
  /** `preparing` while the environment is set up, `running` while the command runs, then `done`. */
  phase: z.enum(['preparing', 'running', 'done']),
  /** The run's status once done (FINISHED, FAILED or KILLED); RUNNING before. */
  status: runStatus,
  exitCode: z.number().int().nullable(),
  /** The command as it runs, parameters substituted and quoted. */
  command: z.string(),
});
export type ProjectRunState = z.infer<typeof projectRunState>;
