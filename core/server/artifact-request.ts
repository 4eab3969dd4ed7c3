/**
 * Reading artifact paths and other parameters from the raw request URL. Artifact paths are
 * percent-decoded here exactly once (`decodeArtifactPath`), as MLflow's server decodes them, and
 * judged by `checkArtifactPath` as names. The router's and the query parser's decoded copies are
 * not used for paths: the router cuts the path at a '#', hiding what follows from the check, and
 * the query parser replaces invalid UTF-8 escapes with U+FFFD, so two different requests would
 * name one file.
 */
import type { FastifyRequest } from 'fastify';
import { invalid } from '#core/api/errors.ts';
import { decodeArtifactPath, invalidPath } from '#core/api/artifact-path.ts';

/** The raw URL split into its path and its query string (without the '?'). */
function splitUrl(request: FastifyRequest): { path: string; query: string } {
  const url = request.raw.url ?? '';
  const mark = url.indexOf('?');
  return mark < 0 ? { path: url, query: '' } : { path: url.slice(0, mark), query: url.slice(mark + 1) };
}

/**
 * The artifact path in the raw URL after `prefix`, decoded once. A request that reached the
 * route while spelling the prefix differently (with escapes the router decoded) is refused: where
 * the artifact path starts could not be told reliably.
 */
export function artifactPathAfter(request: FastifyRequest, prefix: string): string {
  const { path } = splitUrl(request);
  if (!path.startsWith(prefix)) throw invalidPath(path, `expected it under ${prefix} without percent-escapes in the route itself`);
  return decodeArtifactPath(path.slice(prefix.length));
}

/**
 * The raw values of a query parameter, still percent-encoded except that '+' (a space in form
 * encoding, as `requests` sends it) is turned into `%20`. Parameter names are matched as written.
 */
function rawQueryValues(request: FastifyRequest, name: string): string[] {
  const values: string[] = [];
  for (const pair of splitUrl(request).query.split('&')) {
    const eq = pair.indexOf('=');
    if ((eq < 0 ? pair : pair.slice(0, eq)) === name) values.push(eq < 0 ? '' : pair.slice(eq + 1).replaceAll('+', '%20'));
  }
  if (values.length > 1) throw invalid(`Parameter '${name}' is given ${values.length} times; give it once`);
  return values;
}

/** An artifact path given in the query string, decoded once; undefined when absent. */
export function queryArtifactPath(request: FastifyRequest, name: string): string | undefined {
  const raw = rawQueryValues(request, name)[0];
  return raw === undefined ? undefined : decodeArtifactPath(raw);
}

/** A required, non-empty artifact path from the query string, decoded once. */
export function requireQueryArtifactPath(request: FastifyRequest, name: string): string {
  const value = queryArtifactPath(request, name);
  if (!value) throw invalid(`Missing value for required parameter '${name}'.`);
  return value;
}

/** A plain query parameter, decoded once; a malformed escape is refused. Empty counts as absent. */
function queryParam(request: FastifyRequest, name: string): string | undefined {
  const raw = rawQueryValues(request, name)[0];
  if (!raw) return undefined;
  try {
    return decodeURIComponent(raw);
  } catch {
    throw invalid(`Parameter '${name}' holds a malformed percent escape`);
  }
}

/** A required query parameter, or its deprecated twin (`run_id` / `run_uuid`). */
export function requireQueryParam(request: FastifyRequest, name: string, twin?: string): string {
  const value = queryParam(request, name) ?? (twin === undefined ? undefined : queryParam(request, twin));
  if (value === undefined) throw invalid(`Missing value for required parameter '${name}'.`);
  return value;
}
