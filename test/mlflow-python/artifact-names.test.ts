/**
 * Awkward artifact names through the real MLflow Python clients: '%' (which the client sends as
 * `%25`), spaces, '+', non-ASCII, and the step-wise `log_image` series whose file names are full
 * of '%' and which the client uploads from a background queue that only logs failures.
 */
import { describe, expect, it } from 'vitest';
import { startTestServer } from '../helpers/server.ts';
import { CLIENT_VERSIONS, PYTHON_CLIENTS_NOT_RUN_REASON, runPython } from '../helpers/python-clients.ts';

/** Names logged with `log_artifact`; each file holds its own name, so a mix-up shows. */
const NAMES = ['acc_95%.txt', '50% off.txt', 'a b.txt', 'c+d.txt', 'données 😀.txt', 'x=1,2 (3).txt'];

describe.runIf(!PYTHON_CLIENTS_NOT_RUN_REASON).each(CLIENT_VERSIONS)('MLflow %s artifact names', (version) => {
  it('logs, lists and downloads names with %, spaces, + and unicode byte for byte', async () => {
    const { url, api } = await startTestServer();
    const out = await runPython<{ runId: string; listed: string[]; downloaded: Record<string, string> }>(
      version,
      url,
      `
import json, os, tempfile, mlflow
from mlflow import MlflowClient
names = ${JSON.stringify(NAMES)}
src = tempfile.mkdtemp()
with mlflow.start_run() as run:
    for name in names:
        path = os.path.join(src, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write("content of " + name)
        mlflow.log_artifact(path, artifact_path="odd")
listed = [f.path for f in MlflowClient().list_artifacts(run.info.run_id, "odd")]
dst = mlflow.artifacts.download_artifacts(run_id=run.info.run_id, artifact_path="odd", dst_path=tempfile.mkdtemp())
downloaded = {}
for name in os.listdir(dst):
    with open(os.path.join(dst, name), encoding="utf-8") as f:
        downloaded[name] = f.read()
print(json.dumps({"runId": run.info.run_id, "listed": listed, "downloaded": downloaded}))
`,
    );
    expect(out.listed.sort()).toEqual(NAMES.map((n) => `odd/${n}`).sort());
    expect(out.downloaded).toEqual(Object.fromEntries(NAMES.map((n) => [n, `content of ${n}`])));
    const { files } = await api.call('artifacts.list', { runId: out.runId, path: 'odd' });
    expect(files.map((f) => f.path).sort()).toEqual([...NAMES].sort());
  });

  it('keeps every image of a step-wise log_image series uploaded from the background queue', async () => {
    const { url, api } = await startTestServer();
    const steps = [0, 1, 10, 23, 25, 100];
    // The client uploads these from a queue it drains when the script exits, so the images are
    // read back once the logging script has ended, as a user would see them.
    const { runId } = await runPython<{ runId: string }>(
      version,
      url,
      `
import json, numpy as np, mlflow
with mlflow.start_run() as run:
    for step in ${JSON.stringify(steps)}:
        mlflow.log_image(np.full((8, 8, 3), step, dtype=np.uint8), key="loss curve", step=step)
print(json.dumps({"runId": run.info.run_id}))
`,
    );
    const { files } = await api.call('artifacts.list', { runId, path: 'images' });
    const names = files.map((f) => f.path);
    // One full-size PNG and one compressed WebP per step, each named `<key>%step%<step>%...`.
    const pngSteps = names.filter((n) => n.endsWith('.png')).map((n) => Number(n.split('%')[2]));
    expect(pngSteps.sort((a, b) => a - b)).toEqual(steps);
    expect(names.filter((n) => n.endsWith('%compressed.webp'))).toHaveLength(steps.length);

    // File by file: a folder download refuses listed names that MLflow's client decodes to a '#'
    // (step 23, or a uuid starting with 23), on MLflow's own server too.
    const pngs = names.filter((n) => n.endsWith('.png'));
    const { pixels } = await runPython<{ pixels: Record<string, number> }>(
      version,
      url,
      `
import json, tempfile, numpy as np, mlflow
from PIL import Image
pixels = {}
for name in ${JSON.stringify(pngs)}:
    local = mlflow.artifacts.download_artifacts(run_id=${JSON.stringify(runId)}, artifact_path="images/" + name, dst_path=tempfile.mkdtemp())
    pixels[name] = int(np.asarray(Image.open(local))[0, 0, 0])
print(json.dumps({"pixels": pixels}))
`,
    );
    // Each downloaded PNG is the image logged at its step.
    expect(Object.entries(pixels).map(([name, value]) => [Number(name.split('%')[2]), value]).sort((a, b) => a[0]! - b[0]!)).toEqual(steps.map((s) => [s, s]));
  });
});
