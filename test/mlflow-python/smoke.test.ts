/** The real MLflow Python clients log a run to a real Flowdesk server and read it back. */
import { describe, expect, it } from 'vitest';
import { startTestServer } from '../helpers/server.ts';
import { CLIENT_VERSIONS, PYTHON_CLIENTS_NOT_RUN_REASON, runPython } from '../helpers/python-clients.ts';

describe.runIf(!PYTHON_CLIENTS_NOT_RUN_REASON).each(CLIENT_VERSIONS)('MLflow %s against flowdesk serve', (version) => {
  it('logs a run with the fluent API and reads it back', async () => {
    const { url, api } = await startTestServer();
    const out = await runPython<{ runId: string; version: string }>(
      version,
      url,
      `
import json, mlflow
mlflow.set_experiment("smoke")
with mlflow.start_run(run_name="first") as run:
    mlflow.log_param("alpha", 0.5)
    for step in range(3):
        mlflow.log_metric("loss", 1.0 / (step + 1), step=step)
print(json.dumps({"runId": run.info.run_id, "version": mlflow.__version__}))
`,
    );
    expect(out.version).toBe(version);
    const { run } = await api.call('runs.get', { runId: out.runId });
    expect(run.info.runName).toBe('first');
    expect(run.data.params).toEqual([{ key: 'alpha', value: '0.5' }]);
    const { metrics } = await api.call('metrics.history', { runId: out.runId, key: 'loss' });
    expect(metrics.map((m) => m.step)).toEqual([0, 1, 2]);
  });
});
