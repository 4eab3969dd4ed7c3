/**
 * Files dropped in the window while it is connected to a team server: the run is created and
 * finished through the team's contract, and each file is streamed to the team's artifact proxy
 * (PUT with the Bearer token). The walk of the dropped tree (no symbolic links followed, progress
 * in bytes) is the same as for local imports.
 */
import { Readable } from 'node:stream';
import type { Transport } from '#core/api/client.ts';
import { createClient } from '#core/api/client.ts';
import { FlowdeskError, invalid } from '#core/api/errors.ts';
import { checkArtifactPath } from '#core/api/artifact-path.ts';
import { importFiles } from '#core/artifacts/import-files.ts';
import { runNameFor, type FileImporter } from '#core/tracking/file-import.ts';
import { storePathOf } from '#core/api/artifact-locations.ts';
import { ARTIFACT_PREFIX } from './app-protocol.ts';

export function createTeamImporter(team: { url: string; token: string; transport: Transport }): FileImporter {
  const client = createClient(team.transport);
  const write = async (path: string, body: Readable | Uint8Array, options: { expectedBytes?: number } = {}) => {
    const encoded = checkArtifactPath(path).split('/').map(encodeURIComponent).join('/');
    const headers: Record<string, string> = { authorization: `Bearer ${team.token}`, 'content-type': 'application/octet-stream' };
    if (options.expectedBytes !== undefined) headers['content-length'] = String(options.expectedBytes);
    const payload = body instanceof Uint8Array ? body : (Readable.toWeb(body) as ReadableStream<Uint8Array>);
    const response = await fetch(`${team.url}${ARTIFACT_PREFIX}${encoded}`, { method: 'PUT', headers, body: payload, duplex: 'half' } as RequestInit);
    if (!response.ok) {
      const answer = (await response.json().catch(() => ({}))) as { message?: string };
      throw new FlowdeskError(response.status === 403 ? 'PERMISSION_DENIED' : 'INVALID_STATE', `The team server refused '${path}': ${answer.message ?? response.status}`);
    }
    return { bytes: options.expectedBytes ?? 0 };
  };
  return async (target, paths, onProgress) => {
    const created = 'experimentId' in target;
    const runId = created
      ? (await client.call('runs.create', { experimentId: target.experimentId, runName: runNameFor(paths), tags: [{ key: 'flowdesk.source', value: 'import' }] })).run.info.runId
      : target.runId;
    const { run } = await client.call('runs.get', { runId });
    if (run.info.lifecycleStage !== 'active') throw invalid(`The run ${runId} is in the trash; restore it before adding files`);
    let result;
    try {
      result = await importFiles({ store: { write }, sources: paths, destination: storePathOf(run.info.artifactUri), onProgress });
    } catch (err) {
      if (created) await client.call('runs.update', { runId, status: 'FAILED', endTime: Date.now() });
      throw err;
    }
    if (created) await client.call('runs.update', { runId, status: 'FINISHED', endTime: Date.now() });
    return { experimentId: run.info.experimentId, runId, files: result.files.length, bytes: result.bytes, skipped: result.skipped };
  };
}
