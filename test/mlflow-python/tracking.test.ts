/**
 * Tracking through the real MLflow Python clients (2.12.2 and 3.5.1), the fluent API and
 * MlflowClient, against one flowdesk server per file: experiments, runs and their lifecycle,
 * nested runs, params, metrics with steps and timestamps, log_batch, metric history, and run search
 * with filters, ordering (NaN and missing values), paging and max_results. Each version runs one
 * script (importing mlflow costs seconds) and each test checks one behaviour of what it left, read
 * back through the Flowdesk contract and through the client itself.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { Run } from '#core/api/entities.ts';
import { serverForFile } from '../helpers/server.ts';
import { CLIENT_VERSIONS, PYTHON_CLIENTS_NOT_RUN_REASON, runPythonPerVersion, type ClientVersion } from '../helpers/python-clients.ts';

interface TrackingOut {
  exp: { id: string; byNewName: string; oldNameFound: boolean; tags: Record<string, string>; goneStage: string; deletedOnly: string[]; backStage: string; pages: string[][]; byTag: string[] };
  runs: {
    parent: string;
    child: string;
    failed: string;
    childParentTag: string;
    activeAfter: boolean;
    lastActive: string;
  };
  manual: { id: string; status: string; history: { step: number; value: number; timestamp: number }[]; historyLength: number; deletedStage: string; restoredStage: string; deletedOnly: string[] };
  search: {
    experimentId: string;
    desc: string[];
    asc: string[];
    gt: string[];
    param: string[];
    tagNe: string[];
    byName: string[];
    like: string[];
    pages: string[][];
    nanIsNan: boolean;
    frame: { rows: number; missingScores: number; columns: string[] };
    frameMax: number;
  };
}

function script(prefix: string): string {
  return `
import json, math, mlflow
from mlflow import MlflowClient
from mlflow.entities import Metric, Param, RunTag, ViewType

P = ${JSON.stringify(prefix)}
client = MlflowClient()
out = {}

# Experiments: create with tags, tag, rename, delete, restore, search with paging and a tag filter.
eid = client.create_experiment(P + "exp", tags={"team": "vision"})
client.set_experiment_tag(eid, "stage", "dev")
client.rename_experiment(eid, P + "renamed")
gone = client.create_experiment(P + "gone")
client.delete_experiment(gone)
back = client.create_experiment(P + "back")
client.delete_experiment(back)
client.restore_experiment(back)
for i in range(5):
    client.create_experiment(P + f"page-{i}")
pages, token = [], None
while True:
    page = client.search_experiments(filter_string=f"name LIKE '{P}page-%'", max_results=2, page_token=token, order_by=["name DESC"])
    pages.append([e.name for e in page])
    token = page.token
    if not token:
        break
out["exp"] = {
    "id": eid,
    "byNewName": client.get_experiment_by_name(P + "renamed").experiment_id,
    "oldNameFound": client.get_experiment_by_name(P + "exp") is not None,
    "tags": client.get_experiment(eid).tags,
    "goneStage": client.get_experiment(gone).lifecycle_stage,
    "deletedOnly": [e.name for e in client.search_experiments(view_type=ViewType.DELETED_ONLY, filter_string=f"name LIKE '{P}%'")],
    "backStage": client.get_experiment(back).lifecycle_stage,
    "pages": pages,
    "byTag": [e.name for e in client.search_experiments(filter_string=f"tags.team = 'vision' AND name LIKE '{P}%'")],
}

# Fluent runs: a parent with a nested child, params, stepped metrics, tags, a description; a failing run.
mlflow.set_experiment(experiment_id=eid)
with mlflow.start_run(run_name="parent", tags={"owner": "ana"}, description="first try") as parent:
    mlflow.log_params({"lr": 0.01, "layers": 3})
    mlflow.log_metric("loss", 0.9, step=0, timestamp=1700000000000)
    mlflow.log_metric("loss", 0.5, step=1, timestamp=1700000001000)
    mlflow.log_metrics({"acc": 0.7, "f1": 0.6}, step=1)
    mlflow.set_tags({"phase": "train"})
    with mlflow.start_run(run_name="child", nested=True) as child:
        mlflow.log_metric("acc", 0.8)
failed = None
try:
    with mlflow.start_run(run_name="boom") as boom:
        failed = boom.info.run_id
        raise ValueError("boom")
except ValueError:
    pass
out["runs"] = {
    "parent": parent.info.run_id,
    "child": child.info.run_id,
    "failed": failed,
    "childParentTag": client.get_run(child.info.run_id).data.tags.get("mlflow.parentRunId"),
    "activeAfter": mlflow.active_run() is not None,
    "lastActive": mlflow.last_active_run().info.run_id,
}

# MlflowClient: create_run, log_batch over several requests, set_terminated, delete and restore.
run = client.create_run(eid, run_name="manual", tags={"source": "client"})
rid = run.info.run_id
points = [Metric("m", float(i) / 10, 1700000000000 + i, i) for i in range(2500)]
for start in range(0, len(points), 1000):
    client.log_batch(rid, metrics=points[start:start + 1000])
client.log_batch(rid, params=[Param("p1", "a"), Param("p2", "b")], tags=[RunTag("t", "x")])
client.set_terminated(rid, "KILLED")
history = client.get_metric_history(rid, "m")
client.delete_run(rid)
deleted_stage = client.get_run(rid).info.lifecycle_stage
deleted_only = [r.info.run_id for r in client.search_runs([eid], run_view_type=ViewType.DELETED_ONLY)]
client.restore_run(rid)
out["manual"] = {
    "id": rid,
    "status": client.get_run(rid).info.status,
    "history": [{"step": m.step, "value": m.value, "timestamp": m.timestamp} for m in history[:3]],
    "historyLength": len(history),
    "deletedStage": deleted_stage,
    "restoredStage": client.get_run(rid).info.lifecycle_stage,
    "deletedOnly": deleted_only,
}

# Run search: numbers, a NaN and a run without the metric; filters, both orders, paging.
sid = client.create_experiment(P + "search")
rows = [("r1", 0.9, "a", "x"), ("r2", 0.5, "b", "y"), ("r3", float("nan"), "a", None), ("r4", None, "b", "x"), ("r5", 0.1, "a", "y")]
for name, score, model, group in rows:
    r = client.create_run(sid, run_name=name)
    if score is not None:
        client.log_metric(r.info.run_id, "score", score)
    client.log_param(r.info.run_id, "model", model)
    if group is not None:
        client.set_tag(r.info.run_id, "group", group)
    client.set_terminated(r.info.run_id, "FINISHED" if name != "r5" else "FAILED")
names = lambda runs: [r.info.run_name for r in runs]
pages, token = [], None
while True:
    page = client.search_runs([sid], order_by=["metrics.score DESC"], max_results=2, page_token=token)
    pages.append(names(page))
    token = page.token
    if not token:
        break
r3 = [r for r in client.search_runs([sid]) if r.info.run_name == "r3"][0]
frame = mlflow.search_runs(experiment_ids=[sid])
out["search"] = {
    "experimentId": sid,
    "desc": names(client.search_runs([sid], order_by=["metrics.score DESC"])),
    "asc": names(client.search_runs([sid], order_by=["metrics.score ASC"])),
    "gt": names(client.search_runs([sid], filter_string="metrics.score > 0.4", order_by=["attributes.run_name"])),
    "param": names(client.search_runs([sid], filter_string="params.model = 'a' and attributes.status = 'FINISHED'", order_by=["attributes.run_name"])),
    "tagNe": names(client.search_runs([sid], filter_string="tags.group != 'x'", order_by=["attributes.run_name"])),
    "byName": names(client.search_runs([sid], filter_string="attributes.run_name = 'r2'")),
    "like": names(client.search_runs([sid], filter_string="run_name LIKE 'r%' and params.model != 'a'", order_by=["run_name DESC"])),
    "pages": pages,
    "nanIsNan": math.isnan(r3.data.metrics["score"]),
    "frame": {"rows": len(frame), "missingScores": int(frame["metrics.score"].isna().sum()), "columns": sorted(c for c in frame.columns if c.startswith(("metrics.", "params.", "tags.group")))},
    "frameMax": len(mlflow.search_runs(experiment_ids=[sid], max_results=3)),
}
print(json.dumps(out))
`;
}

function tagsOf(run: Run): Record<string, string> {
  return Object.fromEntries(run.data.tags.map((t) => [t.key, t.value]));
}

describe.runIf(!PYTHON_CLIENTS_NOT_RUN_REASON)('tracking through the real MLflow clients', () => {
  const server = serverForFile();
  const outputs = runPythonPerVersion<TrackingOut>(() => server().url, (version) => script(`trk-${version}-`));

  describe.each(CLIENT_VERSIONS)('MLflow %s', (version: ClientVersion) => {
    const prefix = `trk-${version}-`;
    let out: TrackingOut;
    beforeAll(async () => {
      out = await outputs(version);
    }, 170_000);

    it('renames an experiment and finds it by its new name only', async () => {
      expect(out.exp.byNewName).toBe(out.exp.id);
      expect(out.exp.oldNameFound).toBe(false);
      const { experiment } = await server().api.call('experiments.get', { experimentId: out.exp.id });
      expect(experiment.name).toBe(`${prefix}renamed`);
    });

    it('keeps the experiment tags given at creation and set later', async () => {
      expect(out.exp.tags).toEqual({ team: 'vision', stage: 'dev' });
      const { experiment } = await server().api.call('experiments.get', { experimentId: out.exp.id });
      expect(Object.fromEntries(experiment.tags.map((t) => [t.key, t.value]))).toMatchObject({ team: 'vision', stage: 'dev' });
    });

    it('deletes and restores experiments, and lists the deleted ones only when asked', () => {
      expect(out.exp.goneStage).toBe('deleted');
      expect(out.exp.backStage).toBe('active');
      expect(out.exp.deletedOnly).toEqual([`${prefix}gone`]);
    });

    it('pages experiments by name in the requested order', () => {
      expect(out.exp.pages).toEqual([
        [`${prefix}page-4`, `${prefix}page-3`],
        [`${prefix}page-2`, `${prefix}page-1`],
        [`${prefix}page-0`],
      ]);
    });

    it('filters experiments by tag', () => {
      expect(out.exp.byTag).toEqual([`${prefix}renamed`]);
    });

    it('logs params, stepped metrics with their timestamps, tags and the description of a fluent run', async () => {
      const { run } = await server().api.call('runs.get', { runId: out.runs.parent });
      expect(run.info.runName).toBe('parent');
      expect(run.info.status).toBe('FINISHED');
      expect(run.info.endTime).toBeGreaterThanOrEqual(run.info.startTime);
      expect(Object.fromEntries(run.data.params.map((p) => [p.key, p.value]))).toEqual({ lr: '0.01', layers: '3' });
      expect(tagsOf(run)).toMatchObject({ owner: 'ana', phase: 'train', 'mlflow.note.content': 'first try', 'mlflow.runName': 'parent' });
      const { metrics } = await server().api.call('metrics.history', { runId: out.runs.parent, key: 'loss' });
      expect(metrics.map((m) => [m.step, m.value, m.timestamp])).toEqual([
        [0, 0.9, 1700000000000],
        [1, 0.5, 1700000001000],
      ]);
      expect(Object.fromEntries(run.data.metrics.map((m) => [m.key, m.value]))).toEqual({ loss: 0.5, acc: 0.7, f1: 0.6 });
    });

    it('links a nested run to its parent and ends both', async () => {
      expect(out.runs.childParentTag).toBe(out.runs.parent);
      const { run } = await server().api.call('runs.get', { runId: out.runs.child });
      expect(run.info.status).toBe('FINISHED');
      expect(tagsOf(run)['mlflow.parentRunId']).toBe(out.runs.parent);
      expect(out.runs.activeAfter).toBe(false);
    });

    it('marks a run FAILED when its block raises', async () => {
      const { run } = await server().api.call('runs.get', { runId: out.runs.failed });
      expect(run.info.status).toBe('FAILED');
      expect(out.runs.lastActive).toBe(out.runs.failed);
    });

    it('keeps every point of a metric logged in several log_batch calls, in step order', async () => {
      expect(out.manual.historyLength).toBe(2500);
      expect(out.manual.history).toEqual([
        { step: 0, value: 0, timestamp: 1700000000000 },
        { step: 1, value: 0.1, timestamp: 1700000000001 },
        { step: 2, value: 0.2, timestamp: 1700000000002 },
      ]);
      const { run } = await server().api.call('runs.get', { runId: out.manual.id });
      expect(run.data.metrics).toEqual([{ key: 'm', value: 249.9, timestamp: 1700000002499, step: 2499 }]);
      expect(Object.fromEntries(run.data.params.map((p) => [p.key, p.value]))).toEqual({ p1: 'a', p2: 'b' });
      expect(tagsOf(run)).toMatchObject({ t: 'x', source: 'client', 'mlflow.runName': 'manual' });
    });

    it('sets a terminal status with set_terminated', () => {
      expect(out.manual.status).toBe('KILLED');
    });

    it('deletes and restores a run, and searches the deleted ones only when asked', async () => {
      expect(out.manual.deletedStage).toBe('deleted');
      expect(out.manual.deletedOnly).toEqual([out.manual.id]);
      expect(out.manual.restoredStage).toBe('active');
      const { run } = await server().api.call('runs.get', { runId: out.manual.id });
      expect(run.info.lifecycleStage).toBe('active');
    });

    it('orders runs by a metric with NaN after numbers and missing values last, both ways', () => {
      expect(out.search.desc).toEqual(['r1', 'r2', 'r5', 'r3', 'r4']);
      expect(out.search.asc).toEqual(['r5', 'r2', 'r1', 'r3', 'r4']);
      expect(out.search.nanIsNan).toBe(true);
    });

    it('pages a sorted run search with page tokens', () => {
      expect(out.search.pages).toEqual([['r1', 'r2'], ['r5', 'r3'], ['r4']]);
    });

    it('filters runs by metric, param, tag, status and name', () => {
      expect(out.search.gt).toEqual(['r1', 'r2']);
      expect(out.search.param).toEqual(['r1', 'r3']);
      expect(out.search.tagNe).toEqual(['r2', 'r5']);
      expect(out.search.byName).toEqual(['r2']);
      expect(out.search.like).toEqual(['r4', 'r2']);
    });

    it('returns a search as a pandas frame with NaN for missing metrics, and honours max_results', () => {
      expect(out.search.frame.rows).toBe(5);
      expect(out.search.frame.missingScores).toBe(2);
      expect(out.search.frame.columns).toEqual(['metrics.score', 'params.model', 'tags.group']);
      expect(out.search.frameMax).toBe(3);
    });

    it('finds through the contract the same runs the client searched', async () => {
      const { runs } = await server().api.call('runs.search', { experimentIds: [out.search.experimentId], orderBy: ['metrics.score DESC'] });
      expect(runs.map((r) => r.info.runName)).toEqual(out.search.desc);
    });
  });
});
