/**
 * Tracing benchmarks, each printed with its goal and a same-run baseline:
 * - ingest over OTLP/HTTP: protobuf exports of 100 spans (10 traces × 10 spans, with MLflow's
 *   inputs/outputs/type attributes), 4 at a time, to `flowdesk serve` in its own process;
 * - ingest over MLflow's REST path, as the MLflow 3 client sends a finished trace: StartTraceV3
 *   (`POST /api/3.0/mlflow/traces`) and then its trace data file PUT through the artifact proxy,
 *   4 traces at a time, each of 100 spans and of 10 spans;
 * - the in-process write (`traces.logSpans` with the same 100-span batches, one after another);
 * - searching 100,000 traces by a tag and a status, first page of 100, against hand-written SQL.
 * Every answer is awaited, so what is counted is on disk (each acknowledgement waits for the fdatasync
 * of the catalog's WAL that covers its commit).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import protobuf from 'protobufjs';
import type { SpanInput } from '#core/api/traces-entities.ts';
import { openFlowdesk } from '#core/flowdesk.ts';
import { COMMON_PROTO, RESOURCE_PROTO, TRACE_PROTO, TRACE_SERVICE_PROTO } from '#core/tracing/proto/otlp-trace-proto.ts';
import { median, report } from './bench-util.ts';
import { startServe } from './serve-process.ts';

const BATCHES = 150;
const CONCURRENCY = 4;
const SEARCH_TRACES = 100_000;
const SEARCH_FILTER = "tags.env = 'prod' AND trace.status = 'ERROR'";
const T0_MS = 1_700_000_000_000;

const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');
/** Trace `t`'s 32 hex digits; `salt` keeps the traces of each measurement apart. */
const traceHex = (salt: number, t: number) => `${hex(salt, 8)}${hex(t, 24)}`;

/** What an LLM app's spans carry: MLflow's JSON-text inputs, outputs and span type. */
function attributesOf(t: number, s: number): Record<string, string> {
  return {
    'mlflow.spanInputs': JSON.stringify({ messages: [{ role: 'user', content: `Question ${t}.${s}: what does the report say about revenue?` }] }),
    'mlflow.spanOutputs': JSON.stringify({ choices: [{ message: { role: 'assistant', content: `Answer ${t}.${s}: revenue rose 12% on the year.` } }] }),
    'mlflow.spanType': JSON.stringify(s === 0 ? 'CHAIN' : 'LLM'),
    'llm.model': JSON.stringify('gpt-4o-mini'),
    step: String(s),
  };
}

/** Span `s` of trace `t`: span 0 is the root, the others its children, 1 ms each. */
function spanTimes(t: number, s: number) {
  const startNs = BigInt(T0_MS + t) * 1_000_000n + BigInt(s) * 1_000n;
  return { startNs, endNs: startNs + 1_000_000n };
}

const root = new protobuf.Root();
for (const text of [COMMON_PROTO, RESOURCE_PROTO, TRACE_PROTO, TRACE_SERVICE_PROTO]) protobuf.parse(text, root, { keepCase: true });
const ExportRequest = root.resolveAll().lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest');

/** One OTLP protobuf export of `traces` traces × `spans` spans, starting at trace `first`. */
function otlpBody(salt: number, first: number, traces: number, spans: number): Uint8Array {
  const list = [];
  for (let t = first; t < first + traces; t++) {
    for (let s = 0; s < spans; s++) {
      const { startNs, endNs } = spanTimes(t, s);
      list.push({
        trace_id: Buffer.from(traceHex(salt, t), 'hex'),
        span_id: Buffer.from(hex(s + 1, 16), 'hex'),
        ...(s > 0 && { parent_span_id: Buffer.from(hex(1, 16), 'hex') }),
        name: s === 0 ? 'agent' : `llm-${s}`,
        kind: 1,
        start_time_unix_nano: startNs.toString(),
        end_time_unix_nano: endNs.toString(),
        attributes: Object.entries(attributesOf(t, s)).map(([key, value]) => ({ key, value: { string_value: value } })),
        status: { code: 1 },
      });
    }
  }
  return ExportRequest.encode(ExportRequest.fromObject({ resource_spans: [{ resource: { attributes: [{ key: 'service.name', value: { string_value: 'bench' } }] }, scope_spans: [{ scope: { name: 'bench' }, spans: list }] }] })).finish();
}

/** MLflow's trace data file, as the 3.5.1 client uploads it (`Span.to_dict`: base64 ids, JSON-text attributes). */
function traceDataFile(traceId: string, t: number, spans: number): string {
  const b64 = (h: string) => Buffer.from(h, 'hex').toString('base64');
  return JSON.stringify({
    spans: Array.from({ length: spans }, (_, s) => {
      const { startNs, endNs } = spanTimes(t, s);
      return {
        trace_id: b64(traceId.slice(3)),
        span_id: b64(hex(s + 1, 16)),
        parent_span_id: s === 0 ? null : b64(hex(1, 16)),
        name: s === 0 ? 'agent' : `llm-${s}`,
        start_time_unix_nano: Number(startNs),
        end_time_unix_nano: Number(endNs),
        events: [],
        status: { code: 'STATUS_CODE_OK', message: '' },
        attributes: { 'mlflow.traceRequestId': JSON.stringify(traceId), ...attributesOf(t, s) },
      };
    }),
  });
}

