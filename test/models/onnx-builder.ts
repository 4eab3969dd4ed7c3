/**
 * Builds small ONNX models as protobuf bytes inside the tests, so no model is downloaded: a tiny
 * protobuf writer and just the ONNX messages a linear model needs (ModelProto, GraphProto,
 * NodeProto, TensorProto, ValueInfoProto). Field numbers are those of onnx/onnx.proto.
 */

/** Appends protobuf wire data: varints, and length-delimited fields holding bytes or messages. */
class ProtoWriter {
  private chunks: number[] = [];

  private varint(value: number | bigint): void {
    let v = BigInt.asUintN(64, BigInt(value));
    while (v >= 0x80n) {
      this.chunks.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    this.chunks.push(Number(v));
  }

  int(field: number, value: number): this {
    this.varint((field << 3) | 0);
    this.varint(value);
    return this;
  }

  bytes(field: number, value: Uint8Array): this {
    this.varint((field << 3) | 2);
    this.varint(value.length);
    for (const b of value) this.chunks.push(b);
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, new TextEncoder().encode(value));
  }

  message(field: number, build: (w: ProtoWriter) => void): this {
    const inner = new ProtoWriter();
    build(inner);
    return this.bytes(field, inner.finish());
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.chunks);
  }
}

const FLOAT = 1;

/** A float tensor input or output: name and shape, where a string names a variable dimension. */
interface ValueInfo {
  name: string;
  shape: (number | string)[];
}

function valueInfo(w: ProtoWriter, value: ValueInfo): void {
  w.string(1, value.name).message(2, (type) =>
    type.message(1, (tensor) =>
      tensor.int(1, FLOAT).message(2, (shape) => {
        for (const dim of value.shape) shape.message(1, (d) => (typeof dim === 'number' ? d.int(1, dim) : d.string(2, dim)));
      }),
    ),
  );
}

function floatTensor(w: ProtoWriter, name: string, dims: number[], values: number[]): void {
  for (const d of dims) w.int(1, d);
  w.int(2, FLOAT).string(8, name).bytes(9, new Uint8Array(Float32Array.from(values).buffer));
}

/**
 * A linear model `y = x · W + b` as ONNX (MatMul then Add, opset 13): input `x` float32
 * [N, features], output `y` float32 [N, outputs]. `weights` is features × outputs, row-major.
 */
export function linearOnnxModel(options: { weights: number[][]; bias: number[]; input?: string; output?: string }): Uint8Array {
  const features = options.weights.length;
  const outputs = options.bias.length;
  const input = options.input ?? 'x';
  const output = options.output ?? 'y';
  return new ProtoWriter()
    .int(1, 8) // ir_version 8: understood by every onnxruntime of the last years
    .string(2, 'flowdesk-tests')
    .message(8, (opset) => opset.string(1, '').int(2, 13))
    .message(7, (graph) => {
      graph
        .message(1, (node) => node.string(1, input).string(1, 'W').string(2, 'xw').string(3, 'matmul').string(4, 'MatMul'))
        .message(1, (node) => node.string(1, 'xw').string(1, 'B').string(2, output).string(3, 'add').string(4, 'Add'))
        .string(2, 'linear')
        .message(5, (t) => floatTensor(t, 'W', [features, outputs], options.weights.flat()))
        .message(5, (t) => floatTensor(t, 'B', [outputs], options.bias))
        .message(11, (v) => valueInfo(v, { name: input, shape: ['N', features] }))
        .message(12, (v) => valueInfo(v, { name: output, shape: ['N', outputs] }));
    })
    .finish();
}

/** What the linear model computes, for checking predictions against the math (in float32). */
export function linearPredict(weights: number[][], bias: number[], rows: number[][]): number[][] {
  return rows.map((row) => bias.map((b, j) => Math.fround(row.reduce((sum, x, i) => Math.fround(sum + Math.fround(Math.fround(x) * Math.fround(weights[i]![j]!))), 0) + b)));
}
