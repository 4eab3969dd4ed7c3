/**
 * MLflow 3's logged models through the real 3.5.1 Python client against a flowdesk server:
 * `log_model(name=...)` inside and outside a run, params, tags, metrics linked by `model_id` and by
 * the active model, `search_logged_models` with filters, order and paging, models initialised and
 * finalised by hand, and registering a logged model (`models:/<model_id>` and `runs:/` of its run)
 * then loading it from the registry. 2.12.2 has no logged models. One script; each test checks
 * one behaviour, through the contract and through the client.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { serverForFile } from '../helpers/server.ts';
import { PYTHON_CLIENTS_NOT_RUN_REASON, runPython } from '../helpers/python-clients.ts';

interface LoggedModelRead {
  id: string;
  name: string;
  status: string;
  sourceRunId: string | null;
  params: Record<string, string>;
  tags: Record<string, string>;
  metrics: Record<string, number>;
}

interface LoggedModelsOut {
  experimentId: string;
  runId: string;
  clf: LoggedModelRead;
  free: LoggedModelRead;
  active: { byName: string; createdName: string; activeId: string; loss: Record<string, number> };
  runOutputs: { modelId: string; step: number }[];
  search: { accurate: string[]; ordered: string[]; pages: string[][]; byTag: string[]; frameRows: number };
  manual: { pending: string; finalized: string; read: string; failed: string };
  registered: { fromModel: { version: string; source: string }; fromRun: { version: string }; downloadUri: string; predicts: boolean };
  loadedById: boolean;
  files: string[];
}

const script = `
import json
import mlflow, mlflow.sklearn, numpy as np
from mlflow import MlflowClient
from mlflow.entities import LoggedModelStatus
from sklearn.linear_model import LogisticRegression

client = MlflowClient()
exp = mlflow.set_experiment("logged-models")
X = np.array([[0.0, 1.0], [1.0, 0.0], [0.2, 0.9], [0.9, 0.1]])
y = np.array([0, 1, 0, 1])
lr = LogisticRegression().fit(X, y)

def read(model_id):
    m = mlflow.get_logged_model(model_id)
    return {
        "id": m.model_id, "name": m.name, "status": str(m.status), "sourceRunId": m.source_run_id,
        "params": m.params, "tags": {k: v for k, v in m.tags.items() if not k.startswith("mlflow.")},
        "metrics": {x.key: x.value for x in (m.metrics or [])},
    }

free = mlflow.sklearn.log_model(lr, name="free", pip_requirements=["scikit-learn"], params={"C": "1.0"}, tags={"team": "b"})
with mlflow.start_run() as run:
    clf = mlflow.sklearn.log_model(lr, name="clf", pip_requirements=["scikit-learn"], params={"C": "1.0", "solver": "lbfgs"}, tags={"team": "a"}, step=5, model_type="classifier")
    mlflow.log_metric("accuracy", 0.75, model_id=clf.model_id)
    mlflow.log_metric("accuracy", 0.5, model_id=free.model_id, run_id=run.info.run_id)
    active = mlflow.set_active_model(name="agent")
    mlflow.log_metric("loss", 0.25)
    active_id = mlflow.get_active_model_id()
client.set_logged_model_tags(clf.model_id, {"reviewed": "yes", "tmp": "x"})
client.delete_logged_model_tag(clf.model_id, "tmp")

ids = {clf.model_id: "clf", free.model_id: "free", active_id: "agent"}
names = lambda models: [ids.get(m.model_id, m.name) for m in models]
pages, token = [], None
while True:
    page = client.search_logged_models(experiment_ids=[exp.experiment_id], max_results=2, order_by=[{"field_name": "name", "ascending": True}], page_token=token)
    pages.append(names(page))
    token = page.token
    if not token:
        break

pending = mlflow.initialize_logged_model(name="manual", params={"k": "v"})
pending_status = str(mlflow.get_logged_model(pending.model_id).status)
finalized = mlflow.finalize_logged_model(pending.model_id, LoggedModelStatus.READY)
failed = mlflow.initialize_logged_model(name="broken")
mlflow.finalize_logged_model(failed.model_id, "FAILED")

from_model = mlflow.register_model(f"models:/{clf.model_id}", "from-logged")
from_run = mlflow.register_model(f"runs:/{run.info.run_id}/clf", "from-logged")
predicts = bool((mlflow.sklearn.load_model("models:/from-logged/1").predict(X) == lr.predict(X)).all())

print(json.dumps({
    "experimentId": exp.experiment_id,
    "runId": run.info.run_id,
    "clf": read(clf.model_id),
    "free": read(free.model_id),
    "active": {"byName": active.model_id, "createdName": mlflow.get_logged_model(active_id).name, "activeId": active_id, "loss": read(active_id)["metrics"]},
    "runOutputs": [{"modelId": o.model_id, "step": o.step} for o in client.get_run(run.info.run_id).outputs.model_outputs],
    "search": {
        "accurate": names(mlflow.search_logged_models(experiment_ids=[exp.experiment_id], filter_string="metrics.accuracy > 0.6", output_format="list")),
        "ordered": names(mlflow.search_logged_models(experiment_ids=[exp.experiment_id], filter_string="metrics.accuracy > 0", order_by=[{"field_name": "metrics.accuracy", "ascending": True}], output_format="list")),
        "pages": pages,
        "byTag": names(mlflow.search_logged_models(experiment_ids=[exp.experiment_id], filter_string="tags.team = 'b'", output_format="list")),
        "frameRows": len(mlflow.search_logged_models(experiment_ids=[exp.experiment_id])),
    },
    "manual": {"pending": pending_status, "finalized": str(finalized.status), "read": str(mlflow.get_logged_model(pending.model_id).status), "failed": str(mlflow.get_logged_model(failed.model_id).status)},
    "registered": {
        "fromModel": {"version": str(from_model.version), "source": from_model.source},
        "fromRun": {"version": str(from_run.version)},
        "downloadUri": client.get_model_version_download_uri("from-logged", "1"),
        "predicts": predicts,
    },
    "loadedById": bool((mlflow.sklearn.load_model(f"models:/{free.model_id}").predict(X) == lr.predict(X)).all()),
    "files": sorted(f.path for f in mlflow.artifacts.list_artifacts(artifact_uri=mlflow.get_logged_model(clf.model_id).artifact_location)),
}))
`;

describe.runIf(!PYTHON_CLIENTS_NOT_RUN_REASON)('logged models through the real MLflow 3.5.1 client', () => {
  const server = serverForFile();
  let out: LoggedModelsOut;
  beforeAll(async () => {
    out = await runPython<LoggedModelsOut>('3.5.1', server().url, script);
  }, 170_000);

  it('logs a model with name, params, tags and type inside a run, linked to the run at its step', async () => {
    expect(out.clf).toMatchObject({ name: 'clf', status: 'READY', sourceRunId: out.runId, params: { C: '1.0', solver: 'lbfgs' }, tags: { team: 'a', reviewed: 'yes' } });
    expect(out.runOutputs).toEqual(expect.arrayContaining([{ modelId: out.clf.id, step: 5 }]));
    const { model } = await server().api.call('loggedModels.get', { modelId: out.clf.id });
    expect(model.info.modelType).toBe('classifier');
    expect(model.info.artifactUri).toMatch(new RegExp(`/models/${out.clf.id}/artifacts$`));
    expect(model.info.tags.map((t) => t.key)).not.toContain('tmp');
  });

  it('logs a model outside a run into the active experiment without a source run', async () => {
    // The client reads an absent source_run_id as "", as it does from MLflow's own server.
    expect(out.free).toMatchObject({ name: 'free', status: 'READY', sourceRunId: '', params: { C: '1.0' }, tags: { team: 'b' } });
    const { model } = await server().api.call('loggedModels.get', { modelId: out.free.id });
    expect(model.info.sourceRunId).toBeUndefined();
    expect(model.info.experimentId).toBe(out.experimentId);
  });

  it('links metrics to a model by model_id and by the active model', () => {
    expect(out.clf.metrics).toEqual({ accuracy: 0.75 });
    expect(out.free.metrics).toEqual({ accuracy: 0.5 });
    expect(out.active.createdName).toBe('agent');
    expect(out.active.activeId).toBe(out.active.byName);
    expect(out.active.loss).toEqual({ loss: 0.25 });
  });

  it('searches logged models by metric and tag, ordered by a metric, and pages them', () => {
    expect(out.search.accurate).toEqual(['clf']);
    expect(out.search.ordered).toEqual(['free', 'clf']);
    expect(out.search.byTag).toEqual(['free']);
    expect(out.search.pages).toEqual([['agent', 'clf'], ['free']]);
    expect(out.search.frameRows).toBe(5);
  });

  it('finalizes a model initialised by hand to READY or FAILED', async () => {
    expect(out.manual).toEqual({ pending: 'PENDING', finalized: 'READY', read: 'READY', failed: 'FAILED' });
    const { models } = await server().api.call('loggedModels.search', { experimentIds: [out.experimentId], filter: "name = 'broken'" });
    expect(models.map((m) => m.info.status)).toEqual(['LOGGED_MODEL_UPLOAD_FAILED']);
  });

  it('registers a logged model by models:/<id> and by its run, and loads it from the registry', async () => {
    expect(out.registered.fromModel).toMatchObject({ version: '1', source: `models:/${out.clf.id}` });
    expect(out.registered.fromRun.version).toBe('2');
    // MLflow 3.5.1's client drops model_id from the versions it reads, so ask the contract.
    for (const version of [1, 2]) {
      const { version: v } = await server().api.call('registry.getVersion', { name: 'from-logged', version });
      expect(v.modelId, `version ${version}`).toBe(out.clf.id);
    }
    expect(out.registered.predicts).toBe(true);
    const { model } = await server().api.call('loggedModels.get', { modelId: out.clf.id });
    expect(out.registered.downloadUri).toBe(model.info.artifactUri);
    expect(model.info.registrations).toEqual([
      { name: 'from-logged', version: 1 },
      { name: 'from-logged', version: 2 },
    ]);
  });

  it('loads a logged model by its id and lists its files', () => {
    expect(out.loadedById).toBe(true);
    // Listing an artifact URI lists its last segment within its parent, hence the prefix.
    expect(out.files).toEqual(expect.arrayContaining(['artifacts/MLmodel', 'artifacts/model.pkl', 'artifacts/requirements.txt']));
  });
});
