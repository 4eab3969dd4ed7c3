/** How sizes on disk look in the window. */

const UNITS = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/**
 * Bytes in the largest binary unit that keeps the number under 1024, one decimal below 100: "512 B",
 * "4.0 KiB", "200 KiB". The one byte formatter of the window; an unknown size (a folder) is empty.
 */
export function formatBytes(bytes: number | undefined): string {
  if (bytes === undefined) return '';
  if (!Number.isFinite(bytes) || bytes < 0) return '—';
  if (bytes < 1024) return `${bytes} B`;
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value < 100 ? value.toFixed(1) : Math.round(value)} ${UNITS[unit]}`;
}

/** The exact count, for a confirmation: "4,096 bytes", "1 byte". */
export function formatExactBytes(bytes: number): string {
  return `${bytes.toLocaleString('en-US')} ${bytes === 1 ? 'byte' : 'bytes'}`;
}
