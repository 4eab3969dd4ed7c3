/**
 * Tracing: MLflow 3's traces in the catalog. A trace's info arrives with StartTraceV3 (when the
 * trace ends) and its spans either in the trace data file the MLflow client uploads
 * (`traces.json`, kept in the artifact store as the client reads it back, and indexed into
 * `trace_spans`) or over OpenTelemetry (`traces.logSpans`), in any order: whichever comes first
 * creates the trace, the other joins it. Span attribute values too large for a row stay whole
 * in the artifact store and are read on demand.
 *
 * A trace lives in the trash with its run (metadata mlflow.sourceRun) or experiment: searches
 * leave those traces out, a purge deletes them (trace-trash.ts). `traces.delete` is MLflow's
 * DeleteTraces: permanent, with the trace's files.
 *
 * The statements themselves are in traces-repository.ts; this file keeps the rules.
 */
import { randomBytes } from 'node:crypto';
import type { Handlers } from '#core/api/contract.ts';
import { invalid, notFound } from '#core/api/errors.ts';
import type { EventBus } from '#core/api/events.ts';
import { ARTIFACT_LOCATION_TAG, TRACE_DATA_FILE, type Assessment, type AssessmentInput, type Span, type SpanInput, type TokenUsage, type TraceInfo, type TraceState } from '#core/api/traces-entities.ts';
import type { ArtifactStore } from '#core/artifacts/artifact-store.ts';
import type { Catalog, Db } from '#core/catalog/catalog.ts';
import type { TraceAssessmentsTable } from '#core/catalog/schema.ts';
import { getExperimentRow, getRunRow } from '#core/tracking/tracking-service.ts';
import { storePathIn } from '#core/api/artifact-locations.ts';
import {
  checkSpanLimits,
  decodeJsonText,
  formatTraceData,
  INLINE_ATTRIBUTE_LENGTH,
  inlineAttributes,
  parseTraceData,
  previewOf,
  SPAN_ATTRIBUTE,
  sumTokenUsage,
  tokenUsageOf,
  treeOrder,
} from './trace-data.ts';
import * as repo from './traces-repository.ts';
import type { SpanRow, TraceRow } from './traces-repository.ts';
import { countTraces, searchTraceIds } from './traces-search.ts';

export type TracesHandlers = Pick<Handlers, Extract<keyof Handlers, `traces.${string}`>>;

/** Metadata MLflow's client records: the run a trace was made in, the logged model, token usage. */
export const SOURCE_RUN_METADATA = 'mlflow.sourceRun';
export const MODEL_ID_METADATA = 'mlflow.modelId';
export const TOKEN_USAGE_METADATA = 'mlflow.trace.tokenUsage';

/** A trace's artifact location inside its experiment's, as MLflow's server assigns it. */
export function traceArtifactUri(experimentLocation: string, traceId: string): string {
  return `${experimentLocation.replace(/\/+$/, '')}/traces/${traceId}/artifacts`;
}

const num = (value: number | string | bigint) => Number(value);

async function getTraceRow(db: Db, traceId: string): Promise<TraceRow> {
  const row = await repo.findTrace(db, traceId);
  if (!row) throw notFound(`Trace with ID '${traceId}' not found.`);
  return row;
}

function assessmentOf(row: TraceAssessmentsTable, traceId: string): Assessment {
  const out: Assessment = {
    assessmentId: row.assessment_id,
    name: row.name,
    traceId,
    source: { sourceType: row.source_type as Assessment['source']['sourceType'], sourceId: row.source_id },
    createTime: num(row.create_time),
    lastUpdateTime: num(row.last_update_time),
    valid: row.valid === 1,
  };
  if (row.span_id !== null) out.spanId = row.span_id;
  const value = row.value_json === null ? {} : (JSON.parse(row.value_json) as Record<string, unknown>);
  if (row.kind === 'feedback') {
    out.feedback = { ...value };
    if (row.error_json !== null) out.feedback.error = JSON.parse(row.error_json) as NonNullable<Assessment['feedback']>['error'];
  } else {
    out.expectation = value;
  }
  if (row.rationale !== null) out.rationale = row.rationale;
  if (row.metadata_json !== null) out.metadata = JSON.parse(row.metadata_json) as Record<string, string>;
  if (row.overrides !== null) out.overrides = row.overrides;
  return out;
}

