/**
 * The artifact store on S3-compatible object storage (AWS S3, Ceph radosgw, ...), through the
 * official AWS SDK v3. Files are objects under `<prefix>/<relative path>`; folders are only key
 * prefixes, as S3 has no folders. Paths pass the same gate as the local store
 * (`checkArtifactPath`) before any key is built, so a hostile path never reaches S3.
 *
 * Writes go through lib-storage's `Upload`: one PutObject for a small body, a multipart upload
 * in bounded-size parts for a large one, so memory stays bounded whatever the file size. An
 * object appears only when its upload completes; a failed upload leaves the old object (if any)
 * untouched, and an interrupted multipart upload is what `sweepStaging` cleans up.
 *
 * Endpoint, credentials and region come from the SDK's standard settings (AWS_ENDPOINT_URL,
 * AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, AWS_REGION, AWS_PROFILE, ...).
 */
import { pipeline, Transform, type Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  S3Client,
  S3ServiceException,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { FlowdeskError, invalid, notFound } from '#core/api/errors.ts';
import { checkArtifactPath, checkNewArtifactPath, invalidPath } from '#core/api/artifact-path.ts';
import type { ArtifactEntry, ArtifactStore, ByteRange } from './artifact-store.ts';
import type { S3Location } from './s3-location.ts';

export { parseS3Url, type S3Location } from './s3-location.ts';

export interface S3StoreOptions extends S3Location {
  /** A ready client (tests, or a caller with its own settings); by default one from the standard AWS settings. */
  client?: S3Client;
  /** Bytes per part of a multipart upload (S3's minimum is 5 MiB); bodies up to one part go in a single PUT. */
  partSize?: number;
}

const MIB = 1024 * 1024;
/** 8 MiB parts, two in flight: about 24 MiB of memory per upload, whatever the file size. */
const DEFAULT_PART_SIZE = 8 * MIB;
const UPLOAD_QUEUE_SIZE = 2;
/** DeleteObjects takes at most 1000 keys per request. */
const DELETE_BATCH = 1000;

/**
 * A client from the standard AWS settings. A custom endpoint (radosgw, MinIO, ...) gets
 * path-style addressing, since such servers rarely have a DNS name per bucket. Checksums only
 * when an operation requires them: Ceph 16 refuses the SDK's default aws-chunked streaming
 * uploads with 411 MissingContentLength.
 */
export function createS3Client(): S3Client {
  const endpoint = process.env.AWS_ENDPOINT_URL_S3 || process.env.AWS_ENDPOINT_URL;
  const region = process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION;
  const config: S3ClientConfig = {
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    // A full or stuck store must fail a request rather than hang it (a full Ceph OSD blocks writes).
    requestHandler: { connectionTimeout: 10_000, requestTimeout: 120_000 },
  };
  if (endpoint) Object.assign(config, { endpoint, forcePathStyle: true });
  // Without AWS_REGION the SDK looks in the profile; a custom endpoint usually ignores the region.
  if (region) config.region = region;
  else if (endpoint) config.region = 'us-east-1';
  return new S3Client(config);
}

/** The store as an `ArtifactStore`, plus the check `/health` runs. */
export interface S3ArtifactStore extends ArtifactStore {
  readonly location: S3Location;
  /** Resolves when the bucket is reachable with these credentials (HeadBucket). */
  checkBucket(): Promise<void>;
  /** Closes the client's sockets, when the store made its own client. */
  close(): void;
}

export function createS3ArtifactStore(options: S3StoreOptions): S3ArtifactStore {
  const { bucket, prefix } = options;
  const client = options.client ?? createS3Client();
  const partSize = Math.max(options.partSize ?? DEFAULT_PART_SIZE, 5 * MIB);
  const where = `s3://${bucket}${prefix ? `/${prefix}` : ''}`;

  /** The object key of a checked relative path ('' is the prefix itself). */
  const keyOf = (rel: string) => (prefix === '' ? rel : rel === '' ? prefix : `${prefix}/${rel}`);
  /** The key prefix that everything inside the folder `rel` starts with. */
  const folderPrefix = (rel: string) => (keyOf(rel) === '' ? '' : `${keyOf(rel)}/`);

  async function send<T>(what: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (err) {
      throw s3Error(err, what, where);
    }
  }

  /** Size of the object at `rel`, or undefined when there is none. */
  async function headSize(rel: string): Promise<number | undefined> {
    if (rel === '') return undefined;
    try {
      const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: keyOf(rel) }));
      return head.ContentLength ?? 0;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw s3Error(err, `Reading '${rel}'`, where);
    }
  }

  async function isFolder(rel: string): Promise<boolean> {
    if (rel === '') return true;
    const page = await send(`Listing '${rel}'`, () =>
      client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: folderPrefix(rel), MaxKeys: 1 })),
    );
    return (page.KeyCount ?? page.Contents?.length ?? 0) > 0;
  }

  /** Every object under the folder `rel` (recursively), page by page. */
  async function* objectsUnder(rel: string): AsyncGenerator<{ key: string; size: number }[]> {
    let token: string | undefined;
    do {
      const page = await send(`Listing '${rel}'`, () =>
        client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: folderPrefix(rel), ContinuationToken: token })),
      );
      yield (page.Contents ?? []).map((o) => ({ key: o.Key!, size: o.Size ?? 0 }));
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  async function deleteKeys(keys: string[], rel: string): Promise<void> {
    for (let i = 0; i < keys.length; i += DELETE_BATCH) {
      const batch = keys.slice(i, i + DELETE_BATCH);
      const result = await send(`Deleting '${rel}'`, () =>
        client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } })),
      );
      const failed = result.Errors ?? [];
      if (failed.length > 0) {
        const first = failed[0]!;
        const err = Object.assign(new Error(first.Message ?? 'delete failed'), { name: first.Code ?? 'DeleteFailed' });
        throw s3Error(err, `Deleting '${rel}' (${failed.length} objects not deleted, first ${first.Key})`, where);
      }
    }
  }

  return {
    location: { bucket, prefix },

    close() {
      if (!options.client) client.destroy();
    },

    async checkBucket() {
      try {
        await client.send(new HeadBucketCommand({ Bucket: bucket }));
      } catch (err) {
        // HeadBucket has no body to name the error: a 404 can only mean the bucket is missing.
        if (errorStatus(err) === 404) throw new FlowdeskError('INTERNAL_ERROR', `The bucket of the artifact store ${where} does not exist`);
        throw s3Error(err, 'Checking the bucket', where);
      }
    },

    async write(path, body, options = {}) {
      const rel = checkNewArtifactPath(path);
      if (rel === '') throw invalidPath(path, 'the root is a folder, not a file');
      const { expectedBytes } = options;
      if (expectedBytes !== undefined && !(Number.isSafeInteger(expectedBytes) && expectedBytes >= 0)) {
        throw invalid(`Artifact '${rel}': expected size ${expectedBytes} is not a byte count`);
      }
      // S3 would happily store 'a.txt/b' beside an object 'a.txt', or 'dir' beside 'dir/x';
      // the store keeps the shape of a filesystem, as the local store does.
      const segments = rel.split('/');
      const ancestors = segments.slice(0, -1).map((_, i) => segments.slice(0, i + 1).join('/'));
      const [folder, ...ancestorSizes] = await Promise.all([isFolder(rel), ...ancestors.map(headSize)]);
      if (folder) throw invalidPath(path, 'it is a folder, not a file');
      const fileAt = ancestorSizes.findIndex((size) => size !== undefined);
      if (fileAt >= 0) throw invalidPath(path, `'${segments[fileAt]}' is a file, not a folder`);

      const counter = byteCounter(expectedBytes, rel);
      // pipeline, not pipe: a body that fails or is destroyed midway fails the counter, and so
      // the upload, instead of leaving it waiting for an end that never comes.
      if (body instanceof Uint8Array) counter.end(body);
      else pipeline(body, counter, () => undefined);
      const upload = new Upload({
        client,
        params: { Bucket: bucket, Key: keyOf(rel), Body: counter },
        partSize,
        queueSize: UPLOAD_QUEUE_SIZE,
        // An aborted multipart upload frees its parts now rather than at the next sweep.
        leavePartsOnError: false,
      });
      try {
        await upload.done();
      } catch (err) {
        // The body's own failure (a client that went away, a size lie) is the story, not S3's.
        throw counter.failure ?? s3Error(err, `Writing '${rel}'`, where);
      }
      return { bytes: counter.bytes };
    },

    async read(path, range) {
      const rel = checkArtifactPath(path);
      if (rel === '') throw notFound(`No artifact file at ''`);
      if (range !== undefined) checkRangeShape(range, rel);
      try {
        const object = await client.send(
          new GetObjectCommand({ Bucket: bucket, Key: keyOf(rel), Range: range ? `bytes=${range.start}-${range.end ?? ''}` : undefined }),
        );
        return { stream: object.Body as Readable, bytes: object.ContentLength ?? 0 };
      } catch (err) {
        if (isNotFound(err)) throw notFound(`No artifact file at '${rel}'`);
        if (errorStatus(err) === 416) {
          const size = await headSize(rel);
          throw invalid(`Artifact '${rel}': range ${range!.start}-${range!.end ?? ''} is not within its ${size ?? 0} bytes`);
        }
        throw s3Error(err, `Reading '${rel}'`, where);
      }
    },

    async stat(path) {
      const rel = checkArtifactPath(path);
      const [size, folder] = await Promise.all([headSize(rel), isFolder(rel)]);
      if (folder) return { isDir: true, bytes: 0 };
      if (size !== undefined) return { isDir: false, bytes: size };
      return undefined;
    },

    async list(dir) {
      const rel = checkArtifactPath(dir);
      const start = folderPrefix(rel);
      const entries = new Map<string, ArtifactEntry>();
      let token: string | undefined;
      do {
        const page = await send(`Listing '${rel}'`, () =>
          client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: start, Delimiter: '/', ContinuationToken: token })),
        );
        for (const p of page.CommonPrefixes ?? []) {
          const name = p.Prefix!.slice(start.length, -1);
          if (name !== '') entries.set(`d:${name}`, { path: name, isDir: true });
        }
        for (const o of page.Contents ?? []) {
          // A key equal to the folder's own prefix is a "folder marker" some tools create; not a file.
          const name = o.Key!.slice(start.length);
          if (name !== '') entries.set(`f:${name}`, { path: name, isDir: false, fileSize: o.Size ?? 0 });
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      return [...entries.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    },

    async delete(path) {
      const rel = checkArtifactPath(path);
      if (rel === '') throw invalidPath(path, 'the artifact store root cannot be deleted');
      const keys: string[] = [];
      for await (const page of objectsUnder(rel)) keys.push(...page.map((o) => o.key));
      const size = await headSize(rel);
      if (keys.length === 0 && size === undefined) throw notFound(`No artifact at '${rel}'`);
      if (size !== undefined) {
        await send(`Deleting '${rel}'`, () => client.send(new DeleteObjectCommand({ Bucket: bucket, Key: keyOf(rel) })));
      }
      await deleteKeys(keys, rel);
    },

    async du(path) {
      const rel = checkArtifactPath(path);
      let total = (await headSize(rel)) ?? 0;
      for await (const page of objectsUnder(rel)) total += page.reduce((sum, o) => sum + o.size, 0);
      return total;
    },

    /**
     * An object store has no half-written files, but a multipart upload cut off by a crash keeps
     * its parts (billed, invisible to listings) until aborted: those are this store's leftovers.
     */
    async sweepStaging(before) {
      let freed = 0;
      let keyMarker: string | undefined;
      let uploadIdMarker: string | undefined;
      do {
        const page = await send('Listing unfinished uploads', () =>
          client.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: folderPrefix(''), KeyMarker: keyMarker, UploadIdMarker: uploadIdMarker })),
        );
        for (const u of page.Uploads ?? []) {
          if (!u.Key || !u.UploadId || (u.Initiated?.getTime() ?? Infinity) >= before) continue;
          freed += await uploadedBytes(u.Key, u.UploadId);
          await send(`Aborting the unfinished upload of '${u.Key}'`, () =>
            client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: u.Key, UploadId: u.UploadId })),
          );
        }
        keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
        uploadIdMarker = page.IsTruncated ? page.NextUploadIdMarker : undefined;
      } while (keyMarker);
      return freed;
    },

    async freeBytes() {
      return undefined;
    },
  };

  async function uploadedBytes(key: string, uploadId: string): Promise<number> {
    let bytes = 0;
    let marker: string | undefined;
    do {
      const page = await send(`Listing the parts of '${key}'`, () =>
        client.send(new ListPartsCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumberMarker: marker })),
      );
      bytes += (page.Parts ?? []).reduce((sum, p) => sum + (p.Size ?? 0), 0);
      marker = page.IsTruncated ? page.NextPartNumberMarker : undefined;
    } while (marker);
    return bytes;
  }
}

