/**
 * Cuts a numeric param's span into ranges people read at a glance: round-number steps (1, 2, 2.5
 * or 5 times a power of ten) for values of one magnitude, decades for values spanning three or more
 * (learning rates, weight decays), so 50,000 distinct values become a handful of groups.
 */

/** Ranges as ascending edges: range i holds edges[i] <= x < edges[i + 1]; the first edge is at most the lowest value, the last above the highest. */
export interface Ranges {
  scale: 'linear' | 'log';
  edges: number[];
}

/** A number without the float noise of repeated sums (0.30000000000000004 reads as 0.3). */
const clean = (n: number) => Number(n.toPrecision(12));

/** The round step (1, 2, 2.5 or 5 times a power of ten) that cuts `span` into the count of ranges nearest `bins`. */
function niceStep(span: number, bins: number): number {
  const power = 10 ** Math.floor(Math.log10(span / bins));
  let best = power;
  for (const m of [1, 2, 2.5, 5, 10]) {
    const step = clean(m * power);
    if (Math.abs(Math.ceil(span / step) - bins) < Math.abs(Math.ceil(span / best) - bins)) best = step;
  }
  return best;
}

/** About `bins` ranges covering [lo, hi]; decades when all values are positive and span a factor of 1,000 or more. */
export function cutRanges(lo: number, hi: number, bins: number): Ranges {
  if (lo > 0 && hi / lo >= 1000) {
    const first = Math.floor(Math.log10(lo));
    const last = Math.floor(Math.log10(hi)) + 1;
    // Several decades per range when there are more decades than ranges wanted.
    const per = Math.max(1, Math.ceil((last - first) / bins));
    const edges: number[] = [];
    for (let e = first; e < last; e += per) edges.push(clean(10 ** e));
    edges.push(clean(10 ** (first + Math.ceil((last - first) / per) * per)));
    return { scale: 'log', edges };
  }
  const span = hi - lo;
  // One value only: a single range around it, a tenth of its size (or 1 wide at zero).
  const step = span > 0 ? niceStep(span, bins) : niceStep(Math.abs(lo) > 0 ? Math.abs(lo) / 10 : 1, 1);
  const start = clean(Math.floor(lo / step) * step);
  const edges = [start];
  // Stops once an edge passes hi; float error cannot add more than one extra range.
  for (let i = 1; edges[edges.length - 1]! <= hi; i++) edges.push(clean(start + i * step));
  return { scale: 'linear', edges };
}

/** A range's label, as a half-open interval: `[0.001, 0.01)`. */
export function rangeLabel(low: number, high: number): string {
  return `[${low}, ${high})`;
}