/** Trace infos for rows, in the rows' order, with their tags, metadata, assessments and links. */
async function loadTraceInfos(db: Db, rows: TraceRow[]): Promise<TraceInfo[]> {
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.id);
  const { tags, metadata, assessments, links } = await repo.traceDetailRows(db, ids);
  const group = <T extends { trace_id: number }>(items: T[]) => {
    const map = new Map<number, T[]>();
    for (const item of items) {
      const key = num(item.trace_id);
      map.set(key, [...(map.get(key) ?? []), item]);
    }
    return map;
  };
  const [tagsBy, metadataBy, assessmentsBy, linksBy] = [group(tags), group(metadata), group(assessments), group(links)];
  return rows.map((row) => {
    const id = num(row.id);
    const info: TraceInfo = {
      traceId: row.trace_id,
      experimentId: String(row.experiment_id),
      requestTime: num(row.request_time),
      state: row.state as TraceState,
      metadata: Object.fromEntries((metadataBy.get(id) ?? []).map((m) => [m.key, m.value])),
      tags: Object.fromEntries((tagsBy.get(id) ?? []).map((t) => [t.key, t.value])),
      assessments: (assessmentsBy.get(id) ?? []).map((a) => assessmentOf(a, row.trace_id)),
      linkedRunIds: (linksBy.get(id) ?? []).map((l) => l.run_uuid),
      spanCount: num(row.span_count),
    };
    if (row.client_request_id !== null) info.clientRequestId = row.client_request_id;
    if (row.execution_duration !== null) info.executionDuration = num(row.execution_duration);
    if (row.request_preview !== null) info.requestPreview = row.request_preview;
    if (row.response_preview !== null) info.responsePreview = row.response_preview;
    if (row.total_tokens !== null) {
      info.tokenUsage = { inputTokens: num(row.input_tokens ?? 0), outputTokens: num(row.output_tokens ?? 0), totalTokens: num(row.total_tokens) };
    }
    return info;
  });
}

/** A new assessment id, as MLflow makes them (`a-` and 32 hex digits). */
function newAssessmentId(): string {
  return `a-${randomBytes(16).toString('hex')}`;
}

/** The catalog row of a new assessment; exactly one of feedback and expectation. */
export function assessmentRow(traceRowId: number, input: AssessmentInput, now: number): TraceAssessmentsTable {
  if ((input.feedback === undefined) === (input.expectation === undefined)) {
    throw invalid(`Assessment '${input.name}' must hold exactly one of feedback and expectation`);
  }
  const isFeedback = input.feedback !== undefined;
  const { error, ...feedbackValue } = input.feedback ?? {};
  return {
    assessment_id: newAssessmentId(),
    trace_id: traceRowId,
    name: input.name,
    kind: isFeedback ? 'feedback' : 'expectation',
    span_id: input.spanId || null,
    source_type: input.source.sourceType,
    source_id: input.source.sourceId,
    create_time: now,
    last_update_time: now,
    value_json: JSON.stringify(isFeedback ? feedbackValue : input.expectation),
    error_json: error === undefined ? null : JSON.stringify(error),
    rationale: input.rationale ?? null,
    metadata_json: input.metadata && Object.keys(input.metadata).length > 0 ? JSON.stringify(input.metadata) : null,
    overrides: input.overrides || null,
    valid: input.valid === false ? 0 : 1,
  };
}

function spanRow(span: SpanInput, largePath: string | undefined): SpanRow {
  const { inline, truncated } = inlineAttributes(span.attributes);
  return {
    span_id: span.spanId,
    parent_span_id: span.parentSpanId ?? null,
    name: span.name,
    span_type: span.spanType ?? null,
    start_time_ns: span.startTimeNs,
    end_time_ns: span.endTimeNs ?? null,
    status_code: span.status.code,
    status_message: span.status.message,
    attributes_json: JSON.stringify(inline),
    events_json: JSON.stringify(span.events),
    attributes_path: truncated.length > 0 ? (largePath ?? null) : null,
  };
}

