/**
 * Picks the import source for what a person names: an `mlruns/` folder, a folder of TensorBoard
 * event files, or the http(s) URL of an MLflow tracking server. Anything else is refused with
 * what was expected.
 */
import { lstat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { FlowdeskError } from '#core/api/errors.ts';
import type { ImportSource, SourceOptions } from './import-source.ts';
import { isMlrunsFolder, openMlrunsSource } from './mlruns/mlruns-source.ts';
import { openMlflowServerSource } from './mlflow-server/mlflow-server-source.ts';
import { openTensorBoardSource } from './tensorboard/tensorboard-source.ts';

/** What opening a server source needs beyond the URL. */
export interface OpenOptions extends SourceOptions {
  /** A bearer token for an MLflow server (MLFLOW_TRACKING_TOKEN). */
  token?: string;
  /** Basic-auth credentials for an MLflow server (MLFLOW_TRACKING_USERNAME and _PASSWORD), used when no token is given. */
  username?: string;
  password?: string;
}

/**
 * Opens the source `pathOrUrl` names. An mlruns folder (or a folder holding `mlruns/`) is read
 * as MLflow's file store; an http(s) URL as a running MLflow tracking server, checked at once to
 * answer with the credentials given; any other folder as TensorBoard logs, when event files lie
 * in it or below it (an mlruns folder is asked first: runs often keep event files among their
 * artifacts).
 */
export async function openSource(pathOrUrl: string, options: OpenOptions): Promise<ImportSource> {
  if (/^https?:\/\//i.test(pathOrUrl)) {
    return openMlflowServerSource(pathOrUrl, { token: options.token, username: options.username, password: options.password }, options);
  }
  if (/^[a-z][a-z0-9+.-]+:\/\//i.test(pathOrUrl)) {
    throw new FlowdeskError('INVALID_PARAMETER_VALUE', `Cannot import from '${pathOrUrl}': expected a folder on this machine (an mlruns/ folder or TensorBoard logs) or an http(s) URL of an MLflow tracking server`);
  }
  const folder = resolve(pathOrUrl);
  const info = await lstat(folder).catch(() => undefined);
  if (!info) throw new FlowdeskError('INVALID_PARAMETER_VALUE', `Cannot import from ${folder}: there is no such folder`);
  if (!info.isDirectory() || (await isMlrunsFolder(folder)) || (await isMlrunsFolder(resolve(folder, 'mlruns')))) {
    // The mlruns source refuses, with what it expected, a path that is not a folder.
    return openMlrunsSource(folder, options);
  }
  try {
    return await openTensorBoardSource(folder, options);
  } catch (err) {
    if (!(err instanceof FlowdeskError) || err.code !== 'INVALID_PARAMETER_VALUE') throw err;
    throw new FlowdeskError(
      'INVALID_PARAMETER_VALUE',
      `Cannot import from ${folder}: it is neither an mlruns folder (MLflow's file store: one folder per experiment holding a meta.yaml, as mlruns/0/meta.yaml) nor a folder of TensorBoard logs (files named events.out.tfevents.* in it or its subfolders)`,
    );
  }
}
