import { describe, expect, it } from 'vitest';
import { artifactUrl, parseDelimited, previewKind, sandboxedHtml, storeRoot, totalFromContentRange } from '../../renderer/src/lib/artifact-preview.ts';
import { parseRoute, routeHref, runHref } from '../../renderer/src/lib/route.ts';
import { sparklinePaths } from '../../renderer/src/lib/sparkline.ts';

describe('artifact previews', () => {
  it('chooses a preview from the file name', () => {
    expect(previewKind('plots/loss.PNG')).toBe('image');
    expect(previewKind('model/MLmodel')).toBe('mlmodel');
    expect(previewKind('train.log')).toBe('text');
    expect(previewKind('metrics.json')).toBe('json');
    expect(previewKind('data/sample.csv')).toBe('csv');
    expect(previewKind('data/sample.tsv')).toBe('tsv');
    expect(previewKind('report.html')).toBe('html');
    expect(previewKind('model/requirements.txt')).toBe('text');
    expect(previewKind('model/conda.yaml')).toBe('yaml');
    expect(previewKind('MLproject')).toBe('yaml');
    expect(previewKind('config.YML')).toBe('yaml');
    expect(previewKind('model.pkl')).toBe('none');
  });

  it('downloads through the artifact proxy, each path segment encoded', () => {
    const uri = 'mlflow-artifacts:/3/0123456789abcdef0123456789abcdef/artifacts';
    expect(storeRoot(uri)).toBe('3/0123456789abcdef0123456789abcdef/artifacts');
    expect(artifactUrl(uri, 'r', 'a b/c#d.txt')).toBe('/api/2.0/mlflow-artifacts/artifacts/3/0123456789abcdef0123456789abcdef/artifacts/a%20b/c%23d.txt');
    expect(artifactUrl('file:///elsewhere', 'abc', 'x/y.txt')).toBe('/get-artifact?run_id=abc&path=x%2Fy.txt');
  });

  it('reads the total from Content-Range', () => {
    expect(totalFromContentRange('bytes 0-65535/1048576')).toBe(1048576);
    expect(totalFromContentRange(null)).toBeUndefined();
  });

  it('parses quoted CSV and drops the cut last line of a prefix', () => {
    const text = 'a,b,c\n1,"x, y",3\n2,"say ""hi""\nthere",4\n5,6,7';
    expect(parseDelimited(text, ',', true).rows).toEqual([['a', 'b', 'c'], ['1', 'x, y', '3'], ['2', 'say "hi"\nthere', '4'], ['5', '6', '7']]);
    const prefix = parseDelimited(text, ',', false);
    expect(prefix.rows).toHaveLength(3);
    expect(prefix.truncated).toBe(true);
    expect(parseDelimited('a\tb\r\n1\t2\r\n', '\t', true).rows).toEqual([['a', 'b'], ['1', '2']]);
    const many = parseDelimited(Array.from({ length: 500 }, (_, i) => String(i)).join('\n'), ',', true, 10);
    expect(many.rows).toHaveLength(10);
    expect(many.truncated).toBe(true);
  });

  it('puts a policy that allows no script and no requests in front of HTML', () => {
    expect(sandboxedHtml('<p>hi</p>')).toMatch(/^<meta http-equiv="Content-Security-Policy" content="default-src 'none';[^"]*">/);
  });
});

describe('run routes', () => {
  it('round-trips a run page URL', () => {
    const href = runHref('7', '0123456789abcdef0123456789abcdef');
    expect(href).toBe('#/experiments/7/runs/0123456789abcdef0123456789abcdef');
    const route = parseRoute(href);
    expect(route).toEqual({ view: 'run', experimentId: '7', runId: '0123456789abcdef0123456789abcdef' });
    expect(routeHref(route)).toBe(href);
  });
});

describe('sparklines', () => {
  const bucket = (step: number, min: number, max: number, last: number) => ({ startStep: step, endStep: step, min, max, last });

  it('draws the last values as a line and spans as a band, inside the box', () => {
    const { line, band } = sparklinePaths([bucket(0, 1, 1, 1), bucket(10, 0.2, 0.9, 0.5), bucket(20, 0, 0, 0)], 100, 20, 0);
    expect(line).toBe('M0,0L50,10L100,20');
    expect(band).toBe('M50,2V16');
  });

  it('skips NaN and infinite buckets and draws nothing when none is finite', () => {
    expect(sparklinePaths([bucket(0, Number.NaN, Number.NaN, Number.NaN)], 100, 20)).toEqual({ line: '', band: '' });
    expect(sparklinePaths([bucket(0, 1, 1, 1), bucket(5, Number.NaN, 2, 2), bucket(10, 3, 3, 3)], 100, 20, 0).line).toBe('M0,20L100,0');
    expect(sparklinePaths([bucket(3, 2, 2, 2)], 100, 20).line).toBe('M48,10h4');
  });
});
