/**
 * Real TensorBoard logs for the import tests, written by tensorboardX (the real writer, run with
 * the python of `../shared/python-clients`): the script writes a folder of runs and prints, as
 * JSON, every value it wrote, so the tests compare what the source reads back against it. And a
 * fast writer of large scalar files, for the bench and for imports that must last a while.
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { maskedCrc32c } from '#core/import/tensorboard/crc32c.ts';
import { runPython } from '../helpers/python-clients.ts';

/** One scalar point as written: float32 values already rounded as the file stores them. */
export interface WrittenPoint {
  step: number;
  value: number;
  wallTime: number;
}

/** What `writeTensorBoardLogs` wrote, per run folder (relative path). */
export interface WrittenLogs {
  scalars: Record<string, Record<string, WrittenPoint[]>>;
  hparams: { folder: string; params: Record<string, string>; metrics: Record<string, number> };
  texts: { step: number; text: string; wallTime: number }[];
  images: { step: number; png: string }[];
}

/**
 * Writes, under `dir`: `scalars/` (three simple-value tags over many steps, a histogram, text and
 * images), `scalars/<hparams session>/` (add_hparams), `tensors/` (TF2-style tensor scalars, double
 * values and float content, plugin metadata only on a tag's first value), and
 * `lightning_logs/version_0|1/` (nested under a folder without events).
 */
export function writeTensorBoardLogs(dir: string): Promise<WrittenLogs> {
  return runPython<WrittenLogs>(
    '2.12.2',
    'http://127.0.0.1:9',
    `
import base64, json, math, os, struct, time
import numpy as np
from PIL import Image
from tensorboardX import SummaryWriter
from tensorboardX.proto.summary_pb2 import Summary, SummaryMetadata
from tensorboardX.proto.tensor_pb2 import TensorProto
from tensorboardX.proto.tensor_shape_pb2 import TensorShapeProto

root = ${JSON.stringify(dir)}
out = {"scalars": {}, "texts": [], "images": []}
f32 = lambda v: float(np.float32(v))

def record(folder, tag, step, value, wall):
    out["scalars"].setdefault(folder, {}).setdefault(tag, []).append({"step": step, "value": value, "wallTime": wall})

w = SummaryWriter(os.path.join(root, "scalars"))
# Wall times just after the writers open (their first event, the file version, is stamped with the clock).
base = float(int(time.time())) + 2.0
for step in range(0, 3000, 3):
    wall = base + step * 0.25
    for tag, v in (("train/loss", 2.0 / (step + 1)), ("train/acc", step / 3000.0), ("lr", 0.1 * 0.999 ** step)):
        w.add_scalar(tag, v, step, walltime=wall)
        record("scalars", tag, step, f32(v), wall)
w.add_scalar("odd", float("nan"), 1, walltime=base)
record("scalars", "odd", 1, "NaN", base)
w.add_scalar("odd", float("inf"), 2, walltime=base + 1)
record("scalars", "odd", 2, "Infinity", base + 1)
w.add_histogram("weights", np.arange(100), 0, walltime=base)
for step, text in ((0, "hello **world**"), (5, "second note\\nwith two lines")):
    w.add_text("notes", text, step, walltime=base + step)
    out["texts"].append({"step": step, "text": text, "wallTime": base + step})
for step in (0, 10):
    img = np.zeros((4, 6, 3), dtype=np.uint8)
    img[:, :, 0] = step * 20
    img[1, 2, 1] = 255
    w.add_image("samples/input", img, step, walltime=base + step, dataformats="HWC")
w.add_hparams({"lr": 0.001, "batch_size": 32, "optimizer": "adam", "augment": True}, {"hparam/accuracy": 0.875, "hparam/loss": 0.25}, name="session")
w.close()
out["hparams"] = {"folder": "scalars/session", "params": {"lr": "0.001", "batch_size": "32", "optimizer": "adam", "augment": "True"}, "metrics": {"hparam/accuracy": 0.875, "hparam/loss": 0.25}}

# Images as tensorboardX encoded them: read back the PNG bytes it wrote, for a byte-for-byte comparison.
from tensorboardX.summary import image as image_summary
for step in (0, 10):
    img = np.zeros((4, 6, 3), dtype=np.uint8)
    img[:, :, 0] = step * 20
    img[1, 2, 1] = 255
    s = image_summary("samples/input", img, dataformats="HWC")
    out["images"].append({"step": step, "png": base64.b64encode(s.value[0].image.encoded_image_string).decode()})

# TF2 and PyTorch's new-style scalars: a one-element tensor, plugin metadata with a tag's first value only.
t = SummaryWriter(os.path.join(root, "tensors"))
for step in range(200):
    wall = base + 1000 + step
    d = math.sin(step / 7.0) * 1e-3 + step
    s = Summary.Value(tag="val/double", tensor=TensorProto(dtype=2, double_val=[d], tensor_shape=TensorShapeProto()))
    c = Summary.Value(tag="val/content", tensor=TensorProto(dtype=1, tensor_content=struct.pack("<f", step * 0.5 + 0.1), tensor_shape=TensorShapeProto()))
    if step == 0:
        s.metadata.CopyFrom(SummaryMetadata(plugin_data=SummaryMetadata.PluginData(plugin_name="scalars")))
        c.metadata.CopyFrom(SummaryMetadata(plugin_data=SummaryMetadata.PluginData(plugin_name="scalars")))
    t.file_writer.add_summary(Summary(value=[s, c]), step, walltime=wall)
    record("tensors", "val/double", step, d, wall)
    record("tensors", "val/content", step, f32(step * 0.5 + 0.1), wall)
t.close()

for version in (0, 1):
    folder = "lightning_logs/version_%d" % version
    v = SummaryWriter(os.path.join(root, folder))
    for step in range(10):
        wall = base + 2000 + version * 100 + step
        v.add_scalar("epoch_loss", 1.0 / (step + 1 + version), step, walltime=wall)
        record(folder, "epoch_loss", step, f32(1.0 / (step + 1 + version)), wall)
    v.close()
print(json.dumps(out))
`,
  );
}

