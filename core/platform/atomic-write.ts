/**
 * Writing a small file so that a reader sees the old contents or the new, never half of either:
 * the text goes to a fresh staging name beside the target, is flushed to disk, then renamed over
 * it (a rename within one folder is atomic). The one copy of this recipe for the whole engine.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';

/**
 * Replaces `path` with `text` atomically. `mode` applies to a new file (0600 for anything holding
 * secrets or addresses); the staging file is removed if any step before the rename fails.
 */
export function writeFileAtomic(path: string, text: string, mode = 0o666): void {
  const staging = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  const fd = openSync(staging, 'wx', mode);
  try {
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(staging, path);
  } catch (err) {
    rmSync(staging, { force: true });
    throw err;
  }
}
