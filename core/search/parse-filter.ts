/**
 * The filter language of every search (runs, experiments, registered models, model versions):
 * MLflow's grammar (`clause AND clause ...`) as a strict subset, plus OR, NOT and parentheses.
 *
 *   filter     := or? END
 *   or         := and ( OR and )*
 *   and        := unary ( AND unary )*
 *   unary      := NOT unary | '(' or ')' | comparison
 *   comparison := field ( op value | [NOT] (LIKE | ILIKE) value | [NOT] IN '(' value (',' value)* ')'
 *                       | IS [NOT] NULL )
 *   field      := [entity '.'] key        -- everything after the first dot is the key
 *   op         := = | != | <> | < | <= | > | >=
 *   value      := 'string' | "string" | number
 *
 * Keywords take any case. The parser knows nothing of which entities or attributes exist: the
 * compiler checks the tree against the attribute map of the thing being searched.
 */
import { describeToken, filterSource, tokenize, type Source, type Token } from './tokenize.ts';

/**
 * What a field names: an attribute column, or a keyed value (metric, param, tag, dataset field;
 * a trace's metadata or one of its spans' fields).
 */
export type EntityKind = 'attribute' | 'metric' | 'param' | 'tag' | 'dataset' | 'metadata' | 'span';

/** Entity prefixes and their aliases, as MLflow accepts them in run, experiment and registry searches. */
export const ENTITY_PREFIXES: Readonly<Record<string, EntityKind>> = {
  attribute: 'attribute',
  attributes: 'attribute',
  attr: 'attribute',
  run: 'attribute',
  metric: 'metric',
  metrics: 'metric',
  param: 'param',
  params: 'param',
  parameter: 'param',
  parameters: 'param',
  tag: 'tag',
  tags: 'tag',
  dataset: 'dataset',
  datasets: 'dataset',
};

/** `[entity.]key` as resolved from the text: an attribute when there is no prefix. */
export interface Field {
  entity: EntityKind;
  key: string;
  /** The field as written, for messages. */
  text: string;
  position: number;
}

/** A quoted value, unescaped. */
export interface StringLiteral {
  kind: 'string';
  value: string;
  text: string;
  position: number;
}

/** A numeric value; `text` keeps the spelling for messages. */
export interface NumberLiteral {
  kind: 'number';
  value: number;
  text: string;
  position: number;
}

/** A value on the right of an operator. */
export type Literal = StringLiteral | NumberLiteral;

/** Operators after normalisation (`<>` is `!=`, keywords upper case, NOT folded in). */
export type ComparisonOp =
  | '='
  | '!='
  | '<'
  | '<='
  | '>'
  | '>='
  | 'LIKE'
  | 'NOT LIKE'
  | 'ILIKE'
  | 'NOT ILIKE'
  | 'IN'
  | 'NOT IN'
  | 'IS NULL'
  | 'IS NOT NULL';

/** `field op value(s)`: the leaves of the tree. */
export interface Comparison {
  kind: 'compare';
  field: Field;
  op: ComparisonOp;
  /** Position of the operator, for type errors that concern it. */
  opPosition: number;
  /** One value for binary operators, the list for IN / NOT IN, none for IS [NOT] NULL. */
  values: Literal[];
}

/** All items hold. */
export interface AndNode {
  kind: 'and';
  items: FilterNode[];
}

/** At least one item holds. */
export interface OrNode {
  kind: 'or';
  items: FilterNode[];
}

/** The item does not hold (the plain complement). */
export interface NotNode {
  kind: 'not';
  item: FilterNode;
}

/** The parsed filter. */
export type FilterNode = Comparison | AndNode | OrNode | NotNode;

/**
 * Bounds that keep a hostile or runaway filter from reaching the database's own limits (SQLite
 * refuses expressions deeper than 1000 and statements with more than 32766 parameters), where it
 * would fail as an internal error instead of a clear one.
 */
export const FILTER_LIMITS = { comparisons: 200, depth: 50, values: 10_000 } as const;

/**
 * Parses a filter string; an empty or all-blank filter is `undefined` (matches everything).
 * `prefixes` are the entity prefixes the searched thing knows (traces have their own).
 */
export function parseFilter(text: string | undefined, prefixes: Readonly<Record<string, EntityKind>> = ENTITY_PREFIXES): FilterNode | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  const parser = new Parser(filterSource(text), prefixes);
  const node = parser.parseOr(0);
  parser.expectEnd();
  return node;
}

