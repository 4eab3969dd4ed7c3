/**
 * MLflow's trace data file (`traces.json`, `{"spans": [...]}` with each span as MLflow's
 * `Span.to_dict` writes it) read into spans and written back from them, and what the store keeps
 * per span: token usage, previews, the attributes too large to keep in a catalog row.
 */
import { invalid } from '#core/api/errors.ts';
import { TRACE_LIMITS, type Span, type SpanEvent, type SpanInput, type TokenUsage } from '#core/api/traces-entities.ts';

/** Attribute values longer than this stay whole in the artifact store; the row keeps a cut copy. */
export const INLINE_ATTRIBUTE_LENGTH = 64 * 1024;
/** Characters of a request or response preview, as MLflow cuts them. */
export const PREVIEW_LENGTH = 1000;

/** MLflow's span attributes this store reads. Values are JSON text. */
export const SPAN_ATTRIBUTE = {
  requestId: 'mlflow.traceRequestId',
  spanType: 'mlflow.spanType',
  inputs: 'mlflow.spanInputs',
  outputs: 'mlflow.spanOutputs',
  tokenUsage: 'mlflow.chat.tokenUsage',
} as const;

/** The MLflow trace id of an OpenTelemetry trace id (32 hex digits), as MLflow derives it. */
export function mlflowTraceId(otelTraceIdHex: string): string {
  return `tr-${otelTraceIdHex}`;
}

const HEX_SPAN_ID = /^[0-9a-f]{16}$/;

/** A span or trace id as MLflow's file holds it (base64 of the bytes, or hex in 3.5.0's files) in hex. */
function idHex(value: unknown, bytes: number, where: string): string {
  if (typeof value !== 'string' || value === '') throw invalid(`Invalid trace data: ${where} must be a non-empty string`);
  if (value.length === bytes * 2 && /^[0-9a-fA-F]+$/.test(value)) return value.toLowerCase();
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(value)) throw invalid(`Invalid trace data: ${where} is neither base64 nor hex`);
  const decoded = Buffer.from(value, 'base64');
  if (decoded.length !== bytes) throw invalid(`Invalid trace data: ${where} must hold ${bytes} bytes, found ${decoded.length}`);
  return decoded.toString('hex');
}

/** A nanosecond time (number or decimal text) as decimal text. */
function nanos(value: unknown, where: string): string {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return String(value);
  if (typeof value === 'string' && /^\d{1,20}$/.test(value)) return value.replace(/^0+(?=\d)/, '');
  // JSON numbers past 2^53 arrive rounded; the file's own digits are not recoverable, so such a
  // number is kept as the nearest integer rather than refused.
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return BigInt(value).toString();
  throw invalid(`Invalid trace data: ${where} must be a time in nanoseconds`);
}

const STATUS_NAMES: Record<string, Span['status']['code']> = {
  STATUS_CODE_UNSET: 'UNSET',
  STATUS_CODE_OK: 'OK',
  STATUS_CODE_ERROR: 'ERROR',
  UNSET: 'UNSET',
  OK: 'OK',
  ERROR: 'ERROR',
};

/** An attribute value as MLflow keeps it: JSON text for anything that is not already a string. */
export function attributeText(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value ?? null);
}

function objectAt(value: unknown, where: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalid(`Invalid trace data: ${where} must be an object`);
  return value as Record<string, unknown>;
}

/** Checks the limits every span is held to, whichever way it came in. */
export function checkSpanLimits(spans: readonly { name: string; attributes: Record<string, string>; events: unknown[] }[]): void {
  if (spans.length > TRACE_LIMITS.spansPerRequest) throw invalid(`Too many spans: ${spans.length}; one request takes at most ${TRACE_LIMITS.spansPerRequest}`);
  spans.forEach((span, i) => {
    const keys = Object.keys(span.attributes);
    if (keys.length > TRACE_LIMITS.attributesPerSpan) throw invalid(`Span ${i} ('${span.name.slice(0, 100)}') has ${keys.length} attributes; a span takes at most ${TRACE_LIMITS.attributesPerSpan}`);
    for (const key of keys) {
      if (key.length > TRACE_LIMITS.keyLength) throw invalid(`Span ${i} has an attribute key of ${key.length} characters; at most ${TRACE_LIMITS.keyLength}`);
      const length = span.attributes[key]!.length;
      if (length > TRACE_LIMITS.attributeValueLength) {
        throw invalid(`Span ${i} attribute '${key.slice(0, 100)}' is ${length} characters long; an attribute value takes at most ${TRACE_LIMITS.attributeValueLength}`);
      }
    }
    if (span.events.length > TRACE_LIMITS.eventsPerSpan) throw invalid(`Span ${i} has ${span.events.length} events; a span takes at most ${TRACE_LIMITS.eventsPerSpan}`);
  });
}

