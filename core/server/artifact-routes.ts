/**
 * The MLflow artifact proxy (reference §3.2) under `/api/2.0/mlflow-artifacts` and
 * `/ajax-api/2.0/mlflow-artifacts`: streamed upload, download, listing and delete; plus the web
 * UI's raw-file helpers `GET /get-artifact` and `POST /ajax-api/2.0/mlflow/upload-artifact`.
 *
 * These routes are registered inside their own Fastify scope: bodies here are raw file bytes of
 * any Content-Type (a `.json` artifact arrives as `application/json`), streamed into the store,
 * never parsed and never held whole in memory, while the JSON routes elsewhere keep their parser
 * and body limit.
 *
 * Paths are read from the raw request URL, decoded once, and judged by `checkArtifactPath` (see
 * artifact-request.ts).
 *
 * Who may do what is declared in core/api/access.ts (`STORE_ACCESS`) and checked with the same
 * `checkAccess` as every contract method, first thing in each handler, before the path or the
 * body is read.
 *
 * Multipart upload (`/mpu/...`) is declined with the 501 that makes MLflow clients fall back to a
 * single PUT. A single streamed PUT has no size limit here but the upload cap below, and the store writes it atomically, so
 * multipart would add a staging protocol for no gain on a local disk; a team-mode S3 store can
 * revisit this.
 *
 * Every upload is held to the per-file cap and the free-space reserve of `ServerLimits`: an
 * upload that would pass either is refused with 507 before it is read (size announced) or as
 * soon as it crosses (chunked).
 */
import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { checkAccess, STORE_ACCESS, type StoreAction } from '#core/api/access.ts';
import { FlowdeskError } from '#core/api/errors.ts';
import { storePathIn } from '#core/api/artifact-locations.ts';
import { checkArtifactPath, checkNewArtifactPath } from '#core/api/artifact-path.ts';
import { sendArtifactFile } from './artifact-download.ts';
import { artifactPathAfter, queryArtifactPath, requireQueryArtifactPath, requireQueryParam } from './artifact-request.ts';
import { callerOf } from './auth.ts';
import { callContract } from './mlflow-support.ts';
import type { ServerContext } from './server-context.ts';

/** The proxy's two mounts: the API clients use, and the web UI's twin. */
const ARTIFACT_PREFIXES = ['/api/2.0/mlflow-artifacts', '/ajax-api/2.0/mlflow-artifacts'] as const;

/** MLflow clients fall back to a single PUT when the 501 message starts with exactly this. */
const MULTIPART_UNSUPPORTED = 'Multipart upload is not supported for the current artifact repository';

/** The UI's upload helper takes small files only, as MLflow's does. */
const UI_UPLOAD_LIMIT = 10 * 1024 * 1024;

/** The body size the client announced; Node's parser has already refused malformed values. */
function announcedBytes(request: FastifyRequest): number | undefined {
  const header = request.headers['content-length'];
  return header === undefined ? undefined : Number(header);
}

/**
 * The request body to iterate. Stopping early (a limit crossed, the store failing) leaves the
 * request open, so the error handler can read the rest away and the client gets the answer
 * instead of a reset; the default iterator would destroy the request, and with it the socket.
 */
function bodyOf(request: FastifyRequest): AsyncIterable<Buffer> {
  return request.raw.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>;
}

/** Passes a body through, failing as soon as it outgrows `limit` (a chunked body announces no size). */
async function* capped(body: AsyncIterable<Buffer>, limit: number): AsyncGenerator<Buffer> {
  let bytes = 0;
  for await (const chunk of body) {
    bytes += chunk.byteLength;
    if (bytes > limit) throw tooLarge(limit);
    yield chunk;
  }
}

/** Refuses a caller that may not do `action` (PERMISSION_DENIED), as `dispatch` refuses a method. */
function allow(request: FastifyRequest, action: StoreAction): void {
  checkAccess(action, STORE_ACCESS[action], callerOf(request));
}

/** How many bytes an upload may write between two looks at the free space on the disk. */
const FREE_SPACE_CHECK_BYTES = 16 * 1024 * 1024;

/**
 * Passes an upload's bytes through while they stay within the per-file cap and the free-space
 * reserve (a chunked body announces nothing, and other writers share the disk); `room.check` of
 * the announced size comes first, before the store is touched. A refusal is QUOTA_EXCEEDED (507);
 * the store then removes what it had staged, so no partial file is left.
 */
async function* withinRoom(body: AsyncIterable<Buffer>, announced: number | undefined, room: UploadRoom): AsyncGenerator<Buffer> {
  let bytes = 0;
  let checked = 0;
  for await (const chunk of body) {
    bytes += chunk.byteLength;
    if (bytes > room.maxBytes) throw room.overCap();
    if (announced === undefined && bytes - checked >= FREE_SPACE_CHECK_BYTES) {
      await room.check(bytes - checked);
      checked = bytes;
    }
    yield chunk;
  }
}

/** The cap and reserve of uploads, and the store whose disk they watch. */
interface UploadRoom {
  maxBytes: number;
  overCap(): FlowdeskError;
  /** Refuses when writing `bytes` more would pass the cap or eat into the reserve. */
  check(bytes: number): Promise<void>;
}

