/**
 * Files from this machine into a run: copied into an existing run's artifacts, or into a new run
 * of an experiment (named after what was dropped, finished once the files are in). Each file that
 * lands is announced as `artifact.added`, so the window lists it live.
 */
import { basename } from 'node:path';
import type { Handlers } from '#core/api/contract.ts';
import type { ImportReport, ImportTarget } from '#core/api/desktop-contract.ts';
import { invalid } from '#core/api/errors.ts';
import type { EventBus } from '#core/api/events.ts';
import type { ArtifactStore } from '#core/artifacts/artifact-store.ts';
import { importFiles, type ImportFilesProgress } from '#core/artifacts/import-files.ts';
import type { Catalog } from '#core/catalog/catalog.ts';
import { storePathOf } from '#core/api/artifact-locations.ts';
import { getRunRow } from './tracking-service.ts';

export interface FileImportDeps {
  catalog: Catalog;
  artifacts: ArtifactStore;
  events: EventBus;
  handlers: Pick<Handlers, 'runs.create' | 'runs.update'>;
  now?: () => number;
}

export type FileImporter = (target: ImportTarget, paths: readonly string[], onProgress?: (progress: ImportFilesProgress) => void) => Promise<ImportReport>;

/** The run a drop onto an experiment creates is named after the first dropped item. */
export function runNameFor(paths: readonly string[]): string {
  const first = basename(paths[0] ?? 'import');
  return paths.length > 1 ? `${first} and ${paths.length - 1} more` : first;
}

export function createFileImporter(deps: FileImportDeps): FileImporter {
  const { catalog, artifacts, events, handlers } = deps;
  const now = deps.now ?? Date.now;
  return async (target, paths, onProgress) => {
    const created = 'experimentId' in target;
    const runId = created
      ? (await handlers['runs.create']({ experimentId: target.experimentId, runName: runNameFor(paths), tags: [{ key: 'flowdesk.source', value: 'import' }] })).run.info.runId
      : target.runId;
    const row = await getRunRow(catalog.db, runId);
    if (row.lifecycle_stage !== 'active') throw invalid(`The run ${runId} is in the trash; restore it before adding files`);
    const experimentId = String(row.experiment_id);
    let result;
    try {
      result = await importFiles({
        store: artifacts,
        sources: paths,
        destination: storePathOf(row.artifact_uri),
        onProgress,
        onFile: (path) => events.publish({ type: 'artifact.added', experimentId, runId, path }),
      });
    } catch (err) {
      if (created) await handlers['runs.update']({ runId, status: 'FAILED', endTime: now() });
      throw err;
    }
    if (created) await handlers['runs.update']({ runId, status: 'FINISHED', endTime: now() });
    return { experimentId, runId, files: result.files.length, bytes: result.bytes, skipped: result.skipped };
  };
}
