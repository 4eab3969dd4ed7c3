/**
 * Registered-model and model-version search (reference §7.3, §7.4) as search targets of the
 * generic page query: the same parser, compiler, ordering and paging as runs. Prompts (models
 * tagged `mlflow.prompt.is_prompt` = 'true') stay out of both unless the filter names that tag;
 * the tag's absence counts as 'false', so the clause MLflow clients append keeps ordinary models.
 */
import { sql, type SqlBool } from 'kysely';
import type { Db } from '#core/catalog/catalog.ts';
import type { Dialect } from '#core/catalog/migrations.ts';
import type { FilterNode } from '#core/search/parse-filter.ts';
import type { SearchTarget } from '#core/search/search-target.ts';
import { parseFilter, searchPage, type SearchRequest } from '#core/search/search.ts';

/** The tag MLflow marks prompts with; prompts are registered models too. */
export const PROMPT_TAG = 'mlflow.prompt.is_prompt';

/** Registered models: attribute `name` (and update/creation times), `tags.`; default order by name. */
export const REGISTERED_MODELS_TARGET: SearchTarget = {
  noun: 'registered model',
  table: 'registered_models',
  idColumn: 'id',
  attributes: {
    name: { column: 'name', type: 'string' },
    timestamp: { column: 'last_updated_time', type: 'number' },
    last_updated_timestamp: { column: 'last_updated_time', type: 'number' },
    creation_timestamp: { column: 'creation_time', type: 'number' },
  },
  keyed: { tag: { table: 'registered_model_tags', ownerColumn: 'registered_model_id', values: 'string', missingAs: { [PROMPT_TAG]: 'false' } } },
  datasets: false,
  defaultOrderBy: ['name ASC'],
  tieBreakers: [{ attribute: 'name', ascending: true }],
  maxResults: { default: 100, max: 1000 },
};

/**
 * Model versions: MLflow's attributes plus `current_stage` and `model_id`; default order newest
 * update first. (name, version_number) is unique, which makes the order total.
 */
export const MODEL_VERSIONS_TARGET: SearchTarget = {
  noun: 'model version',
  table: 'model_versions',
  idColumn: 'id',
  attributes: {
    name: { column: 'model_name', type: 'string' },
    run_id: { column: 'run_id', type: 'string', nullable: true },
    source_path: { column: 'source', type: 'string' },
    version_number: { column: 'version', type: 'number' },
    current_stage: { column: 'current_stage', type: 'string' },
    model_id: { column: 'logged_model_id', type: 'string', nullable: true },
    creation_timestamp: { column: 'creation_time', type: 'number' },
    last_updated_timestamp: { column: 'last_updated_time', type: 'number' },
  },
  keyed: { tag: { table: 'model_version_tags', ownerColumn: 'version_id', values: 'string', missingAs: { [PROMPT_TAG]: 'false' } } },
  datasets: false,
  defaultOrderBy: ['last_updated_timestamp DESC', 'name ASC', 'version_number DESC'],
  tieBreakers: [
    { attribute: 'name', ascending: true },
    { attribute: 'version_number', ascending: false },
  ],
  // MLflow's proto default is the maximum (200,000); a smaller default keeps a bare request cheap.
  maxResults: { default: 10_000, max: 200_000 },
};

/** Whether a filter compares the prompt tag anywhere: then the caller decides about prompts. */
function namesPromptTag(node: FilterNode | undefined): boolean {
  if (!node) return false;
  switch (node.kind) {
    case 'and':
    case 'or':
      return node.items.some(namesPromptTag);
    case 'not':
      return namesPromptTag(node.item);
    case 'compare':
      return node.field.entity === 'tag' && node.field.key === PROMPT_TAG;
  }
}

/** Model ids carrying the prompt tag as 'true'. */
const promptModels = sql`(select pt.registered_model_id from registered_model_tags as pt where pt.key = ${PROMPT_TAG} and pt.value = 'true')`;

/** One page of registered-model ids in result order. */
export async function searchRegisteredModelIds(db: Db, dialect: Dialect, request: SearchRequest) {
  const prompts = namesPromptTag(parseFilter(request.filter));
  const scope = prompts ? undefined : sql<SqlBool>`registered_models.id not in ${promptModels}`;
  return searchPage(db, dialect, REGISTERED_MODELS_TARGET, request, { scope, scopeKey: { prompts } });
}

/** One page of model-version ids in result order; a version is a prompt's when its model or itself carries the tag. */
export async function searchModelVersionIds(db: Db, dialect: Dialect, request: SearchRequest) {
  const prompts = namesPromptTag(parseFilter(request.filter));
  const scope = prompts
    ? undefined
    : sql<SqlBool>`model_versions.registered_model_id not in ${promptModels} and model_versions.id not in (select vt.version_id from model_version_tags as vt where vt.key = ${PROMPT_TAG} and vt.value = 'true')`;
  return searchPage(db, dialect, MODEL_VERSIONS_TARGET, request, { scope, scopeKey: { prompts } });
}
