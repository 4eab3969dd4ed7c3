/**
 * Reads a project folder the way MLflow does: its `MLproject` file (YAML: name, entry points with
 * a command and typed parameters, one of python_env, conda_env or docker_env), or, in a folder
 * without one, its `.py` and `.sh` files as entry points. Reading runs nothing from the project.
 *
 * A malformed file is refused with the line and the field at fault; keys MLflow does not know are
 * kept out and reported as warnings, since a typo there would otherwise pass unnoticed.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { invalid } from '#core/api/errors.ts';
import { PROJECT_PARAM_TYPES, type EnvManager, type ProjectEntryPoint, type ProjectEnvironment, type ProjectParameter, type ProjectParamType } from '#core/api/projects-entities.ts';
import { checkArtifactPath } from '#core/api/artifact-path.ts';

/** The Docker settings of a docker_env project. */
export interface DockerSettings {
  image: string;
  /** `host:container` mounts. */
  volumes: string[];
  /** Variables set in the container: `[name, value]`, or `[name]` to copy this machine's value. */
  environment: [string, string?][];
}

/** A project as read from its folder. */
export interface ProjectSpec {
  name: string;
  hasMLproject: boolean;
  entryPoints: ProjectEntryPoint[];
  environment: ProjectEnvironment;
  docker?: DockerSettings;
  warnings: string[];
}

/** An MLproject file larger than this is not a project description. */
const MAX_MLPROJECT_BYTES = 1024 * 1024;
const TOP_KEYS = ['name', 'entry_points', 'python_env', 'conda_env', 'docker_env'];
const ENTRY_KEYS = ['command', 'parameters'];
const PARAM_KEYS = ['type', 'default'];
const DOCKER_KEYS = ['image', 'volumes', 'environment'];
/** `{name}` placeholders; `{{` and `}}` are literal braces, as in Python's str.format. */
export const PLACEHOLDER = /\{\{|\}\}|\{([^{}]*)\}/g;

/** The MLproject file of a folder: MLflow accepts any capitalization of the name. */
export function findMLproject(dir: string): string | undefined {
  const name = readdirSync(dir).find((n) => n.toLowerCase() === 'mlproject');
  return name === undefined ? undefined : join(dir, name);
}

const DEFAULT_MANAGER: Record<ProjectEnvironment['kind'], EnvManager> = {
  none: 'local',
  python_env: 'virtualenv',
  conda_env: 'conda',
  docker_env: 'docker',
};

/** Reads the project in `dir` (a folder that exists). */
export function loadProject(dir: string): ProjectSpec {
  const file = findMLproject(dir);
  if (file === undefined) return scriptsProject(dir);
  const size = statSync(file).size;
  if (size > MAX_MLPROJECT_BYTES) throw invalid(`MLproject is ${size} bytes; a project description is at most ${MAX_MLPROJECT_BYTES}`);
  return parseMLproject(readFileSync(file, 'utf8'), { dir, defaultName: basename(dir) });
}

/** A folder without MLproject: its top-level Python and shell scripts are its entry points. */
function scriptsProject(dir: string): ProjectSpec {
  const scripts = readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isFile() && /\.(py|sh)$/.test(e.name))
    .map((e) => e.name)
    .sort();
  const pythonEnv = readdirSync(dir).includes('python_env.yaml');
  return {
    name: basename(dir),
    hasMLproject: false,
    entryPoints: scripts.map(scriptEntryPoint),
    environment: pythonEnv ? { kind: 'python_env', file: 'python_env.yaml', defaultManager: 'local' } : { kind: 'none', defaultManager: 'local' },
    warnings: [],
  };
}

/** A `.py` or `.sh` file run as MLflow runs one; parameters follow as `--key value`. */
export function scriptEntryPoint(file: string): ProjectEntryPoint {
  const command = file.endsWith('.py') ? `python3 ${file}` : `bash ${file}`;
  return { name: file, command, parameters: [], isScript: true };
}

/** Where a node of the document is, for messages: "line 4". */
type Locate = (node: Node | null | undefined) => string;