/**
 * Reads MLflow's trace data file into spans of `traceId`. Anything malformed is refused with the
 * span and field it concerns; a span of another trace is refused too.
 */
export function parseTraceData(text: string, traceId: string): SpanInput[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw invalid(`Invalid trace data: not JSON (${(err as Error).message})`);
  }
  const spansValue = objectAt(parsed, 'the file').spans;
  if (!Array.isArray(spansValue)) throw invalid("Invalid trace data: 'spans' must be a list");
  if (spansValue.length > TRACE_LIMITS.spansPerRequest) throw invalid(`Too many spans: ${spansValue.length}; one trace data file takes at most ${TRACE_LIMITS.spansPerRequest}`);
  const expected = traceId.slice(3);
  const spans = spansValue.map((item, i): SpanInput => {
    const where = `spans[${i}]`;
    const raw = objectAt(item, where);
    const rawTraceId = raw.trace_id;
    const otelTraceId = typeof rawTraceId === 'string' && rawTraceId.startsWith('tr-') ? rawTraceId.slice(3) : idHex(rawTraceId, 16, `${where}.trace_id`);
    if (otelTraceId !== expected) throw invalid(`Invalid trace data: ${where} belongs to trace tr-${otelTraceId}, not ${traceId}`);
    const attributes: Record<string, string> = {};
    for (const [key, value] of Object.entries(objectAt(raw.attributes ?? {}, `${where}.attributes`))) attributes[key] = attributeText(value);
    const status = objectAt(raw.status ?? {}, `${where}.status`);
    const code = STATUS_NAMES[String(status.code ?? 'STATUS_CODE_UNSET')];
    if (code === undefined) throw invalid(`Invalid trace data: ${where}.status.code '${String(status.code)}' is not a span status`);
    const eventsValue = raw.events ?? [];
    if (!Array.isArray(eventsValue)) throw invalid(`Invalid trace data: ${where}.events must be a list`);
    const events = eventsValue.map((e, j): SpanEvent => {
      const event = objectAt(e, `${where}.events[${j}]`);
      return {
        name: String(event.name ?? ''),
        timeNs: nanos(event.time_unix_nano ?? 0, `${where}.events[${j}].time_unix_nano`),
        attributes: objectAt(event.attributes ?? {}, `${where}.events[${j}].attributes`),
      };
    });
    if (typeof raw.name !== 'string') throw invalid(`Invalid trace data: ${where}.name must be a string`);
    return {
      traceId,
      spanId: idHex(raw.span_id, 8, `${where}.span_id`),
      parentSpanId: raw.parent_span_id ? idHex(raw.parent_span_id, 8, `${where}.parent_span_id`) : undefined,
      name: raw.name,
      spanType: spanTypeOf(attributes),
      startTimeNs: nanos(raw.start_time_unix_nano, `${where}.start_time_unix_nano`),
      endTimeNs: raw.end_time_unix_nano === null || raw.end_time_unix_nano === undefined ? undefined : nanos(raw.end_time_unix_nano, `${where}.end_time_unix_nano`),
      status: { code, message: typeof status.message === 'string' ? status.message : '' },
      attributes,
      events,
    };
  });
  checkSpanLimits(spans);
  return spans;
}

/** MLflow's span type (LLM, CHAIN, TOOL, ...) from its JSON-text attribute. */
export function spanTypeOf(attributes: Record<string, string>): string | undefined {
  const value = attributes[SPAN_ATTRIBUTE.spanType];
  if (value === undefined) return undefined;
  const decoded = decodeJsonText(value);
  return typeof decoded === 'string' ? decoded : value;
}

