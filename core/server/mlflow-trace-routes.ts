/**
 * Tracing over HTTP, as MLflow 3.5.1's client and OpenTelemetry exporters call it:
 *
 * - MLflow's trace RPCs, each under the API version MLflow's server gives it (`/api/3.0/mlflow`
 *   for StartTraceV3, GetTraceInfoV3, SearchTracesV3 and assessments; `/api/2.0/mlflow` for the
 *   older StartTrace/EndTrace/GetTraceInfo/SearchTraces, tags, DeleteTraces and LinkTracesToRun),
 *   with their `/ajax-api/` twins. Field names are read as sent: trace metadata and tag maps hold
 *   keys like `mlflow.sourceRun` that must not be renamed.
 * - The trace data file (`traces.json`) the client PUTs to and GETs from the trace's artifact
 *   location through the artifact proxy: this module answers those two exact paths, so the file
 *   is indexed into the span table as it arrives (span searches and the window see the spans
 *   at once, not after someone first opens the trace), and a trace whose spans came over
 *   OpenTelemetry reads back in the same format.
 * - `POST /v1/traces`: OTLP/HTTP in protobuf or JSON, the experiment named by MLflow's
 *   `x-mlflow-experiment-id` header; all spans of one request are logged in one transaction.
 *
 * Every route goes through the contract's dispatch (`callContract`), which checks the caller.
 */
import { randomBytes } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { invalid } from '#core/api/errors.ts';
import type { Assessment, AssessmentInput, TraceInfo, TraceState } from '#core/api/traces-entities.ts';
import { ARTIFACT_LOCATION_TAG, TRACE_DATA_FILE, TRACE_STATES } from '#core/api/traces-entities.ts';
import { checkArtifactPath } from '#core/api/artifact-path.ts';
import { storePathIn } from '#core/api/artifact-locations.ts';
import { contentDisposition, sendArtifactFile } from './artifact-download.ts';
import { artifactPathAfter } from './artifact-request.ts';
import { callContract, optionalBool, optionalInt, optionalString, requireString, type MlflowFields } from './mlflow-support.ts';
import { messages, optionalMessage, strings } from './mlflow-fields.ts';
import { JSON_BODY_LIMIT } from '#core/platform/http-body.ts';
import type { ServerContext } from './server-context.ts';

type Verb = 'GET' | 'POST' | 'PATCH' | 'DELETE' | 'PUT';

/** The largest trace data file accepted: it is parsed whole to index its spans. */
export const TRACE_DATA_LIMIT = 64 * 1024 * 1024;

/** MLflow's header naming the experiment of spans sent over OTLP. */
export const EXPERIMENT_HEADER = 'x-mlflow-experiment-id';

/**
 * Registers an MLflow trace RPC under `/api/<version>.0/mlflow` and its `/ajax-api/` twin. The
 * handler gets the query string for GET, the JSON body otherwise (falling back to the query for a
 * DELETE without one).
 */
function traceRpc(
  app: FastifyInstance,
  version: 2 | 3,
  verb: Verb,
  path: string,
  handler: (fields: MlflowFields, request: FastifyRequest) => Promise<object>,
): void {
  for (const api of ['api', 'ajax-api']) {
    app.route({
      method: verb,
      url: `/${api}/${version}.0/mlflow${path}`,
      handler: async (request) => {
        const fields = (verb === 'GET' ? request.query : (request.body ?? request.query)) ?? {};
        if (typeof fields !== 'object' || Array.isArray(fields)) throw invalid('The request body must be a JSON object');
        return handler(fields as MlflowFields, request);
      },
    });
  }
}

/** Path parameters of a route. */
function params(request: FastifyRequest): Record<string, string> {
  return request.params as Record<string, string>;
}

