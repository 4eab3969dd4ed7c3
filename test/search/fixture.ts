/**
 * The fixed data set the search tests run against, inserted straight into a real catalog, plus
 * helpers: a temp folder that lives for a whole describe block, the indexes search relies on, and
 * a checksum of every table to prove a query changed nothing.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll } from 'vitest';
import type { Catalog } from '#core/catalog/catalog.ts';
import { openTestCatalog } from '../helpers/postgres.ts';

/**
 * A temp folder removed after the enclosing describe block: the filter table runs hundreds of
 * queries against one catalog, which `tempDir()` (one folder per test) would rebuild each time.
 */
export function suiteTempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'flowdesk-search-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export type RunLabel = 'a1' | 'a2' | 'a3' | 'a4' | 'a5' | 'a6' | 'a7' | 'b1' | 'b2' | 'b3' | 'c1';

interface RunSpec {
  label: RunLabel;
  experiment: number;
  name: string;
  status: string;
  user: string;
  start: number;
  end: number | null;
  stage?: 'deleted';
  metrics?: Record<string, number>;
  params?: Record<string, string>;
  tags?: Record<string, string>;
}

/**
 * Runs a1..a7 live in experiment 1 (a7 deleted), b1..b3 in experiment 2, c1 in experiment 3
 * (itself deleted). Run uuids descend as labels ascend, so run_id order differs from start order.
 */
export const RUNS: readonly RunSpec[] = [
  {
    label: 'a1', experiment: 1, name: 'alpha', status: 'FINISHED', user: 'alice', start: 1000, end: 2000,
    metrics: { acc: 0.9, loss: 0.1, 'val acc': 0.5, 'train/loss': 1 },
    params: { model: 'rf', lr: '0.001', epochs: '10', note: "it's", 'my key': 'x' },
    tags: { team: 'vision', 'mlflow.prompt.is_prompt': 'true', priority: '1' },
  },
  {
    label: 'a2', experiment: 1, name: 'beta', status: 'FAILED', user: 'bob', start: 2000, end: 3000,
    metrics: { acc: 0.75, loss: 0.3, 'val acc': 0.6, 'train/loss': 2 },
    params: { model: 'xgb', lr: '0.01', epochs: '5', note: 'say "hi"', ключ: 'значение' },
    tags: { team: 'nlp', 'mlflow.prompt.is_prompt': 'false', priority: '2' },
  },
  {
    label: 'a3', experiment: 1, name: 'gamma', status: 'RUNNING', user: 'alice', start: 3000, end: null,
    metrics: { acc: NaN, loss: 0.2 },
    params: { model: 'rf', lr: '1e-3', epochs: '10.0', note: 'back\\slash' },
    tags: { team: 'vision', priority: 'high' },
  },
  {
    label: 'a4', experiment: 1, name: "o'neil", status: 'FINISHED', user: 'carol', start: 4000, end: 5000,
    metrics: { acc: 0.95, loss: Infinity, 'm.with.dots': 3 },
    params: { model: 'lr', lr: 'abc', epochs: '20', note: '50%' },
    tags: { team: 'Vision' },
  },
  {
    label: 'a5', experiment: 1, name: 'Alpha-2', status: 'KILLED', user: 'Bob', start: 5000, end: 6000,
    metrics: { acc: 0.5, neg: -Infinity },
    params: { model: 'RF', lr: '0.1', note: 'a_b' },
    tags: { emoji: '🚀 launch' },
  },
  {
    label: 'a6', experiment: 1, name: 'δέλτα', status: 'FINISHED', user: 'dora', start: 6000, end: 7000,
    metrics: { 精度: 0.8 },
    params: { lr: '10', note: 'axb', ключ: 'Значение' },
    tags: { emoji: '🚀' },
  },
  {
    label: 'a7', experiment: 1, name: 'deleted-one', status: 'FINISHED', user: 'alice', start: 7000, end: 8000, stage: 'deleted',
    metrics: { acc: 0.99 },
    params: { model: 'rf' },
  },
  {
    label: 'b1', experiment: 2, name: 'alpha', status: 'FINISHED', user: 'erin', start: 1500, end: 2500,
    metrics: { acc: 0.9, loss: NaN },
    params: { model: 'rf', lr: '-0.5', note: 'C:\\data', 'my key': 'y' },
    tags: { team: 'nlp' },
  },
  {
    label: 'b2', experiment: 2, name: 'say "hi"', status: 'SCHEDULED', user: 'erin', start: 2500, end: null,
    metrics: { acc: -1 },
    params: { model: 'svm', lr: '  ' },
  },
  {
    label: 'b3', experiment: 2, name: '100%_done', status: 'FINISHED', user: 'frank', start: 3500, end: 4500,
    metrics: { loss: 0.00001, 精度: 0.7 },
    params: { lr: 'nan' },
  },
  {
    label: 'c1', experiment: 3, name: 'charlie', status: 'FINISHED', user: 'alice', start: 9000, end: 9500,
    metrics: { acc: 0.9 },
    params: { model: 'rf' },
  },
];

/** The active runs of experiments 1 and 2: what an unfiltered search over ['1', '2'] returns. */
export const ACTIVE: RunLabel[] = ['a1', 'a2', 'a3', 'a4', 'a5', 'a6', 'b1', 'b2', 'b3'];

export interface Seeded {
  catalog: Catalog;
  /** runs.id of each label, and back. */
  ids: Record<RunLabel, number>;
  labels: Map<number, RunLabel>;
  uuids: Record<RunLabel, string>;
}

export function uuidOf(label: RunLabel): string {
  return (200 - RUNS.findIndex((r) => r.label === label)).toString(16).padStart(32, '0');
}

