/**
 * Real mlruns/ folders, written by the real MLflow clients (2.12.2 and 3.5.1) into their own file
 * store, and what MLflow itself reads back from them: the expectation an import is compared with.
 */
import { join } from 'node:path';
import { runPython, type ClientVersion } from '../helpers/python-clients.ts';

/** What MLflow reads back from the folder it wrote. */
export interface MlflowView {
  experiments: { id: string; name: string; stage: string; tags: Record<string, string> }[];
  runs: {
    id: string;
    experiment: string;
    name: string;
    status: string;
    start: number;
    end: number | null;
    stage: string;
    params: Record<string, string>;
    tags: Record<string, string>;
    /** Every point of every metric, as [timestamp, value (NaN and ±Infinity as strings), step]. */
    metrics: Record<string, [number, number | string, number][]>;
    datasets: { name: string; digest: string; source: string; context: string | null }[];
    /** path → bytes of every artifact file. */
    artifacts: Record<string, number>;
  }[];
  loggedModels: { id: string; name: string; experiment: string; runId: string | null; params: Record<string, string>; artifacts: Record<string, number> }[];
  registry: {
    name: string;
    tags: Record<string, string>;
    aliases: Record<string, number>;
    versions: { version: number; runId: string | null; stage: string; tags: Record<string, string>; modelId: string | null }[];
  }[];
  parentId: string;
  childId: string;
  /** The run whose metric file gets MLflow 1.x's two-field lines appended. */
  legacyRunDir: string;
}

/**
 * The script: an experiment with a tag, a parent run (params, tags, a 300-point history with NaN
 * and ±Infinity, a dataset input, nested artifacts) with a nested child, a logged model
 * registered twice (two versions, an alias, stages, tags), a deleted run and a deleted
 * experiment. It then appends MLflow 1.x's two-field lines to a metric file, and prints
 * everything MLflow reads back (those lines included).
 */
