/**
 * MLflow's MLmodel file: reading and writing its YAML, and parsing the signature it carries.
 * MLflow stores the signature's `inputs`, `outputs` and `params` as JSON strings inside the YAML;
 * they are parsed here into typed column, tensor and param specs. Nothing in a model folder but
 * this text file is ever read to describe a model. It lives with the contract because both sides
 * of it read and write the format: the server describes and serves models, the SDK writes them.
 */
import { parse, stringify } from 'yaml';
import { invalid } from '#core/api/errors.ts';
import {
  COLUMN_TYPES,
  type ColumnSpec,
  type ColumnType,
  type ModelSchema,
  type ModelSignature,
  type ParamSpec,
  type TensorSpec,
} from '#core/api/models-entities.ts';

/** The fields of an MLmodel file that Flowdesk reads or writes; others are kept as they are. */
export interface Mlmodel {
  artifact_path?: string;
  run_id?: string;
  model_uuid?: string;
  model_id?: string;
  utc_time_created?: string;
  mlflow_version?: string;
  model_size_bytes?: number;
  flavors: Record<string, Record<string, unknown>>;
  signature?: { inputs?: string | null; outputs?: string | null; params?: string | null };
  saved_input_example_info?: { artifact_path?: string; type?: string; [key: string]: unknown };
  [key: string]: unknown;
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Parses an MLmodel file's text; INVALID_PARAMETER_VALUE when it is not YAML with a `flavors` map. */
export function parseMlmodel(text: string): Mlmodel {
  let doc: unknown;
  try {
    // Plain YAML only: no custom tags, no aliases expanded beyond a small bound (billion laughs).
    doc = parse(text, { maxAliasCount: 100, customTags: [] });
  } catch (err) {
    throw invalid(`The MLmodel file is not valid YAML: ${(err as Error).message}`);
  }
  if (!isRecord(doc)) throw invalid('The MLmodel file does not hold a YAML mapping');
  const flavors = doc.flavors;
  if (!isRecord(flavors) || !Object.values(flavors).every((f) => f === null || isRecord(f))) {
    throw invalid('The MLmodel file has no `flavors` mapping');
  }
  const normalized = Object.fromEntries(Object.entries(flavors).map(([name, f]) => [name, (f ?? {}) as Record<string, unknown>]));
  return { ...doc, flavors: normalized } as Mlmodel;
}

/** Writes an MLmodel file's text as MLflow does: block YAML, signature parts as JSON strings. */
export function stringifyMlmodel(model: Mlmodel): string {
  const defined = Object.fromEntries(Object.entries(model).filter(([, v]) => v !== undefined));
  return stringify(defined, { lineWidth: 0 });
}

/** MLflow's `utc_time_created`: `YYYY-MM-DD HH:MM:SS.ffffff` in UTC. */
export function utcTimeCreated(ms: number): string {
  return `${new Date(ms).toISOString().replace('T', ' ').replace('Z', '')}000`;
}

/** Milliseconds since the epoch of an MLmodel's `utc_time_created`, or undefined when unreadable. */
export function parseUtcTimeCreated(text: unknown): number | undefined {
  if (typeof text !== 'string') return undefined;
  const match = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(\.\d{1,3})?\d*$/.exec(text.trim());
  if (!match) return undefined;
  const ms = Date.parse(`${match[1]}T${match[2]}${match[3] ?? ''}Z`);
  return Number.isNaN(ms) ? undefined : ms;
}

/** Tensor dtypes MLflow writes (numpy names). */
const TENSOR_DTYPES = new Set(['bool', 'int8', 'int16', 'int32', 'int64', 'uint8', 'uint16', 'uint32', 'uint64', 'float16', 'float32', 'float64', 'str', 'bytes', 'object']);

function parseJsonPart(text: string, part: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw invalid(`The signature's ${part} are not valid JSON: ${(err as Error).message}`);
  }
}

