/**
 * The projects methods of the contract, served by a project runner living in the process that
 * owns the data folder (the server, or the desktop app's main process).
 */
import { createReadStream } from 'node:fs';
import type { Handlers } from '#core/api/contract.ts';
import type { EventBus } from '#core/api/events.ts';
import type { ArtifactStore } from '#core/artifacts/artifact-store.ts';
import { storePathIn } from '#core/api/artifact-locations.ts';
import type { ArtifactTarget } from './project-runner.ts';
import type { ProjectRunner } from './project-runner.ts';

type ProjectHandlers = Pick<Handlers, 'projects.inspect' | 'projects.validate' | 'projects.run' | 'projects.log' | 'projects.cancel'>;

/** Saves a file into a run's artifacts in this process's store and tells the window about it. */
export function localArtifactSaver(artifacts: ArtifactStore, events: EventBus) {
  return async (target: ArtifactTarget, path: string, localFile: string): Promise<void> => {
    await artifacts.write(storePathIn(target.artifactUri, path), createReadStream(localFile));
    events.publish({ type: 'artifact.added', experimentId: target.experimentId, runId: target.runId, path });
  };
}

export function createProjectHandlers(runner: ProjectRunner): ProjectHandlers {
  return {
    'projects.inspect': async ({ uri }) => ({ project: await runner.inspect(uri) }),
    'projects.validate': (input) => runner.validate(input),
    'projects.run': async (input) => ({ state: (await runner.start(input)).state }),
    'projects.log': async ({ runId, after }) => runner.log(runId, after),
    'projects.cancel': async ({ runId }) => ({ state: await runner.cancel(runId) }),
  };
}
