/**
 * The environments a project's command runs in: this machine as it is (`local`), a virtualenv
 * built with pip from the project's requirements, a conda environment, or a Docker container.
 * Each is checked before a run is created, so a missing tool is a clear message and nothing
 * starts; building one (pip, conda) happens as the run's first steps, its output in the run's log.
 * Built environments are cached under the data folder, keyed by what they were built from.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { FlowdeskError, invalid } from '#core/api/errors.ts';
import type { EnvManager } from '#core/api/projects-entities.ts';
import type { ProjectSpec } from './mlproject.ts';

/** A process to start: the program and its arguments, and extra variables. */
export interface Launch {
  argv: string[];
  env: Record<string, string>;
}

/** One step of building an environment, run before the command with its output in the log. */
export interface SetupStep {
  title: string;
  argv: string[];
  cwd: string;
}

/** An environment ready to be built (`setup`) and to run the command in (`launch`). */
export interface PreparedEnvironment {
  manager: EnvManager;
  /** Lines for the log before anything runs (a Python version that differs, say). */
  notes: string[];
  setup: SetupStep[];
  /** Called once every setup step succeeded: marks a cached environment complete. */
  onSetupDone(): void;
  /** Called when a setup step failed: drops a half-built environment. */
  onSetupFailed(): void;
  /** How to start `command` (a shell command line) with the run's variables `vars`. */
  launch(command: string, vars: Record<string, string>): Launch;
  /** Extra work to stop the command (a container outlives a killed `docker run` client). */
  onKill?(): Promise<void>;
}

export interface EnvironmentOptions {
  spec: ProjectSpec;
  directory: string;
  /** The manager the caller asked for; the project's default otherwise. */
  requested?: EnvManager;
  /** Where built environments are kept. */
  cacheDir: string;
  /** Names the container of a Docker run. */
  runKey: string;
  /** The environment programs are looked up in. */
  env: NodeJS.ProcessEnv;
}

/** How long `docker info` may take to answer before the engine counts as not running. */
const DOCKER_INFO_TIMEOUT_MS = 5000;
const MARKER = '.flowdesk-ready';

interface Exec {
  ok: boolean;
  stdout: string;
  stderr: string;
  missing: boolean;
}

function exec(file: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs = 30_000): Promise<Exec> {
  return new Promise((done) => {
    execFile(file, args, { env, timeout: timeoutMs }, (err, stdout, stderr) =>
      done({ ok: err === null, stdout: String(stdout), stderr: String(stderr), missing: (err as NodeJS.ErrnoException | null)?.code === 'ENOENT' }),
    );
  });
}

function shellOf(env: NodeJS.ProcessEnv): string {
  return existsSync('/bin/bash') ? '/bin/bash' : (env.SHELL ?? '/bin/sh');
}

function hash(...parts: string[]): string {
  const h = createHash('sha256');
  for (const part of parts) h.update(part).update('\0');
  return h.digest('hex').slice(0, 16);
}

/** Which manager runs a project, and whether that combination makes sense. */
export function chooseManager(spec: ProjectSpec, requested: EnvManager | undefined): EnvManager {
  const kind = spec.environment.kind;
  if (requested === undefined) return spec.environment.defaultManager;
  if (requested === 'docker' && kind !== 'docker_env') throw invalid(`The docker environment needs a docker_env section in MLproject; this project has ${kind === 'none' ? 'no environment' : kind}`);
  if (kind === 'docker_env' && requested !== 'docker' && requested !== 'local') {
    throw invalid(`This project runs in Docker (docker_env); --env-manager ${requested} does not apply. Use --env-manager local to run it on this machine instead`);
  }
  if (requested === 'conda' && kind !== 'conda_env') throw invalid(`The conda environment needs a conda_env file in MLproject; this project has ${kind === 'none' ? 'no environment' : kind}`);
  return requested;
}

/** Checks the chosen manager is usable here and describes how to build and use its environment. */
export async function prepareEnvironment(options: EnvironmentOptions): Promise<PreparedEnvironment> {
  const manager = chooseManager(options.spec, options.requested);
  if (manager === 'virtualenv') return virtualenv(options);
  if (manager === 'conda') return conda(options);
  if (manager === 'docker') return docker(options);
  const shell = shellOf(options.env);
  return {
    manager,
    notes: [],
    setup: [],
    onSetupDone: () => undefined,
    onSetupFailed: () => undefined,
    launch: (command, vars) => ({ argv: [shell, '-c', command], env: vars }),
  };
}

