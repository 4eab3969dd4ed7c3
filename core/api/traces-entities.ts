/**
 * Entities of tracing (MLflow 3 traces): a trace's info, its spans and its assessments, and the
 * limits every way in (the MLflow REST API, OpenTelemetry, the SDK) is held to. Schemas (zod)
 * and their types; field names follow MLflow's TraceInfoV3, Span and Assessment.
 */
import { z } from 'zod';

/** Bounds on what one request may bring, so no single request can swamp the catalog. */
export const TRACE_LIMITS = {
  /** Spans one request may log (one OTLP export, one uploaded trace data file). */
  spansPerRequest: 10_000,
  /** Attributes one span may carry. */
  attributesPerSpan: 1_000,
  /** Length of an attribute or tag key. */
  keyLength: 1_000,
  /** Length of one attribute value as MLflow stores it (JSON text); larger ones are refused. */
  attributeValueLength: 4 * 1024 * 1024,
  /** Events one span may carry. */
  eventsPerSpan: 1_000,
  /** Length of a tag or metadata value. */
  tagValueLength: 8_000,
  /** Characters kept of a request or response preview. */
  previewLength: 10_000,
} as const;

/** The tag naming where a trace's data lives, which the MLflow client uploads to and reads from. */
export const ARTIFACT_LOCATION_TAG = 'mlflow.artifactLocation';
/** The trace data file's name inside the trace's artifact location, as MLflow names it. */
export const TRACE_DATA_FILE = 'traces.json';

/** MLflow's TraceInfoV3 state. */
export const TRACE_STATES = ['STATE_UNSPECIFIED', 'OK', 'ERROR', 'IN_PROGRESS'] as const;
export const traceState = z.enum(TRACE_STATES);
export type TraceState = z.infer<typeof traceState>;

const stringMap = z.record(z.string().max(TRACE_LIMITS.keyLength), z.string().max(TRACE_LIMITS.tagValueLength));

/** Where an assessment came from: a person, an LLM judge or code, and who or which. */
export const assessmentSource = z.object({
  sourceType: z.enum(['SOURCE_TYPE_UNSPECIFIED', 'HUMAN', 'LLM_JUDGE', 'CODE']),
  sourceId: z.string(),
});

export const assessmentError = z.object({
  errorCode: z.string().optional(),
  errorMessage: z.string().optional(),
  stackTrace: z.string().optional(),
});

/** A feedback: a value (any JSON) or the error that kept the judge from giving one. */
export const feedbackValue = z.object({ value: z.unknown().optional(), error: assessmentError.optional() });
/** An expectation: a value (any JSON), or a serialized one with its format. */
export const expectationValue = z.object({
  value: z.unknown().optional(),
  serializedValue: z.object({ serializationFormat: z.string(), value: z.string() }).optional(),
});

/** Feedback or an expectation on a trace (or one of its spans). */
export const assessment = z.object({
  assessmentId: z.string(),
  name: z.string(),
  traceId: z.string(),
  spanId: z.string().optional(),
  source: assessmentSource,
  /** Milliseconds since the epoch. */
  createTime: z.number(),
  lastUpdateTime: z.number(),
  feedback: feedbackValue.optional(),
  expectation: expectationValue.optional(),
  rationale: z.string().optional(),
  metadata: z.record(z.string(), z.string()).optional(),
  /** The assessment this one replaces; that one is then no longer `valid`. */
  overrides: z.string().optional(),
  valid: z.boolean(),
});
export type Assessment = z.infer<typeof assessment>;

/** A new assessment: the server assigns the id and the times. */
export const assessmentInput = z.object({
  name: z.string().min(1).max(TRACE_LIMITS.keyLength),
  spanId: z.string().optional(),
  source: assessmentSource,
  feedback: feedbackValue.optional(),
  expectation: expectationValue.optional(),
  rationale: z.string().optional(),
  metadata: stringMap.optional(),
  overrides: z.string().optional(),
  valid: z.boolean().optional(),
});
export type AssessmentInput = z.infer<typeof assessmentInput>;

