/**
 * The `imports.*` contract methods: imports run in the background of this process, each with an
 * id; progress and the end go out as events, the summary is kept for `imports.get`. An import is
 * this process's work (the sources it reads are on this machine), which is why the methods are
 * local-only: on a team server they are refused before they get here.
 */
import { randomUUID } from 'node:crypto';
import type { Handlers } from '#core/api/contract.ts';
import { FlowdeskError, notFound } from '#core/api/errors.ts';
import type { ImportStatus } from '#core/api/imports-contract.ts';
import { createProblemLog, importFrom, type ImportTarget } from './import-engine.ts';
import { openSource } from './open-source.ts';

export type ImportHandlers = Pick<Handlers, 'imports.start' | 'imports.get' | 'imports.list' | 'imports.stop'>;

/** How many ended imports are remembered for `imports.get`. */
const KEEP_ENDED = 50;

export interface ImportRunner {
  handlers: ImportHandlers;
  /** Stops running imports and waits for them to end (before the catalog closes). */
  shutdown(): Promise<void>;
}

/** The import methods over a target (the open Flowdesk's catalog, store and events). */
export function createImportRunner(target: ImportTarget, report: (message: string, err: unknown) => void): ImportRunner {
  const imports = new Map<string, { status: ImportStatus; stop: AbortController; done: Promise<void> }>();

  function forget(): void {
    const ended = [...imports.values()].filter((i) => i.status.state !== 'running');
    for (const old of ended.slice(0, Math.max(0, ended.length - KEEP_ENDED))) imports.delete(old.status.importId);
  }

  return {
    handlers: {
      async 'imports.start'(input) {
        const problems = createProblemLog();
        const source = await openSource(input.source, { onProblem: problems.onProblem, token: input.token });
        const importId = randomUUID();
        const stop = new AbortController();
        const status: ImportStatus = {
          importId,
          source: source.describe,
          state: 'running',
          progress: { phase: 'runs', experiments: 0, runs: 0, points: 0, files: 0, bytes: 0 },
        };
        const done = importFrom(source, target, {
          experimentName: input.experimentName,
          leaveArtifacts: input.leaveArtifacts,
          signal: stop.signal,
          problems,
          onProgress(progress) {
            status.progress = progress;
            target.events.publish({ type: 'imports.progress', importId, progress });
          },
        }).then(
          (summary) => {
            status.summary = summary;
            status.state = 'done';
          },
          (err: unknown) => {
            status.state = stop.signal.aborted ? 'stopped' : 'failed';
            status.error = err instanceof FlowdeskError ? err.message : 'Internal error; the details are in the Flowdesk log';
            if (!(err instanceof FlowdeskError)) report(`Flowdesk: the import from ${source.describe} failed`, err);
          },
        ).finally(() => {
          target.events.publish({ type: 'imports.finished', importId, state: status.state as Exclude<ImportStatus['state'], 'running'>, experimentIds: status.summary?.experimentIds ?? [] });
          forget();
        });
        imports.set(importId, { status, stop, done });
        return { importId };
      },

      async 'imports.get'(input) {
        const found = imports.get(input.importId);
        if (!found) throw notFound(`No import with id '${input.importId}' in this process`);
        return { import: found.status };
      },

      async 'imports.list'() {
        return { imports: [...imports.values()].map((i) => i.status).reverse() };
      },

      async 'imports.stop'(input) {
        const found = imports.get(input.importId);
        if (!found) throw notFound(`No import with id '${input.importId}' in this process`);
        found.stop.abort();
        await found.done;
        return {};
      },
    },
    async shutdown() {
      for (const i of imports.values()) i.stop.abort();
      await Promise.all([...imports.values()].map((i) => i.done));
    },
  };
}