/** A protobuf Timestamp in JSON (RFC 3339) as milliseconds since the epoch. */
function timestampMs(value: unknown, where: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw invalid(`Invalid value for '${where}': expected an RFC 3339 timestamp`);
  const match = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/.exec(value);
  const base = match ? Date.parse(`${match[1]}${match[3]}`) : Number.NaN;
  if (!match || Number.isNaN(base)) throw invalid(`Invalid value '${value}' for '${where}': expected an RFC 3339 timestamp`);
  return base + Math.floor(Number(`0.${match[2] ?? '0'}`) * 1000);
}

/** A protobuf Duration in JSON (`"1.5s"`) as milliseconds. */
function durationMs(value: unknown, where: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  const match = typeof value === 'string' ? /^(\d+)(?:\.(\d{1,9}))?s$/.exec(value) : null;
  if (!match) throw invalid(`Invalid value ${JSON.stringify(value)} for '${where}': expected a duration such as "1.5s"`);
  return Number(match[1]) * 1000 + Math.floor(Number(`0.${match[2] ?? '0'}`) * 1000);
}

const toTimestamp = (ms: number) => new Date(ms).toISOString();
const toDuration = (ms: number) => `${Math.floor(ms / 1000)}.${String(ms % 1000).padStart(3, '0')}s`;

/** A string-to-string map field (trace_metadata, tags, metadata); values stringified as MLflow does. */
function stringMap(fields: MlflowFields, name: string): Record<string, string> {
  const value = fields[name];
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw invalid(`Invalid value for '${name}': expected an object of strings`);
  const out: Record<string, string> = {};
  for (const [key, v] of Object.entries(value)) {
    if (typeof v === 'object' && v !== null) throw invalid(`Invalid value for '${name}.${key}': expected a string`);
    out[key] = typeof v === 'string' ? v : String(v);
  }
  return out;
}

/** A `[{key, value}]` list as the v2 messages carry metadata and tags. */
function keyValueMap(fields: MlflowFields, name: string): Record<string, string> {
  return Object.fromEntries(messages(fields, name).map((kv) => [requireString(kv, 'key'), optionalString(kv, 'value') ?? '']));
}

/** An enum given by name or by proto number. */
function enumOf<T extends string>(value: unknown, names: readonly T[], where: string): T | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const found = typeof value === 'number' ? names[value] : names.find((n) => n === String(value).toUpperCase());
  if (found === undefined) throw invalid(`Invalid value ${JSON.stringify(value)} for '${where}': expected one of ${names.join(', ')}`);
  return found;
}

/** MLflow's v2 TraceStatus: the same states, with its own name for "unspecified". */
const V2_STATUSES = ['TRACE_STATUS_UNSPECIFIED', 'OK', 'ERROR', 'IN_PROGRESS'] as const;
const stateOfV2 = (status: (typeof V2_STATUSES)[number] | undefined): TraceState => (status === undefined || status === 'TRACE_STATUS_UNSPECIFIED' ? 'STATE_UNSPECIFIED' : status);
const v2Status = (state: TraceState) => (state === 'STATE_UNSPECIFIED' ? 'TRACE_STATUS_UNSPECIFIED' : state);

const SOURCE_TYPES = ['SOURCE_TYPE_UNSPECIFIED', 'HUMAN', 'LLM_JUDGE', 'CODE'] as const;

