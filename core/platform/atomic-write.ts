/**
 * Writing a small file so that a reader sees the old contents or the new, never half of either.
 * The recipe (a fresh staging name beside the target, flushed to disk, renamed over it, removed
 * if a step fails or the process exits first) is npm's own `write-file-atomic`, which also keeps
 * an existing file's mode and owner and writes through a symlink to its target instead of
 * replacing the link. The one atomic write for the whole engine.
 */
import writeFileAtomicLib from 'write-file-atomic';

/**
 * Replaces `path` with `text` atomically and durably (fsynced before the rename). `mode`, when
 * given, is the file's mode afterwards (0600 for anything holding secrets or addresses); without
 * it a new file gets the usual 0666 less the umask and an existing one keeps its mode.
 */
export function writeFileAtomic(path: string, text: string, mode?: number): void {
  writeFileAtomicLib.sync(path, text, { fsync: true, ...(mode === undefined ? {} : { mode }) });
}
