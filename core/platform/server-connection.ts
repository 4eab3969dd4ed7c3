/**
 * Reaching a running Flowdesk server as a client: where it is (an explicit URI, the environment,
 * or the data folder's server.json) and how a local file is uploaded through its artifact proxy.
 * Shared by the SDK and the commands that log through a server (`flowdesk run`, `flowdesk models`).
 */
import { createReadStream, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { FlowdeskError, invalid } from '#core/api/errors.ts';
import { defaultDataDir } from './data-dir.ts';

export interface ConnectOptions {
  /** The server, e.g. `http://127.0.0.1:5000`. Default: $FLOWDESK_URI, $MLFLOW_TRACKING_URI, then server.json. */
  uri?: string;
  /** Bearer token. Default: $FLOWDESK_TOKEN or $MLFLOW_TRACKING_TOKEN. */
  token?: string;
  /** Where to look for server.json when no URI is given. */
  dataDir?: string;
}

/** Where the server is: the explicit URI, the environment, or the running app's server.json. */
export function findServer(options: ConnectOptions = {}, env: NodeJS.ProcessEnv = process.env): string {
  const explicit = options.uri ?? env.FLOWDESK_URI ?? env.MLFLOW_TRACKING_URI;
  if (explicit) {
    if (!/^https?:\/\//.test(explicit)) throw invalid(`The tracking URI must be an http(s) URL, got '${explicit}'`);
    return explicit.replace(/\/+$/, '');
  }
  const path = join(options.dataDir ?? defaultDataDir(env), 'server.json');
  try {
    const info = JSON.parse(readFileSync(path, 'utf8')) as { url?: string };
    if (info.url) return info.url;
  } catch {
    // reported below with what was tried
  }
  throw new FlowdeskError(
    'RESOURCE_DOES_NOT_EXIST',
    `No Flowdesk server found: set FLOWDESK_URI or MLFLOW_TRACKING_URI, or start Flowdesk (no server.json at ${path})`,
  );
}

/** Percent-encodes each segment of a slash-separated path for a URL. */
const encodePath = (path: string) => path.split('/').map(encodeURIComponent).join('/');

/** Uploads one local file to a store path through the server's artifact proxy, streamed. */
export async function uploadArtifactFile(baseUrl: string, token: string | undefined, localPath: string, storePath: string): Promise<void> {
  const size = statSync(localPath).size;
  const body = Readable.toWeb(createReadStream(localPath)) as ReadableStream<Uint8Array>;
  const response = await fetch(`${baseUrl}/api/2.0/mlflow-artifacts/artifacts/${encodePath(storePath)}`, {
    method: 'PUT',
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), 'content-type': 'application/octet-stream', 'content-length': String(size) },
    body,
    duplex: 'half',
  } as RequestInit);
  if (!response.ok) {
    const error = (await response.json().catch(() => ({}))) as { error_code?: string; message?: string };
    throw new FlowdeskError('INVALID_PARAMETER_VALUE', `Upload of ${localPath} failed (${response.status}): ${error.message ?? response.statusText}`);
  }
}
