/** Run colours: distinct for twenty runs and for hundreds, readable on both themes, never repeating. */
import { describe, expect, it } from 'vitest';
import { colorDistance, PALETTE_SIZE, sequentialColor, seriesColor } from '../../renderer/src/lib/series-colors.ts';

/** WCAG contrast ratio of two `#rrggbb` colours. */
function contrast(a: string, b: string): number {
  const luminance = (hex: string) => {
    const n = Number.parseInt(hex.slice(1), 16);
    const [r, g, bl] = [(n >> 16) & 255, (n >> 8) & 255, n & 255].map((v) => {
      const c = v / 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    }) as [number, number, number];
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  };
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

/** The smallest distance between any two of the colours. */
function closestPair(colors: string[]): number {
  let min = Number.POSITIVE_INFINITY;
  for (let i = 0; i < colors.length; i++) for (let j = 0; j < i; j++) min = Math.min(min, colorDistance(colors[i]!, colors[j]!));
  return min;
}

const themes = [
  { dark: false, background: '#ffffff' },
  { dark: true, background: '#16181d' },
];

describe.each(themes)('run colours (dark: $dark)', ({ dark, background }) => {
  const colors = (n: number) => Array.from({ length: n }, (_, i) => seriesColor(i, dark));

  it('keeps the first twenty clearly apart', () => {
    expect(PALETTE_SIZE).toBe(20);
    // OKLab distance: 0.02 is about the least people notice; the palette keeps four times that.
    expect(closestPair(colors(20))).toBeGreaterThan(0.075);
  });

  it('gives three hundred runs three hundred colours, none of them near-identical', () => {
    const many = colors(300);
    expect(new Set(many).size).toBe(300);
    expect(closestPair(many)).toBeGreaterThan(0.012);
    expect(many.slice(20)).not.toContain(many[0]);
  });

  it('draws every colour at 3:1 or more against the background', () => {
    for (const color of colors(300)) expect(contrast(color, background), color).toBeGreaterThanOrEqual(3);
  });

  it('gives a run the same colour however many runs come after it', () => {
    const before = colors(25);
    colors(300);
    expect(colors(25)).toEqual(before);
  });

  it('runs a sequential scale from one end to the other in even steps of lightness', () => {
    const ends = [sequentialColor(0, dark), sequentialColor(0.5, dark), sequentialColor(1, dark)];
    expect(colorDistance(ends[0]!, ends[2]!)).toBeGreaterThan(0.25);
    expect(Math.abs(colorDistance(ends[0]!, ends[1]!) - colorDistance(ends[1]!, ends[2]!))).toBeLessThan(0.1);
  });
});
