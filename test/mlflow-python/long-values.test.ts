/**
 * Long param and tag values through the real MLflow Python clients. MLflow's servers cut or
 * refuse params over 6,000 and tags over 8,000 characters; Flowdesk deliberately keeps every
 * value whole up to 1 MiB and answers a value over that with 400 INVALID_PARAMETER_VALUE naming
 * the key and the limit. Runs holding such values still search, sort and group.
 */
import { describe, expect, it } from 'vitest';
import { startTestServer } from '../helpers/server.ts';
import { CLIENT_VERSIONS, PYTHON_CLIENTS_NOT_RUN_REASON, runPython } from '../helpers/python-clients.ts';

const MiB = 1024 * 1024;

describe.runIf(!PYTHON_CLIENTS_NOT_RUN_REASON).each(CLIENT_VERSIONS)('MLflow %s long values', (version) => {
  it('keeps a 6,001 and a 100,000 character param, a 20 kB note and a 35,151 character tag whole', async () => {
    const { url, api } = await startTestServer();
    const out = await runPython<{ runId: string; params: Record<string, number>; tags: Record<string, number>; whole: boolean; found: number }>(
      version,
      url,
      `
import json, mlflow
from mlflow import MlflowClient
from mlflow.entities import Param
values = {"p6001": "p" * 6001, "p100k": "é" * 100000}
note = ("# Notes\\n\\n" + "a long markdown line with **bold** text.\\n" * 600)[:20000]
history = "h" * 35151
with mlflow.start_run() as run:
    for key, value in values.items():
        mlflow.log_param(key, value)
    mlflow.set_tag("mlflow.note.content", note)
    mlflow.set_tag("mlflow.log-model.history", history)
    MlflowClient().log_batch(run.info.run_id, params=[Param("batched", "b" * 50000)])
data = MlflowClient().get_run(run.info.run_id).data
whole = data.params["p6001"] == values["p6001"] and data.params["p100k"] == values["p100k"] and data.tags["mlflow.note.content"] == note and data.tags["mlflow.log-model.history"] == history and data.params["batched"] == "b" * 50000
found = len(mlflow.search_runs(filter_string="params.p6001 LIKE 'ppp%'", order_by=["params.p100k DESC"]))
print(json.dumps({
    "runId": run.info.run_id,
    "params": {k: len(v) for k, v in data.params.items()},
    "tags": {k: len(data.tags[k]) for k in ("mlflow.note.content", "mlflow.log-model.history")},
    "whole": whole,
    "found": found,
}))
`,
    );
    expect(out.params).toEqual({ p6001: 6001, p100k: 100_000, batched: 50_000 });
    expect(out.tags).toEqual({ 'mlflow.note.content': 20_000, 'mlflow.log-model.history': 35_151 });
    expect(out.whole).toBe(true);
    expect(out.found).toBe(1);
    const { run } = await api.call('runs.get', { runId: out.runId });
    expect(run.data.params.find((p) => p.key === 'p100k')?.value).toBe('é'.repeat(100_000));
    // The runs table's queries cope with them too.
    const { groups } = await api.call('runs.groups', { experimentIds: ['0'], param: 'p6001' });
    expect(groups).toEqual([{ value: 'p'.repeat(6001), runCount: 1, metrics: [] }]);
    expect((await api.call('runs.keys', { experimentIds: ['0'] })).params).toEqual(['batched', 'p100k', 'p6001']);
  });

  it('answers a value over 1 MiB with INVALID_PARAMETER_VALUE naming the key and the limit, and logs nothing', async () => {
    const { url, api } = await startTestServer();
    const out = await runPython<{ runId: string; refusals: { code: string; message: string }[] }>(
      version,
      url,
      `
import json, mlflow
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException
huge = "x" * (${MiB} + 1)
refusals = []
with mlflow.start_run() as run:
    for call in (lambda: mlflow.log_param("huge_param", huge), lambda: mlflow.set_tag("huge_tag", huge)):
        try:
            call()
        except MlflowException as e:
            refusals.append({"code": e.error_code, "message": e.message})
print(json.dumps({"runId": run.info.run_id, "refusals": refusals}))
`,
    );
    expect(out.refusals).toHaveLength(2);
    for (const [refusal, key] of [
      [out.refusals[0]!, 'huge_param'],
      [out.refusals[1]!, 'huge_tag'],
    ] as const) {
      expect(refusal.code).toBe('INVALID_PARAMETER_VALUE');
      expect(refusal.message).toContain(`'${key}' is ${MiB + 1} bytes long, over the limit of ${MiB} bytes`);
    }
    const { run } = await api.call('runs.get', { runId: out.runId });
    expect(run.data.params).toEqual([]);
    expect(run.data.tags.map((t) => t.key)).not.toContain('huge_tag');
  });
});
