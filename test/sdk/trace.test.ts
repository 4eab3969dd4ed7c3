/** Tracing from the TypeScript client: `flowdesk.trace(name, fn)` against a real server, read back through the contract. */
import { describe, expect, it } from 'vitest';
import { connect } from '#core/sdk/flowdesk-client.ts';
import { startTestServer } from '../helpers/server.ts';

describe('flowdesk.trace', () => {
  it('records nested calls as one trace of spans with their inputs and outputs', async () => {
    const { url, api } = await startTestServer();
    const flowdesk = connect({ uri: url });
    let traceId = '';
    const answer = await flowdesk.trace(
      'answer',
      async (span) => {
        traceId = span.traceId;
        const docs = await flowdesk.trace('retrieve', async () => ['a', 'b'], { spanType: 'RETRIEVER', inputs: { query: 'q' } });
        const [first, second] = await Promise.all([
          flowdesk.trace('llm-1', () => `${docs[0]}!`, { spanType: 'LLM', attributes: { 'mlflow.chat.tokenUsage': { input_tokens: 3, output_tokens: 4, total_tokens: 7 } } }),
          flowdesk.trace('llm-2', () => `${docs[1]}!`, { spanType: 'LLM', attributes: { 'mlflow.chat.tokenUsage': { input_tokens: 1, output_tokens: 1, total_tokens: 2 } } }),
        ]);
        span.setAttribute('model', 'tiny');
        return `${first} ${second}`;
      },
      { experiment: 'sdk-traces', spanType: 'CHAIN', inputs: { question: 'why?' }, tags: { team: 'a' } },
    );
    expect(answer).toBe('a! b!');
    const { trace } = await api.call('traces.get', { traceId });
    expect(trace).toMatchObject({ state: 'OK', spanCount: 4, tags: { 'mlflow.traceName': 'answer', team: 'a' }, tokenUsage: { inputTokens: 4, outputTokens: 5, totalTokens: 9 } });
    expect(JSON.parse(trace.requestPreview!)).toEqual({ question: 'why?' });
    const { spans } = await api.call('traces.spans', { traceId });
    expect(spans.map((s) => s.name).sort()).toEqual(['answer', 'llm-1', 'llm-2', 'retrieve']);
    const root = spans[0]!;
    expect(root).toMatchObject({ name: 'answer', spanType: 'CHAIN' });
    expect(spans.slice(1).every((s) => s.parentSpanId === root.spanId)).toBe(true);
    expect(JSON.parse(root.attributes['mlflow.spanOutputs']!)).toBe('a! b!');
    expect(JSON.parse(spans.find((s) => s.name === 'retrieve')!.attributes['mlflow.spanOutputs']!)).toEqual(['a', 'b']);
  });

  it('records an error as an ERROR span with its exception event and throws it on', async () => {
    const { url, api } = await startTestServer();
    const flowdesk = connect({ uri: url });
    let traceId = '';
    await expect(
      flowdesk.trace('fails', (span) => {
        traceId = span.traceId;
        throw new TypeError('broken');
      }),
    ).rejects.toThrow('broken');
    const { trace } = await api.call('traces.get', { traceId });
    expect(trace.state).toBe('ERROR');
    const { spans } = await api.call('traces.spans', { traceId });
    expect(spans[0]).toMatchObject({ status: { code: 'ERROR', message: 'broken' }, events: [{ name: 'exception', attributes: { 'exception.type': 'TypeError', 'exception.message': 'broken' } }] });
  });
});
