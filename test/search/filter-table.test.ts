/**
 * The filter table: each filter string against the fixed data set (fixture.ts) with its exact
 * result set, or the exact error (code INVALID_PARAMETER_VALUE, position and expectation).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FlowdeskError } from '#core/api/errors.ts';
import { searchExperiments, searchRuns } from '#core/search/search.ts';
import { EXPERIMENT_CASES, POSTGRES_RUN_RESULTS, RUN_CASES, except } from './filter-cases.ts';
import { seedCatalog, suiteTempDir, type RunLabel, type Seeded } from './fixture.ts';

describe('run filters', () => {
  let seeded: Seeded;
  const dir = suiteTempDir();
  beforeAll(async () => {
    seeded = await seedCatalog(dir);
  });
  afterAll(() => seeded.catalog.close());

  it('has at least 150 run filter cases', () => {
    expect(RUN_CASES.length).toBeGreaterThanOrEqual(150);
  });

  it.each(RUN_CASES)('%s', async (filter, sqliteExpected) => {
    const expected = (seeded.catalog.dialect === 'postgres' && POSTGRES_RUN_RESULTS[filter]) || sqliteExpected;
    const search = searchRuns(seeded.catalog.db, seeded.catalog.dialect, { experimentIds: ['1', '2'], filter });
    if (typeof expected === 'string') {
      await expect(search).rejects.toThrow(new FlowdeskError('INVALID_PARAMETER_VALUE', expected));
      await expect(search).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
      return;
    }
    const { runIds } = await search;
    expect(runIds.map((id) => seeded.labels.get(id)).sort()).toEqual([...expected].sort());
  });

  it('matches run ids exactly, and drops ids written in upper case as MLflow does', async () => {
    const { uuids } = seeded;
    const cases: [string, RunLabel[]][] = [
      [`run_id = '${uuids.a2}'`, ['a2']],
      [`attributes.run_id IN ('${uuids.a1}', '${uuids.b1}')`, ['a1', 'b1']],
      [`run_id IN ('${uuids.a1.toUpperCase()}')`, []],
      [`run_id NOT IN ('${uuids.a1}')`, except('a1')],
      [`run_id = '${uuids.a7}'`, []],
    ];
    for (const [filter, expected] of cases) {
      const { runIds } = await searchRuns(seeded.catalog.db, seeded.catalog.dialect, { experimentIds: ['1', '2'], filter });
      expect(runIds.map((id) => seeded.labels.get(id)).sort(), filter).toEqual(expected);
    }
  });
});

describe('experiment filters', () => {
  let seeded: Seeded;
  const dir = suiteTempDir();
  beforeAll(async () => {
    seeded = await seedCatalog(dir);
  });
  afterAll(() => seeded.catalog.close());

  it.each(EXPERIMENT_CASES)('%s', async (filter, expected) => {
    const search = searchExperiments(seeded.catalog.db, seeded.catalog.dialect, { filter });
    if (typeof expected === 'string') {
      await expect(search).rejects.toThrow(new FlowdeskError('INVALID_PARAMETER_VALUE', expected));
      return;
    }
    const { experimentIds } = await search;
    expect([...experimentIds].sort()).toEqual(expected);
  });
});