/** A pass-through that counts bytes and fails as soon as the body breaks its announced size. */
interface ByteCounter extends Transform {
  bytes: number;
  /** Why the body was refused, kept so the write reports it rather than the aborted upload. */
  failure?: Error;
}

function byteCounter(expectedBytes: number | undefined, rel: string): ByteCounter {
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      counter.bytes += chunk.byteLength;
      if (expectedBytes !== undefined && counter.bytes > expectedBytes) {
        return done(fail(invalid(`Artifact '${rel}': the body is larger than the announced ${expectedBytes} bytes`)));
      }
      done(null, chunk);
    },
    flush(done) {
      if (expectedBytes !== undefined && counter.bytes !== expectedBytes) {
        return done(fail(invalid(`Artifact '${rel}': the body has ${counter.bytes} bytes, ${expectedBytes} were announced`)));
      }
      done();
    },
  }) as ByteCounter;
  counter.bytes = 0;
  const fail = (err: Error) => (counter.failure = err);
  counter.once('error', (err) => (counter.failure ??= err));
  return counter;
}

/** Refuses ranges that cannot be within any file before asking S3; past-the-end starts S3 refuses (416). */
function checkRangeShape(range: ByteRange, rel: string): void {
  const valid =
    Number.isSafeInteger(range.start) && range.start >= 0 && (range.end === undefined || (Number.isSafeInteger(range.end) && range.end >= range.start));
  if (!valid) throw invalid(`Artifact '${rel}': range ${range.start}-${range.end ?? ''} is not a valid byte range`);
}

