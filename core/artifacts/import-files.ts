/**
 * Copies files and folders from this machine (dropped on the window, or picked in a dialog) into
 * the artifact store. The dropped tree is walked with lstat and symbolic links are never followed:
 * each one is skipped and reported, so nothing outside what was dropped can be copied. Every file
 * goes through the store's own write (staging name, fsync, rename), with progress in bytes.
 */
import { constants, type Stats } from 'node:fs';
import { lstat, open, readdir } from 'node:fs/promises';
import { basename, isAbsolute, join } from 'node:path';
import { Readable } from 'node:stream';
import { FlowdeskError, invalid } from '#core/api/errors.ts';
import type { ArtifactStore } from './artifact-store.ts';

/** How far an import has come. */
export interface ImportFilesProgress {
  /** The file being copied, relative to what was dropped ('data/train.csv'). */
  path: string;
  bytesDone: number;
  bytesTotal: number;
  filesDone: number;
  filesTotal: number;
}

export interface ImportFilesOptions {
  /** Only its `write` is used: the desktop app passes the team server's artifact proxy here. */
  store: Pick<ArtifactStore, 'write'>;
  /** Absolute paths of the dropped files and folders. */
  sources: readonly string[];
  /** The store folder they land in ('' is the root), e.g. a run's `1/<run>/artifacts`. */
  destination: string;
  /** Called as bytes arrive (at most every `progressBytes`) and after each file. */
  onProgress?: (progress: ImportFilesProgress) => void;
  /** Called after each file lands, with its path relative to `destination`. */
  onFile?: (path: string) => void;
  progressBytes?: number;
}

export interface ImportFilesResult {
  files: { path: string; bytes: number }[];
  bytes: number;
  skipped: { path: string; reason: string }[];
}

interface PlannedFile {
  abs: string;
  rel: string;
  stats: Stats;
}

const O_NOFOLLOW = constants.O_NOFOLLOW ?? 0;
const O_NONBLOCK = constants.O_NONBLOCK ?? 0;
const DEFAULT_PROGRESS_BYTES = 4 * 1024 * 1024;
/** Large reads: a dropped file is often big, and each chunk costs a write call and a progress check. */
const READ_CHUNK = 1024 * 1024;
/** Files up to this size are read into memory whole rather than streamed. */
const WHOLE_READ_BYTES = 1024 * 1024;
/** More entries than this in one drop is almost surely a mistake (a home folder); refuse it whole. */
export const MAX_IMPORT_FILES = 100_000;

/** Lists what a drop holds: regular files to copy, and what is skipped with the reason. */
async function plan(sources: readonly string[]): Promise<{ files: PlannedFile[]; skipped: ImportFilesResult['skipped'] }> {
  const files: PlannedFile[] = [];
  const skipped: ImportFilesResult['skipped'] = [];
  const topNames = new Set<string>();

  const visit = async (abs: string, rel: string, stats: Stats): Promise<void> => {
    if (stats.isSymbolicLink()) skipped.push({ path: rel, reason: 'a symbolic link (links are not followed)' });
    else if (stats.isFile()) {
      if (files.length >= MAX_IMPORT_FILES) throw invalid(`The drop holds more than ${MAX_IMPORT_FILES} files; drop a smaller folder`);
      files.push({ abs, rel, stats });
    } else if (stats.isDirectory()) {
      let names: string[];
      try {
        names = (await readdir(abs)).sort();
      } catch (err) {
        skipped.push({ path: rel, reason: `the folder cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})` });
        return;
      }
      for (const name of names) {
        const child = join(abs, name);
        const childStats = await lstat(child).catch(() => undefined);
        if (childStats) await visit(child, `${rel}/${name}`, childStats);
        else skipped.push({ path: `${rel}/${name}`, reason: 'it vanished while being read' });
      }
    } else skipped.push({ path: rel, reason: 'not a regular file (a device, socket or pipe)' });
  };

  for (const source of sources) {
    if (!isAbsolute(source)) throw invalid(`Not an absolute path: '${source}'`);
    const name = basename(source);
    if (topNames.has(name)) {
      skipped.push({ path: name, reason: 'another dropped item has the same name' });
      continue;
    }
    topNames.add(name);
    const stats = await lstat(source).catch(() => undefined);
    if (stats) await visit(source, name, stats);
    else skipped.push({ path: name, reason: 'it does not exist' });
  }
  return { files, skipped };
}

/** Copies `sources` into the store under `destination`. Files the store refuses are skipped and reported. */
export async function importFiles(options: ImportFilesOptions): Promise<ImportFilesResult> {
  const { store, destination } = options;
  const step = options.progressBytes ?? DEFAULT_PROGRESS_BYTES;
  const { files, skipped } = await plan(options.sources);
  const bytesTotal = files.reduce((sum, f) => sum + f.stats.size, 0);
  const copied: ImportFilesResult['files'] = [];
  let bytesDone = 0;

  const report = (path: string) =>
    options.onProgress?.({ path, bytesDone, bytesTotal, filesDone: copied.length, filesTotal: files.length });

  for (const file of files) {
    // O_NOFOLLOW and the identity check: what is opened is the very file the walk saw, not a
    // link or another file swapped in since.
    let handle;
    try {
      handle = await open(file.abs, constants.O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
    } catch (err) {
      skipped.push({ path: file.rel, reason: `it cannot be opened (${(err as NodeJS.ErrnoException).code ?? 'error'})` });
      continue;
    }
    const startedAt = bytesDone;
    try {
      const opened = await handle.stat();
      if (!opened.isFile() || opened.ino !== file.stats.ino || opened.dev !== file.stats.dev) {
        skipped.push({ path: file.rel, reason: 'it changed while being imported' });
        continue;
      }
      const target = destination === '' ? file.rel : `${destination}/${file.rel}`;
      let body: Readable | Uint8Array;
      if (opened.size <= WHOLE_READ_BYTES) {
        // Small files (most of a dropped folder) are read whole: one read and one write each,
        // without a stream's per-file cost. The store checks the size against the one seen.
        body = await handle.readFile();
        bytesDone += body.byteLength;
      } else {
        let sinceReport = 0;
        const counted = async function* () {
          for await (const chunk of handle.createReadStream({ autoClose: false, start: 0, highWaterMark: READ_CHUNK })) {
            const data = chunk as Buffer;
            bytesDone += data.byteLength;
            sinceReport += data.byteLength;
            if (sinceReport >= step) {
              sinceReport = 0;
              report(file.rel);
            }
            yield data;
          }
        };
        body = Readable.from(counted());
      }
      const { bytes } = await store.write(target, body, { expectedBytes: opened.size });
      copied.push({ path: file.rel, bytes });
      report(file.rel);
      options.onFile?.(file.rel);
    } catch (err) {
      bytesDone = startedAt;
      // The store refuses names it cannot hold (a backslash, say) and files that grew mid-copy;
      // those are reported. Anything else (a full disk) stops the import.
      if (!(err instanceof FlowdeskError)) throw err;
      skipped.push({ path: file.rel, reason: err.message });
    } finally {
      await handle.close();
    }
  }
  return { files: copied, bytes: copied.reduce((sum, f) => sum + f.bytes, 0), skipped };
}
