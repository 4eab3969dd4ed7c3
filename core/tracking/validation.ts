/**
 * MLflow's validation rules for names, keys and batch sizes, with its error code
 * (INVALID_PARAMETER_VALUE), so scripts that pass MLflow's checks pass ours. Values are the one
 * deliberate difference: MLflow's servers cut params at 6,000 and tags at 8,000 characters (or
 * refuse them), Flowdesk keeps every param and tag value whole up to `MAX_VALUE_BYTES`, and the
 * same bound holds whatever wrote the value (MLflow routes, the contract, a batch, a new run's
 * tags, experiment, registry and logged-model tags, migrate), so anything one Flowdesk holds
 * can be written again on another.
 */
import { invalid } from '#core/api/errors.ts';
import type { Metric, Param, Tag } from '#core/api/entities.ts';

/** The bound on one param or tag value, in UTF-8 bytes (1 MiB). */
export const MAX_VALUE_BYTES = 1024 * 1024;

export const LIMITS = {
  keyLength: 250,
  experimentName: 500,
  runName: 250,
  batchMetrics: 1000,
  batchParams: 100,
  batchTags: 100,
  batchTotal: 1000,
} as const;

/** MLflow's `^[/\w.\- :]*$` with a Unicode `\w`. */
const KEY_CHARS = /^[/\p{L}\p{N}\p{M}_.\- :]*$/u;

/** Checks a metric, param or tag key: allowed characters, length, and a normalized path form. */
export function validateKey(kind: string, key: string): void {
  if (key.length === 0) throw invalid(`Invalid ${kind} name: the key must not be empty`);
  if (key.length > LIMITS.keyLength) {
    throw invalid(`Invalid ${kind} name '${key.slice(0, 40)}...': keys may be at most ${LIMITS.keyLength} characters, got ${key.length}`);
  }
  if (!KEY_CHARS.test(key)) {
    throw invalid(
      `Invalid ${kind} name '${key}': names may only contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), colons (:) and slashes (/)`,
    );
  }
  const segments = key.split('/');
  if (key.startsWith('/') || key.endsWith('/') || segments.some((s) => s === '' || s === '.' || s === '..')) {
    throw invalid(`Invalid ${kind} name '${key}': names must be normalized paths (no leading or trailing '/', no '//', '.' or '..' segments)`);
  }
}

/** The size of a value in UTF-8 bytes, counted only when its length alone cannot settle the bound. */
function utf8Bytes(value: string): number {
  return value.length * 3 <= MAX_VALUE_BYTES ? value.length : new TextEncoder().encode(value).length;
}

/** Refuses a param or tag value over `MAX_VALUE_BYTES`, naming the key and the bound. */
export function validateValue(kind: string, key: string, value: string): void {
  const bytes = utf8Bytes(value);
  if (bytes > MAX_VALUE_BYTES) {
    throw invalid(`${kind} '${key}' is ${bytes} bytes long, over the limit of ${MAX_VALUE_BYTES} bytes (1 MiB) for one value`);
  }
}

export function validateParam(p: Param): void {
  validateKey('param', p.key);
  validateValue('Param value', p.key, p.value);
}

export function validateRunTag(t: Tag): void {
  validateKey('tag', t.key);
  validateValue('Tag value', t.key, t.value);
  // This tag is the run's name (setting it renames the run, as in MLflow), so it takes the name's
  // rule: a name no path can write could not be written again by migrate or an import either.
  if (t.key === 'mlflow.runName') validateRunName(t.value);
}

export function validateExperimentTag(t: Tag): void {
  validateKey('tag', t.key);
  validateValue('Experiment tag value', t.key, t.value);
}

export function validateMetric(m: Metric): void {
  validateKey('metric', m.key);
  validateMetricPoint(m);
}

/** Checks a metric point's timestamp and step (the key is checked separately). */
function validateMetricPoint(m: Metric): void {
  if (!Number.isSafeInteger(m.timestamp) || m.timestamp < 0) {
    throw invalid(`Metric '${m.key}' has an invalid timestamp ${m.timestamp}: expected an integer number of milliseconds >= 0`);
  }
  if (!Number.isSafeInteger(m.step)) throw invalid(`Metric '${m.key}' has an invalid step ${m.step}: expected an integer`);
}

export function validateExperimentName(name: string): void {
  if (name.trim().length === 0) throw invalid('Invalid experiment name: the name must not be empty');
  if (name.length > LIMITS.experimentName) {
    throw invalid(`Invalid experiment name: names may be at most ${LIMITS.experimentName} characters, got ${name.length}`);
  }
}

export function validateRunName(name: string): void {
  if (name.length > LIMITS.runName) {
    throw invalid(`Invalid run name: names may be at most ${LIMITS.runName} characters, got ${name.length}`);
  }
}

/** Checks the size limits of one logBatch request and that no param key repeats within it. */
export function validateBatch(metrics: Metric[], params: Param[], tags: Tag[]): void {
  if (metrics.length > LIMITS.batchMetrics) {
    throw invalid(`A batch logging request can contain at most ${LIMITS.batchMetrics} metrics. Got ${metrics.length} metrics.`);
  }
  if (params.length > LIMITS.batchParams) {
    throw invalid(`A batch logging request can contain at most ${LIMITS.batchParams} params. Got ${params.length} params.`);
  }
  if (tags.length > LIMITS.batchTags) {
    throw invalid(`A batch logging request can contain at most ${LIMITS.batchTags} tags. Got ${tags.length} tags.`);
  }
  const total = metrics.length + params.length + tags.length;
  if (total > LIMITS.batchTotal) {
    throw invalid(`A batch logging request can contain at most ${LIMITS.batchTotal} metrics, params and tags in total. Got ${total}.`);
  }
  const seen = new Set<string>();
  for (const p of params) {
    if (seen.has(p.key)) throw invalid(`Duplicate parameter keys have been submitted: '${p.key}'. Please ensure the request contains only one param value per param key.`);
    seen.add(p.key);
  }
  // A batch usually repeats a few keys many times; check each distinct key once.
  const checkedKeys = new Set<string>();
  for (const m of metrics) {
    if (!checkedKeys.has(m.key)) {
      validateKey('metric', m.key);
      checkedKeys.add(m.key);
    }
    validateMetricPoint(m);
  }
  params.forEach(validateParam);
  tags.forEach(validateRunTag);
}
