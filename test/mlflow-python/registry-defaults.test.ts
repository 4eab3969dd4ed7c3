/**
 * Promotion scripts through the real MLflow Python clients: on a laptop (no users) moves to
 * Production and @production apply at once, as on MLflow's server; on a server with users those
 * targets start protected and the same calls make a transition request (403 naming it).
 */
import { describe, expect, it } from 'vitest';
import { createClient } from '#core/api/client.ts';
import { IN_PROCESS_OWNER } from '#core/api/access.ts';
import { dispatch } from '#core/api/dispatch.ts';
import { addUser } from '#core/users/users.ts';
import { startTestServer } from '../helpers/server.ts';
import { CLIENT_VERSIONS, PYTHON_CLIENTS_NOT_RUN_REASON, runPython } from '../helpers/python-clients.ts';

/** Registers a version of `clf` from a run's `model` folder, then promotes it both ways; prints what happened. */
const PROMOTE = `
import json, os, tempfile, mlflow
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException
client = MlflowClient()
with mlflow.start_run() as run:
    folder = tempfile.mkdtemp()
    with open(os.path.join(folder, "MLmodel"), "w") as f:
        f.write("flavors: {}\\n")
    mlflow.log_artifacts(folder, artifact_path="model")
client.create_registered_model("clf")
version = client.create_model_version("clf", f"runs:/{run.info.run_id}/model", run_id=run.info.run_id).version
def attempt(call):
    try:
        call()
        return {"ok": True}
    except MlflowException as e:
        return {"ok": False, "code": e.error_code, "message": e.message}
stage = attempt(lambda: client.transition_model_version_stage("clf", version, "Production"))
alias = attempt(lambda: client.set_registered_model_alias("clf", "production", version))
current = client.get_model_version("clf", version).current_stage
aliased = attempt(lambda: client.get_model_version_by_alias("clf", "production"))
print(json.dumps({"stage": stage, "alias": alias, "current": current, "aliased": aliased["ok"]}))
`;

interface Outcome {
  ok: boolean;
  code?: string;
  message?: string;
}

describe.runIf(!PYTHON_CLIENTS_NOT_RUN_REASON).each(CLIENT_VERSIONS)('MLflow %s promotion scripts', (version) => {
  it('move a version to Production and @production at once on a laptop without users', async () => {
    const { url, api } = await startTestServer();
    const out = await runPython<{ stage: Outcome; alias: Outcome; current: string; aliased: boolean }>(version, url, PROMOTE);
    expect(out).toEqual({ stage: { ok: true }, alias: { ok: true }, current: 'Production', aliased: true });
    expect((await api.call('registry.listRequests', {})).requests).toEqual([]);
  });

  it('make transition requests, answered 403 naming them, on a server with users', async () => {
    const { url, fd } = await startTestServer();
    const { token } = await addUser(fd.catalog, 'ana', 'writer', Date.now());
    // Once users exist the contract over HTTP needs a token too: read the requests in-process.
    const inProcess = createClient((name, input) => dispatch(fd.handlers, name, input, IN_PROCESS_OWNER, () => undefined));
    const out = await runPython<{ stage: Outcome; alias: Outcome; current: string; aliased: boolean }>(version, url, PROMOTE, {
      env: { MLFLOW_TRACKING_TOKEN: token },
    });
    expect(out.current).toBe('None');
    expect(out.aliased).toBe(false);
    const { requests } = await inProcess.call('registry.listRequests', { name: 'clf' });
    expect(requests.map((r) => [r.kind, r.target, r.requestedBy]).sort()).toEqual([
      ['alias', 'production', 'ana'],
      ['stage', 'Production', 'ana'],
    ]);
    for (const [outcome, request] of [
      [out.stage, requests.find((r) => r.kind === 'stage')!],
      [out.alias, requests.find((r) => r.kind === 'alias')!],
    ] as const) {
      expect(outcome).toMatchObject({ ok: false, code: 'PERMISSION_DENIED' });
      expect(outcome.message).toContain(`request ${request.requestId} is pending`);
    }
  });
});
