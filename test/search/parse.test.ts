/** The parser's trees and the order_by parser, independent of any database. */
import { describe, expect, it } from 'vitest';
import { parseFilter, type Comparison } from '#core/search/parse-filter.ts';
import { parseOrderBy } from '#core/search/parse-order-by.ts';

describe('parseFilter', () => {
  it('returns undefined for an empty or blank filter', () => {
    expect(parseFilter(undefined)).toBeUndefined();
    expect(parseFilter('')).toBeUndefined();
    expect(parseFilter(' \t\n')).toBeUndefined();
  });

  it('binds NOT tighter than AND, and AND tighter than OR', () => {
    const tree = parseFilter("a = 'x' OR b = 'y' AND NOT c = 'z'");
    expect(tree).toMatchObject({
      kind: 'or',
      items: [
        { kind: 'compare', field: { key: 'a' } },
        { kind: 'and', items: [{ kind: 'compare', field: { key: 'b' } }, { kind: 'not', item: { kind: 'compare', field: { key: 'c' } } }] },
      ],
    });
  });

  it('splits the entity at the first dot and keeps the rest of the key, dots included', () => {
    const tree = parseFilter("tags.mlflow.source.git.commit = 'abc'") as Comparison;
    expect(tree.field).toEqual({ entity: 'tag', key: 'mlflow.source.git.commit', text: 'tags.mlflow.source.git.commit', position: 1 });
  });

  it('reads quoted keys whole, with doubled quotes inside', () => {
    expect((parseFilter("params.`a``b c` = 'x'") as Comparison).field.key).toBe('a`b c');
    expect((parseFilter('params."a""b" = \'x\'') as Comparison).field.key).toBe('a"b');
  });

  it('reads numbers with signs, fractions and exponents', () => {
    const values = ['1', '-1', '1.5', '.5', '-.5', '1e3', '1E-3', '-2.5e+2', '1.'].map(
      (text) => (parseFilter(`metrics.x > ${text}`) as Comparison).values[0],
    );
    expect(values.map((v) => v?.value)).toEqual([1, -1, 1.5, 0.5, -0.5, 1000, 0.001, -250, 1]);
  });

  it('unescapes doubled quotes and backslash-escaped quotes, keeping other backslashes', () => {
    const value = (filter: string) => (parseFilter(filter) as Comparison).values[0]?.value;
    expect(value("x = 'it''s'")).toBe("it's");
    expect(value("x = 'it\\'s'")).toBe("it's");
    expect(value('x = "say ""hi"""')).toBe('say "hi"');
    expect(value("x = 'a\\\\b'")).toBe('a\\b');
    expect(value("x = 'C:\\new'")).toBe('C:\\new');
  });

  it('normalises operators and keyword case', () => {
    const ops = ["x <> 'a'", "x not like 'a'", "x Not ILike 'a'", "x not in ('a')", 'x is null', 'x IS not NULL'].map(
      (filter) => (parseFilter(filter) as Comparison).op,
    );
    expect(ops).toEqual(['!=', 'NOT LIKE', 'NOT ILIKE', 'NOT IN', 'IS NULL', 'IS NOT NULL']);
  });

  it('counts positions in characters, so an emoji before the error counts once', () => {
    expect(() => parseFilter("tags.a = '🚀🚀🚀' AND x y")).toThrow("Invalid filter at position 22: expected a comparison operator");
  });

  it('keeps keywords usable as keys after a prefix', () => {
    expect((parseFilter("tags.and = 'x' AND params.`or` = 'y'") as { items: Comparison[] }).items.map((c) => c.field.key)).toEqual(['and', 'or']);
  });
});

describe('parseOrderBy', () => {
  it('reads fields and directions in any case, ascending by default', () => {
    expect(parseOrderBy(['metrics.acc DESC', 'params.`my key` asc', 'start_time', '"Run name" desc']).map((k) => [k.field.entity, k.field.key, k.ascending])).toEqual([
      ['metric', 'acc', false],
      ['param', 'my key', true],
      ['attribute', 'start_time', true],
      ['attribute', 'Run name', false],
    ]);
  });

  it('returns no keys for no entries', () => {
    expect(parseOrderBy(undefined)).toEqual([]);
    expect(parseOrderBy([])).toEqual([]);
  });
});