/** A JSON-text attribute decoded; the text itself when it is not JSON (plain OpenTelemetry strings). */
export function decodeJsonText(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

const STATUS_CODE_NAMES: Record<Span['status']['code'], string> = { UNSET: 'STATUS_CODE_UNSET', OK: 'STATUS_CODE_OK', ERROR: 'STATUS_CODE_ERROR' };

/** Spans of a trace in MLflow's trace data file shape, as its client reads it with `Span.from_dict`. */
export function formatTraceData(traceId: string, spans: readonly Span[]): string {
  const traceB64 = Buffer.from(traceId.slice(3), 'hex').toString('base64');
  const b64 = (hex: string) => Buffer.from(hex, 'hex').toString('base64');
  return JSON.stringify({
    spans: spans.map((s) => ({
      trace_id: traceB64,
      span_id: b64(s.spanId),
      parent_span_id: s.parentSpanId ? b64(s.parentSpanId) : null,
      name: s.name,
      start_time_unix_nano: Number(s.startTimeNs),
      end_time_unix_nano: s.endTimeNs === undefined ? null : Number(s.endTimeNs),
      events: s.events.map((e) => ({ name: e.name, time_unix_nano: Number(e.timeNs), attributes: e.attributes })),
      status: { code: STATUS_CODE_NAMES[s.status.code], message: s.status.message },
      // MLflow's reader needs the trace id among the attributes (spans sent over OpenTelemetry lack it).
      attributes: { [SPAN_ATTRIBUTE.requestId]: JSON.stringify(traceId), ...s.attributes },
    })),
  });
}

/** A span's token usage (`mlflow.chat.tokenUsage`), when it reports one. */
export function spanTokenUsage(attributes: Record<string, string>): TokenUsage | undefined {
  const value = attributes[SPAN_ATTRIBUTE.tokenUsage];
  return value === undefined ? undefined : tokenUsageOf(decodeJsonText(value));
}

/** MLflow's token usage object (`{input_tokens, output_tokens, total_tokens}`) read defensively. */
export function tokenUsageOf(value: unknown): TokenUsage | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const v = value as Record<string, unknown>;
  const count = (x: unknown) => (typeof x === 'number' && Number.isFinite(x) && x >= 0 ? Math.round(x) : 0);
  const inputTokens = count(v.input_tokens);
  const outputTokens = count(v.output_tokens);
  const totalTokens = typeof v.total_tokens === 'number' ? count(v.total_tokens) : inputTokens + outputTokens;
  return { inputTokens, outputTokens, totalTokens };
}

/** The sum of the spans' token usage; undefined when no span reports any. */
export function sumTokenUsage(spans: readonly { attributes: Record<string, string> }[]): TokenUsage | undefined {
  let sum: TokenUsage | undefined;
  for (const s of spans) {
    const usage = spanTokenUsage(s.attributes);
    if (!usage) continue;
    sum = {
      inputTokens: (sum?.inputTokens ?? 0) + usage.inputTokens,
      outputTokens: (sum?.outputTokens ?? 0) + usage.outputTokens,
      totalTokens: (sum?.totalTokens ?? 0) + usage.totalTokens,
    };
  }
  return sum;
}

/** A preview of a root span's inputs or outputs, cut as MLflow cuts them. */
export function previewOf(value: string | undefined): string | undefined {
  return value === undefined ? undefined : value.slice(0, PREVIEW_LENGTH);
}

/** Whether a span id is well-formed hex (OpenTelemetry's 8 bytes). */
export function isSpanId(value: string): boolean {
  return HEX_SPAN_ID.test(value);
}

/** The attributes a catalog row keeps: values over `INLINE_ATTRIBUTE_LENGTH` cut, and their names. */
export function inlineAttributes(attributes: Record<string, string>): { inline: Record<string, string>; truncated: string[] } {
  const inline: Record<string, string> = {};
  const truncated: string[] = [];
  for (const [key, value] of Object.entries(attributes)) {
    if (value.length > INLINE_ATTRIBUTE_LENGTH) {
      inline[key] = value.slice(0, INLINE_ATTRIBUTE_LENGTH);
      truncated.push(key);
    } else {
      inline[key] = value;
    }
  }
  return { inline, truncated };
}

/** Sorts spans parents first, then by start time: the order a tree view reads them in. */
export function treeOrder<T extends { spanId: string; parentSpanId?: string; startTimeNs: string }>(spans: readonly T[]): T[] {
  const byParent = new Map<string | undefined, T[]>();
  const ids = new Set(spans.map((s) => s.spanId));
  for (const s of spans) {
    const parent = s.parentSpanId !== undefined && ids.has(s.parentSpanId) ? s.parentSpanId : undefined;
    const list = byParent.get(parent) ?? [];
    list.push(s);
    byParent.set(parent, list);
  }
  const byStart = (a: T, b: T) => (BigInt(a.startTimeNs) < BigInt(b.startTimeNs) ? -1 : BigInt(a.startTimeNs) > BigInt(b.startTimeNs) ? 1 : 0);
  const out: T[] = [];
  const seen = new Set<string>();
  const visit = (parent: string | undefined) => {
    for (const s of (byParent.get(parent) ?? []).sort(byStart)) {
      if (seen.has(s.spanId)) continue;
      seen.add(s.spanId);
      out.push(s);
      visit(s.spanId);
    }
  };
  visit(undefined);
  // Spans whose parents form a loop are reachable from no root; they still belong to the trace.
  for (const s of spans) if (!seen.has(s.spanId)) out.push(s);
  return out;
}
