import { describe, expect, it } from 'vitest';
import type { ModelSummary } from '#core/api/models-entities.ts';
import { complexTypeText, curlExample, paramRows, schemaRows, scoringBody, shapeText, summaryLine } from '../../renderer/src/lib/model-summary.ts';

const base: ModelSummary = { uri: 'runs:/r/model', artifactUri: 'mlflow-artifacts:/1/r/artifacts/model', flavors: [], sizeBytes: 10, serving: { kind: 'onnx', reason: '' } };

describe('model summary helpers', () => {
  it('shows shapes as numpy does, with any for -1', () => {
    expect(shapeText([-1, 3])).toBe('(any, 3)');
    expect(shapeText([5])).toBe('(5,)');
    expect(shapeText(null)).toBe('scalar');
  });

  it('lays out columns, tensors and params as table rows', () => {
    expect(schemaRows({ kind: 'columns', columns: [{ name: 'age', type: 'double', required: true }, { type: 'array', detail: '{"type":"array","items":{"type":"long"}}', required: false }] })).toEqual([
      { name: 'age', type: 'double', note: '' },
      { name: '#1', type: 'array<long>', note: 'optional' },
    ]);
    expect(schemaRows({ kind: 'tensors', tensors: [{ name: 'x', dtype: 'float32', shape: [-1, 3] }] })).toEqual([{ name: 'x', type: 'float32', note: '(any, 3)' }]);
    expect(paramRows([{ name: 'k', type: 'long', default: 3, shape: null }, { name: 'tags', type: 'string', default: ['a'], shape: [-1] }])).toEqual([
      { name: 'k', type: 'long', note: '3' },
      { name: 'tags', type: 'string[]', note: '["a"]' },
    ]);
  });

  it("writes MLflow's array, object and map types in short", () => {
    expect(complexTypeText('{"type":"array","items":{"type":"array","items":{"type":"double"}}}')).toBe('array<array<double>>');
    expect(complexTypeText('{"type":"object","properties":{"a":{"type":"long"},"b":{"type":"string"}}}')).toBe('object{a, b}');
    expect(complexTypeText('{"type":"map","values":{"type":"double"}}')).toBe('map<double>');
  });

  it('builds the scoring body from the saved input example in the format its type calls for', () => {
    expect(scoringBody({ ...base, inputExample: { path: 'input_example.json', type: 'dataframe', text: '{"columns":["a"],"data":[[1]]}', truncated: false } })).toBe('{"dataframe_split":{"columns":["a"],"data":[[1]]}}');
    expect(scoringBody({ ...base, inputExample: { path: 'input_example.json', type: 'ndarray', text: '{"inputs":[[1,2,3]]}', truncated: false } })).toBe('{"inputs":[[1,2,3]]}');
    expect(scoringBody({ ...base, inputExample: { path: 'input_example.json', text: '[1, 2]', truncated: false } })).toBe('{"inputs":[1,2]}');
  });

  it('falls back to a body shaped by the signature when the example cannot be used', () => {
    const columns: ModelSummary = { ...base, signature: { inputs: { kind: 'columns', columns: [{ name: 'a', type: 'double', required: true }, { name: 's', type: 'string', required: true }] } } };
    expect(scoringBody({ ...columns, inputExample: { path: 'x.json', text: '{"col', truncated: true } })).toBe('{"dataframe_records":[{"a":0,"s":"text"}]}');
    expect(scoringBody({ ...base, signature: { inputs: { kind: 'tensors', tensors: [{ name: 'x', dtype: 'float32', shape: [-1, 2] }] } } })).toBe('{"inputs":[[0,0]]}');
    expect(scoringBody(base)).toBe('{"inputs":[[0]]}');
  });

  it('quotes the body for a POSIX shell', () => {
    const withQuote: ModelSummary = { ...base, inputExample: { path: 'e.json', type: 'dataframe', text: `{"columns":["s"],"data":[["it's"]]}`, truncated: false } };
    expect(curlExample('http://127.0.0.1:5001', withQuote)).toBe(
      `curl -X POST http://127.0.0.1:5001/invocations -H 'Content-Type: application/json' -d '{"dataframe_split":{"columns":["s"],"data":[["it'\\''s"]]}}'`,
    );
  });

  it('sums a model up in one line for a registry card: flavors, inputs and outputs', () => {
    const tensors: ModelSummary = {
      ...base,
      flavors: [{ name: 'onnx', fields: {} }, { name: 'python_function', fields: {} }],
      signature: { inputs: { kind: 'tensors', tensors: [{ name: 'x', dtype: 'float32', shape: [-1, 3] }] }, outputs: { kind: 'tensors', tensors: [{ name: 'y', dtype: 'float32', shape: [-1, 1] }] } },
    };
    expect(summaryLine(tensors)).toBe('onnx, python_function · x: float32(any, 3) → y: float32(any, 1)');
    const columns: ModelSummary = { ...base, flavors: [{ name: 'sklearn', fields: {} }], signature: { inputs: { kind: 'columns', columns: [{ name: 'age', type: 'double', required: true }] } } };
    expect(summaryLine(columns)).toBe('sklearn · age: double');
    expect(summaryLine(base)).toBe('no flavor · no signature');
  });
});
