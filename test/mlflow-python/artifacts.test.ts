/**
 * Run artifacts through the real MLflow Python clients (2.12.2 and 3.5.1) against one flowdesk
 * server per file: log_table/load_table, log_image without a step, log_figure (matplotlib, Agg),
 * log_dict, log_text, log_artifact(s) of a folder with awkward names, list_artifacts, and
 * downloads of a folder and of a whole run. Each version runs one script; each test checks one
 * behaviour, through the contract's listing and what the client read back.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { serverForFile } from '../helpers/server.ts';
import { CLIENT_VERSIONS, PYTHON_CLIENTS_NOT_RUN_REASON, runPythonPerVersion, type ClientVersion } from '../helpers/python-clients.ts';

interface ArtifactsOut {
  runId: string;
  experimentId: string;
  table: { rows: { x: number; label: string }[]; runIds: string[]; loggedArtifactsTag: string };
  image: { size: number[]; mode: string };
  figure: { size: number[] };
  dict: { json: unknown; yaml: unknown };
  text: string;
  top: { path: string; isDir: boolean }[];
  data: { path: string; isDir: boolean; size: number | null }[];
  downloaded: Record<string, string>;
  wholeRun: string[];
  single: string;
  blobs: { weightsSame: boolean; listed: { path: string; size: number }[]; empty: string; overwritten: string; missingListing: string[]; missingError: string | null };
}

// No '#': MLflow's client puts the name into the URL unquoted, so '#' starts a fragment and the name is cut there, whatever the server.
const awkward = 'notes 1 + v2 – résumé (final).txt';

function script(prefix: string): string {
  return `
import json, os, tempfile, yaml
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
import mlflow, numpy as np, pandas as pd
from mlflow import MlflowClient
from PIL import Image

P = ${JSON.stringify(prefix)}
AWKWARD = ${JSON.stringify(awkward)}
client = MlflowClient()
mlflow.set_experiment(P + "artifacts")
with mlflow.start_run() as run:
    rid = run.info.run_id
    mlflow.log_table(data=pd.DataFrame({"x": [1, 2, 3], "label": ["a", "b", "c"]}), artifact_file="tables/preds.json")
    mlflow.log_table(data={"x": [4], "label": ["d"]}, artifact_file="tables/preds.json")
    mlflow.log_image(np.full((8, 12, 3), 200, dtype=np.uint8), "images/gray.png")
    fig, ax = plt.subplots(figsize=(4, 3), dpi=50)
    ax.plot([0, 1, 2], [2, 1, 3])
    mlflow.log_figure(fig, "plots/curve.png")
    mlflow.log_dict({"lr": 0.1, "layers": [32, 16]}, "config/params.json")
    mlflow.log_dict({"optimizer": "adam"}, "config/params.yaml")
    mlflow.log_text("héllo, world\\n", "notes/readme.md")
    src = tempfile.mkdtemp()
    os.makedirs(os.path.join(src, "nested", "deeper"))
    files = {"a.csv": "x,y\\n1,2\\n", "nested/b.txt": "bee", "nested/deeper/c.txt": "sea", AWKWARD: "awkward"}
    for name, content in files.items():
        with open(os.path.join(src, name), "w", encoding="utf-8") as f:
            f.write(content)
    mlflow.log_artifacts(src, artifact_path="data")
    single = os.path.join(tempfile.mkdtemp(), "single.txt")
    with open(single, "w") as f:
        f.write("only me")
    mlflow.log_artifact(single)
    blobs = tempfile.mkdtemp()
    payload = os.urandom(3 * 1024 * 1024 + 7)
    with open(os.path.join(blobs, "weights.bin"), "wb") as f:
        f.write(payload)
    open(os.path.join(blobs, "empty.txt"), "w").close()
    mlflow.log_artifacts(blobs, artifact_path="blobs")
    mlflow.log_text("first", "notes/overwritten.txt")
    mlflow.log_text("second", "notes/overwritten.txt")

table = mlflow.load_table("tables/preds.json", run_ids=[rid], extra_columns=["run_id"])
image = mlflow.artifacts.load_image(f"runs:/{rid}/images/gray.png")
figure = mlflow.artifacts.load_image(f"runs:/{rid}/plots/curve.png")
dst = tempfile.mkdtemp()
local = mlflow.artifacts.download_artifacts(run_id=rid, artifact_path="data", dst_path=dst)
downloaded = {}
for root, _, names in os.walk(local):
    for name in names:
        path = os.path.join(root, name)
        with open(path, encoding="utf-8") as f:
            downloaded[os.path.relpath(path, local)] = f.read()
weights = client.download_artifacts(rid, "blobs/weights.bin", tempfile.mkdtemp())
with open(weights, "rb") as f:
    weights_same = f.read() == payload
try:
    mlflow.artifacts.load_text(f"runs:/{rid}/notes/missing.txt")
    missing_error = None
except Exception as e:
    missing_error = type(e).__name__
whole = mlflow.artifacts.download_artifacts(run_id=rid, dst_path=tempfile.mkdtemp())
whole_files = sorted(os.path.relpath(os.path.join(root, n), whole) for root, _, names in os.walk(whole) for n in names)
print(json.dumps({
    "runId": rid,
    "experimentId": run.info.experiment_id,
    "table": {
        "rows": table[["x", "label"]].to_dict("records"),
        "runIds": sorted(set(table["run_id"])),
        "loggedArtifactsTag": client.get_run(rid).data.tags.get("mlflow.loggedArtifacts", ""),
    },
    "image": {"size": list(image.size), "mode": image.mode},
    "figure": {"size": list(figure.size)},
    "dict": {
        "json": mlflow.artifacts.load_dict(f"runs:/{rid}/config/params.json"),
        "yaml": yaml.safe_load(mlflow.artifacts.load_text(f"runs:/{rid}/config/params.yaml")),
    },
    "text": mlflow.artifacts.load_text(f"runs:/{rid}/notes/readme.md"),
    "top": [{"path": f.path, "isDir": f.is_dir} for f in client.list_artifacts(rid)],
    "data": [{"path": f.path, "isDir": f.is_dir, "size": f.file_size} for f in client.list_artifacts(rid, "data")],
    "downloaded": downloaded,
    "wholeRun": whole_files,
    "single": mlflow.artifacts.load_text(f"runs:/{rid}/single.txt"),
    "blobs": {
        "weightsSame": weights_same,
        "listed": [{"path": f.path, "size": f.file_size} for f in client.list_artifacts(rid, "blobs")],
        "empty": mlflow.artifacts.load_text(f"runs:/{rid}/blobs/empty.txt"),
        "overwritten": mlflow.artifacts.load_text(f"runs:/{rid}/notes/overwritten.txt"),
        "missingListing": [f.path for f in client.list_artifacts(rid, "no/such/folder")],
        "missingError": missing_error,
    },
}))
`;
}

describe.runIf(!PYTHON_CLIENTS_NOT_RUN_REASON)('artifacts through the real MLflow clients', () => {
  const server = serverForFile();
  const outputs = runPythonPerVersion<ArtifactsOut>(() => server().url, (version) => script(`art-${version}-`));

  describe.each(CLIENT_VERSIONS)('MLflow %s', (version: ClientVersion) => {
    let out: ArtifactsOut;
    beforeAll(async () => {
      out = await outputs(version);
    }, 170_000);

    it('appends to a logged table and loads it back with its run id', () => {
      expect(out.table.rows).toEqual([
        { x: 1, label: 'a' },
        { x: 2, label: 'b' },
        { x: 3, label: 'c' },
        { x: 4, label: 'd' },
      ]);
      expect(out.table.runIds).toEqual([out.runId]);
      expect(JSON.parse(out.table.loggedArtifactsTag)).toEqual([{ path: 'tables/preds.json', type: 'table' }]);
    });

    it('logs an image without a step and a matplotlib figure as PNG files', async () => {
      expect(out.image).toEqual({ size: [12, 8], mode: 'RGB' });
      expect(out.figure.size).toEqual([200, 150]);
      const images = await server().api.call('artifacts.list', { runId: out.runId, path: 'images' });
      expect(images.files.map((f) => f.path)).toEqual(['gray.png']);
      const plots = await server().api.call('artifacts.list', { runId: out.runId, path: 'plots' });
      expect(plots.files.map((f) => f.path)).toEqual(['curve.png']);
    });

    it('round-trips log_dict as JSON and YAML and log_text with non-ASCII text', () => {
      expect(out.dict.json).toEqual({ lr: 0.1, layers: [32, 16] });
      expect(out.dict.yaml).toEqual({ optimizer: 'adam' });
      expect(out.text).toBe('héllo, world\n');
      expect(out.single).toBe('only me');
    });

    it('lists the top level and a folder with sizes, folders marked as such', async () => {
      expect(out.top).toEqual([
        { path: 'blobs', isDir: true },
        { path: 'config', isDir: true },
        { path: 'data', isDir: true },
        { path: 'images', isDir: true },
        { path: 'notes', isDir: true },
        { path: 'plots', isDir: true },
        { path: 'single.txt', isDir: false },
        { path: 'tables', isDir: true },
      ]);
      expect(out.data).toEqual(
        expect.arrayContaining([
          { path: 'data/a.csv', isDir: false, size: 8 },
          { path: `data/${awkward}`, isDir: false, size: Buffer.byteLength('awkward') },
          { path: 'data/nested', isDir: true, size: null },
        ]),
      );
      expect(out.data).toHaveLength(3);
      const listed = await server().api.call('artifacts.list', { runId: out.runId, path: 'data/nested' });
      expect(listed.files.map((f) => [f.path, f.isDir])).toEqual([
        ['b.txt', false],
        ['deeper', true],
      ]);
    });

    it('downloads a folder with its nested files and awkward names intact', () => {
      expect(out.downloaded).toEqual({
        'a.csv': 'x,y\n1,2\n',
        'nested/b.txt': 'bee',
        'nested/deeper/c.txt': 'sea',
        [awkward]: 'awkward',
      });
    });

    it('round-trips a binary file of several megabytes and an empty file', () => {
      expect(out.blobs.weightsSame).toBe(true);
      expect(out.blobs.listed).toEqual([
        { path: 'blobs/empty.txt', size: 0 },
        { path: 'blobs/weights.bin', size: 3 * 1024 * 1024 + 7 },
      ]);
      expect(out.blobs.empty).toBe('');
    });

    it('replaces a file logged again under the same name', () => {
      expect(out.blobs.overwritten).toBe('second');
    });

    it('lists a missing folder as empty and fails to read a missing file', () => {
      expect(out.blobs.missingListing).toEqual([]);
      expect(out.blobs.missingError).not.toBeNull();
    });

    it('downloads every file of a run', () => {
      expect(out.wholeRun).toEqual(
        [
          'config/params.json',
          'blobs/empty.txt',
          'blobs/weights.bin',
          'config/params.yaml',
          'data/a.csv',
          `data/${awkward}`,
          'data/nested/b.txt',
          'data/nested/deeper/c.txt',
          'images/gray.png',
          'notes/overwritten.txt',
          'notes/readme.md',
          'plots/curve.png',
          'single.txt',
          'tables/preds.json',
        ].sort(),
      );
    });
  });
});