/** Tokens an LLM call (or a whole trace, summed) used. */
export const tokenUsage = z.object({ inputTokens: z.number(), outputTokens: z.number(), totalTokens: z.number() });
export type TokenUsage = z.infer<typeof tokenUsage>;

/** What a trace is, without its spans (MLflow's TraceInfoV3). */
export const traceInfo = z.object({
  traceId: z.string(),
  experimentId: z.string(),
  clientRequestId: z.string().optional(),
  /** Milliseconds since the epoch. */
  requestTime: z.number(),
  /** Milliseconds; absent while unknown. */
  executionDuration: z.number().optional(),
  state: traceState,
  requestPreview: z.string().optional(),
  responsePreview: z.string().optional(),
  metadata: z.record(z.string(), z.string()),
  tags: z.record(z.string(), z.string()),
  assessments: z.array(assessment),
  /** Runs the trace was linked to after it was made (its own run is metadata mlflow.sourceRun). */
  linkedRunIds: z.array(z.string()),
  /** Summed over the trace's spans (or as the client reported it in metadata). */
  tokenUsage: tokenUsage.optional(),
  spanCount: z.number(),
});
export type TraceInfo = z.infer<typeof traceInfo>;

/** A trace as a client creates it (MLflow's StartTraceV3); the server adds the artifact location tag. */
export const traceInfoInput = z.object({
  traceId: z.string().regex(/^tr-[0-9a-f]{32}$/, "a trace id is 'tr-' and 32 lower-case hex digits"),
  experimentId: z.string().min(1),
  clientRequestId: z.string().optional(),
  requestTime: z.number().int().min(0),
  executionDuration: z.number().int().min(0).optional(),
  state: traceState,
  requestPreview: z.string().optional(),
  responsePreview: z.string().optional(),
  metadata: stringMap.optional(),
  tags: stringMap.optional(),
  assessments: z.array(assessmentInput).optional(),
});
export type TraceInfoInput = z.infer<typeof traceInfoInput>;

/** OpenTelemetry's status of a span. */
export const SPAN_STATUS_CODES = ['UNSET', 'OK', 'ERROR'] as const;

export const spanEvent = z.object({
  name: z.string(),
  /** Nanoseconds since the epoch, as decimal text (exact beyond 2^53). */
  timeNs: z.string().regex(/^\d{1,20}$/),
  attributes: z.record(z.string(), z.unknown()),
});
export type SpanEvent = z.infer<typeof spanEvent>;

/**
 * One span. Ids are OpenTelemetry's in hex; times nanoseconds as decimal text. Attribute values
 * are JSON text, as MLflow keeps them (`mlflow.spanInputs` holds the inputs' JSON).
 */
export const span = z.object({
  spanId: z.string().regex(/^[0-9a-f]{16}$/, 'a span id is 16 lower-case hex digits'),
  parentSpanId: z.string().regex(/^[0-9a-f]{16}$/, 'a span id is 16 lower-case hex digits').optional(),
  name: z.string().max(TRACE_LIMITS.keyLength),
  spanType: z.string().optional(),
  startTimeNs: z.string().regex(/^\d{1,20}$/),
  endTimeNs: z.string().regex(/^\d{1,20}$/).optional(),
  status: z.object({ code: z.enum(SPAN_STATUS_CODES), message: z.string() }),
  attributes: z.record(z.string().max(TRACE_LIMITS.keyLength), z.string().max(TRACE_LIMITS.attributeValueLength)),
  events: z.array(spanEvent).max(TRACE_LIMITS.eventsPerSpan),
  /** Names of attributes cut short here; `traces.getSpan` reads them whole. */
  truncated: z.array(z.string()).optional(),
});
export type Span = z.infer<typeof span>;

/** A span as logged: its trace's MLflow id beside it. */
export const spanInput = span.omit({ truncated: true }).extend({ traceId: z.string().regex(/^tr-[0-9a-f]{32}$/) });
export type SpanInput = z.infer<typeof spanInput>;
