/**
 * Python-flavoured models (scikit-learn, PyTorch, pyfunc, ...) are served by MLflow itself, in the
 * Python the user already has: `python -m mlflow models serve --env-manager local`. Flowdesk never
 * loads, unpickles or imports such a model, and installs nothing: when that Python or its MLflow is
 * missing it says exactly what to install. The model folder is copied out of the artifact store to
 * a temporary folder first, since MLflow reads a local path.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve as resolvePath } from 'node:path';
import { FlowdeskError } from '#core/api/errors.ts';
import type { ModelFiles } from './model-files.ts';

/** The pip package each MLflow flavour needs beside mlflow itself. */
const FLAVOR_PACKAGES: Record<string, string> = {
  sklearn: 'scikit-learn',
  pytorch: 'torch',
  tensorflow: 'tensorflow',
  keras: 'keras',
  xgboost: 'xgboost',
  lightgbm: 'lightgbm',
  catboost: 'catboost',
  transformers: 'transformers',
  sentence_transformers: 'sentence-transformers',
  statsmodels: 'statsmodels',
  prophet: 'prophet',
  spark: 'pyspark',
  h2o: 'h2o',
  onnx: 'onnxruntime',
  paddle: 'paddlepaddle',
  spacy: 'spacy',
  fastai: 'fastai',
  langchain: 'langchain',
};

/** The Python Flowdesk starts MLflow with: $FLOWDESK_PYTHON, else `python3` (`python` on Windows). */
export function pythonExecutable(env: NodeJS.ProcessEnv = process.env): string {
  return env.FLOWDESK_PYTHON || (process.platform === 'win32' ? 'python' : 'python3');
}

/** `pip install mlflow <the flavour's package>` for a model's flavours. */
export function installHint(flavors: string[]): string {
  const packages = ['mlflow', ...new Set(flavors.map((f) => FLAVOR_PACKAGES[f]).filter((p): p is string => p !== undefined))];
  return `pip install ${packages.join(' ')}`;
}

/** Runs a command to its end; resolves with its exit code and output, or the spawn error. */
function run(command: string, args: string[], cwd?: string): Promise<{ code: number | null; output: string; error?: NodeJS.ErrnoException }> {
  return new Promise((resolve) => {
    let output = '';
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.on('error', (error: NodeJS.ErrnoException) => resolve({ code: null, output, error }));
    child.on('close', (code) => resolve({ code, output }));
  });
}

/**
 * Checks that `python` runs and imports mlflow. Otherwise an INVALID_STATE error that says what
 * to install for this model's flavours (the check itself imports mlflow, never the model).
 */
export async function requirePythonMlflow(python: string, flavors: string[]): Promise<void> {
  const named = flavors.filter((f) => f !== 'python_function');
  const what = `Serving a ${named.length > 0 ? named.join('/') : 'python_function'} model needs Python with MLflow`;
  const hint = installHint(flavors);
  const result = await run(python, ['-c', 'import mlflow']);
  if (result.error?.code === 'ENOENT') {
    throw new FlowdeskError('INVALID_STATE', `${what}, and '${python}' was not found. Install Python 3, then run: ${hint} (or set FLOWDESK_PYTHON to a Python that has them)`);
  }
  if (result.error || result.code !== 0) {
    throw new FlowdeskError('INVALID_STATE', `${what}, but '${python}' cannot import mlflow. Install it with: ${hint} (or set FLOWDESK_PYTHON to a Python that has it)`);
  }
}

/** Copies a model folder to a new temporary folder, file by file as streams, and returns its path. */
export async function copyModelFolder(files: ModelFiles): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'flowdesk-model-'));
  try {
    for (const file of await files.list()) {
      const target = join(dir, ...file.path.split('/'));
      await mkdir(dirname(target), { recursive: true });
      await files.download(file.path, target);
    }
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  return dir;
}

/** A Python exception line as a traceback ends with it: `_pickle.UnpicklingError: pickle data was truncated`. */
const EXCEPTION_LINE = /^([A-Za-z_][\w.]*)?(Error|Exception)(: .*)?$/;

/**
 * What is worth showing of a failed MLflow command's output: the exception lines of its
 * tracebacks, first cause first. MLflow's own last lines only say that the command it ran
 * (gunicorn, uvicorn) failed, after the traceback that says why; without tracebacks, the last lines.
 */
function failureSummary(output: string): string {
  const lines = output.trim().split('\n');
  const exceptions = [...new Set(lines.filter((line) => EXCEPTION_LINE.test(line)))];
  return (exceptions.length > 0 ? exceptions.slice(0, 3) : lines.slice(-5)).join('\n');
}

/** A free TCP port on `host`, for a child that must be told its port up front. */
export function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export interface PythonServer {
  url: string;
  port: number;
  pid: number | undefined;
  stop(): Promise<void>;
}

/** How long MLflow may take to import and load a model before the start counts as failed. */
const START_TIMEOUT_MS = 120_000;

/**
 * Starts `python -m mlflow models serve` on a local model folder and resolves once /ping answers;
 * if the process ends first, rejects with the end of what it printed. The folder is removed on stop.
 */
export async function startPythonServer(options: { python: string; modelDir: string; host: string; port: number }): Promise<PythonServer> {
  const port = options.port === 0 ? await freePort(options.host) : options.port;
  const child: ChildProcess = spawn(options.python, ['-m', 'mlflow', 'models', 'serve', '-m', options.modelDir, '--env-manager', 'local', '-h', options.host, '-p', String(port)], {
    // MLflow without a tracking URI creates ./mlruns where it runs: in the copy, never in the user's folder.
    cwd: options.modelDir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (c: Buffer) => (output = (output + c.toString()).slice(-16_000));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const url = `http://${options.host.includes(':') ? `[${options.host}]` : options.host}:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    await rm(options.modelDir, { recursive: true, force: true });
  };
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      await stop();
      throw new FlowdeskError('INVALID_STATE', `MLflow's model server exited (${child.exitCode ?? child.signalCode}) before serving: ${failureSummary(output)}`);
    }
    const ping = await fetch(`${url}/ping`).catch(() => undefined);
    if (ping?.ok) return { url, port, pid: child.pid, stop };
    if (Date.now() > deadline) {
      await stop();
      throw new FlowdeskError('INVALID_STATE', `MLflow's model server did not answer /ping within ${START_TIMEOUT_MS / 1000} s`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** `python -m mlflow models predict` on a local model folder: input file in, output file out. */
export async function runPythonPredict(options: { python: string; modelDir: string; inputPath: string; outputPath: string; contentType: 'json' | 'csv' }): Promise<void> {
  const result = await run(options.python, ['-m', 'mlflow', 'models', 'predict', '-m', options.modelDir, '-i', resolvePath(options.inputPath), '-o', resolvePath(options.outputPath), '-t', options.contentType, '--env-manager', 'local'], options.modelDir);
  if (result.code !== 0) throw new FlowdeskError('INVALID_STATE', `MLflow's predict failed: ${failureSummary(result.output)}`);
}
