/**
 * Comparing two traces, the pure part: their span trees aligned by path (the span names from the
 * root down, the n-th span of a name among its siblings told apart), what differs on each aligned
 * pair (status, latency, outputs), and a line diff of two values' pretty-printed JSON.
 */
import type { Span } from '#core/api/traces-entities.ts';
import { attributeValue, SPAN_INPUTS, SPAN_OUTPUTS, spanDurationMs, type SpanNode } from './trace-view.ts';

/** One row of the aligned trees: the span at this path in each trace, or undefined where one has none. */
export interface AlignedRow {
  /** Names from the root, `/`-joined; a repeated name among siblings carries `#2`, `#3`, ... */
  path: string;
  depth: number;
  name: string;
  a?: Span;
  b?: Span;
  diff: SpanDiff;
}

/** What differs between the two spans of a row (all false when one side is missing). */
export interface SpanDiff {
  missing: boolean;
  status: boolean;
  /** Latency differs by more than the threshold given to `alignTraces`. */
  latency: boolean;
  inputs: boolean;
  outputs: boolean;
}

/** Children of a node keyed by name, the n-th span of a name among its siblings suffixed `#n`. */
function keyedChildren(nodes: readonly SpanNode[]): [string, SpanNode][] {
  const seen = new Map<string, number>();
  return nodes.map((node) => {
    const n = (seen.get(node.span.name) ?? 0) + 1;
    seen.set(node.span.name, n);
    return [n === 1 ? node.span.name : `${node.span.name}#${n}`, node];
  });
}

/** Whether two attribute values hold the same JSON (key order ignored by reading them back). */
function sameValue(a: string | undefined, b: string | undefined): boolean {
  if (a === b) return true;
  return canonical(attributeValue(a)) === canonical(attributeValue(b));
}

/** JSON text with object keys sorted, so equal values compare equal whatever their key order. */
export function canonical(value: unknown): string {
  if (value === undefined) return 'undefined';
  return JSON.stringify(value, (_k, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))) : v,
  );
}

function diffOf(a: Span | undefined, b: Span | undefined, latencyRatio: number): SpanDiff {
  if (!a || !b) return { missing: true, status: false, latency: false, inputs: false, outputs: false };
  const da = spanDurationMs(a);
  const db = spanDurationMs(b);
  const slower = Math.max(da, db);
  const faster = Math.min(da, db);
  return {
    missing: false,
    status: a.status.code !== b.status.code,
    // Ratios mean nothing for spans under a millisecond: timer noise, not a change.
    latency: slower >= 1 && slower > faster * latencyRatio,
    inputs: !sameValue(a.attributes[SPAN_INPUTS], b.attributes[SPAN_INPUTS]),
    outputs: !sameValue(a.attributes[SPAN_OUTPUTS], b.attributes[SPAN_OUTPUTS]),
  };
}

/** Two sibling lists to align, under the path `prefix` at `depth`. */
interface Level {
  prefix: string;
  depth: number;
  a: readonly SpanNode[];
  b: readonly SpanNode[];
}

/** A level's rows in order, each with the level of its children: A's order, B's extras where they fall. */
function alignLevel(level: Level, latencyRatio: number): { row: AlignedRow; next: Level }[] {
  const ka = keyedChildren(level.a);
  const kb = keyedChildren(level.b);
  const bIndex = new Map(kb.map(([k], i) => [k, i]));
  const aKeys = new Set(ka.map(([k]) => k));
  const merged: [string, SpanNode | undefined, SpanNode | undefined][] = [];
  let bNext = 0;
  const bOnlyUpTo = (end: number) => {
    for (; bNext < end; bNext++) if (!aKeys.has(kb[bNext]![0])) merged.push([kb[bNext]![0], undefined, kb[bNext]![1]]);
  };
  for (const [key, nodeA] of ka) {
    const at = bIndex.get(key);
    if (at !== undefined) {
      // B's spans before this match that A lacks come first, in B's order.
      bOnlyUpTo(at);
      bNext = Math.max(bNext, at + 1);
    }
    merged.push([key, nodeA, at === undefined ? undefined : kb[at]![1]]);
  }
  bOnlyUpTo(kb.length);
  return merged.map(([key, na, nb]) => {
    const path = level.prefix === '' ? key : `${level.prefix}/${key}`;
    return {
      row: { path, depth: level.depth, name: (na ?? nb)!.span.name, a: na?.span, b: nb?.span, diff: diffOf(na?.span, nb?.span, latencyRatio) },
      next: { prefix: path, depth: level.depth + 1, a: na?.children ?? [], b: nb?.children ?? [] },
    };
  });
}

