/**
 * Where the data folder is when it is not the default one. The default folder (the OS user-data
 * folder) keeps a small `data-folder.json` naming the folder in use, so the desktop app and
 * `flowdesk serve` both find a data folder the person moved.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { invalid } from '#core/api/errors.ts';
import { writeFileAtomic } from './atomic-write.ts';

export const LOCATION_FILE = 'data-folder.json';

/** The data folder in use: the one `home/data-folder.json` names, or `home` itself. */
export function resolveDataDir(home: string, warn: (message: string) => void = console.warn): string {
  let text: string;
  try {
    text = readFileSync(join(home, LOCATION_FILE), 'utf8');
  } catch {
    return home;
  }
  try {
    const { dataDir } = JSON.parse(text) as { dataDir?: unknown };
    if (typeof dataDir === 'string' && isAbsolute(dataDir)) return dataDir;
  } catch {
    // reported below
  }
  warn(`Flowdesk: ${join(home, LOCATION_FILE)} names no absolute folder; using ${home}`);
  return home;
}

/** Records `dataDir` as the data folder in use (atomically); `home` itself clears the record. */
export function setDataDir(home: string, dataDir: string): void {
  if (!isAbsolute(dataDir)) throw invalid(`The data folder must be an absolute path, got '${dataDir}'`);
  mkdirSync(home, { recursive: true });
  writeFileAtomic(join(home, LOCATION_FILE), `${JSON.stringify({ dataDir }, null, 2)}\n`);
}
