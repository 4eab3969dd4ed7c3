/**
 * What the traces table shows of a trace: short id, one-line previews of the request and the
 * response, latency, summed tokens, the person-given tags and the assessments in a few words;
 * the sorts the server answers; and where a trace that changed live goes among the loaded rows.
 */
import type { Assessment, TraceInfo } from '#core/api/traces-entities.ts';
import { fieldKey, type Suggestion, type Suggestions } from './filter-suggest.ts';

/** The columns the server can sort by, as traces.search's order_by names them. */
export const TRACE_SORTS = ['timestamp_ms', 'execution_time_ms', 'status', 'total_tokens', 'trace_id'] as const;
export type TraceSortField = (typeof TRACE_SORTS)[number];

/** The table's order: a field and its direction. */
export interface TraceSort {
  field: TraceSortField;
  ascending: boolean;
}

/** Newest first, as traces.search answers without an order. */
export const DEFAULT_TRACE_SORT: TraceSort = { field: 'timestamp_ms', ascending: false };

/** A sort from the URL's words; undefined (the default) for a field the table does not offer. */
export function traceSortOf(field: string | undefined, ascending: boolean): TraceSort | undefined {
  return (TRACE_SORTS as readonly string[]).includes(field ?? '') ? { field: field as TraceSortField, ascending } : undefined;
}

/** The order_by of a search for a sort. */
export function orderByOf(sort: TraceSort): string[] {
  return [`${sort.field} ${sort.ascending ? 'ASC' : 'DESC'}`];
}

/** The 32 hex digits of a trace id, shortened to the first 8 (the whole id is in the title). */
export function shortTraceId(traceId: string): string {
  return traceId.replace(/^tr-/, '').slice(0, 8);
}

/** The longest preview the table keeps of a request or response; a cell shows one line of it. */
const PREVIEW_CHARS = 300;

/** Whitespace (newlines too) folded to single spaces, cut to the preview's length. */
const oneLine = (text: string) => {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > PREVIEW_CHARS ? `${flat.slice(0, PREVIEW_CHARS - 1)}…` : flat;
};

/** The text of a chat message's content: a string, or the text parts of a list of parts. */
function contentText(content: unknown): string | undefined {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    const texts = content.map((part) => (part && typeof part === 'object' && typeof (part as { text?: unknown }).text === 'string' ? (part as { text: string }).text : undefined)).filter((t) => t !== undefined);
    return texts.length > 0 ? texts.join(' ') : undefined;
  }
  return undefined;
}

/**
 * A request or response preview (MLflow keeps it as JSON text) as one readable line: a chat's last
 * message, an object's only string value, a plain string unquoted; any other JSON compacted.
 */
export function previewText(preview: string | undefined): string {
  if (preview === undefined || preview === '') return '';
  let value: unknown;
  try {
    value = JSON.parse(preview);
  } catch {
    // Previews are cut at a length, so a long one is rarely whole JSON: shown as it is.
    return oneLine(preview);
  }
  if (typeof value === 'string') return oneLine(value);
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const record = value as Record<string, unknown>;
    const messages = Array.isArray(record.messages) ? record.messages : Array.isArray(record.choices) ? record.choices.map((c) => (c as { message?: unknown })?.message) : undefined;
    const last = messages?.at(-1) as { content?: unknown } | undefined;
    const text = last ? contentText(last.content) : undefined;
    if (text !== undefined) return oneLine(text);
    const values = Object.values(record);
    if (values.length === 1 && typeof values[0] === 'string') return oneLine(values[0]);
  }
  return oneLine(JSON.stringify(value));
}

