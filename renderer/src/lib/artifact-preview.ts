/**
 * Pure helpers of the artifact browser: what kind of preview a file gets, the URL it downloads
 * from, byte ranges, and the first rows of a CSV/TSV read from a prefix of the file.
 */

/** How a file is previewed. */
export type PreviewKind = 'image' | 'text' | 'json' | 'yaml' | 'csv' | 'tsv' | 'mlmodel' | 'html' | 'none';

const IMAGE = /\.(png|jpe?g|gif|webp|bmp|svg|ico|avif)$/i;
const TEXT = /\.(txt|log|out|err|md|py|ts|js|sh|toml|ini|cfg|conf|xml|r|java|scala|sql|requirements|lock)$/i;
const TEXT_NAMES = /^(requirements\.txt|Dockerfile|LICENSE|README)$/i;
/** YAML by extension, and MLflow's YAML files without one. */
const YAML = /(\.ya?ml|^MLproject)$/i;

/** The preview a file's name calls for. */
export function previewKind(path: string): PreviewKind {
  const name = path.split('/').pop() ?? path;
  if (name === 'MLmodel') return 'mlmodel';
  if (IMAGE.test(name)) return 'image';
  if (/\.json$/i.test(name)) return 'json';
  if (YAML.test(name)) return 'yaml';
  if (/\.csv$/i.test(name)) return 'csv';
  if (/\.tsv$/i.test(name)) return 'tsv';
  if (/\.html?$/i.test(name)) return 'html';
  if (TEXT.test(name) || TEXT_NAMES.test(name)) return 'text';
  return 'none';
}

/** `mlflow-artifacts:/<experiment>/<run>/artifacts` → the store path the proxy serves, or undefined. */
export function storeRoot(artifactUri: string): string | undefined {
  const match = /^mlflow-artifacts:\/+(.*?)\/*$/.exec(artifactUri);
  return match ? match[1] : undefined;
}

/** Percent-encodes each segment of a path, keeping the slashes. */
export function encodePath(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}

/**
 * The URL a run's artifact downloads from: the artifact proxy (which honours Range) when the
 * run's root is in the proxied store, otherwise the UI helper `/get-artifact`.
 */
export function artifactUrl(artifactUri: string, runId: string, path: string): string {
  const root = storeRoot(artifactUri);
  if (root !== undefined) return `/api/2.0/mlflow-artifacts/artifacts/${encodePath(root)}/${encodePath(path)}`;
  return `/get-artifact?run_id=${encodeURIComponent(runId)}&path=${encodeURIComponent(path)}`;
}

/** The total size in a `Content-Range: bytes a-b/total` header, if it names one. */
export function totalFromContentRange(header: string | null): number | undefined {
  const match = header ? /\/(\d+)\s*$/.exec(header) : null;
  return match ? Number(match[1]) : undefined;
}

/**
 * The first rows of delimited text read from the start of a file. When `complete` is false the
 * text is a prefix, so its last (probably cut) line is dropped. Quotes follow RFC 4180: fields in
 * double quotes may hold the delimiter, newlines and doubled quotes.
 */
export function parseDelimited(text: string, delimiter: string, complete: boolean, maxRows = 200): { rows: string[][]; truncated: boolean } {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let i = 0;
  let lastRowEnd = 0;
  const endRow = () => {
    row.push(field);
    rows.push(row);
    row = [];
    field = '';
  };
  while (i < text.length && rows.length < maxRows) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += c;
    } else if (c === '"' && field === '') quoted = true;
    else if (c === delimiter) {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      endRow();
      lastRowEnd = i + 1;
    } else field += c;
    i++;
  }
  const stoppedEarly = rows.length >= maxRows && lastRowEnd < text.length;
  if (!stoppedEarly && complete && (field !== '' || row.length > 0)) endRow();
  return { rows, truncated: stoppedEarly || !complete };
}

/**
 * An HTML artifact as a sandboxed frame's document: a Content-Security-Policy that lets it load
 * nothing (no scripts, no requests to the server; inline styles and data: images only) is put first.
 */
export function sandboxedHtml(html: string): string {
  return `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">${html}`;
}
