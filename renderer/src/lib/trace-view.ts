/**
 * The trace view's pure parts: the span tree built from parent ids, the rows a tree shows with
 * some branches collapsed, the waterfall's layout (each span's bar relative to the whole trace),
 * reading MLflow's span attributes (inputs, outputs, token usage, exceptions) and recognising
 * chat messages so they can be shown as a conversation.
 */
import type { Span } from '#core/api/traces-entities.ts';

/** One span in the tree, with its children in start order. */
export interface SpanNode {
  span: Span;
  depth: number;
  children: SpanNode[];
  parent?: SpanNode;
  /** Whether this span or any span below it failed: a collapsed branch still shows its error. */
  errorBelow: boolean;
}

/** A span's start and end in nanoseconds; a span that never ended ends where it started. */
function times(span: Span): { start: bigint; end: bigint } {
  const start = BigInt(span.startTimeNs);
  const end = span.endTimeNs === undefined ? start : BigInt(span.endTimeNs);
  return { start, end: end < start ? start : end };
}

/**
 * The span tree: each span under its parent, children in start order. A span whose parent is not
 * among `spans` (a partial trace) becomes a root rather than being lost.
 */
export function buildSpanTree(spans: readonly Span[]): SpanNode[] {
  const nodes = new Map<string, SpanNode>();
  for (const span of spans) nodes.set(span.spanId, { span, depth: 0, children: [], errorBelow: false });
  const roots: SpanNode[] = [];
  for (const node of nodes.values()) {
    const parent = node.span.parentSpanId === undefined ? undefined : nodes.get(node.span.parentSpanId);
    if (parent && parent !== node) {
      node.parent = parent;
      parent.children.push(node);
    } else roots.push(node);
  }
  const starts = new Map<SpanNode, bigint>([...nodes.values()].map((n) => [n, times(n.span).start]));
  const byStart = (a: SpanNode, b: SpanNode) => {
    const d = starts.get(a)! - starts.get(b)!;
    return d < 0n ? -1 : d > 0n ? 1 : 0;
  };
  // Iterative depth-first walk: a trace may be thousands of spans deep, deeper than the call stack.
  roots.sort(byStart);
  const stack = [...roots].reverse();
  const order: SpanNode[] = [];
  while (stack.length > 0) {
    const node = stack.pop()!;
    node.depth = node.parent ? node.parent.depth + 1 : 0;
    node.children.sort(byStart);
    order.push(node);
    for (let i = node.children.length - 1; i >= 0; i--) stack.push(node.children[i]!);
  }
  for (let i = order.length - 1; i >= 0; i--) {
    const node = order[i]!;
    node.errorBelow = node.errorBelow || node.span.status.code === 'ERROR';
    if (node.parent && node.errorBelow) node.parent.errorBelow = true;
  }
  return roots;
}

/** The rows a tree shows, depth first, skipping what is under a collapsed span. */
export function visibleNodes(roots: readonly SpanNode[], collapsed: ReadonlySet<string>): SpanNode[] {
  const out: SpanNode[] = [];
  const stack = [...roots].reverse();
  while (stack.length > 0) {
    const node = stack.pop()!;
    out.push(node);
    if (collapsed.has(node.span.spanId)) continue;
    for (let i = node.children.length - 1; i >= 0; i--) stack.push(node.children[i]!);
  }
  return out;
}

/** Where a span's bar sits on the waterfall: fractions (0 to 1) of the trace's time span. */
export interface Bar {
  left: number;
  width: number;
  /** The span's own duration in milliseconds. */
  durationMs: number;
  /** When it started, in milliseconds after the trace's first span started. */
  offsetMs: number;
}

/** The trace's time range over all its spans, in nanoseconds. */
export function traceRange(spans: readonly Span[]): { start: bigint; end: bigint } {
  let start: bigint | undefined;
  let end: bigint | undefined;
  for (const span of spans) {
    const t = times(span);
    if (start === undefined || t.start < start) start = t.start;
    if (end === undefined || t.end > end) end = t.end;
  }
  return { start: start ?? 0n, end: end ?? 0n };
}

/** Nanoseconds (exact, as bigint) to milliseconds. */
const toMs = (ns: bigint) => Number(ns / 1000n) / 1000;

/** Each span's bar, by span id, relative to the trace's whole time range. */
export function waterfallLayout(spans: readonly Span[]): Map<string, Bar> {
  const range = traceRange(spans);
  const total = toMs(range.end - range.start);
  const bars = new Map<string, Bar>();
  for (const span of spans) {
    const t = times(span);
    const offsetMs = toMs(t.start - range.start);
    const durationMs = toMs(t.end - t.start);
    bars.set(span.spanId, {
      left: total > 0 ? offsetMs / total : 0,
      width: total > 0 ? durationMs / total : 1,
      durationMs,
      offsetMs,
    });
  }
  return bars;
}

/** A span's duration in milliseconds. */
export function spanDurationMs(span: Span): number {
  const t = times(span);
  return toMs(t.end - t.start);
}