/** An assessment in MLflow's JSON. */
function toMlflowAssessment(a: Assessment): Record<string, unknown> {
  const out: Record<string, unknown> = {
    assessment_id: a.assessmentId,
    assessment_name: a.name,
    trace_id: a.traceId,
    source: { source_type: a.source.sourceType, source_id: a.source.sourceId },
    create_time: toTimestamp(a.createTime),
    last_update_time: toTimestamp(a.lastUpdateTime),
    valid: a.valid,
  };
  if (a.spanId !== undefined) out.span_id = a.spanId;
  if (a.feedback) {
    const feedback: Record<string, unknown> = {};
    if (a.feedback.value !== undefined) feedback.value = a.feedback.value;
    if (a.feedback.error) {
      const { errorCode, errorMessage, stackTrace } = a.feedback.error;
      feedback.error = { ...(errorCode !== undefined && { error_code: errorCode }), ...(errorMessage !== undefined && { error_message: errorMessage }), ...(stackTrace !== undefined && { stack_trace: stackTrace }) };
    }
    out.feedback = feedback;
  }
  if (a.expectation) {
    const expectation: Record<string, unknown> = {};
    if (a.expectation.value !== undefined) expectation.value = a.expectation.value;
    if (a.expectation.serializedValue) expectation.serialized_value = { serialization_format: a.expectation.serializedValue.serializationFormat, value: a.expectation.serializedValue.value };
    out.expectation = expectation;
  }
  if (a.rationale !== undefined) out.rationale = a.rationale;
  if (a.metadata !== undefined) out.metadata = a.metadata;
  if (a.overrides !== undefined) out.overrides = a.overrides;
  return out;
}

function feedbackOf(fields: MlflowFields | undefined): AssessmentInput['feedback'] {
  if (!fields) return undefined;
  const error = optionalMessage(fields, 'error');
  return {
    ...(fields.value !== undefined && { value: fields.value }),
    ...(error && {
      error: { errorCode: optionalString(error, 'error_code'), errorMessage: optionalString(error, 'error_message'), stackTrace: optionalString(error, 'stack_trace') },
    }),
  };
}

function expectationOf(fields: MlflowFields | undefined): AssessmentInput['expectation'] {
  if (!fields) return undefined;
  const serialized = optionalMessage(fields, 'serialized_value');
  return {
    ...(fields.value !== undefined && { value: fields.value }),
    ...(serialized && { serializedValue: { serializationFormat: optionalString(serialized, 'serialization_format') ?? '', value: optionalString(serialized, 'value') ?? '' } }),
  };
}

/** A new assessment from MLflow's Assessment message. */
function assessmentInputOf(fields: MlflowFields): AssessmentInput {
  const source = optionalMessage(fields, 'source');
  if (!source) throw invalid("Missing value for required parameter 'assessment.source'.");
  return {
    name: requireString(fields, 'assessment_name'),
    spanId: optionalString(fields, 'span_id') || undefined,
    source: { sourceType: enumOf(source.source_type, SOURCE_TYPES, 'assessment.source.source_type') ?? 'SOURCE_TYPE_UNSPECIFIED', sourceId: optionalString(source, 'source_id') ?? '' },
    feedback: feedbackOf(optionalMessage(fields, 'feedback')),
    expectation: expectationOf(optionalMessage(fields, 'expectation')),
    rationale: optionalString(fields, 'rationale'),
    metadata: stringMap(fields, 'metadata'),
    overrides: optionalString(fields, 'overrides') || undefined,
    valid: optionalBool(fields, 'valid'),
  };
}

/** A trace's info as MLflow's TraceInfoV3 JSON. */
export function toMlflowTraceInfoV3(t: TraceInfo): Record<string, unknown> {
  const out: Record<string, unknown> = {
    trace_id: t.traceId,
    trace_location: { type: 'MLFLOW_EXPERIMENT', mlflow_experiment: { experiment_id: t.experimentId } },
    request_time: toTimestamp(t.requestTime),
    state: t.state,
    trace_metadata: t.metadata,
    tags: t.tags,
  };
  if (t.clientRequestId !== undefined) out.client_request_id = t.clientRequestId;
  if (t.requestPreview !== undefined) out.request_preview = t.requestPreview;
  if (t.responsePreview !== undefined) out.response_preview = t.responsePreview;
  if (t.executionDuration !== undefined) out.execution_duration = toDuration(t.executionDuration);
  if (t.assessments.length > 0) out.assessments = t.assessments.map(toMlflowAssessment);
  return out;
}

