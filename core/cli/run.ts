/**
 * `flowdesk run <folder | git URL>`: runs a project's entry point as a tracked run.
 *
 * Where it logs is picked as `flowdesk models serve` and the SDK pick their server, and as
 * `mlflow run` honours the tracking URI: FLOWDESK_URI, then MLFLOW_TRACKING_URI, then the data
 * folder's running server (server.json), then the data folder itself. One process owns a data
 * folder's catalog, so in that last case this command opens the folder and starts a private
 * server on 127.0.0.1 with a free port for the script's MLFLOW_TRACKING_URI, announced in
 * server.json while the run lasts. The first line it prints names the server. A
 * process that has the folder without serving it (`flowdesk gc`, a server still starting) makes
 * that open refuse, naming it (core/catalog/data-folder-lock.ts).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ENV_MANAGERS, type EnvManager, type LogChunk, type ProjectRunRequest } from '#core/api/projects-entities.ts';
import { FlowdeskError, invalid } from '#core/api/errors.ts';
import { allowExecution, openFlowdesk, remoteProjectRunner, type Flowdesk } from '#core/flowdesk.ts';
import { startServer, type RunningServer } from '#core/server/server.ts';
import { defaultDataDir } from '#core/platform/data-dir.ts';
import { findServer } from '#core/platform/server-connection.ts';

export const RUN_USAGE = `  flowdesk run <folder | git URL> [-e ENTRY] [-P key=value ...] [--experiment NAME]
               [--env-manager local|virtualenv|conda] [--run-name NAME] [--command CMD] [--data-dir DIR]
      Run a project's entry point (default: main) as a tracked run: parameters are checked
      against its MLproject file and passed shell-quoted; output streams here and is saved
      with the run. Logs to $FLOWDESK_URI, else $MLFLOW_TRACKING_URI, else the data folder's
      running server, else a private server it starts; its first line names the server.
      A folder without MLproject runs a script (-e train.py) or a command (--command).`;

/** How long a server named in server.json has to answer before it counts as gone. */
const HEALTH_TIMEOUT_MS = 2000;