const COMPARISON_OPS = new Set(['=', '!=', '<', '<=', '>', '>=']);

/** A recursive-descent parser over the token list; `Parser.field` is shared with order_by parsing. */
export class Parser {
  private readonly tokens: Token[];
  private index = 0;
  private comparisons = 0;
  private values = 0;

  constructor(
    readonly source: Source,
    private readonly prefixes: Readonly<Record<string, EntityKind>> = ENTITY_PREFIXES,
  ) {
    this.tokens = tokenize(source);
  }

  /** The next token, not consumed. */
  peek(): Token {
    return this.tokens[this.index]!;
  }

  /** Consumes and returns the next token; the end token is never consumed. */
  next(): Token {
    const token = this.tokens[this.index]!;
    if (token.kind !== 'end') this.index++;
    return token;
  }

  /** Whether `token` is the keyword: an unquoted word equal to it in any case. */
  isKeyword(token: Token, keyword: string): boolean {
    return token.kind === 'word' && token.quote === undefined && token.value.toUpperCase() === keyword;
  }

  /** Throws INVALID_PARAMETER_VALUE pointing at `token`. */
  fail(token: Token, message: string): never {
    throw this.source.error(token.position, message);
  }

  /** Requires that the whole text was consumed. */
  expectEnd(): void {
    const token = this.peek();
    if (token.kind !== 'end') {
      const hint = token.kind === ')' ? 'there is no ( to close' : 'expected AND, OR or the end of the filter';
      this.fail(token, `${hint}, found ${describeToken(token)}`);
    }
  }

  /** `and (OR and)*`; `depth` counts the NOTs and parentheses around it. */
  parseOr(depth: number): FilterNode {
    const items = [this.parseAnd(depth)];
    while (this.isKeyword(this.peek(), 'OR')) {
      this.next();
      items.push(this.parseAnd(depth));
    }
    return items.length === 1 ? items[0]! : { kind: 'or', items };
  }

  private parseAnd(depth: number): FilterNode {
    const items = [this.parseUnary(depth)];
    while (this.isKeyword(this.peek(), 'AND')) {
      this.next();
      items.push(this.parseUnary(depth));
    }
    return items.length === 1 ? items[0]! : { kind: 'and', items };
  }

  private parseUnary(depth: number): FilterNode {
    const token = this.peek();
    if (depth >= FILTER_LIMITS.depth && (token.kind === '(' || this.isKeyword(token, 'NOT'))) {
      this.fail(token, `the filter nests NOT and parentheses more than ${FILTER_LIMITS.depth} deep`);
    }
    if (this.isKeyword(token, 'NOT')) {
      this.next();
      return { kind: 'not', item: this.parseUnary(depth + 1) };
    }
    if (token.kind === '(') {
      this.next();
      const inner = this.parseOr(depth + 1);
      const close = this.next();
      if (close.kind !== ')') {
        this.fail(close, `expected AND, OR or ')' to close the '(' at position ${token.position}, found ${describeToken(close)}`);
      }
      return inner;
    }
    return this.parseComparison();
  }

  /** Reads `[entity.]key`; `alternatives` names what else could stand here, for the error message. */
  field(alternatives = ''): Field {
    const token = this.next();
    const expected = `expected a key such as metrics.acc, params.lr, tags.team or an attribute${alternatives}`;
    if (token.kind === 'string' && token.quote !== "'") {
      // `run name` or "Run name": a quoted attribute name.
      return { entity: 'attribute', key: token.value, text: token.text, position: token.position };
    }
    if (token.kind !== 'word' || (token.prefix === undefined && RESERVED.has(token.value.toUpperCase()))) {
      this.fail(token, `${expected}, found ${describeToken(token)}`);
    }
    if (token.prefix !== undefined) {
      return { entity: this.entity(token, token.prefix), key: token.value, text: token.text, position: token.position };
    }
    const dot = token.value.indexOf('.');
    if (dot < 0) return { entity: 'attribute', key: token.value, text: token.text, position: token.position };
    const entity = this.entity(token, token.value.slice(0, dot));
    const key = token.value.slice(dot + 1);
    if (key === '') this.fail(token, `expected a key after '${token.text}', found ${describeToken(this.peek())}`);
    return { entity, key, text: token.text, position: token.position };
  }

