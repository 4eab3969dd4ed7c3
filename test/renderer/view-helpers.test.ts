import { describe, expect, it } from 'vitest';
import { parseFilterError, splitAtPosition } from '../../renderer/src/lib/filter-error.ts';
import { formatDuration, formatMetric } from '../../renderer/src/lib/format.ts';
import { parseRoute, routeHref } from '../../renderer/src/lib/route.ts';
import { scrollToShow, visibleRange } from '../../renderer/src/lib/virtual-window.ts';

describe('windowing', () => {
  it('renders the rows in view plus the overscan, clamped to the list', () => {
    expect(visibleRange(0, 320, 32, 20_000, 5)).toEqual({ start: 0, end: 15 });
    expect(visibleRange(3200, 320, 32, 20_000, 5)).toEqual({ start: 95, end: 115 });
    expect(visibleRange(32 * 19_995, 320, 32, 20_000, 5)).toEqual({ start: 19_990, end: 20_000 });
    expect(visibleRange(0, 320, 32, 0)).toEqual({ start: 0, end: 0 });
  });

  it('scrolls just enough to show a row below the sticky header', () => {
    expect(scrollToShow(5, 0, 320, 32, 36)).toBe(0);
    expect(scrollToShow(20, 0, 320, 32, 36)).toBe(21 * 32 - 320 + 36);
    expect(scrollToShow(2, 200, 320, 32, 36)).toBe(64);
  });
});

describe('filter errors', () => {
  it('reads the position from the server message', () => {
    expect(parseFilterError("Invalid filter at position 15: expected a number, found '<'")).toEqual({ position: 15, message: "expected a number, found '<'" });
    expect(parseFilterError('something else')).toEqual({ message: 'something else' });
  });

  it('splits the filter at a code-point position, past the end included', () => {
    expect(splitAtPosition('a < 😀x', 5)).toEqual(['a < ', '😀', 'x']);
    expect(splitAtPosition('abc', 4)).toEqual(['abc', ' ', '']);
  });
});

describe('routes', () => {
  it('round-trips an experiment view with its filter and sort', () => {
    const route = { view: 'experiment', experimentId: '3', filter: "params.model = 'rf' and metrics.loss < 0.1", sort: 'metric:val loss', ascending: true } as const;
    expect(parseRoute(routeHref(route))).toEqual(route);
    expect(parseRoute('#/experiments/3')).toEqual({ view: 'experiment', experimentId: '3', filter: '', sort: undefined, ascending: false });
  });

  it('knows home, trash and paths it does not', () => {
    expect(parseRoute('')).toEqual({ view: 'home' });
    expect(parseRoute('#/')).toEqual({ view: 'home' });
    expect(parseRoute('#/trash')).toEqual({ view: 'trash' });
    expect(parseRoute('#/nope')).toEqual({ view: 'not-found', path: '/nope' });
  });
});

describe('formats', () => {
  it('writes durations short', () => {
    expect(formatDuration(850)).toBe('850 ms');
    expect(formatDuration(60_000)).toBe('1 min');
    expect(formatDuration(185_000)).toBe('3 min 5 s');
    expect(formatDuration(-1)).toBe('—');
  });

  it('writes metric values faithfully', () => {
    expect(formatMetric(Number.NaN)).toBe('NaN');
    expect(formatMetric(Number.NEGATIVE_INFINITY)).toBe('−∞');
    expect(formatMetric(42)).toBe('42');
    expect(formatMetric(0.123456)).toBe('0.1235');
    expect(formatMetric(1.5e-7)).toBe('1.500e-7');
  });
});
