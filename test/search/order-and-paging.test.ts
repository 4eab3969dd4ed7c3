/**
 * order_by, max_results, view types, experiment scopes and page tokens, on the fixed data set;
 * and paging that stays exact while runs are inserted between pages.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FlowdeskError } from '#core/api/errors.ts';
import type { Catalog } from '#core/catalog/catalog.ts';
import { openTestCatalog } from '../helpers/postgres.ts';
import { searchExperiments, searchRuns, type SearchRunsQuery } from '#core/search/search.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { seedCatalog, suiteTempDir, uuidOf, ACTIVE, type RunLabel, type Seeded } from './fixture.ts';

const invalidWith = (message: string) => new FlowdeskError('INVALID_PARAMETER_VALUE', message);

describe('run order and paging on the fixed data set', () => {
  let seeded: Seeded;
  const dir = suiteTempDir();
  beforeAll(async () => {
    seeded = await seedCatalog(dir);
  });
  afterAll(() => seeded.catalog.close());

  const labelsOf = (ids: number[]) => ids.map((id) => seeded.labels.get(id));
  const search = (q: Partial<SearchRunsQuery>) => searchRuns(seeded.catalog.db, seeded.catalog.dialect, { experimentIds: ['1', '2'], ...q });

  const ORDER_CASES: [string[] | undefined, RunLabel[]][] = [
    [undefined, ['a6', 'a5', 'a4', 'b3', 'a3', 'b2', 'a2', 'b1', 'a1']],
    [[], ['a6', 'a5', 'a4', 'b3', 'a3', 'b2', 'a2', 'b1', 'a1']],
    [['created DESC'], ['a6', 'a5', 'a4', 'b3', 'a3', 'b2', 'a2', 'b1', 'a1']],
    [['start_time ASC'], ['a1', 'b1', 'a2', 'b2', 'a3', 'b3', 'a4', 'a5', 'a6']],
    // Ties (a1 and b1 both 0.9) fall back to start_time DESC; NaN (a3) after numbers, missing last.
    [['metrics.acc DESC'], ['a4', 'b1', 'a1', 'a2', 'a5', 'b2', 'a3', 'a6', 'b3']],
    [['metrics.acc desc'], ['a4', 'b1', 'a1', 'a2', 'a5', 'b2', 'a3', 'a6', 'b3']],
    [['metrics.acc'], ['b2', 'a5', 'a2', 'b1', 'a1', 'a4', 'a3', 'a6', 'b3']],
    [['metric.acc ASC'], ['b2', 'a5', 'a2', 'b1', 'a1', 'a4', 'a3', 'a6', 'b3']],
    [['metrics.loss'], ['b3', 'a1', 'a3', 'a2', 'a4', 'b1', 'a6', 'a5', 'b2']],
    [['metrics.loss DESC'], ['a4', 'a2', 'a3', 'a1', 'b3', 'b1', 'a6', 'a5', 'b2']],
    [['metrics.`val acc` DESC'], ['a2', 'a1', 'a6', 'a5', 'a4', 'b3', 'a3', 'b2', 'b1']],
    // Strings sort by code point: upper case before lower case.
    [['params.model ASC'], ['a5', 'a4', 'a3', 'b1', 'a1', 'b2', 'a2', 'a6', 'b3']],
    [['params.model DESC'], ['a2', 'b2', 'a3', 'b1', 'a1', 'a4', 'a5', 'a6', 'b3']],
    // Params sort as strings, as in MLflow, even when they hold numbers.
    [['params.lr DESC'], ['b3', 'a4', 'a3', 'a6', 'a5', 'a2', 'a1', 'b1', 'b2']],
    [['tags.team DESC', 'run_name ASC'], ['a1', 'a3', 'b1', 'a2', 'a4', 'b3', 'a5', 'b2', 'a6']],
    [['run_name'], ['b3', 'a5', 'b1', 'a1', 'a2', 'a3', 'a4', 'b2', 'a6']],
    [['`Run name` DESC'], ['a6', 'b2', 'a4', 'a3', 'a2', 'b1', 'a1', 'a5', 'b3']],
    [['end_time DESC'], ['a6', 'a5', 'a4', 'b3', 'a2', 'b1', 'a1', 'a3', 'b2']],
    [['end_time'], ['a1', 'b1', 'a2', 'b3', 'a4', 'a5', 'a6', 'a3', 'b2']],
    [['status', 'metrics.acc DESC'], ['a2', 'a4', 'b1', 'a1', 'a6', 'b3', 'a5', 'a3', 'b2']],
    [['attributes.user_id DESC', 'start_time'], ['b3', 'b1', 'b2', 'a6', 'a4', 'a2', 'a1', 'a3', 'a5']],
  ];

  it.each(ORDER_CASES)('orders by %j', async (orderBy, expected) => {
    expect(labelsOf((await search({ orderBy })).runIds)).toEqual(expected);
  });

  it('orders by run_id ascending and descending', async () => {
    const byUuid = [...ACTIVE].sort((a, b) => uuidOf(a).localeCompare(uuidOf(b)));
    expect(labelsOf((await search({ orderBy: ['run_id'] })).runIds)).toEqual(byUuid);
    expect(labelsOf((await search({ orderBy: ['attributes.run_id DESC'] })).runIds)).toEqual([...byUuid].reverse());
  });

  it.each([
    [['metrics.acc', 'metric.acc DESC'], "Invalid order_by entry 'metric.acc DESC' at position 1: 'metric.acc' orders by the same field as 'metrics.acc'"],
    [['run_name', 'run_name DESC'], "Invalid order_by entry 'run_name DESC' at position 1: 'run_name' is listed twice"],
    [['start_time', 'created'], "Invalid order_by entry 'created' at position 1: 'created' orders by the same field as 'start_time'"],
    [['metrics.acc sideways'], "Invalid order_by entry 'metrics.acc sideways' at position 13: expected ASC, DESC or the end after 'metrics.acc', found 'sideways'"],
    [['metrics.acc DESC extra'], "Invalid order_by entry 'metrics.acc DESC extra' at position 18: expected the end after 'DESC', found 'extra'"],
    [['datasets.name'], "Invalid order_by entry 'datasets.name' at position 1: results cannot be ordered by dataset fields"],
    [['bogus'], "Invalid order_by entry 'bogus' at position 1: unknown run attribute 'bogus'; expected one of run_id, run_name, status, user_id, artifact_uri, lifecycle_stage, experiment_id, start_time, created, end_time"],
    [[''], "Invalid order_by entry '' at position 1: expected a key such as metrics.acc, params.lr, tags.team or an attribute, found the end"],
    [['metrics.acc; drop table runs'], "Invalid order_by entry 'metrics.acc; drop table runs' at position 12: unexpected character ';'; expected a key, an operator, a value, AND, OR, NOT or parentheses"],
    [Array.from({ length: 21 }, (_, i) => `metrics.m${i}`), 'Invalid order_by: it takes at most 20 entries, found 21'],
  ])('refuses order_by %j', async (orderBy, message) => {
    await expect(search({ orderBy })).rejects.toThrow(invalidWith(message));
  });

  it('pages through every order without repeating or skipping a run, and ends without a token', async () => {
    for (const [orderBy, expected] of ORDER_CASES) {
      for (const maxResults of [1, 2, 4]) {
        const seen: number[] = [];
        let pageToken: string | undefined;
        let pages = 0;
        do {
          const page = await search({ orderBy, maxResults, pageToken });
          expect(page.runIds.length).toBeLessThanOrEqual(maxResults);
          seen.push(...page.runIds);
          pageToken = page.nextPageToken;
          pages++;
        } while (pageToken);
        expect(labelsOf(seen), JSON.stringify({ orderBy, maxResults })).toEqual(expected);
        expect(pages).toBe(Math.ceil(expected.length / maxResults));
      }
    }
  });

  it('omits nextPageToken on the last page, also when it is exactly full', async () => {
    const page = await search({ maxResults: 9 });
    expect(page.runIds).toHaveLength(9);
    expect(page).not.toHaveProperty('nextPageToken');
  });

  it('accepts a token with a different max_results, as the MLflow client sends for its last page', async () => {
    const first = await search({ orderBy: ['metrics.acc DESC'], maxResults: 3 });
    const rest = await search({ orderBy: ['metrics.acc DESC'], maxResults: 100, pageToken: first.nextPageToken });
    expect(labelsOf([...first.runIds, ...rest.runIds])).toEqual(['a4', 'b1', 'a1', 'a2', 'a5', 'b2', 'a3', 'a6', 'b3']);
  });

  it('refuses a token reused with a different filter, order, experiments or view type', async () => {
    const base: Partial<SearchRunsQuery> = { filter: 'metrics.acc > 0', orderBy: ['metrics.acc'], maxResults: 2 };
    const { nextPageToken } = await search(base);
    expect(nextPageToken).toBeDefined();
    const message =
      'Invalid page_token: it belongs to a different search (filter, order_by, experiments or view type changed); start again without a page_token';
    for (const change of [
      { filter: 'metrics.acc > 1' },
      { orderBy: ['metrics.acc DESC'] },
      { experimentIds: ['1'] },
      { viewType: 'ALL' as const },
    ]) {
      await expect(search({ ...base, ...change, pageToken: nextPageToken })).rejects.toThrow(invalidWith(message));
    }
    const experiments = await searchExperiments(seeded.catalog.db, seeded.catalog.dialect, { maxResults: 1 });
    await expect(search({ pageToken: experiments.nextPageToken })).rejects.toThrow(invalidWith(message));
  });

  it.each([
    ['not base64 !', 'Invalid page_token: it is not a token this server issued'],
    [Buffer.from('{"offset": 3}').toString('base64url'), 'Invalid page_token: it is not a token this server issued'],
    [Buffer.from('[1,2]').toString('base64url'), 'Invalid page_token: it is not a token this server issued'],
    [Buffer.from('not json').toString('base64url'), 'Invalid page_token: it is not a token this server issued'],
    ['A'.repeat(1_000_001), 'Invalid page_token: it is not a token this server issued'],
  ])('refuses the page token %#', async (pageToken, message) => {
    await expect(search({ pageToken })).rejects.toThrow(invalidWith(message));
  });

  it('refuses a token whose values do not fit the columns', async () => {
    const { nextPageToken } = await search({ maxResults: 2 });
    const token = JSON.parse(Buffer.from(nextPageToken!, 'base64url').toString()) as { k: unknown[] };
    for (const k of [[], ['x', 'y'], [3000, 'abc'], ['', 'abc'], [{ a: 1 }, 'abc'], ['3000']]) {
      const forged = Buffer.from(JSON.stringify({ ...token, k })).toString('base64url');
      await expect(search({ maxResults: 2, pageToken: forged })).rejects.toThrow(invalidWith('Invalid page_token: it does not fit this search'));
    }
  });

  it.each([0, -1, 50_001, 1.5, Number.NaN])('refuses max_results %s', async (maxResults) => {
    await expect(search({ maxResults })).rejects.toThrow(
      invalidWith(`Invalid value ${maxResults} for max_results: run searches take a whole number from 1 to 50000`),
    );
  });

  it('accepts max_results 50000', async () => {
    expect((await search({ maxResults: 50_000 })).runIds).toHaveLength(9);
  });

  it.each([
    ['ACTIVE_ONLY' as const, ACTIVE],
    ['DELETED_ONLY' as const, ['a7']],
    ['ALL' as const, [...ACTIVE, 'a7']],
  ])('applies view type %s', async (viewType, expected) => {
    expect(labelsOf((await search({ viewType })).runIds).sort()).toEqual([...expected].sort());
  });

  it('refuses an unknown view type', async () => {
    await expect(search({ viewType: "ALL' --" as never })).rejects.toThrow(invalidWith("Invalid view type 'ALL' --': expected ACTIVE_ONLY, DELETED_ONLY or ALL"));
  });

  it.each([
    [['1'], ['a1', 'a2', 'a3', 'a4', 'a5', 'a6']],
    [['2', '1', '2'], ACTIVE],
    [['3'], ['c1']],
    [['1', '2', '3'], [...ACTIVE, 'c1']],
    [['999'], []],
    [[], []],
  ])('searches experiments %j at once', async (experimentIds, expected) => {
    expect(labelsOf((await search({ experimentIds })).runIds).sort()).toEqual([...expected].sort());
  });

  it('refuses experiment ids that are not digits', async () => {
    await expect(search({ experimentIds: ['1', '1) or 1=1 --'] })).rejects.toThrow(
      invalidWith("Invalid experiment id '1) or 1=1 --': experiment ids are made of digits"),
    );
  });
});

describe('experiment order and paging', () => {
  let seeded: Seeded;
  const dir = suiteTempDir();
  beforeAll(async () => {
    seeded = await seedCatalog(dir);
    // Experiment 4 shares exp-a's last_update_time, to exercise the tie-break.
  });
  afterAll(() => seeded.catalog.close());

  it.each([
    [undefined, [0, 4, 2, 1]],
    [['name'], [0, 1, 2, 4]],
    [['name DESC'], [4, 2, 1, 0]],
    // Ties broken by experiment_id DESC, as MLflow appends it.
    [['last_update_time DESC'], [0, 4, 1, 2]],
    [['experiment_id DESC'], [4, 2, 1, 0]],
    [['experiment_id'], [0, 1, 2, 4]],
    [['tags.owner'], [1, 2, 4, 0]],
  ])('orders experiments by %j', async (orderBy, expected) => {
    expect((await searchExperiments(seeded.catalog.db, seeded.catalog.dialect, { orderBy })).experimentIds).toEqual(expected);
  });

  it('pages through experiments and applies the view type', async () => {
    const seen: number[] = [];
    let pageToken: string | undefined;
    do {
      const page = await searchExperiments(seeded.catalog.db, seeded.catalog.dialect, { viewType: 'ALL', maxResults: 2, pageToken });
      seen.push(...page.experimentIds);
      pageToken = page.nextPageToken;
    } while (pageToken);
    expect(seen).toEqual([0, 4, 3, 2, 1]);
    expect((await searchExperiments(seeded.catalog.db, seeded.catalog.dialect, { viewType: 'DELETED_ONLY' })).experimentIds).toEqual([3]);
  });

  it('refuses order_by on metrics and max_results beyond 50000', async () => {
    await expect(searchExperiments(seeded.catalog.db, seeded.catalog.dialect, { orderBy: ['metrics.acc'] })).rejects.toThrow(
      invalidWith("Invalid order_by entry 'metrics.acc' at position 1: experiment searches have no metrics to order by"),
    );
    await expect(searchExperiments(seeded.catalog.db, seeded.catalog.dialect, { maxResults: 50_001 })).rejects.toThrow(
      invalidWith('Invalid value 50001 for max_results: experiment searches take a whole number from 1 to 50000'),
    );
  });
});

describe('paging while runs are inserted', () => {
  /** Deterministic pseudo-random numbers, so a failure replays. */
  function random(seed: number) {
    let state = seed;
    return () => {
      state = (state * 1103515245 + 12345) % 2147483648;
      return state / 2147483648;
    };
  }

  async function insertRuns(catalog: Catalog, count: number, next: () => number, tag: string) {
    return catalog.write(async (trx) => {
      const ids: number[] = [];
      for (let i = 0; i < count; i++) {
        const uuid = `${tag}${i.toString(16).padStart(4, '0')}`.padEnd(32, '0');
        const { id } = await trx
          .insertInto('runs')
          .values({
            run_uuid: uuid,
            experiment_id: 0,
            name: `run-${Math.floor(next() * 20)}`,
            user_id: 'u',
            status: 'FINISHED',
            // Few distinct start times: many ties, so the run_id tie-break carries the order.
            start_time: Math.floor(next() * 10),
            end_time: null,
            lifecycle_stage: 'active',
            artifact_uri: 'x',
          })
          .returning('id')
          .executeTakeFirstOrThrow();
        ids.push(id);
        const roll = next();
        if (roll < 0.8) {
          const nan = roll < 0.1;
          await trx
            .insertInto('metric_series')
            .values({ run_id: id, key: 'acc', value: nan ? 0 : Math.round(next() * 5) / 5, is_nan: nan ? 1 : 0, timestamp: 0, step: 0, point_count: 1, nan_count: 0, min_step: 0, max_step: 0 })
            .execute();
        }
        if (next() < 0.7) {
          await trx.insertInto('params').values({ run_id: id, key: 'model', value: ['rf', 'xgb', 'lr'][Math.floor(next() * 3)]! }).execute();
        }
      }
      return ids;
    });
  }

  it.each([[[]], [['metrics.acc DESC']], [['params.model', 'metrics.acc']], [['run_name DESC']], [['start_time ASC']]])(
    'serves every run that existed before paging began exactly once, ordered by %j',
    async (orderBy) => {
      const catalog = await openTestCatalog(tempDir());
      const next = random(7);
      const before = new Set(await insertRuns(catalog, 120, next, 'a'));
      const seen: number[] = [];
      let pageToken: string | undefined;
      let round = 0;
      do {
        const page = await searchRuns(catalog.db, catalog.dialect, { experimentIds: ['0'], orderBy, maxResults: 7, pageToken });
        seen.push(...page.runIds);
        pageToken = page.nextPageToken;
        // Runs whose sort values land before, inside and after the current position.
        await insertRuns(catalog, 5, next, `b${(round++).toString(16).padStart(3, '0')}`);
      } while (pageToken);
      expect(new Set(seen).size).toBe(seen.length);
      expect(seen.filter((id) => before.has(id)).length).toBe(before.size);
      await catalog.close();
    },
  );
});
