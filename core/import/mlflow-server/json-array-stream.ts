/**
 * Reads the elements of one array field of a JSON response as they arrive, so a metric history
 * that an MLflow 2.x server sends whole (its get-history does not page) never sits in memory at
 * once: only the element being read and the current chunk do. Everything outside the array (a
 * `next_page_token`) is kept as text for the caller.
 */

/** What was outside the array once the stream ended. */
export interface StreamTail {
  text: string;
}

/**
 * Parses one JSON value, accepting the bare `NaN`, `Infinity` and `-Infinity` some servers write
 * for metric values (Python's json.dumps does) as the strings MLflow's own JSON uses.
 */
export function parseLooseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    const fixed = text.replace(/(:\s*)(-?Infinity|NaN)(\s*[,}\]])/g, '$1"$2"$3');
    if (fixed === text) throw err;
    return JSON.parse(fixed);
  }
}

/**
 * Yields each element (an object or array) of the array at `"<key>": [` in a JSON object streamed
 * as bytes. When the object has no such field, yields nothing. The text before and after the array goes to `tail`.
 */
export async function* jsonArrayItems(body: AsyncIterable<Uint8Array>, key: string, tail: StreamTail): AsyncGenerator<unknown> {
  const decoder = new TextDecoder();
  const opening = new RegExp(`"${key}"\\s*:\\s*\\[`);
  let state: 'seek' | 'items' | 'after' = 'seek';
  let buf = '';
  let pos = 0;
  let depth = 0;
  let start = 0;
  let inString = false;
  let escaped = false;
  for await (const chunk of body) {
    buf += decoder.decode(chunk, { stream: true });
    if (state === 'seek') {
      const m = opening.exec(buf);
      if (!m) continue;
      tail.text += buf.slice(0, m.index);
      buf = buf.slice(m.index + m[0].length);
      pos = 0;
      state = 'items';
    }
    if (state === 'after') {
      tail.text += buf;
      buf = '';
      continue;
    }
    for (; pos < buf.length; pos++) {
      const ch = buf[pos];
      if (inString) {
        if (escaped) escaped = false;
        else if (ch === '\\') escaped = true;
        else if (ch === '"') inString = false;
        continue;
      }
      if (ch === '"') {
        inString = true;
      } else if (ch === '{' || ch === '[') {
        if (depth === 0) start = pos;
        depth++;
      } else if (ch === '}' || ch === ']') {
        if (depth === 0) {
          // The array's own closing bracket.
          state = 'after';
          tail.text += buf.slice(pos + 1);
          break;
        }
        depth--;
        if (depth === 0) yield parseLooseJson(buf.slice(start, pos + 1));
      }
    }
    if (state === 'after') {
      buf = '';
      pos = 0;
    } else if (depth > 0) {
      // Keep only the element being read.
      buf = buf.slice(start);
      pos -= start;
      start = 0;
    } else {
      buf = '';
      pos = 0;
    }
  }
  buf += decoder.decode();
  if (state === 'seek') tail.text += buf;
}