  private entity(token: Token, prefix: string): EntityKind {
    const lower = prefix.toLowerCase();
    const entity = Object.hasOwn(this.prefixes, lower) ? this.prefixes[lower] : undefined;
    if (!entity) {
      const known = this.prefixes === ENTITY_PREFIXES ? 'metrics., params., tags., attributes. or datasets.' : Object.keys(this.prefixes).map((p) => `${p}.`).join(', ');
      this.fail(token, `unknown entity '${prefix}' in '${token.text}'; expected ${known} (or no prefix for an attribute)`);
    }
    return entity;
  }

  private parseComparison(): Comparison {
    if (++this.comparisons > FILTER_LIMITS.comparisons) {
      this.fail(this.peek(), `the filter has more than ${FILTER_LIMITS.comparisons} comparisons`);
    }
    const field = this.field(", NOT or '('");
    const opToken = this.next();
    const opPosition = opToken.position;
    const compare = (op: ComparisonOp, values: Literal[]): Comparison => ({ kind: 'compare', field, op, opPosition, values });

    if (opToken.kind === 'op' && COMPARISON_OPS.has(opToken.value)) {
      return compare(opToken.value as ComparisonOp, [this.literal(`'${opToken.text}'`)]);
    }
    let negated = false;
    let keyword = opToken;
    if (this.isKeyword(opToken, 'NOT')) {
      negated = true;
      keyword = this.next();
      if (!['LIKE', 'ILIKE', 'IN'].some((k) => this.isKeyword(keyword, k))) {
        this.fail(keyword, `expected LIKE, ILIKE or IN after '${field.text} NOT', found ${describeToken(keyword)}`);
      }
    }
    const not = negated ? 'NOT ' : '';
    if (this.isKeyword(keyword, 'LIKE') || this.isKeyword(keyword, 'ILIKE')) {
      const op = `${not}${keyword.value.toUpperCase()}` as ComparisonOp;
      return compare(op, [this.literal(`'${op}'`)]);
    }
    if (this.isKeyword(keyword, 'IN')) {
      return compare(negated ? 'NOT IN' : 'IN', this.list(`${not}IN`));
    }
    if (this.isKeyword(keyword, 'IS')) {
      const after = this.next();
      if (this.isKeyword(after, 'NULL')) return compare('IS NULL', []);
      if (this.isKeyword(after, 'NOT') && this.isKeyword(this.peek(), 'NULL')) {
        this.next();
        return compare('IS NOT NULL', []);
      }
      const found = this.isKeyword(after, 'NOT') ? this.peek() : after;
      this.fail(found, `expected NULL or NOT NULL after 'IS', found ${describeToken(found)}`);
    }
    this.fail(
      opToken,
      `expected a comparison operator (= != < <= > >= LIKE ILIKE IN IS) after '${field.text}', found ${describeToken(opToken)}`,
    );
  }

  private list(op: string): Literal[] {
    const open = this.next();
    if (open.kind !== '(') this.fail(open, `expected '(' after '${op}', found ${describeToken(open)}`);
    const values = [this.literal(`'(' of ${op}`)];
    for (;;) {
      const token = this.next();
      if (token.kind === ')') return values;
      if (token.kind !== ',') this.fail(token, `expected ',' or ')' in the ${op} list, found ${describeToken(token)}`);
      values.push(this.literal("','"));
    }
  }

  private literal(after: string): Literal {
    const token = this.next();
    if (++this.values > FILTER_LIMITS.values) {
      this.fail(token, `the filter has more than ${FILTER_LIMITS.values} values`);
    }
    if (token.kind === 'number') {
      return { kind: 'number', value: Number(token.value), text: token.text, position: token.position };
    }
    if (token.kind === 'string' && token.quote !== '`') {
      return { kind: 'string', value: token.value, text: token.text, position: token.position };
    }
    const hint = token.kind === 'string' ? ' (backticks quote keys, not values)' : '';
    this.fail(token, `expected a number or a quoted string after ${after}, found ${describeToken(token)}${hint}`);
  }
}

/** Words that never start a field: writing one there is a mistake worth naming. */
const RESERVED = new Set(['AND', 'OR', 'NOT', 'LIKE', 'ILIKE', 'IN', 'IS', 'NULL']);
