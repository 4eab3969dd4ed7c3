/**
 * Colours of runs in charts and in the compare view: ten hues that stay apart from one another,
 * a deeper set for light backgrounds and a brighter one for dark.
 */
const LIGHT = ['#2f6fed', '#e8590c', '#2b8a3e', '#c2255c', '#7048e8', '#0c8599', '#a61e4d', '#5c940d', '#d9480f', '#495057'];
const DARK = ['#6ea0ff', '#ff922b', '#51cf66', '#f06595', '#9775fa', '#3bc9db', '#faa2c1', '#a9e34b', '#ffa94d', '#ced4da'];

/** The colour of the `index`-th run (the palette repeats after ten). */
export function seriesColor(index: number, dark: boolean): string {
  const palette = dark ? DARK : LIGHT;
  return palette[((index % palette.length) + palette.length) % palette.length]!;
}

/** A `#rrggbb` colour at the given opacity, for the faint raw line behind a smoothed one. */
export function withAlpha(hex: string, alpha: number): string {
  const n = Number.parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
}
