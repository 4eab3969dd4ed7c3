/** The traces table's pure parts: its route, cell texts, live merging in the server's order, and filter suggestions. */
import { describe, expect, it } from 'vitest';
import type { TraceInfo } from '#core/api/traces-entities.ts';
import { parseRoute, routeHref, traceCompareHref, traceHref, tracesHref } from '../../renderer/src/lib/route.ts';
import {
  assessmentSummary,
  compactTime,
  compareTraces,
  formatLatency,
  mergeTraces,
  previewText,
  shortTraceId,
  suggestTraceFilter,
  traceSortOf,
  userTags,
  withTraceIds,
} from '../../renderer/src/lib/trace-rows.ts';

const trace = (n: number, extra: Partial<TraceInfo> = {}): TraceInfo => ({
  traceId: `tr-${n.toString(16).padStart(32, '0')}`,
  experimentId: '1',
  requestTime: 1000 + n,
  state: 'OK',
  metadata: {},
  tags: {},
  assessments: [],
  linkedRunIds: [],
  spanCount: 1,
  ...extra,
});

describe('the traces route', () => {
  it('round-trips an experiment traces view with its filter and sort', () => {
    const route = { view: 'traces', experimentId: '7', filter: "trace.status = 'ERROR' OR tags.env = 'prod'", sort: 'execution_time_ms', ascending: true } as const;
    expect(parseRoute(routeHref(route))).toEqual(route);
    expect(routeHref(route)).toMatch(/^#\/experiments\/7\/traces\?filter=.*&sort=execution_time_ms&dir=asc$/);
  });

  it('reads a bare traces address as no filter, newest first', () => {
    expect(parseRoute('#/experiments/7/traces')).toEqual({ view: 'traces', experimentId: '7', filter: '', sort: undefined, ascending: false });
    expect(tracesHref('7')).toBe('#/experiments/7/traces');
    expect(parseRoute(tracesHref('7'))).toEqual(parseRoute('#/experiments/7/traces/'));
  });

  it('links a row to the trace view and two rows to the compare view', () => {
    expect(traceHref('tr-abc')).toBe('#/traces/tr-abc');
    expect(traceCompareHref('tr-a', 'tr-b')).toBe('#/traces/compare?a=tr-a&b=tr-b');
  });

  it('keeps only the sorts the table offers', () => {
    expect(traceSortOf('status', true)).toEqual({ field: 'status', ascending: true });
    expect(traceSortOf('metrics.loss', true)).toBeUndefined();
    expect(traceSortOf(undefined, false)).toBeUndefined();
  });
});

describe('trace cells', () => {
  it('shows a chat request as its last message and an object of one string as that string', () => {
    expect(previewText(JSON.stringify({ messages: [{ role: 'system', content: 'be brief' }, { role: 'user', content: 'hi\nthere' }] }))).toBe('hi there');
    expect(previewText(JSON.stringify({ question: 'how warm is Paris?' }))).toBe('how warm is Paris?');
    expect(previewText('"plain"')).toBe('plain');
    expect(previewText(JSON.stringify({ a: 1, b: [2] }))).toBe('{"a":1,"b":[2]}');
    expect(previewText('{"cut short')).toBe('{"cut short');
    expect(previewText(undefined)).toBe('');
  });

  it('formats latency in ms under a second and seconds beyond', () => {
    expect([formatLatency(850), formatLatency(1234), formatLatency(42_000), formatLatency(125_000), formatLatency(undefined)]).toEqual(['850 ms', '1.23 s', '42.0 s', '2 min 5 s', '—']);
  });

  it("shortens ids and leaves MLflow's own tags out", () => {
    expect(shortTraceId('tr-0123456789abcdef0123456789abcdef')).toBe('01234567');
    expect(userTags(trace(1, { tags: { 'mlflow.traceName': 'x', z: '1', env: 'prod' } }))).toEqual([['env', 'prod'], ['z', '1']]);
  });

  it('summarizes valid assessments, feedback first, failed ones marked', () => {
    const base = { traceId: 't', source: { sourceType: 'HUMAN' as const, sourceId: 'me' }, createTime: 1, lastUpdateTime: 1 };
    const summary = assessmentSummary(
      trace(1, {
        assessments: [
          { ...base, assessmentId: 'a1', name: 'expected', expectation: { value: 'Paris' }, valid: true },
          { ...base, assessmentId: 'a2', name: 'helpful', feedback: { value: false }, valid: true },
          { ...base, assessmentId: 'a3', name: 'score', feedback: { value: 0.123456 }, valid: true },
          { ...base, assessmentId: 'a4', name: 'old', feedback: { value: true }, valid: false },
        ],
      }),
    );
    expect(summary).toEqual([
      { text: 'helpful: no', value: 'no', kind: 'feedback', failed: true },
      { text: 'score: 0.1235', value: '0.1235', kind: 'feedback', failed: false },
      { text: 'expected: Paris', value: 'Paris', kind: 'expectation', failed: false },
    ]);
  });
});

describe('live traces', () => {
  it('orders missing latency last in both directions, as the server does', () => {
    const fast = trace(1, { executionDuration: 5 });
    const none = trace(2);
    expect(compareTraces(none, fast, { field: 'execution_time_ms', ascending: true })).toBeGreaterThan(0);
    expect(compareTraces(none, fast, { field: 'execution_time_ms', ascending: false })).toBeGreaterThan(0);
  });

  it('inserts new traces in order, replaces shown ones in place and drops gone ones', () => {
    const sort = { field: 'timestamp_ms', ascending: false } as const;
    const rows = [trace(9), trace(7), trace(5)];
    const merged = mergeTraces(rows, [trace(8), trace(7, { state: 'ERROR' }), trace(1)], new Set([trace(5).traceId]), sort, false);
    expect(merged.map((t) => [t.requestTime - 1000, t.state])).toEqual([[9, 'OK'], [8, 'OK'], [7, 'ERROR'], [1, 'OK']]);
  });

  it('leaves a new trace past the loaded rows to a later page', () => {
    const merged = mergeTraces([trace(9), trace(7)], [trace(1)], new Set(), { field: 'timestamp_ms', ascending: false }, true);
    expect(merged.map((t) => t.requestTime - 1000)).toEqual([9, 7]);
  });

  it('narrows a filter with ORs to trace ids without changing its meaning', () => {
    expect(withTraceIds("tags.a = '1' OR tags.b = '2'", ['tr-1', "tr-'"])).toBe("(tags.a = '1' OR tags.b = '2') AND trace.trace_id IN ('tr-1', 'tr-''')");
    expect(withTraceIds('', ['tr-1'])).toBe("trace.trace_id IN ('tr-1')");
  });
});

describe('trace filter suggestions', () => {
  it('suggests prefixes, trace fields and known tag keys', () => {
    expect(suggestTraceFilter('tr', 2, []).items.map((i) => i.insert)).toEqual(['trace.']);
    expect(suggestTraceFilter('trace.ex', 8, []).items.map((i) => i.insert)).toEqual(['trace.execution_time_ms']);
    expect(suggestTraceFilter('tags.', 5, ['env', 'user id']).items.map((i) => i.insert)).toEqual(['tags.env', 'tags.`user id`']);
    expect(suggestTraceFilter("tags.env = 'tr", 14, []).items).toEqual([]);
  });
});

describe('trace times', () => {
  it("shows today's time as a clock and older ones by day, then by date", () => {
    const now = new Date(2026, 11, 6, 15, 0, 0).getTime();
    const today = compactTime(new Date(2026, 11, 6, 9, 5, 7).getTime(), now);
    const thisYear = compactTime(new Date(2026, 4, 28, 8, 59).getTime(), now);
    const older = compactTime(new Date(2024, 4, 28, 8, 59).getTime(), now);
    expect(today).toMatch(/05.*07/);
    expect(today).not.toMatch(/May|Dec/);
    expect(thisYear).toMatch(/May/);
    expect(thisYear).not.toMatch(/2026/);
    expect(older).toMatch(/2024/);
  });
});
