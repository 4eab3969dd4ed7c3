/**
 * MLflow's scoring protocol: what a POST /invocations body (or a `models predict` input file)
 * holds. JSON carries exactly one of `dataframe_split`, `dataframe_records`, `instances` or
 * `inputs`, plus optional `params`; CSV is a frame with a header row.
 */
import { FlowdeskError } from '#core/api/errors.ts';

/** Rows of named columns (a pandas DataFrame in MLflow). */
export interface FrameInput {
  kind: 'frame';
  columns: string[];
  /** Row-major; a missing cell is undefined. */
  rows: unknown[][];
  /** CSV cells are text and are converted by the signature's types. */
  fromCsv: boolean;
}

/** Tensors (numpy arrays in MLflow): one unnamed, or several by name. */
export interface TensorInput {
  kind: 'tensors';
  /** A single unnamed tensor's nested arrays, or named ones. */
  tensors: { unnamed: unknown } | { named: Record<string, unknown> };
}

export interface ScoringRequest {
  input: FrameInput | TensorInput;
  params?: Record<string, unknown>;
}

export const FORMATS = ['dataframe_split', 'dataframe_records', 'instances', 'inputs'] as const;

const bad = (message: string) => new FlowdeskError('BAD_REQUEST', message);
const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function frameFromSplit(value: unknown): FrameInput {
  if (!isRecord(value) || !Array.isArray(value.data)) throw bad('dataframe_split must be an object with `data` (a list of rows) and optionally `columns` and `index`');
  const rows = value.data.map((row: unknown) => (Array.isArray(row) ? row : [row]));
  const width = Math.max(0, ...rows.map((r) => r.length));
  let columns: string[];
  if (value.columns === undefined) columns = Array.from({ length: width }, (_, i) => String(i));
  else if (Array.isArray(value.columns) && value.columns.every((c) => typeof c === 'string' || typeof c === 'number')) columns = value.columns.map(String);
  else throw bad('dataframe_split.columns must be a list of column names');
  rows.forEach((row, i) => {
    if (row.length !== columns.length) throw bad(`dataframe_split.data row ${i} has ${row.length} values but there are ${columns.length} columns`);
  });
  return { kind: 'frame', columns, rows, fromCsv: false };
}

function frameFromRecords(value: unknown): FrameInput {
  if (!Array.isArray(value) || !value.every(isRecord)) throw bad('dataframe_records must be a list of objects, one per row');
  const columns: string[] = [];
  const seen = new Set<string>();
  for (const record of value) {
    for (const key of Object.keys(record)) {
      if (seen.has(key)) continue;
      seen.add(key);
      columns.push(key);
    }
  }
  return { kind: 'frame', columns, rows: value.map((record) => columns.map((c) => record[c])), fromCsv: false };
}

/** `instances`: a list of rows; rows that are objects give one tensor per key (TF serving's row format). */
function tensorsFromInstances(value: unknown): TensorInput {
  if (!Array.isArray(value)) throw bad('instances must be a list');
  if (value.length > 0 && value.every(isRecord)) {
    const named: Record<string, unknown[]> = {};
    const keys = Object.keys(value[0]!);
    value.forEach((instance, i) => {
      const these = Object.keys(instance);
      if (these.length !== keys.length || !these.every((k) => keys.includes(k))) throw bad(`instances[${i}] has keys ${JSON.stringify(these)} but instances[0] has ${JSON.stringify(keys)}`);
      for (const key of keys) (named[key] ??= []).push(instance[key]);
    });
    return { kind: 'tensors', tensors: { named } };
  }
  return { kind: 'tensors', tensors: { unnamed: value } };
}

/** `inputs`: one tensor, or an object of named tensors (TF serving's columnar format). */
function tensorsFromInputs(value: unknown): TensorInput {
  if (isRecord(value)) return { kind: 'tensors', tensors: { named: value } };
  return { kind: 'tensors', tensors: { unnamed: value } };
}

/** Reads a parsed JSON body. */
export function parseScoringJson(body: unknown): ScoringRequest {
  if (!isRecord(body)) throw bad(`The body must be a JSON object with one of the keys ${FORMATS.join(', ')}`);
  const present = FORMATS.filter((f) => f in body);
  const unknown = Object.keys(body).filter((k) => k !== 'params' && !(FORMATS as readonly string[]).includes(k));
  if (present.length !== 1 || unknown.length > 0) {
    throw bad(
      `Invalid input. The body must hold exactly one of ${FORMATS.join(', ')}` +
        (present.length > 1 ? `; it holds ${present.join(' and ')}` : '') +
        (unknown.length > 0 ? `; unexpected keys: ${unknown.join(', ')}` : '') +
        ' (and optionally params).',
    );
  }
  const params = body.params;
  if (params !== undefined && !isRecord(params)) throw new FlowdeskError('INVALID_PARAMETER_VALUE', 'params must be an object of parameter names and values');
  const format = present[0]!;
  const value = body[format];
  const input =
    format === 'dataframe_split' ? frameFromSplit(value)
    : format === 'dataframe_records' ? frameFromRecords(value)
    : format === 'instances' ? tensorsFromInstances(value)
    : tensorsFromInputs(value);
  return { input, params };
}

/** Parses CSV text (RFC 4180 quoting) into rows of cells. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let fieldStarted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c !== '"') field += c;
      else if (text[i + 1] === '"') {
        field += '"';
        i++;
      } else quoted = false;
    } else if (c === '"' && !fieldStarted) {
      quoted = true;
      fieldStarted = true;
    } else if (c === ',') {
      row.push(field);
      field = '';
      fieldStarted = false;
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      fieldStarted = false;
    } else {
      field += c;
      fieldStarted = true;
    }
  }
  if (quoted) throw bad('The CSV body ends inside a quoted field');
  if (fieldStarted || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows.filter((r) => !(r.length === 1 && r[0] === ''));
}

/** Reads a CSV body: a header row of column names, then one row per record. */
export function parseScoringCsv(text: string): ScoringRequest {
  const [header, ...rows] = parseCsv(text);
  if (!header) throw bad('The CSV body is empty: send a header row of column names and then the rows');
  rows.forEach((row, i) => {
    if (row.length !== header.length) throw bad(`CSV row ${i + 1} has ${row.length} values but the header names ${header.length} columns`);
  });
  return { input: { kind: 'frame', columns: header, rows, fromCsv: true } };
}
