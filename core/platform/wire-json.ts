/**
 * JSON for the wire, both ways. JSON has no NaN or Infinity: MLflow sends them as the strings
 * "NaN", "Infinity" and "-Infinity", and so do we (JSON.stringify alone would write null); a -0 is
 * written as -0.0, which MLflow's clients read back as -0.0. Python's `json.dumps` writes bare
 * NaN/Infinity tokens, which the parser here reads as numbers, while refusing what `JSON.parse`
 * would accept silently (duplicate keys, lone surrogates, deep nesting, prototype poisoning).
 */
import { isAscii } from 'node:buffer';
import { randomBytes } from 'node:crypto';
import secureJson from 'secure-json-parse';
import { FlowdeskError } from '#core/api/errors.ts';
import { toWireJson } from '#core/api/http-transport.ts';

/** Serialises a response body; the same encoding as the contract's HTTP transport. */
export function jsonStringify(value: unknown): string {
  return toWireJson(value);
}

/** Deepest JSON nesting accepted; no request of the API nests more than a few levels. */
export const JSON_MAX_DEPTH = 32;

/** Python's `json.dumps` writes these bare tokens for non-finite floats; MLflow's server reads them. */
const NON_FINITE_TOKENS: [string, number][] = [
  ['-Infinity', Number.NEGATIVE_INFINITY],
  ['Infinity', Number.POSITIVE_INFINITY],
  ['NaN', Number.NaN],
];

/** Where a JSON text holds bare non-finite tokens, found outside strings. */
interface NonFiniteToken {
  start: number;
  end: number;
  value: number;
}

/** What one scan of a JSON text found for the parser. */
interface ScanResult {
  nonFinite: NonFiniteToken[];
  /** A key `__proto__` or `constructor` appears: only then is the prototype-poisoning parser needed. */
  poisonKeys: boolean;
}

/** Keys an object may hold before its duplicate check moves from a list to a set. */
const SMALL_OBJECT_KEYS = 16;

/**
 * The keys seen so far in each open object, one slot per depth and reused for every object at
 * that depth (objects at one depth never overlap), so a 1,000-point body allocates no set per
 * point. A short list is searched; past SMALL_OBJECT_KEYS the keys move to a set, so an object
 * of a million keys costs linear time, not quadratic.
 */
class KeysByDepth {
  private readonly lists: string[][] = [];
  private readonly sets: (Set<string> | undefined)[] = [];
  private readonly large: boolean[] = [];

  /** Starts a fresh, empty object at `depth`. */
  open(depth: number): void {
    (this.lists[depth] ??= []).length = 0;
    if (this.large[depth]) this.sets[depth]!.clear();
    this.large[depth] = false;
  }

  /** Records `key` in the object at `depth`; false when it is already there. */
  add(depth: number, key: string): boolean {
    if (this.large[depth]) {
      const set = this.sets[depth]!;
      if (set.has(key)) return false;
      set.add(key);
      return true;
    }
    const list = this.lists[depth]!;
    if (list.includes(key)) return false;
    list.push(key);
    if (list.length > SMALL_OBJECT_KEYS) {
      const set = (this.sets[depth] ??= new Set());
      for (const k of list) set.add(k);
      this.large[depth] = true;
    }
    return true;
  }
}

/**
 * One pass over a JSON text, before it is parsed, for what `JSON.parse` would accept silently or
 * refuse wrongly: nesting deeper than `JSON_MAX_DEPTH`, a key given twice in one object (the
 * parser keeps the last, so two readers could see different requests), escapes that make a lone
 * UTF-16 surrogate (no Unicode text; stored, it turns into U+FFFD), and the bare tokens NaN,
 * Infinity and -Infinity (returned, for the parser to accept). It also notes whether any key is
 * `__proto__` or `constructor`, so that the slower poisoning-safe parse runs only then. Only keys
 * and escaped strings are cut out of the text; malformed text is left to the parser.
 */