/** Parses the text of an MLproject file. `dir`, when given, is used to check the files it names. */
export function parseMLproject(text: string, options: { dir?: string; defaultName: string }): ProjectSpec {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  const syntax = doc.errors[0];
  if (syntax) {
    throw invalid(`MLproject line ${lineCounter.linePos(syntax.pos[0]).line}: ${syntax.message.split('\n')[0]}`);
  }
  const locate: Locate = (node) => {
    const offset = node?.range?.[0];
    return offset === undefined ? 'MLproject' : `MLproject line ${lineCounter.linePos(offset).line}`;
  };
  return readSpec(doc, locate, options);
}

function fail(locate: Locate, node: Node | null | undefined, field: string, problem: string): never {
  throw invalid(`${locate(node)}, ${field}: ${problem}`);
}

/** The entries of a mapping node as [key text, key node, value node]; anything else is refused. */
function entriesOf(node: Node | null | undefined, locate: Locate, field: string): [string, Node, Node | null][] {
  if (!isMap(node)) fail(locate, node, field, `expected a mapping of keys to values, got ${describe(node)}`);
  return node.items.map((pair) => {
    const key = pair.key as Node;
    if (!isScalar(key) || (typeof key.value !== 'string' && typeof key.value !== 'number')) fail(locate, key, field, 'keys must be plain names');
    return [String(key.value), key, (pair.value as Node | null) ?? null];
  });
}

function describe(node: Node | null | undefined): string {
  if (node === null || node === undefined) return 'nothing';
  if (isMap(node)) return 'a mapping';
  if (isSeq(node)) return 'a list';
  if (isScalar(node)) return node.value === null ? 'nothing' : `${typeof node.value} ${JSON.stringify(node.value)}`;
  return 'an alias';
}

/** A scalar that must be a string (numbers are accepted and turned to text where MLflow does). */
function text(node: Node | null, locate: Locate, field: string, options: { numbers?: boolean } = {}): string {
  if (isScalar(node) && typeof node.value === 'string') return node.value;
  if (options.numbers && isScalar(node) && (typeof node.value === 'number' || typeof node.value === 'boolean')) return String(node.value);
  fail(locate, node, field, `expected text, got ${describe(node)}`);
}

function readSpec(doc: Document, locate: Locate, options: { dir?: string; defaultName: string }): ProjectSpec {
  const warnings: string[] = [];
  const root = doc.contents as Node | null;
  if (root === null) throw invalid('MLproject is empty: it needs at least entry_points');
  let name = options.defaultName;
  let entryPoints: ProjectEntryPoint[] = [];
  let environment: Omit<ProjectEnvironment, 'defaultManager'> = { kind: 'none' };
  let docker: DockerSettings | undefined;
  const envKeys: string[] = [];
  for (const [key, keyNode, value] of entriesOf(root, locate, 'the file')) {
    if (!TOP_KEYS.includes(key)) {
      warnings.push(`${locate(keyNode)}: unknown key '${key}' is ignored (known: ${TOP_KEYS.join(', ')})`);
      continue;
    }
    if (key === 'name') name = text(value, locate, 'name', { numbers: true });
    else if (key === 'entry_points') entryPoints = readEntryPoints(value, locate, warnings);
    else {
      envKeys.push(key);
      if (envKeys.length > 1) fail(locate, keyNode, key, `a project has one environment, and this one already has ${envKeys[0]}`);
      if (key === 'docker_env') {
        docker = readDocker(value, locate, warnings);
        environment = { kind: 'docker_env', image: docker.image };
      } else {
        const file = text(value, locate, key);
        checkProjectFile(file, options.dir, locate, value, key);
        environment = { kind: key as 'python_env' | 'conda_env', file };
      }
    }
  }
  if (entryPoints.length === 0) throw invalid(`MLproject: entry_points is missing or empty; a project needs at least one entry point with a command`);
  return { name, hasMLproject: true, entryPoints, environment: { ...environment, defaultManager: DEFAULT_MANAGER[environment.kind] }, docker, warnings };
}

/** An environment file must be a relative path inside the project, and exist when the folder is known. */
function checkProjectFile(file: string, dir: string | undefined, locate: Locate, node: Node | null, field: string): void {
  try {
    checkArtifactPath(file);
  } catch {
    fail(locate, node, field, `'${file}' must be a path inside the project folder`);
  }
  if (dir === undefined) return;
  let isFile = false;
  try {
    isFile = statSync(join(dir, file)).isFile();
  } catch {
    // reported below
  }
  if (!isFile) fail(locate, node, field, `the file '${file}' does not exist in the project`);
}

