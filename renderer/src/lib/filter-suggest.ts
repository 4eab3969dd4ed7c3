/**
 * Key suggestions for the filter box: as a person types a field (`params.`, `metrics.lo`, `sta`),
 * the keys of the experiment that fit the word at the caret, and the text that replaces it.
 */

/** The keys an experiment's runs have. */
export interface FilterKeys {
  params: readonly string[];
  metrics: readonly string[];
  tags: readonly string[];
}

/** One suggestion: what the list shows and what replaces the word being typed. */
export interface Suggestion {
  label: string;
  insert: string;
  /** The entity, shown beside the label. */
  kind: 'param' | 'metric' | 'tag' | 'attribute' | 'entity';
}

/** The suggestions for the word at the caret, and which characters it spans. */
export interface Suggestions {
  from: number;
  to: number;
  items: Suggestion[];
}

/** Run attributes the query language knows, as people type them. */
export const ATTRIBUTES = ['run_name', 'status', 'user_id', 'start_time', 'end_time', 'run_id', 'artifact_uri', 'lifecycle_stage'] as const;

const ENTITIES: Record<string, Exclude<Suggestion['kind'], 'entity'>> = {
  params: 'param', param: 'param', parameters: 'param', parameter: 'param',
  metrics: 'metric', metric: 'metric',
  tags: 'tag', tag: 'tag',
  attributes: 'attribute', attribute: 'attribute', attr: 'attribute', run: 'attribute',
};
const PREFIXES = ['params.', 'metrics.', 'tags.', 'attributes.'];

/** The most suggestions shown at once. */
const MAX_ITEMS = 30;

/** A key as the query language reads it: bare when it is a plain name, in backticks otherwise. */
export function fieldKey(key: string): string {
  return /^[A-Za-z_][A-Za-z0-9_.]*$/.test(key) ? key : `\`${key.replaceAll('`', '``')}\``;
}

/** Whether the caret is inside a quoted value (an odd number of quotes of one kind before it). */
function inString(before: string): boolean {
  let quote: string | undefined;
  for (const c of before) {
    if (quote === undefined && (c === "'" || c === '"')) quote = c;
    else if (c === quote) quote = undefined;
  }
  return quote !== undefined;
}

/** The suggestions for `text` with the caret at `caret`; none when the word there is not a field. */
export function suggest(text: string, caret: number, keys: FilterKeys): Suggestions {
  const before = text.slice(0, caret);
  const none = { from: caret, to: caret, items: [] };
  if (inString(before)) return none;
  const word = /[A-Za-z_][A-Za-z0-9_.`-]*$/.exec(before) ?? /[A-Za-z_][A-Za-z0-9_.]*\.`[^`]*$/.exec(before);
  if (!word) return none;
  const from = word.index;
  // The word runs on past the caret when it is edited in the middle.
  const to = caret + (/^[A-Za-z0-9_.`]*/.exec(text.slice(caret))?.[0].length ?? 0);
  const typed = word[0];
  const dot = typed.indexOf('.');
  if (dot < 0) {
    const lower = typed.toLowerCase();
    const items: Suggestion[] = PREFIXES.filter((p) => p.startsWith(lower)).map((p) => ({ label: p, insert: p, kind: 'entity' }));
    for (const a of ATTRIBUTES) if (a.startsWith(lower) && a !== lower) items.push({ label: a, insert: a, kind: 'attribute' });
    return { from, to, items: items.slice(0, MAX_ITEMS) };
  }
  const entity = typed.slice(0, dot);
  const kind = ENTITIES[entity.toLowerCase()];
  if (!kind) return none;
  const partial = typed.slice(dot + 1).replace(/^`/, '').toLowerCase();
  const pool = kind === 'param' ? keys.params : kind === 'metric' ? keys.metrics : kind === 'tag' ? keys.tags : ATTRIBUTES;
  // Keys starting with what was typed come first, then keys containing it.
  const starts = pool.filter((k) => k.toLowerCase().startsWith(partial));
  const contains = pool.filter((k) => !k.toLowerCase().startsWith(partial) && k.toLowerCase().includes(partial));
  const items = [...starts, ...contains]
    .filter((k) => k.toLowerCase() !== partial || partial === '')
    .slice(0, MAX_ITEMS)
    .map((k): Suggestion => ({ label: k, insert: `${entity}.${fieldKey(k)}`, kind }));
  return { from, to, items };
}

/** `text` with the suggestion put in place of the word, and the caret after it (and a space). */
export function applySuggestion(text: string, range: Pick<Suggestions, 'from' | 'to'>, item: Suggestion): { text: string; caret: number } {
  const tail = text.slice(range.to);
  // An entity prefix is followed by a key, so no space; a complete field is followed by an operator.
  const space = item.kind === 'entity' || tail.startsWith(' ') ? '' : ' ';
  const inserted = item.insert + space;
  return { text: text.slice(0, range.from) + inserted + tail, caret: range.from + inserted.length };
}
