/**
 * ONNX models scored in this process with onnxruntime-node: the one kind of model file Flowdesk
 * ever opens, and only inside the runtime. A checked request (see enforce-signature.ts) becomes
 * the session's input tensors: named tensors by name; columns either one tensor per column (when
 * the model's inputs are named like the columns) or stacked into one [rows, columns] matrix (the
 * usual shape of converted scikit-learn models).
 */
import * as ort from 'onnxruntime-node';
import { FlowdeskError, invalid } from '#core/api/errors.ts';
import { MODEL_FILE_LIMIT, type ModelFiles } from './model-files.ts';
import type { Mlmodel } from '#core/api/mlmodel.ts';
import { signatureOf } from '#core/api/mlmodel.ts';
import { enforceInput, enforceParams, type Feed, type Scalar } from './enforce-signature.ts';
import type { ScoringRequest } from './scoring-input.ts';

/** Scores requests with one loaded model. */
export interface Predictor {
  /** Predictions in MLflow's shape, ready to be sent as `{"predictions": ...}`. */
  predict(request: ScoringRequest): Promise<unknown>;
  close(): Promise<void>;
}

const bad = (message: string) => new FlowdeskError('BAD_REQUEST', message);

type OnnxInput = { name: string; type: string; shape: readonly (number | string)[] };

/** A typed array for an ONNX element type, from checked values. */
function tensorOf(input: OnnxInput, values: Scalar[], shape: number[], label: string): ort.Tensor {
  const numbers = () =>
    values.map((v) => {
      if (typeof v === 'number') return v;
      if (v === null) return Number.NaN;
      if (typeof v === 'boolean') return Number(v);
      throw bad(`Model input '${input.name}' takes ${input.type} values, but ${label} holds ${JSON.stringify(v)}`);
    });
  const integers = () =>
    numbers().map((n) => {
      if (!Number.isInteger(n)) throw bad(`Model input '${input.name}' takes ${input.type} values, but ${label} holds ${n}`);
      return n;
    });
  switch (input.type) {
    case 'float32':
      return new ort.Tensor('float32', Float32Array.from(numbers()), shape);
    case 'float64':
      return new ort.Tensor('float64', Float64Array.from(numbers()), shape);
    case 'int32':
      return new ort.Tensor('int32', Int32Array.from(integers()), shape);
    case 'int16':
      return new ort.Tensor('int16', Int16Array.from(integers()), shape);
    case 'int8':
      return new ort.Tensor('int8', Int8Array.from(integers()), shape);
    case 'uint8':
      return new ort.Tensor('uint8', Uint8Array.from(integers()), shape);
    case 'uint16':
      return new ort.Tensor('uint16', Uint16Array.from(integers()), shape);
    case 'uint32':
      return new ort.Tensor('uint32', Uint32Array.from(integers()), shape);
    case 'int64':
      return new ort.Tensor('int64', BigInt64Array.from(integers(), (n) => BigInt(n)), shape);
    case 'uint64':
      return new ort.Tensor('uint64', BigUint64Array.from(integers(), (n) => BigInt(n)), shape);
    case 'bool':
      return new ort.Tensor('bool', Uint8Array.from(values, (v) => (v ? 1 : 0)), shape);
    case 'string':
      return new ort.Tensor('string', values.map((v) => (typeof v === 'string' ? v : String(v))), shape);
    default:
      throw bad(`Model input '${input.name}' has element type ${input.type}, which Flowdesk cannot feed`);
  }
}

/** A tensor's data as nested arrays by its dims (int64 as numbers). */
function nested(tensor: ort.Tensor): unknown {
  const data = Array.from(tensor.data as ArrayLike<number | bigint | string | boolean>, (v) => (typeof v === 'bigint' ? Number(v) : v));
  const dims = tensor.dims;
  if (dims.length === 0) return data[0];
  const build = (offset: number, depth: number): unknown[] => {
    const size = dims[depth]!;
    if (depth === dims.length - 1) return data.slice(offset, offset + size);
    const stride = dims.slice(depth + 1).reduce((a, b) => a * b, 1);
    return Array.from({ length: size }, (_, i) => build(offset + i * stride, depth + 1));
  };
  return build(0, 0);
}

