/**
 * The `flowdesk` command line: `serve` runs the localhost server, `gc` empties the trash, `run`
 * runs a project, `users` manages the people of a team server, `import` brings in MLflow data,
 * `export` writes an MLflow `mlruns/`.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { FlowdeskError } from '#core/api/errors.ts';
import { allowExecution, openFlowdesk, refuseExecution } from '#core/flowdesk.ts';
import { sharedTicketSecret, startServer, TICKET_SECRET_ENV, uploadLimits } from '#core/server/server.ts';
import { isPostgresUrl, redactUrl } from '#core/platform/catalog-url.ts';
import { isLoopback } from '#core/platform/http-manners.ts';
import { defaultDataDir } from '#core/platform/data-dir.ts';
import { RUN_USAGE, runProject } from './run.ts';
import { modelsCommand, MODELS_USAGE } from './models.ts';
import { USERS_USAGE, users } from './users.ts';
import { MIGRATE_USAGE, migrateCommand } from './migrate.ts';
import { EXPORT_USAGE, exportCommand } from './export.ts';
import { IMPORT_USAGE, importCommand } from './import.ts';

const SERVE_USAGE = `  flowdesk serve [--port 5000] [--host 127.0.0.1] [--data-dir DIR] [--token TOKEN]
                 [--artifacts s3://BUCKET/PREFIX]
                 [--catalog postgresql://user@host/db] [--allow-run] [--ticket-secret-file FILE]
                 [--max-upload-size 20GiB] [--free-space-reserve 1GiB]
      Serve the MLflow-compatible tracking API on localhost. --port 0 picks a free port.
      Port and token default to the app's settings (settings.json in the data folder).
      Point scripts at it with MLFLOW_TRACKING_URI=http://127.0.0.1:<port>.
      Once users exist (or beyond loopback) every request needs a token; --token is an
      owner token with every right.
      --artifacts keeps artifacts in S3-compatible storage instead of DIR/artifacts
      (endpoint and credentials from AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_PROFILE, ...).
      --catalog (or $FLOWDESK_CATALOG) keeps the catalog in PostgreSQL instead of the
      data folder's SQLite file; several servers may share one database.
      --allow-run lets the browser window (and any caller of the server) run projects
      and serve models on this machine; without it both are refused (loopback only).
      --ticket-secret-file FILE (or $FLOWDESK_TICKET_SECRET): the secret that signs the
      window's read tickets, the same on every process of one team server; by default
      each data folder makes its own (DIR/ticket-secret).
      --max-upload-size caps each artifact file uploaded; --free-space-reserve is the free
      disk space uploads must leave (sizes in bytes, or with KiB, MiB, GiB, TiB; 0 turns
      the reserve off). Both default to settings.json (maxUploadBytes, freeSpaceReserveBytes),
      else 20 GiB and 1 GiB. An upload over either is refused with 507.`;
const GC_USAGE = `  flowdesk gc [--data-dir DIR] [--older-than DAYS] [--artifacts s3://BUCKET/PREFIX]
      Permanently delete experiments and runs in the trash (rows and artifact files),
      then remove artifact folders no run refers to and files left by interrupted
      uploads. Prints the bytes reclaimed.`;

const USAGE = `Usage:
${SERVE_USAGE}
${GC_USAGE}
${RUN_USAGE}
${MODELS_USAGE}
${USERS_USAGE}
${MIGRATE_USAGE}
${EXPORT_USAGE}
${IMPORT_USAGE}

The data folder defaults to ${defaultDataDir()} (or $FLOWDESK_DATA_DIR).`;

export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** Formats a byte count for people: 1536 → "1.5 KiB". */
export function formatBytes(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} bytes` : `${value.toFixed(1)} ${units[unit]}`;
}

function parsePort(text: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65535) throw new FlowdeskError('INVALID_PARAMETER_VALUE', `--port must be a number from 0 to 65535, got '${text}'`);
  return port;
}

/** The shared ticket secret `serve` was given, if any: the file option wins over the environment. */
function serveTicketSecret(file: string | undefined): string | undefined {
  if (file !== undefined) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new FlowdeskError('INVALID_PARAMETER_VALUE', `Cannot read --ticket-secret-file ${file}: ${(err as Error).message}`);
    }
    return sharedTicketSecret(text, `--ticket-secret-file ${file}`);
  }
  const fromEnv = process.env[TICKET_SECRET_ENV];
  return fromEnv === undefined || fromEnv === '' ? undefined : sharedTicketSecret(fromEnv, `$${TICKET_SECRET_ENV}`);
}

const SIZE_UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, kib: 1024, m: 1024 ** 2, mib: 1024 ** 2, g: 1024 ** 3, gib: 1024 ** 3, t: 1024 ** 4, tib: 1024 ** 4 };

/** Reads a size option: bytes, or a number with a binary unit ("20GiB", "512 MiB", "1.5g"). */
export function parseSize(option: string, text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(text.trim());
  const unit = match ? SIZE_UNITS[match[2]!.toLowerCase()] : undefined;
  const bytes = match && unit !== undefined ? Math.floor(Number(match[1]) * unit) : Number.NaN;
  if (!Number.isSafeInteger(bytes)) throw new FlowdeskError('INVALID_PARAMETER_VALUE', `${option} must be a size like 20GiB, 512MiB or a number of bytes, got '${text}'`);
  return bytes;
}

async function serve(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      port: { type: 'string' },
      host: { type: 'string', default: '127.0.0.1' },
      'data-dir': { type: 'string' },
      token: { type: 'string' },
      artifacts: { type: 'string' },
      catalog: { type: 'string' },
      'allow-run': { type: 'boolean' },
      'ticket-secret-file': { type: 'string' },
      'max-upload-size': { type: 'string' },
      'free-space-reserve': { type: 'string' },
    },
  });
  const dataDir = values['data-dir'] ?? defaultDataDir();
  const ticketSecret = serveTicketSecret(values['ticket-secret-file']);
  const maxUpload = values['max-upload-size'] === undefined ? undefined : parseSize('--max-upload-size', values['max-upload-size']);
  const reserve = values['free-space-reserve'] === undefined ? undefined : parseSize('--free-space-reserve', values['free-space-reserve']);
  const catalog = values.catalog ?? process.env.FLOWDESK_CATALOG;
  // Whoever reaches a server beyond loopback is not the person at this machine.
  if (values['allow-run'] && !isLoopback(values.host)) {
    throw new FlowdeskError('INVALID_PARAMETER_VALUE', `--allow-run is for a server on loopback only; this one would listen on ${values.host}`);
  }
  if (catalog !== undefined && !isPostgresUrl(catalog)) {
    throw new FlowdeskError('INVALID_PARAMETER_VALUE', `--catalog must be a postgresql:// URL, got '${redactUrl(catalog)}'`);
  }
  // A browser page cannot show a dialog outside itself, so the person decides when starting the server.
  const execution = values['allow-run']
    ? allowExecution('Projects run and models are served when asked: this server was started with flowdesk serve --allow-run.')
    : refuseExecution('Running projects and serving models from the browser is off. To allow them, restart the server with: flowdesk serve --allow-run');
  const fd = await openFlowdesk({ dataDir, catalog, artifacts: values.artifacts, execution });
  // The port and token the settings name, unless the command line says otherwise.
  const settings = fd.settings.read();
  let server;
  try {
    server = await startServer({
      flowdesk: fd,
      host: values.host,
      port: values.port === undefined ? settings.port : parsePort(values.port),
      token: values.token ?? process.env.FLOWDESK_TOKEN ?? (settings.requireToken ? settings.token : undefined),
      version: packageVersion(),
      ticketSecret,
      limits: uploadLimits({ ...settings, maxUploadBytes: maxUpload ?? settings.maxUploadBytes, freeSpaceReserveBytes: reserve ?? settings.freeSpaceReserveBytes }),
    });
  } catch (err) {
    await fd.close();
    throw err;
  }
  if (catalog !== undefined && ticketSecret === undefined) {
    console.log(`Tickets (the window's live events and previews) are signed with ${dataDir}'s own secret: behind a load balancer, give every process the same --ticket-secret-file or ${TICKET_SECRET_ENV}`);
  }
  console.log(`Flowdesk ${packageVersion()} is serving ${dataDir}${catalog ? ` with the catalog at ${fd.catalog.path}` : ''}${values.artifacts ? ` with artifacts in ${values.artifacts}` : ''}`);
  console.log(`Listening on ${server.url}`);
  console.log(`Log from scripts with: export MLFLOW_TRACKING_URI=${server.url}`);
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: shutting down`);
    await server.close();
    await fd.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

async function gc(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { 'data-dir': { type: 'string' }, 'older-than': { type: 'string' }, artifacts: { type: 'string' } } });
  const dataDir = values['data-dir'] ?? defaultDataDir();
  let deletedBefore: number | undefined;
  if (values['older-than'] !== undefined) {
    const days = Number(values['older-than']);
    if (!Number.isFinite(days) || days < 0) throw new FlowdeskError('INVALID_PARAMETER_VALUE', `--older-than must be a number of days, got '${values['older-than']}'`);
    deletedBefore = Date.now() - days * 86_400_000;
  }
  // The trash is emptied by the folder's one owner: the window's trash view does it while the app runs.
  const fd = await openFlowdesk({ dataDir, artifacts: values.artifacts, busyAdvice: 'empty the trash there, or stop it and run gc again' });
  try {
    const report = await fd.handlers['trash.purge']({ deletedBefore });
    // Writes in flight for over an hour are remnants of a crash, not uploads still going.
    const orphans = (await fd.sweepOrphans()) + (await fd.artifacts.sweepStaging(Date.now() - 3_600_000));
    console.log(`Purged ${report.experimentsPurged} experiment(s) and ${report.runsPurged} run(s) from ${dataDir}`);
    console.log(`Reclaimed ${formatBytes(report.bytesReclaimed + orphans)} (${report.bytesReclaimed + orphans} bytes)`);
    for (const k of report.kept) console.log(`Kept ${k.kind} ${k.id} in the trash: ${k.reason}`);
  } finally {
    await fd.close();
  }
}

/** Each command's own usage, answered to `flowdesk <command> --help`. */
const COMMAND_USAGE: Record<string, string> = {
  serve: SERVE_USAGE,
  gc: GC_USAGE,
  run: RUN_USAGE,
  models: MODELS_USAGE,
  users: USERS_USAGE,
  migrate: MIGRATE_USAGE,
  export: EXPORT_USAGE,
  import: IMPORT_USAGE,
};

/** Whether a command's arguments ask for help (before any `--`, after which they are another program's). */
function asksForHelp(args: string[]): boolean {
  const own = args.includes('--') ? args.slice(0, args.indexOf('--')) : args;
  return own.includes('--help') || own.includes('-h');
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const commandUsage = command === undefined ? undefined : COMMAND_USAGE[command];
  if (commandUsage !== undefined && asksForHelp(rest)) {
    console.log(`Usage:\n${commandUsage}`);
    return 0;
  }
  try {
    if (command === 'serve') await serve(rest);
    else if (command === 'gc') await gc(rest);
    else if (command === 'run') return await runProject(rest);
    else if (command === 'models') await modelsCommand(rest, packageVersion());
    else if (command === 'users') await users(rest);
    else if (command === 'migrate') return await migrateCommand(rest);
    else if (command === 'export') return await exportCommand(rest);
    else if (command === 'import') return await importCommand(rest);
    else if (command === undefined || command === 'help' || command === '--help' || command === '-h') console.log(USAGE);
    else {
      console.error(`Unknown command '${command}'.\n\n${USAGE}`);
      return 2;
    }
    return 0;
  } catch (err) {
    if (err instanceof FlowdeskError) {
      console.error(`flowdesk: ${err.message}`);
      return 1;
    }
    if (err instanceof TypeError && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS')) {
      console.error(`flowdesk: ${err.message}\n\n${USAGE}`);
      return 2;
    }
    throw err;
  }
}
