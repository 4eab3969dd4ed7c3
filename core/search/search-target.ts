/**
 * What a search runs over, as data: the table, its attributes (with MLflow's aliases) and where
 * its keyed values live. The compiler is generic over this, so the registry can describe
 * registered models and model versions with their own maps and reuse the parser, compiler,
 * ordering and paging unchanged. Table and column names here are constants of the code; user text
 * never becomes an identifier.
 */
import type { EntityKind } from './parse-filter.ts';

/** How an attribute compares: strings (= != LIKE ILIKE IN), numbers, or integer ids (written as strings or numbers). */
export type AttributeType = 'string' | 'number' | 'id';

/** Where an attribute lives and how it compares. */
export interface AttributeSpec {
  /** Column of the target's table. Aliases share the column, which makes them one order_by field. */
  column: string;
  type: AttributeType;
  /** Whether the column can be NULL (end_time of a running run): such rows match no comparison. */
  nullable?: boolean;
}

/** A table of key/value rows hanging off the target (metrics, params, tags). */
export interface KeyedSource {
  table: string;
  /** Column of `table` holding the target's id. */
  ownerColumn: string;
  /**
   * 'metric': `value` is a double with an `is_nan` flag beside it (the latest value of a series);
   * 'string': `value` is text, compared as a number when the filter gives a number.
   */
  values: 'metric' | 'string';
  /**
   * Keys whose absence counts as a value. The registry needs it: clients append
   * tag.`mlflow.prompt.is_prompt` != 'true', and a model without that tag must match.
   */
  missingAs?: Readonly<Record<string, string>>;
}

/** A table of child rows (a trace's spans) whose columns `span.<field>` filters compare. */
export interface SpanSource {
  table: string;
  ownerColumn: string;
  /** Field name to column; all text. */
  columns: Readonly<Record<string, string>>;
}

/** One place a derived attribute's values live: `column` of `table`, in rows with `key` when given. */
export interface DerivedSource {
  table: string;
  ownerColumn: string;
  column: string;
  key?: string;
}

/** Everything the compiler needs to know about one searchable table. */
export interface SearchTarget {
  /** Singular noun for messages ("unknown run attribute"). */
  noun: string;
  table: string;
  /** The id column: what a search returns, and the owner column keyed tables reference. */
  idColumn: string;
  attributes: Readonly<Record<string, AttributeSpec>>;
  keyed: Readonly<Partial<Record<'metric' | 'param' | 'tag' | 'metadata', KeyedSource>>>;
  /** Entity prefixes of filters and order_by, when not the runs' (traces have `trace.`, `metadata.`, `span.`). */
  prefixes?: Readonly<Record<string, EntityKind>>;
  /** `span.<field>` filters: rows of a child table, one per span, matched by column. */
  spans?: SpanSource;
  /**
   * Attribute names that stand for values in other tables (a trace's `name` is its
   * mlflow.traceName tag; its `run_id` its source run or a run it was linked to): a comparison
   * matches when any of the sources has a matching value.
   */
  derived?: Readonly<Record<string, readonly DerivedSource[]>>;
  /**
   * On SQLite, keep filters on keyed values, spans and derived attributes from driving the query
   * (`+id in (...)`): the rows are then walked in the order's index and each checked, so a
   * first page stops early instead of fetching every match and sorting it. Right for tables
   * searched newest first in pages (traces); a very rare value costs a walk of the scope.
   */
  walkInOrder?: boolean;
  /** Whether `datasets.name/digest/context` apply (runs only: they read run_inputs and datasets). */
  datasets: boolean;
  /** order_by used when the request gives none. */
  defaultOrderBy: readonly string[];
  /**
   * Appended to every order unless the attribute is already a key; the last one must be unique,
   * which makes the order total and lets a page token name an exact position.
   */
  tieBreakers: readonly { attribute: string; ascending: boolean }[];
  /** max_results when none is given, and the largest accepted. */
  maxResults: { default: number; max: number };
}

/** Runs: MLflow's run attributes and their aliases (reference §7.1). */
export const RUNS_TARGET: SearchTarget = {
  noun: 'run',
  table: 'runs',
  idColumn: 'id',
  attributes: {
    run_id: { column: 'run_uuid', type: 'string' },
    // run_name follows the mlflow.runName tag: the tracking service keeps runs.name in sync with it.
    run_name: { column: 'name', type: 'string' },
    'run name': { column: 'name', type: 'string' },
    'Run name': { column: 'name', type: 'string' },
    'Run Name': { column: 'name', type: 'string' },
    status: { column: 'status', type: 'string' },
    user_id: { column: 'user_id', type: 'string' },
    artifact_uri: { column: 'artifact_uri', type: 'string' },
    lifecycle_stage: { column: 'lifecycle_stage', type: 'string' },
    experiment_id: { column: 'experiment_id', type: 'id' },
    start_time: { column: 'start_time', type: 'number' },
    created: { column: 'start_time', type: 'number' },
    Created: { column: 'start_time', type: 'number' },
    end_time: { column: 'end_time', type: 'number', nullable: true },
  },
  keyed: {
    metric: { table: 'metric_series', ownerColumn: 'run_id', values: 'metric' },
    param: { table: 'params', ownerColumn: 'run_id', values: 'string' },
    tag: { table: 'run_tags', ownerColumn: 'run_id', values: 'string' },
  },
  datasets: true,
  defaultOrderBy: [],
  tieBreakers: [
    { attribute: 'start_time', ascending: false },
    { attribute: 'run_id', ascending: true },
  ],
  maxResults: { default: 1000, max: 50_000 },
};

/** Experiments (reference §7.2): attributes and tags only. */
export const EXPERIMENTS_TARGET: SearchTarget = {
  noun: 'experiment',
  table: 'experiments',
  idColumn: 'experiment_id',
  attributes: {
    name: { column: 'name', type: 'string' },
    experiment_id: { column: 'experiment_id', type: 'id' },
    creation_time: { column: 'creation_time', type: 'number' },
    last_update_time: { column: 'last_update_time', type: 'number' },
  },
  keyed: {
    tag: { table: 'experiment_tags', ownerColumn: 'experiment_id', values: 'string' },
  },
  datasets: false,
  defaultOrderBy: ['creation_time DESC', 'experiment_id ASC'],
  // MLflow appends experiment_id DESC (not ASC) when the order does not mention it.
  tieBreakers: [{ attribute: 'experiment_id', ascending: false }],
  maxResults: { default: 1000, max: 50_000 },
};