function scanJson(text: string): ScanResult {
  const nonFinite: NonFiniteToken[] = [];
  let poisonKeys = false;
  // Per open container: true for an object, false for an array.
  const isObject: boolean[] = [];
  const keys = new KeysByDepth();
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34) {
      const start = i;
      let escaped = false;
      for (i++; i < text.length; i++) {
        const d = text.charCodeAt(i);
        if (d === 34) break;
        if (d === 92) {
          escaped = true;
          i++;
        }
      }
      if (!escaped && !expectKey) continue;
      const decoded = escaped ? decodeJsonString(text.slice(start, i + 1)) : text.slice(start + 1, i);
      if (escaped && decoded !== undefined && /\p{Cs}/u.test(decoded)) {
        throw new FlowdeskError('BAD_REQUEST', `Malformed JSON body: the string at position ${start} holds an unpaired surrogate escape, which is not Unicode text`);
      }
      if (expectKey && decoded !== undefined) {
        if (!keys.add(isObject.length, decoded)) throw new FlowdeskError('BAD_REQUEST', `Malformed JSON body: the key '${decoded.slice(0, 100)}' appears twice in one object`);
        if (decoded === '__proto__' || decoded === 'constructor') poisonKeys = true;
      }
      expectKey = false;
    } else if (c === 123 || c === 91) {
      isObject.push(c === 123);
      if (isObject.length > JSON_MAX_DEPTH) throw new FlowdeskError('INVALID_PARAMETER_VALUE', `JSON body nests deeper than ${JSON_MAX_DEPTH} levels`);
      if (c === 123) keys.open(isObject.length);
      expectKey = c === 123;
    } else if (c === 125 || c === 93) {
      isObject.pop();
      expectKey = false;
    } else if (c === 44) {
      expectKey = isObject.at(-1) === true;
    } else if (c === 78 || c === 73 || (c === 45 && text.charCodeAt(i + 1) === 73)) {
      const found = NON_FINITE_TOKENS.find(([token]) => text.startsWith(token, i));
      if (found) {
        nonFinite.push({ start: i, end: i + found[0].length, value: found[1] });
        i += found[0].length - 1;
      }
    }
  }
  return { nonFinite, poisonKeys };
}

/** A JSON string literal (quotes included) decoded, or undefined when malformed (the parser then says why). */
function decodeJsonString(literal: string): string | undefined {
  try {
    return JSON.parse(literal) as string;
  } catch {
    return undefined;
  }
}

const SECURE_PARSE = { protoAction: 'remove', constructorAction: 'remove' } as const;

/** Parses one JSON text after `scanJson`; bare non-finite tokens become numbers. */
function parseJsonText(text: string): unknown {
  const { nonFinite, poisonKeys } = scanJson(text);
  // secure-json-parse searches the whole text again for those keys; the scan already knows. It
  // also drops a leading byte-order mark, which JSON.parse refuses.
  if (nonFinite.length === 0) return poisonKeys || text.charCodeAt(0) === 0xfeff ? secureJson.parse(text, undefined, SECURE_PARSE) : JSON.parse(text);
  // Each token is swapped for a string no client can have sent (it holds a fresh random nonce),
  // then turned back into its number while parsing.
  const nonce = randomBytes(12).toString('hex');
  const values = new Map<string, number>();
  let swapped = '';
  let from = 0;
  nonFinite.forEach((token, n) => {
    const placeholder = `${nonce}:${n}`;
    values.set(placeholder, token.value);
    swapped += `${text.slice(from, token.start)}"${placeholder}"`;
    from = token.end;
  });
  swapped += text.slice(from);
  return secureJson.parse(swapped, (_key: string, value: unknown) => (typeof value === 'string' && values.has(value) ? values.get(value) : value), SECURE_PARSE);
}

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/** A body's text: ASCII (nearly every API body) is taken as is; anything else must be strict UTF-8. */
function bodyText(body: Uint8Array): string {
  // ASCII is valid UTF-8 holding no byte-order mark, and the native check and copy are far quicker than the decoder.
  if (isAscii(body)) return Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('latin1');
  try {
    return STRICT_UTF8.decode(body);
  } catch {
    throw new FlowdeskError('BAD_REQUEST', 'Malformed JSON body: it is not valid UTF-8');
  }
}

/**
 * Parses a JSON body: strict UTF-8 (a body that is not is refused, never patched with U+FFFD),
 * bounded depth, no duplicate keys or lone surrogates, no prototype poisoning, Python's bare
 * NaN/Infinity tokens read as numbers, and double-encoded bodies of old clients unwrapped.
 */
export function parseJsonBody(body: string | Uint8Array): unknown {
  const text = typeof body === 'string' ? body : bodyText(body);
  if (text.trim() === '') return {};
  try {
    const value = parseJsonText(text);
    return typeof value === 'string' ? parseJsonText(value) : value;
  } catch (err) {
    if (err instanceof FlowdeskError) throw err;
    throw new FlowdeskError('BAD_REQUEST', `Malformed JSON body: ${(err as Error).message}`);
  }
}