function uploadRoom(store: ServerContext['flowdesk']['artifacts'], limits: ServerContext['limits']): UploadRoom {
  const overCap = () =>
    new FlowdeskError('QUOTA_EXCEEDED', `The file is larger than the ${formatSize(limits.maxUploadBytes)} one upload may store (the max upload size of flowdesk serve)`);
  return {
    maxBytes: limits.maxUploadBytes,
    overCap,
    async check(bytes) {
      if (bytes > limits.maxUploadBytes) throw overCap();
      const free = await store.freeBytes();
      if (free !== undefined && free - bytes < limits.freeSpaceReserveBytes) {
        throw new FlowdeskError(
          'QUOTA_EXCEEDED',
          `Not enough free disk space: ${formatSize(free)} free, and uploads must leave ${formatSize(limits.freeSpaceReserveBytes)} (the free space reserve of flowdesk serve)`,
        );
      }
    },
  };
}

/** A byte count for messages: "1.5 GiB (1610612736 bytes)". */
function formatSize(bytes: number): string {
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = -1;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit < 0 ? `${bytes} bytes` : `${value.toFixed(1)} ${units[unit]} (${bytes} bytes)`;
}

function tooLarge(limit: number): FlowdeskError {
  return new FlowdeskError('REQUEST_LIMIT_EXCEEDED', `The file is larger than the ${limit} bytes this upload accepts; log it through the artifact proxy instead`);
}

/** Registers the proxy and the UI helpers; `scope` must be an encapsulated plugin scope (its body parsing changes). */
export async function registerArtifactRoutes(scope: FastifyInstance, context: ServerContext): Promise<void> {
  const { artifacts, artifactRuns } = context.flowdesk;
  const room = uploadRoom(artifacts, context.limits);

  // This scope's bodies are left unread for the handlers to stream (see the module comment).
  scope.removeAllContentTypeParsers();
  scope.addContentTypeParser('*', (_request, _payload, done) => done(null));

  /** A run's artifact URI, through the contract as the request's caller (404 for an unknown run). */
  async function runArtifactUri(request: FastifyRequest, runId: string): Promise<string> {
    return (await callContract(context, request, 'runs.get', { runId })).run.info.artifactUri;
  }

  for (const prefix of ARTIFACT_PREFIXES) {
    const files = `${prefix}/artifacts/`;

    scope.put(`${files}*`, async (request) => {
      allow(request, 'artifactStore.write');
      const path = checkArtifactPath(artifactPathAfter(request, files));
      const expectedBytes = announcedBytes(request);
      await room.check(expectedBytes ?? 0);
      await artifacts.write(path, Readable.from(withinRoom(bodyOf(request), expectedBytes, room)), { expectedBytes });
      await artifactRuns.announceAdded(path);
      return {};
    });

    scope.get(`${files}*`, async (request, reply) => {
      allow(request, 'artifactStore.read');
      return sendArtifactFile(reply, artifacts, checkArtifactPath(artifactPathAfter(request, files)), request.headers.range);
    });

    // Basenames only, `is_dir` always, `file_size` for files; [] for a file or a missing folder:
    // the client tells a file from a folder by whether its listing is empty (§9.8).
    scope.get(`${prefix}/artifacts`, async (request) => {
      allow(request, 'artifactStore.read');
      const entries = await artifacts.list(checkArtifactPath(queryArtifactPath(request, 'path') ?? ''));
      return { files: entries.map((e) => (e.isDir ? { path: e.path, is_dir: true } : { path: e.path, is_dir: false, file_size: e.fileSize })) };
    });

    // Deleting what is not there succeeds, as in MLflow: a retried DELETE must not fail.
    scope.delete(`${files}*`, async (request) => {
      allow(request, 'artifactStore.delete');
      const path = checkArtifactPath(artifactPathAfter(request, files));
      if ((await artifacts.stat(path)) === undefined) return {};
      await artifacts.delete(path);
      await artifactRuns.announceDeleted(path);
      return {};
    });

    for (const action of ['create', 'complete', 'abort']) {
      const mpu = `${prefix}/mpu/${action}/`;
      scope.post(`${mpu}*`, async (request) => {
        allow(request, 'artifactStore.write');
        // The file a multipart upload would create: a name the single PUT would refuse gets that
        // 400 here, rather than a 501 that sends the client to a fallback bound to fail.
        checkNewArtifactPath(artifactPathAfter(request, mpu));
        throw new FlowdeskError('NOT_IMPLEMENTED', MULTIPART_UNSUPPORTED);
      });
    }
  }

  scope.get('/get-artifact', async (request, reply) => {
    allow(request, 'artifactStore.read');
    const relative = requireQueryArtifactPath(request, 'path');
    const artifactUri = await runArtifactUri(request, requireQueryParam(request, 'run_id', 'run_uuid'));
    return sendArtifactFile(reply, artifacts, storePathIn(artifactUri, relative), request.headers.range);
  });

  scope.post('/ajax-api/2.0/mlflow/upload-artifact', async (request) => {
    allow(request, 'artifactStore.write');
    const runId = requireQueryParam(request, 'run_uuid', 'run_id');
    const relative = requireQueryArtifactPath(request, 'path');
    const expectedBytes = announcedBytes(request);
    if (expectedBytes !== undefined && expectedBytes > UI_UPLOAD_LIMIT) throw tooLarge(UI_UPLOAD_LIMIT);
    const path = storePathIn(await runArtifactUri(request, runId), relative);
    await room.check(expectedBytes ?? 0);
    await artifacts.write(path, Readable.from(withinRoom(capped(bodyOf(request), UI_UPLOAD_LIMIT), expectedBytes, room)), { expectedBytes });
    await artifactRuns.announceAdded(path);
    return {};
  });
}
