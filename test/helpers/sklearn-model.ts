/**
 * A real scikit-learn model, trained and logged through the real MLflow Python client
 * (`mlflow.sklearn.log_model` with an inferred signature) into a Flowdesk server and registered,
 * with the predictions scikit-learn itself makes for some rows: what serving it must answer.
 */
import { onTestFinished } from 'vitest';
import { clientEnvironment, runPython, type ClientVersion } from './python-clients.ts';

/** The rows every test scores, as columns a, b, c. */
export const SCORED_ROWS = [
  [1, 2, 3],
  [-0.5, 4, 2.25],
  [0, 0, 0],
];

export interface LoggedSklearn {
  runId: string;
  /** `models:/<name>/1` */
  modelUri: string;
  /** What `model.predict` answered for SCORED_ROWS in the script that trained it. */
  predictions: number[];
}

/**
 * Trains a LinearRegression on columns a, b, c, logs it with `mlflow.sklearn.log_model` (as MLflow
 * 2 and 3 each spell it) and registers it as `name` version 1.
 */
export async function logSklearnModel(version: ClientVersion, trackingUri: string, name: string): Promise<LoggedSklearn> {
  const out = await runPython<{ runId: string; predictions: number[] }>(
    version,
    trackingUri,
    `
import json, mlflow, pandas as pd
from mlflow.models import infer_signature
from sklearn.linear_model import LinearRegression
X = pd.DataFrame({"a": [1.0, 2.0, 0.0, 3.0, 1.5, -1.0], "b": [2.0, 0.5, 1.0, 3.0, -2.0, 0.25], "c": [3.0, 1.0, -1.0, 0.5, 2.0, 4.0]})
y = 0.5 * X["a"] - 2.0 * X["b"] + 3.0 * X["c"] + 1.25 + pd.Series([0.01, -0.02, 0.03, 0.0, 0.01, -0.01])
model = LinearRegression().fit(X, y)
rows = pd.DataFrame(${JSON.stringify(SCORED_ROWS)}, columns=["a", "b", "c"], dtype=float)
mlflow.set_experiment("sklearn models")
with mlflow.start_run() as run:
    where = {"name": "model"} if mlflow.__version__.startswith("3.") else {"artifact_path": "model"}
    mlflow.sklearn.log_model(model, signature=infer_signature(X, model.predict(X)), registered_model_name=${JSON.stringify(name)}, **where)
print(json.dumps({"runId": run.info.run_id, "predictions": model.predict(rows).tolist()}))
`,
  );
  return { ...out, modelUri: `models:/${name}/1` };
}

/**
 * Points the Flowdesk of this process (`models.serve` spawns `$FLOWDESK_PYTHON -m mlflow`) at the
 * real client's Python and MLflow, as `. env.sh <version>` does for a shell; restored after the test.
 */
export function useClientPython(version: ClientVersion): void {
  const env = clientEnvironment(version);
  const keys = ['FLOWDESK_PYTHON', 'PYTHONPATH', 'MLFLOW_DISABLE_TELEMETRY', 'PYTHONDONTWRITEBYTECODE'] as const;
  const before = Object.fromEntries(keys.map((k) => [k, process.env[k]]));
  process.env.FLOWDESK_PYTHON = env.MLFLOW_PYTHON;
  for (const key of keys.slice(1)) process.env[key] = env[key];
  onTestFinished(() => {
    for (const key of keys) {
      if (before[key] === undefined) delete process.env[key];
      else process.env[key] = before[key];
    }
  });
}
