/** The trace view's pure parts: the span tree, collapsing, the waterfall, chat detection, and comparing two traces. */
import { describe, expect, it } from 'vitest';
import type { Span } from '#core/api/traces-entities.ts';
import { alignTraces, lineDiff } from '../../renderer/src/lib/trace-compare.ts';
import { parseRoute, routeHref, traceCompareHref, traceHref } from '../../renderer/src/lib/route.ts';
import { buildSpanTree, chatMessages, formatSpanDuration, spanExceptions, spanTokenUsage, visibleNodes, waterfallLayout } from '../../renderer/src/lib/trace-view.ts';

const T0 = 1_700_000_000_000_000_000n;

/** A span starting `startMs` after T0 and lasting `ms`. */
function span(id: number, name: string, parent: number | undefined, startMs: number, ms: number, extra: Partial<Span> = {}): Span {
  const hex = (n: number) => n.toString(16).padStart(16, '0');
  return {
    spanId: hex(id),
    ...(parent === undefined ? {} : { parentSpanId: hex(parent) }),
    name,
    startTimeNs: String(T0 + BigInt(startMs * 1_000_000)),
    endTimeNs: String(T0 + BigInt((startMs + ms) * 1_000_000)),
    status: { code: 'OK', message: '' },
    attributes: {},
    events: [],
    ...extra,
  };
}

describe('trace routes', () => {
  it('reads and writes the trace view and the comparison of two traces', () => {
    expect(parseRoute('#/traces/tr-0123abcd')).toEqual({ view: 'trace', traceId: 'tr-0123abcd' });
    expect(parseRoute('#/traces/compare?a=tr-1&b=tr-2')).toEqual({ view: 'trace-compare', a: 'tr-1', b: 'tr-2' });
    expect(parseRoute(traceHref('tr-a/b'))).toEqual({ view: 'trace', traceId: 'tr-a/b' });
    expect(routeHref({ view: 'trace', traceId: 'tr-9' })).toBe('#/traces/tr-9');
    expect(parseRoute(traceCompareHref('tr-1', 'tr-2'))).toEqual({ view: 'trace-compare', a: 'tr-1', b: 'tr-2' });
    expect(parseRoute(routeHref({ view: 'trace-compare', a: 'tr-x', b: 'tr-y' }))).toEqual({ view: 'trace-compare', a: 'tr-x', b: 'tr-y' });
  });

  it('names no trace for a compare link without ids, and no view for a malformed escape', () => {
    expect(parseRoute('#/traces/compare')).toEqual({ view: 'trace-compare', a: '', b: '' });
    expect(parseRoute('#/traces/%E0%A4%A')).toEqual({ view: 'not-found', path: '/traces/%E0%A4%A' });
  });
});

describe('span tree', () => {
  it('puts each span under its parent, children in start order, and marks errors up the tree', () => {
    const roots = buildSpanTree([
      span(3, 'late', 1, 50, 10),
      span(1, 'root', undefined, 0, 100),
      span(2, 'early', 1, 10, 20),
      span(4, 'leaf', 2, 12, 5, { status: { code: 'ERROR', message: 'boom' } }),
    ]);
    expect(roots.map((r) => r.span.name)).toEqual(['root']);
    expect(roots[0]!.children.map((c) => c.span.name)).toEqual(['early', 'late']);
    expect(roots[0]!.children[0]!.children[0]!.depth).toBe(2);
    expect([roots[0]!.errorBelow, roots[0]!.children[0]!.errorBelow, roots[0]!.children[1]!.errorBelow]).toEqual([true, true, false]);
  });

  it('keeps a span whose parent is missing as a root rather than losing it', () => {
    const roots = buildSpanTree([span(1, 'root', undefined, 0, 10), span(7, 'orphan', 99, 5, 1)]);
    expect(roots.map((r) => r.span.name)).toEqual(['root', 'orphan']);
  });

  it('builds a chain deeper than the call stack', () => {
    const spans = Array.from({ length: 20_000 }, (_, i) => span(i + 1, `s${i}`, i === 0 ? undefined : i, i, 1));
    const rows = visibleNodes(buildSpanTree(spans), new Set());
    expect(rows.length).toBe(20_000);
    expect(rows.at(-1)!.depth).toBe(19_999);
  });

  it('hides what is under a collapsed span', () => {
    const roots = buildSpanTree([span(1, 'root', undefined, 0, 100), span(2, 'a', 1, 1, 10), span(3, 'a1', 2, 2, 1), span(4, 'b', 1, 20, 10)]);
    expect(visibleNodes(roots, new Set()).map((n) => n.span.name)).toEqual(['root', 'a', 'a1', 'b']);
    expect(visibleNodes(roots, new Set([(2).toString(16).padStart(16, '0')])).map((n) => n.span.name)).toEqual(['root', 'a', 'b']);
  });
});

