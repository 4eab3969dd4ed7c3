/**
 * What MLflow logs by itself, through the real MLflow Python clients (2.12.2 and 3.5.1) against
 * one flowdesk server per file: `mlflow.sklearn.autolog()` around a grid search (a parent run with
 * the best params, metrics and models, and one child run per candidate), and `mlflow.evaluate` of
 * a scikit-learn classifier (metrics, plots and the evaluation dataset). Each version runs one
 * script; each test checks one behaviour of what reached the server.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { Run } from '#core/api/entities.ts';
import { serverForFile } from '../helpers/server.ts';
import { CLIENT_VERSIONS, PYTHON_CLIENTS_NOT_RUN_REASON, runPythonPerVersion, type ClientVersion } from '../helpers/python-clients.ts';

interface AutologOut {
  experimentId: string;
  parent: string;
  bestDepth: number;
  bestScore: number;
  children: { id: string; depth: string; meanTestScore: number }[];
  parentArtifacts: string[];
  autologModelPredicts: boolean;
  evaluation: { run: string; metrics: Record<string, number>; artifacts: string[] };
}

function script(prefix: string): string {
  return `
import json
import matplotlib
matplotlib.use("Agg")
import mlflow, mlflow.sklearn, numpy as np, pandas as pd
from mlflow import MlflowClient
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.tree import DecisionTreeClassifier

P = ${JSON.stringify(prefix)}
V3 = mlflow.__version__.startswith("3.")
client = MlflowClient()
exp = mlflow.set_experiment(P + "autolog")
X, y = load_iris(return_X_y=True)

# Inferring a model's pip requirements loads it again in a subprocess (seconds per model, more on a
# busy machine) and sends nothing to the server, so the autologged models skip it.
mlflow.models.infer_pip_requirements = lambda *args, **kwargs: ["scikit-learn"]
mlflow.sklearn.autolog(silent=True)
grid = GridSearchCV(DecisionTreeClassifier(random_state=0), {"max_depth": [1, 2, 3]}, cv=3)
with mlflow.start_run() as parent:
    grid.fit(X, y)
mlflow.sklearn.autolog(disable=True)

children = client.search_runs([exp.experiment_id], filter_string=f"tags.mlflow.parentRunId = '{parent.info.run_id}'")
model = mlflow.pyfunc.load_model(f"runs:/{parent.info.run_id}/model") if not V3 else mlflow.pyfunc.load_model(mlflow.last_logged_model().model_uri)

binary = pd.DataFrame(X[:, :2], columns=["a", "b"])
binary["label"] = (y == 0).astype(int)
classifier = LogisticRegression().fit(binary[["a", "b"]], binary["label"])
with mlflow.start_run() as evaluation:
    info = mlflow.sklearn.log_model(classifier, pip_requirements=["scikit-learn"], **({"name": "model"} if V3 else {"artifact_path": "model"}))
    result = mlflow.evaluate(info.model_uri, binary, targets="label", model_type="classifier", evaluators="default", evaluator_config={"log_model_explainability": False})

def files(run_id, path=None):
    found = []
    for f in client.list_artifacts(run_id, path):
        found.extend(files(run_id, f.path) if f.is_dir else [f.path])
    return found

print(json.dumps({
    "experimentId": exp.experiment_id,
    "parent": parent.info.run_id,
    "bestDepth": int(grid.best_params_["max_depth"]),
    "bestScore": float(grid.best_score_),
    "children": [{"id": c.info.run_id, "depth": c.data.params.get("max_depth"), "meanTestScore": c.data.metrics.get("mean_test_score")} for c in children],
    "parentArtifacts": files(parent.info.run_id),
    "autologModelPredicts": bool((model.predict(X) == grid.predict(X)).all()),
    "evaluation": {"run": evaluation.info.run_id, "metrics": {k: float(v) for k, v in result.metrics.items() if isinstance(v, (int, float))}, "artifacts": files(evaluation.info.run_id)},
}))
`;
}

function asMap<T>(list: { key: string; value: T }[]): Record<string, T> {
  return Object.fromEntries(list.map((t) => [t.key, t.value]));
}

describe.runIf(!PYTHON_CLIENTS_NOT_RUN_REASON)('autologging and evaluation through the real MLflow clients', () => {
  const server = serverForFile();
  const outputs = runPythonPerVersion<AutologOut>(() => server().url, (version) => script(`auto-${version}-`));

  describe.each(CLIENT_VERSIONS)('MLflow %s', (version: ClientVersion) => {
    let out: AutologOut;
    let parent: Run;
    beforeAll(async () => {
      out = await outputs(version);
      parent = (await server().api.call('runs.get', { runId: out.parent })).run;
    }, 170_000);

    it('logs the grid search parent with the best params and scores', () => {
      const params = asMap(parent.data.params);
      expect(params).toMatchObject({ best_max_depth: String(out.bestDepth), cv: '3', estimator: 'DecisionTreeClassifier(random_state=0)' });
      const metrics = asMap(parent.data.metrics);
      expect(metrics['best_cv_score']).toBeCloseTo(out.bestScore, 12);
      expect(metrics['training_accuracy_score']).toBeGreaterThan(0.9);
      expect(parent.info.status).toBe('FINISHED');
    });

    it('logs one finished child run per candidate, linked to the parent', async () => {
      expect(out.children.map((c) => c.depth).sort()).toEqual(['1', '2', '3']);
      for (const child of out.children) {
        const { run } = await server().api.call('runs.get', { runId: child.id });
        expect(asMap(run.data.tags)['mlflow.parentRunId']).toBe(out.parent);
        expect(run.info.status).toBe('FINISHED');
        expect(asMap(run.data.metrics)['mean_test_score']).toBe(child.meanTestScore);
      }
      const best = out.children.find((c) => c.depth === String(out.bestDepth));
      expect(best?.meanTestScore).toBeCloseTo(out.bestScore, 12);
    });

    it('stores the fitted models and the search results, and the logged model predicts as the grid', async () => {
      expect(out.parentArtifacts).toEqual(expect.arrayContaining(['cv_results.csv']));
      if (version.startsWith('2.')) expect(out.parentArtifacts).toEqual(expect.arrayContaining(['model/MLmodel', 'best_estimator/MLmodel']));
      else {
        const { models } = await server().api.call('loggedModels.search', { experimentIds: [out.experimentId] });
        expect(models.filter((m) => m.info.sourceRunId === out.parent).map((m) => m.info.name).sort()).toEqual(['best_estimator', 'model']);
      }
      expect(out.autologModelPredicts).toBe(true);
    });

    it('logs the metrics and plots of mlflow.evaluate to the run', async () => {
      expect(out.evaluation.metrics['accuracy_score']).toBeGreaterThan(0.9);
      const { run } = await server().api.call('runs.get', { runId: out.evaluation.run });
      const metrics = asMap(run.data.metrics);
      for (const key of ['accuracy_score', 'f1_score', 'precision_score', 'recall_score', 'roc_auc']) expect(metrics[key], key).toBe(out.evaluation.metrics[key]);
      expect(out.evaluation.artifacts.some((p) => p.startsWith('confusion_matrix'))).toBe(true);
    });

    it('records the evaluation dataset as an input of the run', async () => {
      const { run } = await server().api.call('runs.get', { runId: out.evaluation.run });
      expect(run.inputs.datasetInputs).toHaveLength(1);
      expect(JSON.parse(run.inputs.datasetInputs[0]?.dataset.profile ?? '{}')).toMatchObject({ num_rows: 150 });
    });
  });
});
