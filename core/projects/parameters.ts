/**
 * Checks the parameters of a run against its entry point and builds the command, as MLflow does:
 * declared parameters fill their `{name}` placeholders, defaults fill the gaps, and parameters the
 * entry point does not declare are appended as `--key value`. Every value is shell-quoted
 * (shell-quote), so `; rm -rf ~` or `$(...)` reaches the script as the literal text it is.
 */
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { quote } from 'shell-quote';
import type { ParamIssue, ProjectEntryPoint, ProjectParamType } from '#core/api/projects-entities.ts';
import { LIMITS, validateKey, validateValue } from '#core/tracking/validation.ts';
import { PLACEHOLDER } from './mlproject.ts';

/** The outcome of checking parameters: what to log, what to run, and what is wrong. */
export interface CheckedParameters {
  /** Every parameter of the run as text (given or default), as logged to the run. */
  params: Record<string, string>;
  /** The command with the parameters in it; absent when there are issues. */
  command?: string;
  issues: ParamIssue[];
}

const INT = /^[+-]?\d+$/;
/** What Python's float() accepts, which is what MLflow checks a float parameter with. */
const FLOAT = /^[+-]?((\d+(_\d+)*)?\.?\d+(_\d+)*([eE][+-]?\d+)?|(\d+\.)|inf|infinity|nan)$/i;
/** A URI scheme (two letters at least, so `C:\data` stays a path). */
const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]+:/;

type Checked = { value: string } | { problem: string };

/** The text of a `path` or `uri` value as the command gets it: local paths absolute. */
function locate(type: 'path' | 'uri', value: string, projectDir: string): Checked {
  if (value === '') return { problem: `must not be empty (${type})` };
  if (SCHEME.test(value)) {
    if (value.startsWith('file:')) {
      try {
        return { value: fileURLToPath(value) };
      } catch (err) {
        return { problem: `is not a usable file URL: ${(err as Error).message}` };
      }
    }
    if (type === 'uri') return { value };
    return { problem: `takes a local path, got the URI '${value}' (declare the parameter as uri to pass URIs)` };
  }
  // Relative paths mean the project's files, wherever the command is started from.
  return { value: isAbsolute(value) ? value : resolve(projectDir, value) };
}

/** Checks one value against its declared type; returns the text for the command or a problem. */
function checkValue(type: ProjectParamType, value: string, projectDir: string): Checked {
  if (type === 'int') return INT.test(value.trim()) ? { value: value.trim() } : { problem: `must be an integer (int), got '${value}'` };
  if (type === 'float') return FLOAT.test(value.trim()) ? { value: value.trim() } : { problem: `must be a number (float), got '${value}'` };
  if (type === 'string') return { value };
  return locate(type, value, projectDir);
}

/**
 * Checks `given` against the entry point (types, required parameters, MLflow's limits on param
 * keys and values) and builds the command. `projectDir` resolves relative `path` values.
 */
export function checkParameters(entry: ProjectEntryPoint, given: Record<string, string>, projectDir: string): CheckedParameters {
  const issues: ParamIssue[] = [];
  const params: Record<string, string> = {};
  const forCommand: Record<string, string> = {};
  for (const p of entry.parameters) {
    const value = Object.hasOwn(given, p.name) ? given[p.name]! : p.default;
    if (value === undefined) {
      issues.push({ param: p.name, message: `'${p.name}' is required (${p.type}) and has no default` });
      continue;
    }
    const checked = checkValue(p.type, value, projectDir);
    if ('problem' in checked) issues.push({ param: p.name, message: `'${p.name}' ${checked.problem}` });
    else forCommand[p.name] = checked.value;
    params[p.name] = value;
  }
  const extras = Object.keys(given).filter((key) => !entry.parameters.some((p) => p.name === key));
  for (const key of extras) {
    try {
      validateKey('param', key);
    } catch (err) {
      issues.push({ param: key, message: (err as Error).message });
      continue;
    }
    params[key] = given[key]!;
  }
  for (const [key, value] of Object.entries(params)) {
    try {
      validateValue('Param value', key, value);
    } catch (err) {
      issues.push({ param: key, message: (err as Error).message });
    }
  }
  if (Object.keys(params).length > LIMITS.batchParams) issues.push({ message: `A run takes at most ${LIMITS.batchParams} parameters, got ${Object.keys(params).length}` });
  if (issues.length > 0) return { params, issues };

  // A script's command is the file to run, not a template: nothing in it is substituted.
  const filled = entry.isScript ? entry.command : entry.command.replace(PLACEHOLDER, (match: string, name: string | undefined) => {
    if (name === undefined) return match[0]!;
    return quote([forCommand[name]!]);
  });
  const appended = extras.map((key) => `${quote([`--${key}`])} ${quote([params[key]!])}`);
  return { params, command: [filled, ...appended].join(' '), issues };
}

/** One message for all the issues, as an error states them. */
export function describeParamIssues(issues: ParamIssue[]): string {
  return `Invalid parameters: ${issues.map((i) => i.message).join('; ')}`;
}
