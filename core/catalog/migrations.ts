/**
 * Catalog migrations, in code. Each entry upgrades the schema by one version; the version a
 * catalog is at lives in `flowdesk_meta`. Written with Kysely's schema builder so the same list
 * serves SQLite and PostgreSQL; the few dialect differences are spelled out where they occur.
 *
 * `migrate` (catalog.ts) runs them, not Kysely's Migrator: that one runs each SQLite migration
 * outside a transaction (its SQLite adapter reports no transactional DDL), so a crash between two
 * statements would leave a half-upgraded catalog. `migrate` commits each version together with its
 * version bump (the whole upgrade at once on PostgreSQL) and refuses catalogs of a newer build;
 * test/catalog/migrations.test.ts and test/postgres/migrations.test.ts hold it to that.
 */
import { sql, type ColumnDefinitionBuilder, type Kysely } from 'kysely';

export type Dialect = 'sqlite' | 'postgres';

export interface Migration {
  description: string;
  up(db: Kysely<unknown>, dialect: Dialect): Promise<void>;
}

/** A primary key column whose values are never reused, even after rows are purged. */
function serialType(dialect: Dialect) {
  return dialect === 'postgres' ? sql`bigserial` : sql`integer`;
}

/** Clustered storage for append-heavy tables: SQLite stores the rows in the primary-key b-tree. */
function withoutRowid(dialect: Dialect) {
  return dialect === 'sqlite' ? sql`without rowid` : sql``;
}

/** The primary-key builder for a `serialType` column; AUTOINCREMENT on SQLite so ids are never reused. */
function serialPrimaryKey(dialect: Dialect) {
  return (c: ColumnDefinitionBuilder) => {
    const col = c.primaryKey();
    return dialect === 'sqlite' ? col.autoIncrement() : col;
  };
}

const bigint = 'bigint' as const;

