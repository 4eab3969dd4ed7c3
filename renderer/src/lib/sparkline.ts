/**
 * A metric's sparkline from min/max buckets (`metrics.sampled`): a line through each bucket's
 * last value, and the bucket's min–max span as a faint band so spikes still show at this size.
 */

/** The fields of a bucket a sparkline reads. */
export interface SparkBucket {
  startStep: number;
  endStep: number;
  min: number;
  max: number;
  last: number;
}

/** SVG path data for the line and the band, in a `width`×`height` box (empty when nothing is finite). */
export function sparklinePaths(buckets: readonly SparkBucket[], width: number, height: number, pad = 1.5): { line: string; band: string } {
  const finite = buckets.filter((b) => Number.isFinite(b.min) && Number.isFinite(b.max) && Number.isFinite(b.last));
  if (finite.length === 0) return { line: '', band: '' };
  const first = finite[0]!.startStep;
  const lastStep = finite[finite.length - 1]!.endStep;
  const low = Math.min(...finite.map((b) => b.min));
  const high = Math.max(...finite.map((b) => b.max));
  const x = (b: SparkBucket) => (lastStep === first ? width / 2 : pad + (((b.startStep + b.endStep) / 2 - first) / (lastStep - first)) * (width - 2 * pad));
  const y = (v: number) => (high === low ? height / 2 : pad + (1 - (v - low) / (high - low)) * (height - 2 * pad));
  const r = (n: number) => Math.round(n * 10) / 10;
  const line = finite.map((b, i) => `${i === 0 ? 'M' : 'L'}${r(x(b))},${r(y(b.last))}`).join('');
  const band = finite.filter((b) => b.max > b.min).map((b) => `M${r(x(b))},${r(y(b.max))}V${r(y(b.min))}`).join('');
  return { line: finite.length === 1 ? `M${r(x(finite[0]!) - 2)},${r(y(finite[0]!.last))}h4` : line, band };
}
