/**
 * The smallest trace MLflow's client uploads, shared by the tests that need one trace with one
 * span: ids and the data file exactly as MLflow writes them (span ids in base64).
 */

/** A trace id in MLflow's `tr-<32 hex>` form. */
export const TRACE = `tr-${'a'.repeat(32)}`;
/** A second trace id, for the OTLP path. */
export const OTEL_TRACE = `tr-${'b'.repeat(32)}`;
/** The id of the one root span. */
export const ROOT_SPAN = '0000000000000001';

/** The trace data file MLflow's client uploads: one root span, ids in base64 as MLflow writes them. */
export function traceData(traceId: string, spanId: string): string {
  const b64 = (hex: string) => Buffer.from(hex, 'hex').toString('base64');
  return JSON.stringify({
    spans: [
      {
        trace_id: b64(traceId.slice(3)),
        span_id: b64(spanId),
        parent_span_id: null,
        name: 'root',
        start_time_unix_nano: 1_000_000,
        end_time_unix_nano: 2_000_000,
        events: [],
        status: { code: 'STATUS_CODE_OK', message: '' },
        attributes: { 'mlflow.traceRequestId': JSON.stringify(traceId) },
      },
    ],
  });
}
