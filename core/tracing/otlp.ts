/**
 * OpenTelemetry's trace export request (OTLP/HTTP, `ExportTraceServiceRequest`) read from its
 * binary protobuf encoding or its JSON encoding into spans as the tracing service logs them.
 *
 * The protobuf encoding is decoded by protobufjs from OpenTelemetry's own schema
 * (proto/otlp-trace-proto.ts), compiled once by reflection: protobufjs generates each message's
 * decoder as code at that moment, the same code its static generator would write to a file.
 * Strings must be valid UTF-8, values nest at most 16 levels, and whatever is not well-formed
 * protobuf is refused with a 400 saying what protobufjs found; unknown fields are skipped, as
 * protobuf says.
 */
import { isUtf8 } from 'node:buffer';
import type Long from 'long';
import protobuf from 'protobufjs';
import { FlowdeskError, invalid } from '#core/api/errors.ts';
import { parseJsonBody } from '#core/platform/wire-json.ts';
import { TRACE_LIMITS, type SpanEvent, type SpanInput } from '#core/api/traces-entities.ts';
import { COMMON_PROTO, RESOURCE_PROTO, TRACE_PROTO, TRACE_SERVICE_PROTO } from './proto/otlp-trace-proto.ts';
import { attributeText, decodeJsonText, mlflowTraceId, SPAN_ATTRIBUTE, spanTypeOf } from './trace-data.ts';

/** A span as OTLP carries it, before it becomes an MLflow span. */
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  startTimeNs: string;
  endTimeNs: string;
  attributes: Record<string, unknown>;
  events: { name: string; timeNs: string; attributes: Record<string, unknown> }[];
  statusCode: number;
  statusMessage: string;
}

const malformed = (what: string) => invalid(`Malformed OTLP protobuf body: ${what}`);

let exportRequestType: protobuf.Type | undefined;

/**
 * The request message, compiled from OpenTelemetry's schema on the first OTLP body rather than
 * when the module loads: parsing the schema text was ~3% of every `flowdesk serve` start.
 */
function exportRequest(): protobuf.Type {
  if (exportRequestType) return exportRequestType;
  const root = new protobuf.Root();
  for (const text of [COMMON_PROTO, RESOURCE_PROTO, TRACE_PROTO, TRACE_SERVICE_PROTO]) protobuf.parse(text, root, { keepCase: true });
  return (exportRequestType = root.resolveAll().lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest'));
}

/**
 * protobufjs's reader, except that a string that is not valid UTF-8 is refused rather than read
 * with replacement characters: values are stored as sent or not at all.
 */
class StrictReader extends protobuf.BufferReader {
  override string(): string {
    const length = this.uint32();
    const start = this.pos;
    if (length > this.len - start) throw new RangeError('a string field is longer than what is left of its message');
    this.pos = start + length;
    const buf = this.buf as Buffer;
    if (!isUtf8(buf.subarray(start, start + length))) throw malformed('a string field is not valid UTF-8');
    return buf.toString('utf8', start, start + length);
  }
}

/** The decoded messages, as far as they are read (protobufjs gives unset fields their defaults). */
interface PbAnyValue {
  value?: 'string_value' | 'bool_value' | 'int_value' | 'double_value' | 'array_value' | 'kvlist_value' | 'bytes_value';
  string_value: string;
  bool_value: boolean;
  int_value: Long | number;
  double_value: number;
  array_value: { values: PbAnyValue[] } | null;
  kvlist_value: { values: PbKeyValue[] } | null;
  bytes_value: Uint8Array;
}
interface PbKeyValue {
  key: string;
  value: PbAnyValue | null;
}
interface PbSpan {
  trace_id: Uint8Array;
  span_id: Uint8Array;
  parent_span_id: Uint8Array;
  name: string;
  start_time_unix_nano: Long | number;
  end_time_unix_nano: Long | number;
  attributes: PbKeyValue[];
  events: { time_unix_nano: Long | number; name: string; attributes: PbKeyValue[] }[];
  status: { code: number; message: string } | null;
}
interface PbRequest {
  resource_spans: { scope_spans: { spans: PbSpan[] }[] }[];
}

/** The 64 bits of a decoded int64 or fixed64 (protobufjs gives a Long, or a number for a default). */
const bitsOf = (value: Long | number) => (typeof value === 'number' ? BigInt(value) : (BigInt(value.high >>> 0) << 32n) | BigInt(value.low >>> 0));

/** An int64 as a number when exact, else as its decimal text. */
function int64Value(value: Long | number): number | string {
  if (typeof value === 'number') return value;
  const n = BigInt.asIntN(64, bitsOf(value));
  return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n.toString();
}

/** A fixed64 time in nanoseconds as decimal text (BigInt's, much cheaper than Long's own). */
const nanosText = (value: Long | number) => bitsOf(value).toString();

function anyValue(v: PbAnyValue | null, depth: number): unknown {
  if (depth > 16) throw malformed('attribute values nest deeper than 16 levels');
  switch (v?.value) {
    case 'string_value':
      return v.string_value;
    case 'bool_value':
      return v.bool_value;
    case 'int_value':
      return int64Value(v.int_value);
    case 'double_value':
      return v.double_value;
    case 'array_value':
      return (v.array_value?.values ?? []).map((item) => anyValue(item, depth + 1));
    case 'kvlist_value':
      return keyValues(v.kvlist_value?.values ?? [], depth + 1);
    case 'bytes_value':
      return Buffer.from(v.bytes_value).toString('base64');
    default:
      return null;
  }
}

function keyValues(list: readonly PbKeyValue[], depth: number): Record<string, unknown> {
  const into: Record<string, unknown> = {};
  for (const kv of list) into[kv.key] = anyValue(kv.value, depth);
  return into;
}

/** Bytes as hex: a view of the body when sent, an empty default (a plain array) when not. */
const hexOf = (bytes: Uint8Array) => (Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes)).toString('hex');

