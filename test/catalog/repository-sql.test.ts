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
import * as registry from '#core/registry/registry-repository.ts';
import * as traces from '#core/tracing/traces-repository.ts';
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
  modelOutputsOfRuns: (db) => tracking.modelOutputsOfRuns(db, ['a'.repeat(32), 'b'.repeat(32)]),
  modelInputsOfRuns: (db) => tracking.modelInputsOfRuns(db, ['a'.repeat(32), 'b'.repeat(32)]),
  activeLoggedModel: (db) => tracking.activeLoggedModel(db, 'm-1'),
  insertLoggedModelMetrics: (db) =>
    tracking.insertLoggedModelMetrics(db, [
      { model_id: 'm-1', key: 'acc', value: 0.9, is_nan: 0, negative_zero: 0, timestamp: 1, step: 0, run_id: 'a'.repeat(32), dataset_name: '', dataset_digest: '' },
    ]),
  touchLoggedModel: (db) => tracking.touchLoggedModel(db, 'm-1', 2),
  deletedExperiments: (db) => tracking.deletedExperiments(db),
  deletedRunsOfLiveExperiments: (db) => tracking.deletedRunsOfLiveExperiments(db),
  experimentsToPurge: async (db) => {
    await tracking.experimentsToPurge(db, {});
    await tracking.experimentsToPurge(db, { ids: { experimentIds: [], runUuids: [] } });
    return tracking.experimentsToPurge(db, { ids: { experimentIds: [1, 2], runUuids: ['a'.repeat(32)] }, deletedBefore: 5 });
  },
  runsToPurge: async (db) => {
    await tracking.runsToPurge(db, {});
    await tracking.runsToPurge(db, { ids: { experimentIds: [1], runUuids: [] } });
    return tracking.runsToPurge(db, { ids: { experimentIds: [], runUuids: ['a'.repeat(32), 'b'.repeat(32)] }, deletedBefore: 5 });
  },
  versionsUsingFolder: (db) => tracking.versionsUsingFolder(db, `1/${'a'.repeat(32)}`),
  runIdsOfExperiments: (db) => tracking.runIdsOfExperiments(db, [1, 2]),
  deleteRunRows: (db) => tracking.deleteRunRows(db, [1, 2]),
  deleteExperiments: (db) => tracking.deleteExperiments(db, [1, 2]),
  allExperimentIds: (db) => tracking.allExperimentIds(db),
  knownRunUuids: (db) => tracking.knownRunUuids(db, ['a'.repeat(32), 'b'.repeat(32)]),
};

