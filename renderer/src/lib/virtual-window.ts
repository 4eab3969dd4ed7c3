/**
 * Windowing for lists of fixed-height rows: which rows a viewport shows. Rows have one height,
 * so the range is arithmetic and needs no measuring; that is what keeps 50,000 rows cheap.
 */

/** Half-open range [start, end) of row indexes to render. */
export interface RowRange {
  start: number;
  end: number;
}

/**
 * The rows visible at `scrollTop` in a viewport of `viewportHeight` pixels, widened by
 * `overscan` rows on each side so fast scrolling does not show blank space before a render.
 */
export function visibleRange(scrollTop: number, viewportHeight: number, rowHeight: number, rowCount: number, overscan = 8): RowRange {
  if (rowCount === 0 || rowHeight <= 0) return { start: 0, end: 0 };
  const first = Math.floor(Math.max(0, scrollTop) / rowHeight);
  const last = Math.ceil((Math.max(0, scrollTop) + Math.max(0, viewportHeight)) / rowHeight);
  return { start: Math.max(0, Math.min(first - overscan, rowCount)), end: Math.min(rowCount, last + overscan) };
}

/**
 * The scrollTop that brings row `index` fully into view, or the current one if it already is.
 * `headerHeight` is the sticky header covering the top of the viewport.
 */
export function scrollToShow(index: number, scrollTop: number, viewportHeight: number, rowHeight: number, headerHeight = 0): number {
  const top = index * rowHeight;
  const bottom = top + rowHeight;
  if (top < scrollTop) return top;
  if (bottom > scrollTop + viewportHeight - headerHeight) return bottom - viewportHeight + headerHeight;
  return scrollTop;
}