export const MIGRATIONS: Migration[] = [
  {
    description: 'tracking: experiments, runs, params, tags, metrics with summaries, datasets',
    async up(db, dialect) {
      await db.schema
        .createTable('experiments')
        .addColumn('experiment_id', serialType(dialect), (c) => {
          const col = c.primaryKey();
          return dialect === 'sqlite' ? col.autoIncrement() : col;
        })
        .addColumn('name', 'text', (c) => c.notNull().unique())
        .addColumn('artifact_location', 'text', (c) => c.notNull())
        .addColumn('lifecycle_stage', 'text', (c) => c.notNull())
        .addColumn('creation_time', bigint, (c) => c.notNull())
        .addColumn('last_update_time', bigint, (c) => c.notNull())
        .addColumn('deleted_time', bigint)
        .execute();
      await db.schema
        .createTable('experiment_tags')
        .addColumn('experiment_id', bigint, (c) => c.notNull().references('experiments.experiment_id').onDelete('cascade'))
        .addColumn('key', 'text', (c) => c.notNull())
        .addColumn('value', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('experiment_tags_pk', ['experiment_id', 'key'])
        .execute();
      await db.schema
        .createTable('runs')
        .addColumn('id', serialType(dialect), (c) => {
          const col = c.primaryKey();
          return dialect === 'sqlite' ? col.autoIncrement() : col;
        })
        .addColumn('run_uuid', 'text', (c) => c.notNull().unique())
        .addColumn('experiment_id', bigint, (c) => c.notNull().references('experiments.experiment_id').onDelete('cascade'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('start_time', bigint, (c) => c.notNull())
        .addColumn('end_time', bigint)
        .addColumn('lifecycle_stage', 'text', (c) => c.notNull())
        .addColumn('artifact_uri', 'text', (c) => c.notNull())
        .addColumn('deleted_time', bigint)
        .execute();
      await db.schema.createIndex('runs_by_experiment').on('runs').columns(['experiment_id', 'start_time']).execute();
      await db.schema
        .createTable('run_tags')
        .addColumn('run_id', bigint, (c) => c.notNull().references('runs.id').onDelete('cascade'))
        .addColumn('key', 'text', (c) => c.notNull())
        .addColumn('value', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('run_tags_pk', ['run_id', 'key'])
        .execute();
      await db.schema
        .createTable('params')
        .addColumn('run_id', bigint, (c) => c.notNull().references('runs.id').onDelete('cascade'))
        .addColumn('key', 'text', (c) => c.notNull())
        .addColumn('value', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('params_pk', ['run_id', 'key'])
        .execute();
      await db.schema
        .createTable('metric_series')
        .addColumn('id', serialType(dialect), (c) => {
          const col = c.primaryKey();
          return dialect === 'sqlite' ? col.autoIncrement() : col;
        })
        .addColumn('run_id', bigint, (c) => c.notNull().references('runs.id').onDelete('cascade'))
        .addColumn('key', 'text', (c) => c.notNull())
        .addColumn('value', 'double precision', (c) => c.notNull())
        .addColumn('is_nan', 'integer', (c) => c.notNull())
        .addColumn('timestamp', bigint, (c) => c.notNull())
        .addColumn('step', bigint, (c) => c.notNull())
        .addColumn('point_count', bigint, (c) => c.notNull())
        .addColumn('nan_count', bigint, (c) => c.notNull())
        .addColumn('min_step', bigint, (c) => c.notNull())
        .addColumn('max_step', bigint, (c) => c.notNull())
        .addUniqueConstraint('metric_series_run_key', ['run_id', 'key'])
        .execute();
      // Metric points carry no foreign key: a purge deletes them by series explicitly, and a
      // per-row constraint check would cost the hot insert path for no protection we need.
      await db.schema
        .createTable('metrics')
        .addColumn('series_id', bigint, (c) => c.notNull())
        .addColumn('step', bigint, (c) => c.notNull())
        .addColumn('timestamp', bigint, (c) => c.notNull())
        .addColumn('value', 'double precision', (c) => c.notNull())
        .addColumn('is_nan', 'integer', (c) => c.notNull())
        .addPrimaryKeyConstraint('metrics_pk', ['series_id', 'step', 'timestamp', 'value', 'is_nan'])
        .modifyEnd(withoutRowid(dialect))
        .execute();
      await db.schema
        .createTable('metric_buckets')
        .addColumn('series_id', bigint, (c) => c.notNull())
        .addColumn('level', 'integer', (c) => c.notNull())
        .addColumn('bucket', bigint, (c) => c.notNull())
        .addColumn('count', bigint, (c) => c.notNull())
        .addColumn('min', 'double precision', (c) => c.notNull())
        .addColumn('max', 'double precision', (c) => c.notNull())
        .addColumn('first_step', bigint, (c) => c.notNull())
        .addColumn('first_timestamp', bigint, (c) => c.notNull())
        .addColumn('first_value', 'double precision', (c) => c.notNull())
        .addColumn('last_step', bigint, (c) => c.notNull())
        .addColumn('last_timestamp', bigint, (c) => c.notNull())
        .addColumn('last_value', 'double precision', (c) => c.notNull())
        .addPrimaryKeyConstraint('metric_buckets_pk', ['series_id', 'level', 'bucket'])
        .modifyEnd(withoutRowid(dialect))
        .execute();
      await db.schema
        .createTable('datasets')
        .addColumn('id', serialType(dialect), (c) => {
          const col = c.primaryKey();
          return dialect === 'sqlite' ? col.autoIncrement() : col;
        })
        .addColumn('experiment_id', bigint, (c) => c.notNull().references('experiments.experiment_id').onDelete('cascade'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('digest', 'text', (c) => c.notNull())
        .addColumn('source_type', 'text', (c) => c.notNull())
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('schema', 'text')
        .addColumn('profile', 'text')
        .addUniqueConstraint('datasets_identity', ['experiment_id', 'name', 'digest'])
        .execute();
      await db.schema
        .createTable('run_inputs')
        .addColumn('run_id', bigint, (c) => c.notNull().references('runs.id').onDelete('cascade'))
        .addColumn('dataset_id', bigint, (c) => c.notNull().references('datasets.id').onDelete('cascade'))
        .addColumn('tags_json', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('run_inputs_pk', ['run_id', 'dataset_id'])
        .execute();
      // The Default experiment "0" always exists: MLflow clients log there when none is chosen.
      const now = Date.now();
      await sql`insert into experiments (experiment_id, name, artifact_location, lifecycle_stage, creation_time, last_update_time)
        values (0, 'Default', 'mlflow-artifacts:/0', 'active', ${now}, ${now})`.execute(db);
    },
  },
  {
    description: 'logged models (MLflow 3): models with params, tags and metrics; run model outputs and inputs',
    async up(db) {
      // Every table here cascades from experiments (through logged_models) or from runs, so a
      // purge that deletes those rows takes the logged models and their links along.
      await db.schema
        .createTable('logged_models')
        .addColumn('model_id', 'text', (c) => c.primaryKey())
        .addColumn('experiment_id', bigint, (c) => c.notNull().references('experiments.experiment_id').onDelete('cascade'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('model_type', 'text')
        // No foreign key: the model outlives a purged run, as in MLflow.
        .addColumn('source_run_id', 'text')
        .addColumn('artifact_uri', 'text', (c) => c.notNull())
        .addColumn('creation_time', bigint, (c) => c.notNull())
        .addColumn('last_updated_time', bigint, (c) => c.notNull())
        .addColumn('lifecycle_stage', 'text', (c) => c.notNull())
        .addColumn('deleted_time', bigint)
        .execute();
      await db.schema.createIndex('logged_models_by_experiment').on('logged_models').columns(['experiment_id', 'creation_time']).execute();
      // register_model from a runs:/ URI searches by name, then keeps the run's models.
      await db.schema.createIndex('logged_models_by_name').on('logged_models').columns(['name']).execute();
      for (const table of ['logged_model_params', 'logged_model_tags'] as const) {
        await db.schema
          .createTable(table)
          .addColumn('model_id', 'text', (c) => c.notNull().references('logged_models.model_id').onDelete('cascade'))
          .addColumn('key', 'text', (c) => c.notNull())
          .addColumn('value', 'text', (c) => c.notNull())
          .addPrimaryKeyConstraint(`${table}_pk`, ['model_id', 'key'])
          .execute();
      }
      await db.schema
        .createTable('logged_model_metrics')
        .addColumn('model_id', 'text', (c) => c.notNull().references('logged_models.model_id').onDelete('cascade'))
        .addColumn('key', 'text', (c) => c.notNull())
        .addColumn('value', 'double precision', (c) => c.notNull())
        .addColumn('is_nan', 'integer', (c) => c.notNull())
        .addColumn('timestamp', bigint, (c) => c.notNull())
        .addColumn('step', bigint, (c) => c.notNull())
        .addColumn('run_id', 'text', (c) => c.notNull())
        .addColumn('dataset_name', 'text', (c) => c.notNull())
        .addColumn('dataset_digest', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('logged_model_metrics_pk', ['model_id', 'key', 'dataset_name', 'dataset_digest', 'step', 'timestamp', 'value', 'is_nan'])
        .execute();
      await db.schema
        .createTable('run_model_outputs')
        .addColumn('run_id', bigint, (c) => c.notNull().references('runs.id').onDelete('cascade'))
        .addColumn('model_id', 'text', (c) => c.notNull().references('logged_models.model_id').onDelete('cascade'))
        .addColumn('step', bigint, (c) => c.notNull())
        .addPrimaryKeyConstraint('run_model_outputs_pk', ['run_id', 'model_id'])
        .execute();
      await db.schema
        .createTable('run_model_inputs')
        .addColumn('run_id', bigint, (c) => c.notNull().references('runs.id').onDelete('cascade'))
        .addColumn('model_id', 'text', (c) => c.notNull().references('logged_models.model_id').onDelete('cascade'))
        .addPrimaryKeyConstraint('run_model_inputs_pk', ['run_id', 'model_id'])
        .execute();
    },
  },
  {
    description: 'search: indexes that turn filter clauses on params, tags, metrics and datasets into lookups',
    async up(db, dialect) {
      // Filters compile to `runs.id in (select run_id from <table> where key = ? and ...)`.
      // PostgreSQL caps a b-tree entry near 2.7 KB and values may hold 8,000 characters, so
      // there the text indexes stop at the key.
      const textValue = dialect === 'postgres' ? [] : ['value'];
      await db.schema.createIndex('params_by_key_value').on('params').columns(['key', ...textValue, 'run_id']).execute();
      await db.schema.createIndex('run_tags_by_key_value').on('run_tags').columns(['key', ...textValue, 'run_id']).execute();
      await db.schema.createIndex('experiment_tags_by_key_value').on('experiment_tags').columns(['key', ...textValue, 'experiment_id']).execute();
      await db.schema.createIndex('metric_series_by_key_value').on('metric_series').columns(['key', 'is_nan', 'value', 'run_id']).execute();
      await db.schema.createIndex('run_inputs_by_dataset').on('run_inputs').column('dataset_id').execute();
    },
  },
  {
    description: 'model registry: registered models, versions, tags, aliases, protections, transition requests and an append-only history',
    async up(db, dialect) {
      const serialKey = serialPrimaryKey(dialect);
      // Ids are never reused (AUTOINCREMENT on SQLite): the history names models by id and must
      // not attach a deleted model's past to a new one.
      await db.schema
        .createTable('registered_models')
        .addColumn('id', serialType(dialect), serialKey)
        .addColumn('name', 'text', (c) => c.notNull().unique())
        .addColumn('description', 'text')
        .addColumn('user_id', 'text')
        .addColumn('creation_time', bigint, (c) => c.notNull())
        .addColumn('last_updated_time', bigint, (c) => c.notNull())
        // The highest version number ever given out, so a deleted version's number is never reused.
        .addColumn('last_version', 'integer', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('registered_model_tags')
        .addColumn('registered_model_id', bigint, (c) => c.notNull().references('registered_models.id').onDelete('cascade'))
        .addColumn('key', 'text', (c) => c.notNull())
        .addColumn('value', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('registered_model_tags_pk', ['registered_model_id', 'key'])
        .execute();
      // Aliases and stages whose moves need an approval, per model.
      await db.schema
        .createTable('registry_protections')
        .addColumn('registered_model_id', bigint, (c) => c.notNull().references('registered_models.id').onDelete('cascade'))
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('target', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('registry_protections_pk', ['registered_model_id', 'kind', 'target'])
        .execute();
      // model_name repeats the registered model's name so version search filters and sorts on a
      // column of its own table; a rename updates both in one transaction.
      await db.schema
        .createTable('model_versions')
        .addColumn('id', serialType(dialect), serialKey)
        .addColumn('registered_model_id', bigint, (c) => c.notNull().references('registered_models.id').onDelete('cascade'))
        .addColumn('model_name', 'text', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('source', 'text', (c) => c.notNull())
        // The concrete mlflow-artifacts:/ location the source resolved to when the version was made.
        .addColumn('storage_location', 'text', (c) => c.notNull())
        // No foreign keys to runs or logged models: a version outlives a purged run, as in MLflow.
        .addColumn('run_id', 'text')
        .addColumn('run_link', 'text')
        .addColumn('logged_model_id', 'text')
        .addColumn('description', 'text')
        .addColumn('current_stage', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('user_id', 'text')
        .addColumn('creation_time', bigint, (c) => c.notNull())
        .addColumn('last_updated_time', bigint, (c) => c.notNull())
        .addUniqueConstraint('model_versions_number', ['registered_model_id', 'version'])
        .execute();
      await db.schema.createIndex('model_versions_by_run').on('model_versions').column('run_id').execute();
      await db.schema.createIndex('model_versions_by_logged_model').on('model_versions').column('logged_model_id').execute();
      await db.schema.createIndex('model_versions_by_name').on('model_versions').columns(['model_name', 'version']).execute();
      await db.schema
        .createTable('model_version_tags')
        .addColumn('version_id', bigint, (c) => c.notNull().references('model_versions.id').onDelete('cascade'))
        .addColumn('key', 'text', (c) => c.notNull())
        .addColumn('value', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('model_version_tags_pk', ['version_id', 'key'])
        .execute();
      // Tag filters compile to `id in (select owner from <tags> where key = ? ...)`, as for runs.
      const textValue = dialect === 'postgres' ? [] : ['value'];
      await db.schema.createIndex('registered_model_tags_by_key_value').on('registered_model_tags').columns(['key', ...textValue, 'registered_model_id']).execute();
      await db.schema.createIndex('model_version_tags_by_key_value').on('model_version_tags').columns(['key', ...textValue, 'version_id']).execute();
      // Deleting a version takes its aliases along (MLflow drops them too).
      await db.schema
        .createTable('registered_model_aliases')
        .addColumn('registered_model_id', bigint, (c) => c.notNull())
        .addColumn('alias', 'text', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addPrimaryKeyConstraint('registered_model_aliases_pk', ['registered_model_id', 'alias'])
        .addForeignKeyConstraint('registered_model_aliases_version', ['registered_model_id', 'version'], 'model_versions', ['registered_model_id', 'version'], (fk) =>
          fk.onDelete('cascade'),
        )
        .execute();
      // Requests to move a version onto a protected alias or stage. They go with their version;
      // what happened to them stays in the history.
      await db.schema
        .createTable('registry_requests')
        .addColumn('id', serialType(dialect), serialKey)
        .addColumn('version_id', bigint, (c) => c.notNull().references('model_versions.id').onDelete('cascade'))
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('target', 'text', (c) => c.notNull())
        .addColumn('archive_existing_versions', 'integer', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('requested_by', 'text', (c) => c.notNull())
        .addColumn('requested_time', bigint, (c) => c.notNull())
        .addColumn('comment', 'text')
        .addColumn('decided_by', 'text')
        .addColumn('decided_time', bigint)
        .addColumn('decision_comment', 'text')
        .execute();
      await db.schema.createIndex('registry_requests_by_version').on('registry_requests').columns(['version_id', 'status']).execute();
      await db.schema.createIndex('registry_requests_by_status').on('registry_requests').columns(['status', 'id']).execute();
      // The audit log. No foreign key: the history of a model outlives the model.
      await db.schema
        .createTable('registry_history')
        .addColumn('id', serialType(dialect), serialKey)
        .addColumn('time', bigint, (c) => c.notNull())
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('registered_model_id', bigint, (c) => c.notNull())
        .addColumn('model_name', 'text', (c) => c.notNull())
        .addColumn('version', 'integer')
        .addColumn('before_json', 'text')
        .addColumn('after_json', 'text')
        .execute();
      await db.schema.createIndex('registry_history_by_model').on('registry_history').columns(['registered_model_id', 'version', 'id']).execute();
      await db.schema.createIndex('registry_history_by_name').on('registry_history').columns(['model_name', 'id']).execute();
      // Append-only in the database itself, whatever code runs against it: updates and deletes abort.
      if (dialect === 'sqlite') {
        for (const event of ['update', 'delete'] as const) {
          await sql`create trigger ${sql.id(`registry_history_no_${event}`)} before ${sql.raw(event)} on registry_history
            begin select raise(abort, 'registry history is append-only'); end`.execute(db);
        }
        // INSERT OR REPLACE deletes a conflicting row without firing delete triggers (unless
        // recursive_triggers is on), so an insert that reuses an id aborts before it gets there.
        await sql`create trigger registry_history_no_replace before insert on registry_history
          when exists (select 1 from registry_history where id = new.id)
          begin select raise(abort, 'registry history is append-only'); end`.execute(db);
      } else {
        await sql`create function registry_history_append_only() returns trigger language plpgsql as $$
          begin raise exception 'registry history is append-only'; end $$`.execute(db);
        await sql`create trigger registry_history_no_change before update or delete on registry_history
          for each row execute function registry_history_append_only()`.execute(db);
        await sql`create trigger registry_history_no_truncate before truncate on registry_history
          for each statement execute function registry_history_append_only()`.execute(db);
      }
    },
  },
  {
    description: 'people: users with a role, and their tokens stored as SHA-256 hashes',
    async up(db, dialect) {
      await db.schema
        .createTable('users')
        .addColumn('id', serialType(dialect), serialPrimaryKey(dialect))
        .addColumn('name', 'text', (c) => c.notNull().unique())
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('created_time', bigint, (c) => c.notNull())
        .addColumn('revoked_time', bigint)
        .execute();
      // `id` is public (signed tickets name it); `token_hash` is what a presented token is looked up by.
      await db.schema
        .createTable('user_tokens')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('user_id', bigint, (c) => c.notNull().references('users.id'))
        .addColumn('token_hash', 'text', (c) => c.notNull().unique())
        .addColumn('created_time', bigint, (c) => c.notNull())
        .execute();
    },
  },
  {
    description: 'metrics: -0 kept, as a flag beside the value (SQLite stores -0.0 in a REAL column as 0)',
    async up(db) {
      // Adding a column with a constant default rewrites no rows on either dialect.
      for (const table of ['metrics', 'metric_series', 'logged_model_metrics']) {
        await db.schema.alterTable(table).addColumn('negative_zero', 'integer', (c) => c.notNull().defaultTo(0)).execute();
      }
      await db.schema.alterTable('metric_buckets').addColumn('negative_zeros', 'integer', (c) => c.notNull().defaultTo(0)).execute();
    },
  },
  {
    description: 'tracing (MLflow 3): traces with tags, metadata, linked runs, spans and assessments',
    async up(db, dialect) {
      // Traces go with their experiment; everything else hangs off a trace by its integer id, so
      // deleting a trace row takes its spans, tags, metadata, links and assessments along.
      await db.schema
        .createTable('traces')
        .addColumn('id', serialType(dialect), serialPrimaryKey(dialect))
        .addColumn('trace_id', 'text', (c) => c.notNull().unique())
        .addColumn('experiment_id', bigint, (c) => c.notNull().references('experiments.experiment_id').onDelete('cascade'))
        .addColumn('client_request_id', 'text')
        .addColumn('request_time', bigint, (c) => c.notNull())
        .addColumn('execution_duration', bigint)
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('request_preview', 'text')
        .addColumn('response_preview', 'text')
        // Copies of the metadata mlflow.sourceRun and mlflow.modelId: the trash and the run and
        // model searches read them on every query, so they are columns with indexes of their own.
        .addColumn('source_run', 'text')
        .addColumn('model_id', 'text')
        .addColumn('input_tokens', bigint)
        .addColumn('output_tokens', bigint)
        .addColumn('total_tokens', bigint)
        .addColumn('span_count', 'integer', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('traces_by_experiment').on('traces').columns(['experiment_id', 'request_time', 'trace_id']).execute();
      await db.schema.createIndex('traces_by_state').on('traces').columns(['experiment_id', 'state', 'request_time']).execute();
      await db.schema.createIndex('traces_by_source_run').on('traces').column('source_run').execute();
      await db.schema.createIndex('traces_by_model').on('traces').column('model_id').execute();
      const textValue = dialect === 'postgres' ? [] : ['value'];
      for (const table of ['trace_tags', 'trace_metadata'] as const) {
        await db.schema
          .createTable(table)
          .addColumn('trace_id', bigint, (c) => c.notNull().references('traces.id').onDelete('cascade'))
          .addColumn('key', 'text', (c) => c.notNull())
          .addColumn('value', 'text', (c) => c.notNull())
          .addPrimaryKeyConstraint(`${table}_pk`, ['trace_id', 'key'])
          .execute();
        // Filters compile to `traces.id in (select trace_id from <table> where key = ? and ...)`.
        await db.schema.createIndex(`${table}_by_key_value`).on(table).columns(['key', ...textValue, 'trace_id']).execute();
      }
      // Runs a trace was linked to after the fact (MLflow's LinkTracesToRun); no foreign key to
      // runs, as MLflow keeps the association by id.
      await db.schema
        .createTable('trace_runs')
        .addColumn('trace_id', bigint, (c) => c.notNull().references('traces.id').onDelete('cascade'))
        .addColumn('run_uuid', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('trace_runs_pk', ['trace_id', 'run_uuid'])
        .execute();
      await db.schema.createIndex('trace_runs_by_run').on('trace_runs').columns(['run_uuid', 'trace_id']).execute();
      // Nanosecond times are decimal text: they pass 2^53, where JavaScript numbers lose digits.
      await db.schema
        .createTable('trace_spans')
        .addColumn('trace_id', bigint, (c) => c.notNull().references('traces.id').onDelete('cascade'))
        .addColumn('span_id', 'text', (c) => c.notNull())
        .addColumn('parent_span_id', 'text')
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('span_type', 'text')
        .addColumn('start_time_ns', 'text', (c) => c.notNull())
        .addColumn('end_time_ns', 'text')
        .addColumn('status_code', 'text', (c) => c.notNull())
        .addColumn('status_message', 'text', (c) => c.notNull())
        .addColumn('attributes_json', 'text', (c) => c.notNull())
        .addColumn('events_json', 'text', (c) => c.notNull())
        // The store path of the span's full attributes when they were too large to keep inline.
        .addColumn('attributes_path', 'text')
        .addPrimaryKeyConstraint('trace_spans_pk', ['trace_id', 'span_id'])
        .execute();
      await db.schema.createIndex('trace_spans_by_name').on('trace_spans').columns(['name', 'trace_id']).execute();
      await db.schema
        .createTable('trace_assessments')
        .addColumn('assessment_id', 'text', (c) => c.primaryKey())
        .addColumn('trace_id', bigint, (c) => c.notNull().references('traces.id').onDelete('cascade'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('span_id', 'text')
        .addColumn('source_type', 'text', (c) => c.notNull())
        .addColumn('source_id', 'text', (c) => c.notNull())
        .addColumn('create_time', bigint, (c) => c.notNull())
        .addColumn('last_update_time', bigint, (c) => c.notNull())
        .addColumn('value_json', 'text')
        .addColumn('error_json', 'text')
        .addColumn('rationale', 'text')
        .addColumn('metadata_json', 'text')
        .addColumn('overrides', 'text')
        .addColumn('valid', 'integer', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('trace_assessments_by_trace').on('trace_assessments').columns(['trace_id', 'create_time']).execute();
    },
  },
  {
    description: "traces: indexes for the window's sorts (latency, tokens, status, id, both ways) and its exact count, at 100,000 traces an experiment",
    async up(db, dialect) {
      // Each matches, expression for expression, the ORDER BY that core/search/compile-order.ts
      // writes for a sort (a missing value ranks last whichever the direction, then the value,
      // then the trace id), so a page is read in index order instead of sorting every trace of
      // the experiment. PostgreSQL sorts text in the "C" collation there, so its indexes do too.
      const text = (column: string) => (dialect === 'postgres' ? sql`${sql.ref(column)} collate "C"` : sql.ref(column));
      const nullable = (column: string, direction: 'asc' | 'desc') =>
        sql`(case when ${sql.ref(column)} is null then 1 else 0 end), (coalesce(${sql.ref(column)}, 0)) ${sql.raw(direction)}, (${text('trace_id')})`;
      const indexes: [string, ReturnType<typeof sql>][] = [
        ['traces_by_latency_asc', nullable('execution_duration', 'asc')],
        ['traces_by_latency_desc', nullable('execution_duration', 'desc')],
        ['traces_by_tokens_asc', nullable('total_tokens', 'asc')],
        ['traces_by_tokens_desc', nullable('total_tokens', 'desc')],
        ['traces_by_status_asc', sql`(${text('state')}), (${text('trace_id')})`],
        ['traces_by_status_desc', sql`(${text('state')}) desc, (${text('trace_id')})`],
        ['traces_by_trace_id', sql`(${text('trace_id')})`],
        // Every search and count reads the source run (a trace in the trash with its run is left
        // out): beside the experiment, a count is read from the index alone.
        ['traces_by_experiment_run', sql`source_run`],
      ];
      for (const [name, columns] of indexes) await sql`create index ${sql.id(name)} on traces (experiment_id, ${columns})`.execute(db);
    },
  },
  {
    description: 'runs table: an index on (experiment, lifecycle stage, start time) that answers "the active runs of this experiment" alone',
    async up(db) {
      // Counts, column stats and group-by over a 50,000-run experiment read each run's stage;
      // through runs_by_experiment that is a read of the whole wide runs row per run. With the
      // stage in the index they never leave it, and searches ordered by start time keep their order.
      await db.schema.createIndex('runs_by_experiment_stage').on('runs').columns(['experiment_id', 'lifecycle_stage', 'start_time']).execute();
    },
  },
  {
    description: "runs table: answers of the whole-experiment aggregates (column stats, group-by) kept with each experiment's epoch, which triggers advance on any change they depend on",
    async up(db, dialect) {
      // One row per experiment the window has asked about. `valid` is 1 while some cached answer
      // may hold the current epoch: the first change after that advances the epoch and clears it,
      // so later changes update nothing (no write, and on PostgreSQL no row lock for writers to share).
      await db.schema
        .createTable('aggregate_epochs')
        .addColumn('experiment_id', bigint, (c) => c.primaryKey())
        .addColumn('epoch', bigint, (c) => c.notNull())
        .addColumn('valid', 'integer', (c) => c.notNull())
        .execute();
      // `epochs` is the JSON of the epochs of the request's experiments when the answer was read.
      await db.schema
        .createTable('aggregate_cache')
        .addColumn('request', 'text', (c) => c.primaryKey())
        .addColumn('epochs', 'text', (c) => c.notNull())
        .addColumn('answer', 'text', (c) => c.notNull())
        .addColumn('filled_at', bigint, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('aggregate_cache_by_time').on('aggregate_cache').column('filled_at').execute();
      const advance = (experiments: string) => `update aggregate_epochs set epoch = epoch + 1, valid = 0 where valid = 1 and experiment_id in (${experiments})`;
      const ofRuns = (...refs: string[]) => `select experiment_id from runs where id in (${refs.join(', ')})`;
      if (dialect === 'sqlite') {
        // What the unfiltered aggregates read: which runs an experiment has and in which stage,
        // their params, and the latest value of each of their metrics.
        const triggers: [string, string, string][] = [
          ['runs_insert', 'after insert on runs', advance('new.experiment_id')],
          ['runs_delete', 'after delete on runs', advance('old.experiment_id')],
          ['runs_update', 'after update of experiment_id, lifecycle_stage on runs', advance('old.experiment_id, new.experiment_id')],
          ['params_insert', 'after insert on params', advance(ofRuns('new.run_id'))],
          ['params_delete', 'after delete on params', advance(ofRuns('old.run_id'))],
          ['params_update', 'after update on params', advance(ofRuns('old.run_id', 'new.run_id'))],
          ['metric_series_insert', 'after insert on metric_series', advance(ofRuns('new.run_id'))],
          ['metric_series_delete', 'after delete on metric_series', advance(ofRuns('old.run_id'))],
          ['metric_series_update', 'after update of run_id, key, value, is_nan on metric_series', advance(ofRuns('old.run_id', 'new.run_id'))],
        ];
        for (const [name, event, body] of triggers) await sql`create trigger ${sql.id(`aggregates_${name}`)} ${sql.raw(event)} begin ${sql.raw(body)}; end`.execute(db);
      } else {
        // OLD is null in an insert trigger and NEW in a delete trigger, so one function serves all three.
        await sql`create function aggregates_advance_by_experiment() returns trigger language plpgsql as $$
          begin ${sql.raw(advance('old.experiment_id, new.experiment_id'))}; return null; end $$`.execute(db);
        await sql`create function aggregates_advance_by_run() returns trigger language plpgsql as $$
          begin ${sql.raw(advance(ofRuns('old.run_id', 'new.run_id')))}; return null; end $$`.execute(db);
        await sql`create trigger aggregates_runs after insert or delete or update of experiment_id, lifecycle_stage on runs
          for each row execute function aggregates_advance_by_experiment()`.execute(db);
        await sql`create trigger aggregates_params after insert or delete or update on params
          for each row execute function aggregates_advance_by_run()`.execute(db);
        await sql`create trigger aggregates_metric_series after insert or delete or update of run_id, key, value, is_nan on metric_series
          for each row execute function aggregates_advance_by_run()`.execute(db);
      }
    },
  },
];

/** The schema version this build writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;
