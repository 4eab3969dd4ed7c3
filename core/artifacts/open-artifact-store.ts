/**
 * Chooses the artifact store from the `artifacts` setting: `s3://bucket/prefix` for object
 * storage, otherwise the local folder. Also gives the check `/health` runs on it.
 */
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { FlowdeskError, invalid } from '#core/api/errors.ts';
import { createLocalArtifactStore, type ArtifactStore } from './artifact-store.ts';
import { createS3ArtifactStore, parseS3Url } from './s3-artifact-store.ts';

/** Resolves when the store is usable; throws a FlowdeskError saying why when it is not. */
export type StoreHealth = () => Promise<void>;

export interface OpenedArtifactStore {
  store: ArtifactStore;
  check: StoreHealth;
  /** Releases the store's connections (the S3 client's sockets); the local store has none. */
  close(): void;
}

/** `setting` is `s3://bucket/prefix` or undefined (the local folder `localRoot`). */
export function openArtifactStore(setting: string | undefined, localRoot: string): OpenedArtifactStore {
  if (setting === undefined || setting === '') {
    return { store: createLocalArtifactStore(localRoot), check: () => checkFolder(localRoot), close: () => undefined };
  }
  if (!setting.startsWith('s3://')) {
    throw invalid(`Invalid artifact location '${setting}': expected s3://<bucket>/<prefix> (leave it unset for the local folder)`);
  }
  const store = createS3ArtifactStore(parseS3Url(setting));
  return { store, check: () => store.checkBucket(), close: () => store.close() };
}

/** The local store is usable when its folder exists and this process may write into it. */
async function checkFolder(root: string): Promise<void> {
  const info = await stat(root).catch(() => undefined);
  if (!info?.isDirectory()) throw new FlowdeskError('INTERNAL_ERROR', `The artifact folder ${root} does not exist`);
  await access(root, constants.W_OK).catch(() => {
    throw new FlowdeskError('INTERNAL_ERROR', `The artifact folder ${root} is not writable by this process`);
  });
}
