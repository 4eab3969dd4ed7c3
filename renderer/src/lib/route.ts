/**
 * The window's routes, kept in the URL hash so every view can be reloaded and linked, and the
 * same URLs work when Electron loads the app from files:
 * - `#/`                                   the start page (what is going on, or the quick start while empty)
 * - `#/start`                              the quick start: how to log runs from a script
 * - `#/experiments/<id>?filter=…&sort=…&dir=asc|desc&deleted=1&group=<param>&bins=<n>`   an experiment's runs (bins=0: group by exact values)
 * - `#/experiments/<id>/runs/<runId>`        a run's page
 * - `#/trash`                              deleted experiments and runs
 * - `#/disk-usage`                         bytes on disk per experiment
 * - `#/compare?runs=<id>,<id>…&diff=1&x=…&y=…&axes=…`   runs side by side (choices kept in the link)
 * - `#/experiments/<id>/charts?runs=<id>,<id>…`   an experiment's chart workspace (the chosen runs, or its latest)
 * - `#/models`, `#/models/<name>`, `#/models/<name>/versions/<n>`   the registry: models, a model's board, a version
 * - `#/projects/run?from=<runId>`          run a project (prefilled from an earlier project run)
 * - `#/settings`                           port, token, theme and data folder
 * - `#/traces/<traceId>`                   a trace: its span tree, waterfall, spans' details, tags and assessments
 * - `#/traces/compare?a=<traceId>&b=<traceId>`   two traces side by side, spans aligned by path
 * - `#/experiments/<id>/traces?filter=…&sort=…&dir=asc|desc`   an experiment's traces (sort: an order_by field of traces.search)
 */

/** Where the window is. */
export type Route =
  | { view: 'home' }
  | { view: 'quick-start' }
  | { view: 'experiment'; experimentId: string; filter: string; sort?: string; ascending: boolean; showDeleted?: boolean; groupBy?: string; bins?: number }
  | { view: 'run'; experimentId: string; runId: string }
  | { view: 'trash' }
  | { view: 'disk-usage' }
  | CompareRoute
  | { view: 'charts'; experimentId: string; runIds?: string[] }
  | { view: 'models' }
  | { view: 'model'; name: string }
  | { view: 'version'; name: string; version: number }
  | { view: 'project-run'; from?: string }
  | { view: 'settings' }
  | TraceRoute
  | TracesRoute
  | { view: 'not-found'; path: string };

/** The trace view and the comparison of two traces. */
export type TraceRoute = { view: 'trace'; traceId: string } | { view: 'trace-compare'; a: string; b: string };

/**
 * The compare view: the runs, "only differences", the scatter's x and y fields and the parallel
 * coordinates' axes (fields as `param:<key>` / `metric:<key>`; unset means the view's default).
 */
export interface CompareRoute {
  view: 'compare';
  runIds: string[];
  onlyDiff: boolean;
  x?: string;
  y?: string;
  axes?: string[];
}

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
  if (path === '/start') return { view: 'quick-start' };
  if (path === '/trash') return { view: 'trash' };
  if (path === '/disk-usage') return { view: 'disk-usage' };
  if (path === '/compare') return parseCompare(new URLSearchParams(query));
  if (path === '/models') return { view: 'models' };
  const versionPage = /^\/models\/([^/]+)\/versions\/([1-9]\d*)$/.exec(path);
  const versionName = versionPage ? decodeName(versionPage[1]!) : undefined;
  if (versionPage && versionName !== undefined) return { view: 'version', name: versionName, version: Number(versionPage[2]) };
  const model = /^\/models\/([^/]+)$/.exec(path);
  const modelName = model ? decodeName(model[1]!) : undefined;
  if (modelName !== undefined) return { view: 'model', name: modelName };
  if (path === '/projects/run') return { view: 'project-run', from: new URLSearchParams(query).get('from') || undefined };
  if (path === '/settings') return { view: 'settings' };
  const trace = parseTraceRoute(path, query);
  if (trace) return trace;
  const runPage = /^\/experiments\/([^/]+)\/runs\/([^/]+)$/.exec(path);
  if (runPage) return { view: 'run', experimentId: decodeURIComponent(runPage[1]!), runId: decodeURIComponent(runPage[2]!) };
  const charts = /^\/experiments\/([^/]+)\/charts$/.exec(path);
  if (charts) {
    const runIds = list(new URLSearchParams(query).get('runs'));
    return { view: 'charts', experimentId: decodeURIComponent(charts[1]!), ...(runIds.length > 0 ? { runIds } : {}) };
  }
  const traces = parseTraces(path, query);
  if (traces) return traces;
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
      bins: /^[0-9]{1,2}$/.test(params.get('bins') ?? '') ? Number(params.get('bins')) : undefined,
    };
  }
  return { view: 'not-found', path };
}