/** What pip installs: from python_env.yaml, a conda file's pip section, or requirements.txt. */
function pythonRequirements(spec: ProjectSpec, directory: string): { python?: string; packages: string[] } {
  const { kind, file } = spec.environment;
  if ((kind === 'python_env' || kind === 'conda_env') && file) {
    let doc: unknown;
    try {
      doc = parseYaml(readFileSync(join(directory, file), 'utf8'));
    } catch (err) {
      throw invalid(`${file}: ${(err as Error).message.split('\n')[0]}`);
    }
    const data = (doc ?? {}) as Record<string, unknown>;
    if (kind === 'python_env') {
      const list = (key: string) => {
        const value = data[key] ?? [];
        if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) throw invalid(`${file}: ${key} must be a list of requirement lines`);
        return value as string[];
      };
      return { python: data.python === undefined ? undefined : String(data.python), packages: [...list('build_dependencies'), ...list('dependencies')] };
    }
    // A conda file's pip section is what a virtualenv can install (MLflow converts it the same way).
    const deps = Array.isArray(data.dependencies) ? data.dependencies : [];
    const pip = deps.find((d): d is { pip: string[] } => typeof d === 'object' && d !== null && Array.isArray((d as { pip?: unknown }).pip));
    const python = deps.find((d): d is string => typeof d === 'string' && /^python[=<>\s]/.test(d));
    return { python: python?.replace(/^python\s*=*\s*/, ''), packages: pip?.pip ?? [] };
  }
  return { packages: existsSync(join(directory, 'requirements.txt')) ? ['-r requirements.txt'] : [] };
}

/** pip arguments for requirement lines: `-r file` and `-c file` become two arguments. */
function pipArgs(lines: string[]): string[] {
  return lines.flatMap((line) => {
    const option = /^(-r|-c|--requirement|--constraint)\s*=?\s*(.+)$/.exec(line.trim());
    return option ? [option[1]!, option[2]!] : [line.trim()];
  });
}

/** The bytes of the requirement files a list names, so an edited requirements.txt builds a new environment. */
function referencedFiles(args: string[], directory: string): string {
  const contents: string[] = [];
  for (let i = 0; i < args.length - 1; i++) {
    if (['-r', '-c', '--requirement', '--constraint'].includes(args[i]!)) {
      try {
        contents.push(readFileSync(join(directory, args[i + 1]!), 'utf8'));
      } catch {
        throw invalid(`The requirements file '${args[i + 1]}' does not exist in the project`);
      }
    }
  }
  return contents.join('\0');
}

async function virtualenv(options: EnvironmentOptions): Promise<PreparedEnvironment> {
  const python = options.env.FLOWDESK_PYTHON ?? 'python3';
  const version = await exec(python, ['--version'], options.env);
  if (!version.ok) {
    throw new FlowdeskError('INVALID_STATE', `The virtualenv environment needs Python 3 (${python}), which ${version.missing ? 'is not installed or not on PATH' : `failed: ${version.stderr.trim()}`}. Use --env-manager local to run with what is installed`);
  }
  const found = (version.stdout + version.stderr).trim().replace(/^Python\s+/, '');
  const wanted = pythonRequirements(options.spec, options.directory);
  const args = pipArgs(wanted.packages);
  const notes: string[] = [];
  if (wanted.python && !found.startsWith(wanted.python.split('.').slice(0, 2).join('.'))) {
    notes.push(`The project asks for Python ${wanted.python}; this virtualenv uses Python ${found} (${python}), the one installed here.`);
  }
  const dir = join(options.cacheDir, `venv-${hash(found, ...args, referencedFiles(args, options.directory))}`);
  const bin = join(dir, process.platform === 'win32' ? 'Scripts' : 'bin');
  const ready = existsSync(join(dir, MARKER));
  const setup: SetupStep[] = [];
  if (!ready) {
    rmSync(dir, { recursive: true, force: true });
    setup.push({ title: `Creating a virtualenv with Python ${found} in ${dir}`, argv: [python, '-m', 'venv', dir], cwd: options.directory });
    if (args.length > 0) {
      setup.push({
        title: `Installing the requirements: ${wanted.packages.join(', ')}`,
        argv: [join(bin, 'python'), '-m', 'pip', 'install', '--disable-pip-version-check', '--no-input', ...args],
        cwd: options.directory,
      });
    }
  } else notes.push(`Using the virtualenv built earlier from the same requirements: ${dir}`);
  const shell = shellOf(options.env);
  return {
    manager: 'virtualenv',
    notes,
    setup,
    onSetupDone: () => writeFileSync(join(dir, MARKER), new Date().toISOString()),
    onSetupFailed: () => rmSync(dir, { recursive: true, force: true }),
    launch: (command, vars) => ({
      argv: [shell, '-c', command],
      env: { ...vars, VIRTUAL_ENV: dir, PATH: `${bin}${process.platform === 'win32' ? ';' : ':'}${options.env.PATH ?? ''}` },
    }),
  };
}

