/**
 * Python scripts for the export and MLflow-server-source tests, run with the real MLflow clients:
 * one fills a tracking server the way training scripts do, one reads everything a tracking URI
 * holds back through MlflowClient (and `mlflow.search_runs`) as JSON, so the same reading can be
 * compared between Flowdesk, an exported file store, and MLflow's own server over that store.
 */

/**
 * Logs, through the fluent API and MlflowClient: an experiment with tags, a parent run with
 * params, tags, a 12,000-point history with NaN and ±Infinity, a dataset input, nested
 * artifacts (one binary), a nested child run, a failed run, a deleted run, an experiment deleted
 * with its run and artifact, and a registered model with two versions (a `runs:/` source and the
 * run's artifact location), tags, a description, an alias and a stage. Prints the ids it made.
 */
export const FILL = `
import json, math, os, mlflow
from mlflow import MlflowClient
import pandas as pd
c = MlflowClient()
exp = c.create_experiment("vision", tags={"team": "cv", "yes": "on"})
mlflow.set_experiment(experiment_id=exp)
with mlflow.start_run(run_name="sweep", description="the sweep") as parent:
    mlflow.log_params({"lr": "0.01", "optimizer": "adam", "nested/key": "v"})
    mlflow.set_tags({"stage": "sweep", "multi": "line one\\nline two"})
    values = []
    for step in range(12000):
        v = 1.0 / (step + 1)
        if step == 7: v = float("nan")
        if step == 8: v = float("inf")
        if step == 9: v = float("-inf")
        values.append(mlflow.entities.Metric("loss", v, 1700000000000 + step, step))
    for i in range(0, len(values), 1000):
        c.log_batch(parent.info.run_id, metrics=values[i:i+1000])
    mlflow.log_metric("acc", 0.5, step=0, timestamp=1700000000100)
    mlflow.log_metric("acc", 0.5, step=0, timestamp=1700000000100)
    mlflow.log_metric("acc", 0.9, step=1, timestamp=1700000000200)
    mlflow.log_metric("tiny", 1e-7, step=0)
    ds = mlflow.data.from_pandas(pd.DataFrame({"x": [1, 2, 3]}), source="s3://bucket/data.csv", name="train-set")
    mlflow.log_input(ds, context="training")
    os.makedirs("model/data", exist_ok=True)
    with open("model/MLmodel", "w") as f: f.write("flavors: {}\\n")
    with open("model/data/weights.bin", "wb") as f: f.write(bytes(range(256)) * 4000)
    mlflow.log_artifacts("model", "model")
    mlflow.log_text("hello", "notes.txt")
    with mlflow.start_run(run_name="trial-1", nested=True) as child:
        mlflow.log_param("lr", "0.1")
        mlflow.log_metric("loss", 0.3, step=0)
with mlflow.start_run(run_name="broken") as failed:
    mlflow.log_param("seed", "1")
    mlflow.end_run("FAILED")
with mlflow.start_run(run_name="discarded") as discarded:
    mlflow.log_metric("x", 1.0)
c.delete_run(discarded.info.run_id)
old = c.create_experiment("old-project")
with mlflow.start_run(experiment_id=old, run_name="ancient") as ancient:
    mlflow.log_param("p", "1")
    mlflow.log_text("old bytes", "old.txt")
c.delete_experiment(old)
c.create_registered_model("classifier", tags={"owner": "vision"}, description="A classifier")
v1 = c.create_model_version("classifier", f"runs:/{parent.info.run_id}/model", run_id=parent.info.run_id, tags={"quality": "ok"}, description="first")
v2 = c.create_model_version("classifier", parent.info.artifact_uri + "/model", run_id=parent.info.run_id)
c.set_registered_model_alias("classifier", "champion", v2.version)
c.transition_model_version_stage("classifier", v1.version, "Production")
print(json.dumps({"experiment": exp, "old": old, "parent": parent.info.run_id, "child": child.info.run_id, "failed": failed.info.run_id, "discarded": discarded.info.run_id, "ancient": ancient.info.run_id}))
`;