function spanOf(row: SpanRow): Span {
  const attributes = JSON.parse(row.attributes_json) as Record<string, string>;
  const out: Span = {
    spanId: row.span_id,
    name: row.name,
    startTimeNs: row.start_time_ns,
    status: { code: row.status_code as Span['status']['code'], message: row.status_message },
    attributes,
    events: JSON.parse(row.events_json) as Span['events'],
  };
  if (row.parent_span_id !== null) out.parentSpanId = row.parent_span_id;
  if (row.span_type !== null) out.spanType = row.span_type;
  if (row.end_time_ns !== null) out.endTimeNs = row.end_time_ns;
  if (row.attributes_path !== null) out.truncated = Object.keys(attributes).filter((k) => attributes[k]!.length >= INLINE_ATTRIBUTE_LENGTH);
  return out;
}

/** Whether a span has no parent within what is known: the root of its trace. */
const isRoot = (span: SpanInput) => span.parentSpanId === undefined;

/** The state a root span gives its trace, as MLflow maps it (ERROR stays ERROR; else OK). */
const stateOfRoot = (span: SpanInput): TraceState => (span.status.code === 'ERROR' ? 'ERROR' : 'OK');

const BIG_NS_PER_MS = 1_000_000n;

export interface TracesDeps {
  catalog: Catalog;
  artifacts: ArtifactStore;
  events: EventBus;
  now?: () => number;
}

