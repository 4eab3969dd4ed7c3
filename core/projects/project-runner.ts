/**
 * Runs projects: resolves the project, checks its parameters (a problem stops everything before a
 * run exists), creates the run with its params and source tags through the contract, builds the
 * environment and runs the command in its own process group with MLFLOW_TRACKING_URI and
 * MLFLOW_RUN_ID set, so the script's logging lands in that run. Output streams live (to a
 * listener and to `log`) and is saved as the artifacts `logs/stdout.txt` and `logs/stderr.txt`;
 * exit 0 ends the run FINISHED, any other FAILED, a cancel KILLED (the whole process group).
 * Nothing of the project runs, and no run exists, until the execution policy has let the exact
 * command line start (core/execution/execution-policy.ts).
 *
 * The runner reaches the catalog only through a contract client and an artifact writer, so the
 * same code runs inside the server (for the window) and in `flowdesk run` talking to a server.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdtempSync, rmSync, statSync, writeFileSync, type WriteStream } from 'node:fs';
import { constants, tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import type { Client } from '#core/api/client.ts';
import type { RunStatus, Tag } from '#core/api/entities.ts';
import { FlowdeskError, invalid, notFound } from '#core/api/errors.ts';
import type { LogChunk, ParamIssue, ProjectEntryPoint, ProjectInfo, ProjectRunRequest, ProjectRunState } from '#core/api/projects-entities.ts';
import { checkArtifactPath } from '#core/api/artifact-path.ts';
import { refuseExecution, type ExecutionPolicy } from '#core/execution/execution-policy.ts';
import { prepareEnvironment, type PreparedEnvironment } from './environments.ts';
import { loadProject, scriptEntryPoint, type ProjectSpec } from './mlproject.ts';
import { checkParameters, describeParamIssues, type CheckedParameters } from './parameters.ts';
import { gitState, resolveProjectSource, type ProjectSource } from './project-source.ts';

/** Where the tracking server the scripts log to listens. */
export interface TrackingServer {
  url: string;
  token?: string;
  /**
   * Whether it listens beyond loopback (team mode). Such a server runs no projects: whoever holds
   * its token may log runs, which must not mean running commands on the server's machine.
   */
  exposed?: boolean;
}

/** The run a file is saved into. */
export interface ArtifactTarget {
  runId: string;
  experimentId: string;
  artifactUri: string;
}

export interface ProjectRunnerOptions {
  /** The contract, in process or over HTTP. */
  api: Client;
  /** Saves a local file as an artifact of a run at `path`. */
  saveArtifact(target: ArtifactTarget, path: string, localFile: string): Promise<void>;
  /** Where git clones (`git/`) and built environments (`envs/`) are cached. */
  cacheDir: string;
  /** The server scripts log to, when it is known at creation (`useServer` sets it later). */
  server?: TrackingServer;
  /** The environment commands inherit; `process.env` by default. */
  env?: NodeJS.ProcessEnv;
  /** Where internal failures (a log that could not be saved) are reported. */
  report?: (message: string, err: unknown) => void;
  now?: () => number;
  /** Who lets a run start: asked with the command line before anything of the project runs. Refuses by default. */
  execution?: ExecutionPolicy;
}

/** A run that has started; `done` settles with its final state. */
export interface StartedRun {
  state: ProjectRunState;
  done: Promise<ProjectRunState>;
}

export interface StartOptions {
  /** Resolves a relative folder path; the process's working directory by default. */
  cwd?: string;
  /** Hears every piece of output as it arrives (the CLI prints it). */
  onOutput?(chunk: LogChunk): void;
  /**
   * Who lets this run start, instead of the runner's policy: `flowdesk run` passes its own, since
   * the person typed the command. Contract calls never set it.
   */
  execution?: ExecutionPolicy;
}

export interface ProjectRunner {
  /** Sets (or clears) the server scripts log to: the server calls this once it listens. */
  useServer(server: TrackingServer | undefined): void;
  inspect(uri: string, cwd?: string): Promise<ProjectInfo>;
  validate(request: ProjectRunRequest, cwd?: string): Promise<{ issues: ParamIssue[]; command?: string }>;
  start(request: ProjectRunRequest, options?: StartOptions): Promise<StartedRun>;
  /** Output after chunk `after` of a run this runner started. */
  log(runId: string, after?: number): { state: ProjectRunState; chunks: LogChunk[]; next: number; truncated: boolean };
  cancel(runId: string): Promise<ProjectRunState>;
  /** Stops every running project (KILLED) and waits until their runs are closed. */
  shutdown(): Promise<void>;
}

