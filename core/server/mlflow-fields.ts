/**
 * Reading MLflow's loosely typed request fields (reference §1.2, §1.3) into contract inputs:
 * enum names or numbers, numbers or numeric strings, metric values as numbers or MLflow's
 * "NaN"/"Infinity" strings, `{key, value}` lists, bounded `max_results`. Every refusal is an
 * INVALID_PARAMETER_VALUE (400) naming the MLflow field, never a 5xx: MLflow clients retry 5xx
 * for minutes.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { RUN_STATUSES, type MetricInput, type RunStatus, type Tag, type ViewType } from '#core/api/entities.ts';
import { invalid } from '#core/api/errors.ts';
import { mlflowRoute, optionalInt, optionalString, requireString, repeated, type MlflowFields } from './mlflow-support.ts';

type Verb = Parameters<typeof mlflowRoute>[1];

/** Nesting guard for the twin renaming; the server's JSON parser already refuses deeper bodies. */
const MAX_TWIN_DEPTH = 8;

/**
 * Adds the snake_case twin of every lowerCamelCase field that lacks one (`runId` → `run_id`),
 * at every level: MLflow's own parser accepts both spellings. The snake_case spelling wins when
 * both are sent. Only field names change; values (tag keys among them) are never touched.
 */
export function withSnakeTwins(value: unknown, depth = 0): unknown {
  if (depth > MAX_TWIN_DEPTH || value === null || typeof value !== 'object') return value;
  // Copy only what changes: a 1,000-point log-batch is all snake_case and passes through as is.
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    value.forEach((item, i) => {
      const twin = withSnakeTwins(item, depth + 1);
      if (twin !== item) (copy ??= [...value])[i] = twin;
    });
    return copy ?? value;
  }
  const fields = value as Record<string, unknown>;
  let out: Record<string, unknown> | undefined;
  // No prototype: a query-string key named `__proto__` must stay a plain field.
  const copy = () => (out ??= Object.assign(Object.create(null) as Record<string, unknown>, fields));
  for (const name of Object.keys(fields)) {
    const item = fields[name];
    const twin = withSnakeTwins(item, depth + 1);
    if (twin !== item) copy()[name] = twin;
    if (!hasUpperCase(name)) continue;
    const snake = name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
    if (!(snake in fields)) copy()[snake] = (out ?? fields)[name];
  }
  return out ?? value;
}

function hasUpperCase(name: string): boolean {
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c >= 65 && c <= 90) return true;
  }
  return false;
}

/**
 * Registers an MLflow RPC under both prefixes (through `mlflowRoute`), with lowerCamelCase
 * field names accepted as twins of the snake_case ones.
 */
export function mlflowRpc(
  app: FastifyInstance,
  verbs: Verb,
  path: string,
  handler: (fields: MlflowFields, request: FastifyRequest) => Promise<object>,
): void {
  mlflowRoute(app, verbs, path, (fields, request) => handler(withSnakeTwins(fields) as MlflowFields, request));
}

/** Reads a nested message (an object) of a list; anything else is a 400 naming the field. */
function messageAt(value: unknown, where: string): MlflowFields {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalid(`Invalid value for '${where}': expected an object`);
  return value as MlflowFields;
}

/** A repeated message field: missing is `[]`, every element must be an object. */
export function messages(fields: MlflowFields, name: string): MlflowFields[] {
  return repeated(fields, name).map((item, i) => messageAt(item, `${name}[${i}]`));
}

/** A nested message field; undefined when absent. */
export function optionalMessage(fields: MlflowFields, name: string): MlflowFields | undefined {
  const value = fields[name];
  return value === undefined || value === null ? undefined : messageAt(value, name);
}

/**
 * A string value that clients may send as a scalar of another JSON type (`log_param` stringifies
 * on the client, but hand-written requests send numbers and booleans). Missing is `''`, as
 * MLflow reads an unset proto string; objects and arrays are refused.
 */
export function textValue(fields: MlflowFields, name: string, where = name): string {
  const value = fields[name];
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw invalid(`Invalid value for '${where}': expected a string`);
}

/**
 * A string field that proto clients leave unset by sending `""`: undefined when missing or
 * empty, so the contract's default (the Default experiment, a generated name) applies.
 */
export function setString(fields: MlflowFields, name: string): string | undefined {
  return optionalString(fields, name) || undefined;
}

/** A `{key, value}` list (tags, params): key required, value stringified. */
export function keyValues(fields: MlflowFields, name: string): Tag[] {
  return messages(fields, name).map((item, i) => ({
    key: requireString(item, 'key'),
    value: textValue(item, 'value', `${name}[${i}].value`),
  }));
}