/** One TFRecord: length, its masked CRC, the data, the data's masked CRC. */
function frame(data: Buffer): Buffer {
  const out = Buffer.alloc(12 + data.length + 4);
  out.writeUInt32LE(data.length, 0);
  out.writeUInt32LE(0, 4);
  out.writeUInt32LE(maskedCrc32c(out, 0, 8), 8);
  data.copy(out, 12);
  out.writeUInt32LE(maskedCrc32c(data), 12 + data.length);
  return out;
}

function varint(n: number): number[] {
  const bytes: number[] = [];
  while (n >= 0x80) {
    bytes.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  bytes.push(n);
  return bytes;
}

/** An Event holding one simple-value scalar, encoded as TensorFlow encodes it. */
function scalarEvent(wallTime: number, step: number, tag: string, value: number): Buffer {
  const tagBytes = Buffer.from(tag);
  const val = Buffer.concat([Buffer.from([0x0a, ...varint(tagBytes.length)]), tagBytes, Buffer.from([0x15]), floatBytes(value)]);
  const summary = Buffer.concat([Buffer.from([0x0a, ...varint(val.length)]), val]);
  const head = Buffer.alloc(9);
  head[0] = 0x09;
  head.writeDoubleLE(wallTime, 1);
  return Buffer.concat([head, Buffer.from([0x10, ...varint(step), 0x2a, ...varint(summary.length)]), summary]);
}

function floatBytes(value: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeFloatLE(value, 0);
  return b;
}

/**
 * Writes one event file of `points` simple-value scalars, cycling through `tags` (one step per
 * round), framed and encoded as TensorFlow does, fast enough for a million points: for the bench
 * and for tests that need an import that lasts.
 */
export async function writeScalarEventFile(dir: string, points: number, tags: string[]): Promise<string> {
  const file = join(dir, 'events.out.tfevents.1765000000.bench');
  const out = createWriteStream(file);
  const version = Buffer.concat([Buffer.from([0x09]), Buffer.alloc(8), Buffer.from([0x1a, 13]), Buffer.from('brain.Event:2')]);
  version.writeDoubleLE(1_765_000_000, 1);
  out.write(frame(version));
  let chunk: Buffer[] = [];
  for (let i = 0; i < points; i++) {
    const step = Math.floor(i / tags.length);
    chunk.push(frame(scalarEvent(1_765_000_000 + step * 0.01, step, tags[i % tags.length]!, Math.sin(i / 1000))));
    if (chunk.length === 10_000) {
      if (!out.write(Buffer.concat(chunk))) await once(out, 'drain');
      chunk = [];
    }
  }
  out.end(Buffer.concat(chunk));
  await once(out, 'finish');
  return file;
}