/** Output kept in memory per run for the live view; the files keep everything. */
const LIVE_LOG_BYTES = 2 * 1024 * 1024;
/** Finished runs whose live log stays readable, newest kept. */
const KEEP_FINISHED = 50;
/** How long a terminated process group has before it is killed outright. */
const KILL_GRACE_MS = 5000;

interface Active {
  state: ProjectRunState;
  chunks: (LogChunk & { seq: number; bytes: number })[];
  nextSeq: number;
  liveBytes: number;
  files: { stdout: WriteStream; stderr: WriteStream };
  logDir: string;
  env: PreparedEnvironment;
  child?: ChildProcess;
  cancelled: boolean;
  onOutput?: (chunk: LogChunk) => void;
  done: Promise<ProjectRunState>;
}

interface Plan {
  source: ProjectSource;
  spec: ProjectSpec;
  entry: ProjectEntryPoint;
  checked: CheckedParameters;
}

/** The entry point a request names: declared, a script of the project, or a command of its own. */
function pickEntryPoint(spec: ProjectSpec, request: ProjectRunRequest, directory: string): ProjectEntryPoint {
  if (request.command !== undefined) {
    if (spec.hasMLproject) throw invalid(`This project has an MLproject file: run one of its entry points (${spec.entryPoints.map((e) => e.name).join(', ')}) instead of a command`);
    return { name: '', command: request.command, parameters: [], isScript: true };
  }
  const name = request.entryPoint ?? 'main';
  const declared = spec.entryPoints.find((e) => e.name === name);
  if (declared) return declared;
  if (/\.(py|sh)$/.test(name)) {
    let clean: string | undefined;
    try {
      clean = checkArtifactPath(name);
    } catch {
      // refused below, with the choices
    }
    if (clean !== undefined && existsFile(join(directory, clean))) return scriptEntryPoint(clean);
  }
  const choices = spec.entryPoints.map((e) => e.name);
  if (!spec.hasMLproject) {
    throw invalid(`This folder has no MLproject file: name a script to run${choices.length ? ` (${choices.join(', ')})` : ''} as the entry point, or give a command`);
  }
  throw invalid(`The project has no entry point '${name}'; it has ${choices.join(', ')}`);
}

function existsFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** Sends a signal to a child's whole process group (its own children too). */
function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    if (process.platform === 'win32') child.kill(signal);
    else process.kill(-child.pid, signal);
  } catch (err) {
    // The group is already gone: nothing left to stop.
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

export function createProjectRunner(options: ProjectRunnerOptions): ProjectRunner {
  const { api } = options;
  const env = options.env ?? process.env;
  const now = options.now ?? Date.now;
  const report = options.report ?? ((message: string, err: unknown) => console.error(message, err));
  const execution = options.execution ?? refuseExecution();
  let server = options.server;
  const runs = new Map<string, Active>();

  /** Refuses project work on a server other machines reach. */
  function requireLocal(): void {
    if (server?.exposed) throw new FlowdeskError('PERMISSION_DENIED', 'This Flowdesk listens beyond this machine, and such a server runs no projects: run them with a Flowdesk on loopback, or with flowdesk run');
  }

  async function plan(request: ProjectRunRequest, cwd: string | undefined, refresh: boolean): Promise<Plan> {
    const source = await resolveProjectSource(request.uri, { cacheDir: join(options.cacheDir, 'git'), cwd, refresh });
    const spec = loadProject(source.directory);
    const entry = pickEntryPoint(spec, request, source.directory);
    return { source, spec, entry, checked: checkParameters(entry, request.params ?? {}, source.directory) };
  }

  async function experimentOf(request: ProjectRunRequest): Promise<string> {
    if (request.experimentId !== undefined) {
      const { experiment } = await api.call('experiments.get', { experimentId: request.experimentId });
      if (experiment.lifecycleStage !== 'active') throw invalid(`Experiment '${experiment.name}' is in the trash; restore it first`);
      return experiment.experimentId;
    }
    if (request.experimentName === undefined) return '0';
    try {
      const { experiment } = await api.call('experiments.getByName', { name: request.experimentName });
      if (experiment.lifecycleStage !== 'active') throw invalid(`Experiment '${request.experimentName}' is in the trash; restore it first`);
      return experiment.experimentId;
    } catch (err) {
      if (!(err instanceof FlowdeskError) || err.code !== 'RESOURCE_DOES_NOT_EXIST') throw err;
      return (await api.call('experiments.create', { name: request.experimentName })).experimentId;
    }
  }

  function emit(active: Active, stream: LogChunk['stream'], text: string): void {
    const bytes = Buffer.byteLength(text);
    active.chunks.push({ seq: active.nextSeq++, stream, text, bytes });
    active.liveBytes += bytes;
    while (active.liveBytes > LIVE_LOG_BYTES && active.chunks.length > 1) active.liveBytes -= active.chunks.shift()!.bytes;
    if (stream !== 'system') active.files[stream].write(text);
    active.onOutput?.({ stream, text });
  }

  /** Runs one process in its own group, its output into the run's log; resolves with its exit code. */
  function runProcess(active: Active, argv: string[], cwd: string, extraEnv: Record<string, string>): Promise<number> {
    return new Promise((done) => {
      const child = spawn(argv[0]!, argv.slice(1), {
        cwd,
        env: { ...env, ...extraEnv },
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: process.platform !== 'win32',
      });
      active.child = child;
      child.stdout!.setEncoding('utf8').on('data', (text: string) => emit(active, 'stdout', text));
      child.stderr!.setEncoding('utf8').on('data', (text: string) => emit(active, 'stderr', text));
      let code = 0;
      child.on('error', (err: NodeJS.ErrnoException) => {
        emit(active, 'system', `Could not start ${argv[0]}: ${err.code === 'ENOENT' ? 'not found' : err.message}\n`);
        code = 127;
      });
      child.on('exit', (exitCode, signal) => {
        code = exitCode ?? 128 + (signal ? constants.signals[signal] : 0);
        // Whatever the command left running in its group goes with it.
        signalGroup(child, 'SIGTERM');
      });
      child.on('close', () => {
        active.child = undefined;
        done(code);
      });
    });
  }

  async function execute(active: Active, command: string, directory: string, vars: Record<string, string>, target: ArtifactTarget): Promise<ProjectRunState> {
    let status: RunStatus = 'FAILED';
    try {
      for (const note of active.env.notes) emit(active, 'system', `${note}\n`);
      let setupOk = true;
      for (const step of active.env.setup) {
        if (active.cancelled) break;
        emit(active, 'system', `${step.title}\n`);
        const code = await runProcess(active, step.argv, step.cwd, {});
        if (code !== 0 && !active.cancelled) {
          emit(active, 'system', `Setting up the ${active.env.manager} environment failed (exit code ${code})\n`);
          active.env.onSetupFailed();
          setupOk = false;
          break;
        }
      }
      if (setupOk && !active.cancelled) {
        active.env.onSetupDone();
        active.state = { ...active.state, phase: 'running' };
        emit(active, 'system', `$ ${command}\n`);
        const launch = active.env.launch(command, vars);
        const code = await runProcess(active, launch.argv, directory, launch.env);
        active.state = { ...active.state, exitCode: code };
        status = code === 0 ? 'FINISHED' : 'FAILED';
      }
      if (active.cancelled) status = 'KILLED';
      emit(active, 'system', `Run ${status.toLowerCase()}${active.state.exitCode === null ? '' : ` (exit code ${active.state.exitCode})`}\n`);
    } catch (err) {
      emit(active, 'system', `${(err as Error).message}\n`);
      status = active.cancelled ? 'KILLED' : 'FAILED';
    }
    await Promise.all([closeStream(active.files.stdout), closeStream(active.files.stderr)]);
    for (const stream of ['stdout', 'stderr'] as const) {
      try {
        await options.saveArtifact(target, `logs/${stream}.txt`, join(active.logDir, `${stream}.txt`));
      } catch (err) {
        report(`Flowdesk: could not save the ${stream} of run ${target.runId}`, err);
      }
    }
    rmSync(active.logDir, { recursive: true, force: true });
    try {
      await api.call('runs.update', { runId: target.runId, status, endTime: now() });
    } catch (err) {
      report(`Flowdesk: could not set run ${target.runId} to ${status}`, err);
    }
    active.state = { ...active.state, phase: 'done', status };
    forgetOldRuns();
    return active.state;
  }

  function forgetOldRuns(): void {
    const finished = [...runs.values()].filter((r) => r.state.phase === 'done');
    for (const old of finished.slice(0, Math.max(0, finished.length - KEEP_FINISHED))) runs.delete(old.state.runId);
  }

  function activeRun(runId: string): Active {
    const active = runs.get(runId);
    if (!active) throw notFound(`No live log of run ${runId} here: it was not started by this Flowdesk, or long ago. Its output is in its artifacts under logs/`);
    return active;
  }

  return {
    useServer(next) {
      server = next;
    },

    async inspect(uri, cwd) {
      requireLocal();
      const source = await resolveProjectSource(uri, { cacheDir: join(options.cacheDir, 'git'), cwd, refresh: true });
      const spec = loadProject(source.directory);
      const git = await gitState(source.directory, source.gitUrl);
      return {
        uri,
        directory: source.directory,
        name: spec.name,
        hasMLproject: spec.hasMLproject,
        entryPoints: spec.entryPoints,
        environment: spec.environment,
        warnings: spec.warnings,
        ...(git ? { git: { commit: git.commit, branch: git.branch, repoUrl: git.repoUrl, dirty: git.dirty } } : {}),
      };
    },

    async validate(request, cwd) {
      requireLocal();
      const { checked } = await plan(request, cwd, false);
      return { issues: checked.issues, command: checked.command };
    },

    async start(request, startOptions = {}) {
      requireLocal();
      const { source, spec, entry, checked } = await plan(request, startOptions.cwd, true);
      if (checked.command === undefined) throw invalid(describeParamIssues(checked.issues));
      const tracking = server;
      if (!tracking) throw new FlowdeskError('INVALID_STATE', 'Projects log to the tracking server, and none is listening: start Flowdesk (flowdesk serve) first');
      const environment = await prepareEnvironment({
        spec,
        directory: source.directory,
        requested: request.envManager,
        cacheDir: join(options.cacheDir, 'envs'),
        runKey: randomBytes(8).toString('hex'),
        env,
      });
      const git = await gitState(source.directory, source.gitUrl);
      // The last step before anything of the project runs (the environment's setup included) and
      // before the run exists: what was read so far (files, git state, tool versions) ran nothing of it.
      await (startOptions.execution ?? execution).confirm({
        kind: 'project.run',
        uri: request.uri,
        directory: source.directory,
        ...(source.gitUrl ? { gitUrl: source.gitUrl } : {}),
        ...(git ? { git: { commit: git.commit, branch: git.branch, dirty: git.dirty } } : {}),
        entryPoint: entry.name,
        command: checked.command,
        params: checked.params,
        envManager: environment.manager,
        setup: environment.setup.map((step) => step.title),
        notes: environment.notes,
        trackingUri: tracking.url,
      });
      const experimentId = await experimentOf(request);
      const tags: Tag[] = [
        { key: 'mlflow.source.name', value: source.gitUrl ? source.uri : source.directory },
        { key: 'mlflow.source.type', value: 'PROJECT' },
        { key: 'mlflow.project.env', value: environment.manager },
        { key: 'mlflow.project.backend', value: 'local' },
        { key: 'mlflow.user', value: userName(env) },
        { key: 'flowdesk.project.command', value: checked.command.slice(0, 8000) },
      ];
      if (entry.name !== '') tags.push({ key: 'mlflow.project.entryPoint', value: entry.name });
      else tags.push({ key: 'flowdesk.project.userCommand', value: entry.command.slice(0, 8000) });
      if (git) {
        tags.push({ key: 'mlflow.source.git.commit', value: git.commit }, { key: 'flowdesk.source.git.dirty', value: String(git.dirty) });
        if (git.branch) tags.push({ key: 'mlflow.source.git.branch', value: git.branch });
        if (git.repoUrl) tags.push({ key: 'mlflow.source.git.repoURL', value: git.repoUrl });
      }
      const { run } = await api.call('runs.create', { experimentId, runName: request.runName, userId: userName(env), tags });
      const runId = run.info.runId;
      const target: ArtifactTarget = { runId, experimentId, artifactUri: run.info.artifactUri };
      const logDir = mkdtempSync(join(tmpdir(), 'flowdesk-run-'));
      try {
        const params = Object.entries(checked.params).map(([key, value]) => ({ key, value }));
        if (params.length > 0) await api.call('runs.logBatch', { runId, params });
        if (git?.diff !== undefined) {
          writeFileSync(join(logDir, 'git-diff.patch'), git.diff);
          await options.saveArtifact(target, 'source/git-diff.patch', join(logDir, 'git-diff.patch'));
        }
      } catch (err) {
        rmSync(logDir, { recursive: true, force: true });
        await api.call('runs.update', { runId, status: 'FAILED', endTime: now() }).catch((e: unknown) => report(`Flowdesk: could not fail run ${runId}`, e));
        throw err;
      }
      const vars: Record<string, string> = {
        MLFLOW_TRACKING_URI: tracking.url,
        MLFLOW_RUN_ID: runId,
        MLFLOW_EXPERIMENT_ID: experimentId,
        FLOWDESK_URI: tracking.url,
        FLOWDESK_RUN_ID: runId,
      };
      if (tracking.token) Object.assign(vars, { MLFLOW_TRACKING_TOKEN: tracking.token, FLOWDESK_TOKEN: tracking.token });
      let finish: (state: ProjectRunState) => void = () => undefined;
      const active: Active = {
        state: { runId, experimentId, phase: environment.setup.length > 0 ? 'preparing' : 'running', status: 'RUNNING', exitCode: null, command: checked.command },
        chunks: [],
        nextSeq: 0,
        liveBytes: 0,
        files: { stdout: createWriteStream(join(logDir, 'stdout.txt')), stderr: createWriteStream(join(logDir, 'stderr.txt')) },
        logDir,
        env: environment,
        cancelled: false,
        onOutput: startOptions.onOutput,
        done: new Promise((resolve) => (finish = resolve)),
      };
      runs.set(runId, active);
      emit(active, 'system', `Run ${runId} in experiment ${experimentId}\n`);
      for (const warning of spec.warnings) emit(active, 'system', `Warning: ${warning}\n`);
      void execute(active, checked.command, source.directory, vars, target).then(finish);
      return { state: active.state, done: active.done };
    },

    log(runId, after = 0) {
      const active = activeRun(runId);
      const first = active.chunks[0]?.seq ?? active.nextSeq;
      return {
        state: active.state,
        chunks: active.chunks.filter((c) => c.seq >= after).map(({ stream, text }) => ({ stream, text })),
        next: active.nextSeq,
        truncated: after < first,
      };
    },

    async cancel(runId) {
      const active = activeRun(runId);
      if (active.state.phase === 'done' || active.cancelled) return active.state.phase === 'done' ? active.state : active.done;
      active.cancelled = true;
      emit(active, 'system', 'Stopping the run…\n');
      const child = active.child;
      if (child) {
        signalGroup(child, 'SIGTERM');
        const timer = setTimeout(() => {
          if (active.child === child) signalGroup(child, 'SIGKILL');
        }, KILL_GRACE_MS);
        timer.unref();
        void active.done.finally(() => clearTimeout(timer));
      }
      await active.env.onKill?.().catch((err: unknown) => report('Flowdesk: stopping the environment failed', err));
      return active.done;
    },

    async shutdown() {
      const live = [...runs.values()].filter((r) => r.state.phase !== 'done');
      await Promise.all(live.map((r) => this.cancel(r.state.runId)));
    },
  };
}

function closeStream(stream: WriteStream): Promise<void> {
  return new Promise((done) => stream.end(() => done()));
}

function userName(env: NodeJS.ProcessEnv): string {
  try {
    return userInfo().username;
  } catch {
    return env.USER ?? env.USERNAME ?? 'unknown';
  }
}