/** Reads a binary `ExportTraceServiceRequest`. */
export function decodeOtlpProtobuf(body: Uint8Array): OtlpSpan[] {
  let request: PbRequest;
  try {
    request = exportRequest().decode(new StrictReader(Buffer.from(body.buffer, body.byteOffset, body.byteLength))) as unknown as PbRequest;
  } catch (err) {
    if (err instanceof FlowdeskError) throw err;
    throw malformed((err as Error).message);
  }
  const spans: OtlpSpan[] = [];
  for (const rs of request.resource_spans) {
    for (const ss of rs.scope_spans) {
      for (const s of ss.spans) {
        if (spans.length >= TRACE_LIMITS.spansPerRequest) throw invalid(`Too many spans: one request takes at most ${TRACE_LIMITS.spansPerRequest}`);
        spans.push({
          traceId: hexOf(s.trace_id),
          spanId: hexOf(s.span_id),
          parentSpanId: hexOf(s.parent_span_id),
          name: s.name,
          startTimeNs: nanosText(s.start_time_unix_nano),
          endTimeNs: nanosText(s.end_time_unix_nano),
          attributes: keyValues(s.attributes, 0),
          events: s.events.map((e) => ({ name: e.name, timeNs: nanosText(e.time_unix_nano), attributes: keyValues(e.attributes, 0) })),
          statusCode: s.status?.code ?? 0,
          statusMessage: s.status?.message ?? '',
        });
      }
    }
  }
  return spans;
}

const badJson = (what: string) => invalid(`Malformed OTLP JSON body: ${what}`);

/** A field of an OTLP JSON object by its lowerCamelCase name or its proto (snake_case) name. */
function jsonField(obj: Record<string, unknown>, camel: string): unknown {
  if (obj[camel] !== undefined) return obj[camel];
  return obj[camel.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)];
}

function jsonObject(value: unknown, where: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw badJson(`${where} must be an object`);
  return value as Record<string, unknown>;
}

function jsonList(value: unknown, where: string): unknown[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw badJson(`${where} must be a list`);
  return value;
}

/** An OTLP JSON id: hex as the OTLP JSON encoding writes it (base64, as plain proto JSON would, is read too). */
function jsonId(value: unknown, bytes: number, where: string): string {
  if (value === undefined || value === null || value === '') return '';
  if (typeof value !== 'string') throw badJson(`${where} must be a string`);
  if (value.length === bytes * 2 && /^[0-9a-fA-F]+$/.test(value)) return value.toLowerCase();
  const decoded = Buffer.from(value, 'base64');
  if (decoded.length !== bytes || !/^[A-Za-z0-9+/]+={0,2}$/.test(value)) throw badJson(`${where} must be ${bytes * 2} hex digits`);
  return decoded.toString('hex');
}