/**
 * Reads everything back through MlflowClient: experiments (all view types), runs with params,
 * tags, times, status, lifecycle, inputs, each metric's full history (NaN and ±Infinity as
 * strings), artifacts by SHA-256 (for active experiments: a deleted experiment's artifacts are
 * reachable only once restored), `mlflow.search_runs` over all experiments, and the registry
 * with versions, tags, aliases, stages and the files each version downloads to. An absent
 * description reads as None: MLflow's REST answers carry "" where its file store has None.
 */
export const DUMP = `
import hashlib, json, math, os, tempfile, mlflow
from mlflow import MlflowClient
from mlflow.entities import ViewType
c = MlflowClient()
work = tempfile.mkdtemp()
def num(v):
    if math.isnan(v): return "NaN"
    if math.isinf(v): return "Infinity" if v > 0 else "-Infinity"
    return v
def files_of(run_id, path=None):
    out = {}
    for f in c.list_artifacts(run_id, path):
        if f.is_dir:
            out.update(files_of(run_id, f.path))
        else:
            local = c.download_artifacts(run_id, f.path, tempfile.mkdtemp(dir=work))
            out[f.path] = hashlib.sha256(open(local, "rb").read()).hexdigest()
    return out
def tree(root):
    out = {}
    for d, _, files in os.walk(root):
        for f in files:
            p = os.path.join(d, f)
            out[os.path.relpath(p, root)] = hashlib.sha256(open(p, "rb").read()).hexdigest()
    return out
experiments, runs, models = [], [], []
for e in sorted(c.search_experiments(view_type=ViewType.ALL), key=lambda e: e.experiment_id):
    experiments.append({"id": e.experiment_id, "name": e.name, "stage": e.lifecycle_stage, "tags": e.tags, "created": e.creation_time, "updated": e.last_update_time})
    for r in c.search_runs([e.experiment_id], run_view_type=ViewType.ALL, max_results=1000):
        history = {k: [[m.step, m.timestamp, num(m.value)] for m in sorted(c.get_metric_history(r.info.run_id, k), key=lambda m: (m.step, m.timestamp, str(m.value)))] for k in r.data.metrics}
        files = {}
        if e.lifecycle_stage == "active":
            files = files_of(r.info.run_id)
        runs.append({
            "id": r.info.run_id, "experiment": r.info.experiment_id, "name": r.info.run_name, "status": r.info.status,
            "stage": r.info.lifecycle_stage, "start": r.info.start_time, "end": r.info.end_time, "user": r.info.user_id,
            "params": r.data.params, "tags": r.data.tags, "latest": {k: num(v) for k, v in r.data.metrics.items()}, "history": history,
            "inputs": sorted([{"name": i.dataset.name, "digest": i.dataset.digest, "source_type": i.dataset.source_type, "source": i.dataset.source,
                        "schema": i.dataset.schema, "profile": i.dataset.profile, "tags": {t.key: t.value for t in i.tags}} for i in r.inputs.dataset_inputs], key=lambda i: i["name"]),
            "artifacts": files,
        })
df = mlflow.search_runs(search_all_experiments=True, run_view_type=ViewType.ALL)
for m in sorted(c.search_registered_models(), key=lambda m: m.name):
    versions = []
    for found in sorted(c.search_model_versions(f"name='{m.name}'"), key=lambda v: int(v.version)):
        # MLflow 2.12.2's SQL store leaves aliases out of search answers; get has them.
        v = c.get_model_version(m.name, found.version)
        dst = tempfile.mkdtemp(dir=work)
        versions.append({"version": int(v.version), "source": v.source, "run_id": v.run_id, "stage": v.current_stage, "description": v.description or None,
                         "tags": v.tags, "aliases": sorted(v.aliases), "status": v.status, "created": v.creation_timestamp,
                         "files": tree(mlflow.artifacts.download_artifacts(f"models:/{m.name}/{v.version}", dst_path=dst))})
    models.append({"name": m.name, "description": m.description or None, "tags": m.tags, "aliases": m.aliases, "created": m.creation_timestamp, "versions": versions})
print(json.dumps({"experiments": experiments, "runs": sorted(runs, key=lambda r: r["id"]), "models": models,
                  "searchRuns": {"ids": sorted(df["run_id"].tolist()), "columns": sorted(df.columns.tolist())}}))
`;