/** A repeated string field; numbers are coerced (legacy clients send experiment ids as numbers). */
export function strings(fields: MlflowFields, name: string): string[] {
  return repeated(fields, name).map((item, i) => {
    if (typeof item === 'string') return item;
    if (typeof item === 'number' && Number.isFinite(item)) return String(item);
    throw invalid(`Invalid value for '${name}[${i}]': expected a string`);
  });
}

/** An integer field with MLflow's bounds; `fallback` when absent. */
export function intInRange(fields: MlflowFields, name: string, min: number, max: number, fallback: number): number;
export function intInRange(fields: MlflowFields, name: string, min: number, max: number): number | undefined;
export function intInRange(fields: MlflowFields, name: string, min: number, max: number, fallback?: number): number | undefined {
  const value = optionalInt(fields, name) ?? fallback;
  if (value !== undefined && (value < min || value > max)) {
    throw invalid(`Invalid value ${value} for parameter '${name}': it must be between ${min} and ${max}`);
  }
  return value;
}

/**
 * An enum field given by name or by number (MLflow's proto numbering, `names[n - 1]`), as
 * numbers and numeric strings are valid JSON for a proto enum. Names are matched case-insensitively.
 */
function enumField<T extends string>(fields: MlflowFields, name: string, names: readonly T[]): T | undefined {
  const value = fields[name];
  if (value === undefined || value === null || value === '') return undefined;
  const text = String(value);
  const byNumber = /^\d+$/.test(text) ? names[Number(text) - 1] : undefined;
  const byName = names.find((n) => n === text.toUpperCase());
  const found = typeof value === 'number' || typeof value === 'string' ? (byNumber ?? byName) : undefined;
  if (found === undefined) throw invalid(`Invalid value ${JSON.stringify(value)} for parameter '${name}': expected one of ${names.join(', ')}`);
  return found;
}

/** MLflow's ViewType: ACTIVE_ONLY=1, DELETED_ONLY=2, ALL=3. */
const VIEW_TYPES: readonly ViewType[] = ['ACTIVE_ONLY', 'DELETED_ONLY', 'ALL'];

/** A ViewType field (`view_type`, `run_view_type`). */
export function viewTypeOf(fields: MlflowFields, name: string): ViewType | undefined {
  return enumField(fields, name, VIEW_TYPES);
}

/** A RunStatus field: RUNNING=1, SCHEDULED=2, FINISHED=3, FAILED=4, KILLED=5. */
export function runStatusOf(fields: MlflowFields, name: string): RunStatus | undefined {
  return enumField(fields, name, RUN_STATUSES);
}

const NON_FINITE: Record<string, number> = {
  nan: Number.NaN,
  infinity: Number.POSITIVE_INFINITY,
  '+infinity': Number.POSITIVE_INFINITY,
  inf: Number.POSITIVE_INFINITY,
  '-infinity': Number.NEGATIVE_INFINITY,
  '-inf': Number.NEGATIVE_INFINITY,
};

/** A decimal number as text: what a quoted double may hold. No hex, binary, octal, blanks or underscores. */
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/**
 * A metric value: a JSON number (the body parser reads bare NaN and Infinity too), MLflow's
 * strings "NaN"/"Infinity"/"-Infinity" (any case), or a decimal string (proto JSON allows quoted
 * doubles). `Number` alone would read "0x10" as 16 and "" as 0; those are refused, as MLflow's
 * server refuses them. Booleans are refused, as MLflow refuses them.
 */
export function metricValueOf(value: unknown, where: string): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string') {
    const special = NON_FINITE[value.toLowerCase()];
    if (special !== undefined) return special;
    if (DECIMAL.test(value) && Number.isFinite(Number(value))) return Number(value);
  }
  if (value === undefined || value === null) throw invalid(`Missing value for required parameter '${where}'.`);
  throw invalid(`Invalid value ${JSON.stringify(value)} for parameter '${where}': expected a number, "NaN", "Infinity" or "-Infinity"`);
}

/** A metric message (log-metric's fields, or one element of log-batch's `metrics`); `step` defaults to 0. */
export function metricOf(fields: MlflowFields, where = ''): MetricInput {
  const timestamp = optionalInt(fields, 'timestamp');
  if (timestamp === undefined) throw invalid(`Missing value for required parameter '${where}timestamp'.`);
  return {
    key: requireString(fields, 'key'),
    value: metricValueOf(fields.value, `${where}value`),
    timestamp,
    step: optionalInt(fields, 'step') ?? 0,
  };
}
