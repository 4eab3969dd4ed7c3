/**
 * The less travelled paths of tracking, through the real MLflow Python clients (2.12.2 and 3.5.1)
 * against one flowdesk server per file, as real users hit them: Databricks-style experiment names
 * with slashes, keys with slashes, spaces and accents, non-finite metric values, resuming a
 * finished run, renaming runs, param immutability, errors a script catches (and that they are 4xx,
 * which the client does not retry), searches on back-ticked keys, datasets and id lists, and
 * several threads logging at once. Each version runs one script; each test checks one behaviour.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { Run } from '#core/api/entities.ts';
import { serverForFile } from '../helpers/server.ts';
import { CLIENT_VERSIONS, PYTHON_CLIENTS_NOT_RUN_REASON, runPythonPerVersion, type ClientVersion } from '../helpers/python-clients.ts';

interface Failure {
  code: string | null;
  status: number | null;
}

interface EdgesOut {
  experiment: { id: string; name: string; byName: string; deletedSetError: string | null };
  named: string;
  resumed: { id: string; status: string; steps: number[]; endTimeGrew: boolean };
  renamed: { runName: string; tag: string; viaTag: string };
  deletedTag: boolean;
  params: { sameAgain: boolean; changed: Failure };
  errors: { missingRun: Failure; deletedRunLog: Failure; missingExperiment: Failure; badFilter: Failure; noHistory: number };
  nonFinite: { history: string[]; latest: string };
  search: { backticked: string[]; spaced: string[]; idList: string[]; dataset: string[]; ilike: string[]; byStart: string[]; byNames: number; parentOf: string };
  threads: { runs: string[]; points: number[] };
  wide: { id: string; counts: number[]; found: number };
}

function script(prefix: string): string {
  return `
import json, math, threading, time
import mlflow, pandas as pd
from mlflow import MlflowClient
from mlflow.entities import ViewType
from mlflow.exceptions import MlflowException

P = ${JSON.stringify(prefix)}
client = MlflowClient()
out = {}

def failure(call):
    try:
        call()
    except MlflowException as e:
        return {"code": e.error_code, "status": e.get_http_status_code()}
    return {"code": None, "status": None}

# A Databricks-style name with slashes, spaces and an accent.
name = f"/Shared/{P}team exp é"
exp = mlflow.set_experiment(name)
gone = P + "gone"
client.delete_experiment(client.create_experiment(gone))
try:
    mlflow.set_experiment(gone)
    deleted_set_error = None
except MlflowException as e:
    deleted_set_error = e.message
mlflow.set_experiment(name)
out["experiment"] = {"id": exp.experiment_id, "name": name, "byName": client.get_experiment_by_name(name).experiment_id, "deletedSetError": deleted_set_error}

# Keys with slashes, spaces and accents; values with emoji and newlines; an empty tag value.
with mlflow.start_run(run_name="nommé ✓") as named:
    mlflow.log_metric("val/loss", 0.5, step=1)
    mlflow.log_metric("précision", 0.75)
    mlflow.log_param("learning rate", "1e-3")
    mlflow.log_param("layers/first", "conv 3×3")
    mlflow.set_tag("notes", "line one\\nline two 🚀")
    mlflow.set_tag("empty", "")
    mlflow.set_tag("to-delete", "x")
    mlflow.log_metric("bad", float("nan"), step=0)
    mlflow.log_metric("bad", float("inf"), step=1)
    mlflow.log_metric("bad", float("-inf"), step=2)
    mlflow.log_metric("bad", -1.5, step=-3)
    mlflow.log_metric("big-step", 1.0, step=2**40)
    mlflow.log_input(mlflow.data.from_pandas(pd.DataFrame({"a": [1]}), name="tiny"), context="training")
client.delete_tag(named.info.run_id, "to-delete")
out["named"] = named.info.run_id
out["deletedTag"] = "to-delete" not in client.get_run(named.info.run_id).data.tags
out["nonFinite"] = {
    "history": [f"{m.step}:{m.value}" for m in client.get_metric_history(named.info.run_id, "bad")],
    "latest": str(client.get_run(named.info.run_id).data.metrics["bad"]),
}

# Param immutability: the same value again is fine, another value is refused.
with mlflow.start_run() as p:
    mlflow.log_param("seed", 1)
    mlflow.log_param("seed", 1)
    changed = failure(lambda: mlflow.log_param("seed", 2))
out["params"] = {"sameAgain": client.get_run(p.info.run_id).data.params == {"seed": "1"}, "changed": changed}

# Resuming a finished run appends to it and finishes it again.
with mlflow.start_run(run_name="resumable") as first:
    mlflow.log_metric("epoch_loss", 0.9, step=0)
first_end = client.get_run(first.info.run_id).info.end_time
with mlflow.start_run(run_id=first.info.run_id):
    mlflow.log_metric("epoch_loss", 0.4, step=1)
again = client.get_run(first.info.run_id)
out["resumed"] = {
    "id": first.info.run_id,
    "status": again.info.status,
    "steps": [m.step for m in client.get_metric_history(first.info.run_id, "epoch_loss")],
    "endTimeGrew": again.info.end_time >= first_end,
}

# Renaming through update_run and through the mlflow.runName tag.
r = client.create_run(exp.experiment_id, run_name="before")
client.update_run(r.info.run_id, name="after")
renamed = client.get_run(r.info.run_id)
client.set_tag(r.info.run_id, "mlflow.runName", "by-tag")
out["renamed"] = {"runName": renamed.info.run_name, "tag": renamed.data.tags["mlflow.runName"], "viaTag": client.get_run(r.info.run_id).info.run_name}

# Errors a script catches: codes and 4xx statuses.
dead = client.create_run(exp.experiment_id)
client.delete_run(dead.info.run_id)
out["errors"] = {
    "missingRun": failure(lambda: client.get_run("0" * 32)),
    "deletedRunLog": failure(lambda: client.log_metric(dead.info.run_id, "x", 1.0)),
    "missingExperiment": failure(lambda: client.get_experiment("987654321")),
    "badFilter": failure(lambda: client.search_runs([exp.experiment_id], filter_string="metrics.x >>> 1")),
    "noHistory": len(client.get_metric_history(named.info.run_id, "never-logged")),
}

# Several threads logging to their own runs at once, as parallel tuning workers do.
def worker(i, ids):
    run = client.create_run(exp.experiment_id, run_name=f"worker-{i}", tags={"mlflow.parentRunId": named.info.run_id})
    for step in range(50):
        client.log_metric(run.info.run_id, "score", i + step / 100, step=step)
    client.set_terminated(run.info.run_id)
    ids[i] = run.info.run_id
ids = {}
threads = [threading.Thread(target=worker, args=(i, ids)) for i in range(6)]
for t in threads:
    t.start()
for t in threads:
    t.join()
out["threads"] = {"runs": [ids[i] for i in range(6)], "points": [len(client.get_metric_history(ids[i], "score")) for i in range(6)]}

# A wide run: more metrics, params and tags than one request may carry, so the client splits them.
wide_exp = client.create_experiment(P + "wide")
with mlflow.start_run(experiment_id=wide_exp) as wide:
    mlflow.log_metrics({f"m{i}": i for i in range(3000)}, step=0)
    mlflow.log_params({f"p{i}": i for i in range(500)})
    mlflow.set_tags({f"t{i}": "x" * 100 for i in range(200)})
wide_run = client.get_run(wide.info.run_id)
out["wide"] = {
    "id": wide.info.run_id,
    "counts": [len(wide_run.data.metrics), len(wide_run.data.params), len([k for k in wide_run.data.tags if k.startswith("t")])],
    "found": len(client.search_runs([wide_exp], filter_string="metrics.m2999 = 2999 and params.p499 = '499' and tags.t199 LIKE 'x%'")),
}

names = lambda runs: [x.info.run_name for x in runs]
eid = exp.experiment_id
out["search"] = {
    "backticked": names(client.search_runs([eid], filter_string="metrics.\`val/loss\` < 1 and metrics.\`précision\` > 0.5")),
    "spaced": names(client.search_runs([eid], filter_string="params.\`learning rate\` = '1e-3' and tags.empty = ''")),
    "idList": sorted(names(client.search_runs([eid], filter_string=f"attributes.run_id IN ('{first.info.run_id}', '{named.info.run_id}')"))),
    "dataset": names(client.search_runs([eid], filter_string="datasets.name = 'tiny' and datasets.context = 'training'")),
    "ilike": names(client.search_runs([eid], filter_string="attributes.run_name ILIKE 'WORKER-1%'")),
    "byStart": names(client.search_runs([eid], filter_string="attributes.run_name LIKE 'worker-%'", order_by=["attributes.start_time ASC"]))[:1],
    "byNames": len(mlflow.search_runs(experiment_names=[name])),
    "parentOf": mlflow.get_parent_run(ids[0]).info.run_id,
}
print(json.dumps(out))
`;
}

function tagsOf(run: Run): Record<string, string> {
  return Object.fromEntries(run.data.tags.map((t) => [t.key, t.value]));
}

describe.runIf(!PYTHON_CLIENTS_NOT_RUN_REASON)('tracking edge cases through the real MLflow clients', () => {
  const server = serverForFile();
  const outputs = runPythonPerVersion<EdgesOut>(() => server().url, (version) => script(`edge-${version}-`));

  describe.each(CLIENT_VERSIONS)('MLflow %s', (version: ClientVersion) => {
    let out: EdgesOut;
    beforeAll(async () => {
      out = await outputs(version);
    }, 170_000);

    it('finds an experiment named like a Databricks path, and refuses to make a deleted one active', async () => {
      expect(out.experiment.byName).toBe(out.experiment.id);
      const { experiment } = await server().api.call('experiments.getByName', { name: out.experiment.name });
      expect(experiment.experimentId).toBe(out.experiment.id);
      expect(out.experiment.deletedSetError).toMatch(/deleted/i);
    });

    it('keeps keys with slashes, spaces and accents and values with emoji, newlines or nothing', async () => {
      const { run } = await server().api.call('runs.get', { runId: out.named });
      expect(run.info.runName).toBe('nommé ✓');
      expect(Object.fromEntries(run.data.params.map((p) => [p.key, p.value]))).toEqual({ 'learning rate': '1e-3', 'layers/first': 'conv 3×3' });
      expect(tagsOf(run)).toMatchObject({ notes: 'line one\nline two 🚀', empty: '' });
      const metrics = Object.fromEntries(run.data.metrics.map((m) => [m.key, m.value]));
      expect(metrics).toMatchObject({ 'val/loss': 0.5, précision: 0.75, 'big-step': 1 });
    });

    it('deletes a tag', async () => {
      expect(out.deletedTag).toBe(true);
      const { run } = await server().api.call('runs.get', { runId: out.named });
      expect(tagsOf(run)['to-delete']).toBeUndefined();
    });

    it('keeps NaN and infinities, negative steps and steps beyond 32 bits in a metric history', async () => {
      expect(out.nonFinite.history).toEqual(['-3:-1.5', '0:nan', '1:inf', '2:-inf']);
      expect(out.nonFinite.latest).toBe('-inf');
      const { metrics } = await server().api.call('metrics.history', { runId: out.named, key: 'big-step' });
      expect(metrics.map((m) => m.step)).toEqual([2 ** 40]);
    });

    it('accepts a param logged again with the same value and refuses another value with a 400', () => {
      expect(out.params.sameAgain).toBe(true);
      expect(out.params.changed).toEqual({ code: 'INVALID_PARAMETER_VALUE', status: 400 });
    });

    it('appends to a finished run that is resumed and finishes it again', () => {
      expect(out.resumed.status).toBe('FINISHED');
      expect(out.resumed.steps).toEqual([0, 1]);
      expect(out.resumed.endTimeGrew).toBe(true);
    });

    it('keeps the run name and the mlflow.runName tag as one value', () => {
      expect(out.renamed).toEqual({ runName: 'after', tag: 'after', viaTag: 'by-tag' });
    });

    it('answers the errors a script catches with MLflow codes and 4xx statuses', () => {
      expect(out.errors.missingRun).toEqual({ code: 'RESOURCE_DOES_NOT_EXIST', status: 404 });
      expect(out.errors.missingExperiment).toEqual({ code: 'RESOURCE_DOES_NOT_EXIST', status: 404 });
      expect(out.errors.badFilter).toEqual({ code: 'INVALID_PARAMETER_VALUE', status: 400 });
      expect(out.errors.deletedRunLog.code).not.toBeNull();
      expect(out.errors.deletedRunLog.status).toBeGreaterThanOrEqual(400);
      expect(out.errors.deletedRunLog.status).toBeLessThan(500);
      expect(out.errors.noHistory).toBe(0);
    });

    it('receives every point from several threads logging at once', async () => {
      expect(out.threads.points).toEqual([50, 50, 50, 50, 50, 50]);
      const { runs } = await server().api.call('runs.search', { experimentIds: [out.experiment.id], filter: "attributes.run_name LIKE 'worker-%' and attributes.status = 'FINISHED'" });
      expect(runs.map((r) => r.info.runId).sort()).toEqual([...out.threads.runs].sort());
    });

    it('keeps a run with thousands of metrics and hundreds of params and tags', async () => {
      expect(out.wide.counts).toEqual([3000, 500, 200]);
      expect(out.wide.found).toBe(1);
      const { run } = await server().api.call('runs.get', { runId: out.wide.id });
      expect([run.data.metrics.length, run.data.params.length]).toEqual([3000, 500]);
    });

    it('searches on back-ticked keys, id lists, datasets, ILIKE and start time, by experiment name', () => {
      expect(out.search.backticked).toEqual(['nommé ✓']);
      expect(out.search.spaced).toEqual(['nommé ✓']);
      expect(out.search.idList).toEqual(['nommé ✓', 'resumable']);
      expect(out.search.dataset).toEqual(['nommé ✓']);
      expect(out.search.ilike).toEqual(['worker-1']);
      expect(out.search.byStart).toHaveLength(1);
      // named, seed, resumable, renamed and the six workers; the deleted run is left out.
      expect(out.search.byNames).toBe(10);
    });

    it('finds the parent of a run', () => {
      expect(out.search.parentOf).toBe(out.named);
    });
  });
});
