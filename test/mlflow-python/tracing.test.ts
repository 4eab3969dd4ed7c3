/**
 * MLflow 3.5.1's tracing against a real Flowdesk server: the real `@mlflow.trace`,
 * `mlflow.start_span`, `get_trace`, `search_traces`, trace tags, `delete_traces`, assessments,
 * traces in runs, and OpenTelemetry's own OTLP/HTTP exporter; what the client reads back and what
 * Flowdesk stored are compared with what was sent.
 */
import { describe, expect, it } from 'vitest';
import { startTestServer } from '../helpers/server.ts';
import { PYTHON_CLIENTS_NOT_RUN_REASON, runPython } from '../helpers/python-clients.ts';

describe.runIf(!PYTHON_CLIENTS_NOT_RUN_REASON)('MLflow 3.5.1 tracing against flowdesk serve', () => {
  it('records nested traced functions and manual spans, and get_trace reads them back', async () => {
    const { url, api } = await startTestServer();
    const out = await runPython<{ traceId: string; spans: { name: string; parent: string | null; id: string; inputs: unknown; outputs: unknown; type: string }[]; preview: string }>(
      '3.5.1',
      url,
      `
import json, mlflow
mlflow.set_experiment("agents")

@mlflow.trace(span_type="TOOL")
def lookup(city):
    return {"city": city, "temp": 21.5}

@mlflow.trace(name="answer", span_type="CHAIN")
def answer(question):
    with mlflow.start_span(name="plan", span_type="LLM") as span:
        span.set_inputs({"question": question})
        span.set_attribute("model", "tiny")
        span.set_outputs("look it up")
    return lookup("Paris")["temp"]

answer("how warm is Paris?")
trace = mlflow.get_trace(mlflow.get_last_active_trace_id())
print(json.dumps({
    "traceId": trace.info.trace_id,
    "preview": trace.info.request_preview,
    "spans": [{"name": s.name, "parent": s.parent_id, "id": s.span_id, "inputs": s.inputs, "outputs": s.outputs, "type": s.span_type} for s in trace.data.spans],
}))
`,
    );
    expect(out.spans.map((s) => [s.name, s.type, s.inputs, s.outputs])).toEqual([
      ['answer', 'CHAIN', { question: 'how warm is Paris?' }, 21.5],
      ['plan', 'LLM', { question: 'how warm is Paris?' }, 'look it up'],
      ['lookup', 'TOOL', { city: 'Paris' }, { city: 'Paris', temp: 21.5 }],
    ]);
    expect(out.spans[1]!.parent).toBe(out.spans[0]!.id);
    expect(out.spans[2]!.parent).toBe(out.spans[0]!.id);
    expect(JSON.parse(out.preview)).toEqual({ question: 'how warm is Paris?' });
    // Flowdesk indexed the uploaded spans as they arrived.
    const { spans } = await api.call('traces.spans', { traceId: out.traceId });
    expect(spans.map((s) => [s.name, s.spanType, s.parentSpanId ?? null, s.spanId])).toEqual(out.spans.map((s) => [s.name, s.type, s.parent, s.id]));
    expect(JSON.parse(spans[1]!.attributes.model!)).toBe('tiny');
    const { trace } = await api.call('traces.get', { traceId: out.traceId });
    expect(trace).toMatchObject({ state: 'OK', spanCount: 3 });
  });

  it('records an exception as an ERROR trace with the exception event on its span', async () => {
    const { url, api } = await startTestServer();
    const out = await runPython<{ traceId: string; state: string; events: string[] }>(
      '3.5.1',
      url,
      `
import json, mlflow
mlflow.set_experiment("errors")

@mlflow.trace
def fails():
    raise ValueError("no answer")

try:
    fails()
except ValueError:
    pass
trace = mlflow.get_trace(mlflow.get_last_active_trace_id())
print(json.dumps({"traceId": trace.info.trace_id, "state": trace.info.state.value, "events": [e.name for e in trace.data.spans[0].events]}))
`,
    );
    expect(out).toMatchObject({ state: 'ERROR', events: ['exception'] });
    const { spans } = await api.call('traces.spans', { traceId: out.traceId });
    expect(spans[0]!.status.code).toBe('ERROR');
    expect(spans[0]!.events[0]!.attributes['exception.message']).toBe('no answer');
    const { traces } = await api.call('traces.search', { experimentIds: [(await api.call('experiments.getByName', { name: 'errors' })).experiment.experimentId], filter: "trace.status = 'ERROR'" });
    expect(traces.map((t) => t.traceId)).toEqual([out.traceId]);
  });

  it('searches traces by tag and status, ordered and paged, into a DataFrame', async () => {
    const { url } = await startTestServer();
    const out = await runPython<{ all: string[]; page1: string[]; page2: string[]; frameIds: string[]; frameType: string; spanNames: string[] }>(
      '3.5.1',
      url,
      `
import json, mlflow, time
from mlflow import MlflowClient
exp = mlflow.set_experiment("search").experiment_id
client = MlflowClient()

@mlflow.trace
def step(i):
    return i

ids = []
for i in range(5):
    step(i)
    tid = mlflow.get_last_active_trace_id()
    client.set_trace_tag(tid, "team", "a" if i % 2 == 0 else "b")
    ids.append(tid)
    time.sleep(0.01)

everything = client.search_traces(locations=[exp], filter_string="tags.team = 'a' AND trace.status = 'OK'", order_by=["timestamp_ms ASC"])
page1 = client.search_traces(locations=[exp], order_by=["timestamp_ms ASC"], max_results=3)
page2 = client.search_traces(locations=[exp], order_by=["timestamp_ms ASC"], max_results=3, page_token=page1.token)
frame = mlflow.search_traces(locations=[exp], filter_string="tags.team = 'b' OR span.name = 'nothing'", order_by=["timestamp_ms DESC"])
print(json.dumps({
    "all": [ids.index(t.info.trace_id) for t in everything],
    "page1": [ids.index(t.info.trace_id) for t in page1],
    "page2": [ids.index(t.info.trace_id) for t in page2],
    "frameIds": [ids.index(t) for t in frame["trace_id"]],
    "frameType": type(frame).__name__,
    # The DataFrame holds each trace as its JSON.
    "spanNames": [s["name"] for s in json.loads(frame["trace"].iloc[0])["data"]["spans"]],
}))
`,
    );
    expect(out.all).toEqual([0, 2, 4]);
    expect(out.page1).toEqual([0, 1, 2]);
    expect(out.page2).toEqual([3, 4]);
    expect(out.frameType).toBe('DataFrame');
    expect(out.frameIds).toEqual([3, 1]);
    expect(out.spanNames).toEqual(['step']);
  });

  it('sets and deletes trace tags with MlflowClient', async () => {
    const { url, api } = await startTestServer();
    const out = await runPython<{ traceId: string; afterSet: string; afterDelete: string | null }>(
      '3.5.1',
      url,
      `
import json, mlflow
from mlflow import MlflowClient
mlflow.set_experiment("tags")

@mlflow.trace
def f():
    return 1

f()
tid = mlflow.get_last_active_trace_id()
client = MlflowClient()
client.set_trace_tag(tid, "reviewed", "yes")
after_set = mlflow.get_trace(tid).info.tags["reviewed"]
client.set_trace_tag(tid, "keep", "1")
client.delete_trace_tag(tid, "reviewed")
print(json.dumps({"traceId": tid, "afterSet": after_set, "afterDelete": mlflow.get_trace(tid).info.tags.get("reviewed")}))
`,
    );
    expect(out).toMatchObject({ afterSet: 'yes', afterDelete: null });
    const { trace } = await api.call('traces.get', { traceId: out.traceId });
    expect(trace.tags.keep).toBe('1');
    expect(trace.tags.reviewed).toBeUndefined();
  });

  it('deletes traces by id and by age with delete_traces', async () => {
    const { url, api } = await startTestServer();
    const out = await runPython<{ experimentId: string; byIds: number; byAge: number; left: string[]; ids: string[] }>(
      '3.5.1',
      url,
      `
import json, mlflow, time
from mlflow import MlflowClient
exp = mlflow.set_experiment("delete").experiment_id

@mlflow.trace
def f(i):
    return i

ids = []
for i in range(4):
    f(i)
    ids.append(mlflow.get_last_active_trace_id())
    time.sleep(0.01)
client = MlflowClient()
by_ids = client.delete_traces(experiment_id=exp, trace_ids=[ids[3]])
oldest_kept = client.get_trace(ids[2]).info.request_time
by_age = client.delete_traces(experiment_id=exp, max_timestamp_millis=oldest_kept, max_traces=1)
left = [t.info.trace_id for t in client.search_traces(locations=[exp], order_by=["timestamp_ms ASC"])]
print(json.dumps({"experimentId": exp, "byIds": by_ids, "byAge": by_age, "left": left, "ids": ids}))
`,
    );
    expect(out).toMatchObject({ byIds: 1, byAge: 1 });
    expect(out.left).toEqual([out.ids[1], out.ids[2]]);
    await expect(api.call('traces.get', { traceId: out.ids[0]! })).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
  });

  it('logs, reads, updates and deletes feedback and expectations', async () => {
    const { url, api } = await startTestServer();
    const out = await runPython<{ traceId: string; feedback: string; got: unknown; expectation: unknown; updated: unknown; names: string[] }>(
      '3.5.1',
      url,
      `
import json, mlflow
from mlflow.entities import AssessmentSource, Feedback
mlflow.set_experiment("feedback")

@mlflow.trace
def f():
    return "42"

f()
tid = mlflow.get_last_active_trace_id()
fb = mlflow.log_feedback(trace_id=tid, name="correct", value=True, rationale="matches", source=AssessmentSource(source_type="HUMAN", source_id="ann"), metadata={"round": "1"})
ex = mlflow.log_expectation(trace_id=tid, name="expected", value={"answer": 42})
got = mlflow.get_assessment(tid, fb.assessment_id)
updated = mlflow.update_assessment(trace_id=tid, assessment_id=fb.assessment_id, assessment=Feedback(name="correct", value=0.5, rationale="partly"))
expectation = mlflow.get_assessment(tid, ex.assessment_id).value
mlflow.delete_assessment(trace_id=tid, assessment_id=ex.assessment_id)
print(json.dumps({
    "traceId": tid, "feedback": fb.assessment_id,
    "got": {"value": got.value, "rationale": got.rationale, "source": got.source.source_type, "metadata": got.metadata},
    "expectation": expectation,
    "updated": {"value": updated.value, "rationale": updated.rationale},
    "names": [a.name for a in mlflow.get_trace(tid).info.assessments],
}))
`,
    );
    expect(out.got).toEqual({ value: true, rationale: 'matches', source: 'HUMAN', metadata: { round: '1' } });
    expect(out.expectation).toEqual({ answer: 42 });
    expect(out.updated).toEqual({ value: 0.5, rationale: 'partly' });
    expect(out.names).toEqual(['correct']);
    const { assessment } = await api.call('traces.getAssessment', { traceId: out.traceId, assessmentId: out.feedback });
    expect(assessment).toMatchObject({ name: 'correct', feedback: { value: 0.5 }, rationale: 'partly', source: { sourceType: 'HUMAN', sourceId: 'ann' }, valid: true });
  });

  it('finds traces made in a run and traces linked to it by the run id', async () => {
    const { url, api } = await startTestServer();
    const out = await runPython<{ runId: string; inRun: string; linked: string; found: string[] }>(
      '3.5.1',
      url,
      `
import json, mlflow
from mlflow import MlflowClient
exp = mlflow.set_experiment("runs").experiment_id

@mlflow.trace
def f(i):
    return i

f(0)
linked = mlflow.get_last_active_trace_id()
with mlflow.start_run() as run:
    f(1)
    in_run = mlflow.get_last_active_trace_id()
MlflowClient().link_traces_to_run([linked], run.info.run_id)
found = mlflow.search_traces(locations=[exp], run_id=run.info.run_id, return_type="list")
print(json.dumps({"runId": run.info.run_id, "inRun": in_run, "linked": linked, "found": sorted(t.info.trace_id for t in found)}))
`,
    );
    expect(out.found).toEqual([out.inRun, out.linked].sort());
    const { trace } = await api.call('traces.get', { traceId: out.inRun });
    expect(trace.metadata['mlflow.sourceRun']).toBe(out.runId);
    const { trace: linked } = await api.call('traces.get', { traceId: out.linked });
    expect(linked.linkedRunIds).toEqual([out.runId]);
  });

  it("takes spans from OpenTelemetry's OTLP/HTTP exporter and serves them to get_trace", async () => {
    const { url, api } = await startTestServer();
    const { experimentId } = await api.call('experiments.create', { name: 'otel' });
    const out = await runPython<{ traceId: string; names: string[]; attributes: Record<string, unknown>; state: string }>(
      '3.5.1',
      url,
      `
import json, os, mlflow
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

provider = TracerProvider()
exporter = OTLPSpanExporter(endpoint=os.environ["MLFLOW_TRACKING_URI"] + "/v1/traces", headers={"x-mlflow-experiment-id": "${experimentId}"})
provider.add_span_processor(SimpleSpanProcessor(exporter))
tracer = provider.get_tracer("app")
with tracer.start_as_current_span("request") as root:
    root.set_attribute("http.status_code", 200)
    root.set_attribute("tags", ["x", "y"])
    with tracer.start_as_current_span("db") as child:
        child.add_event("retry", {"attempt": 2})
        child.set_status(trace.Status(trace.StatusCode.ERROR, "timeout"))
provider.shutdown()
tid = "tr-" + format(root.get_span_context().trace_id, "032x")
t = mlflow.get_trace(tid)
print(json.dumps({"traceId": tid, "names": [s.name for s in t.data.spans], "attributes": t.data.spans[0].attributes, "state": t.info.state.value}))
`,
    );
    expect(out.names).toEqual(['request', 'db']);
    expect(out.attributes).toMatchObject({ 'http.status_code': 200, tags: ['x', 'y'] });
    expect(out.state).toBe('OK');
    const { spans } = await api.call('traces.spans', { traceId: out.traceId });
    expect(spans[1]).toMatchObject({ name: 'db', status: { code: 'ERROR', message: 'timeout' }, events: [{ name: 'retry', attributes: { attempt: 2 } }] });
    expect(spans[1]!.parentSpanId).toBe(spans[0]!.spanId);
  });

  it('leaves the 2.12.2 client, which has no tracing, working in an experiment that holds traces', async () => {
    const { url, api } = await startTestServer();
    const { experimentId } = await api.call('experiments.create', { name: 'mixed' });
    await api.call('traces.start', { trace: { traceId: `tr-${'1'.repeat(32)}`, experimentId, requestTime: 1_700_000_000_000, state: 'OK' } });
    const out = await runPython<{ runs: number; experiment: string }>(
      '2.12.2',
      url,
      `
import json, mlflow
mlflow.set_experiment("mixed")
with mlflow.start_run():
    mlflow.log_metric("m", 1.0)
exp = mlflow.get_experiment_by_name("mixed")
print(json.dumps({"runs": len(mlflow.search_runs([exp.experiment_id])), "experiment": exp.experiment_id}))
`,
    );
    expect(out).toEqual({ runs: 1, experiment: experimentId });
    expect((await api.call('traces.search', { experimentIds: [experimentId] })).traces).toHaveLength(1);
  });
});
