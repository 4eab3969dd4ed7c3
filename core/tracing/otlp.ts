/**
 * OpenTelemetry's trace export request (OTLP/HTTP, `ExportTraceServiceRequest`) read from its
 * binary protobuf encoding or its JSON encoding into spans as the tracing service logs them.
 *
 * The protobuf reader is written against the OTLP trace schema (opentelemetry/proto/trace/v1 and
 * common/v1: ResourceSpans, ScopeSpans, Span, Event, Status, KeyValue, AnyValue) rather than
 * taken from a library: no protobuf library is among this project's dependencies, and the schema
 * is small and stable. It checks every length against the bytes left and refuses what is not
 * well-formed protobuf with a message naming where; unknown fields are skipped, as protobuf says.
 */
import { invalid } from '#core/api/errors.ts';
import { TRACE_LIMITS, type SpanEvent, type SpanInput } from '#core/api/traces-entities.ts';
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

/** A protobuf wire-format reader over one message's bytes. */
class Reader {
  private pos: number;
  constructor(
    private readonly buf: Uint8Array,
    private readonly start = 0,
    private readonly end = buf.length,
  ) {
    this.pos = start;
  }

  done(): boolean {
    return this.pos >= this.end;
  }

  varint(): bigint {
    let result = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (this.pos >= this.end) throw malformed('a varint runs past the end of its message');
      const byte = this.buf[this.pos++]!;
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result & 0xffffffffffffffffn;
    }
    throw malformed('a varint is longer than 10 bytes');
  }

  /** A tag: field number and wire type. */
  tag(): { field: number; wire: number } {
    const tag = this.varint();
    const field = Number(tag >> 3n);
    if (field === 0) throw malformed('field number 0');
    return { field, wire: Number(tag & 7n) };
  }

  fixed64(): bigint {
    if (this.end - this.pos < 8) throw malformed('a fixed64 runs past the end of its message');
    let value = 0n;
    for (let i = 7; i >= 0; i--) value = (value << 8n) | BigInt(this.buf[this.pos + i]!);
    this.pos += 8;
    return value;
  }

  double(): number {
    if (this.end - this.pos < 8) throw malformed('a double runs past the end of its message');
    const view = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 8);
    this.pos += 8;
    return view.getFloat64(0, true);
  }

  /** A length-delimited field as a sub-reader. */
  sub(): Reader {
    const length = this.varint();
    if (length > BigInt(this.end - this.pos)) throw malformed('a length-delimited field is longer than what is left of its message');
    const reader = new Reader(this.buf, this.pos, this.pos + Number(length));
    this.pos += Number(length);
    return reader;
  }

  bytes(): Uint8Array {
    const r = this.sub();
    return this.buf.subarray(r.start, r.end);
  }

  string(): string {
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(this.bytes());
    } catch {
      throw malformed('a string field is not valid UTF-8');
    }
  }

  skip(wire: number): void {
    switch (wire) {
      case 0:
        this.varint();
        return;
      case 1:
        if (this.end - this.pos < 8) throw malformed('a fixed64 runs past the end of its message');
        this.pos += 8;
        return;
      case 2:
        this.sub();
        return;
      case 5:
        if (this.end - this.pos < 4) throw malformed('a fixed32 runs past the end of its message');
        this.pos += 4;
        return;
      default:
        throw malformed(`wire type ${wire} is not one OTLP uses`);
    }
  }

  /** Reads fields until the end, handing each to `onField`, which returns false for fields it does not read. */
  each(onField: (field: number, wire: number) => boolean): void {
    while (!this.done()) {
      const { field, wire } = this.tag();
      if (!onField(field, wire)) this.skip(wire);
    }
  }
}

/** Refuses a field sent with the wrong wire type (a message where a number belongs, ...). */
function expectWire(wire: number, expected: number, what: string): void {
  if (wire !== expected) throw malformed(`${what} has wire type ${wire}, expected ${expected}`);
}

function anyValue(r: Reader, depth: number): unknown {
  if (depth > 16) throw malformed('attribute values nest deeper than 16 levels');
  let value: unknown = null;
  r.each((field, wire) => {
    switch (field) {
      case 1:
        expectWire(wire, 2, 'AnyValue.string_value');
        value = r.string();
        return true;
      case 2:
        expectWire(wire, 0, 'AnyValue.bool_value');
        value = r.varint() !== 0n;
        return true;
      case 3: {
        expectWire(wire, 0, 'AnyValue.int_value');
        const n = BigInt.asIntN(64, r.varint());
        value = n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n.toString();
        return true;
      }
      case 4:
        expectWire(wire, 1, 'AnyValue.double_value');
        value = r.double();
        return true;
      case 5: {
        expectWire(wire, 2, 'AnyValue.array_value');
        const items: unknown[] = [];
        const ar = r.sub();
        ar.each((f, w) => {
          if (f !== 1) return false;
          expectWire(w, 2, 'ArrayValue.values');
          items.push(anyValue(ar.sub(), depth + 1));
          return true;
        });
        value = items;
        return true;
      }
      case 6:
        expectWire(wire, 2, 'AnyValue.kvlist_value');
        value = keyValues(r.sub(), 1, depth + 1);
        return true;
      case 7:
        expectWire(wire, 2, 'AnyValue.bytes_value');
        value = Buffer.from(r.bytes()).toString('base64');
        return true;
      default:
        return false;
    }
  });
  return value;
}

