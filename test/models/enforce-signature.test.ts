import { describe, expect, it } from 'vitest';
import { FlowdeskError } from '#core/api/errors.ts';
import type { ModelSchema } from '#core/api/models-entities.ts';
import { enforceInput, enforceParams } from '#core/models/enforce-signature.ts';
import { parseCsv, parseScoringCsv, parseScoringJson } from '#core/models/scoring-input.ts';

const columns: ModelSchema = {
  kind: 'columns',
  columns: [
    { name: 'n', type: 'long', required: true },
    { name: 'i', type: 'integer', required: true },
    { name: 'ok', type: 'boolean', required: true },
    { name: 'note', type: 'string', required: false },
    { name: 'when', type: 'datetime', required: true },
  ],
};

function errorOf(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (err) {
    if (err instanceof FlowdeskError) return { code: err.code, message: err.message };
    throw err;
  }
  throw new Error('expected a failure');
}

describe('scoring input', () => {
  it('parses CSV with quoted fields, doubled quotes, newlines in quotes and CRLF', () => {
    expect(parseCsv('a,b\r\n"x, y","say ""hi"""\n"two\nlines",3\n')).toEqual([
      ['a', 'b'],
      ['x, y', 'say "hi"'],
      ['two\nlines', '3'],
    ]);
    expect(errorOf(() => parseCsv('a\n"open'))).toEqual({ code: 'BAD_REQUEST', message: 'The CSV body ends inside a quoted field' });
    expect(errorOf(() => parseScoringCsv(''))).toMatchObject({ message: expect.stringContaining('The CSV body is empty') });
    expect(errorOf(() => parseScoringCsv('a,b\n1\n'))).toMatchObject({ message: 'CSV row 1 has 1 values but the header names 2 columns' });
  });

  it('reads dataframe_split without columns as numbered columns', () => {
    expect(parseScoringJson({ dataframe_split: { data: [[1, 2]] } }).input).toEqual({ kind: 'frame', columns: ['0', '1'], rows: [[1, 2]], fromCsv: false });
  });

  it('refuses instances whose rows name different keys, and params that are not an object', () => {
    expect(errorOf(() => parseScoringJson({ instances: [{ a: 1 }, { b: 2 }] })).message).toContain('instances[1] has keys ["b"]');
    expect(errorOf(() => parseScoringJson({ inputs: [1], params: [1] }))).toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
  });
});

describe('signature enforcement', () => {
  const row = { n: 9007199254740991, i: -5, ok: true, when: '2024-05-01T00:00:00Z' };

  it('types integers, longs, booleans, datetimes and optional strings', () => {
    const feed = enforceInput(parseScoringJson({ dataframe_records: [row, { ...row, note: 'x' }] }), columns);
    expect(feed).toEqual({
      kind: 'columns',
      rows: 2,
      columns: [
        { name: 'n', type: 'long', values: [9007199254740991, 9007199254740991] },
        { name: 'i', type: 'integer', values: [-5, -5] },
        { name: 'ok', type: 'boolean', values: [true, true] },
        { name: 'note', type: 'string', values: [null, 'x'] },
        { name: 'when', type: 'datetime', values: [row.when, row.when] },
      ],
    });
  });

  it('reads CSV cells as the column types ask', () => {
    const feed = enforceInput(parseScoringCsv('n,i,ok,note,when\n12,-3,False,,2024-01-02\n'), columns);
    expect(feed.kind === 'columns' && feed.columns.map((c) => c.values[0])).toEqual([12, -3, false, null, '2024-01-02']);
  });

  it('names the column, the type and the value that does not fit', () => {
    expect(errorOf(() => enforceInput(parseScoringJson({ dataframe_records: [{ ...row, i: 1.5 }] }), columns)).message).toBe("Column 'i' expects type integer, but row 0 holds 1.5");
    expect(errorOf(() => enforceInput(parseScoringJson({ dataframe_records: [{ ...row, i: 2 ** 31 }] }), columns)).message).toBe("Column 'i' expects type integer, but row 0 holds 2147483648");
    expect(errorOf(() => enforceInput(parseScoringJson({ dataframe_records: [{ ...row, ok: 'yes' }] }), columns)).message).toBe('Column \'ok\' expects type boolean, but row 0 holds "yes"');
    expect(errorOf(() => enforceInput(parseScoringJson({ dataframe_records: [{ ...row, when: 'soon' }] }), columns)).message).toBe('Column \'when\' expects type datetime, but row 0 holds "soon"');
    expect(errorOf(() => enforceInput(parseScoringJson({ dataframe_records: [{ ...row, n: null }] }), columns)).message).toBe("Column 'n' expects type long, but row 0 holds null");
  });

  it('lists every missing column with its type and what the input has', () => {
    expect(errorOf(() => enforceInput(parseScoringJson({ dataframe_records: [{ n: 1, note: 'x' }] }), columns)).message).toBe(
      "The input is missing columns 'i' (integer), 'ok' (boolean), 'when' (datetime) that the model's signature requires; it has 'n', 'note'",
    );
  });

  it('checks every tensor of a multi-input signature by name', () => {
    const schema: ModelSchema = { kind: 'tensors', tensors: [{ name: 'ids', dtype: 'int64', shape: [-1, 2] }, { name: 'mask', dtype: 'bool', shape: [-1, 2] }] };
    const feed = enforceInput(parseScoringJson({ inputs: { ids: [[1, 2]], mask: [[true, false]] } }), schema);
    expect(feed).toEqual({ kind: 'tensors', tensors: [{ name: 'ids', dtype: 'int64', shape: [1, 2], values: [1, 2] }, { name: 'mask', dtype: 'bool', shape: [1, 2], values: [true, false] }] });
    expect(errorOf(() => enforceInput(parseScoringJson({ inputs: [[1, 2]] }), schema)).message).toContain("The model takes 2 input tensors ('ids', 'mask')");
    expect(errorOf(() => enforceInput(parseScoringJson({ inputs: { ids: [[1.5, 2]], mask: [[true, false]] } }), schema)).message).toBe("Input tensor 'ids' expects int64 values, but it holds 1.5");
  });

  it('fills param defaults and checks list params', () => {
    const specs = [{ name: 'k', type: 'long', default: 3, shape: null }, { name: 'tags', type: 'string', default: [], shape: [-1] }];
    expect(enforceParams({ tags: ['a'] }, specs)).toEqual({ k: 3, tags: ['a'] });
    expect(errorOf(() => enforceParams({ tags: 'a' }, specs)).message).toBe('Param \'tags\' expects a list of string, but it is "a"');
    expect(errorOf(() => enforceParams({ k: 1 }, undefined)).message).toBe("params were sent, but the model's signature declares no params");
  });
});
