/**
 * Models through the real MLflow Python clients (2.12.2 and 3.5.1) against one flowdesk server
 * per file: a custom pyfunc model with artifacts (a file and a folder) and a signature, logged and
 * registered in one call, aliased, and loaded back by `models:/name@alias`, by version, by stage
 * and as `latest` to predict; a scikit-learn model logged, registered and loaded both as itself
 * and as a pyfunc. Each version runs one script; each test checks one behaviour.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { serverForFile } from '../helpers/server.ts';
import { CLIENT_VERSIONS, PYTHON_CLIENTS_NOT_RUN_REASON, runPythonPerVersion, type ClientVersion } from '../helpers/python-clients.ts';

interface ModelsOut {
  runId: string;
  version: string;
  predictions: Record<string, number[]>;
  signature: { inputs: { name: string; type: string }[]; outputs: { type: string }[] };
  infoSignatureInputs: string[];
  downloaded: string[];
  sklearn: { version: string; same: boolean; pyfuncSame: boolean; classes: number[] };
}

function script(prefix: string): string {
  return `
import json, os, tempfile, requests
import mlflow, mlflow.pyfunc, mlflow.sklearn, numpy as np, pandas as pd
from mlflow import MlflowClient
from mlflow.models import infer_signature
from sklearn.linear_model import LogisticRegression

P = ${JSON.stringify(prefix)}
URI = os.environ["MLFLOW_TRACKING_URI"]
V3 = mlflow.__version__.startswith("3.")
client = MlflowClient()
# Name the model folder the way each version documents: artifact_path in 2.x, name in 3.x.
def where(path):
    return {"name": path} if V3 else {"artifact_path": path}

class Scaler(mlflow.pyfunc.PythonModel):
    def load_context(self, context):
        with open(context.artifacts["factor"]) as f:
            self.factor = float(f.read())
        with open(os.path.join(context.artifacts["offsets"], "offset.json")) as f:
            self.offset = json.load(f)["offset"]

    def predict(self, context, model_input, params=None):
        return model_input["x"] * self.factor + self.offset

files = tempfile.mkdtemp()
with open(os.path.join(files, "factor.txt"), "w") as f:
    f.write("3")
os.makedirs(os.path.join(files, "offsets"))
with open(os.path.join(files, "offsets", "offset.json"), "w") as f:
    json.dump({"offset": 0.5}, f)

name = P + "scaler"
example = pd.DataFrame({"x": [1.0, 2.0]})
mlflow.set_experiment(P + "models")
with mlflow.start_run() as run:
    info = mlflow.pyfunc.log_model(
        python_model=Scaler(),
        artifacts={"factor": os.path.join(files, "factor.txt"), "offsets": os.path.join(files, "offsets")},
        signature=infer_signature(example, pd.Series([3.5, 6.5])),
        input_example=example,
        registered_model_name=name,
        pip_requirements=["mlflow"],
        **where("scaler"),
    )
version = client.get_latest_versions(name, stages=["None"])[0].version
client.set_registered_model_alias(name, "champion", version)
requests.post(f"{URI}/api/flowdesk/v1/call/registry.setProtection", json={"name": name, "aliases": [], "stages": []}).raise_for_status()
client.set_registered_model_alias(name, "production", version)
client.transition_model_version_stage(name, version, "Staging")

batch = pd.DataFrame({"x": [1.0, 2.5, -1.0]})
predictions = {}
for uri in [f"models:/{name}@champion", f"models:/{name}@production", f"models:/{name}/{version}", f"models:/{name}/Staging", f"models:/{name}/latest", info.model_uri]:
    predictions[uri.replace(name, "NAME").replace(run.info.run_id, "RUN")] = [float(v) for v in mlflow.pyfunc.load_model(uri).predict(batch)]
loaded = mlflow.pyfunc.load_model(f"models:/{name}@champion")
signature = loaded.metadata.signature.to_dict()
local = mlflow.artifacts.download_artifacts(f"models:/{name}@champion", dst_path=tempfile.mkdtemp())
downloaded = sorted(os.path.relpath(os.path.join(root, n), local) for root, _, names in os.walk(local) for n in names)

X = np.array([[0.0, 1.0], [1.0, 0.0], [0.2, 0.9], [0.9, 0.1]])
y = np.array([0, 1, 0, 1])
lr = LogisticRegression().fit(X, y)
sk_name = P + "logreg"
with mlflow.start_run():
    mlflow.sklearn.log_model(lr, signature=infer_signature(X, lr.predict(X)), registered_model_name=sk_name, pip_requirements=["scikit-learn"], **where("sk"))
sk_version = client.get_latest_versions(sk_name, stages=["None"])[0].version
sk_loaded = mlflow.sklearn.load_model(f"models:/{sk_name}/latest")
print(json.dumps({
    "runId": run.info.run_id,
    "version": str(version),
    "predictions": predictions,
    "signature": {"inputs": json.loads(signature["inputs"]), "outputs": json.loads(signature["outputs"])},
    "infoSignatureInputs": mlflow.models.get_model_info(f"models:/{name}@champion").signature.inputs.input_names(),
    "downloaded": downloaded,
    "sklearn": {
        "version": str(sk_version),
        "same": bool((sk_loaded.predict(X) == lr.predict(X)).all()),
        "pyfuncSame": bool((mlflow.pyfunc.load_model(f"models:/{sk_name}/{sk_version}").predict(X) == lr.predict(X)).all()),
        "classes": [int(c) for c in sk_loaded.classes_],
    },
}))
`;
}

describe.runIf(!PYTHON_CLIENTS_NOT_RUN_REASON)('models through the real MLflow clients', () => {
  const server = serverForFile();
  const outputs = runPythonPerVersion<ModelsOut>(() => server().url, (version) => script(`mod-${version}-`));

  describe.each(CLIENT_VERSIONS)('MLflow %s', (version: ClientVersion) => {
    const prefix = `mod-${version}-`;
    let out: ModelsOut;
    beforeAll(async () => {
      out = await outputs(version);
    }, 170_000);

    it('registers a custom pyfunc model as version 1 of its run', async () => {
      expect(out.version).toBe('1');
      const { version: v } = await server().api.call('registry.getVersion', { name: `${prefix}scaler`, version: 1 });
      expect(v.runId).toBe(out.runId);
      expect(v.status).toBe('READY');
      expect(v.aliases.sort()).toEqual(['champion', 'production']);
      expect(v.currentStage).toBe('Staging');
    });

    it('loads the model by alias, version, stage, latest and its logged URI, and predicts with its artifacts', () => {
      const expected = [3.5, 8, -2.5];
      const uris = Object.keys(out.predictions);
      expect(uris).toHaveLength(6);
      for (const uri of uris) expect(out.predictions[uri], uri).toEqual(expected);
    });

    it('keeps the signature of the model', () => {
      expect(out.signature.inputs).toEqual([expect.objectContaining({ name: 'x', type: 'double' })]);
      expect(out.signature.outputs).toEqual([expect.objectContaining({ type: 'double' })]);
      expect(out.infoSignatureInputs).toEqual(['x']);
    });

    it('downloads the model folder with its artifacts through the registry', () => {
      expect(out.downloaded).toEqual(
        expect.arrayContaining(['MLmodel', 'python_model.pkl', 'artifacts/factor.txt', 'artifacts/offsets/offset.json', 'input_example.json']),
      );
    });

    it('logs, registers and loads a scikit-learn model that predicts as the original', async () => {
      expect(out.sklearn).toEqual({ version: '1', same: true, pyfuncSame: true, classes: [0, 1] });
      const { model } = await server().api.call('registry.getModel', { name: `${prefix}logreg` });
      expect(model.latestVersions.map((v) => [v.version, v.currentStage])).toEqual([[1, 'None']]);
    });
  });
});