/** `key=value` pairs from -P, refusing anything else. */
function parseParams(pairs: string[]): Record<string, string> {
  const params: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw invalid(`-P takes key=value, got '${pair}'`);
    params[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return params;
}

/** The server that owns the data folder, if one is running and answers. */
async function runningServer(dataDir: string): Promise<string | undefined> {
  let info: { url?: string; pid?: number };
  try {
    info = JSON.parse(readFileSync(join(dataDir, 'server.json'), 'utf8')) as typeof info;
  } catch {
    return undefined;
  }
  if (!info.url) return undefined;
  try {
    const response = await fetch(`${info.url}/health`, { signal: AbortSignal.timeout(HEALTH_TIMEOUT_MS) });
    if (response.ok) return info.url;
  } catch {
    // judged by its process below
  }
  let alive = false;
  try {
    process.kill(info.pid ?? -1, 0);
    alive = true;
  } catch (err) {
    alive = (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A live owner that does not answer must not have its catalog opened under it.
  if (alive) throw new FlowdeskError('INVALID_STATE', `The Flowdesk server of ${dataDir} (pid ${info.pid}) does not answer at ${info.url}; stop it or wait for it, then run again`);
  return undefined;
}

/**
 * The server FLOWDESK_URI or MLFLOW_TRACKING_URI names (with the variable's name), checked to
 * answer before anything runs; undefined when neither is set.
 */
async function serverFromEnvironment(): Promise<{ url: string; from: string } | undefined> {
  const from = process.env.FLOWDESK_URI ? 'FLOWDESK_URI' : process.env.MLFLOW_TRACKING_URI ? 'MLFLOW_TRACKING_URI' : undefined;
  if (!from) return undefined;
  const url = findServer({ uri: process.env[from] });
  try {
    await fetch(`${url}/health`, { signal: AbortSignal.timeout(HEALTH_TIMEOUT_MS) });
  } catch (err) {
    throw new FlowdeskError('INVALID_STATE', `Flowdesk at ${url} (from ${from}) is not answering (${(err as Error).message}); start it, or unset ${from}`);
  }
  return { url, from };
}

function print(chunk: LogChunk): void {
  if (chunk.stream === 'stdout') process.stdout.write(chunk.text);
  else if (chunk.stream === 'stderr') process.stderr.write(chunk.text);
  else process.stderr.write(chunk.text.replace(/^(?=.)/gm, 'flowdesk: '));
}

/** Runs `flowdesk run`; resolves with the exit code: 0 finished, 1 failed, 128 + signal when stopped. */
export async function runProject(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      'entry-point': { type: 'string', short: 'e' },
      param: { type: 'string', short: 'P', multiple: true },
      experiment: { type: 'string' },
      'env-manager': { type: 'string' },
      'run-name': { type: 'string' },
      command: { type: 'string' },
      'data-dir': { type: 'string' },
    },
  });
  if (positionals.length !== 1) throw invalid(`flowdesk run takes one project (a folder or a git URL), got ${positionals.length === 0 ? 'none' : positionals.join(' ')}`);
  const manager = values['env-manager'];
  if (manager !== undefined && (!(ENV_MANAGERS as readonly string[]).includes(manager) || manager === 'docker')) {
    throw invalid(`--env-manager is local, virtualenv or conda, got '${manager}' (docker_env projects use Docker by themselves)`);
  }
  const request: ProjectRunRequest = {
    uri: positionals[0]!,
    entryPoint: values['entry-point'],
    params: parseParams(values.param ?? []),
    command: values.command,
    envManager: manager as EnvManager | undefined,
    experimentName: values.experiment,
    runName: values['run-name'],
  };
  const dataDir = values['data-dir'] ?? defaultDataDir();
  const token = process.env.FLOWDESK_TOKEN ?? process.env.MLFLOW_TRACKING_TOKEN;

  let owned: { fd: Flowdesk; server: RunningServer } | undefined;
  const release = async () => {
    if (!owned) return;
    const { fd, server } = owned;
    owned = undefined;
    await server.close();
    await fd.close();
  };
  let runner: Flowdesk['projects'];
  const named = await serverFromEnvironment();
  const url = named?.url ?? (await runningServer(dataDir));
  if (url) {
    runner = remoteProjectRunner({ url, token, cacheDir: join(dataDir, 'projects') });
    process.stderr.write(`flowdesk: logging through the Flowdesk server at ${url}${named ? ` (from ${named.from})` : ''}\n`);
  } else {
    const fd = await openFlowdesk({ dataDir });
    try {
      owned = { fd, server: await startServer({ flowdesk: fd, port: 0, version: 'run', log: (m, e) => console.error(m, e) }) };
    } catch (err) {
      await fd.close();
      throw err;
    }
    runner = fd.projects;
    process.stderr.write(`flowdesk: no Flowdesk server is running for ${dataDir}; serving it at ${owned.server.url} for this run\n`);
  }

  let runId: string | undefined;
  let stoppedBy: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stoppedBy) return;
    stoppedBy = signal;
    process.stderr.write(`flowdesk: ${signal}: stopping the run\n`);
    // Before the run exists there is nothing to record: just leave.
    if (runId === undefined) void release().finally(() => process.exit(128 + (signal === 'SIGINT' ? 2 : 15)));
    else void runner.cancel(runId);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    // The person typed this command: it is their confirmation (the server's own policy still
    // governs what its other callers ask for).
    const started = await runner.start(request, { onOutput: print, execution: allowExecution('flowdesk run, typed by the person') });
    runId = started.state.runId;
    if (stoppedBy) void runner.cancel(runId);
    const final = await started.done;
    if (final.status === 'FINISHED') return 0;
    if (final.status === 'KILLED') return 128 + (stoppedBy === 'SIGTERM' ? 15 : 2);
    return 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await release();
  }
}
