import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadProject, parseMLproject } from '#core/projects/mlproject.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const parse = (text: string) => parseMLproject(text, { defaultName: 'folder' });
const failure = (text: string) => {
  try {
    parse(text);
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('parsed without an error');
};

describe('MLproject files', () => {
  it('reads name, entry points with long and short parameter forms, and the environment', () => {
    const spec = parse(
      [
        'name: tutorial',
        'python_env: python_env.yaml',
        'entry_points:',
        '  main:',
        '    parameters:',
        '      alpha: {type: float, default: 0.5}',
        '      epochs: {type: int, default: 10}',
        '      data: path',
        '      source: {type: uri}',
        '      tag: {default: nightly}',
        '    command: "python train.py {alpha} {epochs} {data} {source} {tag} {{literal}}"',
        '  validate:',
        '    command: python validate.py',
      ].join('\n'),
    );
    expect(spec.name).toBe('tutorial');
    expect(spec.environment).toEqual({ kind: 'python_env', file: 'python_env.yaml', defaultManager: 'virtualenv' });
    expect(spec.entryPoints.map((e) => e.name)).toEqual(['main', 'validate']);
    expect(spec.entryPoints[0]!.parameters).toEqual([
      { name: 'alpha', type: 'float', default: '0.5' },
      { name: 'epochs', type: 'int', default: '10' },
      { name: 'data', type: 'path' },
      { name: 'source', type: 'uri' },
      { name: 'tag', type: 'string', default: 'nightly' },
    ]);
    expect(spec.entryPoints[1]).toEqual({ name: 'validate', command: 'python validate.py', parameters: [], isScript: false });
    expect(spec.warnings).toEqual([]);
  });

  it('reads docker_env with volumes and environment', () => {
    const spec = parse(
      ['docker_env:', '  image: trainer:1', '  volumes: ["/data:/data"]', '  environment: [["MODE", "fast"], "HOME"]', 'entry_points:', '  main:', '    command: python t.py'].join('\n'),
    );
    expect(spec.environment).toEqual({ kind: 'docker_env', image: 'trainer:1', defaultManager: 'docker' });
    expect(spec.docker).toEqual({ image: 'trainer:1', volumes: ['/data:/data'], environment: [['MODE', 'fast'], ['HOME']] });
    expect(spec.name).toBe('folder');
  });

  it('warns about unknown keys, naming their line, and leaves them out', () => {
    const spec = parse(['name: x', 'entrypoints: {}', 'entry_points:', '  main:', '    comand: oops', '    command: run', '    parameters:', '      a: {type: int, deafult: 1}'].join('\n'));
    expect(spec.warnings).toEqual([
      "MLproject line 2: unknown key 'entrypoints' is ignored (known: name, entry_points, python_env, conda_env, docker_env)",
      "MLproject line 5: unknown key 'comand' in entry_points.main is ignored (known: command, parameters)",
      "MLproject line 8: unknown key 'deafult' in entry_points.main.parameters.a is ignored (known: type, default)",
    ]);
    expect(spec.entryPoints[0]!.parameters).toEqual([{ name: 'a', type: 'int' }]);
  });

  const bad: [string, string, RegExp][] = [
    ['a command that is a number', 'entry_points:\n  main:\n    command: 42', /^MLproject line 3, entry_points\.main\.command: expected text, got number 42$/],
    ['an unknown parameter type', 'entry_points:\n  main:\n    parameters:\n      n: {type: integer}\n    command: x {n}', /^MLproject line 4, entry_points\.main\.parameters\.n\.type: unknown type 'integer' \(types: float, int, string, path, uri\)$/],
    ['parameters as a list', 'entry_points:\n  main:\n    parameters: [a, b]\n    command: x', /^MLproject line 3, entry_points\.main\.parameters: expected a mapping of keys to values, got a list$/],
    ['a missing command', 'entry_points:\n  main:\n    parameters: {a: int}', /^MLproject line 3, entry_points\.main\.command: every entry point needs a command$/],
    ['a placeholder that is no parameter', 'entry_points:\n  main:\n    command: run {missing}', /entry_points\.main\.command: \{missing\} is not a parameter of this entry point/],
    ['two environments', 'python_env: a.yaml\nconda_env: b.yaml\nentry_points: {main: {command: x}}', /^MLproject line 2, conda_env: a project has one environment, and this one already has python_env$/],
    ['an environment file outside the project', 'python_env: ../../etc/passwd\nentry_points: {main: {command: x}}', /^MLproject line 1, python_env: '\.\.\/\.\.\/etc\/passwd' must be a path inside the project folder$/],
    ['a docker_env without image', 'docker_env:\n  volumes: []\nentry_points: {main: {command: x}}', /^MLproject line 2, docker_env\.image: docker_env needs an image$/],
    ['no entry points', 'name: nothing', /entry_points is missing or empty/],
    ['a YAML syntax error', 'entry_points:\n  main: [unclosed\n  other: 1', /^MLproject line \d+: /],
    ['a duplicated key', 'entry_points:\n  main: {command: a}\n  main: {command: b}', /^MLproject line 3: Map keys must be unique/],
    ['a top level that is a list', '- a\n- b', /^MLproject line 1, the file: expected a mapping of keys to values, got a list$/],
    ['an empty file', '', /MLproject is empty/],
  ];
  it.each(bad)('rejects %s with the line and field', (_name, text, message) => {
    expect(failure(text)).toMatch(message);
  });

  it('checks that the environment file exists in the project folder', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'MLproject'), 'python_env: python_env.yaml\nentry_points: {main: {command: x}}');
    expect(() => loadProject(dir)).toThrow("MLproject line 1, python_env: the file 'python_env.yaml' does not exist in the project");
    writeFileSync(join(dir, 'python_env.yaml'), 'python: "3.11"');
    expect(loadProject(dir).environment.kind).toBe('python_env');
  });

  it('finds the MLproject file whatever its capitalization', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'mlproject'), 'name: lower\nentry_points: {main: {command: x}}');
    expect(loadProject(dir)).toMatchObject({ name: 'lower', hasMLproject: true });
  });

  it('offers the scripts of a folder without MLproject as entry points', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'train.py'), '');
    writeFileSync(join(dir, 'prep.sh'), '');
    writeFileSync(join(dir, 'notes.txt'), '');
    mkdirSync(join(dir, 'sub.py'));
    const spec = loadProject(dir);
    expect(spec.hasMLproject).toBe(false);
    expect(spec.entryPoints).toEqual([
      { name: 'prep.sh', command: 'bash prep.sh', parameters: [], isScript: true },
      { name: 'train.py', command: 'python3 train.py', parameters: [], isScript: true },
    ]);
    expect(spec.environment).toEqual({ kind: 'none', defaultManager: 'local' });
  });
});