/** Opens an ONNX model folder (flavor `onnx`, file named by its `data` field) in the runtime. */
export async function loadOnnxPredictor(files: ModelFiles, model: Mlmodel): Promise<Predictor> {
  const flavor = model.flavors.onnx;
  if (!flavor) throw invalid(`${files.where} has no onnx flavor`);
  const dataFile = typeof flavor.data === 'string' && flavor.data !== '' ? flavor.data : 'model.onnx';
  const bytes = await files.read(dataFile, MODEL_FILE_LIMIT);
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(bytes);
  } catch (err) {
    throw invalid(`onnxruntime could not load ${dataFile} of ${files.where}: ${(err as Error).message}`);
  }
  const inputs: OnnxInput[] = session.inputMetadata.map((m) => (m.isTensor ? { name: m.name, type: m.type, shape: m.shape } : { name: m.name, type: 'non-tensor', shape: [] }));
  const signature = signatureOf(model);
  const schema = signature?.inputs;
  if (schema?.kind === 'tensors') {
    const unknown = schema.tensors.filter((t) => t.name !== undefined && !inputs.some((i) => i.name === t.name));
    if (unknown.length > 0 && !(schema.tensors.length === 1 && inputs.length === 1)) {
      throw invalid(`The signature names input tensors ${unknown.map((t) => `'${t.name}'`).join(', ')} that the ONNX model does not have (it has ${inputs.map((i) => `'${i.name}'`).join(', ')})`);
    }
  }

  function feedsOf(feed: Feed): Record<string, ort.Tensor> {
    const feeds: Record<string, ort.Tensor> = {};
    if (feed.kind === 'tensors') {
      for (const t of feed.tensors) {
        const input = inputs.find((i) => i.name === t.name) ?? (feed.tensors.length === 1 && inputs.length === 1 ? inputs[0] : undefined);
        if (!input) throw bad(`The model has no input named '${t.name}'; its inputs are ${inputs.map((i) => `'${i.name}'`).join(', ')}`);
        feeds[input.name] = tensorOf(input, t.values, t.shape, `input ${t.name ? `'${t.name}'` : ''}`.trim());
      }
      return feeds;
    }
    const byName = new Map(feed.columns.map((c) => [c.name, c]));
    if (inputs.every((i) => byName.has(i.name))) {
      for (const input of inputs) {
        const column = byName.get(input.name)!;
        const shape = input.shape.length === 2 ? [feed.rows, 1] : [feed.rows];
        feeds[input.name] = tensorOf(input, column.values, shape, `column '${column.name}'`);
      }
      return feeds;
    }
    const only = inputs.length === 1 ? inputs[0]! : undefined;
    if (!only || only.shape.length !== 2) {
      throw bad(`The model's inputs (${inputs.map((i) => `'${i.name}'`).join(', ')}) are not named like the columns (${feed.columns.map((c) => `'${c.name}'`).join(', ')}); send tensors by name in "inputs"`);
    }
    const width = only.shape[1];
    if (typeof width === 'number' && width !== feed.columns.length) {
      throw bad(`The model's input '${only.name}' takes ${width} columns per row, but the request has ${feed.columns.length} (${feed.columns.map((c) => `'${c.name}'`).join(', ')})`);
    }
    const values: Scalar[] = [];
    for (let r = 0; r < feed.rows; r++) for (const column of feed.columns) values.push(column.values[r] ?? null);
    feeds[only.name] = tensorOf(only, values, [feed.rows, feed.columns.length], 'the request');
    return feeds;
  }

  return {
    async predict(request) {
      const feed = enforceInput(request, schema);
      enforceParams(request.params, signature?.params);
      const feeds = feedsOf(feed);
      let results: ort.InferenceSession.OnnxValueMapType;
      try {
        results = await session.run(feeds);
      } catch (err) {
        // The model loaded, so what the runtime refuses is this input (a shape or type it cannot take).
        throw bad(`The model could not score this input: ${(err as Error).message.split('\n')[0]}`);
      }
      const outputs = session.outputNames.map((name) => ({ name, value: nested(results[name] as ort.Tensor), dims: (results[name] as ort.Tensor).dims }));
      if (request.input.kind === 'frame') {
        // A frame in, a frame out (as MLflow's onnx flavor answers): one record per row, one
        // field per output; an output of one value per row is that value, not a one-item list.
        const rows = outputs[0]?.dims[0] ?? 0;
        return Array.from({ length: rows }, (_, r) =>
          Object.fromEntries(
            outputs.map((o) => {
              const row = (o.value as unknown[])[r];
              return [o.name, o.dims.length === 2 && o.dims[1] === 1 ? (row as unknown[])[0] : row];
            }),
          ),
        );
      }
      if (outputs.length === 1) return outputs[0]!.value;
      return Object.fromEntries(outputs.map((o) => [o.name, o.value]));
    },
    async close() {
      await session.release();
    },
  };
}
