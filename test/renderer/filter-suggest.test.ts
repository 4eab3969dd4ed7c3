import { describe, expect, it } from 'vitest';
import { applySuggestion, fieldKey, suggest } from '../../renderer/src/lib/filter-suggest.ts';

const keys = { params: ['lr', 'model', 'batch size'], metrics: ['loss', 'val_loss', 'acc'], tags: ['team', 'mlflow.runName'] };

describe('filter key suggestions', () => {
  it('offers the entity prefixes and attributes for a bare word', () => {
    expect(suggest('me', 2, keys).items.map((i) => i.label)).toEqual(['metrics.']);
    expect(suggest('st', 2, keys).items.map((i) => i.label)).toEqual(['status', 'start_time']);
  });

  it('offers the keys of the entity typed, those starting with the text first', () => {
    const s = suggest("params.model = 'rf' and metrics.lo", 34, keys);
    expect(s.items.map((i) => i.label)).toEqual(['loss', 'val_loss']);
    expect(s.from).toBe(24);
    expect(suggest('metrics.', 8, keys).items.map((i) => i.label)).toEqual(['loss', 'val_loss', 'acc']);
    expect(suggest('tags.mlf', 8, keys).items.map((i) => i.insert)).toEqual(['tags.mlflow.runName']);
  });

  it('quotes keys the language cannot read bare', () => {
    expect(fieldKey('batch size')).toBe('`batch size`');
    expect(fieldKey('a`b')).toBe('`a``b`');
    expect(suggest('params.ba', 9, keys).items[0]!.insert).toBe('params.`batch size`');
  });

  it('suggests nothing inside a quoted value, in a number, or after an unknown entity', () => {
    expect(suggest("params.model = 'met", 19, keys).items).toEqual([]);
    expect(suggest('metrics.loss < 0.1', 18, keys).items).toEqual([]);
    expect(suggest('nope.x', 6, keys).items).toEqual([]);
  });

  it('replaces the word being typed and puts the caret after it', () => {
    const text = "metrics.lo < 1 and params.model = 'x'";
    const s = suggest(text, 10, keys);
    expect(applySuggestion(text, s, s.items[0]!)).toEqual({ text: "metrics.loss < 1 and params.model = 'x'", caret: 12 });
    const prefix = suggest('par', 3, keys);
    expect(applySuggestion('par', prefix, prefix.items[0]!)).toEqual({ text: 'params.', caret: 7 });
    const end = suggest('metrics.ac', 10, keys);
    expect(applySuggestion('metrics.ac', end, end.items[0]!)).toEqual({ text: 'metrics.acc ', caret: 12 });
  });
});