const registryCases: Cases<typeof registry> = {
  modelIdNamed: (db) => registry.modelIdNamed(db, 'churn'),
  modelByName: (db) => registry.modelByName(db, 'churn'),
  modelById: (db) => registry.modelById(db, 1),
  modelsByIds: (db) => registry.modelsByIds(db, [1, 2]),
  insertModel: (db) => registry.insertModel(db, { name: 'churn', description: null, user_id: 'ada', creation_time: 1, last_updated_time: 1, last_version: 0 }),
  updateModel: (db) => registry.updateModel(db, 1, { description: 'better', last_updated_time: 2 }),
  takeNextVersionNumber: (db) => registry.takeNextVersionNumber(db, 1, 2),
  deleteModel: (db) => registry.deleteModel(db, 1),
  renameModelOnVersions: (db) => registry.renameModelOnVersions(db, 1, 'churn-v2'),
  insertModelTags: (db) => registry.insertModelTags(db, 1, [{ key: 'team', value: 'ml' }]),
  modelTagValue: (db) => registry.modelTagValue(db, 1, 'team'),
  upsertModelTag: (db) => registry.upsertModelTag(db, 1, { key: 'team', value: 'ml' }),
  deleteModelTag: (db) => registry.deleteModelTag(db, 1, 'team'),
  modelTagRows: (db) => registry.modelTagRows(db, [1, 2]),
  aliasRows: (db) => registry.aliasRows(db, [1, 2]),
  aliasVersion: (db) => registry.aliasVersion(db, 1, 'champion'),
  upsertAlias: (db) => registry.upsertAlias(db, 1, 'champion', 3),
  deleteAlias: (db) => registry.deleteAlias(db, 1, 'champion'),
  versionNumbersOf: (db) => registry.versionNumbersOf(db, 1),
  versionByNumber: (db) => registry.versionByNumber(db, 1, 3),
  newestInStage: (db) => registry.newestInStage(db, 1, 'Production'),
  newestPerStage: (db) => registry.newestPerStage(db, [1, 2]),
  othersInStage: (db) => registry.othersInStage(db, 1, 'Production', 7),
  anotherInStage: (db) => registry.anotherInStage(db, 1, 'Production', 7),
  versionById: (db) => registry.versionById(db, 1),
  versionsByIds: (db) => registry.versionsByIds(db, [1, 2]),
  versionsOfRun: (db) => registry.versionsOfRun(db, 'a'.repeat(32)),
  insertVersion: (db) =>
    registry.insertVersion(db, {
      registered_model_id: 1,
      model_name: 'churn',
      version: 1,
      source: 'runs:/a/model',
      storage_location: 'mlflow-artifacts:/1/a/artifacts/model',
      run_id: 'a'.repeat(32),
      run_link: null,
      logged_model_id: null,
      description: null,
      current_stage: 'None',
      status: 'READY',
      user_id: 'ada',
      creation_time: 1,
      last_updated_time: 1,
    }),
  updateVersion: (db) => registry.updateVersion(db, 1, { description: 'better', last_updated_time: 2 }),
  deleteVersion: (db) => registry.deleteVersion(db, 1),
  insertVersionTags: (db) => registry.insertVersionTags(db, 1, [{ key: 'team', value: 'ml' }]),
  versionTagRows: (db) => registry.versionTagRows(db, [1, 2]),
  versionTagValue: (db) => registry.versionTagValue(db, 1, 'team'),
  upsertVersionTag: (db) => registry.upsertVersionTag(db, 1, { key: 'team', value: 'ml' }),
  deleteVersionTag: (db) => registry.deleteVersionTag(db, 1, 'team'),
  loggedModelTagValue: (db) => registry.loggedModelTagValue(db, 'm-1', 'mlflow.modelVersions'),
  upsertLoggedModelTag: (db) => registry.upsertLoggedModelTag(db, 'm-1', { key: 'mlflow.modelVersions', value: '[]' }),
  requestRows: async (db) => {
    await registry.requestRows(db, {});
    return registry.requestRows(db, { modelId: 1, status: 'pending' });
  },
  requestRow: (db) => registry.requestRow(db, 1),
  protectionRows: (db) => registry.protectionRows(db, 1),
  replaceProtections: async (db) => {
    await registry.replaceProtections(db, 1, []);
    return registry.replaceProtections(db, 1, [
      { kind: 'alias', target: 'production' },
      { kind: 'stage', target: 'Production' },
    ]);
  },
  protectionOf: (db) => registry.protectionOf(db, 1, 'alias', 'production'),
  pendingRequest: (db) => registry.pendingRequest(db, 7, { kind: 'stage', target: 'Production', archive_existing_versions: 1 }),
  insertRequest: (db) =>
    registry.insertRequest(db, {
      version_id: 7,
      kind: 'alias',
      target: 'production',
      archive_existing_versions: 0,
      status: 'pending',
      requested_by: 'ada',
      requested_time: 1,
      comment: null,
      decided_by: null,
      decided_time: null,
      decision_comment: null,
    }),
  decidePendingRequest: (db) => registry.decidePendingRequest(db, 1, { status: 'approved', decided_by: 'bo', decided_time: 2, decision_comment: 'ok' }),
};

const SPAN: traces.SpanRow & { trace_id: number } = {
  trace_id: 1,
  span_id: 's1',
  parent_span_id: null,
  name: 'root',
  span_type: 'CHAIN',
  start_time_ns: '1',
  end_time_ns: '2',
  status_code: 'OK',
  status_message: '',
  attributes_json: '{}',
  events_json: '[]',
  attributes_path: null,
};