const SCRIPT = String.raw`
import json, os, math, mlflow
from mlflow import MlflowClient
import pandas as pd
from sklearn.linear_model import LinearRegression
v3 = mlflow.__version__.startswith('3')
root = os.environ['MLRUNS']
c = MlflowClient()
exp = mlflow.set_experiment('vision')
c.set_experiment_tag(exp.experiment_id, 'team', 'cv')
def log_model(model, reg):
    if v3:
        return mlflow.sklearn.log_model(model, name='model', registered_model_name=reg)
    return mlflow.sklearn.log_model(model, 'model', registered_model_name=reg)
with mlflow.start_run(run_name='sweep') as parent:
    mlflow.log_params({'lr': '0.01', 'optimizer': 'adam'})
    mlflow.set_tag('stage', 'sweep')
    for step in range(300):
        v = float('nan') if step == 7 else float('inf') if step == 8 else float('-inf') if step == 9 else 1.0 / (step + 1)
        mlflow.log_metric('loss', v, step=step)
    mlflow.log_metric('train/acc', 0.5, step=0)
    df = pd.DataFrame({'a': [1, 2], 'b': [3, 4]})
    mlflow.log_input(mlflow.data.from_pandas(df, source='file:///data/train.csv', name='train'), context='training')
    os.makedirs('out/deep', exist_ok=True)
    open('out/notes.txt', 'w').write('hello')
    open('out/deep/blob.bin', 'wb').write(os.urandom(70000))
    mlflow.log_artifacts('out', 'docs')
    with mlflow.start_run(run_name='child', nested=True) as child:
        mlflow.log_metric('acc', 0.75, step=3)
    log_model(LinearRegression().fit([[1], [2]], [1, 2]), 'reg')
with mlflow.start_run(run_name='second'):
    log_model(LinearRegression().fit([[1], [3]], [1, 2]), 'reg')
c.set_registered_model_alias('reg', 'champion', '2')
c.transition_model_version_stage('reg', '1', 'Production')
c.set_model_version_tag('reg', '1', 'validated', 'yes')
c.set_registered_model_tag('reg', 'owner', 'vision-team')
with mlflow.start_run(run_name='gone') as gone:
    mlflow.log_metric('x', 1.0)
c.delete_run(gone.info.run_id)
beta = mlflow.create_experiment('beta')
with mlflow.start_run(experiment_id=beta, run_name='in-beta'):
    mlflow.log_param('p', '1')
c.delete_experiment(beta)

# MLflow 1.x wrote metric lines without a step.
legacy_dir = os.path.join(root, exp.experiment_id, child.info.run_id)
with open(os.path.join(legacy_dir, 'metrics', 'legacy'), 'w') as f:
    f.write('1600000000000 1.5\n1600000000001 2.5\n')

def num(v):
    return v if math.isfinite(v) else str(v)
def artifacts(list_fn, path=None):
    out = {}
    for f in list_fn(path):
        if f.is_dir:
            out.update(artifacts(list_fn, f.path))
        else:
            out[f.path] = f.file_size
    return out
view = {'experiments': [], 'runs': [], 'loggedModels': [], 'registry': [], 'parentId': parent.info.run_id, 'childId': child.info.run_id, 'legacyRunDir': legacy_dir}
for e in c.search_experiments(view_type=3):
    view['experiments'].append({'id': e.experiment_id, 'name': e.name, 'stage': e.lifecycle_stage, 'tags': dict(e.tags)})
    for r in c.search_runs([e.experiment_id], run_view_type=3):
        metrics = {}
        for key in r.data.metrics:
            metrics[key] = [[m.timestamp, num(m.value), m.step] for m in c.get_metric_history(r.info.run_id, key)]
        datasets = []
        for d in (r.inputs.dataset_inputs if r.inputs else []):
            ctx = [t.value for t in d.tags if t.key == 'mlflow.data.context']
            datasets.append({'name': d.dataset.name, 'digest': d.dataset.digest, 'source': d.dataset.source, 'context': ctx[0] if ctx else None})
        view['runs'].append({
            'id': r.info.run_id, 'experiment': e.name, 'name': r.info.run_name, 'status': r.info.status,
            'start': r.info.start_time, 'end': r.info.end_time, 'stage': r.info.lifecycle_stage,
            'params': dict(r.data.params), 'tags': dict(r.data.tags), 'metrics': metrics, 'datasets': datasets,
            'artifacts': artifacts(lambda p: c.list_artifacts(r.info.run_id, p)),
        })
    if v3:
        for m in c.search_logged_models(experiment_ids=[e.experiment_id]):
            view['loggedModels'].append({
                'id': m.model_id, 'name': m.name, 'experiment': e.name, 'runId': m.source_run_id, 'params': dict(m.params),
                'artifacts': artifacts(lambda p, m=m: c.list_logged_model_artifacts(m.model_id, p)),
            })
for rm in c.search_registered_models():
    versions = []
    for v in c.search_model_versions(f"name='{rm.name}'"):
        versions.append({'version': int(v.version), 'runId': v.run_id, 'stage': v.current_stage, 'tags': dict(v.tags), 'modelId': getattr(v, 'model_id', None)})
    view['registry'].append({'name': rm.name, 'tags': dict(rm.tags), 'aliases': {k: int(v) for k, v in rm.aliases.items()}, 'versions': versions})
print(json.dumps(view))
`;

/** Writes an mlruns/ folder under `dir` with the real client of `version`; answers where it is and what MLflow reads from it. */
export async function writeMlruns(version: ClientVersion, dir: string): Promise<{ mlruns: string; view: MlflowView }> {
  const mlruns = join(dir, 'mlruns');
  const view = await runPython<MlflowView>(version, `file://${mlruns}`, SCRIPT, { env: { MLRUNS: mlruns }, timeoutMs: 300_000 });
  return { mlruns, view };
}