/** A trace's info as MLflow's v2 TraceInfo JSON. */
function toMlflowTraceInfoV2(t: TraceInfo): Record<string, unknown> {
  return {
    request_id: t.traceId,
    experiment_id: t.experimentId,
    timestamp_ms: t.requestTime,
    ...(t.executionDuration !== undefined && { execution_time_ms: t.executionDuration }),
    status: v2Status(t.state),
    request_metadata: Object.entries(t.metadata).map(([key, value]) => ({ key, value })),
    tags: Object.entries(t.tags).map(([key, value]) => ({ key, value })),
  };
}

/** The experiment ids of SearchTracesV3's `locations`. */
function experimentLocations(fields: MlflowFields): string[] {
  const locations = messages(fields, 'locations');
  if (locations.length === 0) throw invalid("Missing value for required parameter 'locations'.");
  return locations.map((location, i) => {
    const experiment = optionalMessage(location, 'mlflow_experiment');
    if (!experiment) throw invalid(`Invalid value for 'locations[${i}]': only MLflow experiment locations are supported`);
    return requireString(experiment, 'experiment_id');
  });
}

/** `update_mask` of UpdateAssessment: a FieldMask, in JSON a comma-separated string of lowerCamelCase paths. */
function maskPaths(value: unknown): Set<string> {
  const text = typeof value === 'string' ? value : value && typeof value === 'object' && Array.isArray((value as { paths?: unknown }).paths) ? ((value as { paths: unknown[] }).paths.join(',')) : undefined;
  if (text === undefined) throw invalid("Missing value for required parameter 'update_mask'.");
  return new Set(text.split(',').map((p) => p.trim().replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)).filter((p) => p !== ''));
}

