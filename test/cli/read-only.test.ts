/**
 * A data folder or catalog Flowdesk may not write is reported as read-only, with its path, never
 * as a damaged catalog. Root writes through file modes, so as root the command runs as the
 * unprivileged user `nobody` (setpriv, util-linux) against files that root owns: the kernel then
 * refuses the writes exactly as it would on a read-only folder of the user's own.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openCatalog } from '#core/catalog/catalog.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const NOBODY = 65534;

/** Runs the CLI as a user who cannot write root's files (itself, when the tests do not run as root). */
function flowdeskUnprivileged(args: string[]) {
  const command = [process.execPath, 'bin/flowdesk.js', ...args];
  const asRoot = process.getuid?.() === 0;
  const [file, ...rest] = asRoot ? ['setpriv', `--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', ...command] : command;
  return spawnSync(file!, rest, { encoding: 'utf8', env: { ...process.env, HOME: tmpdir() } });
}

/** A folder everyone may enter, holding a catalog made by this process. */
async function folderWithCatalog(): Promise<string> {
  const dataDir = join(tempDir(), 'data');
  mkdirSync(dataDir);
  await (await openCatalog(join(dataDir, 'catalog.sqlite'))).close();
  chmodSync(join(dataDir, '..'), 0o755);
  return dataDir;
}

describe('a data folder Flowdesk may not write', () => {
  it('is reported as a read-only data folder, with its path', async () => {
    const dataDir = await folderWithCatalog();
    chmodSync(dataDir, 0o555);
    chmodSync(join(dataDir, 'catalog.sqlite'), 0o444);
    const result = flowdeskUnprivileged(['gc', '--data-dir', dataDir]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`flowdesk: The data folder ${dataDir} is read-only`);
    expect(result.stderr).not.toMatch(/damaged/);
  });

  it('reports a catalog it may not write as read-only, not as damaged', async () => {
    const dataDir = await folderWithCatalog();
    chmodSync(dataDir, 0o777);
    chmodSync(join(dataDir, 'catalog.sqlite'), 0o444);
    const result = flowdeskUnprivileged(['gc', '--data-dir', dataDir]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`flowdesk: The catalog ${join(dataDir, 'catalog.sqlite')} is read-only`);
    expect(result.stderr).not.toMatch(/damaged/);
  });
});