async function conda(options: EnvironmentOptions): Promise<PreparedEnvironment> {
  const home = options.env.MLFLOW_CONDA_HOME;
  const condaBin = home ? join(home, 'bin', 'conda') : 'conda';
  const probe = await exec(condaBin, ['--version'], options.env);
  if (!probe.ok) {
    throw new FlowdeskError(
      'INVALID_STATE',
      `The conda environment needs conda (${condaBin}), which ${probe.missing ? 'is not installed or not on PATH' : `failed: ${probe.stderr.trim()}`}. Install conda (or set MLFLOW_CONDA_HOME), or use --env-manager virtualenv or local`,
    );
  }
  const file = options.spec.environment.file!;
  const name = `flowdesk-${hash(readFileSync(join(options.directory, file), 'utf8'))}`;
  const listed = await exec(condaBin, ['env', 'list', '--json'], options.env);
  const exists = listed.ok && (JSON.parse(listed.stdout) as { envs?: string[] }).envs?.some((path) => path.endsWith(`/${name}`) || path.endsWith(`\\${name}`));
  return {
    manager: 'conda',
    notes: exists ? [`Using the conda environment ${name} built earlier from ${file}`] : [],
    setup: exists ? [] : [{ title: `Creating the conda environment ${name} from ${file}`, argv: [condaBin, 'env', 'create', '--yes', '-n', name, '-f', file], cwd: options.directory }],
    onSetupDone: () => undefined,
    onSetupFailed: () => void exec(condaBin, ['env', 'remove', '--yes', '-n', name], options.env),
    launch: (command, vars) => ({ argv: [condaBin, 'run', '--no-capture-output', '-n', name, 'bash', '-c', command], env: vars }),
  };
}

async function docker(options: EnvironmentOptions): Promise<PreparedEnvironment> {
  const info = await exec('docker', ['info', '--format', '{{.ServerVersion}}'], options.env, DOCKER_INFO_TIMEOUT_MS);
  if (!info.ok) {
    const why = info.missing ? 'Docker is not installed (no docker command on PATH)' : `the Docker engine does not answer (docker info: ${info.stderr.trim().split('\n').at(-1) || `no answer within ${DOCKER_INFO_TIMEOUT_MS / 1000} s`})`;
    throw new FlowdeskError('INVALID_STATE', `This project runs in Docker (docker_env), but ${why}. Start Docker, or use --env-manager local to run it on this machine`);
  }
  const settings = options.spec.docker!;
  const container = `flowdesk-${options.runKey}`;
  const workdir = '/flowdesk/project';
  return {
    manager: 'docker',
    notes: [`Docker engine ${info.stdout.trim()}; image ${settings.image}`],
    setup: [],
    onSetupDone: () => undefined,
    onSetupFailed: () => undefined,
    launch(command, vars) {
      const argv = ['docker', 'run', '--rm', '--name', container, '--network', 'host', '-v', `${options.directory}:${workdir}`, '-w', workdir];
      for (const volume of settings.volumes) argv.push('-v', volume);
      // The run's variables reach the container by name (their values stay out of the process list).
      for (const key of Object.keys(vars)) argv.push('-e', key);
      for (const [key, value] of settings.environment) argv.push('-e', value === undefined ? key : `${key}=${value}`);
      argv.push(settings.image, 'bash', '-c', command);
      return { argv, env: vars };
    },
    onKill: async () => void (await exec('docker', ['kill', container], options.env)),
  };
}