/** Registers the MLflow trace RPCs (v2 and v3). */
function registerTraceRpcs(app: FastifyInstance, context: ServerContext): void {
  traceRpc(app, 3, 'POST', '/traces', async (fields, request) => {
    const info = optionalMessage(optionalMessage(fields, 'trace') ?? {}, 'trace_info');
    if (!info) throw invalid("Missing value for required parameter 'trace.trace_info'.");
    const location = optionalMessage(info, 'trace_location');
    const experiment = location && optionalMessage(location, 'mlflow_experiment');
    if (!experiment) throw invalid("Missing value for required parameter 'trace.trace_info.trace_location.mlflow_experiment'.");
    const { trace } = await callContract(context, request, 'traces.start', {
      trace: {
        traceId: requireString(info, 'trace_id'),
        experimentId: requireString(experiment, 'experiment_id'),
        clientRequestId: optionalString(info, 'client_request_id') || undefined,
        requestTime: timestampMs(info.request_time, 'trace_info.request_time') ?? Date.now(),
        executionDuration: durationMs(info.execution_duration, 'trace_info.execution_duration'),
        state: enumOf(info.state, TRACE_STATES, 'trace_info.state') ?? 'STATE_UNSPECIFIED',
        requestPreview: optionalString(info, 'request_preview'),
        responsePreview: optionalString(info, 'response_preview'),
        metadata: stringMap(info, 'trace_metadata'),
        tags: stringMap(info, 'tags'),
        assessments: messages(info, 'assessments').map(assessmentInputOf),
      },
    });
    return { trace: { trace_info: toMlflowTraceInfoV3(trace) } };
  });

  traceRpc(app, 3, 'GET', '/traces/:trace_id', async (_fields, request) => {
    const { trace } = await callContract(context, request, 'traces.get', { traceId: params(request).trace_id! });
    return { trace: { trace_info: toMlflowTraceInfoV3(trace) } };
  });

  traceRpc(app, 3, 'POST', '/traces/search', async (fields, request) => {
    const { traces, nextPageToken } = await callContract(context, request, 'traces.search', {
      experimentIds: experimentLocations(fields),
      filter: optionalString(fields, 'filter'),
      orderBy: strings(fields, 'order_by'),
      maxResults: optionalInt(fields, 'max_results'),
      pageToken: optionalString(fields, 'page_token') || undefined,
    });
    return { traces: traces.map(toMlflowTraceInfoV3), ...(nextPageToken && { next_page_token: nextPageToken }) };
  });

  // The older search, GET with the query string (also MLflow 3's fallback, sending `locations`).
  traceRpc(app, 2, 'GET', '/traces', async (fields, request) => {
    const experimentIds = strings(fields, 'experiment_ids');
    const { traces, nextPageToken } = await callContract(context, request, 'traces.search', {
      experimentIds: experimentIds.length ? experimentIds : experimentLocations(fields),
      filter: optionalString(fields, 'filter'),
      orderBy: strings(fields, 'order_by'),
      maxResults: optionalInt(fields, 'max_results'),
      pageToken: optionalString(fields, 'page_token') || undefined,
    });
    return { traces: traces.map(toMlflowTraceInfoV2), ...(nextPageToken && { next_page_token: nextPageToken }) };
  });

  traceRpc(app, 2, 'POST', '/traces', async (fields, request) => {
    const { trace } = await callContract(context, request, 'traces.start', {
      trace: {
        traceId: `tr-${randomBytes(16).toString('hex')}`,
        experimentId: requireString(fields, 'experiment_id'),
        requestTime: optionalInt(fields, 'timestamp_ms') ?? Date.now(),
        state: 'IN_PROGRESS',
        metadata: keyValueMap(fields, 'request_metadata'),
        tags: keyValueMap(fields, 'tags'),
      },
    });
    return { trace_info: toMlflowTraceInfoV2(trace) };
  });

  traceRpc(app, 2, 'PATCH', '/traces/:trace_id', async (fields, request) => {
    const { trace: current } = await callContract(context, request, 'traces.get', { traceId: params(request).trace_id! });
    const end = optionalInt(fields, 'timestamp_ms');
    const tags = { ...current.tags, ...keyValueMap(fields, 'tags') };
    delete tags[ARTIFACT_LOCATION_TAG];
    const { trace } = await callContract(context, request, 'traces.start', {
      trace: {
        traceId: current.traceId,
        experimentId: current.experimentId,
        clientRequestId: current.clientRequestId,
        requestTime: current.requestTime,
        executionDuration: end === undefined ? current.executionDuration : Math.max(0, end - current.requestTime),
        state: stateOfV2(enumOf(fields.status, V2_STATUSES, 'status')),
        requestPreview: current.requestPreview,
        responsePreview: current.responsePreview,
        metadata: { ...current.metadata, ...keyValueMap(fields, 'request_metadata') },
        tags,
      },
    });
    return { trace_info: toMlflowTraceInfoV2(trace) };
  });

  traceRpc(app, 2, 'GET', '/traces/:trace_id/info', async (_fields, request) => {
    const { trace } = await callContract(context, request, 'traces.get', { traceId: params(request).trace_id! });
    return { trace_info: toMlflowTraceInfoV2(trace) };
  });

  for (const version of [2, 3] as const) {
    traceRpc(app, version, 'PATCH', '/traces/:trace_id/tags', async (fields, request) =>
      callContract(context, request, 'traces.setTag', { traceId: params(request).trace_id!, key: requireString(fields, 'key'), value: optionalString(fields, 'value') ?? '' }),
    );
    traceRpc(app, version, 'DELETE', '/traces/:trace_id/tags', async (fields, request) =>
      callContract(context, request, 'traces.deleteTag', { traceId: params(request).trace_id!, key: requireString(fields, 'key') }),
    );
    traceRpc(app, version, 'POST', '/traces/delete-traces', async (fields, request) => {
      const ids = strings(fields, 'request_ids');
      const { deleted } = await callContract(context, request, 'traces.delete', {
        experimentId: requireString(fields, 'experiment_id'),
        traceIds: ids.length > 0 ? ids : undefined,
        maxTimestampMs: optionalInt(fields, 'max_timestamp_millis'),
        maxTraces: optionalInt(fields, 'max_traces') || undefined,
      });
      return { traces_deleted: deleted };
    });
  }

  traceRpc(app, 2, 'POST', '/traces/link-to-run', async (fields, request) =>
    callContract(context, request, 'traces.linkToRun', { traceIds: strings(fields, 'trace_ids'), runId: requireString(fields, 'run_id') }),
  );

  traceRpc(app, 3, 'POST', '/traces/:trace_id/assessments', async (fields, request) => {
    const body = optionalMessage(fields, 'assessment');
    if (!body) throw invalid("Missing value for required parameter 'assessment'.");
    const { assessment } = await callContract(context, request, 'traces.createAssessment', { traceId: params(request).trace_id!, assessment: assessmentInputOf(body) });
    return { assessment: toMlflowAssessment(assessment) };
  });

  traceRpc(app, 3, 'GET', '/traces/:trace_id/assessments/:assessment_id', async (_fields, request) => {
    const { trace_id: traceId, assessment_id: assessmentId } = params(request) as { trace_id: string; assessment_id: string };
    const { assessment } = await callContract(context, request, 'traces.getAssessment', { traceId, assessmentId });
    return { assessment: toMlflowAssessment(assessment) };
  });

  traceRpc(app, 3, 'PATCH', '/traces/:trace_id/assessments/:assessment_id', async (fields, request) => {
    const { trace_id: traceId, assessment_id: assessmentId } = params(request) as { trace_id: string; assessment_id: string };
    const body = optionalMessage(fields, 'assessment') ?? {};
    const mask = maskPaths(fields.update_mask);
    const { assessment } = await callContract(context, request, 'traces.updateAssessment', {
      traceId,
      assessmentId,
      name: mask.has('assessment_name') ? requireString(body, 'assessment_name') : undefined,
      feedback: mask.has('feedback') ? (feedbackOf(optionalMessage(body, 'feedback')) ?? {}) : undefined,
      expectation: mask.has('expectation') ? (expectationOf(optionalMessage(body, 'expectation')) ?? {}) : undefined,
      rationale: mask.has('rationale') ? (optionalString(body, 'rationale') ?? '') : undefined,
      metadata: mask.has('metadata') ? stringMap(body, 'metadata') : undefined,
      valid: mask.has('valid') ? (optionalBool(body, 'valid') ?? true) : undefined,
    });
    return { assessment: toMlflowAssessment(assessment) };
  });

  traceRpc(app, 3, 'DELETE', '/traces/:trace_id/assessments/:assessment_id', async (_fields, request) => {
    const { trace_id: traceId, assessment_id: assessmentId } = params(request) as { trace_id: string; assessment_id: string };
    return callContract(context, request, 'traces.deleteAssessment', { traceId, assessmentId });
  });
}

