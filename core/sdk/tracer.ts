/**
 * Tracing from Node scripts: `flowdesk.trace(name, fn)` records `fn` as a span, and calls made
 * inside it (awaited or not) as its children, through AsyncLocalStorage. When the outermost span
 * ends, the whole trace is sent in one `traces.logSpans` request and its info with `traces.start`,
 * in MLflow's shapes (span attributes `mlflow.spanInputs`, `mlflow.spanOutputs`, `mlflow.spanType`
 * as JSON text; tag `mlflow.traceName`), so MLflow's own client reads these traces too.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import type { Client } from '#core/api/client.ts';
import type { SpanEvent, SpanInput } from '#core/api/traces-entities.ts';

/** Options of `flowdesk.trace`; `experiment`, `tags` and `runId` apply to the outermost span only. */
export interface TraceOptions {
  /** Experiment name (created when missing) or `{ id }`; by default MLFLOW_EXPERIMENT_ID or the Default experiment. */
  experiment?: string | { id: string };
  /** MLflow's span type: LLM, CHAIN, TOOL, RETRIEVER, AGENT, ... */
  spanType?: string;
  inputs?: unknown;
  attributes?: Record<string, unknown>;
  tags?: Record<string, string>;
  /** The run the trace belongs to (metadata mlflow.sourceRun): it goes to the trash with the run. */
  runId?: string;
}

/** What a traced function can add to its span while it runs. */
export interface SpanHandle {
  readonly traceId: string;
  readonly spanId: string;
  setInputs(value: unknown): void;
  /** The function's return value is the span's outputs unless set here. */
  setOutputs(value: unknown): void;
  setAttribute(key: string, value: unknown): void;
  addEvent(name: string, attributes?: Record<string, unknown>): void;
}

interface SpanRecord {
  spanId: string;
  parentSpanId?: string;
  name: string;
  startNs: bigint;
  endNs?: bigint;
  attributes: Record<string, string>;
  events: SpanEvent[];
  error?: string;
}

interface OpenTrace {
  traceId: string;
  spans: SpanRecord[];
}

const active = new AsyncLocalStorage<{ trace: OpenTrace; span: SpanRecord }>();

/** Now, in nanoseconds since the epoch (microsecond precision, from the monotonic clock's origin). */
function nowNs(): bigint {
  return BigInt(Math.round((performance.timeOrigin + performance.now()) * 1000)) * 1000n;
}

/** A value as MLflow keeps an attribute: JSON text. */
function jsonText(value: unknown): string {
  return JSON.stringify(value === undefined ? null : value);
}

/** Where a finished trace goes. */
export interface TraceSink {
  api: Client;
  resolveExperiment(experiment: TraceOptions['experiment']): Promise<string>;
}

/**
 * Runs `fn` as a span named `name`: a child of the span it runs in, or the root of a new trace,
 * which is sent when it ends. An error thrown by `fn` is recorded (status ERROR, an `exception`
 * event, as MLflow records it) and thrown on. A trace that cannot be sent is reported on stderr and
 * does not fail the traced code.
 */
export async function traceSpan<T>(sink: TraceSink, name: string, fn: (span: SpanHandle) => T | Promise<T>, options: TraceOptions = {}): Promise<T> {
  const parent = active.getStore();
  const trace: OpenTrace = parent?.trace ?? { traceId: `tr-${randomBytes(16).toString('hex')}`, spans: [] };
  const record: SpanRecord = {
    spanId: randomBytes(8).toString('hex'),
    parentSpanId: parent?.span.spanId,
    name,
    startNs: nowNs(),
    attributes: { 'mlflow.traceRequestId': jsonText(trace.traceId), 'mlflow.spanType': jsonText(options.spanType ?? 'UNKNOWN') },
    events: [],
  };
  if (options.inputs !== undefined) record.attributes['mlflow.spanInputs'] = jsonText(options.inputs);
  for (const [key, value] of Object.entries(options.attributes ?? {})) record.attributes[key] = jsonText(value);
  trace.spans.push(record);
  let outputsSet = false;
  const handle: SpanHandle = {
    traceId: trace.traceId,
    spanId: record.spanId,
    setInputs: (value) => void (record.attributes['mlflow.spanInputs'] = jsonText(value)),
    setOutputs: (value) => {
      outputsSet = true;
      record.attributes['mlflow.spanOutputs'] = jsonText(value);
    },
    setAttribute: (key, value) => void (record.attributes[key] = jsonText(value)),
    addEvent: (eventName, attributes = {}) => void record.events.push({ name: eventName, timeNs: nowNs().toString(), attributes }),
  };
  try {
    const result = await active.run({ trace, span: record }, () => fn(handle));
    if (!outputsSet && result !== undefined) record.attributes['mlflow.spanOutputs'] = jsonText(result);
    return result;
  } catch (err) {
    const error = err instanceof Error ? err : new Error(String(err));
    record.error = error.message;
    record.events.push({
      name: 'exception',
      timeNs: nowNs().toString(),
      attributes: { 'exception.type': error.name, 'exception.message': error.message, 'exception.stacktrace': error.stack ?? '' },
    });
    throw err;
  } finally {
    record.endNs = nowNs();
    if (!parent) await send(sink, trace, options).catch((err: unknown) => console.error(`flowdesk: could not record trace ${trace.traceId}:`, err));
  }
}

async function send(sink: TraceSink, trace: OpenTrace, options: TraceOptions): Promise<void> {
  const experimentId = await sink.resolveExperiment(options.experiment);
  const root = trace.spans[0]!;
  const spans: SpanInput[] = trace.spans.map((s) => ({
    traceId: trace.traceId,
    spanId: s.spanId,
    parentSpanId: s.parentSpanId,
    name: s.name,
    spanType: JSON.parse(s.attributes['mlflow.spanType']!) as string,
    startTimeNs: s.startNs.toString(),
    // A child left running (not awaited) ends with its trace.
    endTimeNs: (s.endNs ?? root.endNs!).toString(),
    status: s.error === undefined ? { code: 'OK', message: '' } : { code: 'ERROR', message: s.error },
    attributes: s.attributes,
    events: s.events,
  }));
  await sink.api.call('traces.logSpans', { experimentId, spans });
  const runId = options.runId ?? process.env.MLFLOW_RUN_ID;
  const startMs = Number(root.startNs / 1_000_000n);
  await sink.api.call('traces.start', {
    trace: {
      traceId: trace.traceId,
      experimentId,
      requestTime: startMs,
      executionDuration: Math.max(0, Number(root.endNs! / 1_000_000n) - startMs),
      state: root.error === undefined ? 'OK' : 'ERROR',
      requestPreview: root.attributes['mlflow.spanInputs']?.slice(0, 1000),
      responsePreview: root.attributes['mlflow.spanOutputs']?.slice(0, 1000),
      tags: { 'mlflow.traceName': root.name, ...options.tags },
      metadata: { 'mlflow.trace_schema.version': '3', ...(runId && { 'mlflow.sourceRun': runId }) },
    },
  });
}