/** The hash URL of a route (with the leading `#`). */
export function routeHref(route: Route): string {
  switch (route.view) {
    case 'home':
      return '#/';
    case 'quick-start':
      return '#/start';
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
    case 'project-run':
      return route.from === undefined ? '#/projects/run' : `#/projects/run?from=${encodeURIComponent(route.from)}`;
    case 'settings':
      return '#/settings';
    case 'not-found':
      return `#${route.path}`;
    case 'trace':
      return traceHref(route.traceId);
    case 'trace-compare':
      return traceCompareHref(route.a, route.b);
    case 'run':
      return runHref(route.experimentId, route.runId);
    case 'compare':
      return compareHref(route);
    case 'charts':
      return chartsHref(route.experimentId, route.runIds);
    case 'traces':
      return tracesHref(route.experimentId, route);
    case 'experiment': {
      const params = new URLSearchParams();
      if (route.filter !== '') params.set('filter', route.filter);
      if (route.sort !== undefined) {
        params.set('sort', route.sort);
        params.set('dir', route.ascending ? 'asc' : 'desc');
      }
      if (route.showDeleted) params.set('deleted', '1');
      if (route.groupBy !== undefined) params.set('group', route.groupBy);
      if (route.bins !== undefined) params.set('bins', String(route.bins));
      const query = params.toString();
      return `#/experiments/${encodeURIComponent(route.experimentId)}${query ? `?${query}` : ''}`;
    }
  }
}

/** The link to an experiment's runs with no filter and the default order. */
export function experimentHref(experimentId: string): string {
  return routeHref({ view: 'experiment', experimentId, filter: '', ascending: false });
}

/** The link to an experiment's chart workspace, overlaying `runIds` (or, without them, its latest runs). */
export function chartsHref(experimentId: string, runIds?: readonly string[]): string {
  const base = `#/experiments/${encodeURIComponent(experimentId)}/charts`;
  return runIds && runIds.length > 0 ? `${base}?runs=${runIds.map(encodeURIComponent).join(',')}` : base;
}

/** The link to a run's page. */
export function runHref(experimentId: string, runId: string): string {
  return `#/experiments/${encodeURIComponent(experimentId)}/runs/${encodeURIComponent(runId)}`;
}

/** Comma-separated lists in the compare link; empty items dropped. */
const list = (text: string | null) => (text ?? '').split(',').filter((s) => s !== '');

function parseCompare(params: URLSearchParams): CompareRoute {
  return {
    view: 'compare',
    runIds: [...new Set(list(params.get('runs')))],
    onlyDiff: params.get('diff') === '1',
    x: params.get('x') ?? undefined,
    y: params.get('y') ?? undefined,
    axes: params.has('axes') ? list(params.get('axes')) : undefined,
  };
}

/** The link to compare runs; `choices` keeps what the compare view showed. */
export function compareHref(choices: Omit<CompareRoute, 'view' | 'onlyDiff'> & { onlyDiff?: boolean }): string {
  // Run ids are hex, so the list stays readable; field ids are encoded by URLSearchParams.
  const params = new URLSearchParams();
  params.set('runs', choices.runIds.join(','));
  if (choices.onlyDiff) params.set('diff', '1');
  if (choices.x !== undefined) params.set('x', choices.x);
  if (choices.y !== undefined) params.set('y', choices.y);
  if (choices.axes !== undefined) params.set('axes', choices.axes.join(','));
  return `#/compare?${params.toString().replace(/%2C/g, ',')}`;
}

/** The link to a registered model's board. */
export function modelHref(name: string): string {
  return `#/models/${encodeURIComponent(name)}`;
}

/** The link to a version's page. */
export function versionHref(name: string, version: number): string {
  return `${modelHref(name)}/versions/${version}`;
}

/** The trace routes, or undefined when `path` is not one. A trace id is any text; MLflow's are `tr-` and hex. */
function parseTraceRoute(path: string, query: string): TraceRoute | undefined {
  if (path === '/traces/compare') {
    const params = new URLSearchParams(query);
    return { view: 'trace-compare', a: params.get('a') ?? '', b: params.get('b') ?? '' };
  }
  const page = /^\/traces\/([^/]+)$/.exec(path);
  const traceId = page ? decodeName(page[1]!) : undefined;
  return traceId === undefined ? undefined : { view: 'trace', traceId };
}

/** The link to a trace's view. */
export function traceHref(traceId: string): string {
  return `#/traces/${encodeURIComponent(traceId)}`;
}

/** The link to compare trace `a` (left) with trace `b` (right). */
export function traceCompareHref(a: string, b: string): string {
  return `#/traces/compare?${new URLSearchParams({ a, b }).toString()}`;
}

// The traces table of an experiment, and the links from its rows to the trace view.

/** An experiment's traces: the filter (MLflow's trace filter language) and the server-side sort. */
export interface TracesRoute {
  view: 'traces';
  experimentId: string;
  filter: string;
  /** An order_by field of traces.search (`timestamp_ms`, `execution_time_ms`, `status`, …); unset is newest first. */
  sort?: string;
  ascending: boolean;
}

function parseTraces(path: string, query: string): TracesRoute | undefined {
  const match = /^\/experiments\/([^/]+)\/traces$/.exec(path);
  if (!match) return undefined;
  const params = new URLSearchParams(query);
  return {
    view: 'traces',
    experimentId: decodeURIComponent(match[1]!),
    filter: params.get('filter') ?? '',
    sort: params.get('sort') || undefined,
    ascending: params.get('dir') === 'asc',
  };
}

/** The link to an experiment's traces, with a filter and sort when given. */
export function tracesHref(experimentId: string, choices: { filter?: string; sort?: string; ascending?: boolean } = {}): string {
  const params = new URLSearchParams();
  if (choices.filter) params.set('filter', choices.filter);
  if (choices.sort !== undefined) {
    params.set('sort', choices.sort);
    params.set('dir', choices.ascending ? 'asc' : 'desc');
  }
  const query = params.toString();
  return `#/experiments/${encodeURIComponent(experimentId)}/traces${query ? `?${query}` : ''}`;
}
