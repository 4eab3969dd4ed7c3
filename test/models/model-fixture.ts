/**
 * The model the models tests serve: a linear ONNX model `y = x · W + b` (3 features, 1 output)
 * built in the test, logged through the TypeScript client with a signature and an input example,
 * registered and given the alias `champion`.
 */
import { FlowdeskClient } from '#core/sdk/flowdesk-client.ts';
import type { SignatureSpec } from '#core/sdk/write-model.ts';
import { linearOnnxModel, linearPredict } from './onnx-builder.ts';

export const WEIGHTS = [[0.5], [-2], [3]];
export const BIAS = [1.25];

/** y for rows of [x0, x1, x2], as float32 computes it. */
export const expected = (rows: number[][]) => linearPredict(WEIGHTS, BIAS, rows);

/** A tensor signature: float32 x of shape (-1, 3) in, float32 y of shape (-1, 1) out. */
export const TENSOR_SIGNATURE: SignatureSpec = {
  inputs: [{ name: 'x', type: 'tensor', 'tensor-spec': { dtype: 'float32', shape: [-1, 3] } }],
  outputs: [{ name: 'y', type: 'tensor', 'tensor-spec': { dtype: 'float32', shape: [-1, 1] } }],
};

/** A column signature: doubles a, b, c in (stacked into x), one double out. */
export const COLUMN_SIGNATURE: SignatureSpec = {
  inputs: [
    { name: 'a', type: 'double' },
    { name: 'b', type: 'double' },
    { name: 'c', type: 'double' },
  ],
  outputs: [{ name: 'y', type: 'double' }],
  params: [{ name: 'threshold', type: 'double', default: 0.5, shape: null }],
};

export interface LoggedLinear {
  runId: string;
  /** The tensor-signature model, registered as `linear` version 1 with alias champion. */
  tensorUri: string;
  /** The column-signature model of the same run, registered as `linear-columns` version 1 with alias champion. */
  columnsUri: string;
}

/** Logs both models through the client and registers them (aliases `champion`). */
export async function logLinearModels(baseUrl: string, options: { experiment?: string } = {}): Promise<LoggedLinear> {
  const client = new FlowdeskClient(baseUrl);
  const run = await client.startRun({ experiment: options.experiment ?? 'models', runName: 'linear' });
  const onnx = linearOnnxModel({ weights: WEIGHTS, bias: BIAS });
  const tensor = await run.logModel({ onnx, signature: TENSOR_SIGNATURE, inputExample: [[1, 2, 3]], artifactPath: 'model', registeredModelName: 'linear' });
  const columns = await run.logModel({
    onnx,
    signature: COLUMN_SIGNATURE,
    inputExample: [{ a: 1, b: 2, c: 3 }],
    artifactPath: 'columns-model',
    registeredModelName: 'linear-columns',
  });
  await client.api.call('registry.setAlias', { name: 'linear', version: tensor.version!.version, alias: 'champion' });
  await client.api.call('registry.setAlias', { name: 'linear-columns', version: columns.version!.version, alias: 'champion' });
  await run.end();
  return { runId: run.runId, tensorUri: 'models:/linear@champion', columnsUri: 'models:/linear-columns@champion' };
}

/** An MLmodel as MLflow 2.x writes it for a scikit-learn model. */
export const SKLEARN_MLMODEL = `artifact_path: model
flavors:
  python_function:
    env:
      conda: conda.yaml
      virtualenv: python_env.yaml
    loader_module: mlflow.sklearn
    model_path: model.pkl
    predict_fn: predict
    python_version: 3.11.5
  sklearn:
    code: null
    pickled_model: model.pkl
    serialization_format: cloudpickle
    sklearn_version: 1.4.2
mlflow_version: 2.16.0
model_size_bytes: 1234
model_uuid: 0f4a1c1e8f0e4d0f9a5b2c3d4e5f6a7b
run_id: 6f1c2b3a4d5e6f708192a3b4c5d6e7f8
saved_input_example_info:
  artifact_path: input_example.json
  pandas_orient: split
  type: dataframe
signature:
  inputs: '[{"type": "double", "name": "age", "required": true}, {"type": "long", "name": "visits", "required": true}, {"type": "string", "name": "plan", "required": false}, {"type": "boolean", "name": "active", "required": true}, {"type": "datetime", "name": "joined", "required": true}, {"type": "binary", "name": "blob", "required": true}, {"type": "array", "items": {"type": "double"}, "name": "history", "required": true}]'
  outputs: '[{"type": "long", "required": true}]'
  params: '[{"name": "threshold", "type": "float", "default": 0.5, "shape": null}, {"name": "classes", "type": "string", "default": ["a"], "shape": [-1]}]'
utc_time_created: '2024-05-01 12:34:56.789012'
`;
