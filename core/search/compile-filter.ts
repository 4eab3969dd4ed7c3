/**
 * Turns a parsed filter into one SQL boolean expression over the target's table, with Kysely's
 * `sql` tag: every value and key from the user is a bound parameter; the only identifiers are the
 * constant table and column names of the target.
 *
 * Semantics (MLflow's where it has them):
 * - A comparison on a metric, param or tag (`=`, `!=`, `<`, LIKE, IN, NOT IN, ...) matches only
 *   entities that have the key; `IS NULL` matches those lacking it, `IS NOT NULL` those having it.
 *   `NOT <expr>` is the plain complement, so `NOT params.x = 'a'` also matches runs without x.
 * - Metrics compare their latest value. A NaN latest value behaves as NaN does in MLflow: `!=`
 *   (and NOT IN) is true, every other comparison false.
 * - A param or tag compared with a number literal compares numerically and matches only values
 *   that are numbers (JSON number syntax, e.g. 0.001, 1e-05, -3; not 'nan', '1.', '.5' or ' 1a');
 *   compared with a quoted string it compares as a string, as in MLflow.
 * - LIKE is case-sensitive (the SQLite connection sets case_sensitive_like), ILIKE compares
 *   lower(x) LIKE lower(pattern); there is no escape character, as on MLflow's SQLite store.
 * - A nullable attribute (end_time) that is NULL matches no comparison, only IS NULL.
 * Every piece of SQL built here is two-valued (never NULL), so NOT and OR mean what they say.
 */
import { sql, type RawBuilder, type SqlBool } from 'kysely';
import { dialectSql } from '#core/catalog/dialect-sql.ts';
import type { Dialect } from '#core/catalog/migrations.ts';
import type { Comparison, ComparisonOp, FilterNode, Literal } from './parse-filter.ts';
import type { AttributeSpec, DerivedSource, KeyedSource, SearchTarget } from './search-target.ts';
import { filterError } from './tokenize.ts';

type Bool = RawBuilder<SqlBool>;

/** How a field's values compare; 'text' is a param or tag value, a string that may hold a number. */
type ValueKind = 'string' | 'number' | 'id' | 'metric' | 'text';

/** The input tag that holds a dataset's context (training, evaluation, ...). */
const DATASET_CONTEXT_KEY = 'mlflow.data.context';

/** Compiles a filter for `target`; `undefined` (no filter) stays `undefined`. */
export function compileFilter(node: FilterNode | undefined, target: SearchTarget, dialect: Dialect): Bool | undefined {
  return node && compileNode(node, target, dialect);
}

function compileNode(node: FilterNode, target: SearchTarget, dialect: Dialect): Bool {
  switch (node.kind) {
    case 'and':
      return sql<SqlBool>`(${sql.join(node.items.map((item) => compileNode(item, target, dialect)), sql` and `)})`;
    case 'or':
      return sql<SqlBool>`(${sql.join(node.items.map((item) => compileNode(item, target, dialect)), sql` or `)})`;
    case 'not':
      return sql<SqlBool>`(not ${compileNode(node.item, target, dialect)})`;
    case 'compare':
      return compileComparison(node, target, dialect);
  }
}

function compileComparison(c: Comparison, target: SearchTarget, dialect: Dialect): Bool {
  const { field } = c;
  const id = sql.ref(`${target.table}.${target.idColumn}`);
  const owner = target.walkInOrder ? dialectSql(dialect).walkInOrder(id) : id;
  switch (field.entity) {
    case 'attribute':
      if (target.derived && Object.hasOwn(target.derived, field.key)) return compileDerived(c, target.derived[field.key]!, owner, dialect);
      return compileAttribute(c, resolveAttribute(target, field.key, field.position), target, dialect);
    case 'span':
      return compileSpan(c, target, owner, dialect);
    case 'dataset':
      if (!target.datasets) throw filterError(field.position, `${target.noun} searches have no datasets; ${allowedEntities(target)}`);
      return compileDataset(c, owner, dialect);
    default: {
      const source = target.keyed[field.entity];
      if (!source) throw filterError(field.position, `${target.noun} searches have no ${field.entity}s; ${allowedEntities(target)}`);
      return compileKeyed(c, source, owner, dialect);
    }
  }
}

/** Looks up an attribute by name (aliases included), naming the valid ones when it is unknown. */
export function resolveAttribute(target: SearchTarget, key: string, position: number, fail = filterError): AttributeSpec {
  const spec = Object.hasOwn(target.attributes, key) ? target.attributes[key] : undefined;
  if (!spec) {
    const names = Object.keys(target.attributes).filter((name) => /^[a-z_]+$/.test(name));
    throw fail(position, `unknown ${target.noun} attribute '${key}'; expected one of ${names.join(', ')}`);
  }
  return spec;
}

