import { execFile } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import type { ProjectEntryPoint } from '#core/api/projects-entities.ts';
import { checkParameters } from '#core/projects/parameters.ts';

const PROJECT = '/projects/demo';
const entry: ProjectEntryPoint = {
  name: 'main',
  isScript: false,
  command: 'train {alpha} {epochs} {name} {data} {source}',
  parameters: [
    { name: 'alpha', type: 'float', default: '0.1' },
    { name: 'epochs', type: 'int', default: '10' },
    { name: 'name', type: 'string' },
    { name: 'data', type: 'path', default: 'data/train.csv' },
    { name: 'source', type: 'uri', default: 's3://bucket/data' },
  ],
};

/** Runs a command line in a real shell and returns the arguments the program received. */
function receivedBy(command: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    execFile('/bin/bash', ['-c', command], (err, stdout) => (err ? reject(err) : resolve(JSON.parse(stdout) as string[])));
  });
}
const PRINT_ARGS = `${process.execPath} -e 'console.log(JSON.stringify(process.argv.slice(1)))' --`;

describe('parameter checks', () => {
  const table: [string, Record<string, string>, Record<string, string> | string[]][] = [
    ['defaults fill what is not given', { name: 'x' }, { alpha: '0.1', epochs: '10', name: 'x', data: 'data/train.csv', source: 's3://bucket/data' }],
    ['floats in every form Python accepts', { name: 'x', alpha: '1e-3' }, { alpha: '1e-3' }],
    ['a negative float', { name: 'x', alpha: '-.5' }, { alpha: '-.5' }],
    ['inf and nan as floats', { name: 'x', alpha: 'inf' }, { alpha: 'inf' }],
    ['an integer with a sign', { name: 'x', epochs: '+7' }, { epochs: '+7' }],
    ['an empty string for a string', { name: '' }, { name: '' }],
    ['a missing required parameter', {}, ["'name' is required (string) and has no default"]],
    ['a float that is text', { name: 'x', alpha: 'fast' }, ["'alpha' must be a number (float), got 'fast'"]],
    ['an int with a fraction', { name: 'x', epochs: '2.5' }, ["'epochs' must be an integer (int), got '2.5'"]],
    ['an int that is empty', { name: 'x', epochs: '' }, ["'epochs' must be an integer (int), got ''"]],
    ['a path given as a remote URI', { name: 'x', data: 's3://b/k' }, ["'data' takes a local path, got the URI 's3://b/k' (declare the parameter as uri to pass URIs)"]],
    ['an empty path', { name: 'x', data: '' }, ["'data' must not be empty (path)"]],
    ['an extra parameter with a hostile key', { name: 'x', 'a;b': '1' }, ["Invalid param name 'a;b': names may only contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), colons (:) and slashes (/)"]],
    ['a value over 1 MiB', { name: 'x'.repeat(1024 * 1024 + 1) }, ["Param value 'name' is 1048577 bytes long, over the limit of 1048576 bytes (1 MiB) for one value"]],
    ['several problems at once', { alpha: 'a', epochs: 'b' }, ["'alpha' must be a number (float), got 'a'", "'epochs' must be an integer (int), got 'b'", "'name' is required (string) and has no default"]],
  ];
  it.each(table)('%s', (_name, given, expected) => {
    const checked = checkParameters(entry, given, PROJECT);
    if (Array.isArray(expected)) {
      expect(checked.issues.map((i) => i.message)).toEqual(expected);
      expect(checked.command).toBeUndefined();
    } else {
      expect(checked.issues).toEqual([]);
      expect(checked.params).toMatchObject(expected);
      expect(checked.command).toBeDefined();
    }
  });

  it('names the parameter of each issue', () => {
    expect(checkParameters(entry, { alpha: 'x' }, PROJECT).issues.map((i) => i.param)).toEqual(['alpha', 'name']);
  });

  it('resolves relative paths against the project and keeps URIs and absolute paths', () => {
    const { command } = checkParameters(entry, { name: 'n', data: '../shared/x.csv' }, PROJECT);
    expect(command).toBe('train 0.1 10 n /projects/shared/x.csv s3\\://bucket/data');
    expect(checkParameters(entry, { name: 'n', data: '/abs/x', source: 'more/data' }, PROJECT).command).toBe('train 0.1 10 n /abs/x /projects/demo/more/data');
    expect(checkParameters(entry, { name: 'n', data: 'file:///tmp/a%20b' }, PROJECT).command).toBe("train 0.1 10 n '/tmp/a b' s3\\://bucket/data");
  });

  it('logs the values as given, not as resolved', () => {
    expect(checkParameters(entry, { name: 'n', data: 'rel/x' }, PROJECT).params.data).toBe('rel/x');
  });

  it('appends parameters the entry point does not declare as --key value, as MLflow does', () => {
    const { command, params } = checkParameters(entry, { name: 'n', 'batch-size': '32', 'with space': 'a b' }, PROJECT);
    expect(command).toBe("train 0.1 10 n /projects/demo/data/train.csv s3\\://bucket/data --batch-size 32 '--with space' 'a b'");
    expect(params).toMatchObject({ 'batch-size': '32', 'with space': 'a b' });
  });

  it('leaves the command of a script alone and appends every parameter', () => {
    const script: ProjectEntryPoint = { name: 'x.py', command: 'python3 x.py {not_a_placeholder}', parameters: [], isScript: true };
    expect(checkParameters(script, { k: 'v' }, PROJECT).command).toBe('python3 x.py {not_a_placeholder} --k v');
  });

  const hostile = [
    '; rm -rf ~',
    '$(touch /tmp/flowdesk-pwned)',
    '`id`',
    "it's \"quoted\" $HOME",
    'a && echo injected || true',
    '| cat /etc/passwd',
    '\n echo newline',
    '*',
    '--help',
    '',
    'back\\slash',
  ];
  it.each(hostile)('passes %j to the program as literal text through a real shell', async (value) => {
    const printer: ProjectEntryPoint = { name: 'p', isScript: false, command: `${PRINT_ARGS} {text} {text}`, parameters: [{ name: 'text', type: 'string' }] };
    const { command } = checkParameters(printer, { text: value, extra: value }, PROJECT);
    expect(await receivedBy(command!)).toEqual([value, value, '--extra', value]);
  });
});
