/**
 * SQL injection attempts in every position of the grammar (keys, quoted keys, values, lists,
 * attribute names, order_by, page tokens, experiment ids, view type): each answers
 * INVALID_PARAMETER_VALUE or rows it would serve anyway, and leaves every table as it was.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FlowdeskError } from '#core/api/errors.ts';
import { compileFilter } from '#core/search/compile-filter.ts';
import { parseFilter } from '#core/search/parse-filter.ts';
import { RUNS_TARGET } from '#core/search/search-target.ts';
import { searchRuns, type SearchRunsQuery } from '#core/search/search.ts';
import { ACTIVE, catalogChecksum, seedCatalog, suiteTempDir, type RunLabel, type Seeded } from './fixture.ts';

const PAYLOADS = [
  "'; DROP TABLE runs; --",
  "x' OR '1'='1",
  "x\" OR \"1\"=\"1",
  "1; DELETE FROM params",
  "') OR 1=1 --",
  "x`) OR 1=1 --",
  "'||(select group_concat(name) from sqlite_master)||'",
  '1 UNION SELECT id FROM runs',
  "\\'; UPDATE runs SET name='owned'; --",
  "x'); ATTACH DATABASE '/tmp/evil.db' AS evil; --",
];

/** Quotes a payload as a string literal of the filter language (doubling the quote). */
const single = (text: string) => `'${text.replaceAll("'", "''")}'`;
const backtick = (text: string) => `\`${text.replaceAll('`', '``')}\``;

/** Runs having a model param: what `params.model != <anything no run has>` rightly returns. */
const WITH_MODEL: RunLabel[] = ['a1', 'a2', 'a3', 'a4', 'a5', 'b1', 'b2'];

/**
 * Filters placing each payload in each position, raw (breaking the syntax) and quoted
 * (well-formed), with the runs each may return: none, except where the filter asks for them.
 */
function attempts(payload: string): [string, RunLabel[]][] {
  const none = (filter: string): [string, RunLabel[]] => [filter, []];
  return [
    [`params.model != ${single(payload)}`, WITH_MODEL],
    [`params.model NOT LIKE ${single(payload)}`, WITH_MODEL],
    ...[
    `params.model = ${single(payload)}`,
    `params.model = '${payload}'`,
    `params.model LIKE ${single(payload)}`,
    `params.model ILIKE ${single(payload)}`,
    `params.model IN ('none', ${single(payload)})`,
    `params.model NOT IN (${single(payload)}) AND run_name = ${single(payload)}`,
    `tags.team = ${single(payload)} OR metrics.acc > ${payload}`,
    `run_name = ${single(payload)}`,
    `run_id IN (${single(payload)})`,
    `status = ${single(payload)}`,
    `datasets.name = ${single(payload)}`,
    `datasets.context = ${single(payload)}`,
    `experiment_id = ${single(payload)}`,
    `start_time > ${payload}`,
    `params.${backtick(payload)} = 'rf'`,
    `tags.${backtick(payload)} IS NOT NULL`,
    `metrics.${backtick(payload)} > 0`,
    `params.${payload} = 'rf'`,
    `${backtick(payload)} = 'x'`,
    `"${payload.replaceAll('"', '""')}" = 'x'`,
    `${payload} = 'x'`,
    `params.model = 'rf' ${payload}`,
    `(${payload})`,
    ].map(none),
  ];
}

describe('SQL injection attempts', () => {
  let seeded: Seeded;
  const dir = suiteTempDir();
  beforeAll(async () => {
    seeded = await seedCatalog(dir);
  });
  afterAll(() => seeded.catalog.close());

  const search = (q: Partial<SearchRunsQuery>) => searchRuns(seeded.catalog.db, seeded.catalog.dialect, { experimentIds: ['1', '2'], ...q });

  /** Runs `attempt`: it must throw INVALID_PARAMETER_VALUE or return no rows, unless `allowed` rows are fine. */
  async function expectHarmless(attempt: () => Promise<{ runIds: number[] }>, allowed: readonly number[] = []) {
    try {
      const { runIds } = await attempt();
      for (const id of runIds) expect(allowed).toContain(id);
    } catch (err) {
      expect(err).toBeInstanceOf(FlowdeskError);
      expect((err as FlowdeskError).code).toBe('INVALID_PARAMETER_VALUE');
    }
  }

  it.each(PAYLOADS)('in filter keys, values and lists: %s', async (payload) => {
    const before = await catalogChecksum(seeded.catalog);
    for (const [filter, allowed] of attempts(payload)) {
      await expectHarmless(() => search({ filter }), allowed.map((label) => seeded.ids[label]));
    }
    expect(await catalogChecksum(seeded.catalog)).toEqual(before);
  });

  it.each(PAYLOADS)('in order_by entries: %s', async (payload) => {
    const before = await catalogChecksum(seeded.catalog);
    const all = ACTIVE.map((label) => seeded.ids[label]);
    // A quoted key no run has orders nothing: the rows are the unfiltered ones, in the default order.
    for (const orderBy of [[payload], [`${payload} DESC`], [`metrics.${backtick(payload)} DESC`], [`params.${backtick(payload)}`], [`tags.${payload}`]]) {
      await expectHarmless(() => search({ orderBy }), all);
    }
    expect(await catalogChecksum(seeded.catalog)).toEqual(before);
  });

  it.each(PAYLOADS)('in page tokens, forged with the right fingerprint: %s', async (payload) => {
    const before = await catalogChecksum(seeded.catalog);
    const all = ACTIVE.map((label) => seeded.ids[label]);
    for (const orderBy of [['run_name'], ['metrics.acc DESC'], []]) {
      const { nextPageToken } = await search({ orderBy, maxResults: 2 });
      const token = JSON.parse(Buffer.from(nextPageToken!, 'base64url').toString()) as { k: unknown[] };
      for (let i = 0; i < token.k.length; i++) {
        const k = token.k.map((value, j) => (i === j ? payload : value));
        const pageToken = Buffer.from(JSON.stringify({ ...token, k })).toString('base64url');
        await expectHarmless(() => search({ orderBy, maxResults: 2, pageToken }), all);
      }
    }
    await expectHarmless(() => search({ pageToken: payload }));
    expect(await catalogChecksum(seeded.catalog)).toEqual(before);
  });

  it.each(PAYLOADS)('in experiment ids and view type: %s', async (payload) => {
    const before = await catalogChecksum(seeded.catalog);
    await expectHarmless(() => search({ experimentIds: [payload] }));
    await expectHarmless(() => search({ experimentIds: ['1', payload] }));
    await expectHarmless(() => search({ viewType: payload as never }));
    expect(await catalogChecksum(seeded.catalog)).toEqual(before);
  });

  it('never writes user text into the SQL: keys and values travel as parameters', () => {
    const key = "k'; drop table runs; --";
    const value = "v' or 1=1 --";
    const filter = `params.${backtick(key)} = ${single(value)} OR tags.${backtick(key)} LIKE ${single(value)} OR metrics.${backtick(key)} > 1 OR run_name IN (${single(value)})`;
    const compiled = compileFilter(parseFilter(filter), RUNS_TARGET, seeded.catalog.dialect)!.compile(seeded.catalog.db);
    expect(compiled.sql).not.toContain('drop');
    expect(compiled.sql).not.toContain('or 1=1');
    expect(compiled.parameters).toEqual([key, value, key, value, key, 1, value]);
  });

  it('leaves the tables intact after all attempts', async () => {
    const tables = await sql<{ n: number }>`select count(*) as n from runs`.execute(seeded.catalog.db);
    expect(tables.rows[0]!.n).toBe(11);
  });
});