const ASSESSMENT = {
  trace_id: 1,
  assessment_id: 'a-1',
  name: 'correct',
  kind: 'feedback',
  source_type: 'HUMAN',
  source_id: 'ada',
  span_id: null,
  value_json: '{"value":true}',
  error_json: null,
  rationale: null,
  metadata_json: null,
  overrides: null,
  valid: 1,
  create_time: 1,
  last_update_time: 1,
};

const tracesCases: Cases<typeof traces> = {
  findTrace: (db) => traces.findTrace(db, 'tr-1'),
  tracesByTraceIds: (db) => traces.tracesByTraceIds(db, ['tr-1', 'tr-2']),
  tracesByIds: (db) => traces.tracesByIds(db, [1, 2]),
  traceExperiments: (db) => traces.traceExperiments(db, ['tr-1', 'tr-2']),
  traceInOtherExperiment: (db) => traces.traceInOtherExperiment(db, ['tr-1'], 1),
  traceDetailRows: (db) => traces.traceDetailRows(db, [1, 2]),
  insertTrace: (db) => traces.insertTrace(db, { trace_id: 'tr-1', experiment_id: 1, request_time: 1, state: 'OK', span_count: 0 }),
  insertTraces: (db) => traces.insertTraces(db, [{ trace_id: 'tr-1', experiment_id: 1, request_time: 1, state: 'IN_PROGRESS', span_count: 0 }]),
  updateTrace: (db) => traces.updateTrace(db, 1, { span_count: 2, state: 'OK' }),
  traceSummary: (db) => traces.traceSummary(db, 1),
  tracesToDelete: async (db) => {
    await traces.tracesToDelete(db, { experimentId: 1, traceIds: ['tr-1'] });
    return traces.tracesToDelete(db, { experimentId: 1, maxTimestampMs: 5, limit: 10 });
  },
  deleteTraces: (db) => traces.deleteTraces(db, [1, 2]),
  putKeyValues: async (db) => {
    await traces.putKeyValues(db, 'trace_tags', 1, { team: 'ml' });
    await traces.putKeyValues(db, 'trace_metadata', 1, { 'mlflow.sourceRun': 'a' });
  },
  insertTraceTags: (db) => traces.insertTraceTags(db, [{ trace_id: 1, key: 'mlflow.artifactLocation', value: 'mlflow-artifacts:/1/traces/tr-1/artifacts' }]),
  deleteTraceTag: (db) => traces.deleteTraceTag(db, 1, 'team'),
  linkTracesToRun: (db) => traces.linkTracesToRun(db, [1, 2], 'a'.repeat(32)),
  spansOf: (db) => traces.spansOf(db, 1),
  findSpan: (db) => traces.findSpan(db, 1, 's1'),
  knownSpans: (db) => traces.knownSpans(db, [1], ['s1', 's2']),
  deleteSpans: (db) => traces.deleteSpans(db, 1),
  putSpans: (db) => traces.putSpans(db, [SPAN, { ...SPAN, span_id: 's2', parent_span_id: 's1' }]),
  findAssessment: (db) => traces.findAssessment(db, 1, 'a-1'),
  insertAssessment: (db) => traces.insertAssessment(db, ASSESSMENT),
  updateAssessment: (db) => traces.updateAssessment(db, 'a-1', { name: 'helpful', last_update_time: 2 }),
  setAssessmentValid: (db) => traces.setAssessmentValid(db, 1, 'a-1', false),
  deleteAssessment: (db) => traces.deleteAssessment(db, 'a-1'),
};

const REPOSITORIES: Repository[] = [
  { name: 'tracking-repository', module: tracking, cases: trackingCases },
  { name: 'registry-repository', module: registry, cases: registryCases },
  { name: 'traces-repository', module: traces, cases: tracesCases },
];

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