function jsonNanos(value: unknown, where: string): string {
  if (value === undefined || value === null) return '0';
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return BigInt(value).toString();
  if (typeof value === 'string' && /^\d{1,20}$/.test(value)) return BigInt(value).toString();
  throw badJson(`${where} must be a time in nanoseconds`);
}

function jsonAnyValue(value: unknown, where: string, depth: number): unknown {
  if (depth > 16) throw badJson('attribute values nest deeper than 16 levels');
  const v = jsonObject(value, where);
  if (v.stringValue !== undefined || v.string_value !== undefined) return String(jsonField(v, 'stringValue'));
  if (jsonField(v, 'boolValue') !== undefined) return Boolean(jsonField(v, 'boolValue'));
  const int = jsonField(v, 'intValue');
  if (int !== undefined) {
    const n = typeof int === 'string' && /^-?\d+$/.test(int) ? BigInt(int) : typeof int === 'number' && Number.isInteger(int) ? BigInt(int) : undefined;
    if (n === undefined) throw badJson(`${where}.intValue must be an integer`);
    return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n.toString();
  }
  const double = jsonField(v, 'doubleValue');
  if (double !== undefined) return Number(double);
  const array = jsonField(v, 'arrayValue');
  if (array !== undefined) return jsonList(jsonObject(array, where).values, `${where}.arrayValue.values`).map((item, i) => jsonAnyValue(item, `${where}[${i}]`, depth + 1));
  const kvlist = jsonField(v, 'kvlistValue');
  if (kvlist !== undefined) return jsonKeyValues(jsonObject(kvlist, where).values, `${where}.kvlistValue`, depth + 1);
  const bytes = jsonField(v, 'bytesValue');
  if (bytes !== undefined) return String(bytes);
  return null;
}

function jsonKeyValues(list: unknown, where: string, depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  jsonList(list, where).forEach((item, i) => {
    const kv = jsonObject(item, `${where}[${i}]`);
    if (typeof kv.key !== 'string') throw badJson(`${where}[${i}].key must be a string`);
    out[kv.key] = kv.value === undefined || kv.value === null ? null : jsonAnyValue(kv.value, `${where}[${i}].value`, depth);
  });
  return out;
}

const STATUS_CODE_BY_NAME: Record<string, number> = { STATUS_CODE_UNSET: 0, STATUS_CODE_OK: 1, STATUS_CODE_ERROR: 2 };

/** Reads an `ExportTraceServiceRequest` in OTLP's JSON encoding. */
export function decodeOtlpJson(body: unknown): OtlpSpan[] {
  const spans: OtlpSpan[] = [];
  const root = jsonObject(body, 'the body');
  jsonList(jsonField(root, 'resourceSpans'), 'resourceSpans').forEach((rsValue, i) => {
    const rs = jsonObject(rsValue, `resourceSpans[${i}]`);
    jsonList(jsonField(rs, 'scopeSpans'), `resourceSpans[${i}].scopeSpans`).forEach((ssValue, j) => {
      const ss = jsonObject(ssValue, `resourceSpans[${i}].scopeSpans[${j}]`);
      jsonList(ss.spans, `resourceSpans[${i}].scopeSpans[${j}].spans`).forEach((spanValue, k) => {
        const where = `resourceSpans[${i}].scopeSpans[${j}].spans[${k}]`;
        if (spans.length >= TRACE_LIMITS.spansPerRequest) throw invalid(`Too many spans: one request takes at most ${TRACE_LIMITS.spansPerRequest}`);
        const s = jsonObject(spanValue, where);
        const status = jsonObject(s.status ?? {}, `${where}.status`);
        const code = status.code;
        const statusCode = typeof code === 'number' ? code : typeof code === 'string' ? (STATUS_CODE_BY_NAME[code] ?? Number.NaN) : 0;
        if (!Number.isInteger(statusCode)) throw badJson(`${where}.status.code '${String(code)}' is not a status code`);
        if (s.name !== undefined && typeof s.name !== 'string') throw badJson(`${where}.name must be a string`);
        spans.push({
          traceId: jsonId(jsonField(s, 'traceId'), 16, `${where}.traceId`),
          spanId: jsonId(jsonField(s, 'spanId'), 8, `${where}.spanId`),
          parentSpanId: jsonId(jsonField(s, 'parentSpanId'), 8, `${where}.parentSpanId`),
          name: (s.name as string | undefined) ?? '',
          startTimeNs: jsonNanos(jsonField(s, 'startTimeUnixNano'), `${where}.startTimeUnixNano`),
          endTimeNs: jsonNanos(jsonField(s, 'endTimeUnixNano'), `${where}.endTimeUnixNano`),
          attributes: jsonKeyValues(s.attributes, `${where}.attributes`, 0),
          events: jsonList(s.events, `${where}.events`).map((e, n) => {
            const event = jsonObject(e, `${where}.events[${n}]`);
            return {
              name: typeof event.name === 'string' ? event.name : '',
              timeNs: jsonNanos(jsonField(event, 'timeUnixNano'), `${where}.events[${n}].timeUnixNano`),
              attributes: jsonKeyValues(event.attributes, `${where}.events[${n}].attributes`, 0),
            };
          }),
          statusCode,
          statusMessage: typeof status.message === 'string' ? status.message : '',
        });
      });
    });
  });
  return spans;
}

