/**
 * Traces in bulk for the window's tests, straight into the catalog (as seedBulkRuns does for
 * runs): a hundred thousand traces through the ingest path would test its speed, which the
 * tracing benchmark measures, and nothing of the window. Each trace is what `traces.logSpans`
 * makes of one root span (previews from its inputs and outputs, state, latency, summed tokens, the
 * artifact location tag) plus an `env` tag; the span row is kept so a trace opens whole.
 */
import type { Flowdesk } from '#core/flowdesk.ts';
import { traceArtifactUri } from '#core/tracing/traces-service.ts';

/** When the first seeded trace started; trace n starts n seconds later. */
export const TRACE_SEED_T0 = 1_780_000_000_000;

/** Trace n of a seed: its id, and what it was given, so tests can compute what should match. */
export const seeded = {
  /** Unique in its first 8 hex digits, which the table shows. */
  traceId: (n: number) => `tr-${(0xa0000000 + n).toString(16)}${'0'.repeat(24)}`,
  /** Every tenth trace failed. */
  isError: (n: number) => n % 10 === 0,
  /** Latency in ms: 1 to 997, so a sort by latency has a clear top. */
  latencyMs: (n: number) => ((n * 7919) % 997) + 1,
  env: (n: number) => (n % 4 === 0 ? 'prod' : 'dev'),
  inputTokens: (n: number) => 10 + (n % 50),
  outputTokens: (n: number) => 20 + (n % 30),
  question: (n: number) => `What is item ${n} about?`,
};

/** Writes `count` one-span traces into `experimentId`, with an `env` tag on each. */
export async function seedTraces(fd: Flowdesk, experimentId: string, count: number): Promise<void> {
  const { experiment } = await fd.handlers['experiments.get']({ experimentId });
  const BATCH = 1000;
  for (let first = 0; first < count; first += BATCH) {
    const ns = Array.from({ length: Math.min(BATCH, count - first) }, (_, i) => first + i);
    await fd.catalog.write(async (trx) => {
      const inserted = await trx
        .insertInto('traces')
        .values(
          ns.map((n) => ({
            trace_id: seeded.traceId(n),
            experiment_id: Number(experimentId),
            request_time: TRACE_SEED_T0 + n * 1000,
            execution_duration: seeded.latencyMs(n),
            state: seeded.isError(n) ? 'ERROR' : 'OK',
            request_preview: JSON.stringify({ messages: [{ role: 'user', content: seeded.question(n) }] }),
            response_preview: seeded.isError(n) ? null : JSON.stringify(`Item ${n} is about tracing.`),
            input_tokens: seeded.inputTokens(n),
            output_tokens: seeded.outputTokens(n),
            total_tokens: seeded.inputTokens(n) + seeded.outputTokens(n),
            span_count: 1,
          })),
        )
        .returning(['id', 'trace_id'])
        .execute();
      const rows = inserted.map((r, i) => ({ id: Number(r.id), traceId: r.trace_id, n: ns[i]! }));
      await trx
        .insertInto('trace_tags')
        .values(rows.flatMap(({ id, traceId, n }) => [
          { trace_id: id, key: 'mlflow.artifactLocation', value: traceArtifactUri(experiment.artifactLocation, traceId) },
          { trace_id: id, key: 'env', value: seeded.env(n) },
        ]))
        .execute();
      await trx
        .insertInto('trace_spans')
        .values(
          rows.map(({ id, n }) => {
            const start = TRACE_SEED_T0 + n * 1000;
            return {
              trace_id: id,
              span_id: (n + 1).toString(16).padStart(16, '0'),
              parent_span_id: null,
              name: 'answer',
              span_type: 'CHAIN',
              start_time_ns: `${start}000000`,
              end_time_ns: `${start + seeded.latencyMs(n)}000000`,
              status_code: seeded.isError(n) ? 'ERROR' : 'OK',
              status_message: seeded.isError(n) ? 'rate limited' : '',
              attributes_json: JSON.stringify({
                'mlflow.spanType': '"CHAIN"',
                'mlflow.spanInputs': JSON.stringify({ messages: [{ role: 'user', content: seeded.question(n) }] }),
                'mlflow.chat.tokenUsage': JSON.stringify({ input_tokens: seeded.inputTokens(n), output_tokens: seeded.outputTokens(n) }),
              }),
              events_json: '[]',
              attributes_path: null,
            };
          }),
        )
        .execute();
    });
  }
}
