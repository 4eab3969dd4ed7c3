/** The streaming reader of a JSON array field, fed in chunks of every size. */
import { describe, expect, it } from 'vitest';
import { jsonArrayItems, type StreamTail } from '#core/import/mlflow-server/json-array-stream.ts';

async function* chunks(text: string, size: number): AsyncGenerator<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  for (let i = 0; i < bytes.length; i += size) yield bytes.slice(i, i + size);
}

async function read(text: string, size: number) {
  const tail: StreamTail = { text: '' };
  const items = [];
  for await (const item of jsonArrayItems(chunks(text, size), 'metrics', tail)) items.push(item);
  return { items, tail: tail.text };
}

describe('jsonArrayItems', () => {
  const body =
    '{"metrics": [{"key": "a}{[", "value": "NaN", "timestamp": 1, "step": 0}, {"key": "é\\"", "value": NaN, "timestamp": 2, "step": 1},' +
    '{"key":"x","value":-Infinity,"timestamp":3,"step":2,"nested":{"l":[1,2]}}], "next_page_token": "tok\\"en"}';

  it('yields every element whatever the chunk boundaries, bare NaN and Infinity read as MLflow spells them', async () => {
    for (const size of [1, 2, 3, 7, 64, 10_000]) {
      const { items, tail } = await read(body, size);
      expect(items).toEqual([
        { key: 'a}{[', value: 'NaN', timestamp: 1, step: 0 },
        { key: 'é"', value: 'NaN', timestamp: 2, step: 1 },
        { key: 'x', value: '-Infinity', timestamp: 3, step: 2, nested: { l: [1, 2] } },
      ]);
      expect(JSON.parse(`{"t":${/"next_page_token"\s*:\s*("(?:[^"\\]|\\.)*")/.exec(tail)![1]}}`)).toEqual({ t: 'tok"en' });
    }
  });

  it('yields nothing for an answer without the field', async () => {
    expect(await read('{}', 1)).toEqual({ items: [], tail: '{}' });
    expect(await read('{"metrics": []}', 3)).toEqual({ items: [], tail: '{}' });
  });
});
