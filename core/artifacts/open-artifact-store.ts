/**
 * Chooses the artifact store from the `artifacts` setting: `s3://bucket/prefix` for object
 * storage, otherwise the local folder. Also gives the check `/health` runs on it.
 */
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { FlowdeskError, invalid } from '#core/api/errors.ts';
import { createLocalArtifactStore, type ArtifactStore } from './artifact-store.ts';
import { parseS3Url, type S3Location } from './s3-location.ts';
import type { S3ArtifactStore } from './s3-artifact-store.ts';

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
  return lazyS3Store(parseS3Url(setting));
}

/**
 * The S3 store, with the AWS SDK loaded on its first use rather than when the server starts:
 * loading it costs a start-up about 100 ms and 20 MB that a local store never needs.
 */
function lazyS3Store(location: S3Location): OpenedArtifactStore {
  let loaded: Promise<S3ArtifactStore> | undefined;
  let ready: S3ArtifactStore | undefined;
  const get = () =>
    (loaded ??= import('./s3-artifact-store.ts').then(({ createS3ArtifactStore }) => {
      ready = createS3ArtifactStore(location);
      return ready;
    }));
  const store: ArtifactStore = {
    write: async (path, body, options) => (await get()).write(path, body, options),
    read: async (path, range) => (await get()).read(path, range),
    stat: async (path) => (await get()).stat(path),
    list: async (dir) => (await get()).list(dir),
    delete: async (path) => (await get()).delete(path),
    du: async (path) => (await get()).du(path),
    sweepStaging: async (before) => (await get()).sweepStaging(before),
    freeBytes: async () => (await get()).freeBytes(),
  };
  return { store, check: async () => (await get()).checkBucket(), close: () => ready?.close() };
}

/** The local store is usable when its folder exists and this process may write into it. */
async function checkFolder(root: string): Promise<void> {
  const info = await stat(root).catch(() => undefined);
  if (!info?.isDirectory()) throw new FlowdeskError('INTERNAL_ERROR', `The artifact folder ${root} does not exist`);
  await access(root, constants.W_OK).catch(() => {
    throw new FlowdeskError('INTERNAL_ERROR', `The artifact folder ${root} is not writable by this process`);
  });
}
