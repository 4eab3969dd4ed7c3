/**
 * A model folder's summary for people: flavors, signature, input example, size, creation time,
 * requirements and how it can be served. Reads the MLmodel, the saved example and requirements.txt,
 * all bounded; never a model file.
 */
import { FlowdeskError, notFound } from '#core/api/errors.ts';
import type { ModelFlavor, ModelSummary, ServingKind } from '#core/api/models-entities.ts';
import type { ModelFiles } from './model-files.ts';
import { parseMlmodel, parseUtcTimeCreated, signatureOf, type Mlmodel } from '#core/api/mlmodel.ts';

/** MLmodel files are a few KB; anything this large is not one. */
export const MLMODEL_LIMIT = 1024 * 1024;
/** How much of an input example or requirements file a summary carries. */
export const EXAMPLE_LIMIT = 16 * 1024;

/** Reads and parses a folder's MLmodel; a folder without one is not a model. */
export async function readMlmodel(files: ModelFiles): Promise<Mlmodel> {
  let text: Buffer;
  try {
    text = await files.read('MLmodel', MLMODEL_LIMIT);
  } catch (err) {
    if (err instanceof FlowdeskError && err.code === 'RESOURCE_DOES_NOT_EXIST') throw notFound(`No MLmodel file in ${files.where}: it is not an MLflow model folder`);
    throw err;
  }
  return parseMlmodel(text.toString('utf8'));
}

/** How Flowdesk serves a model with these flavors, and why. */
export function servingOf(model: Mlmodel): { kind: ServingKind; reason: string } {
  if (model.flavors.onnx) return { kind: 'onnx', reason: 'ONNX runs in Flowdesk with onnxruntime' };
  if (model.flavors.python_function) return { kind: 'python', reason: "Served by MLflow in this machine's Python" };
  return { kind: 'none', reason: `MLflow can serve only models with a python_function flavor; this one has ${Object.keys(model.flavors).join(', ') || 'no flavors'}` };
}

function flavorFields(fields: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(fields)) {
    if (value === null || value === undefined) continue;
    out[key] = typeof value === 'object' ? JSON.stringify(value) : String(value);
  }
  return out;
}

const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);

/** Summarizes the model folder `files` found at `location`. */
export async function describeModel(files: ModelFiles, location: { uri: string; artifactUri: string; runId?: string }): Promise<ModelSummary> {
  const model = await readMlmodel(files);
  const flavors: ModelFlavor[] = Object.entries(model.flavors).map(([name, fields]) => ({ name, fields: flavorFields(fields) }));
  const exampleInfo = model.saved_input_example_info;
  let inputExample: ModelSummary['inputExample'];
  const examplePath = text(exampleInfo?.artifact_path);
  if (examplePath) {
    const head = await files.head(examplePath, EXAMPLE_LIMIT);
    if (head) inputExample = { path: examplePath, type: text(exampleInfo?.type), text: head.data.toString('utf8'), truncated: head.total > head.data.length };
  }
  const requirementsHead = await files.head('requirements.txt', EXAMPLE_LIMIT);
  const requirements = requirementsHead?.data
    .toString('utf8')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  const declaredSize = typeof model.model_size_bytes === 'number' && model.model_size_bytes >= 0 ? model.model_size_bytes : undefined;
  return {
    uri: location.uri,
    artifactUri: location.artifactUri,
    runId: text(model.run_id) ?? location.runId,
    artifactPath: text(model.artifact_path),
    modelUuid: text(model.model_uuid),
    flavors,
    signature: signatureOf(model),
    inputExample,
    sizeBytes: declaredSize ?? (await files.list()).reduce((sum, f) => sum + f.bytes, 0),
    createdAt: parseUtcTimeCreated(model.utc_time_created),
    mlflowVersion: text(model.mlflow_version),
    requirements,
    serving: servingOf(model),
  };
}
