/**
 * The model the models tests serve: a linear ONNX model `y = x · W + b` (3 features, 1 output)
 * built in the test, logged through the TypeScript client with a signature and an input example,
 * registered and given the alias `champion`.
 */
import { FlowdeskClient } from '#core/sdk/flowdesk-client.ts';
import type { SignatureSpec } from '#core/models/write-model.ts';
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
