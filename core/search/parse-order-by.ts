/**
 * order_by entries: `<field> [ASC|DESC]`, keyword in any case, keys quoted as in filters
 * (metrics.`my metric` DESC). Fields are checked against the searched thing by the compiler.
 */
import { invalid } from '#core/api/errors.ts';
import { describeToken, orderBySource } from './tokenize.ts';
import { ENTITY_PREFIXES, Parser, type EntityKind, type Field } from './parse-filter.ts';

export interface OrderKey {
  field: Field;
  ascending: boolean;
  /** The entry as written, for messages. */
  text: string;
}

/**
 * The most order_by entries one search takes; each adds a join and two sort columns, and the seek
 * condition of a page token nests once per column.
 */
export const MAX_ORDER_KEYS = 20;

/** Parses order_by entries (syntax only; duplicates and unknown fields are the compiler's to find). */
export function parseOrderBy(entries: readonly string[] | undefined, prefixes: Readonly<Record<string, EntityKind>> = ENTITY_PREFIXES): OrderKey[] {
  if (!entries) return [];
  if (entries.length > MAX_ORDER_KEYS) {
    throw invalid(`Invalid order_by: it takes at most ${MAX_ORDER_KEYS} entries, found ${entries.length}`);
  }
  return entries.map((text) => {
    const parser = new Parser(orderBySource(text), prefixes);
    const field = parser.field();
    const token = parser.next();
    let ascending = true;
    if (parser.isKeyword(token, 'DESC')) ascending = false;
    else if (!parser.isKeyword(token, 'ASC') && token.kind !== 'end') {
      parser.fail(token, `expected ASC, DESC or the end after '${field.text}', found ${describeToken(token)}`);
    }
    if (token.kind !== 'end') {
      const extra = parser.next();
      if (extra.kind !== 'end') parser.fail(extra, `expected the end after '${token.text}', found ${describeToken(extra)}`);
    }
    return { field, ascending, text };
  });
}
