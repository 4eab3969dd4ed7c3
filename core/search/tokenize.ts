/**
 * The tokenizer shared by filter strings and order_by entries. Every token carries its 1-based
 * position in code points (what a person counts in the text they typed, emoji included), so each
 * error can point at the exact place that went wrong.
 */
import { invalid, type FlowdeskError } from '#core/api/errors.ts';

/** Token kinds; punctuation is its own kind. */
export type TokenKind = 'word' | 'string' | 'number' | 'op' | '(' | ')' | ',' | 'end';

/** The quote characters: single quotes make strings, backticks make keys, double quotes either. */
export type Quote = "'" | '"' | '`';

/** One lexical unit of a filter or order_by entry. */
export interface Token {
  kind: TokenKind;
  /** The token as written, for error messages. */
  text: string;
  /**
   * word: the identifier (for `prefix.<quoted key>` only the unescaped key); string: the
   * unescaped content; number: the digits; op: the operator, with `<>` normalised to `!=`.
   */
  value: string;
  /** For a string, the quote around it; for a word, the quote around its key, if any. */
  quote?: Quote;
  /** For a word written `prefix.<quoted key>`: the part before the dot. */
  prefix?: string;
  /** 1-based code-point position of the token's first character. */
  position: number;
}

/** What the text being tokenized is, so errors read "Invalid filter at ..." or "Invalid order_by ...". */
export interface Source {
  text: string;
  /** Builds the error for a position; the tokenizer and both parsers report through it. */
  error(position: number, message: string): FlowdeskError;
}

/** The error for a filter that is malformed or does not fit the searched thing at `position`. */
export function filterError(position: number, message: string): FlowdeskError {
  return invalid(`Invalid filter at position ${position}: ${message}`);
}

/** A filter string as an error source. */
export function filterSource(text: string): Source {
  return { text, error: filterError };
}

/** One order_by entry as an error source; the entry is quoted since a request carries several. */
export function orderBySource(text: string): Source {
  return {
    text,
    error: (position, message) => invalid(`Invalid order_by entry '${text}' at position ${position}: ${message}`),
  };
}

// Keys may hold the characters MLflow allows in keys (`/\w.- :`), except space, which needs quotes.
const WORD_START = /[\p{L}\p{M}_]/u;
const WORD_PART = /[\p{L}\p{M}\p{N}_.\-/:]/u;
const DIGIT = /[0-9]/;
const NUMBER = /^-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?/;
const SPACE = /\s/u;

/** Splits `source.text` into tokens, ending with one `end` token. */
export function tokenize(source: Source): Token[] {
  const { text } = source;
  // Code-point position of every UTF-16 offset, so astral characters count once.
  const positions = new Array<number>(text.length + 1);
  let cp = 1;
  for (let i = 0; i < text.length; i++) {
    positions[i] = cp;
    const code = text.charCodeAt(i);
    if (code < 0xd800 || code > 0xdbff) cp++;
  }
  positions[text.length] = cp;
  const at = (offset: number) => positions[offset]!;

  const tokens: Token[] = [];
  let i = 0;
  const push = (kind: TokenKind, start: number, value: string, extra: Partial<Token> = {}) =>
    tokens.push({ kind, text: text.slice(start, i), value, position: at(start), ...extra });

  while (i < text.length) {
    const ch = text[i]!;
    const start = i;
    if (SPACE.test(ch)) {
      i++;
    } else if (ch === '(' || ch === ')' || ch === ',') {
      i++;
      push(ch, start, ch);
    } else if (ch === "'" || ch === '"' || ch === '`') {
      const content = readQuoted(source, ch, i, at);
      i = content.end;
      push('string', start, content.value, { quote: ch });
    } else if (DIGIT.test(ch) || ((ch === '-' || ch === '.') && NUMBER.test(text.slice(i, i + 3)))) {
      const match = NUMBER.exec(text.slice(i))!;
      i += match[0].length;
      if (i < text.length && WORD_PART.test(text[i]!)) {
        let end = i;
        while (end < text.length && WORD_PART.test(text[end]!)) end++;
        throw source.error(at(start), `'${text.slice(start, end)}' is not a number; quote it if it is a string`);
      }
      push('number', start, match[0]);
    } else if (WORD_START.test(ch)) {
      while (i < text.length && WORD_PART.test(text[i]!)) i++;
      const word = text.slice(start, i);
      const next = text[i];
      if (word.endsWith('.') && (next === '`' || next === '"')) {
        // `tags.`mlflow.note`` and `params."my key"`: the quoted part is the whole key.
        const prefix = word.slice(0, -1);
        if (prefix.includes('.')) {
          throw source.error(at(i), `expected the quoted key right after the entity name, as in tags.\`a.b\`, found '${word}'`);
        }
        const content = readQuoted(source, next, i, at);
        i = content.end;
        push('word', start, content.value, { quote: next, prefix });
      } else {
        push('word', start, word);
      }
    } else {
      const two = text.slice(i, i + 2);
      if (two === '!=' || two === '<>' || two === '<=' || two === '>=') {
        i += 2;
        push('op', start, two === '<>' ? '!=' : two);
      } else if (ch === '=' || ch === '<' || ch === '>') {
        i++;
        push('op', start, ch);
      } else {
        const char = String.fromCodePoint(text.codePointAt(i)!);
        throw source.error(at(i), `unexpected character '${char}'; expected a key, an operator, a value, AND, OR, NOT or parentheses`);
      }
    }
  }
  tokens.push({ kind: 'end', text: '', value: '', position: at(text.length) });
  return tokens;
}

/**
 * Reads a quoted run starting at `open`. A doubled quote stands for itself in all three quotes;
 * in strings (' and ") a backslash escapes the quote or a backslash, as MLflow's SQL tokenizer
 * reads them, and any other backslash is kept as written (Windows paths, LIKE patterns).
 */
function readQuoted(source: Source, quote: Quote, open: number, at: (offset: number) => number): { value: string; end: number } {
  const { text } = source;
  let value = '';
  let i = open + 1;
  while (i < text.length) {
    const ch = text[i]!;
    if (ch === quote) {
      if (text[i + 1] === quote) {
        value += quote;
        i += 2;
        continue;
      }
      return { value, end: i + 1 };
    }
    if (ch === '\\' && quote !== '`' && (text[i + 1] === quote || text[i + 1] === '\\')) {
      value += text[i + 1];
      i += 2;
      continue;
    }
    value += ch;
    i++;
  }
  const what = quote === '`' ? 'key' : 'string';
  throw source.error(at(open), `unterminated ${what}: expected a closing ${quote} before the end`);
}

/** How a token is named in "found ..." parts of error messages. */
export function describeToken(token: Token): string {
  return token.kind === 'end' ? 'the end' : `'${token.text}'`;
}