/** A derived attribute: the owner has a matching value in one of the sources (IS NULL: in none). */
function compileDerived(c: Comparison, sources: readonly DerivedSource[], owner: RawBuilder<unknown>, dialect: Dialect): Bool {
  const rows = (source: DerivedSource, predicate?: Bool) => {
    const conditions = [source.key === undefined ? undefined : sql<SqlBool>`d.key = ${source.key}`, predicate].filter((x) => x !== undefined);
    const where = conditions.length ? sql`where ${sql.join(conditions, sql` and `)}` : sql``;
    return sql<SqlBool>`(${owner} in (select ${sql.ref(`d.${source.ownerColumn}`)} from ${sql.table(source.table)} as d ${where}))`;
  };
  const any = (predicate?: Bool) => sql<SqlBool>`(${sql.join(sources.map((s) => rows(s, predicate)), sql` or `)})`;
  if (c.op === 'IS NULL') return sql<SqlBool>`(not ${any()})`;
  if (c.op === 'IS NOT NULL') return any();
  return sql<SqlBool>`(${sql.join(
    sources.map((s) => rows(s, valuePredicate(c, c.op as ValueOp, 'string', sql.ref(`d.${s.column}`), dialect))),
    sql` or `,
  )})`;
}

/** `span.<field> op value`: the owner has at least one span whose column matches. */
function compileSpan(c: Comparison, target: SearchTarget, owner: RawBuilder<unknown>, dialect: Dialect): Bool {
  const source = target.spans;
  const { field } = c;
  if (!source) throw filterError(field.position, `${target.noun} searches have no spans; ${allowedEntities(target)}`);
  const column = Object.hasOwn(source.columns, field.key) ? source.columns[field.key] : undefined;
  if (column === undefined) throw filterError(field.position, `unknown span field '${field.key}'; expected one of ${Object.keys(source.columns).join(', ')}`);
  if (c.op === 'IS NULL' || c.op === 'IS NOT NULL') throw filterError(c.opPosition, `span.${field.key} takes = != LIKE ILIKE IN, not ${c.op}`);
  const predicate = valuePredicate(c, c.op as ValueOp, 'string', sql.ref(`s.${column}`), dialect);
  return sql<SqlBool>`(${owner} in (select ${sql.ref(`s.${source.ownerColumn}`)} from ${sql.table(source.table)} as s where ${predicate}))`;
}

function allowedEntities(target: SearchTarget): string {
  const prefixes = [...Object.keys(target.keyed).map((k) => `${k}s.`), ...(target.datasets ? ['datasets.'] : [])];
  return prefixes.length ? `use ${prefixes.join(', ')} or an attribute` : 'use an attribute';
}

function compileAttribute(c: Comparison, spec: AttributeSpec, target: SearchTarget, dialect: Dialect): Bool {
  const column = sql.ref(`${target.table}.${spec.column}`);
  const { op } = c;
  if (op === 'IS NULL') return sql<SqlBool>`(${column} is null)`;
  if (op === 'IS NOT NULL') return sql<SqlBool>`(${column} is not null)`;
  const predicate = valuePredicate(c, op, spec.type, column, dialect);
  // `null > 5` is NULL, and NOT NULL is NULL too: guard so the expression stays two-valued.
  return spec.nullable ? sql<SqlBool>`(${column} is not null and ${predicate})` : predicate;
}

function compileKeyed(c: Comparison, source: KeyedSource, owner: RawBuilder<unknown>, dialect: Dialect): Bool {
  const key = c.field.key;
  const rows = (condition?: Bool) =>
    sql<SqlBool>`(${owner} in (select ${sql.ref(`k.${source.ownerColumn}`)} from ${sql.table(source.table)} as k where k.key = ${key}${
      condition ? sql` and ${condition}` : sql``
    }))`;
  const { op } = c;
  if (op === 'IS NULL') return sql<SqlBool>`(not ${rows()})`;
  if (op === 'IS NOT NULL') return rows();
  const value = sql.ref('k.value');
  let matching: Bool;
  if (source.values === 'metric') {
    const predicate = valuePredicate(c, op, 'metric', value, dialect);
    // NaN is stored as 0 with is_nan = 1: it differs from every number and is in no order.
    matching =
      op === '!=' || op === 'NOT IN'
        ? rows(sql<SqlBool>`(k.is_nan = 1 or ${predicate})`)
        : rows(sql<SqlBool>`(k.is_nan = 0 and ${predicate})`);
  } else {
    matching = rows(valuePredicate(c, op, 'text', value, dialect));
  }
  const fallback = source.missingAs && Object.hasOwn(source.missingAs, key) ? source.missingAs[key] : undefined;
  if (fallback === undefined) return matching;
  // The entity lacks the key and the comparison holds for the value its absence stands for.
  const forMissing = valuePredicate(c, op, 'text', sql`${fallback}`, dialect);
  return sql<SqlBool>`(${matching} or (not ${rows()} and ${forMissing}))`;
}

