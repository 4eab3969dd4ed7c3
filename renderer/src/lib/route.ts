/**
 * The window's routes, kept in the URL hash so every view can be reloaded and linked, and the
 * same URLs work when Electron loads the app from files:
 * - `#/`                                   the welcome view
 * - `#/experiments/<id>?filter=…&sort=…&dir=asc|desc`   an experiment's runs
 * - `#/experiments/<id>/runs/<runId>`        a run's page
 * - `#/trash`                              deleted experiments and runs
 * - `#/disk-usage`                         bytes on disk per experiment
 * - `#/models`, `#/models/<name>`, `#/models/<name>/versions/<n>`   the registry: models, a model's board, a version
 */

/** Where the window is. */
export type Route =
  | { view: 'home' }
  | { view: 'experiment'; experimentId: string; filter: string; sort?: string; ascending: boolean }
  | { view: 'run'; experimentId: string; runId: string }
  | { view: 'trash' }
  | { view: 'disk-usage' }
  | { view: 'models' }
  | { view: 'model'; name: string }
  | { view: 'version'; name: string; version: number }
  | { view: 'not-found'; path: string };

/** A model name from the URL; undefined for a malformed escape (a hand-edited address), which names no view. */
function decodeName(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

/** Reads a route from `location.hash`. */
export function parseRoute(hash: string): Route {
  const text = hash.replace(/^#/, '');
  const [rawPath = '', query = ''] = text.split('?', 2);
  const path = rawPath.replace(/\/+$/, '') || '/';
  if (path === '/') return { view: 'home' };
  if (path === '/trash') return { view: 'trash' };
  if (path === '/disk-usage') return { view: 'disk-usage' };
  if (path === '/models') return { view: 'models' };
  const versionPage = /^\/models\/([^/]+)\/versions\/([1-9]\d*)$/.exec(path);
  const versionName = versionPage ? decodeName(versionPage[1]!) : undefined;
  if (versionPage && versionName !== undefined) return { view: 'version', name: versionName, version: Number(versionPage[2]) };
  const model = /^\/models\/([^/]+)$/.exec(path);
  const modelName = model ? decodeName(model[1]!) : undefined;
  if (modelName !== undefined) return { view: 'model', name: modelName };
  const runPage = /^\/experiments\/([^/]+)\/runs\/([^/]+)$/.exec(path);
  if (runPage) return { view: 'run', experimentId: decodeURIComponent(runPage[1]!), runId: decodeURIComponent(runPage[2]!) };
  const experiment = /^\/experiments\/([^/]+)$/.exec(path);
  if (experiment) {
    const params = new URLSearchParams(query);
    return {
      view: 'experiment',
      experimentId: decodeURIComponent(experiment[1]!),
      filter: params.get('filter') ?? '',
      sort: params.get('sort') ?? undefined,
      ascending: params.get('dir') === 'asc',
    };
  }
  return { view: 'not-found', path };
}

/** The hash URL of a route (with the leading `#`). */
export function routeHref(route: Route): string {
  switch (route.view) {
    case 'home':
      return '#/';
    case 'trash':
      return '#/trash';
    case 'disk-usage':
      return '#/disk-usage';
    case 'models':
      return '#/models';
    case 'model':
      return modelHref(route.name);
    case 'version':
      return versionHref(route.name, route.version);
    case 'not-found':
      return `#${route.path}`;
    case 'run':
      return runHref(route.experimentId, route.runId);
    case 'experiment': {
      const params = new URLSearchParams();
      if (route.filter !== '') params.set('filter', route.filter);
      if (route.sort !== undefined) {
        params.set('sort', route.sort);
        params.set('dir', route.ascending ? 'asc' : 'desc');
      }
      const query = params.toString();
      return `#/experiments/${encodeURIComponent(route.experimentId)}${query ? `?${query}` : ''}`;
    }
  }
}

/** The link to an experiment's runs with no filter and the default order. */
export function experimentHref(experimentId: string): string {
  return routeHref({ view: 'experiment', experimentId, filter: '', ascending: false });
}

/** The link to a run's page. */
export function runHref(experimentId: string, runId: string): string {
  return `#/experiments/${encodeURIComponent(experimentId)}/runs/${encodeURIComponent(runId)}`;
}

/** The link to a registered model's board. */
export function modelHref(name: string): string {
  return `#/models/${encodeURIComponent(name)}`;
}

/** The link to a version's page. */
export function versionHref(name: string, version: number): string {
  return `${modelHref(name)}/versions/${version}`;
}
