/**
 * What a run offers to register: its artifact folders (those holding an `MLmodel` file first, as
 * MLflow's model folders do) and the MLflow 3 models it logged. The folder walk takes the lister
 * as a function, so it is tested without a server.
 */
import type { FileInfo } from '#core/api/entities.ts';

/** One thing the register dialog offers. */
export interface ModelCandidate {
  key: string;
  kind: 'folder' | 'logged-model';
  /** The logged model's name, or the folder's path. */
  label: string;
  /** For a folder: its path from the root of the run's artifacts. */
  path?: string;
  /** For a folder: how deep it sits (0 for a top-level folder), so the dialog can draw the tree. */
  depth?: number;
  /** For a logged model: its id. */
  modelId?: string;
  hasMLmodel: boolean;
}

/** How deep the walk goes, and how many folders it lists at most: a run with a huge tree must not stall the dialog. */
export const WALK_DEPTH = 3;
export const WALK_LIMIT = 200;

/**
 * The run's artifact folders, breadth first to `WALK_DEPTH` levels and at most `WALK_LIMIT`
 * listings; folders with an `MLmodel` file come first, then by path.
 */
export async function findModelFolders(list: (path: string | undefined) => Promise<FileInfo[]>): Promise<ModelCandidate[]> {
  const found: ModelCandidate[] = [];
  let level: (string | undefined)[] = [undefined];
  let listings = 0;
  for (let depth = 0; depth <= WALK_DEPTH && level.length > 0; depth++) {
    const next: string[] = [];
    for (const folder of level) {
      if (listings++ >= WALK_LIMIT) break;
      // The contract names a folder's children relative to it ("sub" in "model"); the dialog needs
      // the path from the run's root ("model/sub"), or nested folders look top-level and are listed
      // at the wrong place.
      const files = (await list(folder)).map((f) => ({ ...f, path: folder === undefined || f.path.startsWith(`${folder}/`) ? f.path : `${folder}/${f.path}` }));
      if (folder !== undefined) {
        const hasMLmodel = files.some((f) => !f.isDir && baseName(f.path) === 'MLmodel');
        found.push({ key: `folder:${folder}`, kind: 'folder', label: folder, path: folder, depth: depth - 1, hasMLmodel });
      }
      if (depth < WALK_DEPTH) next.push(...files.filter((f) => f.isDir).map((f) => f.path));
    }
    level = next;
  }
  return found.sort((a, b) => Number(b.hasMLmodel) - Number(a.hasMLmodel) || a.label.localeCompare(b.label));
}

const baseName = (path: string) => path.slice(path.lastIndexOf('/') + 1);