/** Parses one schema (the JSON of `signature.inputs` or `signature.outputs`) into column or tensor specs. */
export function parseSchema(json: string, part = 'inputs'): ModelSchema {
  const specs = parseJsonPart(json, part);
  if (!Array.isArray(specs)) throw invalid(`The signature's ${part} are not a JSON array of specs`);
  if (specs.length > 0 && specs.every((s) => isRecord(s) && s.type === 'tensor')) {
    const tensors: TensorSpec[] = specs.map((s: Record<string, unknown>, i) => {
      const spec = s['tensor-spec'];
      if (!isRecord(spec) || typeof spec.dtype !== 'string' || !Array.isArray(spec.shape) || !spec.shape.every((d) => Number.isInteger(d) && (d as number) >= -1)) {
        throw invalid(`Tensor spec ${i + 1} of the signature's ${part} needs a tensor-spec with a dtype and a shape of integers (-1 for a variable dimension)`);
      }
      if (!TENSOR_DTYPES.has(spec.dtype)) throw invalid(`Tensor spec ${i + 1} of the signature's ${part} has an unknown dtype '${spec.dtype}'`);
      return { name: typeof s.name === 'string' ? s.name : undefined, dtype: spec.dtype, shape: spec.shape as number[] };
    });
    return { kind: 'tensors', tensors };
  }
  const columns: ColumnSpec[] = specs.map((s: unknown, i) => {
    if (!isRecord(s) || typeof s.type !== 'string') throw invalid(`Column ${i + 1} of the signature's ${part} has no type`);
    if (s.type === 'tensor') throw invalid(`The signature's ${part} mix tensor specs and column specs`);
    return {
      name: typeof s.name === 'string' ? s.name : undefined,
      type: s.type,
      // Array, object and map columns (MLflow 2.10+) are described by their JSON; they are not scalar.
      detail: (COLUMN_TYPES as readonly string[]).includes(s.type) ? undefined : JSON.stringify(s),
      required: s.required !== false,
    };
  });
  return { kind: 'columns', columns };
}

/** Parses the params schema (`signature.params`): names, types, defaults and shapes. */
export function parseParams(json: string): ParamSpec[] {
  const specs = parseJsonPart(json, 'params');
  if (!Array.isArray(specs)) throw invalid("The signature's params are not a JSON array");
  return specs.map((s: unknown, i) => {
    if (!isRecord(s) || typeof s.name !== 'string' || typeof s.type !== 'string') throw invalid(`Param ${i + 1} of the signature needs a name and a type`);
    return { name: s.name, type: s.type, default: s.default ?? null, shape: Array.isArray(s.shape) ? (s.shape as number[]) : null };
  });
}

/** The parsed signature of an MLmodel, or undefined when it has none. */
export function signatureOf(model: Mlmodel): ModelSignature | undefined {
  const sig = model.signature;
  if (!isRecord(sig)) return undefined;
  const text = (v: unknown) => (typeof v === 'string' && v.trim() !== '' && v.trim() !== 'null' ? v : undefined);
  const inputs = text(sig.inputs);
  const outputs = text(sig.outputs);
  const params = text(sig.params);
  if (!inputs && !outputs && !params) return undefined;
  return {
    inputs: inputs ? parseSchema(inputs, 'inputs') : undefined,
    outputs: outputs ? parseSchema(outputs, 'outputs') : undefined,
    params: params ? parseParams(params) : undefined,
  };
}

/** The JSON strings MLflow keeps in an MLmodel for a signature written in MLflow's JSON shape. */
export function signatureJson(signature: { inputs: unknown[]; outputs?: unknown[]; params?: unknown[] }): NonNullable<Mlmodel['signature']> {
  const inputs = JSON.stringify(signature.inputs);
  parseSchema(inputs, 'inputs');
  const outputs = signature.outputs ? JSON.stringify(signature.outputs) : null;
  if (outputs) parseSchema(outputs, 'outputs');
  const params = signature.params ? JSON.stringify(signature.params) : null;
  if (params) parseParams(params);
  return { inputs, outputs, params };
}

/** Whether a column type is one of MLflow's scalar types. */
export function isScalarColumnType(type: string): type is ColumnType {
  return (COLUMN_TYPES as readonly string[]).includes(type);
}
