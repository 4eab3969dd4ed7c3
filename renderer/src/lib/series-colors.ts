/**
 * Colours of runs in charts and in the compare view. The first twenty are a fixed categorical
 * palette: Tableau 10's hues, then ten picked as far as possible from them (in OKLab), all at
 * least 3:1 against the theme's background. Beyond twenty, colours are generated in OKLCH, each
 * the candidate farthest from every colour before it, so hundreds of runs never repeat a colour.
 * A run keeps its index, so it keeps its colour in every view.
 */

/** Tableau 10 (deepened where needed for 3:1 on white), then ten more far from them. */
const LIGHT = [
  '#1f77b4', '#d95f02', '#2a8a2a', '#c62828', '#7b4fb3', '#8c564b', '#c2389a', '#5f6368', '#8a8a00', '#0e8a99',
  '#0532b6', '#7f015d', '#195705', '#b26bfc', '#9f819a', '#62059e', '#f84b7c', '#861501', '#5b71fe', '#034d73',
];
/** The same idea for the dark theme's background: lighter hues. */
const DARK = [
  '#5fa8e8', '#ff9a4d', '#6ccf6c', '#ff6b6b', '#b58df0', '#c99a8c', '#f27ac8', '#b8bcc4', '#d4d44a', '#4fd3e3',
  '#7d8908', '#586efb', '#be43be', '#877999', '#c3610d', '#0b9e91', '#feb9fb', '#dd3172', '#baa617', '#0df8be',
];

/** How many runs get a palette colour before colours are generated. */
export const PALETTE_SIZE = LIGHT.length;

/** Linear sRGB channel to gamma-encoded, clamped to [0, 1]. */
function encode(c: number): number {
  const v = c <= 0.0031308 ? 12.92 * c : 1.055 * c ** (1 / 2.4) - 0.055;
  return Math.min(1, Math.max(0, v));
}

/** OKLCH to linear sRGB (may fall outside [0, 1] when out of gamut). */
function oklchToLinear(l: number, c: number, hDeg: number): [number, number, number] {
  const h = (hDeg * Math.PI) / 180;
  const a = c * Math.cos(h);
  const b = c * Math.sin(h);
  const l_ = (l + 0.3963377774 * a + 0.2158037573 * b) ** 3;
  const m_ = (l - 0.1055613458 * a - 0.0638541728 * b) ** 3;
  const s_ = (l - 0.0894841775 * a - 1.291485548 * b) ** 3;
  return [4.0767416621 * l_ - 3.3077115913 * m_ + 0.2309699292 * s_, -1.2684380046 * l_ + 2.6097574011 * m_ - 0.3413193965 * s_, -0.0041960863 * l_ - 0.7034186147 * m_ + 1.707614701 * s_];
}

/** An OKLCH colour as `#rrggbb`, its chroma reduced until it fits in sRGB (hue and lightness kept). */
export function oklchToHex(l: number, c: number, h: number): string {
  let chroma = c;
  let rgb = oklchToLinear(l, chroma, h);
  while (chroma > 0 && rgb.some((v) => v < -1e-4 || v > 1 + 1e-4)) {
    chroma -= 0.005;
    rgb = oklchToLinear(l, Math.max(0, chroma), h);
  }
  return `#${rgb.map((v) => Math.round(encode(v) * 255).toString(16).padStart(2, '0')).join('')}`;
}

/** Lightness band of generated colours: darker on the light theme, lighter on the dark one. */
const BANDS = { light: [0.4, 0.47, 0.54, 0.61], dark: [0.68, 0.76, 0.84, 0.9] };

/** Every in-gamut candidate colour of a band: lightness steps × chroma steps × hues 5° apart. */
function candidates(dark: boolean): { hex: string; lab: [number, number, number] }[] {
  const out: { hex: string; lab: [number, number, number] }[] = [];
  for (const l of dark ? BANDS.dark : BANDS.light) {
    for (const c of [0.07, 0.11, 0.15, 0.19]) {
      for (let h = 0; h < 360; h += 5) {
        const rgb = oklchToLinear(l, c, h);
        if (rgb.some((v) => v < 0 || v > 1)) continue;
        const hex = oklchToHex(l, c, h);
        out.push({ hex, lab: hexToOklab(hex) });
      }
    }
  }
  return out;
}

