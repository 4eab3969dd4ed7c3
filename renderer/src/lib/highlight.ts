/**
 * Syntax highlighting for JSON and YAML previews, as lists of tokens the preview renders as
 * text spans (never as HTML, so a value holding markup stays text), and the safe reading of a
 * YAML file with the `yaml` package: its default schema builds plain data only, and a tag it
 * does not know (`!!python/object`, a custom `!Ref`) is kept as text and reported, never run.
 */
import { parseDocument } from 'yaml';

/** A run of text and what it is. */
export interface Token {
  text: string;
  kind?: 'key' | 'string' | 'number' | 'literal' | 'comment' | 'punct' | 'tag';
}

/** Highlighting stops past this many characters: a preview page is read, not decorated. */
export const HIGHLIGHT_LIMIT = 128 * 1024;

const JSON_TOKEN = /("(?:[^"\\]|\\.)*")(\s*:)?|(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)|\b(true|false|null)\b|([{}[\],:])/g;

/** JSON (pretty-printed or not) as tokens: keys, strings, numbers, literals and punctuation. */
export function highlightJson(text: string): Token[] {
  const tokens: Token[] = [];
  let last = 0;
  for (const m of text.matchAll(JSON_TOKEN)) {
    if (m.index > last) tokens.push({ text: text.slice(last, m.index) });
    if (m[1] !== undefined) {
      tokens.push({ text: m[1], kind: m[2] ? 'key' : 'string' });
      if (m[2]) tokens.push({ text: m[2], kind: 'punct' });
    } else if (m[3] !== undefined) tokens.push({ text: m[3], kind: 'number' });
    else if (m[4] !== undefined) tokens.push({ text: m[4], kind: 'literal' });
    else tokens.push({ text: m[0], kind: 'punct' });
    last = m.index + m[0].length;
  }
  if (last < text.length) tokens.push({ text: text.slice(last) });
  return tokens;
}

const YAML_SCALAR = /^(?:(["'])(?:(?!\1).|\1\1|\\.)*\1|(-?(?:\d[\d_]*(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|0x[0-9a-fA-F]+|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))|(true|false|True|False|TRUE|FALSE|null|Null|NULL|~|yes|no))(?=\s*(?:#.*)?$)/;

/** One YAML value (after `key:` or `- `): a quoted string, number, literal, tag, anchor, or text. */
function yamlValue(text: string, tokens: Token[]): void {
  let rest = text;
  const lead = /^\s*/.exec(rest)![0];
  if (lead) tokens.push({ text: lead });
  rest = rest.slice(lead.length);
  const tag = /^(?:![^\s]*|[&*][^\s,[\]{}]+)\s*/.exec(rest);
  if (tag) {
    tokens.push({ text: tag[0], kind: 'tag' });
    rest = rest.slice(tag[0].length);
  }
  const scalar = YAML_SCALAR.exec(rest);
  let valueText = rest;
  let comment = '';
  if (scalar) {
    valueText = scalar[0];
    comment = rest.slice(scalar[0].length);
    tokens.push({ text: valueText, kind: scalar[1] ? 'string' : scalar[2] ? 'number' : 'literal' });
  } else {
    const hash = /\s#/.exec(rest);
    valueText = hash ? rest.slice(0, hash.index) : rest;
    comment = hash ? rest.slice(hash.index) : '';
    if (valueText) tokens.push({ text: valueText, kind: /^[|>][-+]?\d*\s*$/.test(valueText) ? 'punct' : 'string' });
  }
  if (comment) {
    const space = /^\s*/.exec(comment)![0];
    if (space) tokens.push({ text: space });
    if (comment.length > space.length) tokens.push({ text: comment.slice(space.length), kind: 'comment' });
  }
}

/**
 * YAML as tokens, line by line: comments, keys, sequence dashes, and values. Lines inside a
 * block scalar (`key: |`) are string content, whatever they look like.
 */
export function highlightYaml(text: string): Token[] {
  const tokens: Token[] = [];
  let blockIndent = -1;
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    const indent = /^ */.exec(line)![0].length;
    if (blockIndent >= 0 && (line.trim() === '' || indent > blockIndent)) {
      tokens.push({ text: line, kind: 'string' });
    } else {
      blockIndent = -1;
      const comment = /^(\s*)(#.*)$/.exec(line);
      const directive = /^(---|\.\.\.|%.*)(\s.*)?$/.exec(line);
      if (comment) {
        if (comment[1]) tokens.push({ text: comment[1] });
        tokens.push({ text: comment[2]!, kind: 'comment' });
      } else if (directive) {
        tokens.push({ text: line, kind: 'punct' });
      } else {
        let rest = line;
        const dash = /^(\s*)(-)(?=\s|$)/.exec(rest);
        if (dash) {
          if (dash[1]) tokens.push({ text: dash[1] });
          tokens.push({ text: '-', kind: 'punct' });
          rest = rest.slice(dash[0].length);
        }
        const key = /^(\s*)((?:"(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^\s#'"\-?:,[\]{}][^#]*?|\?))(\s*:)(?=\s|$)/.exec(rest);
        if (key) {
          if (key[1]) tokens.push({ text: key[1] });
          tokens.push({ text: key[2]!, kind: 'key' });
          tokens.push({ text: key[3]!, kind: 'punct' });
          rest = rest.slice(key[0].length);
          if (/^\s*[|>][-+]?\d*\s*(#.*)?$/.test(rest)) blockIndent = indent + (dash ? dash[0].length : 0);
        }
        if (rest) yamlValue(rest, tokens);
      }
    }
    if (i < lines.length - 1) tokens.push({ text: '\n' });
  });
  return tokens;
}

/** What reading a YAML file found: its data, the first error, and tags it kept as text. */
export interface YamlReading {
  data: unknown;
  error?: string;
  unknownTags: string[];
}

/** Reads YAML with the `yaml` package's default (safe) schema. */
export function readYaml(text: string): YamlReading {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: false });
  const unknownTags = new Set<string>();
  for (const warning of doc.warnings) {
    const tag = /Unresolved tag: (\S+)/.exec(warning.message);
    if (tag) unknownTags.add(tag[1]!);
  }
  const error = doc.errors[0]?.message.split('\n')[0];
  return { data: error ? undefined : doc.toJS({ maxAliasCount: 100 }), error, unknownTags: [...unknownTags] };
}

/** The headline facts of an MLproject file: its name, entry points and environment. */
export function summarizeMlproject(data: unknown): { name?: string; entryPoints: string[]; environment?: string } | undefined {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return undefined;
  const project = data as Record<string, unknown>;
  const entry = project.entry_points;
  const environment = ['python_env', 'conda_env', 'docker_env'].find((k) => k in project);
  const envValue = environment ? project[environment] : undefined;
  return {
    name: typeof project.name === 'string' ? project.name : undefined,
    entryPoints: typeof entry === 'object' && entry !== null ? Object.keys(entry) : [],
    environment: environment && `${environment}${typeof envValue === 'string' ? `: ${envValue}` : ''}`,
  };
}
