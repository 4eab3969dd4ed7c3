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
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { invalid } from '#core/api/errors.ts';
import { ROLES } from '#core/api/roles.ts';
import { openUserAdmin } from '#core/flowdesk.ts';
import { defaultDataDir } from '#core/platform/data-dir.ts';

export const USERS_USAGE = `  flowdesk users add NAME --role reader|writer|approver [--data-dir DIR | --catalog PATH|postgresql://...]
      Add a person and print their token, once: only its hash is kept. Readers read, writers
      also log and change, approvers also approve protected registry moves and set protection.
  flowdesk users list [--data-dir DIR | --catalog PATH|postgresql://...]
  flowdesk users revoke NAME [--data-dir DIR | --catalog PATH|postgresql://...]
      Refuse every token of NAME from now on. Names are never reused.
      With a SQLite catalog, stop the server (or app) using the data folder first.`;

/** Where the users live: the --catalog given, or the data folder's SQLite catalog. */
function catalogLocation(values: { 'data-dir'?: string; catalog?: string }): string {
  if (values['data-dir'] !== undefined && values.catalog !== undefined) throw invalid('Give --data-dir or --catalog, not both');
  return values.catalog ?? join(values['data-dir'] ?? defaultDataDir(), 'catalog.sqlite');
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
  const admin = await openUserAdmin(catalogLocation(values));
  try {
    if (action === 'add') {
      const { user, token } = await admin.add(name!, values.role!);
      out(`Added ${user.name} (${user.role}). Their token, shown this once (Flowdesk keeps only its hash):`);
      out('');
      out(`  ${token}`);
      out('');
      out('Scripts: export MLFLOW_TRACKING_TOKEN=<token>. The window asks for it when it opens.');
    } else if (action === 'revoke') {
      await admin.revoke(name!);
      out(`Revoked ${name}: their tokens are refused from now on.`);
    } else {
      const rows = await admin.list();
      if (rows.length === 0) out('No users yet: the server is open on loopback and needs --token beyond it.');
      else {
        const lines = [['NAME', 'ROLE', 'CREATED', 'REVOKED'], ...rows.map((u) => [u.name, u.role, time(u.createdTime), time(u.revokedTime)])];
        const widths = lines[0]!.map((_, i) => Math.max(...lines.map((l) => l[i]!.length)));
        for (const line of lines) out(line.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd());
      }
    }
  } finally {
    await admin.close();
  }
}
