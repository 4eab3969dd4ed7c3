/**
 * Careful reading of an `mlruns/` folder someone else wrote: nothing here follows a symbolic
 * link, reads a file outside the folder, or reads more than a bounded amount into memory. What
 * cannot be read is reported (`SourceProblem`) and skipped; callers go on with the rest.
 */
import { constants } from 'node:fs';
import { lstat, open, readdir } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { createInterface } from 'node:readline';
import { parse } from 'yaml';
import type { SourceProblem } from '#core/import/import-source.ts';

/** The largest meta.yaml, param or tag file read whole; MLflow's own are far smaller. */
export const MAX_SMALL_FILE = 16 * 1024 * 1024;

/** O_NOFOLLOW does not exist on Windows; there the lstat checks stand alone. */
const O_NOFOLLOW = constants.O_NOFOLLOW ?? 0;

/** Reports problems with paths shown relative to the folder being imported. */
export interface Reader {
  root: string;
  problem(path: string, message: string, line?: number): void;
}

/** A reader over `root` that names files relative to it in the problems it reports. */
export function createReader(root: string, onProblem: (problem: SourceProblem) => void): Reader {
  return {
    root,
    problem(path, message, line) {
      const rel = relative(root, path).split(sep).join('/') || '.';
      onProblem({ where: line === undefined ? rel : `${rel}:${line}`, message });
    },
  };
}

/** What `entries` lists: regular files and folders by name; links and the rest are reported and left out. */
export interface Entry {
  name: string;
  path: string;
  isDir: boolean;
  bytes: number;
}

/**
 * The files and folders directly inside `dir`, sorted by name; [] when it does not exist. A
 * symbolic link is never followed (it could lead anywhere on the machine): it is reported.
 */
export async function entries(reader: Reader, dir: string): Promise<Entry[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR') reader.problem(dir, `cannot be listed: ${(err as Error).message}`);
    return [];
  }
  names.sort();
  const out: Entry[] = [];
  for (const name of names) {
    const path = join(dir, name);
    const info = await lstat(path).catch(() => undefined);
    if (!info) continue;
    if (info.isSymbolicLink()) reader.problem(path, 'is a symbolic link; links are not followed');
    else if (info.isDirectory()) out.push({ name, path, isDir: true, bytes: 0 });
    else if (info.isFile()) out.push({ name, path, isDir: false, bytes: info.size });
    else reader.problem(path, 'is neither a file nor a folder');
  }
  return out;
}

/**
 * Reads a small file whole as UTF-8, refusing links (O_NOFOLLOW) and anything over
 * MAX_SMALL_FILE; undefined (and reported) when it cannot be read, undefined silently when absent.
 */
export async function readSmall(reader: Reader, path: string): Promise<string | undefined> {
  let handle;
  try {
    const info = await lstat(path);
    if (info.isSymbolicLink()) {
      reader.problem(path, 'is a symbolic link; links are not followed');
      return undefined;
    }
    if (!info.isFile()) {
      reader.problem(path, 'is not a file');
      return undefined;
    }
    if (info.size > MAX_SMALL_FILE) {
      reader.problem(path, `is ${info.size} bytes; files over ${MAX_SMALL_FILE} bytes are not read`);
      return undefined;
    }
    handle = await open(path, constants.O_RDONLY | O_NOFOLLOW);
    return await handle.readFile('utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    reader.problem(path, `cannot be read: ${(err as Error).message}`);
    return undefined;
  } finally {
    await handle?.close();
  }
}

/** A parsed meta.yaml as a plain object, or undefined (reported) when absent from a folder that needs one or unreadable. */
export async function readYaml(reader: Reader, path: string, required: boolean): Promise<Record<string, unknown> | undefined> {
  const text = await readSmall(reader, path);
  if (text === undefined) {
    if (required) reader.problem(path, 'is missing');
    return undefined;
  }
  try {
    // Aliases are capped so a hostile file cannot expand into gigabytes.
    const value: unknown = parse(text, { maxAliasCount: 100 });
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      reader.problem(path, 'does not hold a YAML mapping');
      return undefined;
    }
    return value as Record<string, unknown>;
  } catch (err) {
    reader.problem(path, `is not valid YAML: ${(err as Error).message.split('\n')[0]}`);
    return undefined;
  }
}

/**
 * Every file under `dir` (recursively, links not followed) as '/'-joined names relative to it:
 * how MLflow stores keys with '/' (`metrics/train/loss`) and artifact trees.
 */
export async function* walkFiles(reader: Reader, dir: string, prefix = ''): AsyncGenerator<Entry & { rel: string }> {
  for (const entry of await entries(reader, dir)) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDir) yield* walkFiles(reader, entry.path, rel);
    else yield { ...entry, rel };
  }
}

/**
 * The lines of a text file, one at a time, with their numbers (from 1); never the whole file.
 * The file is opened without following a link.
 */
export async function* lines(path: string): AsyncGenerator<{ text: string; number: number }> {
  const handle = await open(path, constants.O_RDONLY | O_NOFOLLOW);
  const stream = handle.createReadStream({ highWaterMark: 256 * 1024 });
  const input = createInterface({ input: stream, crlfDelay: Infinity });
  let number = 0;
  try {
    for await (const text of input) {
      number++;
      yield { text, number };
    }
  } finally {
    input.close();
    stream.destroy();
  }
}

/** A value of a meta.yaml as a string ('' for null or absent). */
export function str(value: unknown): string {
  if (value === null || value === undefined) return '';
  return typeof value === 'string' ? value : String(value);
}

/** A value of a meta.yaml as a whole number, or undefined when it is none. */
export function int(value: unknown): number | undefined {
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
  return Number.isSafeInteger(n) ? n : undefined;
}