/**
 * The two trees aligned depth first: at each level A's children in order, each followed by its
 * match in B, and B's unmatched children where they fall among the matched ones. A latency
 * differs when the slower span takes more than `latencyRatio` times the faster.
 */
export function alignTraces(a: readonly SpanNode[], b: readonly SpanNode[], latencyRatio = 1.5): AlignedRow[] {
  const rows: AlignedRow[] = [];
  // An explicit stack, as trees may be deeper than the call stack: each row comes out right
  // before its subtree, so a row's children go on the stack (in reverse) when it is emitted.
  const stack = alignLevel({ prefix: '', depth: 0, a, b }, latencyRatio).reverse();
  while (stack.length > 0) {
    const { row, next } = stack.pop()!;
    rows.push(row);
    if (next.a.length > 0 || next.b.length > 0) stack.push(...alignLevel(next, latencyRatio).reverse());
  }
  return rows;
}

/** One line of a two-sided diff. */
export interface DiffLine {
  kind: 'same' | 'removed' | 'added';
  text: string;
}

/** Beyond this many line pairs the diff compares line by line instead of finding the longest common subsequence. */
const LCS_LIMIT = 4_000_000;

/** A line diff of two texts (longest common subsequence), removed lines from `a`, added from `b`. */
export function lineDiff(a: string, b: string): DiffLine[] {
  const x = a.split('\n');
  const y = b.split('\n');
  if (x.length * y.length > LCS_LIMIT) {
    const out: DiffLine[] = [];
    for (let i = 0; i < Math.max(x.length, y.length); i++) {
      if (x[i] === y[i]) out.push({ kind: 'same', text: x[i]! });
      else {
        if (i < x.length) out.push({ kind: 'removed', text: x[i]! });
        if (i < y.length) out.push({ kind: 'added', text: y[i]! });
      }
    }
    return out;
  }
  const n = x.length;
  const m = y.length;
  // lengths[i][j]: the longest common subsequence of x[i..] and y[j..], in one flat array.
  const lengths = new Uint32Array((n + 1) * (m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lengths[i * (m + 1) + j] = x[i] === y[j] ? lengths[(i + 1) * (m + 1) + j + 1]! + 1 : Math.max(lengths[(i + 1) * (m + 1) + j]!, lengths[i * (m + 1) + j + 1]!);
    }
  }
  const out: DiffLine[] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (x[i] === y[j]) {
      out.push({ kind: 'same', text: x[i]! });
      i++;
      j++;
    } else if (lengths[(i + 1) * (m + 1) + j]! >= lengths[i * (m + 1) + j + 1]!) out.push({ kind: 'removed', text: x[i++]! });
    else out.push({ kind: 'added', text: y[j++]! });
  }
  while (i < n) out.push({ kind: 'removed', text: x[i++]! });
  while (j < m) out.push({ kind: 'added', text: y[j++]! });
  return out;
}

/** A value pretty-printed for reading and diffing: JSON indented by two, text as it is. */
export function prettyValue(value: unknown): string {
  if (value === undefined) return '';
  if (typeof value === 'string') return value;
  return JSON.stringify(value, null, 2);
}
