/**
 * Pure helpers of the model summary: how a signature's specs read in a table, and the scoring
 * request (and curl command) that fits a model, built from its saved input example when it has one.
 */
import type { ModelSchema, ModelSummary, ParamSpec } from '#core/api/models-entities.ts';

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** One row of a signature table. */
export interface SpecRow {
  name: string;
  type: string;
  /** Shape for tensors, "optional" for optional columns (else empty), the default for params. */
  note: string;
}

/** A tensor shape as numpy prints it, -1 shown as "any". */
export function shapeText(shape: readonly number[] | null): string {
  if (!shape) return 'scalar';
  return `(${shape.map((d) => (d === -1 ? 'any' : String(d))).join(', ')}${shape.length === 1 ? ',' : ''})`;
}

/** MLflow's array, object and map types in short: `array<double>`, `object{a, b}`, `map<long>`. */
export function complexTypeText(detail: string): string {
  const short = (spec: unknown): string => {
    if (typeof spec === 'string') return spec;
    if (!isRecord(spec)) return 'any';
    if (spec.type === 'array') return `array<${short(spec.items)}>`;
    if (spec.type === 'map') return `map<${short(spec.values)}>`;
    if (spec.type === 'object' && Array.isArray(spec.properties)) return `object{${spec.properties.map((p) => (isRecord(p) ? String(p.name) : '?')).join(', ')}}`;
    if (spec.type === 'object' && isRecord(spec.properties)) return `object{${Object.keys(spec.properties).join(', ')}}`;
    return typeof spec.type === 'string' ? spec.type : 'any';
  };
  try {
    return short(JSON.parse(detail));
  } catch {
    return detail;
  }
}

/** The rows of a schema's table; unnamed specs are numbered as MLflow numbers them. */
export function schemaRows(schema: ModelSchema): SpecRow[] {
  if (schema.kind === 'tensors') return schema.tensors.map((t, i) => ({ name: t.name ?? `#${i}`, type: t.dtype, note: shapeText(t.shape) }));
  return schema.columns.map((c, i) => ({ name: c.name ?? `#${i}`, type: c.detail ? complexTypeText(c.detail) : c.type, note: c.required ? '' : 'optional' }));
}

export function paramRows(params: ParamSpec[]): SpecRow[] {
  return params.map((p) => ({ name: p.name, type: p.shape ? `${p.type}[]` : p.type, note: JSON.stringify(p.default) }));
}

/** One line for a card: the flavors, then the signature's inputs and outputs in short. */
export function summaryLine(summary: ModelSummary): string {
  const side = (schema: ModelSchema | undefined) =>
    schema === undefined ? undefined : schemaRows(schema).map((r) => (schema.kind === 'tensors' ? `${r.name}: ${r.type}${r.note}` : `${r.name}: ${r.type}`)).join(', ');
  const inputs = side(summary.signature?.inputs);
  const outputs = side(summary.signature?.outputs);
  const flavors = summary.flavors.map((f) => f.name).join(', ') || 'no flavor';
  if (inputs === undefined) return `${flavors} · no signature`;
  return `${flavors} · ${inputs}${outputs === undefined ? '' : ` → ${outputs}`}`;
}

/** A placeholder request body that fits the signature, for models without a usable example. */
function bodyFromSignature(summary: ModelSummary): unknown {
  const inputs = summary.signature?.inputs;
  if (inputs?.kind === 'columns') {
    const sample = (type: string) => (type === 'string' ? 'text' : type === 'boolean' ? true : type === 'datetime' ? '2024-01-01T00:00:00' : 0);
    return { dataframe_records: [Object.fromEntries(inputs.columns.map((c, i) => [c.name ?? String(i), sample(c.type)]))] };
  }
  if (inputs?.kind === 'tensors') {
    const zeros = (shape: number[]): unknown => (shape.length === 0 ? 0 : Array.from({ length: shape[0] === -1 ? 1 : shape[0]! }, () => zeros(shape.slice(1))));
    if (inputs.tensors.length === 1) return { inputs: zeros(inputs.tensors[0]!.shape) };
    return { inputs: Object.fromEntries(inputs.tensors.map((t, i) => [t.name ?? String(i), zeros(t.shape)])) };
  }
  return { inputs: [[0]] };
}

/**
 * A JSON body for POST /invocations: the saved input example in the scoring format its type
 * calls for (a split DataFrame, a tf-serving ndarray, a JSON object), else a placeholder.
 */
export function scoringBody(summary: ModelSummary): string {
  const example = summary.inputExample;
  if (example && !example.truncated) {
    try {
      const value: unknown = JSON.parse(example.text);
      if (example.type === 'dataframe' && isRecord(value)) return JSON.stringify({ dataframe_split: value });
      if (isRecord(value) && ['dataframe_split', 'dataframe_records', 'instances', 'inputs'].some((k) => k in value)) return JSON.stringify(value);
      if (Array.isArray(value)) return JSON.stringify({ inputs: value });
    } catch {
      // An example that is not JSON (a text or image example) falls back to the placeholder.
    }
  }
  return JSON.stringify(bodyFromSignature(summary));
}

/** A curl command that scores the model on a running server. */
export function curlExample(url: string, summary: ModelSummary): string {
  const body = scoringBody(summary).replace(/'/g, "'\\''");
  return `curl -X POST ${url}/invocations -H 'Content-Type: application/json' -d '${body}'`;
}
