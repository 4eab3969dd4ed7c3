/**
 * The SQL every repository function compiles, for SQLite and for PostgreSQL, kept as reviewed
 * snapshots in test/catalog/sql/: a change to a query shows up in review as a change to these
 * files, and a test fails when the SQL changes without them (`vitest -u` rewrites them; on CI,
 * where CI=true, a missing snapshot fails instead of being written). Each repository function
 * has a case here, called with sample arguments against a database that only records.
 */
import { describe, expect, it } from 'vitest';
import type { Db } from '#core/catalog/catalog.ts';
import type { Dialect } from '#core/catalog/migrations.ts';
import * as tracking from '#core/tracking/tracking-repository.ts';
import { recordingDb } from '../helpers/recording-db.ts';

/** One call per exported function of a repository module, with sample arguments. */
type Cases<M> = { [K in keyof M as M[K] extends (db: Db, ...rest: never[]) => Promise<unknown> ? K : never]: (db: Db) => Promise<unknown> };

interface Repository {
  name: string;
  module: Record<string, unknown>;
  cases: Record<string, (db: Db) => Promise<unknown>>;
}

const trackingCases: Cases<typeof tracking> = {
  findExperiment: (db) => tracking.findExperiment(db, 1),
  findExperimentByName: (db) => tracking.findExperimentByName(db, 'churn'),
  experimentIdNamed: (db) => tracking.experimentIdNamed(db, 'churn'),
  experimentsByIds: (db) => tracking.experimentsByIds(db, [1, 2]),
  experimentTagRows: (db) => tracking.experimentTagRows(db, [1, 2]),
  insertExperiment: (db) => tracking.insertExperiment(db, { name: 'churn', artifact_location: '', lifecycle_stage: 'active', creation_time: 1, last_update_time: 1 }),
  updateExperiment: (db) => tracking.updateExperiment(db, 1, { name: 'churn', last_update_time: 2 }),
  insertExperimentTags: (db) => tracking.insertExperimentTags(db, 1, [{ key: 'team', value: 'ml' }]),
  upsertExperimentTag: (db) => tracking.upsertExperimentTag(db, 1, { key: 'team', value: 'ml' }),
  deleteExperimentTag: (db) => tracking.deleteExperimentTag(db, 1, 'team'),
  deleteActiveRuns: (db) => tracking.deleteActiveRuns(db, 1, 2),
  restoreRunsDeletedAt: (db) => tracking.restoreRunsDeletedAt(db, 1, 2),
  findRun: (db) => tracking.findRun(db, 'a'.repeat(32)),
  runsByIds: (db) => tracking.runsByIds(db, [1, 2]),
  insertRun: (db) =>
    tracking.insertRun(db, {
      run_uuid: 'a'.repeat(32),
      experiment_id: 1,
      name: 'run',
      user_id: 'ada',
      status: 'RUNNING',
      start_time: 1,
      end_time: null,
      lifecycle_stage: 'active',
      artifact_uri: 'mlflow-artifacts:/1/a/artifacts',
      deleted_time: null,
    }),
  updateRun: (db) => tracking.updateRun(db, 1, { status: 'FINISHED', end_time: 2 }),
  runDetailRows: (db) => tracking.runDetailRows(db, [1, 2]),
  upsertRunTags: (db) => tracking.upsertRunTags(db, 1, [{ key: 'team', value: 'ml' }]),
  runTagValue: (db) => tracking.runTagValue(db, 1, 'mlflow.user'),
  deleteRunTag: (db) => tracking.deleteRunTag(db, 1, 'team'),
  paramsWithKeys: (db) => tracking.paramsWithKeys(db, 1, ['lr', 'epochs']),
  insertParams: (db) => tracking.insertParams(db, 1, [{ key: 'lr', value: '0.1' }]),
  findMetricSeries: (db) => tracking.findMetricSeries(db, 1, 'loss'),
};

const REPOSITORIES: Repository[] = [{ name: 'tracking-repository', module: tracking, cases: trackingCases }];

const DIALECTS: Dialect[] = ['sqlite', 'postgres'];

/** The functions a repository module exports (its types and constants are not queries). */
function functionsOf(module: Record<string, unknown>): string[] {
  return Object.keys(module)
    .filter((name) => typeof module[name] === 'function')
    .sort();
}

/** Every case's statements, one block per function in name order, ready for a file snapshot. */
async function compiledSql(repository: Repository, dialect: Dialect): Promise<string> {
  const blocks: string[] = [];
  for (const name of Object.keys(repository.cases).sort()) {
    const { db, statements } = recordingDb(dialect);
    await repository.cases[name]!(db);
    blocks.push(`-- ${name}\n${statements.map((s) => `${s.sql};`).join('\n')}\n`);
  }
  return blocks.join('\n');
}

describe('repository SQL', () => {
  for (const repository of REPOSITORIES) {
    it(`has a case for every function of ${repository.name}`, () => {
      expect(Object.keys(repository.cases).sort()).toEqual(functionsOf(repository.module));
    });

    for (const dialect of DIALECTS) {
      it(`compiles ${repository.name} for ${dialect} as its reviewed snapshot`, async () => {
        const sql = await compiledSql(repository, dialect);
        expect(sql).not.toBe('');
        await expect(sql).toMatchFileSnapshot(`./sql/${repository.name}.${dialect}.sql`);
      });
    }
  }
});
