/**
 * The registry's input rules (reference §6): model names, aliases, stages, tags and descriptions
 * (version numbers are read by core/api/model-version-number.ts). Every refusal is
 * INVALID_PARAMETER_VALUE, checked before a write starts, so bad input never holds the write lock
 * and changes nothing.
 */
import { MODEL_STAGES, type ModelStage, type Tag } from '#core/api/entities.ts';
import { invalid } from '#core/api/errors.ts';
import { validateKey, validateValue } from '#core/tracking/validation.ts';

/** MLflow's bound on alias length. */
const ALIAS_MAX = 255;
/** Longest model name; the names are typed into `models:/` URIs and shown in lists. */
const NAME_MAX = 256;
/** Longest description (markdown), in characters. */
const DESCRIPTION_MAX = 100_000;

/** MLflow's `^[\w\-]*$` with a Unicode `\w`. */
const ALIAS_CHARS = /^[\p{L}\p{N}\p{M}_-]+$/u;

/**
 * Checks a registered model name. Beyond MLflow's "non-empty", '/' and '@' are refused: a name
 * holding them cannot be addressed by `models:/<name>/<version>` or `models:/<name>@<alias>`.
 */
export function validateModelName(name: string): void {
  if (name.trim().length === 0) throw invalid('Registered model name cannot be empty.');
  if (name.length > NAME_MAX) throw invalid(`Registered model name may be at most ${NAME_MAX} characters, got ${name.length}.`);
  if (/[/@]/.test(name)) throw invalid(`Invalid registered model name '${name}': names may not contain '/' or '@', which models:/ URIs use as separators.`);
  if (/\p{Cc}/u.test(name)) throw invalid('Invalid registered model name: it contains a control character.');
}

/** Checks an alias: 1 to 255 of `[\w-]`, not `latest` (a URI keyword) and not `v<digits>` (reads as a version). */
export function validateAlias(alias: string): void {
  if (alias.length === 0 || alias.length > ALIAS_MAX) throw invalid(`Alias must be 1 to ${ALIAS_MAX} characters, got ${alias.length}.`);
  if (!ALIAS_CHARS.test(alias)) throw invalid(`Invalid alias '${alias}': aliases may only contain letters, digits, underscores (_) and dashes (-).`);
  if (alias.toLowerCase() === 'latest') throw invalid("'latest' cannot be an alias: models:/<name>/latest already means the newest version.");
  if (/^v\d+$/i.test(alias)) throw invalid(`Invalid alias '${alias}': 'v' followed by digits reads as a version number.`);
}

/** A stage in any case, as MLflow accepts it, in its canonical spelling. */
export function canonicalStage(stage: string): ModelStage {
  const found = MODEL_STAGES.find((s) => s.toLowerCase() === stage.trim().toLowerCase());
  if (!found) throw invalid(`Invalid Model Version stage: ${stage}. Value must be one of ${MODEL_STAGES.join(', ')}.`);
  return found;
}

/** Checks a registered-model or model-version tag: the same bound as every other tag value. */
export function validateRegistryTag(tag: Tag): void {
  validateKey('tag', tag.key);
  validateValue('Tag value', tag.key, tag.value);
}

/** Checks a description's length. */
export function validateDescription(description: string): void {
  if (description.length > DESCRIPTION_MAX) throw invalid(`Description may be at most ${DESCRIPTION_MAX} characters, got ${description.length}.`);
}
