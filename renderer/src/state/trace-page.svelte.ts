/**
 * The trace view's state: the trace's info and spans, the full attributes of spans whose large
 * values were cut short (read on demand with `traces.getSpan`), and the edits made on the page
 * (tags, assessments), all through the contract. Failures of edits go to the toasts; a trace that
 * cannot be read at all sets `error`, which the page shows in place of the trace.
 */
import type { Assessment, AssessmentInput, Span, TraceInfo } from '#core/api/traces-entities.ts';
import { api } from './api.ts';
import { reportError } from './toasts.svelte.ts';

/** What an edit of an assessment may change. */
export interface AssessmentChange {
  feedback?: { value: unknown };
  expectation?: { value: unknown };
  rationale?: string;
}

export class TracePageState {
  trace = $state.raw<TraceInfo | undefined>(undefined);
  spans = $state.raw<Span[]>([]);
  /** Whole spans read with `traces.getSpan`, by span id. */
  fullSpans = $state.raw<ReadonlyMap<string, Span>>(new Map());
  /** Spans whose whole attributes are being read. */
  loadingSpans = $state.raw<ReadonlySet<string>>(new Set());
  loaded = $state(false);
  /** Why the trace could not be opened (unknown id, server failure). */
  error = $state<string | undefined>(undefined);

  constructor(readonly traceId: string) {}

  /** Loads (or reloads) the trace's info and spans. */
  async load(): Promise<void> {
    try {
      const [{ trace }, { spans }] = await Promise.all([api.call('traces.get', { traceId: this.traceId }), api.call('traces.spans', { traceId: this.traceId })]);
      this.trace = trace;
      this.spans = spans;
      this.error = undefined;
    } catch (err) {
      this.error = err instanceof Error ? err.message : String(err);
    }
    this.loaded = true;
  }

  /** A span as the page should show it: whole when it has been read whole. */
  spanOf(spanId: string): Span | undefined {
    return this.fullSpans.get(spanId) ?? this.spans.find((s) => s.spanId === spanId);
  }

  /** Reads a span whole when some of its values were cut short; no-op otherwise or when already read. */
  async loadFullSpan(span: Span): Promise<void> {
    if (!span.truncated || span.truncated.length === 0) return;
    if (this.fullSpans.has(span.spanId) || this.loadingSpans.has(span.spanId)) return;
    this.loadingSpans = new Set([...this.loadingSpans, span.spanId]);
    try {
      const whole = (await api.call('traces.getSpan', { traceId: this.traceId, spanId: span.spanId })).span;
      this.fullSpans = new Map([...this.fullSpans, [span.spanId, whole]]);
    } catch (err) {
      reportError(`Loading the full values of span ${span.name}`, err);
    } finally {
      const rest = new Set(this.loadingSpans);
      rest.delete(span.spanId);
      this.loadingSpans = rest;
    }
  }

  /** Reads the trace's info again after an edit (its spans do not change). */
  async #reloadInfo(): Promise<void> {
    this.trace = (await api.call('traces.get', { traceId: this.traceId })).trace;
  }

  /** Runs an edit, reloads the info, and reports a failure; true when it worked. */
  async #edit(action: string, run: () => Promise<unknown>): Promise<boolean> {
    try {
      await run();
      await this.#reloadInfo();
      return true;
    } catch (err) {
      reportError(action, err);
      return false;
    }
  }

  setTag(key: string, value: string): Promise<boolean> {
    return this.#edit(`Setting the tag ${key}`, () => api.call('traces.setTag', { traceId: this.traceId, key, value }));
  }

  deleteTag(key: string): Promise<boolean> {
    return this.#edit(`Deleting the tag ${key}`, () => api.call('traces.deleteTag', { traceId: this.traceId, key }));
  }

  addAssessment(assessment: AssessmentInput): Promise<boolean> {
    return this.#edit(`Adding the assessment ${assessment.name}`, () => api.call('traces.createAssessment', { traceId: this.traceId, assessment }));
  }

  updateAssessment(assessment: Assessment, change: AssessmentChange): Promise<boolean> {
    return this.#edit(`Changing the assessment ${assessment.name}`, () =>
      api.call('traces.updateAssessment', { traceId: this.traceId, assessmentId: assessment.assessmentId, ...change }),
    );
  }

  deleteAssessment(assessment: Assessment): Promise<boolean> {
    return this.#edit(`Deleting the assessment ${assessment.name}`, () => api.call('traces.deleteAssessment', { traceId: this.traceId, assessmentId: assessment.assessmentId }));
  }
}
