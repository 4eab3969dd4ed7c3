/**
 * Checks a scoring request against a model's signature (names, types, shapes) and turns it into
 * typed columns or tensors. A violation is a BAD_REQUEST naming the column or tensor and the type
 * or shape the signature expects; a bad param is an INVALID_PARAMETER_VALUE. Without a signature
 * the input passes as sent and the model's own input types decide.
 */
import { FlowdeskError } from '#core/api/errors.ts';
import type { ColumnSpec, ModelSchema, ParamSpec, TensorSpec } from '#core/api/models-entities.ts';
import type { FrameInput, ScoringRequest, TensorInput } from './scoring-input.ts';
import { isScalarColumnType } from '#core/api/mlmodel.ts';

/** A cell or tensor element after checking. */
export type Scalar = number | boolean | string | null;

/** Named columns of equal length, in the signature's order. */
export interface ColumnsFeed {
  kind: 'columns';
  rows: number;
  columns: { name: string; type?: string; values: Scalar[] }[];
}

/** Named (or, when the model has one input and the request one tensor, unnamed) tensors. */
export interface TensorsFeed {
  kind: 'tensors';
  tensors: { name?: string; dtype?: string; shape: number[]; values: Scalar[] }[];
}

export type Feed = ColumnsFeed | TensorsFeed;

const bad = (message: string) => new FlowdeskError('BAD_REQUEST', message);

/** A value as it appears in a message: JSON, cut short. */
function show(value: unknown): string {
  const text = value === undefined ? 'nothing' : JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

const NON_FINITE: Record<string, number> = { NaN: Number.NaN, Infinity: Infinity, '-Infinity': -Infinity, nan: Number.NaN, inf: Infinity, '-inf': -Infinity };

/** A number from JSON (or CSV text); undefined when it is not one. */
function toNumber(value: unknown, fromText: boolean): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'string') {
    if (value in NON_FINITE) return NON_FINITE[value];
    if (fromText && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  }
  return undefined;
}

const INT_RANGES: Record<string, [number, number]> = {
  integer: [-(2 ** 31), 2 ** 31 - 1],
  long: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  int8: [-128, 127],
  int16: [-32768, 32767],
  int32: [-(2 ** 31), 2 ** 31 - 1],
  int64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  uint8: [0, 255],
  uint16: [0, 65535],
  uint32: [0, 2 ** 32 - 1],
  uint64: [0, Number.MAX_SAFE_INTEGER],
};
const FLOATS = new Set(['float', 'double', 'float16', 'float32', 'float64']);
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

/**
 * One value converted to `type` (an MLflow column type or a numpy dtype), or undefined when it
 * does not fit. CSV text is read as the type asks.
 */
function convert(value: unknown, type: string, fromText: boolean): Scalar | undefined {
  if (FLOATS.has(type)) return toNumber(value, fromText);
  const range = INT_RANGES[type];
  if (range) {
    const n = toNumber(value, fromText);
    return n !== undefined && Number.isInteger(n) && n >= range[0] && n <= range[1] ? n : undefined;
  }
  switch (type) {
    case 'boolean':
    case 'bool':
      if (typeof value === 'boolean') return value;
      if (fromText && typeof value === 'string') {
        const lower = value.trim().toLowerCase();
        if (lower === 'true' || lower === '1') return true;
        if (lower === 'false' || lower === '0') return false;
      }
      return undefined;
    case 'string':
    case 'str':
      return typeof value === 'string' ? value : undefined;
    case 'binary':
    case 'bytes':
      return typeof value === 'string' && BASE64.test(value) ? value : undefined;
    case 'datetime':
      return typeof value === 'string' && !Number.isNaN(Date.parse(value)) ? value : undefined;
    default:
      // numpy `object` tensors hold anything; JSON scalars pass.
      return value === null || ['number', 'boolean', 'string'].includes(typeof value) ? (value as Scalar) : undefined;
  }
}

/** A value sent without a signature to check it against: JSON scalars as they are, CSV cells as numbers where they read as one. */
function untyped(value: unknown, fromText: boolean, where: string): Scalar {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return fromText && value.trim() !== '' && Number.isFinite(Number(value)) ? Number(value) : value;
  if (typeof value === 'number' || typeof value === 'boolean') return value;
  throw bad(`${where} holds ${show(value)}, which is not a number, string or boolean`);
}

