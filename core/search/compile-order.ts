/**
 * Turns order_by keys into sort columns over the target's table. Each column is a plain,
 * never-NULL value, so the same columns serve ORDER BY and the seek condition of a page token:
 * - a key that can be missing (metric, param, tag, nullable attribute) becomes two columns, a rank
 *   that always sorts ascending (present, then NaN for metrics, then missing; whatever the
 *   direction, as MLflow does) and the value with NULL and NaN folded to a constant;
 * - the target's tie-breakers follow, the last unique, so the order is total.
 */
import { sql, type RawBuilder } from 'kysely';
import { dialectSql } from '#core/catalog/dialect-sql.ts';
import type { Dialect } from '#core/catalog/migrations.ts';
import { invalid, type FlowdeskError } from '#core/api/errors.ts';
import type { OrderKey } from './parse-order-by.ts';
import { resolveAttribute } from './compile-filter.ts';
import type { SearchTarget } from './search-target.ts';
import { orderBySource } from './tokenize.ts';

/** What a sort column holds, which is what a page token must carry for it. */
export type SortType = 'number' | 'string';

/** One ORDER BY column; never NULL, so equality and comparison in the seek condition are exact. */
export interface SortColumn {
  expr: RawBuilder<unknown>;
  ascending: boolean;
  type: SortType;
}

/** The joins and columns of an order. */
export interface CompiledOrder {
  /** LEFT JOINs that bring the keyed values being sorted on, at most one row each. */
  joins: RawBuilder<unknown>[];
  columns: SortColumn[];
}

/** Compiles order_by keys (the target's default when empty) plus its tie-breakers. */
export function compileOrderBy(keys: readonly OrderKey[], target: SearchTarget, dialect: Dialect): CompiledOrder {
  const joins: RawBuilder<unknown>[] = [];
  const columns: SortColumn[] = [];
  /** Field identity (aliases resolved) -> the entry that named it first. */
  const seen = new Map<string, string>();
  const owner = sql.ref(`${target.table}.${target.idColumn}`);
  // Text sorts by its bytes on both databases, so a page token means the same position on both.
  const text = (expr: RawBuilder<unknown>) => dialectSql(dialect).bytewise(expr);

  type Fail = (message: string) => FlowdeskError;

  /** Records a field by identity, so aliases and repeats of one field are refused. */
  const remember = (identity: string, text: string, fail: Fail) => {
    const earlier = seen.get(identity);
    if (earlier !== undefined) {
      throw fail(earlier === text ? `'${text}' is listed twice` : `'${text}' orders by the same field as '${earlier}'`);
    }
    seen.set(identity, text);
  };

  const addAttribute = (name: string, ascending: boolean, fail: Fail) => {
    const spec = resolveAttribute(target, name, 1, (_position, message) => fail(message));
    remember(`attribute:${spec.column}`, name, fail);
    const column = sql.ref(`${target.table}.${spec.column}`);
    const type: SortType = spec.type === 'string' ? 'string' : 'number';
    if (spec.nullable) {
      columns.push({ expr: sql`case when ${column} is null then 1 else 0 end`, ascending: true, type: 'number' });
      // The fallback is a literal, not a bound parameter: an index on this very expression (the
      // traces table has some) serves the order only when the query's expression matches it.
      columns.push({ expr: sql`coalesce(${column}, ${sql.lit(type === 'string' ? '' : 0)})`, ascending, type });
    } else {
      columns.push({ expr: type === 'string' ? text(column) : column, ascending, type });
    }
  };

  for (const key of keys) {
    const { field } = key;
    const fail: Fail = (message) => orderBySource(key.text).error(field.position, message);
    if (field.entity === 'attribute') {
      addAttribute(field.key, key.ascending, fail);
      continue;
    }
    if (field.entity === 'dataset') throw fail('results cannot be ordered by dataset fields');
    if (field.entity === 'span') throw fail('results cannot be ordered by span fields');
    const source = target.keyed[field.entity];
    if (!source) throw fail(`${target.noun} searches have no ${field.entity}s to order by`);
    remember(`${field.entity}:${field.key}`, field.text, fail);
    const alias = `o${joins.length}`;
    const ownerRef = sql.ref(`${alias}.${source.ownerColumn}`);
    const value = sql.ref(`${alias}.value`);
    joins.push(
      sql`left join ${sql.table(source.table)} as ${sql.id(alias)} on ${ownerRef} = ${owner} and ${sql.ref(`${alias}.key`)} = ${field.key}`,
    );
    if (source.values === 'metric') {
      const isNan = sql.ref(`${alias}.is_nan`);
      columns.push({ expr: sql`case when ${ownerRef} is null then 2 when ${isNan} = 1 then 1 else 0 end`, ascending: true, type: 'number' });
      columns.push({ expr: sql`case when ${ownerRef} is null or ${isNan} = 1 then 0 else ${value} end`, ascending: key.ascending, type: 'number' });
    } else {
      columns.push({ expr: sql`case when ${ownerRef} is null then 1 else 0 end`, ascending: true, type: 'number' });
      columns.push({ expr: text(sql`coalesce(${value}, '')`), ascending: key.ascending, type: 'string' });
    }
  }

  for (const tie of target.tieBreakers) {
    const spec = resolveAttribute(target, tie.attribute, 1, (_position, message) => invalid(message));
    if (seen.has(`attribute:${spec.column}`)) continue;
    addAttribute(tie.attribute, tie.ascending, (message) => invalid(message));
  }
  return { joins, columns };
}
