/**
 * A server that requires a bearer token, through the real MLflow Python clients (2.12.2 and
 * 3.5.1): with MLFLOW_TRACKING_TOKEN set, tracking calls and the artifact proxy both work; without
 * it or with a wrong one, the client fails at once with a 401 (which it does not retry) and
 * nothing is written. Each version runs one script; each test checks one behaviour.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { serverForFile } from '../helpers/server.ts';
import { CLIENT_VERSIONS, PYTHON_CLIENTS_NOT_RUN_REASON, runPythonPerVersion, type ClientVersion } from '../helpers/python-clients.ts';

const TOKEN = 'conformance-token-4f1c';

interface Failure {
  status: number | null;
  message: string;
}

interface TokensOut {
  missing: Failure;
  wrong: Failure;
  runId: string;
  experimentName: string;
  text: string;
}

function script(prefix: string): string {
  return `
import json, os
import mlflow
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

P = ${JSON.stringify(prefix)}
token = os.environ.pop("MLFLOW_TRACKING_TOKEN")

def failure(call):
    try:
        call()
    except MlflowException as e:
        return {"status": e.get_http_status_code(), "message": e.message[:300]}
    return {"status": None, "message": ""}

missing = failure(lambda: MlflowClient().create_experiment(P + "without"))
os.environ["MLFLOW_TRACKING_TOKEN"] = "not-the-token"
wrong = failure(lambda: MlflowClient().create_experiment(P + "wrong"))
os.environ["MLFLOW_TRACKING_TOKEN"] = token

mlflow.set_experiment(P + "with")
with mlflow.start_run() as run:
    mlflow.log_metric("m", 1.0)
    mlflow.log_text("through the proxy", "notes.txt")
print(json.dumps({
    "missing": missing,
    "wrong": wrong,
    "runId": run.info.run_id,
    "experimentName": P + "with",
    "text": mlflow.artifacts.load_text(f"runs:/{run.info.run_id}/notes.txt"),
}))
`;
}

describe.runIf(!PYTHON_CLIENTS_NOT_RUN_REASON)('a token-protected server through the real MLflow clients', () => {
  const server = serverForFile({ token: TOKEN });
  const outputs = runPythonPerVersion<TokensOut>(() => server().url, (version) => script(`tok-${version}-`), { env: { MLFLOW_TRACKING_TOKEN: TOKEN } });

  describe.each(CLIENT_VERSIONS)('MLflow %s', (version: ClientVersion) => {
    const prefix = `tok-${version}-`;
    let out: TokensOut;
    beforeAll(async () => {
      out = await outputs(version);
    }, 170_000);

    it('logs runs and artifacts with MLFLOW_TRACKING_TOKEN', async () => {
      const { run } = await server().api.call('runs.get', { runId: out.runId });
      expect(run.data.metrics.map((m) => [m.key, m.value])).toEqual([['m', 1]]);
      expect(out.text).toBe('through the proxy');
    });

    it('refuses a client without a token or with a wrong one with a 401, writing nothing', async () => {
      expect(out.missing.status).toBe(401);
      expect(out.wrong.status).toBe(401);
      const { experiments } = await server().api.call('experiments.search', { filter: `name LIKE '${prefix}%'` });
      expect(experiments.map((e) => e.name)).toEqual([out.experimentName]);
    });
  });
});