/** Columns of a frame, or of named tensors, by name. */
function rawColumns(input: FrameInput | TensorInput, specs?: ColumnSpec[]): { rows: number; byName: Map<string, unknown[]>; fromText: boolean } {
  if (input.kind === 'frame') {
    const byName = new Map(input.columns.map((c, i) => [c, input.rows.map((r) => r[i])]));
    return { rows: input.rows.length, byName, fromText: input.fromCsv };
  }
  if ('named' in input.tensors) {
    const byName = new Map<string, unknown[]>();
    let rows: number | undefined;
    for (const [name, value] of Object.entries(input.tensors.named)) {
      const values = Array.isArray(value) ? value : [value];
      if (rows !== undefined && values.length !== rows) throw bad(`Input '${name}' has ${values.length} values but the other inputs have ${rows}`);
      rows = values.length;
      byName.set(name, values);
    }
    return { rows: rows ?? 0, byName, fromText: false };
  }
  // One unnamed 2-D array: its columns are the signature's columns in order (as a DataFrame built from it).
  const matrix = input.tensors.unnamed;
  if (!Array.isArray(matrix)) throw bad('inputs/instances must be a list of rows');
  const names = specs ? specs.map((s, i) => s.name ?? String(i)) : undefined;
  const width = names?.length ?? (Array.isArray(matrix[0]) ? matrix[0].length : 1);
  const byName = new Map<string, unknown[]>();
  matrix.forEach((row, r) => {
    const cells = Array.isArray(row) ? row : [row];
    if (cells.length !== width) throw bad(`Row ${r} has ${cells.length} values but the signature has ${width} columns${names ? ` (${names.join(', ')})` : ''}`);
    cells.forEach((cell, c) => {
      const name = names?.[c] ?? String(c);
      if (!byName.has(name)) byName.set(name, []);
      byName.get(name)!.push(cell);
    });
  });
  return { rows: matrix.length, byName, fromText: false };
}

function enforceColumns(input: FrameInput | TensorInput, specs: ColumnSpec[] | undefined): ColumnsFeed {
  const { rows, byName, fromText } = rawColumns(input, specs);
  if (!specs) {
    return { kind: 'columns', rows, columns: [...byName].map(([name, values]) => ({ name, values: values.map((v, r) => untyped(v, fromText, `Column '${name}' row ${r}`)) })) };
  }
  const missing = specs.filter((s, i) => s.required && !byName.has(s.name ?? String(i)));
  if (missing.length > 0) {
    const list = missing.map((s) => `'${s.name}' (${s.type})`).join(', ');
    throw bad(`The input is missing ${missing.length === 1 ? 'column' : 'columns'} ${list} that the model's signature requires; it has ${[...byName.keys()].map((k) => `'${k}'`).join(', ') || 'no columns'}`);
  }
  const columns: ColumnsFeed['columns'] = [];
  specs.forEach((spec, i) => {
    const name = spec.name ?? String(i);
    const raw = byName.get(name);
    if (!raw) return;
    if (!isScalarColumnType(spec.type)) {
      columns.push({ name, type: spec.type, values: raw as Scalar[] });
      return;
    }
    const values = raw.map((value, r) => {
      if ((value === null || value === undefined || (fromText && value === '')) && !spec.required) return null;
      const converted = convert(value, spec.type, fromText);
      if (converted === undefined) throw bad(`Column '${name}' expects type ${spec.type}, but row ${r} holds ${show(value)}`);
      return converted;
    });
    columns.push({ name, type: spec.type, values });
  });
  return { kind: 'columns', rows, columns };
}

/** The shape of a nested array, checking that it is rectangular. */
function shapeOf(value: unknown, name: string): number[] {
  if (!Array.isArray(value)) return [];
  const inner = value.map((v) => shapeOf(v, name));
  const first = inner[0] ?? [];
  for (const s of inner) {
    if (s.length !== first.length || s.some((d, i) => d !== first[i])) throw bad(`Input tensor ${name} is ragged: its rows do not all have the same shape`);
  }
  return [value.length, ...first];
}

const shapeText = (shape: readonly number[]) => `(${shape.join(', ')}${shape.length === 1 ? ',' : ''})`;

