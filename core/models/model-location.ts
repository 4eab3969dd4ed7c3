/**
 * Where a model named by a `runs:/` or `models:/` URI, a run path or a registered version keeps
 * its files: always a server-assigned `mlflow-artifacts:/` location, found through the registry's
 * source rules, so a model reference can never point Flowdesk at a path a client chose.
 */
import { invalid } from '#core/api/errors.ts';
import type { ModelRef } from '#core/api/models-entities.ts';
import type { Db } from '#core/catalog/catalog.ts';
import { findVersionByUri, resolveModelSource, versionFiles } from '#core/registry/model-source.ts';
import { getModelRow } from '#core/registry/registry-rows.ts';
import { storePathOf } from '#core/api/artifact-locations.ts';

export interface ModelLocation {
  /** The reference as a URI, e.g. `runs:/<id>/model` or `models:/churn/3`. */
  uri: string;
  /** The folder's `mlflow-artifacts:/` location. */
  artifactUri: string;
  /** The folder's path in the artifact store. */
  storePath: string;
  runId?: string;
}

/** The URI a reference is shown as. */
export function refUri(ref: ModelRef): string {
  if ('uri' in ref) return ref.uri;
  if ('runId' in ref) return `runs:/${ref.runId}/${ref.path.replace(/^\/+/, '')}`;
  return `models:/${ref.name}/${ref.version}`;
}

/** Resolves a model reference; RESOURCE_DOES_NOT_EXIST for a run, model or version that is not there. */
export async function locateModel(db: Db, ref: ModelRef): Promise<ModelLocation> {
  const uri = refUri(ref);
  let artifactUri: string;
  let runId: string | undefined;
  if ('name' in ref) {
    // By name and number directly: a name may hold characters a models:/ URI cannot carry.
    const version = await findVersionByUri(db, { kind: 'version', name: (await getModelRow(db, ref.name)).name, version: ref.version });
    artifactUri = versionFiles(version);
    runId = version.run_id ?? undefined;
  } else {
    if (!uri.startsWith('runs:/') && !uri.startsWith('models:/')) {
      throw invalid(`Invalid model URI '${uri}': name a model as runs:/<run id>/<path>, models:/<name>/<version>, models:/<name>@<alias> or models:/<name>/<stage>`);
    }
    const resolved = await resolveModelSource(db, uri, {});
    artifactUri = resolved.storageLocation;
    runId = resolved.runId;
  }
  return { uri, artifactUri, storePath: storePathOf(artifactUri), runId };
}