/**
 * The trace data file's two routes on the artifact proxy. The trace named in the path must be
 * one whose artifact location this is: the file is where the server said it would be.
 */
async function registerTraceDataRoutes(scope: FastifyInstance, context: ServerContext): Promise<void> {
  scope.removeAllContentTypeParsers();
  scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: TRACE_DATA_LIMIT }, (_request, body, done) => done(null, body));

  /** The trace a data file path belongs to, checked against the trace's own location. */
  async function traceOfPath(request: FastifyRequest, prefix: string): Promise<{ traceId: string; storePath: string }> {
    const storePath = checkArtifactPath(artifactPathAfter(request, prefix));
    const traceId = params(request).trace_id!;
    const { trace } = await callContract(context, request, 'traces.get', { traceId });
    const location = trace.tags[ARTIFACT_LOCATION_TAG];
    if (location === undefined || storePathIn(location, TRACE_DATA_FILE) !== storePath) {
      throw invalid(`'${storePath}' is not where the data of trace ${traceId} is kept`);
    }
    return { traceId, storePath };
  }

  for (const api of ['api', 'ajax-api']) {
    const prefix = `/${api}/2.0/mlflow-artifacts/artifacts/`;
    const url = `${prefix}:experiment_id/traces/:trace_id/artifacts/${TRACE_DATA_FILE}`;

    scope.put(url, { bodyLimit: TRACE_DATA_LIMIT }, async (request) => {
      const { traceId } = await traceOfPath(request, prefix);
      const body = request.body instanceof Buffer ? request.body : Buffer.alloc(0);
      let json: string;
      try {
        json = new TextDecoder('utf-8', { fatal: true }).decode(body);
      } catch {
        throw invalid('Invalid trace data: it is not UTF-8 text');
      }
      await callContract(context, request, 'traces.putData', { traceId, json });
      return {};
    });

    scope.get(url, async (request, reply) => {
      const { traceId, storePath } = await traceOfPath(request, prefix);
      if ((await context.flowdesk.artifacts.stat(storePath)) !== undefined) {
        return sendArtifactFile(reply, context.flowdesk.artifacts, storePath, request.headers.range);
      }
      const { json } = await callContract(context, request, 'traces.readData', { traceId });
      return reply
        .type('application/octet-stream')
        .header('content-disposition', contentDisposition(TRACE_DATA_FILE))
        .header('content-security-policy', "default-src 'none'; sandbox")
        .send(Buffer.from(json, 'utf8'));
    });
  }
}

