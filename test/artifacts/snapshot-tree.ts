import { createHash } from 'node:crypto';
import { lstatSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Everything under `dir` as `relative path -> kind and content hash`, without following links,
 * so two snapshots differ whenever anything was created, removed, changed or relinked.
 */
export function snapshotTree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string) => {
    for (const name of readdirSync(join(dir, rel)).sort()) {
      const child = rel === '' ? name : `${rel}/${name}`;
      const abs = join(dir, child);
      const info = lstatSync(abs);
      if (info.isSymbolicLink()) out[child] = `link -> ${readlinkSync(abs)}`;
      else if (info.isDirectory()) {
        out[child] = 'dir';
        walk(child);
      } else out[child] = `file ${createHash('sha256').update(readFileSync(abs)).digest('hex')}`;
    }
  };
  walk('');
  return out;
}
