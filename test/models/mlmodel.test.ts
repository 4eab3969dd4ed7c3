import { describe, expect, it } from 'vitest';
import { SKLEARN_MLMODEL } from './model-fixture.ts';
import { parseMlmodel, parseSchema, parseUtcTimeCreated, signatureOf, stringifyMlmodel, utcTimeCreated } from '#core/api/mlmodel.ts';

describe('MLmodel files', () => {
  it('reads flavors and the top-level fields MLflow writes', () => {
    const model = parseMlmodel(SKLEARN_MLMODEL);
    expect(Object.keys(model.flavors)).toEqual(['python_function', 'sklearn']);
    expect(model.flavors.python_function).toMatchObject({ loader_module: 'mlflow.sklearn', env: { virtualenv: 'python_env.yaml' } });
    expect(model).toMatchObject({ artifact_path: 'model', model_size_bytes: 1234, mlflow_version: '2.16.0', saved_input_example_info: { type: 'dataframe' } });
  });

  it('parses a column signature into typed columns, keeping complex types described', () => {
    const signature = signatureOf(parseMlmodel(SKLEARN_MLMODEL))!;
    expect(signature.inputs).toEqual({
      kind: 'columns',
      columns: [
        { name: 'age', type: 'double', detail: undefined, required: true },
        { name: 'visits', type: 'long', detail: undefined, required: true },
        { name: 'plan', type: 'string', detail: undefined, required: false },
        { name: 'active', type: 'boolean', detail: undefined, required: true },
        { name: 'joined', type: 'datetime', detail: undefined, required: true },
        { name: 'blob', type: 'binary', detail: undefined, required: true },
        { name: 'history', type: 'array', detail: '{"type":"array","items":{"type":"double"},"name":"history","required":true}', required: true },
      ],
    });
    expect(signature.outputs).toEqual({ kind: 'columns', columns: [{ name: undefined, type: 'long', detail: undefined, required: true }] });
    expect(signature.params).toEqual([
      { name: 'threshold', type: 'float', default: 0.5, shape: null },
      { name: 'classes', type: 'string', default: ['a'], shape: [-1] },
    ]);
  });

  it('parses tensor specs with dtype and shape, -1 for variable dimensions', () => {
    expect(parseSchema('[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 28, 28]}, "name": "image"}]')).toEqual({
      kind: 'tensors',
      tensors: [{ name: 'image', dtype: 'float32', shape: [-1, 28, 28] }],
    });
  });

  it('refuses malformed signatures with what is wrong', () => {
    expect(() => parseSchema('[{"type": "tensor", "tensor-spec": {"dtype": "float32"}}]')).toThrow(/a dtype and a shape/);
    expect(() => parseSchema('[{"type": "tensor", "tensor-spec": {"dtype": "complex256", "shape": [1]}}]')).toThrow(/unknown dtype 'complex256'/);
    expect(() => parseSchema('[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [1]}}, {"type": "double"}]')).toThrow(/mix tensor specs and column specs/);
    expect(() => parseSchema('{not json')).toThrow(/not valid JSON/);
    expect(() => parseSchema('{"type": "double"}')).toThrow(/not a JSON array/);
  });

  it('has no signature when MLflow wrote none', () => {
    expect(signatureOf(parseMlmodel('flavors:\n  sklearn: {}\n'))).toBeUndefined();
    expect(signatureOf(parseMlmodel("flavors:\n  sklearn: {}\nsignature:\n  inputs: null\n  outputs: 'null'\n"))).toBeUndefined();
  });

  it('refuses text that is not an MLmodel', () => {
    expect(() => parseMlmodel('flavors: [a, b')).toThrow(/not valid YAML/);
    expect(() => parseMlmodel('- a\n- b\n')).toThrow(/does not hold a YAML mapping/);
    expect(() => parseMlmodel('artifact_path: model\n')).toThrow(/no `flavors` mapping/);
  });

  it('refuses YAML alias bombs', () => {
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]', ...Array.from({ length: 8 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(10).fill(`*${String.fromCharCode(97 + i)}`).join(', ')}]`), 'flavors: {}'].join('\n');
    expect(() => parseMlmodel(bomb)).toThrow(/not valid YAML/);
  });

  it('writes what it reads, signature parts as JSON strings', () => {
    const model = parseMlmodel(SKLEARN_MLMODEL);
    const again = parseMlmodel(stringifyMlmodel(model));
    expect(again).toEqual(model);
    expect(typeof again.signature?.inputs).toBe('string');
  });

  it("reads and writes MLflow's utc_time_created", () => {
    expect(parseUtcTimeCreated('2024-05-01 12:34:56.789012')).toBe(Date.UTC(2024, 4, 1, 12, 34, 56, 789));
    expect(utcTimeCreated(Date.UTC(2024, 4, 1, 12, 34, 56, 789))).toBe('2024-05-01 12:34:56.789000');
    expect(parseUtcTimeCreated('yesterday')).toBeUndefined();
  });
});
