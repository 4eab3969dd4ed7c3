/**
 * The OTLP protobuf decoder on bodies encoded from OpenTelemetry's schema: every attribute value
 * kind, times past 2^53, and the refusals (truncated, not UTF-8, nested too deep) as 400s that
 * name what is wrong. (Bodies from OpenTelemetry's own exporter: test/mlflow-python/tracing.test.ts.)
 */
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { FlowdeskError, HTTP_STATUS } from '#core/api/errors.ts';
import { decodeOtlpProtobuf, toSpanInputs } from '#core/tracing/otlp.ts';
import { COMMON_PROTO, RESOURCE_PROTO, TRACE_PROTO, TRACE_SERVICE_PROTO } from '#core/tracing/proto/otlp-trace-proto.ts';

const root = new protobuf.Root();
for (const text of [COMMON_PROTO, RESOURCE_PROTO, TRACE_PROTO, TRACE_SERVICE_PROTO]) protobuf.parse(text, root, { keepCase: true });
const Request = root.resolveAll().lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest');

const TRACE = Buffer.from('0af7651916cd43dd8448eb211c80319c', 'hex');
const encode = (spans: Record<string, unknown>[]) => Request.encode(Request.fromObject({ resource_spans: [{ scope_spans: [{ spans }] }] })).finish();
const span = (extra: Record<string, unknown> = {}) => ({ trace_id: TRACE, span_id: Buffer.from('00f067aa0ba902b7', 'hex'), name: 'call', start_time_unix_nano: '1700000000123456789', end_time_unix_nano: '1700000000999999999', ...extra });

function refusal(body: Uint8Array): string {
  try {
    decodeOtlpProtobuf(body);
  } catch (err) {
    expect(err).toBeInstanceOf(FlowdeskError);
    expect(HTTP_STATUS[(err as FlowdeskError).code]).toBe(400);
    return (err as Error).message;
  }
  throw new Error('the body was read');
}

describe('OTLP protobuf bodies', () => {
  it('reads every attribute value kind, events, status and nanosecond times exactly', () => {
    const nested = { kvlist_value: { values: [{ key: 'deep', value: { array_value: { values: [{ string_value: 'a' }, { int_value: 3 }] } } }] } };
    const body = encode([
      span({
        parent_span_id: Buffer.from('1111111111111111', 'hex'),
        attributes: [
          { key: 's', value: { string_value: 'héllo' } },
          { key: 'b', value: { bool_value: true } },
          { key: 'i', value: { int_value: -42 } },
          { key: 'big', value: { int_value: '9223372036854775807' } },
          { key: 'd', value: { double_value: 0.25 } },
          { key: 'bytes', value: { bytes_value: Buffer.from([1, 2, 3]) } },
          { key: 'kv', value: nested },
          { key: 'none', value: {} },
        ],
        events: [{ name: 'retry', time_unix_nano: '18446744073709551615', attributes: [{ key: 'attempt', value: { int_value: 2 } }] }],
        status: { code: 2, message: 'timeout' },
      }),
    ]);
    const [decoded] = decodeOtlpProtobuf(body);
    expect(decoded).toEqual({
      traceId: TRACE.toString('hex'),
      spanId: '00f067aa0ba902b7',
      parentSpanId: '1111111111111111',
      name: 'call',
      startTimeNs: '1700000000123456789',
      endTimeNs: '1700000000999999999',
      attributes: { s: 'héllo', b: true, i: -42, big: '9223372036854775807', d: 0.25, bytes: 'AQID', kv: { deep: ['a', 3] }, none: null },
      events: [{ name: 'retry', timeNs: '18446744073709551615', attributes: { attempt: 2 } }],
      statusCode: 2,
      statusMessage: 'timeout',
    });
    expect(toSpanInputs([decoded!])[0]).toMatchObject({ traceId: `tr-${TRACE.toString('hex')}`, status: { code: 'ERROR', message: 'timeout' }, attributes: { s: 'héllo', i: '-42', b: 'true' } });
  });

  it('refuses a body cut short', () => {
    const body = encode([span()]);
    expect(refusal(body.subarray(0, body.length - 3))).toMatch(/^Malformed OTLP protobuf body: /);
  });

  it('refuses a string that is not UTF-8', () => {
    const body = Buffer.from(encode([span({ name: 'ab' })]));
    const at = body.indexOf(Buffer.from('ab'));
    body[at] = 0xff;
    expect(refusal(body)).toBe('Malformed OTLP protobuf body: a string field is not valid UTF-8');
  });

  it('refuses attribute values nested deeper than 16 levels', () => {
    let value: Record<string, unknown> = { string_value: 'bottom' };
    for (let i = 0; i < 20; i++) value = { array_value: { values: [value] } };
    expect(refusal(encode([span({ attributes: [{ key: 'deep', value }] })]))).toBe('Malformed OTLP protobuf body: attribute values nest deeper than 16 levels');
  });

  it('refuses nesting beyond what protobuf decoding allows without exhausting the stack', () => {
    // 200 levels of AnyValue > ArrayValue > AnyValue (protobufjs stops at 100), written innermost first.
    let inner = Buffer.alloc(0);
    for (let i = 0; i < 200; i++) {
      const array = Buffer.concat([Buffer.from([0x0a]), varint(inner.length), inner]);
      inner = Buffer.concat([Buffer.from([0x2a]), varint(array.length), array]);
    }
    const kv = Buffer.concat([Buffer.from([0x0a, 0x01, 0x6b, 0x12]), varint(inner.length), inner]);
    const spanBytes = Buffer.concat([Buffer.from([0x4a]), varint(kv.length), kv]);
    const scope = Buffer.concat([Buffer.from([0x12]), varint(spanBytes.length), spanBytes]);
    const resource = Buffer.concat([Buffer.from([0x12]), varint(scope.length), scope]);
    const body = Buffer.concat([Buffer.from([0x0a]), varint(resource.length), resource]);
    expect(refusal(body)).toMatch(/^Malformed OTLP protobuf body: .*depth/);
  });
});

function varint(n: number): Buffer {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return Buffer.from(out);
}
