import { describe, expect, it } from 'vitest';
import { FlowdeskError } from '#core/api/errors.ts';
import { checkArtifactPath, checkNewArtifactPath, decodeArtifactPath } from '#core/api/artifact-path.ts';
import { HOSTILE_ESCAPES, HOSTILE_PATHS } from './hostile-paths.ts';

/** The error `fn` throws, failing the test when it throws none. */
function thrown(fn: () => unknown): FlowdeskError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(FlowdeskError);
    return err as FlowdeskError;
  }
  throw new Error('expected a throw');
}

describe('checkArtifactPath', () => {
  it.each(HOSTILE_PATHS.map((p) => [p.replaceAll('{abs}', 'tmp/canary')]))('refuses %j', (path) => {
    const err = thrown(() => checkArtifactPath(path));
    expect(err.code).toBe('INVALID_PARAMETER_VALUE');
    expect(err.message).toMatch(/^Invalid path '.*': \S/s);
  });

  it.each([['/etc/passwd'], ['../../../../etc/passwd'], ['%2fetc%2fpasswd'], ['..%252f..%252fetc%252fpasswd']])('refuses %j', (path) => {
    expect(thrown(() => checkArtifactPath(path)).code).toBe('INVALID_PARAMETER_VALUE');
  });

  it.each([
    ['', ''],
    ['.', ''],
    ['./', ''],
    ['a', 'a'],
    ['a//b/./c/', 'a/b/c'],
    ['./a/', 'a'],
    ['1/0123abcd/artifacts/model/MLmodel', '1/0123abcd/artifacts/model/MLmodel'],
    ['with space/file name.txt', 'with space/file name.txt'],
    ['données/😀 x.txt', 'données/😀 x.txt'],
    ['a.b/.hidden', 'a.b/.hidden'],
    ['...hidden/x..y', '...hidden/x..y'],
    ['a+b&c=d,e\'f"g', 'a+b&c=d,e\'f"g'],
    ['logs/2024-01-01T10:00:00.txt', 'logs/2024-01-01T10:00:00.txt'],
  ])('normalizes %j to %j', (input, expected) => {
    expect(checkArtifactPath(input)).toBe(expected);
  });

  it('accepts a path of exactly 1024 characters and a segment of exactly 255 bytes', () => {
    const path = `${'abcdefgh/'.repeat(113)}${'x'.repeat(7)}`;
    expect(path).toHaveLength(1024);
    expect(checkArtifactPath(path)).toBe(path);
    const segment = `${'é'.repeat(127)}x`;
    expect(Buffer.byteLength(segment)).toBe(255);
    expect(checkArtifactPath(segment)).toBe(segment);
  });

  it('counts the length limit in characters, not UTF-16 units', () => {
    const path = Array.from({ length: 9 }, () => '😀'.repeat(63)).join('/');
    expect(path.length).toBeGreaterThan(1024);
    expect(checkArtifactPath(path)).toBe(path);
  });

  it('names the reason and the input in the message', () => {
    expect(thrown(() => checkArtifactPath('a/../../x')).message).toBe("Invalid path 'a/../../x': it contains a '..' segment");
    expect(thrown(() => decodeArtifactPath('%zz')).message).toBe("Invalid path '%zz': it contains a malformed percent escape");
  });

  it.each([
    ['acc_95%.txt'],
    ['a%20b'],
    ['%2541'],
    ['c+d.txt'],
    ['images/loss%step%10%timestamp%1796000000000%00c2a1b3-0d4e-4f5a-8b6c-7d8e9f0a1b2c.png'],
    ['images/loss%step%23%timestamp%1796000000000%5cfe1b3a-0d4e-4f5a-8b6c-7d8e9f0a1b2c.png'],
    ...HOSTILE_ESCAPES.map((name) => [name]),
  ])("keeps '%' as an ordinary character of the name %j", (name) => {
    expect(checkArtifactPath(name)).toBe(name);
  });

  it.each([['%2e%2e'], ['a/%252e%252e/b'], ['%5c%5cserver%5cshare'], ['x/..%5c..%5cy'], ['%c0%ae%c0%ae']])(
    'refuses the name %j, which decoded again would lead out',
    (name) => {
      expect(thrown(() => checkArtifactPath(name)).code).toBe('INVALID_PARAMETER_VALUE');
    },
  );
});

describe('decodeArtifactPath', () => {
  it.each([
    ['acc_95%25.txt', 'acc_95%.txt'],
    ['a%2Fb', 'a/b'],
    ['a%20b', 'a b'],
    ['%2541', '%41'],
    ['c+d.txt', 'c+d.txt'],
    ['donn%C3%A9es/%F0%9F%98%80%20x.txt', 'données/😀 x.txt'],
    ['images/loss%25step%2510%25timestamp%251796%2500c2.png', 'images/loss%step%10%timestamp%1796%00c2.png'],
  ])('decodes %j exactly once to %j', (encoded, name) => {
    expect(decodeArtifactPath(encoded)).toBe(name);
  });

  it.each([['%'], ['%zz'], ['a%2'], ['%C3'], ['%c0%ae']])('refuses the malformed escape in %j', (encoded) => {
    expect(thrown(() => decodeArtifactPath(encoded)).code).toBe('INVALID_PARAMETER_VALUE');
  });

  it('escapes control characters and caps the length of the echoed input', () => {
    const forged = thrown(() => checkArtifactPath('a\nERROR forged line')).message;
    expect(forged).not.toContain('\n');
    expect(forged).toContain('a\\u000aERROR');
    expect(thrown(() => checkArtifactPath('a'.repeat(5000))).message.length).toBeLessThan(300);
  });
});

describe('checkNewArtifactPath', () => {
  it.each([
    ['CON', 'CON'],
    ['aux', 'aux'],
    ['nul.txt', 'nul.txt'],
    ['plots/Com1', 'Com1'],
    ['LPT9.tar.gz', 'LPT9.tar.gz'],
    ['a/prn/b.txt', 'prn'],
    ['logs/2024-01-01T10:00:00.txt', '2024-01-01T10:00:00.txt'],
    ['a<b', 'a<b'],
    ['a>b', 'a>b'],
    ['say "hi"', 'say "hi"'],
    ['a|b', 'a|b'],
    ['glob*', 'glob*'],
    ['dir./x', 'dir.'],
    ['x/trailing ', 'trailing '],
    ['file.txt.', 'file.txt.'],
    ['CONIN$', 'CONIN$'],
    ['out/conout$.log', 'conout$.log'],
    ['COM¹', 'COM¹'],
    ['lpt³.txt', 'lpt³.txt'],
    ['nul .txt', 'nul .txt'],
  ])('refuses %j, naming the segment %j', (path, segment) => {
    const err = thrown(() => checkNewArtifactPath(path));
    expect(err.code).toBe('INVALID_PARAMETER_VALUE');
    expect(err.message).toContain(`segment '${segment}'`);
    expect(err.message).toContain('which Windows or macOS cannot store');
  });

  it.each(['CONSOLE.txt', 'con-fig.yaml', 'nul_', 'COM10', 'LPT', 'CONIN', 'conout$x', 'COM¹0', 'a+b c.txt', 'données/😀.png', '.hidden', 'a..b', "it's (1), [2] & {3}=4"])('accepts %j', (path) => {
    expect(checkNewArtifactPath(path)).toBe(path);
  });

  it('still lets checkArtifactPath name existing files with such names, to read or delete them', () => {
    expect(checkArtifactPath('old/CON')).toBe('old/CON');
    expect(checkArtifactPath('old/a:b.txt')).toBe('old/a:b.txt');
  });
});