/** `POST /v1/traces`: OTLP/HTTP, protobuf or JSON, gzip or not. */
async function registerOtlpRoute(scope: FastifyInstance, context: ServerContext): Promise<void> {
  scope.removeAllContentTypeParsers();
  for (const type of ['application/x-protobuf', 'application/json']) {
    scope.addContentTypeParser(type, { parseAs: 'buffer', bodyLimit: JSON_BODY_LIMIT }, (_request, body, done) => done(null, body));
  }
  scope.addContentTypeParser('*', (request, _payload, done) =>
    done(invalid(`Unsupported content type '${request.headers['content-type'] ?? ''}': OTLP/HTTP takes application/x-protobuf or application/json`), undefined),
  );

  scope.post('/v1/traces', async (request, reply) => {
    const header = request.headers[EXPERIMENT_HEADER];
    const experimentId = Array.isArray(header) ? header[0] : header;
    if (!experimentId) throw invalid(`Missing header '${EXPERIMENT_HEADER}': it names the experiment the spans go to`);
    let body = request.body instanceof Buffer ? request.body : Buffer.alloc(0);
    const encoding = String(request.headers['content-encoding'] ?? 'identity').toLowerCase();
    if (encoding === 'gzip') {
      try {
        body = gunzipSync(body, { maxOutputLength: JSON_BODY_LIMIT });
      } catch (err) {
        throw invalid(`The gzip body cannot be read within ${JSON_BODY_LIMIT} bytes: ${(err as Error).message}`);
      }
    } else if (encoding !== 'identity') {
      throw invalid(`Unsupported content encoding '${encoding}': OTLP/HTTP bodies are sent as is or gzip`);
    }
    const protobuf = String(request.headers['content-type']).toLowerCase().startsWith('application/x-protobuf');
    const spans = context.flowdesk.decodeOtlp(body, protobuf ? 'protobuf' : 'json');
    if (spans.length > 0) await callContract(context, request, 'traces.logSpans', { experimentId, spans });
    // An empty ExportTraceServiceResponse: full success.
    return protobuf ? reply.type('application/x-protobuf').send(Buffer.alloc(0)) : {};
  });
}

/** Registers tracing's routes: the MLflow RPCs on the app, the data file and OTLP in scopes of their own (their bodies are not JSON). */
export async function registerMlflowTraceRoutes(app: FastifyInstance, context: ServerContext): Promise<void> {
  registerTraceRpcs(app, context);
  await app.register(async (scope) => registerTraceDataRoutes(scope, context));
  await app.register(async (scope) => registerOtlpRoute(scope, context));
}

