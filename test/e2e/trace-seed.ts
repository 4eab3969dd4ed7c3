/**
 * Traces shaped like an agent's, written straight through the core (`traces.logSpans`), for the
 * guard rails and the trace view's benchmark: a root AGENT span over rounds of a chat model call
 * (messages in, a completion out, token usage), a tool and a retriever, with one failed tool call
 * carrying an exception, at any span count.
 */
import type { SpanInput } from '#core/api/traces-entities.ts';
import type { Flowdesk } from '#core/flowdesk.ts';

const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');

/**
 * Logs one trace of `spanCount` spans (at least 1) into `experimentId`; `seed` makes its ids and
 * values its own. Returns the trace id.
 */
export async function seedAgentTrace(fd: Flowdesk, experimentId: string, spanCount: number, seed: number): Promise<string> {
  const traceId = `tr-${hex(seed, 8)}${'a'.repeat(24)}`;
  const t0 = 1_760_000_000_000_000_000n + BigInt(seed) * 1_000_000_000_000n;
  const ms = (m: number) => String(t0 + BigInt(Math.round(m * 1_000_000)));
  const spanId = (i: number) => hex(seed * 100_000 + i + 1, 16);
  const json = (v: unknown) => JSON.stringify(v);
  const spans: SpanInput[] = [];
  // Each round is a CHAIN step with three children, 4 spans; the root takes the first.
  const rounds = Math.max(0, Math.ceil((spanCount - 1) / 4));
  const total = 10 + rounds * 40;
  spans.push({
    traceId,
    spanId: spanId(0),
    name: 'customer_support_agent',
    spanType: 'AGENT',
    startTimeNs: ms(0),
    endTimeNs: ms(total),
    status: { code: 'OK', message: '' },
    attributes: { 'mlflow.spanType': json('AGENT'), 'mlflow.spanInputs': json({ question: `Where is my order #${seed}?` }), 'mlflow.spanOutputs': json('It ships tomorrow.') },
    events: [],
  });
  for (let r = 0; r < rounds && spans.length < spanCount; r++) {
    const base = 5 + r * 40;
    const step = spanId(spans.length);
    const kinds: [string, string, number, number, Record<string, string>, SpanInput['events'], boolean][] = [
      ['step', 'CHAIN', 0, 38, { 'mlflow.spanInputs': json({ round: r }), 'mlflow.spanOutputs': json({ done: true }) }, [], false],
      [
        'chat_completion',
        'CHAT_MODEL',
        1,
        20,
        {
          'mlflow.spanInputs': json({ model: 'support-llm', messages: [{ role: 'system', content: 'You help customers with orders.' }, { role: 'user', content: `Round ${r}: where is order #${seed}?` }] }),
          'mlflow.spanOutputs': json({ choices: [{ index: 0, message: { role: 'assistant', content: 'Let me check the order system.' } }] }),
          'mlflow.chat.tokenUsage': json({ input_tokens: 40, output_tokens: 12, total_tokens: 52 }),
        },
        [],
        false,
      ],
      ['lookup_order', 'TOOL', 22, 9, { 'mlflow.spanInputs': json({ order: seed }), 'mlflow.spanOutputs': json({ status: 'packed' }) }, r === 0 ? [{ name: 'exception', timeNs: ms(base + 30), attributes: { 'exception.type': 'TimeoutError', 'exception.message': 'order service did not answer in 5 s', 'exception.stacktrace': 'Traceback (most recent call last):\n  File "agent.py", line 12, in lookup_order\nTimeoutError: order service did not answer in 5 s' } }] : [], r === 0],
      ['search_help_articles', 'RETRIEVER', 32, 5, { 'mlflow.spanInputs': json({ query: 'shipping times' }), 'mlflow.spanOutputs': json([{ page_content: 'Orders ship in 1-2 days.', metadata: { doc_uri: 'kb/shipping.md' } }]) }, [], false],
    ];
    kinds.forEach(([name, type, offset, length, attributes, events, failed], k) => {
      if (spans.length >= spanCount) return;
      spans.push({
        traceId,
        spanId: k === 0 ? step : spanId(spans.length),
        parentSpanId: k === 0 ? spanId(0) : step,
        name,
        spanType: type,
        startTimeNs: ms(base + offset),
        endTimeNs: ms(base + offset + length),
        status: failed ? { code: 'ERROR', message: 'TimeoutError: order service did not answer in 5 s' } : { code: 'OK', message: '' },
        attributes: { 'mlflow.spanType': json(type), ...attributes },
        events,
      });
    });
  }
  await fd.handlers['traces.logSpans']({ experimentId, spans });
  return traceId;
}