/** Runs `count` jobs, `CONCURRENCY` at a time; seconds taken. */
async function pooled(count: number, job: (i: number) => Promise<void>): Promise<number> {
  let next = 0;
  const start = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < count) await job(next++);
    }),
  );
  return Number(process.hrtime.bigint() - start) / 1e9;
}

async function ok(response: Response, what: string): Promise<void> {
  if (!response.ok) throw new Error(`${what} answered ${response.status}: ${await response.text()}`);
  await response.arrayBuffer();
}

async function otlpOverHttp(url: string, experimentId: string, salt: number): Promise<number> {
  const bodies = Array.from({ length: BATCHES }, (_, b) => otlpBody(salt, b * 10, 10, 10));
  const seconds = await pooled(BATCHES, async (b) => {
    const response = await fetch(`${url}/v1/traces`, { method: 'POST', body: bodies[b]!, headers: { 'content-type': 'application/x-protobuf', 'x-mlflow-experiment-id': experimentId } });
    await ok(response, 'OTLP export');
  });
  return (BATCHES * 100) / seconds;
}

/** The MLflow 3 client's two calls per finished trace: StartTraceV3, then the data file. */
async function restPath(url: string, experimentId: string, salt: number, traces: number, spans: number): Promise<number> {
  const files = Array.from({ length: traces }, (_, t) => traceDataFile(`tr-${traceHex(salt, t)}`, t, spans));
  const seconds = await pooled(traces, async (t) => {
    const traceId = `tr-${traceHex(salt, t)}`;
    const info = {
      trace_id: traceId,
      client_request_id: traceId,
      trace_location: { type: 'MLFLOW_EXPERIMENT', mlflow_experiment: { experiment_id: experimentId } },
      request_time: new Date(T0_MS + t).toISOString(),
      execution_duration: '0.001s',
      state: 'OK',
      request_preview: '{"messages": [...]}',
      response_preview: '{"choices": [...]}',
      trace_metadata: { 'mlflow.trace_schema.version': '3', 'mlflow.traceInputs': '{}', 'mlflow.traceOutputs': '{}' },
      tags: { 'mlflow.traceName': 'agent' },
    };
    await ok(await fetch(`${url}/api/3.0/mlflow/traces`, { method: 'POST', body: JSON.stringify({ trace: { trace_info: info } }), headers: { 'content-type': 'application/json' } }), 'StartTraceV3');
    const dataUrl = `${url}/api/2.0/mlflow-artifacts/artifacts/${experimentId}/traces/${traceId}/artifacts/traces.json`;
    await ok(await fetch(dataUrl, { method: 'PUT', body: files[t]!, headers: { 'content-type': 'application/octet-stream' } }), 'trace data upload');
  });
  return (traces * spans) / seconds;
}

/** SpanInputs of one 100-span batch, as the OTLP route hands them to the service. */
function spanInputs(salt: number, first: number): SpanInput[] {
  const out: SpanInput[] = [];
  for (let t = first; t < first + 10; t++) {
    for (let s = 0; s < 10; s++) {
      const { startNs, endNs } = spanTimes(t, s);
      out.push({
        traceId: `tr-${traceHex(salt, t)}`,
        spanId: hex(s + 1, 16),
        parentSpanId: s === 0 ? undefined : hex(1, 16),
        name: s === 0 ? 'agent' : `llm-${s}`,
        spanType: s === 0 ? 'CHAIN' : 'LLM',
        startTimeNs: startNs.toString(),
        endTimeNs: endNs.toString(),
        status: { code: 'OK', message: '' },
        attributes: attributesOf(t, s),
        events: [],
      });
    }
  }
  return out;
}

