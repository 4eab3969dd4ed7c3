/**
 * Contract methods of tracing (MLflow 3 traces): create and read traces, their spans (from
 * MLflow's uploaded trace data or from OpenTelemetry), search, tags, links to runs, deletion and
 * assessments. The MLflow REST routes and `POST /v1/traces` translate onto these.
 */
import { z } from 'zod';
import { method } from './contract-method.ts';
import { TEAM_READ, TEAM_WRITE } from './access.ts';
import { assessment, assessmentInput, expectationValue, feedbackValue, span, spanInput, TRACE_LIMITS, traceInfo, traceInfoInput } from './traces-entities.ts';

const traceId = z.string().min(1);
const empty = z.object({});

export const tracesContract = {
  'traces.start': method(
    "Records a trace's info (MLflow's StartTraceV3, sent when the trace ends) in an active experiment, with the tag mlflow.artifactLocation naming where its data goes. A trace that already exists (its spans came first, over OpenTelemetry) takes the new info; its spans stay.",
    z.object({ trace: traceInfoInput }),
    z.object({ trace: traceInfo }),
    TEAM_WRITE,
  ),
  'traces.get': method('Gets a trace\'s info with its tags, metadata, assessments and linked runs.', z.object({ traceId }), z.object({ trace: traceInfo }), TEAM_READ),
  'traces.spans': method(
    "A trace's spans, parents before children and in start order. Attribute values over 64 KiB are cut short here and named in `truncated`; `traces.getSpan` reads one span whole.",
    z.object({ traceId }),
    z.object({ spans: z.array(span) }),
    TEAM_READ,
  ),
  'traces.getSpan': method('One span of a trace with all its attributes, large ones read from the artifact store.', z.object({ traceId, spanId: z.string() }), z.object({ span }), TEAM_READ),
  'traces.putData': method(
    "Stores a trace's data as MLflow's client uploads it (`traces.json`: `{\"spans\": [...]}`), kept as the file the client reads back, and indexes its spans for search and the window. Malformed data is refused and nothing is stored.",
    z.object({ traceId, json: z.string() }),
    z.object({ spanCount: z.number() }),
    TEAM_WRITE,
  ),
  'traces.readData': method(
    "A trace's data as MLflow's client reads it (`traces.json`): the uploaded file, or, for a trace whose spans came over OpenTelemetry, the same shape built from its spans.",
    z.object({ traceId }),
    z.object({ json: z.string() }),
    TEAM_READ,
  ),
  'traces.logSpans': method(
    'Logs spans into an active experiment, all in one transaction: spans of a trace not seen before create it; spans of one trace may arrive over several calls and join it. A span logged again replaces the earlier one.',
    z.object({ experimentId: z.string().min(1), spans: z.array(spanInput).min(1).max(TRACE_LIMITS.spansPerRequest) }),
    z.object({ traceIds: z.array(z.string()) }),
    TEAM_WRITE,
  ),
  'traces.search': method(
    "Finds traces in experiments with MLflow 3's trace filter language (trace.status, trace.timestamp_ms, trace.execution_time_ms, trace.name, trace.run_id, tags., metadata., span.name, span.type, span.status) plus OR, NOT and parentheses; sorted (default: newest first) and paged. `runId` keeps the traces made in or linked to a run, `modelId` those of a logged model. Traces of deleted runs and experiments are left out.",
    z.object({
      experimentIds: z.array(z.string()).min(1).max(100),
      filter: z.string().optional(),
      orderBy: z.array(z.string()).optional(),
      runId: z.string().optional(),
      modelId: z.string().optional(),
      maxResults: z.number().int().min(1).optional(),
      pageToken: z.string().optional(),
    }),
    z.object({ traces: z.array(traceInfo), nextPageToken: z.string().optional() }),
    TEAM_READ,
  ),
  'traces.delete': method(
    "Deletes traces of an experiment for good, with their data: by id (`traceIds`), or those older than `maxTimestampMs` (inclusive), oldest first, at most `maxTraces`. Answers how many were deleted.",
    z.object({
      experimentId: z.string().min(1),
      traceIds: z.array(z.string()).max(10_000).optional(),
      maxTimestampMs: z.number().int().optional(),
      maxTraces: z.number().int().min(1).optional(),
    }),
    z.object({ deleted: z.number() }),
    TEAM_WRITE,
  ),
  'traces.setTag': method(
    'Sets a tag on a trace (replacing its value). mlflow.artifactLocation is the server\'s and cannot be set.',
    z.object({ traceId, key: z.string().min(1).max(TRACE_LIMITS.keyLength), value: z.string().max(TRACE_LIMITS.tagValueLength) }),
    empty,
    TEAM_WRITE,
  ),
  'traces.deleteTag': method('Deletes a tag of a trace; a missing tag is RESOURCE_DOES_NOT_EXIST.', z.object({ traceId, key: z.string().min(1) }), empty, TEAM_WRITE),
  'traces.linkToRun': method(
    'Links traces (at most 100) to a run, so searches by that run find them.',
    z.object({ traceIds: z.array(z.string()).max(100), runId: z.string().min(1) }),
    empty,
    TEAM_WRITE,
  ),
  'traces.createAssessment': method(
    'Adds feedback or an expectation (exactly one) to a trace. One that `overrides` another makes that one invalid.',
    z.object({ traceId, assessment: assessmentInput }),
    z.object({ assessment }),
    TEAM_WRITE,
  ),
  'traces.getAssessment': method('One assessment of a trace.', z.object({ traceId, assessmentId: z.string() }), z.object({ assessment }), TEAM_READ),
  'traces.updateAssessment': method(
    "Changes an assessment's name, value (a feedback's stays feedback, an expectation's an expectation), rationale, validity or metadata (merged, new keys winning); its source and span stay.",
    z.object({
      traceId,
      assessmentId: z.string(),
      name: z.string().min(1).max(TRACE_LIMITS.keyLength).optional(),
      feedback: feedbackValue.optional(),
      expectation: expectationValue.optional(),
      rationale: z.string().optional(),
      metadata: z.record(z.string(), z.string()).optional(),
      valid: z.boolean().optional(),
    }),
    z.object({ assessment }),
    TEAM_WRITE,
  ),
  'traces.deleteAssessment': method(
    'Deletes an assessment (deleting one that is gone succeeds); the one it overrode becomes valid again.',
    z.object({ traceId, assessmentId: z.string() }),
    empty,
    TEAM_WRITE,
  ),
  // The window's traces table: the exact number of matches, beside the pages it loads.
  'traces.count': method(
    'How many traces `traces.search` would find for the same experiments, run or logged model and filter, counted on the server.',
    z.object({ experimentIds: z.array(z.string()).min(1).max(100), filter: z.string().optional(), runId: z.string().optional(), modelId: z.string().optional() }),
    z.object({ count: z.number().int() }),
    TEAM_READ,
  ),
} as const;
