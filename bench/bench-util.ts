/** Small helpers shared by the benchmarks: timing and printing. */

/** Seconds taken by a synchronous function. */
export function time(fn: () => void): number {
  const start = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Prints one benchmark as an aligned table. */
export function report(title: string, lines: [string, string][]): void {
  const width = Math.max(...lines.map(([label]) => label.length));
  console.log(`\n${title}`);
  for (const [label, value] of lines) console.log(`  ${label.padEnd(width)}  ${value}`);
}

/** "met" or "NOT met" for a figure against an upper bound, so a missed goal reads plainly. */
export function goal(value: number, atMost: number, text: string): string {
  return `(goal ${text}: ${value <= atMost ? 'met' : 'NOT met'})`;
}
