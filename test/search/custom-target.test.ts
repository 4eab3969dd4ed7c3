/**
 * The compiler is generic over its target: a registry-like target with a "missing counts as"
 * tag, and the PostgreSQL flavour of the statements.
 */
import { DummyDriver, Kysely, PostgresAdapter, PostgresIntrospector, PostgresQueryCompiler } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '#core/catalog/schema.ts';
import { compileFilter } from '#core/search/compile-filter.ts';
import { compileOrderBy } from '#core/search/compile-order.ts';
import { parseFilter } from '#core/search/parse-filter.ts';
import { parseOrderBy } from '#core/search/parse-order-by.ts';
import { RUNS_TARGET, type SearchTarget } from '#core/search/search-target.ts';
import { searchPage } from '#core/search/search.ts';
import { ACTIVE, seedCatalog, suiteTempDir, type RunLabel, type Seeded } from './fixture.ts';

/**
 * Runs seen the way the registry sees models: tags only, and a missing mlflow.prompt.is_prompt
 * counts as 'false', so the clause 3.x clients append keeps ordinary entities.
 */
const PROMPT_AWARE: SearchTarget = {
  ...RUNS_TARGET,
  noun: 'model',
  attributes: { name: { column: 'name', type: 'string' } },
  keyed: { tag: { table: 'run_tags', ownerColumn: 'run_id', values: 'string', missingAs: { 'mlflow.prompt.is_prompt': 'false' } } },
  datasets: false,
  defaultOrderBy: ['name'],
  tieBreakers: [{ attribute: 'name', ascending: true }],
};

describe('a registry-like target', () => {
  let seeded: Seeded;
  const dir = suiteTempDir();
  beforeAll(async () => {
    seeded = await seedCatalog(dir);
  });
  afterAll(() => seeded.catalog.close());

  const scope = { scopeKey: 'test' };

  it.each([
    ["tags.`mlflow.prompt.is_prompt` != 'true'", ACTIVE.filter((l) => l !== 'a1')],
    ["tags.`mlflow.prompt.is_prompt` = 'true'", ['a1']],
    ["tags.`mlflow.prompt.is_prompt` != 'false'", ['a1']],
    ["tags.`mlflow.prompt.is_prompt` = 'false'", ACTIVE.filter((l) => l !== 'a1')],
    ["name LIKE 'a%' AND tags.`mlflow.prompt.is_prompt` != 'true'", ['b1']],
    ['tags.`mlflow.prompt.is_prompt` IS NULL', ACTIVE.filter((l) => l !== 'a1' && l !== 'a2')],
  ] as [string, RunLabel[]][])('%s', async (filter, expected) => {
    const { ids } = await searchPage(seeded.catalog.db, seeded.catalog.dialect, PROMPT_AWARE, { filter }, {
      ...scope,
      scope: undefined,
    });
    const labels = ids.map((id) => seeded.labels.get(Number(id))).filter((l) => l !== 'a7' && l !== 'c1');
    expect(labels.sort()).toEqual([...expected].sort());
  });

  it('refuses the runs-only fields', async () => {
    await expect(searchPage(seeded.catalog.db, seeded.catalog.dialect, PROMPT_AWARE, { filter: 'metrics.acc > 1' }, scope)).rejects.toThrow(
      'Invalid filter at position 1: model searches have no metrics; use tags. or an attribute',
    );
    await expect(searchPage(seeded.catalog.db, seeded.catalog.dialect, PROMPT_AWARE, { filter: "status = 'x'" }, scope)).rejects.toThrow(
      "unknown model attribute 'status'; expected one of name",
    );
  });
});

describe('the PostgreSQL flavour', () => {
  const pg = new Kysely<Database>({
    dialect: {
      createAdapter: () => new PostgresAdapter(),
      createDriver: () => new DummyDriver(),
      createIntrospector: (db) => new PostgresIntrospector(db),
      createQueryCompiler: () => new PostgresQueryCompiler(),
    },
  });
  const compile = (filter: string) => compileFilter(parseFilter(filter), RUNS_TARGET, 'postgres')!.compile(pg);

  it('numbers its parameters and disables the LIKE escape character', () => {
    const { sql, parameters } = compile("params.note LIKE 'a\\b%' AND run_name ILIKE 'x'");
    expect(sql).toContain('like $2 escape \'\'');
    expect(sql).toContain('lower("runs"."name") like lower($3) escape \'\'');
    expect(parameters).toEqual(['note', 'a\\b%', 'x']);
  });

  it('reads numeric params with a regular expression instead of SQLite JSON functions', () => {
    const { sql } = compile('params.lr > 0.01');
    expect(sql).toContain('~');
    expect(sql).toContain('as double precision');
    expect(sql).not.toContain('json_valid');
  });

  it('unnests the dataset context with jsonb functions', () => {
    expect(compile("datasets.context = 'training'").sql).toContain('jsonb_array_elements');
  });

  it('sorts text in byte order, as SQLite does', () => {
    const order = compileOrderBy(parseOrderBy(['params.model']), RUNS_TARGET, 'postgres');
    expect(order.columns[1]!.expr.compile(pg).sql).toContain('collate "C"');
  });
});
