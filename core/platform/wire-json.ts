/**
 * JSON for the wire, both ways. JSON has no NaN or Infinity: MLflow sends them as the strings
 * "NaN", "Infinity" and "-Infinity", and so do we (JSON.stringify alone would write null); a -0 is
 * written as -0.0, which MLflow's clients read back as -0.0. Python's `json.dumps` writes bare
 * NaN/Infinity tokens, which the parser here reads as numbers, while refusing what `JSON.parse`
 * would accept silently (duplicate keys, lone surrogates, deep nesting, prototype poisoning).
 */
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

/**
 * One pass over a JSON text, before it is parsed, for what `JSON.parse` would accept silently or
 * refuse wrongly: nesting deeper than `JSON_MAX_DEPTH`, a key given twice in one object (the
 * parser keeps the last, so two readers could see different requests), escapes that make a lone
 * UTF-16 surrogate (no Unicode text; stored, it turns into U+FFFD), and the bare tokens NaN,
 * Infinity and -Infinity (returned, for the parser to accept). Malformed text is left to the parser.
 */
function scanJson(text: string): NonFiniteToken[] {
  const nonFinite: NonFiniteToken[] = [];
  // One entry per open container: the keys seen so far in an object, null for an array.
  const open: (Set<string> | null)[] = [];
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34) {
      const start = i;
      let escaped = false;
      for (i++; i < text.length && text.charCodeAt(i) !== 34; i++) {
        if (text.charCodeAt(i) === 92) {
          escaped = true;
          i++;
        }
      }
      const decoded = escaped ? decodeJsonString(text.slice(start, i + 1)) : text.slice(start + 1, i);
      if (escaped && decoded !== undefined && /\p{Cs}/u.test(decoded)) {
        throw new FlowdeskError('BAD_REQUEST', `Malformed JSON body: the string at position ${start} holds an unpaired surrogate escape, which is not Unicode text`);
      }
      const keys = open.at(-1);
      if (expectKey && keys && decoded !== undefined) {
        if (keys.has(decoded)) throw new FlowdeskError('BAD_REQUEST', `Malformed JSON body: the key '${decoded.slice(0, 100)}' appears twice in one object`);
        keys.add(decoded);
      }
      expectKey = false;
    } else if (c === 123 || c === 91) {
      open.push(c === 123 ? new Set() : null);
      if (open.length > JSON_MAX_DEPTH) throw new FlowdeskError('INVALID_PARAMETER_VALUE', `JSON body nests deeper than ${JSON_MAX_DEPTH} levels`);
      expectKey = c === 123;
    } else if (c === 125 || c === 93) {
      open.pop();
      expectKey = false;
    } else if (c === 44) {
      expectKey = open.at(-1) instanceof Set;
    } else if (c === 78 || c === 73 || c === 45) {
      const found = NON_FINITE_TOKENS.find(([token]) => text.startsWith(token, i));
      if (found) {
        nonFinite.push({ start: i, end: i + found[0].length, value: found[1] });
        i += found[0].length - 1;
      }
    }
  }
  return nonFinite;
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
  const nonFinite = scanJson(text);
  if (nonFinite.length === 0) return secureJson.parse(text, undefined, SECURE_PARSE);
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

/**
 * Parses a JSON body: strict UTF-8 (a body that is not is refused, never patched with U+FFFD),
 * bounded depth, no duplicate keys or lone surrogates, no prototype poisoning, Python's bare
 * NaN/Infinity tokens read as numbers, and double-encoded bodies of old clients unwrapped.
 */
export function parseJsonBody(body: string | Uint8Array): unknown {
  let text: string;
  try {
    text = typeof body === 'string' ? body : new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(body);
  } catch {
    throw new FlowdeskError('BAD_REQUEST', 'Malformed JSON body: it is not valid UTF-8');
  }
  if (text.trim() === '') return {};
  try {
    const value = parseJsonText(text);
    return typeof value === 'string' ? parseJsonText(value) : value;
  } catch (err) {
    if (err instanceof FlowdeskError) throw err;
    throw new FlowdeskError('BAD_REQUEST', `Malformed JSON body: ${(err as Error).message}`);
  }
}