/**
 * Experiments: 0 Default (from the migration), 1 exp-a, 2 exp-b, 3 exp-c (deleted), 4 it's exp.
 * Datasets mnist/cifar in experiment 1, mnist in 2; inputs carry the mlflow.data.context tag.
 */
export async function seedCatalog(dir: string): Promise<Seeded> {
  const catalog = await openTestCatalog(dir, 'file');
  const ids = {} as Record<RunLabel, number>;
  const uuids = {} as Record<RunLabel, string>;
  await catalog.write(async (trx) => {
    const experiment = (id: number, name: string, created: number, updated: number, stage = 'active') =>
      trx
        .insertInto('experiments')
        .values({ experiment_id: id, name, artifact_location: `mlflow-artifacts:/${id}`, lifecycle_stage: stage, creation_time: created, last_update_time: updated })
        .execute();
    await experiment(1, 'exp-a', 100, 500);
    await experiment(2, 'exp-b', 200, 300);
    await experiment(3, 'exp-c', 300, 300, 'deleted');
    await experiment(4, "it's exp", 400, 500);
    await trx
      .insertInto('experiment_tags')
      .values([
        { experiment_id: 1, key: 'owner', value: 'alice' },
        { experiment_id: 1, key: 'stage', value: 'prod' },
        { experiment_id: 2, key: 'owner', value: 'bob' },
        { experiment_id: 4, key: 'ключ', value: 'значение' },
      ])
      .execute();

    for (const run of RUNS) {
      const uuid = uuidOf(run.label);
      const row = await trx
        .insertInto('runs')
        .values({
          run_uuid: uuid,
          experiment_id: run.experiment,
          name: run.name,
          user_id: run.user,
          status: run.status,
          start_time: run.start,
          end_time: run.end,
          lifecycle_stage: run.stage ?? 'active',
          artifact_uri: `mlflow-artifacts:/${run.experiment}/${uuid}/artifacts`,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      ids[run.label] = row.id;
      uuids[run.label] = uuid;
      const tags = { 'mlflow.runName': run.name, ...run.tags };
      await trx.insertInto('run_tags').values(Object.entries(tags).map(([key, value]) => ({ run_id: row.id, key, value }))).execute();
      if (run.params) {
        await trx.insertInto('params').values(Object.entries(run.params).map(([key, value]) => ({ run_id: row.id, key, value }))).execute();
      }
      if (run.metrics) {
        await trx
          .insertInto('metric_series')
          .values(
            Object.entries(run.metrics).map(([key, value]) => ({
              run_id: row.id,
              key,
              value: Number.isNaN(value) ? 0 : value,
              is_nan: Number.isNaN(value) ? 1 : 0,
              timestamp: run.start,
              step: 0,
              point_count: 1,
              nan_count: Number.isNaN(value) ? 1 : 0,
              min_step: 0,
              max_step: 0,
            })),
          )
          .execute();
      }
    }

    const dataset = (experiment: number, name: string, digest: string) =>
      trx
        .insertInto('datasets')
        .values({ experiment_id: experiment, name, digest, source_type: 'local', source: `{"uri":"${name}"}`, schema: null, profile: null })
        .returning('id')
        .executeTakeFirstOrThrow();
    const mnist = await dataset(1, 'mnist', 'abc123');
    const cifar = await dataset(1, 'cifar', 'def456');
    const mnist2 = await dataset(2, 'mnist', 'zzz999');
    const context = (value: string) => [{ key: 'mlflow.data.context', value }];
    await trx
      .insertInto('run_inputs')
      .values([
        { run_id: ids.a1, dataset_id: mnist.id, tags_json: JSON.stringify(context('training')) },
        { run_id: ids.a1, dataset_id: cifar.id, tags_json: JSON.stringify(context('evaluation')) },
        { run_id: ids.a2, dataset_id: mnist.id, tags_json: JSON.stringify(context('training')) },
        { run_id: ids.a3, dataset_id: cifar.id, tags_json: '[]' },
        { run_id: ids.b1, dataset_id: mnist2.id, tags_json: JSON.stringify([...context('training'), { key: 'other', value: 'x' }]) },
      ])
      .execute();
  });
  const labels = new Map(Object.entries(ids).map(([label, id]) => [id, label as RunLabel]));
  return { catalog, ids, labels, uuids };
}

/** Row count and content digest of every table, and the schema itself. */
export async function catalogChecksum(catalog: Catalog): Promise<Record<string, string>> {
  const { db } = catalog;
  const tables =
    catalog.dialect === 'postgres'
      ? await sql<{ name: string; sql: string }>`select table_name as name, string_agg(column_name || ' ' || data_type, ', ' order by ordinal_position) as sql
          from information_schema.columns where table_schema = 'public' group by table_name order by table_name`.execute(db)
      : await sql<{ name: string; sql: string }>`select name, sql from sqlite_master where type = 'table' order by name`.execute(db);
  const result: Record<string, string> = { schema: JSON.stringify(tables.rows) };
  for (const { name } of tables.rows) {
    const columns =
      catalog.dialect === 'postgres'
        ? await sql<{ name: string }>`select column_name as name from information_schema.columns where table_schema = 'public' and table_name = ${name} order by ordinal_position`.execute(db)
        : await sql<{ name: string }>`select name from pragma_table_info(${name})`.execute(db);
    const orderBy = sql.join(columns.rows.map((c) => sql.ref(c.name)));
    const rows = await sql<Record<string, unknown>>`select * from ${sql.table(name)} order by ${orderBy}`.execute(db);
    const digest = createHash('sha256').update(JSON.stringify(rows.rows)).digest('hex');
    result[name] = `${rows.rows.length}:${digest}`;
  }
  return result;
}