/** One KeyValue message. */
function keyValue(r: Reader, depth: number): [string, unknown] {
  let key = '';
  let value: unknown = null;
  r.each((field, wire) => {
    if (field === 1) {
      expectWire(wire, 2, 'KeyValue.key');
      key = r.string();
      return true;
    }
    if (field === 2) {
      expectWire(wire, 2, 'KeyValue.value');
      value = anyValue(r.sub(), depth);
      return true;
    }
    return false;
  });
  return [key, value];
}

/** The KeyValue entries at `field` of a message, as an object. */
function keyValues(r: Reader, field: number, depth: number): Record<string, unknown> {
  const into: Record<string, unknown> = {};
  r.each((f, wire) => {
    if (f !== field) return false;
    expectWire(wire, 2, 'KeyValue');
    const [key, value] = keyValue(r.sub(), depth);
    into[key] = value;
    return true;
  });
  return into;
}

const hexOf = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

function readSpan(r: Reader): OtlpSpan {
  const span: OtlpSpan = { traceId: '', spanId: '', parentSpanId: '', name: '', startTimeNs: '0', endTimeNs: '0', attributes: {}, events: [], statusCode: 0, statusMessage: '' };
  r.each((field, wire) => {
    switch (field) {
      case 1:
        expectWire(wire, 2, 'Span.trace_id');
        span.traceId = hexOf(r.bytes());
        return true;
      case 2:
        expectWire(wire, 2, 'Span.span_id');
        span.spanId = hexOf(r.bytes());
        return true;
      case 4:
        expectWire(wire, 2, 'Span.parent_span_id');
        span.parentSpanId = hexOf(r.bytes());
        return true;
      case 5:
        expectWire(wire, 2, 'Span.name');
        span.name = r.string();
        return true;
      case 7:
        expectWire(wire, 1, 'Span.start_time_unix_nano');
        span.startTimeNs = r.fixed64().toString();
        return true;
      case 8:
        expectWire(wire, 1, 'Span.end_time_unix_nano');
        span.endTimeNs = r.fixed64().toString();
        return true;
      case 9: {
        expectWire(wire, 2, 'Span.attributes');
        const [key, value] = keyValue(r.sub(), 0);
        span.attributes[key] = value;
        return true;
      }
      case 11: {
        expectWire(wire, 2, 'Span.events');
        const event = { name: '', timeNs: '0', attributes: {} as Record<string, unknown> };
        const er = r.sub();
        er.each((f, w) => {
          if (f === 1) {
            expectWire(w, 1, 'Event.time_unix_nano');
            event.timeNs = er.fixed64().toString();
            return true;
          }
          if (f === 2) {
            expectWire(w, 2, 'Event.name');
            event.name = er.string();
            return true;
          }
          if (f === 3) {
            expectWire(w, 2, 'Event.attributes');
            const [key, value] = keyValue(er.sub(), 0);
            event.attributes[key] = value;
            return true;
          }
          return false;
        });
        span.events.push(event);
        return true;
      }
      case 15: {
        expectWire(wire, 2, 'Span.status');
        const sr = r.sub();
        sr.each((f, w) => {
          if (f === 2) {
            expectWire(w, 2, 'Status.message');
            span.statusMessage = sr.string();
            return true;
          }
          if (f === 3) {
            expectWire(w, 0, 'Status.code');
            span.statusCode = Number(sr.varint());
            return true;
          }
          return false;
        });
        return true;
      }
      default:
        return false;
    }
  });
  return span;
}

/** Reads a binary `ExportTraceServiceRequest`. */
export function decodeOtlpProtobuf(body: Uint8Array): OtlpSpan[] {
  const spans: OtlpSpan[] = [];
  const root = new Reader(body);
  root.each((field, wire) => {
    if (field !== 1) return false;
    expectWire(wire, 2, 'ExportTraceServiceRequest.resource_spans');
    const rs = root.sub();
    rs.each((f, w) => {
      if (f !== 2) return false;
      expectWire(w, 2, 'ResourceSpans.scope_spans');
      const ss = rs.sub();
      ss.each((sf, sw) => {
        if (sf !== 2) return false;
        expectWire(sw, 2, 'ScopeSpans.spans');
        if (spans.length >= TRACE_LIMITS.spansPerRequest) throw invalid(`Too many spans: one request takes at most ${TRACE_LIMITS.spansPerRequest}`);
        spans.push(readSpan(ss.sub()));
        return true;
      });
      return true;
    });
    return true;
  });
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