/** A span duration, precise below a second: "0.042 ms", "3.5 ms", "850 ms", "1.25 s", "2 min 5 s". */
export function formatSpanDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '—';
  if (ms < 1) return `${Number(ms.toPrecision(2))} ms`;
  if (ms < 100) return `${Number(ms.toPrecision(3))} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${Number((ms / 1000).toPrecision(3))} s`;
  const seconds = Math.round(ms / 1000);
  return `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
}

/** An attribute value as MLflow keeps it (JSON text) read back; text that is not JSON stays text. */
export function attributeValue(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** MLflow's attributes the view shows in their own places rather than in the attribute list. */
export const SPAN_INPUTS = 'mlflow.spanInputs';
export const SPAN_OUTPUTS = 'mlflow.spanOutputs';
export const SPAN_TOKEN_USAGE = 'mlflow.chat.tokenUsage';
/** MLflow 2's chat attribute: the whole conversation of a chat model span. */
export const SPAN_CHAT_MESSAGES = 'mlflow.chat.messages';

/** Token usage a span reports (MLflow's `mlflow.chat.tokenUsage`), when it does. */
export function spanTokenUsage(span: Span): { input?: number; output?: number; total?: number } | undefined {
  const usage = attributeValue(span.attributes[SPAN_TOKEN_USAGE]);
  if (usage === null || typeof usage !== 'object') return undefined;
  const u = usage as Record<string, unknown>;
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
  const out = { input: num(u.input_tokens), output: num(u.output_tokens), total: num(u.total_tokens) };
  return out.input === undefined && out.output === undefined && out.total === undefined ? undefined : out;
}

/** An exception a span recorded (OpenTelemetry's `exception` event). */
export interface SpanException {
  type: string;
  message: string;
  stacktrace: string;
}

/** The exceptions a span recorded, from its `exception` events. */
export function spanExceptions(span: Span): SpanException[] {
  const text = (v: unknown) => (v === undefined || v === null ? '' : typeof v === 'string' ? v : JSON.stringify(v));
  return span.events
    .filter((e) => e.name === 'exception')
    .map((e) => ({ type: text(e.attributes['exception.type']), message: text(e.attributes['exception.message']), stacktrace: text(e.attributes['exception.stacktrace']) }));
}

/** One message of a conversation. */
export interface ChatMessage {
  role: string;
  /** The message's text; parts that are not text (images, tool calls) as their JSON. */
  content: string;
}

function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (content === null || content === undefined) return '';
  if (Array.isArray(content)) {
    return content
      .map((part: unknown) => {
        if (typeof part === 'string') return part;
        const p = part as { type?: unknown; text?: unknown };
        return p && p.type === 'text' && typeof p.text === 'string' ? p.text : JSON.stringify(part);
      })
      .join('\n');
  }
  return JSON.stringify(content, null, 2);
}

function asMessage(value: unknown): ChatMessage | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const m = value as { role?: unknown; content?: unknown; tool_calls?: unknown };
  if (typeof m.role !== 'string') return undefined;
  if (!('content' in m) && !('tool_calls' in m)) return undefined;
  const text = contentText(m.content);
  const calls = m.tool_calls === undefined || m.tool_calls === null ? '' : `${text ? '\n' : ''}${JSON.stringify(m.tool_calls, null, 2)}`;
  return { role: m.role, content: text + calls };
}

function asMessages(value: unknown): ChatMessage[] | undefined {
  if (!Array.isArray(value) || value.length === 0) return undefined;
  const out: ChatMessage[] = [];
  for (const item of value) {
    const m = asMessage(item);
    if (!m) return undefined;
    out.push(m);
  }
  return out;
}

/**
 * The conversation in a span's inputs or outputs, when they are chat messages: an OpenAI-style
 * request (`{messages: [{role, content}]}`), a bare list of messages, a single message, or an
 * OpenAI chat completion (`{choices: [{message}]}`). Undefined for anything else.
 */
export function chatMessages(value: unknown): ChatMessage[] | undefined {
  const direct = asMessages(value);
  if (direct) return direct;
  if (value === null || typeof value !== 'object') return undefined;
  const single = asMessage(value);
  if (single) return [single];
  const v = value as { messages?: unknown; choices?: unknown };
  const messages = asMessages(v.messages);
  if (messages) return messages;
  if (Array.isArray(v.choices) && v.choices.length > 0) {
    const fromChoices = v.choices.map((c: unknown) => asMessage((c as { message?: unknown } | null)?.message));
    if (fromChoices.every((m) => m !== undefined)) return fromChoices as ChatMessage[];
  }
  return undefined;
}

/** Span types MLflow names, each with its own colour on the waterfall; anything else is "other". */
export const SPAN_TYPES = ['LLM', 'CHAT_MODEL', 'CHAIN', 'AGENT', 'TOOL', 'RETRIEVER', 'EMBEDDING', 'RERANKER', 'PARSER'] as const;

/** The colour class of a span type ("llm", "chain", ..., "other"). */
export function spanTypeClass(spanType: string | undefined): string {
  const t = (spanType ?? '').toUpperCase();
  if (t === 'CHAT_MODEL') return 'llm';
  return (SPAN_TYPES as readonly string[]).includes(t) ? t.toLowerCase() : 'other';
}