const STATUS_CODES = ['UNSET', 'OK', 'ERROR'] as const;

/**
 * OTLP spans as the tracing service logs them: the MLflow trace id is the span's
 * mlflow.traceRequestId attribute when an MLflow client sent it, otherwise `tr-` and the
 * OpenTelemetry trace id, as MLflow derives it. Attribute values become JSON text, as MLflow keeps them.
 */
export function toSpanInputs(spans: readonly OtlpSpan[]): SpanInput[] {
  return spans.map((s, i) => {
    if (!/^[0-9a-f]{32}$/.test(s.traceId) || /^0+$/.test(s.traceId)) throw invalid(`Span ${i} ('${s.name.slice(0, 100)}') has no valid trace id (16 bytes, not all zero)`);
    if (!/^[0-9a-f]{16}$/.test(s.spanId) || /^0+$/.test(s.spanId)) throw invalid(`Span ${i} ('${s.name.slice(0, 100)}') has no valid span id (8 bytes, not all zero)`);
    if (s.parentSpanId !== '' && !/^[0-9a-f]{16}$/.test(s.parentSpanId)) throw invalid(`Span ${i} ('${s.name.slice(0, 100)}') has a parent span id that is not 8 bytes`);
    const attributes: Record<string, string> = {};
    for (const [key, value] of Object.entries(s.attributes)) attributes[key] = attributeText(value);
    const requestId = attributes[SPAN_ATTRIBUTE.requestId];
    const claimed = requestId === undefined ? undefined : decodeJsonText(requestId);
    const traceId = typeof claimed === 'string' && /^tr-[0-9a-f]{32}$/.test(claimed) ? claimed : mlflowTraceId(s.traceId);
    const events: SpanEvent[] = s.events.map((e) => ({ name: e.name, timeNs: e.timeNs, attributes: e.attributes }));
    return {
      traceId,
      spanId: s.spanId,
      parentSpanId: s.parentSpanId === '' || /^0+$/.test(s.parentSpanId) ? undefined : s.parentSpanId,
      name: s.name,
      spanType: spanTypeOf(attributes),
      startTimeNs: s.startTimeNs,
      endTimeNs: s.endTimeNs === '0' ? undefined : s.endTimeNs,
      status: { code: STATUS_CODES[s.statusCode] ?? 'UNSET', message: s.statusMessage },
      attributes,
      events,
    };
  });
}

/** How an OTLP/HTTP export request is encoded, by its content type. */
export type OtlpEncoding = 'protobuf' | 'json';

/** The spans of one OTLP/HTTP export request body, as `traces.logSpans` takes them; 400 for a body that is not one. */
export function decodeOtlpExport(body: Uint8Array, encoding: OtlpEncoding): SpanInput[] {
  return toSpanInputs(encoding === 'protobuf' ? decodeOtlpProtobuf(body) : decodeOtlpJson(parseJsonBody(body)));
}
