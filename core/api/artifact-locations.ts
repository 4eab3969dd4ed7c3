/**
 * Where a run's artifacts live. The server assigns every location as a hostless
 * `mlflow-artifacts:/` URI; the artifact store sees the path after the scheme.
 */
import { invalid } from '#core/api/errors.ts';
import { checkArtifactPath } from './artifact-path.ts';

const ARTIFACT_SCHEME = 'mlflow-artifacts:/';

/** The store path of an artifact URI the server assigned (`mlflow-artifacts:/1/<run>/artifacts` → `1/<run>/artifacts`). */
export function storePathOf(uri: string): string {
  if (!uri.startsWith(ARTIFACT_SCHEME)) throw invalid(`Not an artifact location of this server: '${uri}'`);
  return uri.slice(ARTIFACT_SCHEME.length).replace(/^\/+/, '');
}

/** The store path of `relative` inside an artifact URI; the relative part is checked on its own first. */
export function storePathIn(uri: string, relative: string | undefined): string {
  const root = storePathOf(uri);
  const clean = relative ? checkArtifactPath(relative) : '';
  return clean ? `${root}/${clean}` : root;
}