function readEntryPoints(node: Node | null, locate: Locate, warnings: string[]): ProjectEntryPoint[] {
  return entriesOf(node, locate, 'entry_points').map(([name, , value]) => {
    const field = `entry_points.${name}`;
    let command: string | undefined;
    let parameters: ProjectParameter[] = [];
    for (const [key, keyNode, v] of entriesOf(value, locate, field)) {
      if (!ENTRY_KEYS.includes(key)) warnings.push(`${locate(keyNode)}: unknown key '${key}' in ${field} is ignored (known: ${ENTRY_KEYS.join(', ')})`);
      else if (key === 'command') command = text(v, locate, `${field}.command`);
      else parameters = readParameters(v, locate, `${field}.parameters`, warnings);
    }
    if (command === undefined || command.trim() === '') fail(locate, value, `${field}.command`, 'every entry point needs a command');
    for (const match of command.matchAll(PLACEHOLDER)) {
      const placeholder = match[1];
      if (placeholder !== undefined && !parameters.some((p) => p.name === placeholder)) {
        fail(locate, value, `${field}.command`, `{${placeholder}} is not a parameter of this entry point`);
      }
    }
    return { name, command, parameters, isScript: false };
  });
}

function readParameters(node: Node | null, locate: Locate, field: string, warnings: string[]): ProjectParameter[] {
  if (isScalar(node) && node.value === null) return [];
  return entriesOf(node, locate, field).map(([name, keyNode, value]) => {
    const at = `${field}.${name}`;
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) fail(locate, keyNode, at, 'parameter names are letters, digits and underscores, not starting with a digit');
    // The short form names the type only: `alpha: float`.
    if (isScalar(value)) return { name, type: paramType(value, locate, at) };
    let type: ProjectParamType = 'string';
    let fallback: string | undefined;
    for (const [key, keyNode2, v] of entriesOf(value, locate, at)) {
      if (!PARAM_KEYS.includes(key)) warnings.push(`${locate(keyNode2)}: unknown key '${key}' in ${at} is ignored (known: ${PARAM_KEYS.join(', ')})`);
      else if (key === 'type') type = paramType(v, locate, `${at}.type`);
      // A null default is no default: the parameter is required.
      else if (!(isScalar(v) && v.value === null)) fallback = text(v, locate, `${at}.default`, { numbers: true });
    }
    return fallback === undefined ? { name, type } : { name, type, default: fallback };
  });
}

function paramType(node: Node | null, locate: Locate, field: string): ProjectParamType {
  if (isScalar(node) && node.value === null) return 'string';
  const value = text(node, locate, field);
  if (!(PROJECT_PARAM_TYPES as readonly string[]).includes(value)) fail(locate, node, field, `unknown type '${value}' (types: ${PROJECT_PARAM_TYPES.join(', ')})`);
  return value as ProjectParamType;
}

function readDocker(node: Node | null, locate: Locate, warnings: string[]): DockerSettings {
  let image: string | undefined;
  const volumes: string[] = [];
  const environment: [string, string?][] = [];
  for (const [key, keyNode, value] of entriesOf(node, locate, 'docker_env')) {
    if (!DOCKER_KEYS.includes(key)) {
      warnings.push(`${locate(keyNode)}: unknown key '${key}' in docker_env is ignored (known: ${DOCKER_KEYS.join(', ')})`);
    } else if (key === 'image') {
      image = text(value, locate, 'docker_env.image');
    } else {
      if (!isSeq(value)) fail(locate, value, `docker_env.${key}`, `expected a list, got ${describe(value)}`);
      for (const item of value.items as Node[]) {
        if (key === 'volumes') volumes.push(text(item, locate, 'docker_env.volumes'));
        else if (isSeq(item) && item.items.length === 2) environment.push([text(item.items[0] as Node, locate, 'docker_env.environment'), text(item.items[1] as Node, locate, 'docker_env.environment', { numbers: true })]);
        else environment.push([text(item, locate, 'docker_env.environment')]);
      }
    }
  }
  if (image === undefined || image === '') fail(locate, node, 'docker_env.image', 'docker_env needs an image');
  return { image, volumes, environment };
}