async function ingest(dir: string) {
  const server = await startServe(join(dir, 'served'));
  let otlp: number, rest100: number, rest10: number;
  try {
    const created = await fetch(`${server.url}/api/2.0/mlflow/experiments/create`, { method: 'POST', body: JSON.stringify({ name: 'bench' }), headers: { 'content-type': 'application/json' } });
    const experimentId = ((await created.json()) as { experiment_id: string }).experiment_id;
    // A first round of each warms the server (JIT, statement caches) and is not counted.
    await otlpOverHttp(server.url, experimentId, 11);
    otlp = await otlpOverHttp(server.url, experimentId, 1);
    await restPath(server.url, experimentId, 12, BATCHES / 3, 100);
    rest100 = await restPath(server.url, experimentId, 2, BATCHES, 100);
    await restPath(server.url, experimentId, 13, BATCHES, 10);
    rest10 = await restPath(server.url, experimentId, 3, BATCHES * 2, 10);
  } finally {
    await server.stop();
  }
  const fd = await openFlowdesk({ dataDir: join(dir, 'in-process') });
  let inProcess: number;
  try {
    const { experimentId } = await fd.handlers['experiments.create']({ name: 'bench' });
    const batches = Array.from({ length: BATCHES }, (_, b) => spanInputs(4, b * 10));
    for (let b = 0; b < BATCHES; b++) await fd.handlers['traces.logSpans']({ experimentId, spans: spanInputs(5, b * 10) });
    const start = process.hrtime.bigint();
    for (const spans of batches) await fd.handlers['traces.logSpans']({ experimentId, spans });
    inProcess = (BATCHES * 100) / (Number(process.hrtime.bigint() - start) / 1e9);
  } finally {
    await fd.close();
  }
  const spansPerSecond = (n: number) => `${Math.round(n).toLocaleString()} spans/s (${((n / inProcess) * 100).toFixed(0)}% of in-process; goal ≥ 5,000)`;
  report(`Trace ingest: ${(BATCHES * 100).toLocaleString()} spans per path, ${CONCURRENCY} requests at a time, each acknowledged on disk`, [
    ['in-process traces.logSpans, batches of 100 (baseline)', `${Math.round(inProcess).toLocaleString()} spans/s`],
    ['OTLP/HTTP protobuf, batches of 100 spans', spansPerSecond(otlp)],
    ['MLflow REST path, traces of 100 spans', spansPerSecond(rest100)],
    ['MLflow REST path, traces of 10 spans', spansPerSecond(rest10)],
  ]);
}

/** 100,000 traces with 3 tags each, a third of them ERROR, written straight into the catalog. */
async function seedSearch(dataDir: string) {
  const fd = await openFlowdesk({ dataDir });
  const { experimentId } = await fd.handlers['experiments.create']({ name: 'search' });
  const envs = ['prod', 'staging', 'dev'];
  for (let start = 0; start < SEARCH_TRACES; start += 1000) {
    await fd.catalog.write(async (trx) => {
      const rows = await trx
        .insertInto('traces')
        .values(
          Array.from({ length: 1000 }, (_, i) => {
            const n = start + i;
            return { trace_id: `tr-${hex(n, 32)}`, experiment_id: Number(experimentId), request_time: T0_MS + n, execution_duration: 10 + (n % 90), state: n % 3 === 0 ? 'ERROR' : 'OK', request_preview: `question ${n}`, response_preview: `answer ${n}`, span_count: 10 };
          }),
        )
        .returning('id')
        .execute();
      const tags = rows.flatMap(({ id }, i) => [
        { trace_id: id, key: 'env', value: envs[(start + i) % 7 % 3]! },
        { trace_id: id, key: 'user', value: `u${(start + i) % 100}` },
        { trace_id: id, key: 'mlflow.traceName', value: 'agent' },
      ]);
      for (let i = 0; i < tags.length; i += 300) await trx.insertInto('trace_tags').values(tags.slice(i, i + 300)).execute();
    });
  }
  return { fd, experimentId };
}

async function search(dir: string) {
  const { fd, experimentId } = await seedSearch(dir);
  const ours: number[] = [];
  let found = 0;
  for (let i = 0; i < 15; i++) {
    const start = process.hrtime.bigint();
    found = (await fd.handlers['traces.search']({ experimentIds: [experimentId], filter: SEARCH_FILTER, maxResults: 100 })).traces.length;
    ours.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  await fd.close();
  const raw = new Database(join(dir, 'catalog.sqlite'), { readonly: true });
  const page = raw.prepare(`select t.* from traces t
    where t.experiment_id = ? and t.state = 'ERROR' and t.id in (select trace_id from trace_tags where key = 'env' and value = 'prod')
    order by t.request_time desc, t.id desc limit 100`);
  const tagsOf = raw.prepare(`select * from trace_tags where trace_id in (select value from json_each(?))`);
  const baseline: number[] = [];
  for (let i = 0; i < 15; i++) {
    const start = process.hrtime.bigint();
    const rows = page.all(experimentId) as { id: number }[];
    tagsOf.all(JSON.stringify(rows.map((r) => r.id)));
    baseline.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  raw.close();
  report(`Trace search: ${SEARCH_TRACES.toLocaleString()} traces, ${SEARCH_FILTER}, newest first`, [
    ['hand-written SQL, page of 100 with tags (baseline, median of 15)', `${median(baseline).toFixed(1)} ms`],
    [`traces.search, first page of ${found} (median of 15)`, `${median(ours).toFixed(1)} ms (ratio to baseline ${(median(ours) / median(baseline)).toFixed(1)}; goal < 50 ms)`],
  ]);
}

/** Runs the tracing benchmarks and prints their figures. */
export async function runTracingBench(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'flowdesk-tracing-bench-'));
  try {
    await ingest(dir);
    await search(join(dir, 'search'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await runTracingBench();