/** One tensor checked against its spec: rank, fixed dimensions and element type. */
function enforceTensor(value: unknown, spec: TensorSpec | undefined, label: string, fromText: boolean): TensorsFeed['tensors'][number] {
  const shape = shapeOf(value, label);
  if (spec) {
    const fits = shape.length === spec.shape.length && spec.shape.every((d, i) => d === -1 || d === shape[i]);
    if (!fits) throw bad(`Input tensor ${label} has shape ${shapeText(shape)} but the signature expects ${spec.dtype} of shape ${shapeText(spec.shape)} (-1 is any size)`);
  }
  const flat = (Array.isArray(value) ? value.flat(Infinity) : [value]) as unknown[];
  const values = flat.map((v) => {
    if (!spec) return untyped(v, fromText, `Input tensor ${label}`);
    const converted = convert(v, spec.dtype, fromText);
    if (converted === undefined) throw bad(`Input tensor ${label} expects ${spec.dtype} values, but it holds ${show(v)}`);
    return converted;
  });
  return { name: spec?.name, dtype: spec?.dtype, shape, values };
}

function enforceTensors(input: FrameInput | TensorInput, specs: TensorSpec[]): TensorsFeed {
  if (input.kind === 'frame') {
    if (specs.length !== 1) throw bad(`The model takes ${specs.length} input tensors (${specs.map((s) => s.name).join(', ')}); send them by name in "inputs"`);
    return { kind: 'tensors', tensors: [enforceTensor(input.rows, specs[0], specs[0]!.name ? `'${specs[0]!.name}'` : '', input.fromCsv)] };
  }
  if ('unnamed' in input.tensors) {
    if (specs.length !== 1) throw bad(`The model takes ${specs.length} input tensors (${specs.map((s) => `'${s.name}'`).join(', ')}); send an object of them by name`);
    return { kind: 'tensors', tensors: [enforceTensor(input.tensors.unnamed, specs[0], specs[0]!.name ? `'${specs[0]!.name}'` : '', false)] };
  }
  const named = input.tensors.named;
  const missing = specs.filter((s) => s.name !== undefined && !(s.name in named));
  if (missing.length > 0) {
    throw bad(`The input is missing tensor ${missing.map((s) => `'${s.name}' (${s.dtype} of shape ${shapeText(s.shape)})`).join(', ')} that the model's signature requires`);
  }
  return { kind: 'tensors', tensors: specs.map((spec) => enforceTensor(named[spec.name!], spec, `'${spec.name}'`, false)) };
}

/** Checks a request's input against the signature's inputs (if any) and types it. */
export function enforceInput(request: ScoringRequest, schema: ModelSchema | undefined): Feed {
  const { input } = request;
  if (schema?.kind === 'tensors') return enforceTensors(input, schema.tensors);
  if (schema?.kind === 'columns') return enforceColumns(input, schema.columns);
  // No signature: frames stay columns, tensors stay tensors.
  if (input.kind === 'frame') return enforceColumns(input, undefined);
  if ('unnamed' in input.tensors) return { kind: 'tensors', tensors: [enforceTensor(input.tensors.unnamed, undefined, '', false)] };
  return { kind: 'tensors', tensors: Object.entries(input.tensors.named).map(([name, value]) => ({ ...enforceTensor(value, undefined, `'${name}'`, false), name })) };
}

/**
 * Checks params against the signature's params schema and fills in defaults. Params a model does
 * not declare are refused, as MLflow refuses params for a model without a params schema.
 */
export function enforceParams(params: Record<string, unknown> | undefined, specs: ParamSpec[] | undefined): Record<string, unknown> {
  const given = params ?? {};
  if (!specs) {
    if (Object.keys(given).length > 0) throw new FlowdeskError('INVALID_PARAMETER_VALUE', "params were sent, but the model's signature declares no params");
    return {};
  }
  const unknown = Object.keys(given).filter((k) => !specs.some((s) => s.name === k));
  if (unknown.length > 0) {
    throw new FlowdeskError('INVALID_PARAMETER_VALUE', `Unknown params ${unknown.map((k) => `'${k}'`).join(', ')}; the model accepts ${specs.map((s) => `'${s.name}' (${s.type})`).join(', ')}`);
  }
  const out: Record<string, unknown> = {};
  for (const spec of specs) {
    if (!(spec.name in given)) {
      out[spec.name] = spec.default;
      continue;
    }
    const value = given[spec.name];
    const items = spec.shape ? (Array.isArray(value) ? value : undefined) : [value];
    const ok = items !== undefined && items.every((v) => convert(v, spec.type, false) !== undefined);
    if (!ok) {
      throw new FlowdeskError('INVALID_PARAMETER_VALUE', `Param '${spec.name}' expects ${spec.shape ? `a list of ${spec.type}` : `type ${spec.type}`}, but it is ${show(value)}`);
    }
    out[spec.name] = value;
  }
  return out;
}