function compileDataset(c: Comparison, owner: RawBuilder<unknown>, dialect: Dialect): Bool {
  const { key, position } = c.field;
  if (key !== 'name' && key !== 'digest' && key !== 'context') {
    throw filterError(position, `unknown dataset field '${key}'; expected datasets.name, datasets.digest or datasets.context`);
  }
  const inputs = (from: RawBuilder<unknown>, condition?: Bool) =>
    sql<SqlBool>`(${owner} in (select ri.run_id from run_inputs as ri ${from}${condition ? sql` where ${condition}` : sql``}))`;
  const { op } = c;
  if (key !== 'context') {
    const joined = sql`join datasets as d on d.id = ri.dataset_id`;
    if (op === 'IS NULL') return sql<SqlBool>`(not ${inputs(sql``)})`;
    if (op === 'IS NOT NULL') return inputs(sql``);
    return inputs(joined, valuePredicate(c, op, 'string', sql.ref(`d.${key}`), dialect));
  }
  // The context is an input tag inside the tags_json array.
  const tags = dialectSql(dialect).jsonKeyValues('ri.tags_json');
  const hasContext = sql<SqlBool>`${tags.key} = ${DATASET_CONTEXT_KEY}`;
  if (op === 'IS NULL') return sql<SqlBool>`(not ${inputs(tags.from, hasContext)})`;
  if (op === 'IS NOT NULL') return inputs(tags.from, hasContext);
  return inputs(tags.from, sql<SqlBool>`${hasContext} and ${valuePredicate(c, op, 'string', tags.value, dialect)}`);
}

const RANGE_OPS: ReadonlySet<ComparisonOp> = new Set(['<', '<=', '>', '>=']);
const PATTERN_OPS: ReadonlySet<ComparisonOp> = new Set(['LIKE', 'NOT LIKE', 'ILIKE', 'NOT ILIKE']);

/** The operators that compare a value; IS [NOT] NULL is about the field's presence instead. */
type ValueOp = Exclude<ComparisonOp, 'IS NULL' | 'IS NOT NULL'>;

/**
 * `expr <op> <values>` after checking that the operator and the literals fit the field's kind.
 * The result is NULL only where `expr` is NULL, which callers rule out.
 */
function valuePredicate(c: Comparison, op: ValueOp, kind: ValueKind, expr: RawBuilder<unknown>, dialect: Dialect): Bool {
  const { values, field } = c;
  const first = values[0]!;
  const numeric = kind === 'number' || kind === 'metric' || kind === 'id' || (kind === 'text' && first.kind === 'number');
  if (numeric && PATTERN_OPS.has(op)) {
    const what = kind === 'text' ? `a number (${first.text})` : `'${field.text}', a number`;
    throw filterError(c.opPosition, `${op} matches strings, but this compares ${what}; quote the pattern`);
  }
  if (!numeric && RANGE_OPS.has(op)) {
    throw filterError(
      c.opPosition,
      `'${op}' compares numbers, but '${field.text}' is compared with the string ${first.text}; use =, !=, LIKE, ILIKE or IN, or give a number`,
    );
  }
  const bound = values.map((literal) => {
    if (!numeric) {
      if (literal.kind !== 'string') {
        const why = kind === 'text' ? 'the list mixes strings and numbers' : `'${field.text}' compares with quoted strings`;
        throw literalError(literal, `${why}, found the number ${literal.text}`);
      }
      return literal.value;
    }
    if (kind === 'id') return idValue(literal, field.text);
    if (literal.kind !== 'number') {
      const why = kind === 'text' ? 'the list mixes numbers and strings' : `'${field.text}' compares with numbers`;
      throw literalError(literal, `${why}, found the string ${literal.text}`);
    }
    return literal.value;
  });
  const target = kind === 'text' && numeric ? numericValue(expr, dialect) : expr;
  const [value] = bound;
  const escape = dialectSql(dialect).likeEscape;
  switch (op) {
    case '=':
    case '!=':
    case '<':
    case '<=':
    case '>':
    case '>=':
      // `op` is one of the six operators above, never user text.
      return sql<SqlBool>`${target} ${sql.raw(op === '!=' ? '<>' : op)} ${value}`;
    case 'IN':
      return sql<SqlBool>`${target} in (${sql.join(bound)})`;
    case 'NOT IN':
      return sql<SqlBool>`${target} not in (${sql.join(bound)})`;
    case 'LIKE':
      return sql<SqlBool>`${target} like ${value}${escape}`;
    case 'NOT LIKE':
      return sql<SqlBool>`${target} not like ${value}${escape}`;
    case 'ILIKE':
      return sql<SqlBool>`lower(${target}) like lower(${value})${escape}`;
    case 'NOT ILIKE':
      return sql<SqlBool>`lower(${target}) not like lower(${value})${escape}`;
  }
}

function literalError(literal: Literal, message: string) {
  return filterError(literal.position, message);
}

/** Experiment ids are integers that MLflow clients send as strings; accept both spellings. */
function idValue(literal: Literal, fieldText: string): number {
  const text = literal.kind === 'string' ? literal.value : literal.text;
  if (!/^[0-9]{1,15}$/.test(text)) {
    throw literalError(literal, `'${fieldText}' compares with ids made of digits, found ${literal.text}`);
  }
  return Number(text);
}

/** The number a text value spells, or NULL when it spells none (JSON's number syntax, see dialect-sql.ts). */
export function numericValue(expr: RawBuilder<unknown>, dialect: Dialect): RawBuilder<number | null> {
  return dialectSql(dialect).numericValue(expr);
}