function errorStatus(err: unknown): number | undefined {
  return (err as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
}

function isNotFound(err: unknown): boolean {
  const name = (err as Error | undefined)?.name;
  return name === 'NoSuchKey' || name === 'NotFound' || (errorStatus(err) === 404 && name !== 'NoSuchBucket');
}

/** Network failures: the store is not reachable at all (wrong endpoint, down, firewalled). */
const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'TimeoutError']);

/**
 * An S3 failure as a Flowdesk error: a missing object is RESOURCE_DOES_NOT_EXIST, a refusal
 * PERMISSION_DENIED; a store that is unreachable, misconfigured or failing is INTERNAL_ERROR
 * with a message an operator can act on (the client did nothing wrong, and it is logged).
 */
export function s3Error(err: unknown, what: string, where: string): FlowdeskError {
  if (err instanceof FlowdeskError) return err;
  const e = err as (Error & { code?: string }) | undefined;
  const name = e?.name ?? 'Error';
  const status = errorStatus(err);
  const detail = `${name}${e?.message && e.message !== name ? `: ${e.message}` : ''}`;
  if (name === 'NoSuchKey' || (status === 404 && name !== 'NoSuchBucket' && name !== 'NoSuchUpload')) {
    return notFound(`${what}: no such artifact in ${where}`);
  }
  if (name === 'AccessDenied' || name === 'InvalidAccessKeyId' || name === 'SignatureDoesNotMatch' || status === 403) {
    return new FlowdeskError('PERMISSION_DENIED', `${what}: the artifact store ${where} refused access (${detail}); check the server's AWS credentials`);
  }
  if (name === 'EntityTooLarge') return new FlowdeskError('REQUEST_LIMIT_EXCEEDED', `${what}: the artifact store ${where} refused the file as too large`);
  if (name === 'CredentialsProviderError') {
    return new FlowdeskError('INTERNAL_ERROR', `${what}: no credentials for the artifact store ${where}; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE`);
  }
  if (/region is missing/i.test(e?.message ?? '')) {
    return new FlowdeskError('INTERNAL_ERROR', `${what}: no region for the artifact store ${where}; set AWS_REGION`);
  }
  if (name === 'NoSuchBucket') return new FlowdeskError('INTERNAL_ERROR', `${what}: the bucket of the artifact store ${where} does not exist`);
  const code = e?.code ?? (e?.cause as { code?: string } | undefined)?.code;
  if (UNREACHABLE.has(name) || (code !== undefined && UNREACHABLE.has(code))) {
    return new FlowdeskError('INTERNAL_ERROR', `${what}: the artifact store ${where} is unreachable (${code ?? name}); check AWS_ENDPOINT_URL and the network`);
  }
  if (err instanceof S3ServiceException || status !== undefined) {
    return new FlowdeskError('INTERNAL_ERROR', `${what}: the artifact store ${where} failed (${detail}${status ? `, HTTP ${status}` : ''})`);
  }
  return new FlowdeskError('INTERNAL_ERROR', `${what}: the artifact store ${where} failed (${detail})`);
}
