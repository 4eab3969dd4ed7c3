/**
 * Writes MLflow model folders from TypeScript: an ONNX model file plus its MLmodel (flavours
 * `onnx` and `python_function` with loader `mlflow.onnx`, as `mlflow.onnx.log_model` writes
 * them), signature, input example and requirements, so MLflow's Python can load it too. The SDK's
 * own work: it writes the folder on the client's machine, then uploads it like any artifact.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { invalid } from '#core/api/errors.ts';
import { parseMlmodel, parseSchema, signatureJson, stringifyMlmodel, utcTimeCreated, type Mlmodel } from '#core/api/mlmodel.ts';

/** A signature in MLflow's JSON shape: lists of column specs (`{name, type}`) or tensor specs (`{name, type: 'tensor', 'tensor-spec': {dtype, shape}}`), and params (`{name, type, default, shape}`). */
export interface SignatureSpec {
  inputs: Record<string, unknown>[];
  outputs?: Record<string, unknown>[];
  params?: Record<string, unknown>[];
}

export interface OnnxModelSpec {
  /** The ONNX model: a file path or its bytes. */
  onnx: string | Uint8Array;
  signature?: SignatureSpec;
  /** An input the model accepts: records or a `{columns, data}` split for a column signature, nested arrays for a tensor one. */
  inputExample?: unknown;
  /** pip requirements for loading it in Python; default mlflow, onnx, onnxruntime. */
  requirements?: string[];
  /** The `onnx` package version to record in the flavour, when known. */
  onnxVersion?: string;
  /** onnxruntime execution providers the Python loader uses; default CPU. */
  providers?: string[];
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The example file and its `saved_input_example_info`, in the forms MLflow writes. */
function exampleOf(example: unknown, signature: SignatureSpec | undefined): { json: unknown; info: Record<string, unknown> } {
  const columns = signature ? parseSchema(JSON.stringify(signature.inputs)).kind === 'columns' : Array.isArray(example) && example.every(isRecord);
  if (columns && Array.isArray(example) && example.every(isRecord)) {
    const names = [...new Set(example.flatMap((r) => Object.keys(r)))];
    return { json: { columns: names, data: example.map((r) => names.map((n) => r[n] ?? null)) }, info: { type: 'dataframe', pandas_orient: 'split' } };
  }
  if (isRecord(example) && Array.isArray(example.data)) return { json: example, info: { type: 'dataframe', pandas_orient: 'split' } };
  if (Array.isArray(example)) return { json: { inputs: example }, info: { type: 'ndarray', format: 'tf-serving' } };
  return { json: example, info: { type: 'json_object' } };
}

/**
 * Writes an ONNX model folder into a new temporary folder and returns its path and MLmodel.
 * The caller uploads the folder and removes it.
 */
export async function writeOnnxModelFolder(spec: OnnxModelSpec, meta: { runId: string; artifactPath: string; now?: number }): Promise<{ dir: string; mlmodel: Mlmodel }> {
  const bytes = typeof spec.onnx === 'string' ? await readFile(spec.onnx) : spec.onnx;
  if (bytes.length === 0) throw invalid('The ONNX model is empty');
  const dir = await mkdtemp(join(tmpdir(), 'flowdesk-log-model-'));
  await writeFile(join(dir, 'model.onnx'), bytes);
  await writeFile(join(dir, 'requirements.txt'), `${(spec.requirements ?? ['mlflow', 'onnx', 'onnxruntime']).join('\n')}\n`);
  let saved: Mlmodel['saved_input_example_info'];
  if (spec.inputExample !== undefined) {
    const example = exampleOf(spec.inputExample, spec.signature);
    await writeFile(join(dir, 'input_example.json'), JSON.stringify(example.json));
    saved = { artifact_path: 'input_example.json', ...example.info };
  }
  let size = 0;
  for (const name of await readdir(dir)) size += (await stat(join(dir, name))).size;
  const mlmodel: Mlmodel = {
    artifact_path: meta.artifactPath,
    run_id: meta.runId,
    model_uuid: randomUUID().replace(/-/g, ''),
    utc_time_created: utcTimeCreated(meta.now ?? Date.now()),
    model_size_bytes: size,
    flavors: {
      onnx: { code: null, data: 'model.onnx', ...(spec.onnxVersion ? { onnx_version: spec.onnxVersion } : {}), providers: spec.providers ?? ['CPUExecutionProvider'] },
      python_function: { data: 'model.onnx', loader_module: 'mlflow.onnx' },
    },
    signature: spec.signature ? signatureJson(spec.signature) : undefined,
    saved_input_example_info: saved,
  };
  await writeFile(join(dir, 'MLmodel'), stringifyMlmodel(mlmodel));
  return { dir, mlmodel };
}

/** Reads and checks the MLmodel of a model folder on disk; INVALID_PARAMETER_VALUE when it has none or it is malformed. */
export async function readLocalMlmodel(dir: string): Promise<Mlmodel> {
  let text: string;
  try {
    text = await readFile(join(dir, 'MLmodel'), 'utf8');
  } catch {
    throw invalid(`${dir} has no MLmodel file: it is not an MLflow model folder`);
  }
  return parseMlmodel(text);
}
