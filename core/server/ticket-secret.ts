/**
 * The secret that signs the window's short-lived read tickets (auth.ts). It is never in the
 * catalog, so whoever can read the catalog (a backup, a database reader) still cannot make a
 * ticket. Where it comes from:
 * - `FLOWDESK_TICKET_SECRET`, or the file `flowdesk serve --ticket-secret-file` names: the same on
 *   every process of a team server behind a load balancer, so a ticket one process issued is
 *   good on the others;
 * - otherwise `ticket-secret` in the data folder: 32 random bytes made once, mode 0600. Each
 *   process has a data folder of its own, so on a PostgreSQL catalog without the setting a ticket
 *   only works on the process that issued it.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, linkSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { FlowdeskError, invalid } from '#core/api/errors.ts';

/** The environment variable that carries a shared ticket secret. */
export const TICKET_SECRET_ENV = 'FLOWDESK_TICKET_SECRET';
const SECRET_FILE = 'ticket-secret';
/** Shorter than this and a shared secret could be guessed; 32 random bytes are 43+ characters. */
const MIN_SECRET_LENGTH = 32;

/** Checks a configured secret (`from` says where it came from, for the error). */
export function sharedTicketSecret(text: string, from: string): string {
  const secret = text.trim();
  if (secret.length < MIN_SECRET_LENGTH) throw invalid(`${from} must hold at least ${MIN_SECRET_LENGTH} characters (for example: openssl rand -base64 32)`);
  return secret;
}

/**
 * The data folder's own ticket secret, made on first use: written whole under a staging name
 * (0600), then linked into place, which fails if it exists, so two makers agree on one secret
 * and a crash never leaves half a secret.
 */
export function dataFolderTicketSecret(dataDir: string): string {
  const path = join(dataDir, SECRET_FILE);
  const staging = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    const fd = openSync(staging, 'wx', 0o600);
    try {
      writeSync(fd, randomBytes(32).toString('base64url'));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    linkSync(staging, path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    rmSync(staging, { force: true });
  }
  const secret = readFileSync(path, 'utf8').trim();
  if (secret.length < MIN_SECRET_LENGTH) throw new FlowdeskError('INVALID_STATE', `The ticket secret ${path} is too short; delete it and Flowdesk makes a new one`);
  return secret;
}
