/**
 * The window's routes, kept in the URL hash so every view can be reloaded and linked, and the
 * same URLs work when Electron loads the app from files:
 * - `#/`                                   the welcome view
 * - `#/experiments/<id>?filter=…&sort=…&dir=asc|desc&deleted=1&group=<param>`   an experiment's runs
 * - `#/experiments/<id>/runs/<runId>`        a run's page
 * - `#/trash`                              deleted experiments and runs
 * - `#/disk-usage`                         bytes on disk per experiment
 */

/** Where the window is. */
export type Route =
  | { view: 'home' }
  | { view: 'experiment'; experimentId: string; filter: string; sort?: string; ascending: boolean; showDeleted?: boolean; groupBy?: string }
  | { view: 'run'; experimentId: string; runId: string }
  | { view: 'trash' }
  | { view: 'disk-usage' }
  | { view: 'not-found'; path: string };

/** Reads a route from `location.hash`. */
export function parseRoute(hash: string): Route {
  const text = hash.replace(/^#/, '');
  const [rawPath = '', query = ''] = text.split('?', 2);
  const path = rawPath.replace(/\/+$/, '') || '/';
  if (path === '/') return { view: 'home' };
  if (path === '/trash') return { view: 'trash' };
  if (path === '/disk-usage') return { view: 'disk-usage' };
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
      showDeleted: params.get('deleted') === '1' || undefined,
      groupBy: params.get('group') || undefined,
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
      if (route.showDeleted) params.set('deleted', '1');
      if (route.groupBy !== undefined) params.set('group', route.groupBy);
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
