import { describe, expect, it } from 'vitest';
import { highlightJson, highlightYaml, readYaml, summarizeMlproject, type Token } from '../../renderer/src/lib/highlight.ts';

const kinds = (tokens: Token[]) => tokens.filter((t) => t.kind && t.kind !== 'punct').map((t) => `${t.kind}:${t.text}`);

describe('JSON highlighting', () => {
  it('tells keys from string values and marks numbers and literals, losing no text', () => {
    const text = '{\n  "name": "<img src=x onerror=alert(1)>",\n  "lr": -1.5e-3,\n  "ok": true,\n  "none": null,\n  "q": "a \\" b"\n}';
    const tokens = highlightJson(text);
    expect(tokens.map((t) => t.text).join('')).toBe(text);
    expect(kinds(tokens)).toEqual(['key:"name"', 'string:"<img src=x onerror=alert(1)>"', 'key:"lr"', 'number:-1.5e-3', 'key:"ok"', 'literal:true', 'key:"none"', 'literal:null', 'key:"q"', 'string:"a \\" b"']);
  });
});

describe('YAML highlighting', () => {
  it('marks keys, values, comments and dashes, and keeps block scalars as text, losing no text', () => {
    const text = "name: demo # the project\nlist:\n  - 1\n  - 'x'\n  - key: 2\nrun: |\n  python train.py\n  a: b\nflag: true\nref: !Ref thing";
    const tokens = highlightYaml(text);
    expect(tokens.map((t) => t.text).join('')).toBe(text);
    expect(kinds(tokens)).toEqual([
      'key:name', 'string:demo', 'comment:# the project', 'key:list', 'number:1', "string:'x'", 'key:key', 'number:2', 'key:run',
      'string:  python train.py', 'string:  a: b', 'key:flag', 'literal:true', 'key:ref', 'tag:!Ref ', 'string:thing',
    ]);
  });
});

describe('reading YAML safely', () => {
  it('keeps tags it does not know as text and reports them, running nothing', () => {
    const reading = readYaml("a: !!python/object/apply:os.system ['touch /tmp/pwned']\nb: !Ref x\nc: 3\n");
    expect(reading.error).toBeUndefined();
    expect(reading.unknownTags.sort()).toEqual(['!Ref', 'tag:yaml.org,2002:python/object/apply:os.system'].sort());
    expect(reading.data).toEqual({ a: ['touch /tmp/pwned'], b: 'x', c: 3 });
  });

  it('reports the first error of malformed YAML', () => {
    expect(readYaml('a: [1,\n').error).toMatch(/./);
  });

  it('summarizes an MLproject file', () => {
    const { data } = readYaml('name: tutorial\npython_env: python_env.yaml\nentry_points:\n  main:\n    command: python train.py\n  validate:\n    command: python v.py\n');
    expect(summarizeMlproject(data)).toEqual({ name: 'tutorial', entryPoints: ['main', 'validate'], environment: 'python_env: python_env.yaml' });
    expect(summarizeMlproject([1, 2])).toBeUndefined();
  });
});