describe('waterfall', () => {
  it('places each bar by its start and end relative to the whole trace', () => {
    const bars = waterfallLayout([span(1, 'root', undefined, 0, 200), span(2, 'mid', 1, 50, 100), span(3, 'open', 1, 150, 0, { endTimeNs: undefined })]);
    expect(bars.get((1).toString(16).padStart(16, '0'))).toEqual({ left: 0, width: 1, durationMs: 200, offsetMs: 0 });
    expect(bars.get((2).toString(16).padStart(16, '0'))).toEqual({ left: 0.25, width: 0.5, durationMs: 100, offsetMs: 50 });
    expect(bars.get((3).toString(16).padStart(16, '0'))).toMatchObject({ left: 0.75, width: 0, durationMs: 0 });
  });

  it('keeps sub-millisecond precision from nanosecond times beyond 2^53', () => {
    const s = span(1, 'fast', undefined, 0, 0, { endTimeNs: String(T0 + 42_000n) });
    expect(waterfallLayout([s]).get(s.spanId)!.durationMs).toBe(0.042);
    expect(formatSpanDuration(0.042)).toBe('0.042 ms');
    expect(formatSpanDuration(12.345)).toBe('12.3 ms');
    expect(formatSpanDuration(1534)).toBe('1.53 s');
  });
});

describe('span attributes', () => {
  it('reads token usage and exceptions as MLflow records them', () => {
    const s = span(1, 'llm', undefined, 0, 1, {
      attributes: { 'mlflow.chat.tokenUsage': JSON.stringify({ input_tokens: 12, output_tokens: 5, total_tokens: 17 }) },
      events: [{ name: 'exception', timeNs: String(T0), attributes: { 'exception.type': 'ValueError', 'exception.message': 'no', 'exception.stacktrace': 'Traceback…' } }],
    });
    expect(spanTokenUsage(s)).toEqual({ input: 12, output: 5, total: 17 });
    expect(spanExceptions(s)).toEqual([{ type: 'ValueError', message: 'no', stacktrace: 'Traceback…' }]);
    expect(spanTokenUsage(span(2, 'plain', undefined, 0, 1))).toBeUndefined();
  });

  it('recognises chat requests, completions and message lists, and nothing else', () => {
    expect(chatMessages({ model: 'm', messages: [{ role: 'system', content: 'be brief' }, { role: 'user', content: [{ type: 'text', text: 'hi' }] }] })).toEqual([
      { role: 'system', content: 'be brief' },
      { role: 'user', content: 'hi' },
    ]);
    expect(chatMessages({ choices: [{ index: 0, message: { role: 'assistant', content: 'hello' } }] })).toEqual([{ role: 'assistant', content: 'hello' }]);
    expect(chatMessages([{ role: 'user', content: 'q' }])).toEqual([{ role: 'user', content: 'q' }]);
    expect(chatMessages({ role: 'assistant', content: 'a' })).toEqual([{ role: 'assistant', content: 'a' }]);
    expect(chatMessages({ messages: [{ role: 'user' }] })).toBeUndefined();
    expect(chatMessages({ question: 'q' })).toBeUndefined();
    expect(chatMessages('text')).toBeUndefined();
    expect(chatMessages([])).toBeUndefined();
  });
});

describe('comparing two traces', () => {
  const io = (inputs: unknown, outputs: unknown) => ({ attributes: { 'mlflow.spanInputs': JSON.stringify(inputs), 'mlflow.spanOutputs': JSON.stringify(outputs) } });

  it('aligns spans by path, repeated names by their order, and marks what differs', () => {
    const a = buildSpanTree([
      span(1, 'agent', undefined, 0, 100, io({ q: 1 }, 'x')),
      span(2, 'tool', 1, 1, 10, io({ k: 1, j: 2 }, 1)),
      span(3, 'tool', 1, 20, 10),
      span(4, 'only-a', 1, 40, 1),
    ]);
    const b = buildSpanTree([
      span(11, 'agent', undefined, 0, 100, io({ q: 1 }, 'y')),
      span(12, 'only-b', 11, 0, 1),
      span(13, 'tool', 11, 1, 50, io({ j: 2, k: 1 }, 1)),
      span(14, 'tool', 11, 60, 10, { status: { code: 'ERROR', message: '' } }),
    ]);
    const rows = alignTraces(a, b);
    expect(rows.map((r) => [r.path, r.a?.name ?? null, r.b?.name ?? null])).toEqual([
      ['agent', 'agent', 'agent'],
      ['agent/only-b', null, 'only-b'],
      ['agent/tool', 'tool', 'tool'],
      ['agent/tool#2', 'tool', 'tool'],
      ['agent/only-a', 'only-a', null],
    ]);
    expect(rows[0]!.diff).toMatchObject({ outputs: true, inputs: false, latency: false, status: false });
    // Same inputs in another key order are the same inputs; 10 ms against 50 ms is a latency change.
    expect(rows[2]!.diff).toMatchObject({ inputs: false, outputs: false, latency: true });
    expect(rows[3]!.diff).toMatchObject({ status: true, latency: false });
    expect(rows[1]!.diff.missing).toBe(true);
    expect(rows.map((r) => r.depth)).toEqual([0, 1, 1, 1, 1]);
  });

  it('diffs two texts line by line', () => {
    expect(lineDiff('a\nb\nc', 'a\nx\nc')).toEqual([
      { kind: 'same', text: 'a' },
      { kind: 'removed', text: 'b' },
      { kind: 'added', text: 'x' },
      { kind: 'same', text: 'c' },
    ]);
    expect(lineDiff('', 'new')).toEqual([{ kind: 'removed', text: '' }, { kind: 'added', text: 'new' }]);
  });
});
