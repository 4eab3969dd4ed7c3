/** Tracing in the engine: traces, spans from MLflow's data file and from OpenTelemetry, search, tags, deletion, assessments, the trash. */
import { describe, expect, it } from 'vitest';
import type { Client } from '#core/api/client.ts';
import type { SpanInput } from '#core/api/traces-entities.ts';
import { testFlowdesk } from '../helpers/flowdesk.ts';

const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');
const traceIdOf = (n: number) => `tr-${hex(n, 32)}`;
const T0 = 1_700_000_000_000;
const ns = (ms: number) => `${ms}000000`;

function span(traceId: string, id: number, parent: number | undefined, name: string, startMs: number, endMs: number, extra: Partial<SpanInput> = {}): SpanInput {
  return {
    traceId,
    spanId: hex(id, 16),
    parentSpanId: parent === undefined ? undefined : hex(parent, 16),
    name,
    startTimeNs: ns(startMs),
    endTimeNs: ns(endMs),
    status: { code: 'OK', message: '' },
    attributes: {},
    events: [],
    ...extra,
  };
}

/** MLflow's trace data file for spans, as `Span.to_dict` writes it (base64 ids, JSON-text attributes). */
function traceData(traceId: string, spans: { id: number; parent?: number; name: string; attributes?: Record<string, string>; error?: boolean }[]): string {
  const b64 = (h: string) => Buffer.from(h, 'hex').toString('base64');
  return JSON.stringify({
    spans: spans.map((s, i) => ({
      trace_id: b64(traceId.slice(3)),
      span_id: b64(hex(s.id, 16)),
      parent_span_id: s.parent === undefined ? null : b64(hex(s.parent, 16)),
      name: s.name,
      start_time_unix_nano: Number(ns(T0 + i)),
      end_time_unix_nano: Number(ns(T0 + 10 - i)),
      events: [],
      status: { code: s.error ? 'STATUS_CODE_ERROR' : 'STATUS_CODE_OK', message: '' },
      attributes: { 'mlflow.traceRequestId': JSON.stringify(traceId), ...s.attributes },
    })),
  });
}

async function startTrace(api: Client, experimentId: string, n: number, extra: { tags?: Record<string, string>; metadata?: Record<string, string>; state?: 'OK' | 'ERROR'; time?: number } = {}) {
  return api.call('traces.start', {
    trace: {
      traceId: traceIdOf(n),
      experimentId,
      requestTime: extra.time ?? T0 + n,
      executionDuration: 5,
      state: extra.state ?? 'OK',
      tags: extra.tags,
      metadata: extra.metadata,
    },
  });
}