/** The tracing handlers (`traces.*`). */
export function createTracesService(deps: TracesDeps): TracesHandlers {
  const { catalog, artifacts, events } = deps;
  const db = catalog.db;
  const now = deps.now ?? Date.now;

  async function activeExperiment(experimentId: string) {
    const experiment = await getExperimentRow(db, experimentId);
    if (experiment.lifecycle_stage !== 'active') throw invalid(`The experiment ${experimentId} must be in the 'active' state. Current state is ${experiment.lifecycle_stage}.`);
    return experiment;
  }

  /** The store path of a file in a trace's artifact location. */
  async function tracePath(row: { experiment_id: number; trace_id: string }, relative: string): Promise<string> {
    const experiment = await getExperimentRow(db, String(row.experiment_id));
    return storePathIn(traceArtifactUri(experiment.artifact_location, row.trace_id), relative);
  }

  async function readText(path: string): Promise<string | undefined> {
    if ((await artifacts.stat(path)) === undefined) return undefined;
    const { stream } = await artifacts.read(path);
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  }

  async function getInfo(traceId: string): Promise<TraceInfo> {
    return (await loadTraceInfos(db, [await getTraceRow(db, traceId)]))[0]!;
  }

  /** Writes the full attributes of spans too large to keep inline; returns their store paths by span id. */
  async function storeLargeAttributes(row: { experiment_id: number; trace_id: string }, spans: SpanInput[]): Promise<Map<string, string>> {
    const paths = new Map<string, string>();
    for (const span of spans) {
      if (inlineAttributes(span.attributes).truncated.length === 0) continue;
      const path = await tracePath(row, `spans/${span.spanId}.json`);
      await artifacts.write(path, Buffer.from(JSON.stringify(span.attributes), 'utf8'));
      paths.set(span.spanId, path);
    }
    return paths;
  }

  function publish(experimentId: number | string, traceIds: string[]): void {
    if (traceIds.length > 0) events.publish({ type: 'traces.changed', experimentId: String(experimentId), traceIds });
  }

  const service: TracesHandlers = {
    async 'traces.start'({ trace }) {
      const experiment = await activeExperiment(trace.experimentId);
      const metadata = trace.metadata ?? {};
      const tags = { ...(trace.tags ?? {}), [ARTIFACT_LOCATION_TAG]: traceArtifactUri(experiment.artifact_location, trace.traceId) };
      const reported = metadata[TOKEN_USAGE_METADATA] === undefined ? undefined : tokenUsageOf(decodeJsonText(metadata[TOKEN_USAGE_METADATA]));
      await catalog.write(async (trx) => {
        const existing = await repo.findTrace(trx, trace.traceId);
        if (existing && num(existing.experiment_id) !== experiment.experiment_id) {
          throw invalid(`Trace '${trace.traceId}' already exists in experiment ${existing.experiment_id}, not ${trace.experimentId}`);
        }
        const info = {
          client_request_id: trace.clientRequestId ?? null,
          request_time: trace.requestTime,
          execution_duration: trace.executionDuration ?? null,
          state: trace.state,
          request_preview: trace.requestPreview ?? existing?.request_preview ?? null,
          response_preview: trace.responsePreview ?? existing?.response_preview ?? null,
          source_run: metadata[SOURCE_RUN_METADATA] ?? null,
          model_id: metadata[MODEL_ID_METADATA] ?? null,
        };
        // Spans that came first (over OpenTelemetry) have summed their own tokens; otherwise the
        // client's own sum in the metadata stands.
        const tokens = existing?.total_tokens !== null && existing?.total_tokens !== undefined ? {} : tokenColumns(reported);
        let id: number;
        if (existing) {
          id = num(existing.id);
          await repo.updateTrace(trx, id, { ...info, ...tokens });
        } else {
          id = await repo.insertTrace(trx, { trace_id: trace.traceId, experiment_id: experiment.experiment_id, ...info, ...tokenColumns(reported), span_count: 0 });
        }
        await repo.putKeyValues(trx, 'trace_tags', id, tags);
        await repo.putKeyValues(trx, 'trace_metadata', id, metadata);
        const at = now();
        for (const a of trace.assessments ?? []) await repo.insertAssessment(trx, assessmentRow(id, a, at));
      });
      publish(experiment.experiment_id, [trace.traceId]);
      return { trace: await getInfo(trace.traceId) };
    },

    async 'traces.get'({ traceId }) {
      return { trace: await getInfo(traceId) };
    },

    async 'traces.spans'({ traceId }) {
      const row = await getTraceRow(db, traceId);
      const rows = await repo.spansOf(db, row.id);
      return { spans: treeOrder(rows.map(spanOf)) };
    },

    async 'traces.getSpan'({ traceId, spanId }) {
      const row = await getTraceRow(db, traceId);
      const spanRowFound = await repo.findSpan(db, row.id, spanId);
      if (!spanRowFound) throw notFound(`Span '${spanId}' not found in trace '${traceId}'`);
      const span = spanOf(spanRowFound);
      if (spanRowFound.attributes_path === null) return { span };
      const text = await readText(spanRowFound.attributes_path);
      if (text === undefined) return { span };
      const parsed = JSON.parse(text) as unknown;
      // The path names either the span's own attribute file or the trace data file holding it.
      const full =
        parsed !== null && typeof parsed === 'object' && Array.isArray((parsed as { spans?: unknown }).spans)
          ? parseTraceData(text, traceId).find((s) => s.spanId === spanId)?.attributes
          : (parsed as Record<string, string>);
      if (!full) return { span };
      const { truncated: _cut, ...whole } = span;
      return { span: { ...whole, attributes: full } };
    },

    async 'traces.putData'({ traceId, json }) {
      const row = await getTraceRow(db, traceId);
      const spans = parseTraceData(json, traceId);
      const dataPath = await tracePath(row, TRACE_DATA_FILE);
      const rows = spans.map((s) => spanRow(s, dataPath));
      const usage = sumTokenUsage(spans);
      const root = spans.find(isRoot);
      // The file first: a failure after it leaves a file that the next upload replaces, while a
      // failure before it leaves the catalog as it was.
      await artifacts.write(dataPath, Buffer.from(json, 'utf8'));
      await catalog.write(async (trx) => {
        await repo.deleteSpans(trx, row.id);
        await repo.putSpans(trx, rows.map((r) => ({ ...r, trace_id: row.id })));
        const current = await repo.traceSummary(trx, row.id);
        await repo.updateTrace(trx, row.id, {
          span_count: spans.length,
          ...(usage ? tokenColumns(usage) : {}),
          ...(root && (current.state === 'IN_PROGRESS' || current.state === 'STATE_UNSPECIFIED') ? { state: stateOfRoot(root) } : {}),
          ...(root && current.request_preview === null ? { request_preview: previewOf(root.attributes[SPAN_ATTRIBUTE.inputs]) ?? null } : {}),
          ...(root && current.response_preview === null ? { response_preview: previewOf(root.attributes[SPAN_ATTRIBUTE.outputs]) ?? null } : {}),
        });
      });
      publish(row.experiment_id, [traceId]);
      return { spanCount: spans.length };
    },

    async 'traces.readData'({ traceId }) {
      const row = await getTraceRow(db, traceId);
      const stored = await readText(await tracePath(row, TRACE_DATA_FILE));
      if (stored !== undefined) return { json: stored };
      const { spans } = await service['traces.spans']({ traceId });
      const whole = await Promise.all(spans.map(async (s) => (s.truncated ? (await service['traces.getSpan']({ traceId, spanId: s.spanId })).span : s)));
      return { json: formatTraceData(traceId, whole) };
    },

    async 'traces.logSpans'({ experimentId, spans }) {
      const experiment = await activeExperiment(experimentId);
      checkSpanLimits(spans);
      const byTrace = new Map<string, SpanInput[]>();
      for (const span of spans) {
        const list = byTrace.get(span.traceId);
        if (list) list.push(span);
        else byTrace.set(span.traceId, [span]);
      }
      const traceIds = [...byTrace.keys()];
      for (const [traceId, list] of byTrace) {
        if (new Set(list.map((s) => s.spanId)).size !== list.length) throw invalid(`Trace '${traceId}' has the same span id twice in one request`);
      }
      const elsewhere = await repo.traceInOtherExperiment(db, traceIds, experiment.experiment_id);
      if (elsewhere) throw invalid(`Trace '${elsewhere.trace_id}' belongs to experiment ${elsewhere.experiment_id}, not ${experimentId}`);
      // Large attributes are written before the transaction that points at them.
      const largePaths = new Map<string, Map<string, string>>();
      for (const [traceId, list] of byTrace) largePaths.set(traceId, await storeLargeAttributes({ experiment_id: experiment.experiment_id, trace_id: traceId }, list));
      const artifactLocation = experiment.artifact_location;
      // A few statements per request, whatever the number of traces in it: the rows of all its
      // traces are read, created and written together.
      await catalog.write(async (trx) => {
        const bounds = new Map(
          [...byTrace].map(([traceId, list]) => {
            const startNs = list.reduce((min, s) => (BigInt(s.startTimeNs) < min ? BigInt(s.startTimeNs) : min), BigInt(list[0]!.startTimeNs));
            const ends = list.filter((s) => s.endTimeNs !== undefined).map((s) => BigInt(s.endTimeNs!));
            const startMs = Number(startNs / BIG_NS_PER_MS);
            const endMs = ends.length ? Number(ends.reduce((a, b) => (a > b ? a : b)) / BIG_NS_PER_MS) : undefined;
            return [traceId, { startMs, endMs, root: list.find(isRoot) }];
          }),
        );
        const existing = new Set((await repo.traceExperiments(trx, traceIds)).map((r) => r.trace_id));
        const created = traceIds.filter((t) => !existing.has(t));
        // 500 rows a statement keeps within SQLite's bound on parameters.
        for (let i = 0; i < created.length; i += 500) {
          const inserted = await repo.insertTraces(
            trx,
            created.slice(i, i + 500).map((traceId) => {
              const { startMs, endMs, root } = bounds.get(traceId)!;
              return { trace_id: traceId, experiment_id: experiment.experiment_id, request_time: startMs, execution_duration: endMs === undefined ? null : endMs - startMs, state: root ? stateOfRoot(root) : 'IN_PROGRESS', span_count: 0 };
            }),
          );
          await repo.insertTraceTags(
            trx,
            inserted.map((r) => ({ trace_id: num(r.id), key: ARTIFACT_LOCATION_TAG, value: traceArtifactUri(artifactLocation, r.trace_id) })),
          );
        }
        const rows = await repo.tracesByTraceIds(trx, traceIds);
        const rowIds = rows.map((r) => num(r.id));
        const known = new Set(
          (await repo.knownSpans(trx, rowIds, [...new Set(spans.map((s) => s.spanId))])).map((k) => `${num(k.trace_id)}/${k.span_id}`),
        );
        const spanRows: (SpanRow & { trace_id: number })[] = [];
        for (const row of rows) {
          const id = num(row.id);
          const list = byTrace.get(row.trace_id)!;
          const paths = largePaths.get(row.trace_id)!;
          for (const s of list) spanRows.push({ ...spanRow(s, paths.get(s.spanId)), trace_id: id });
          const { startMs, endMs, root } = bounds.get(row.trace_id)!;
          const fresh = list.filter((s) => !known.has(`${id}/${s.spanId}`));
          const oldStart = num(row.request_time);
          const oldEnd = row.execution_duration === null ? undefined : oldStart + num(row.execution_duration);
          const newStart = Math.min(oldStart, startMs);
          const newEnd = oldEnd === undefined ? endMs : endMs === undefined ? oldEnd : Math.max(oldEnd, endMs);
          const usage = sumTokenUsage(fresh);
          const settle = root && (row.state === 'IN_PROGRESS' || row.state === 'STATE_UNSPECIFIED');
          await repo.updateTrace(trx, id, {
            request_time: newStart,
            execution_duration: newEnd === undefined ? null : newEnd - newStart,
            span_count: num(row.span_count) + fresh.length,
            ...(usage ? tokenColumns(addUsage(row, usage)) : {}),
            ...(settle ? { state: stateOfRoot(root) } : {}),
            ...(root && row.request_preview === null ? { request_preview: previewOf(root.attributes[SPAN_ATTRIBUTE.inputs]) ?? null } : {}),
            ...(root && row.response_preview === null ? { response_preview: previewOf(root.attributes[SPAN_ATTRIBUTE.outputs]) ?? null } : {}),
          });
        }
        await repo.putSpans(trx, spanRows);
      });
      publish(experiment.experiment_id, traceIds);
      return { traceIds };
    },

    async 'traces.search'(input) {
      const { rows, nextPageToken } = await searchTraceIds(db, catalog.dialect, input);
      const found = rows.length ? await repo.tracesByIds(db, rows) : [];
      const byId = new Map(found.map((r) => [num(r.id), r]));
      const ordered = rows.map((id) => byId.get(id)).filter((r): r is TraceRow => r !== undefined);
      return { traces: await loadTraceInfos(db, ordered), ...(nextPageToken && { nextPageToken }) };
    },

    async 'traces.count'(input) {
      return { count: await countTraces(db, catalog.dialect, input) };
    },

    async 'traces.delete'({ experimentId, traceIds, maxTimestampMs, maxTraces }) {
      const experiment = await getExperimentRow(db, experimentId);
      if (traceIds === undefined && maxTimestampMs === undefined) throw invalid('Either `max_timestamp_millis` or `request_ids` must be specified.');
      if (traceIds !== undefined && (maxTimestampMs !== undefined || maxTraces !== undefined)) {
        throw invalid('Only one of `max_timestamp_millis` and `request_ids` can be specified.');
      }
      const doomed = await repo.tracesToDelete(db, { experimentId: experiment.experiment_id, traceIds, maxTimestampMs, limit: maxTraces });
      if (doomed.length === 0) return { deleted: 0 };
      await catalog.write((trx) => repo.deleteTraces(trx, doomed.map((d) => num(d.id))));
      // Rows first, files second: a crash between leaves only files no trace refers to.
      for (const d of doomed) {
        const folder = storePathIn(`${experiment.artifact_location.replace(/\/+$/, '')}/traces/${d.trace_id}`, undefined);
        if ((await artifacts.stat(folder)) !== undefined) await artifacts.delete(folder);
      }
      publish(experiment.experiment_id, doomed.map((d) => d.trace_id));
      return { deleted: doomed.length };
    },

    async 'traces.setTag'({ traceId, key, value }) {
      if (key === ARTIFACT_LOCATION_TAG) throw invalid(`The tag '${key}' is set by the server and cannot be changed`);
      const row = await getTraceRow(db, traceId);
      await catalog.write((trx) => repo.putKeyValues(trx, 'trace_tags', num(row.id), { [key]: value }));
      publish(row.experiment_id, [traceId]);
      return {};
    },

    async 'traces.deleteTag'({ traceId, key }) {
      const row = await getTraceRow(db, traceId);
      const deleted = await catalog.write((trx) => repo.deleteTraceTag(trx, row.id, key));
      if (deleted === 0) throw notFound(`No trace tag with key '${key}' for trace with ID '${traceId}'`);
      publish(row.experiment_id, [traceId]);
      return {};
    },

    async 'traces.linkToRun'({ traceIds, runId }) {
      await getRunRow(db, runId);
      if (traceIds.length === 0) return {};
      const rows = await repo.traceExperiments(db, traceIds);
      const missing = traceIds.filter((t) => !rows.some((r) => r.trace_id === t));
      if (missing.length > 0) throw notFound(`Trace with ID '${missing[0]}' not found.`);
      await catalog.write((trx) => repo.linkTracesToRun(trx, rows.map((r) => num(r.id)), runId));
      for (const r of rows) publish(r.experiment_id, [r.trace_id]);
      return {};
    },

    async 'traces.createAssessment'({ traceId, assessment }) {
      const row = await getTraceRow(db, traceId);
      const values = assessmentRow(num(row.id), assessment, now());
      await catalog.write(async (trx) => {
        if (values.overrides !== null) {
          if ((await repo.setAssessmentValid(trx, row.id, values.overrides, false)) === 0) throw notFound(`Assessment with ID '${values.overrides}' not found for trace '${traceId}'`);
        }
        await repo.insertAssessment(trx, values);
      });
      publish(row.experiment_id, [traceId]);
      return { assessment: assessmentOf(values, traceId) };
    },

    async 'traces.getAssessment'({ traceId, assessmentId }) {
      return { assessment: assessmentOf(await getAssessmentRow(traceId, assessmentId), traceId) };
    },

    async 'traces.updateAssessment'(input) {
      const { traceId, assessmentId } = input;
      const existing = await getAssessmentRow(traceId, assessmentId);
      if (input.feedback !== undefined && input.expectation !== undefined) throw invalid('Cannot specify both `expectation` and `feedback` parameters.');
      if (input.expectation !== undefined && existing.kind !== 'expectation') throw invalid('Cannot update expectation value on a Feedback assessment.');
      if (input.feedback !== undefined && existing.kind !== 'feedback') throw invalid('Cannot update feedback value on an Expectation assessment.');
      const changes: Partial<TraceAssessmentsTable> = { last_update_time: now() };
      if (input.name !== undefined) changes.name = input.name;
      if (input.feedback !== undefined) {
        const { error, ...value } = input.feedback;
        changes.value_json = JSON.stringify(value);
        changes.error_json = error === undefined ? null : JSON.stringify(error);
      }
      if (input.expectation !== undefined) changes.value_json = JSON.stringify(input.expectation);
      if (input.rationale !== undefined) changes.rationale = input.rationale;
      if (input.valid !== undefined) changes.valid = input.valid ? 1 : 0;
      if (input.metadata !== undefined) {
        const merged = { ...(existing.metadata_json === null ? {} : (JSON.parse(existing.metadata_json) as Record<string, string>)), ...input.metadata };
        changes.metadata_json = Object.keys(merged).length > 0 ? JSON.stringify(merged) : null;
      }
      await catalog.write((trx) => repo.updateAssessment(trx, assessmentId, changes));
      const traceRow = await getTraceRow(db, traceId);
      publish(traceRow.experiment_id, [traceId]);
      return { assessment: assessmentOf(await getAssessmentRow(traceId, assessmentId), traceId) };
    },

    async 'traces.deleteAssessment'({ traceId, assessmentId }) {
      const row = await getTraceRow(db, traceId);
      const found = await repo.findAssessment(db, row.id, assessmentId);
      if (!found) return {};
      await catalog.write(async (trx) => {
        if (found.overrides !== null) await repo.setAssessmentValid(trx, row.id, found.overrides, true);
        await repo.deleteAssessment(trx, assessmentId);
      });
      publish(row.experiment_id, [traceId]);
      return {};
    },
  };

  async function getAssessmentRow(traceId: string, assessmentId: string): Promise<TraceAssessmentsTable> {
    const trace = await repo.findTrace(db, traceId);
    if (!trace) throw notFound(`Trace with request_id '${traceId}' not found`);
    const row = await repo.findAssessment(db, trace.id, assessmentId);
    if (!row) throw notFound(`Assessment with ID '${assessmentId}' not found for trace '${traceId}'`);
    return row;
  }

  return service;
}

/** The token columns of a usage; all NULL when there is none. */
function tokenColumns(usage: TokenUsage | undefined) {
  return { input_tokens: usage?.inputTokens ?? null, output_tokens: usage?.outputTokens ?? null, total_tokens: usage?.totalTokens ?? null };
}

/** A trace's stored usage plus more. */
function addUsage(row: TraceRow, more: TokenUsage): TokenUsage {
  return {
    inputTokens: num(row.input_tokens ?? 0) + more.inputTokens,
    outputTokens: num(row.output_tokens ?? 0) + more.outputTokens,
    totalTokens: num(row.total_tokens ?? 0) + more.totalTokens,
  };
}

