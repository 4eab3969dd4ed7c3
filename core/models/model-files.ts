/**
 * The files of one model folder, read either from the artifact store (inside Flowdesk) or through
 * a server's artifact proxy (the command line talking to a running Flowdesk). Reads are bounded:
 * a model folder is data a client uploaded, so nothing is read whole without a limit.
 */
import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { ArtifactStore } from '#core/artifacts/artifact-store.ts';
import { checkArtifactPath } from '#core/api/artifact-path.ts';
import { FlowdeskError, invalid, notFound } from '#core/api/errors.ts';

/** One file of a model folder. */
export interface ModelFile {
  /** Relative to the model folder, `/`-separated. */
  path: string;
  bytes: number;
}

/** Largest single file of a model folder read: what a Buffer (and onnxruntime's loader) can hold. */
export const MODEL_FILE_LIMIT = 2 * 1024 * 1024 * 1024 - 1;

export interface ModelFiles {
  /** Where the folder is, for messages. */
  readonly where: string;
  /** A whole file; RESOURCE_DOES_NOT_EXIST when missing, REQUEST_LIMIT_EXCEEDED when larger than `limit` bytes. */
  read(path: string, limit: number): Promise<Buffer>;
  /** The first `bytes` bytes of a file and its total size, or undefined when it is not there. */
  head(path: string, bytes: number): Promise<{ data: Buffer; total: number } | undefined>;
  /** Every file under the folder. */
  list(): Promise<ModelFile[]>;
  /** Streams a file to a local path (model files may be far larger than memory should hold). */
  download(path: string, localPath: string): Promise<void>;
}

/** Gathers a stream into one buffer, failing once it passes `limit` bytes. */
async function collect(stream: AsyncIterable<Buffer>, limit: number, what: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream) {
    total += chunk.length;
    if (total > limit) throw new FlowdeskError('REQUEST_LIMIT_EXCEEDED', `${what} is larger than ${limit} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

const join = (root: string, path: string) => (root === '' ? checkArtifactPath(path) : `${root}/${checkArtifactPath(path)}`);

/** A model folder in the artifact store at store path `root`. */
export function storeModelFiles(store: ArtifactStore, root: string, where: string): ModelFiles {
  return {
    where,
    async read(path, limit) {
      const { stream, bytes } = await store.read(join(root, path));
      if (bytes > limit) {
        stream.destroy();
        throw new FlowdeskError('REQUEST_LIMIT_EXCEEDED', `${path} of ${where} is larger than ${limit} bytes`);
      }
      return collect(stream, limit, `${path} of ${where}`);
    },
    async head(path, bytes) {
      const full = join(root, path);
      const stat = await store.stat(full);
      if (!stat || stat.isDir) return undefined;
      if (stat.bytes === 0) return { data: Buffer.alloc(0), total: 0 };
      const { stream } = await store.read(full, { start: 0, end: bytes - 1 });
      return { data: await collect(stream, bytes, path), total: stat.bytes };
    },
    async list() {
      const files: ModelFile[] = [];
      const walk = async (dir: string) => {
        for (const entry of await store.list(dir === '' ? root : `${root}/${dir}`)) {
          const path = dir === '' ? entry.path : `${dir}/${entry.path}`;
          if (entry.isDir) await walk(path);
          else files.push({ path, bytes: entry.fileSize ?? 0 });
        }
      };
      await walk('');
      return files;
    },
    async download(path, localPath) {
      const { stream } = await store.read(join(root, path));
      await pipeline(stream, createWriteStream(localPath, { flags: 'wx' }));
    },
  };
}

/** Percent-encodes each segment of a path for a URL. */
const encodePath = (path: string) => path.split('/').map(encodeURIComponent).join('/');

/** A model folder behind a Flowdesk (or MLflow) server's artifact proxy, at store path `root`. */
export function proxyModelFiles(baseUrl: string, headers: Record<string, string>, root: string, where: string): ModelFiles {
  const fileUrl = (path: string) => `${baseUrl}/api/2.0/mlflow-artifacts/artifacts/${encodePath(join(root, path))}`;
  const fail = async (response: Response, what: string) => {
    const body = (await response.json().catch(() => ({}))) as { message?: string };
    if (response.status === 404) return notFound(`${what} of ${where} was not found`);
    return invalid(`Reading ${what} of ${where} failed (${response.status}): ${body.message ?? response.statusText}`);
  };
  return {
    where,
    async read(path, limit) {
      const response = await fetch(fileUrl(path), { headers });
      if (!response.ok || !response.body) throw await fail(response, path);
      const announced = Number(response.headers.get('content-length'));
      if (announced > limit) {
        await response.body.cancel();
        throw new FlowdeskError('REQUEST_LIMIT_EXCEEDED', `${path} of ${where} is larger than ${limit} bytes`);
      }
      return collect(response.body as unknown as AsyncIterable<Buffer>, limit, `${path} of ${where}`);
    },
    async head(path, bytes) {
      const response = await fetch(fileUrl(path), { headers: { ...headers, range: `bytes=0-${bytes - 1}` } });
      if (response.status === 404) return undefined;
      if (response.status === 416) return { data: Buffer.alloc(0), total: 0 };
      if (!response.ok) throw await fail(response, path);
      const data = Buffer.from(await response.arrayBuffer()).subarray(0, bytes);
      const range = /\/(\d+)\s*$/.exec(response.headers.get('content-range') ?? '');
      return { data, total: range ? Number(range[1]) : data.length };
    },
    async list() {
      const files: ModelFile[] = [];
      const walk = async (dir: string) => {
        const path = dir === '' ? root : `${root}/${dir}`;
        const response = await fetch(`${baseUrl}/api/2.0/mlflow-artifacts/artifacts?path=${encodeURIComponent(path)}`, { headers });
        if (!response.ok) throw await fail(response, dir || 'the folder');
        const { files: entries = [] } = (await response.json()) as { files?: { path: string; is_dir: boolean; file_size?: number }[] };
        for (const entry of entries) {
          const child = dir === '' ? entry.path : `${dir}/${entry.path}`;
          if (entry.is_dir) await walk(child);
          else files.push({ path: child, bytes: entry.file_size ?? 0 });
        }
      };
      await walk('');
      return files;
    },
    async download(path, localPath) {
      const response = await fetch(fileUrl(path), { headers });
      if (!response.ok || !response.body) throw await fail(response, path);
      await pipeline(Readable.fromWeb(response.body as WebReadableStream<Uint8Array>), createWriteStream(localPath, { flags: 'wx' }));
    },
  };
}
