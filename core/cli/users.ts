/**
 * `flowdesk users add|list|revoke`: the people of a team server.
 *
 * These commands open the catalog themselves rather than asking the server: managing users is
 * for whoever administers the data (folder or database), not a right to hand out over HTTP, and
 * going through the server would need a token to make the first token. A SQLite catalog has one
 * owner process, so while a server or the app has the data folder open (data-folder-lock.ts)
 * they refuse and say so: stop it, change users, start it again. A PostgreSQL catalog is shared
 * by design: a revoke there reaches every server at once (revokeUser notifies them), which cut
 * the user's open streams and refuse their tokens and tickets from then on.
 */
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { invalid } from '#core/api/errors.ts';
import { ROLES } from '#core/api/roles.ts';
import { openCatalog, type Catalog } from '#core/catalog/catalog.ts';
import { lockDataFolder } from '#core/catalog/data-folder-lock.ts';
import { isPostgresUrl, openPostgresCatalog } from '#core/catalog/postgres-catalog.ts';
import { addUser, listUsers, revokeUser } from '#core/users/users.ts';
import { defaultDataDir } from '#core/platform/data-dir.ts';

export const USERS_USAGE = `  flowdesk users add NAME --role reader|writer|approver [--data-dir DIR | --catalog PATH|postgresql://...]
      Add a person and print their token, once: only its hash is kept. Readers read, writers
      also log and change, approvers also approve protected registry moves and set protection.
  flowdesk users list [--data-dir DIR | --catalog PATH|postgresql://...]
  flowdesk users revoke NAME [--data-dir DIR | --catalog PATH|postgresql://...]
      Refuse every token of NAME from now on. Names are never reused.
      With a SQLite catalog, stop the server (or app) using the data folder first.`;

/** The catalog, and on SQLite its data folder held for the command (refused while another process has it). */
async function openUsersCatalog(values: { 'data-dir'?: string; catalog?: string }): Promise<{ catalog: Catalog; release: () => void }> {
  if (values['data-dir'] !== undefined && values.catalog !== undefined) throw invalid('Give --data-dir or --catalog, not both');
  const target = values.catalog ?? join(values['data-dir'] ?? defaultDataDir(), 'catalog.sqlite');
  if (isPostgresUrl(target)) return { catalog: await openPostgresCatalog(target), release: () => undefined };
  // The first user may come before the first start: the folder is made as openFlowdesk makes it.
  mkdirSync(dirname(target), { recursive: true, mode: 0o700 });
  const lock = lockDataFolder(dirname(target), 'stop it, change users, then start it again');
  try {
    return { catalog: await openCatalog(target), release: () => lock.release() };
  } catch (err) {
    lock.release();
    throw err;
  }
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
  const { catalog, release } = await openUsersCatalog(values);
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
    release();
  }
}