/**
 * The generated colours in order: each is the candidate farthest (in OKLab) from the palette and
 * every colour generated before it, so the first hundred are as far apart as the space allows and
 * adding runs never changes the colour of an earlier one.
 */
class Generated {
  readonly colors: string[] = [];
  #pool: { hex: string; lab: [number, number, number] }[];
  /** Each pool entry's distance to the nearest colour chosen so far. */
  #nearest: number[];

  constructor(palette: readonly string[], dark: boolean) {
    this.#pool = candidates(dark);
    this.#nearest = this.#pool.map(() => Number.POSITIVE_INFINITY);
    for (const hex of palette) this.#take(hexToOklab(hex));
  }

  #take(lab: [number, number, number]): void {
    this.#pool.forEach((p, i) => {
      const d = Math.hypot(p.lab[0] - lab[0], p.lab[1] - lab[1], p.lab[2] - lab[2]);
      if (d < this.#nearest[i]!) this.#nearest[i] = d;
    });
  }

  /** The `n`-th generated colour; once the pool is used up, colours repeat from the first generated. */
  get(n: number): string {
    while (this.colors.length <= n && this.colors.length < this.#pool.length) {
      let best = 0;
      this.#nearest.forEach((d, i) => {
        if (d > this.#nearest[best]!) best = i;
      });
      const pick = this.#pool[best]!;
      this.colors.push(pick.hex);
      this.#nearest[best] = -1;
      this.#take(pick.lab);
    }
    return this.colors[n % this.colors.length]!;
  }
}

const generated: { light?: Generated; dark?: Generated } = {};

/** The colour of the `index`-th run: one of the palette's twenty, then generated, far from all before it. */
export function seriesColor(index: number, dark: boolean): string {
  const i = Math.max(0, Math.floor(index));
  const palette = dark ? DARK : LIGHT;
  if (i < PALETTE_SIZE) return palette[i]!;
  const theme = dark ? 'dark' : 'light';
  generated[theme] ??= new Generated(palette, dark);
  return generated[theme].get(i - PALETTE_SIZE);
}

/** A `#rrggbb` colour at the given opacity, for the faint raw line behind a smoothed one. */
export function withAlpha(hex: string, alpha: number): string {
  const n = Number.parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
}

/** A `#rrggbb` colour in OKLab, where Euclidean distance tracks how different colours look. */
export function hexToOklab(hex: string): [number, number, number] {
  const n = Number.parseInt(hex.slice(1), 16);
  const lin = [(n >> 16) & 255, (n >> 8) & 255, n & 255].map((v) => {
    const c = v / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  }) as [number, number, number];
  const [r, g, b] = lin;
  const l = Math.cbrt(0.4122214708 * r + 0.5363325363 * g + 0.0514459929 * b);
  const m = Math.cbrt(0.2119034982 * r + 0.6806995451 * g + 0.1073969566 * b);
  const s = Math.cbrt(0.0883024619 * r + 0.2817188376 * g + 0.6299787005 * b);
  return [0.2104542553 * l + 0.793617785 * m - 0.0040720468 * s, 1.9779984951 * l - 2.428592205 * m + 0.4505937099 * s, 0.0259040371 * l + 0.7827717662 * m - 0.808675766 * s];
}

/** How far apart two colours look (OKLab distance; about 0.02 is the least people notice). */
export function colorDistance(a: string, b: string): number {
  const [x, y] = [hexToOklab(a), hexToOklab(b)];
  return Math.hypot(x[0] - y[0], x[1] - y[1], x[2] - y[2]);
}

/**
 * A sequential scale for colouring runs by a value: t in [0, 1] from a dark blue-violet to a
 * light yellow (viridis-like, perceptually even in OKLCH), the low end lighter on a dark background.
 */
export function sequentialColor(t: number, dark: boolean): string {
  const u = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0));
  const [l0, l1] = dark ? [0.55, 0.92] : [0.35, 0.72];
  return oklchToHex(l0 + (l1 - l0) * u, 0.13 + 0.04 * Math.sin(Math.PI * u), 290 - 210 * u);
}
