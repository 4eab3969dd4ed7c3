/**
 * Who lets a contract call run code on this machine. Running a project's command (and building
 * its environment first: pip runs a package's own setup code) and starting a model server (MLflow
 * loads a Python model's pickles and code) act with the user's rights, so a call alone never does
 * it: the service describes exactly what would start and asks the policy the composition root gave
 * it. The desktop app asks the person in a native dialog, `flowdesk serve --allow-run` allowed it
 * when the person started the server, and without a policy nothing runs (the default refuses).
 * A script in the page (a future XSS) can call the contract, but cannot answer for the person.
 */
import { FlowdeskError } from '#core/api/errors.ts';
import type { ExecutionMode } from '#core/api/execution-contract.ts';
import type { EnvManager } from '#core/api/projects-entities.ts';

/** A project run about to start, as the person must see it before it does. */
export interface ProjectRunAction {
  kind: 'project.run';
  /** The folder or git URL as asked. */
  uri: string;
  /** The folder the command runs in (a git URL's clone in the cache). */
  directory: string;
  gitUrl?: string;
  git?: { commit: string; branch?: string; dirty: boolean };
  /** The entry point's name; '' for a command of the caller's own. */
  entryPoint: string;
  /** The shell command line that will run, parameters substituted. */
  command: string;
  params: Record<string, string>;
  envManager: EnvManager;
  /** What builds the environment before the command (creating a virtualenv, pip install ...). */
  setup: string[];
  /** What else there is to know about the environment (the Docker image, a virtualenv reused). */
  notes: string[];
  /** The tracking server the command logs to (its MLFLOW_TRACKING_URI). */
  trackingUri: string;
}

/** A model server about to start. */
export interface ModelServeAction {
  kind: 'model.serve';
  modelUri: string;
  host: string;
  /** 0: any free port. */
  port: number;
  /** `onnx` runs in this process; `python` is MLflow's server in `python`, which loads the model's code. */
  serving: 'onnx' | 'python';
  flavors: string[];
  python?: string;
}

export type ExecutionAction = ProjectRunAction | ModelServeAction;

export interface ExecutionPolicy {
  readonly mode: ExecutionMode;
  /** For the window: how running works here, or how to allow it. */
  readonly message: string;
  /** Resolves when `action` may start; rejects with PERMISSION_DENIED, and nothing starts, otherwise. */
  confirm(action: ExecutionAction): Promise<void>;
}

/** What the default policy says: an in-process Flowdesk opened without one runs nothing for its callers. */
export const NO_POLICY_MESSAGE = 'This Flowdesk runs no projects and starts no model servers for its callers: it was opened without a way for the person to confirm them';

/** A policy that refuses everything, saying `message` (which should tell how to allow it). */
export function refuseExecution(message: string = NO_POLICY_MESSAGE): ExecutionPolicy {
  return {
    mode: 'off',
    message,
    confirm: async () => {
      throw new FlowdeskError('PERMISSION_DENIED', message);
    },
  };
}

/** A policy for when the person allowed running already (a command line they typed, a flag they gave). */
export function allowExecution(message: string): ExecutionPolicy {
  return { mode: 'allowed', message, confirm: async () => undefined };
}

/**
 * A policy that asks the person about each action (`ask` answers true to go ahead). One question
 * at a time: a call arriving while one is open is refused, so a page cannot queue up dialogs
 * hoping for a reflexive click.
 */
export function askPerson(ask: (action: ExecutionAction) => Promise<boolean>, message: string): ExecutionPolicy {
  let asking = false;
  return {
    mode: 'ask',
    message,
    async confirm(action) {
      if (asking) throw new FlowdeskError('PERMISSION_DENIED', `Not started: another request to ${what(action)} is waiting for your answer`);
      asking = true;
      let yes: boolean;
      try {
        yes = await ask(action);
      } finally {
        asking = false;
      }
      if (!yes) throw new FlowdeskError('PERMISSION_DENIED', `Cancelled: you did not confirm, so nothing was started (${summary(action)})`);
    },
  };
}

function what(action: ExecutionAction): string {
  return action.kind === 'project.run' ? 'run a project' : 'serve a model';
}

function summary(action: ExecutionAction): string {
  return action.kind === 'project.run' ? `the command ${clip(action.command, 200)}` : `the model server for ${action.modelUri}`;
}

function clip(text: string, length: number): string {
  return text.length > length ? `${text.slice(0, length)}…` : text;
}

/**
 * What a confirmation dialog shows: a question, and every detail of what will start (the command
 * line in full, since that is what runs).
 */
export function describeAction(action: ExecutionAction): { title: string; question: string; detail: string } {
  if (action.kind === 'project.run') {
    const lines = [
      action.gitUrl ? `Git repository: ${action.gitUrl}` : `Folder: ${action.directory}`,
      ...(action.gitUrl ? [`Cloned into: ${action.directory}`] : []),
      ...(action.git ? [`Commit: ${action.git.commit.slice(0, 12)}${action.git.branch ? ` (${action.git.branch})` : ''}${action.git.dirty ? ', with uncommitted changes' : ''}`] : []),
      action.entryPoint === '' ? 'Entry point: a command of its own' : `Entry point: ${action.entryPoint}`,
      `Command: ${action.command}`,
      `Parameters: ${Object.keys(action.params).length === 0 ? 'none' : Object.entries(action.params).map(([k, v]) => `${k}=${v}`).join(', ')}`,
      `Environment: ${action.envManager}`,
      ...action.setup.map((step) => `  First: ${step}`),
      ...action.notes.map((note) => `  ${note}`),
      `Logs to: ${action.trackingUri} (MLFLOW_TRACKING_URI; MLFLOW_RUN_ID names the new run)`,
      '',
      "The command runs on this computer with your user's rights.",
    ];
    return { title: 'Run a project?', question: 'Run this command on this computer?', detail: lines.join('\n') };
  }
  const lines = [
    `Model: ${action.modelUri}`,
    `Flavors: ${action.flavors.join(', ') || 'none'}`,
    action.serving === 'onnx' ? 'Served by: ONNX Runtime inside Flowdesk' : `Served by: MLflow's model server in ${action.python ?? 'python3'}, which loads the model's Python code`,
    `Listens on: ${action.host}${action.port === 0 ? ', any free port' : `:${action.port}`}`,
  ];
  if (action.serving === 'python') lines.push('', "The model's code runs on this computer with your user's rights.");
  return { title: 'Serve a model?', question: 'Start a model server on this computer?', detail: lines.join('\n') };
}