describe('traces', () => {
  it('records a trace with the artifact location MLflow clients upload its data to', async () => {
    const { api } = await testFlowdesk();
    const { experimentId } = await api.call('experiments.create', { name: 'agents' });
    const { trace } = await startTrace(api, experimentId, 1, { tags: { team: 'a' }, metadata: { 'mlflow.traceInputs': '{"q": 1}' } });
    expect(trace.tags).toEqual({ team: 'a', 'mlflow.artifactLocation': `mlflow-artifacts:/${experimentId}/traces/${traceIdOf(1)}/artifacts` });
    expect((await api.call('traces.get', { traceId: traceIdOf(1) })).trace).toMatchObject({ state: 'OK', executionDuration: 5, metadata: { 'mlflow.traceInputs': '{"q": 1}' } });
  });

  it('indexes uploaded trace data: spans in tree order, token usage summed, previews from the root', async () => {
    const { api } = await testFlowdesk();
    const { experimentId } = await api.call('experiments.create', { name: 'agents' });
    await startTrace(api, experimentId, 2);
    const usage = (i: number, o: number) => JSON.stringify({ input_tokens: i, output_tokens: o, total_tokens: i + o });
    const json = traceData(traceIdOf(2), [
      { id: 1, name: 'root', attributes: { 'mlflow.spanInputs': '{"question": "why"}', 'mlflow.spanOutputs': '"because"', 'mlflow.spanType': '"CHAIN"' } },
      { id: 3, parent: 1, name: 'second-llm', attributes: { 'mlflow.chat.tokenUsage': usage(5, 7) } },
      { id: 2, parent: 1, name: 'first-llm', attributes: { 'mlflow.chat.tokenUsage': usage(10, 20) } },
    ]);
    expect(await api.call('traces.putData', { traceId: traceIdOf(2), json })).toEqual({ spanCount: 3 });
    const { spans } = await api.call('traces.spans', { traceId: traceIdOf(2) });
    expect(spans.map((s) => s.name)).toEqual(['root', 'second-llm', 'first-llm']);
    expect(spans[0]).toMatchObject({ spanType: 'CHAIN', spanId: hex(1, 16) });
    expect(spans[0]!.parentSpanId).toBeUndefined();
    const { trace } = await api.call('traces.get', { traceId: traceIdOf(2) });
    expect(trace.tokenUsage).toEqual({ inputTokens: 15, outputTokens: 27, totalTokens: 42 });
    expect(trace.spanCount).toBe(3);
    expect((await api.call('traces.readData', { traceId: traceIdOf(2) })).json).toBe(json);
  });

  it('refuses malformed trace data and keeps nothing of it', async () => {
    const { api } = await testFlowdesk();
    const { experimentId } = await api.call('experiments.create', { name: 'agents' });
    await startTrace(api, experimentId, 3);
    await expect(api.call('traces.putData', { traceId: traceIdOf(3), json: '{"spans": [{"name": 5}]}' })).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
    await expect(api.call('traces.putData', { traceId: traceIdOf(3), json: traceData(traceIdOf(4), [{ id: 1, name: 'x' }]) })).rejects.toThrow(/belongs to trace/);
    expect((await api.call('traces.spans', { traceId: traceIdOf(3) })).spans).toEqual([]);
  });

  it('joins spans that arrive in several requests into one trace, settled by its root', async () => {
    const { api } = await testFlowdesk();
    const { experimentId } = await api.call('experiments.create', { name: 'otel' });
    const id = traceIdOf(5);
    await api.call('traces.logSpans', { experimentId, spans: [span(id, 2, 1, 'child', T0 + 10, T0 + 20)] });
    expect((await api.call('traces.get', { traceId: id })).trace).toMatchObject({ state: 'IN_PROGRESS', requestTime: T0 + 10, executionDuration: 10, spanCount: 1 });
    await api.call('traces.logSpans', { experimentId, spans: [span(id, 1, undefined, 'root', T0, T0 + 30, { status: { code: 'ERROR', message: 'boom' } })] });
    const { trace } = await api.call('traces.get', { traceId: id });
    expect(trace).toMatchObject({ state: 'ERROR', requestTime: T0, executionDuration: 30, spanCount: 2 });
    const { spans } = await api.call('traces.spans', { traceId: id });
    expect(spans.map((s) => [s.name, s.status.code])).toEqual([['root', 'ERROR'], ['child', 'OK']]);
    // The MLflow client reads spans that came over OpenTelemetry in its own file format.
    const data = JSON.parse((await api.call('traces.readData', { traceId: id })).json) as { spans: { name: string; attributes: Record<string, string> }[] };
    expect(data.spans.map((s) => s.name)).toEqual(['root', 'child']);
    expect(data.spans[0]!.attributes['mlflow.traceRequestId']).toBe(JSON.stringify(id));
  });

  it('logs one request holding spans of hundreds of traces', async () => {
    const { api } = await testFlowdesk();
    const { experimentId } = await api.call('experiments.create', { name: 'wide' });
    const spans = Array.from({ length: 1200 }, (_, i) => span(traceIdOf(1000 + (i % 600)), 1 + Math.floor(i / 600), i < 600 ? undefined : 1, `s${i}`, T0 + i, T0 + i + 1));
    expect((await api.call('traces.logSpans', { experimentId, spans })).traceIds).toHaveLength(600);
    expect((await api.call('traces.get', { traceId: traceIdOf(1599) })).trace).toMatchObject({ spanCount: 2, state: 'OK', requestTime: T0 + 599, executionDuration: 601 });
    const page = await api.call('traces.search', { experimentIds: [experimentId], maxResults: 500 });
    expect(page.traces).toHaveLength(500);
    expect(page.nextPageToken).toBeDefined();
  });

  it('keeps a large attribute whole in the artifact store and reads it on demand', async () => {
    const { api } = await testFlowdesk();
    const { experimentId } = await api.call('experiments.create', { name: 'big' });
    const big = JSON.stringify('x'.repeat(200_000));
    const id = traceIdOf(6);
    await api.call('traces.logSpans', { experimentId, spans: [span(id, 1, undefined, 'root', T0, T0 + 1, { attributes: { 'mlflow.spanInputs': big, small: '1' } })] });
    const { spans } = await api.call('traces.spans', { traceId: id });
    expect(spans[0]!.truncated).toEqual(['mlflow.spanInputs']);
    expect(spans[0]!.attributes['mlflow.spanInputs']!.length).toBeLessThan(big.length);
    const { span: whole } = await api.call('traces.getSpan', { traceId: id, spanId: hex(1, 16) });
    expect(whole.attributes).toEqual({ 'mlflow.spanInputs': big, small: '1' });
    expect(whole.truncated).toBeUndefined();
  });

  it('refuses spans over the attribute limits and logs none of the request', async () => {
    const { api } = await testFlowdesk();
    const { experimentId } = await api.call('experiments.create', { name: 'limits' });
    const many = Object.fromEntries(Array.from({ length: 1001 }, (_, i) => [`k${i}`, '1']));
    await expect(
      api.call('traces.logSpans', { experimentId, spans: [span(traceIdOf(7), 1, undefined, 'ok', T0, T0 + 1), span(traceIdOf(8), 1, undefined, 'bad', T0, T0 + 1, { attributes: many })] }),
    ).rejects.toThrow(/1001 attributes/);
    await expect(api.call('traces.get', { traceId: traceIdOf(7) })).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
  });

  it('searches by tag and status with OR, by span name and by run, newest first and paged', async () => {
    const { api } = await testFlowdesk();
    const { experimentId } = await api.call('experiments.create', { name: 'search' });
    const { run } = await api.call('runs.create', { experimentId });
    for (let n = 1; n <= 6; n++) {
      await startTrace(api, experimentId, n, { tags: { team: n % 2 ? 'a' : 'b' }, state: n === 3 ? 'ERROR' : 'OK', metadata: n === 6 ? { 'mlflow.sourceRun': run.info.runId } : {} });
    }
    await api.call('traces.logSpans', { experimentId, spans: [span(traceIdOf(2), 1, undefined, 'retriever', T0 + 2, T0 + 3)] });
    const ids = async (input: { filter?: string; orderBy?: string[]; runId?: string; maxResults?: number; pageToken?: string }) => {
      const page = await api.call('traces.search', { experimentIds: [experimentId], ...input });
      return { ids: page.traces.map((t) => Number.parseInt(t.traceId.slice(3), 16)), next: page.nextPageToken };
    };
    expect((await ids({ filter: "tags.team = 'a' AND trace.status = 'OK'" })).ids).toEqual([5, 1]);
    expect((await ids({ filter: "trace.status = 'ERROR' OR (tags.team = 'b' AND trace.timestamp_ms > " + (T0 + 3) + ')' })).ids).toEqual([6, 4, 3]);
    expect((await ids({ filter: "span.name = 'retriever'" })).ids).toEqual([2]);
    expect((await ids({ runId: run.info.runId })).ids).toEqual([6]);
    expect((await ids({ filter: `trace.run_id = '${run.info.runId}'` })).ids).toEqual([6]);
    const first = await ids({ orderBy: ['timestamp_ms ASC'], maxResults: 4 });
    expect(first.ids).toEqual([1, 2, 3, 4]);
    expect((await ids({ orderBy: ['timestamp_ms ASC'], maxResults: 4, pageToken: first.next })).ids).toEqual([5, 6]);
    await expect(api.call('traces.search', { experimentIds: [experimentId], filter: 'bogus.x = 1' })).rejects.toThrow(/unknown entity 'bogus'/);
  });

  it('finds traces linked to a run after the fact', async () => {
    const { api } = await testFlowdesk();
    const { experimentId } = await api.call('experiments.create', { name: 'links' });
    const { run } = await api.call('runs.create', { experimentId });
    await startTrace(api, experimentId, 1);
    await startTrace(api, experimentId, 2);
    await api.call('traces.linkToRun', { traceIds: [traceIdOf(2)], runId: run.info.runId });
    const { traces } = await api.call('traces.search', { experimentIds: [experimentId], runId: run.info.runId });
    expect(traces.map((t) => [t.traceId, t.linkedRunIds])).toEqual([[traceIdOf(2), [run.info.runId]]]);
  });

  it('sets and deletes tags; a missing tag is not found', async () => {
    const { api } = await testFlowdesk();
    const { experimentId } = await api.call('experiments.create', { name: 'tags' });
    await startTrace(api, experimentId, 1);
    await api.call('traces.setTag', { traceId: traceIdOf(1), key: 'k', value: 'v' });
    expect((await api.call('traces.get', { traceId: traceIdOf(1) })).trace.tags.k).toBe('v');
    await api.call('traces.deleteTag', { traceId: traceIdOf(1), key: 'k' });
    expect((await api.call('traces.get', { traceId: traceIdOf(1) })).trace.tags.k).toBeUndefined();
    await expect(api.call('traces.deleteTag', { traceId: traceIdOf(1), key: 'k' })).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
  });

  it('deletes traces by id, and the oldest up to a time with a count', async () => {
    const { api } = await testFlowdesk();
    const { experimentId } = await api.call('experiments.create', { name: 'delete' });
    for (let n = 1; n <= 5; n++) await startTrace(api, experimentId, n);
    expect(await api.call('traces.delete', { experimentId, traceIds: [traceIdOf(5)] })).toEqual({ deleted: 1 });
    expect(await api.call('traces.delete', { experimentId, maxTimestampMs: T0 + 3, maxTraces: 2 })).toEqual({ deleted: 2 });
    const { traces } = await api.call('traces.search', { experimentIds: [experimentId] });
    expect(traces.map((t) => t.traceId)).toEqual([traceIdOf(4), traceIdOf(3)]);
  });

  it('marks an overridden assessment invalid, and valid again when the override is deleted', async () => {
    const { api } = await testFlowdesk();
    const { experimentId } = await api.call('experiments.create', { name: 'feedback' });
    await startTrace(api, experimentId, 1);
    const traceId = traceIdOf(1);
    const source = { sourceType: 'LLM_JUDGE' as const, sourceId: 'judge' };
    const { assessment: first } = await api.call('traces.createAssessment', { traceId, assessment: { name: 'correct', source, feedback: { value: false }, rationale: 'wrong' } });
    const { assessment: second } = await api.call('traces.createAssessment', {
      traceId,
      assessment: { name: 'correct', source: { sourceType: 'HUMAN', sourceId: 'ann' }, feedback: { value: true }, overrides: first.assessmentId },
    });
    expect((await api.call('traces.getAssessment', { traceId, assessmentId: first.assessmentId })).assessment.valid).toBe(false);
    const { assessment: updated } = await api.call('traces.updateAssessment', { traceId, assessmentId: second.assessmentId, feedback: { value: 'yes' }, metadata: { a: '1' } });
    expect(updated).toMatchObject({ feedback: { value: 'yes' }, metadata: { a: '1' }, source: { sourceType: 'HUMAN', sourceId: 'ann' } });
    await expect(api.call('traces.updateAssessment', { traceId, assessmentId: second.assessmentId, expectation: { value: 1 } })).rejects.toThrow(/Feedback/);
    await api.call('traces.deleteAssessment', { traceId, assessmentId: second.assessmentId });
    expect((await api.call('traces.getAssessment', { traceId, assessmentId: first.assessmentId })).assessment.valid).toBe(true);
    await expect(api.call('traces.getAssessment', { traceId, assessmentId: second.assessmentId })).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
  });

  it("moves a run's traces to the trash with it and purges them with it", async () => {
    const { api, fd } = await testFlowdesk();
    const { experimentId } = await api.call('experiments.create', { name: 'trash' });
    const { run } = await api.call('runs.create', { experimentId });
    await startTrace(api, experimentId, 1, { metadata: { 'mlflow.sourceRun': run.info.runId } });
    await startTrace(api, experimentId, 2);
    await api.call('traces.putData', { traceId: traceIdOf(1), json: traceData(traceIdOf(1), [{ id: 1, name: 'root' }]) });
    const search = async () => (await api.call('traces.search', { experimentIds: [experimentId] })).traces.map((t) => t.traceId);
    await api.call('runs.delete', { runId: run.info.runId });
    expect(await search()).toEqual([traceIdOf(2)]);
    await api.call('runs.restore', { runId: run.info.runId });
    expect(await search()).toEqual([traceIdOf(2), traceIdOf(1)]);
    await api.call('runs.delete', { runId: run.info.runId });
    await api.call('trash.purge', { runIds: [run.info.runId] });
    await expect(api.call('traces.get', { traceId: traceIdOf(1) })).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
    expect(await fd.artifacts.stat(`${experimentId}/traces/${traceIdOf(1)}`)).toBeUndefined();
    expect(await search()).toEqual([traceIdOf(2)]);
  });
});
