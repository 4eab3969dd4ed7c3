/**
 * `flowdesk users add|list|revoke`: the people of a team server.
 *
 * These commands open the catalog themselves rather than asking the server: managing users is
 * for whoever administers the data (folder or database), not a right to hand out over HTTP, and
 * going through the server would need a token to make the first token. A SQLite catalog has one
 * owner process, so while a server or the app has the data folder open (its server.json names a
 * live process) they refuse and say so: stop it, change users, start it again. A PostgreSQL
 * catalog is shared by design; the servers look a token up again every two seconds, so a revoke
 * there takes effect within that, without a restart.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { FlowdeskError, invalid } from '#core/api/errors.ts';
import { ROLES } from '#core/api/roles.ts';
import { openCatalog, type Catalog } from '#core/catalog/catalog.ts';
import { addUser, listUsers, revokeUser } from '#core/users/users.ts';
import { defaultDataDir } from './data-dir.ts';

export const USERS_USAGE = `  flowdesk users add NAME --role reader|writer|approver [--data-dir DIR | --catalog PATH]
      Add a person and print their token, once: only its hash is kept. Readers read, writers
      also log and change, approvers also approve protected registry moves and set protection.
  flowdesk users list [--data-dir DIR | --catalog PATH]
  flowdesk users revoke NAME [--data-dir DIR | --catalog PATH]
      Refuse every token of NAME from now on. Names are never reused.
      With a SQLite catalog, stop the server (or app) using the data folder first.`;

/** Whether a process id is alive (signal 0 checks without signalling). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else; still alive.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Refuses when a live server owns the data folder a SQLite catalog sits in. */
export function refuseWhenServed(dataDir: string, what = 'change users'): void {
  let info: { pid?: unknown; url?: unknown };
  try {
    info = JSON.parse(readFileSync(join(dataDir, 'server.json'), 'utf8')) as typeof info;
  } catch {
    return;
  }
  if (typeof info.pid === 'number' && alive(info.pid)) {
    throw new FlowdeskError(
      'INVALID_STATE',
      `A Flowdesk server (pid ${info.pid}, ${String(info.url)}) has ${dataDir} open; stop it, ${what}, then start it again`,
    );
  }
}

async function openUsersCatalog(values: { 'data-dir'?: string; catalog?: string }): Promise<Catalog> {
  if (values['data-dir'] !== undefined && values.catalog !== undefined) throw invalid('Give --data-dir or --catalog, not both');
  const target = values.catalog ?? join(values['data-dir'] ?? defaultDataDir(), 'catalog.sqlite');
  if (!/^postgres(ql)?:\/\//.test(target)) refuseWhenServed(dirname(target));
  return openCatalog(target);
}

const time = (ms: number | null) => (ms === null ? '' : new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z'));

export async function users(args: string[], out: (line: string) => void = console.log): Promise<void> {
  const [action, ...rest] = args;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: { 'data-dir': { type: 'string' }, catalog: { type: 'string' }, role: { type: 'string' } },
  });
  if (action !== 'add' && action !== 'list' && action !== 'revoke') throw invalid(`flowdesk users takes add, list or revoke, got '${action ?? ''}'`);
  const name = positionals[0];
  if (action !== 'list' && (name === undefined || positionals.length !== 1)) throw invalid(`flowdesk users ${action} takes one user NAME`);
  if (action === 'add' && values.role === undefined) throw invalid(`flowdesk users add needs --role (${ROLES.join(', ')})`);
  const catalog = await openUsersCatalog(values);
  try {
    if (action === 'add') {
      const { user, token } = await addUser(catalog, name!, values.role!, Date.now());
      out(`Added ${user.name} (${user.role}). Their token, shown this once (Flowdesk keeps only its hash):`);
      out('');
      out(`  ${token}`);
      out('');
      out('Scripts: export MLFLOW_TRACKING_TOKEN=<token>. The window asks for it when it opens.');
    } else if (action === 'revoke') {
      await revokeUser(catalog, name!, Date.now());
      out(`Revoked ${name}: their tokens are refused from now on.`);
    } else {
      const rows = await listUsers(catalog.db);
      if (rows.length === 0) out('No users yet: the server is open on loopback and needs --token beyond it.');
      else {
        const lines = [['NAME', 'ROLE', 'CREATED', 'REVOKED'], ...rows.map((u) => [u.name, u.role, time(u.createdTime), time(u.revokedTime)])];
        const widths = lines[0]!.map((_, i) => Math.max(...lines.map((l) => l[i]!.length)));
        for (const line of lines) out(line.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd());
      }
    }
  } finally {
    await catalog.close();
  }
}