/** A latency: milliseconds under a second, seconds to two digits under a minute, then minutes. */
export function formatLatency(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms) || ms < 0) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes} min ${Math.round((ms % 60_000) / 1000)} s`;
}

const clock = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
const dayAndTime = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
const date = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric' });

/** A trace's time in a narrow column: the clock for today's, day and minute for this year's, the date for older ones. */
export function compactTime(ms: number, now = Date.now()): string {
  const at = new Date(ms);
  const today = new Date(now);
  if (at.toDateString() === today.toDateString()) return clock.format(at);
  return at.getFullYear() === today.getFullYear() ? dayAndTime.format(at) : date.format(at);
}

/** Tags a person or their code set; MLflow's own (`mlflow.*`) are left out. */
export function userTags(trace: TraceInfo): [string, string][] {
  return Object.entries(trace.tags)
    .filter(([key]) => !key.startsWith('mlflow.'))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** An assessment's value in a few characters: yes/no, a number, a short string, or that it failed. */
export function assessmentValue(assessment: Assessment): string {
  if (assessment.feedback?.error) return 'error';
  const value = assessment.feedback ? assessment.feedback.value : (assessment.expectation?.value ?? assessment.expectation?.serializedValue?.value);
  if (value === true) return 'yes';
  if (value === false) return 'no';
  if (typeof value === 'number') return String(Number(value.toPrecision(4)));
  if (typeof value === 'string') return value.length > 24 ? `${value.slice(0, 23)}…` : value;
  if (value === undefined || value === null) return '—';
  const json = JSON.stringify(value);
  return json.length > 24 ? `${json.slice(0, 23)}…` : json;
}

/** A trace's valid assessments, feedback before expectations: `name: value` for the tooltip, the value for a chip. */
export function assessmentSummary(trace: TraceInfo): { text: string; value: string; kind: 'feedback' | 'expectation'; failed: boolean }[] {
  return trace.assessments
    .filter((a) => a.valid)
    .sort((a, b) => Number(a.feedback === undefined) - Number(b.feedback === undefined))
    .map((a) => ({ text: `${a.name}: ${assessmentValue(a)}`, value: assessmentValue(a), kind: a.feedback === undefined ? 'expectation' : 'feedback', failed: a.feedback?.error !== undefined || a.feedback?.value === false }));
}

/** The value a sort compares, as the server does: missing latency and tokens last whatever the direction. */
function sortValue(trace: TraceInfo, field: TraceSortField): number | string | undefined {
  switch (field) {
    case 'timestamp_ms':
      return trace.requestTime;
    case 'execution_time_ms':
      return trace.executionDuration;
    case 'status':
      return trace.state;
    case 'total_tokens':
      return trace.tokenUsage?.totalTokens;
    case 'trace_id':
      return trace.traceId;
  }
}

/** Orders two traces as traces.search does for `sort` (trace id ascending breaks ties). */
export function compareTraces(a: TraceInfo, b: TraceInfo, sort: TraceSort): number {
  const x = sortValue(a, sort.field);
  const y = sortValue(b, sort.field);
  if (x === undefined || y === undefined) {
    if (x !== y) return x === undefined ? 1 : -1;
  } else if (x !== y) {
    return (x < y ? -1 : 1) * (sort.ascending ? 1 : -1);
  }
  return a.traceId < b.traceId ? -1 : a.traceId > b.traceId ? 1 : 0;
}

/**
 * `rows` with traces that changed put in: one already shown is replaced where it is; a new one is
 * inserted in order, unless it falls past the loaded rows while more are to come (a later page
 * brings it); `gone` (deleted, or no longer matching) are taken out.
 */
export function mergeTraces(rows: readonly TraceInfo[], changed: readonly TraceInfo[], gone: ReadonlySet<string>, sort: TraceSort, hasMore: boolean): TraceInfo[] {
  const byId = new Map(changed.map((t) => [t.traceId, t]));
  const merged: TraceInfo[] = [];
  for (const row of rows) {
    if (gone.has(row.traceId)) continue;
    const update = byId.get(row.traceId);
    byId.delete(row.traceId);
    merged.push(update ?? row);
  }
  for (const trace of byId.values()) {
    let at = merged.findIndex((row) => compareTraces(trace, row, sort) < 0);
    if (at < 0) {
      if (hasMore) continue;
      at = merged.length;
    }
    merged.splice(at, 0, trace);
  }
  return merged;
}

/** A filter narrowed to some traces by id; the filter is parenthesized so its ORs stay inside. */
export function withTraceIds(filter: string, traceIds: readonly string[]): string {
  const ids = `trace.trace_id IN (${traceIds.map((id) => `'${id.replaceAll("'", "''")}'`).join(', ')})`;
  return filter.trim() === '' ? ids : `(${filter}) AND ${ids}`;
}

/** Fields of MLflow's trace filter language, by prefix, as the filter box suggests them. */
const TRACE_FIELDS = ['status', 'timestamp_ms', 'execution_time_ms', 'name', 'run_id', 'trace_id', 'client_request_id'] as const;
const SPAN_FIELDS = ['name', 'type', 'status'] as const;
const TRACE_PREFIXES = ['trace.', 'tags.', 'metadata.', 'span.'] as const;

/**
 * Suggestions for the traces filter box: the prefixes, then a prefix's fields (`trace.`, `span.`)
 * or the tag keys the loaded traces have (`tags.`), for the word at the caret.
 */
export function suggestTraceFilter(text: string, caret: number, tagKeys: readonly string[]): Suggestions {
  const before = text.slice(0, caret);
  const none = { from: caret, to: caret, items: [] };
  if ((before.match(/'/g)?.length ?? 0) % 2 === 1 || (before.match(/"/g)?.length ?? 0) % 2 === 1) return none;
  const word = /[A-Za-z_][A-Za-z0-9_.`-]*$/.exec(before);
  if (!word) return none;
  const from = word.index;
  const to = caret + (/^[A-Za-z0-9_.`]*/.exec(text.slice(caret))?.[0].length ?? 0);
  const typed = word[0].toLowerCase();
  const dot = typed.indexOf('.');
  if (dot < 0) return { from, to, items: TRACE_PREFIXES.filter((p) => p.startsWith(typed)).map((p) => ({ label: p, insert: p, kind: 'entity' as const })) };
  const prefix = typed.slice(0, dot);
  const partial = typed.slice(dot + 1).replace(/^`/, '');
  const pool = prefix === 'trace' || prefix === 'attributes' ? TRACE_FIELDS : prefix === 'span' ? SPAN_FIELDS : prefix === 'tags' || prefix === 'tag' ? tagKeys : [];
  const kind = prefix === 'tags' || prefix === 'tag' ? ('tag' as const) : ('attribute' as const);
  const items = pool
    .filter((k) => k.toLowerCase().startsWith(partial) && k.toLowerCase() !== partial)
    .slice(0, 30)
    .map((k): Suggestion => ({ label: k, insert: `${word[0].slice(0, dot)}.${fieldKey(k)}`, kind }));
  return { from, to, items };
}
