/**
 * The runs table as CSV: every run the filter matches (read from the server a page at a time, not
 * just the loaded rows), in the table's order, with the columns shown (pinned first), metrics as
 * the columns show them (latest, or min or max of the history), saved as a download.
 */
import { columnId, csvLine, orderedColumns, type Column, type ColumnChoice, type RunRow } from '#renderer/lib/run-rows.ts';
import type { MetricView, RunsTable } from '#renderer/state/runs-table.svelte.ts';

/** The CSV header line of the columns: the run's name and id first. */
export function csvHeader(columns: readonly Column[], metricView: MetricView): string {
  return csvLine([
    'run_name',
    'run_id',
    ...columns.map((c) => (c.kind === 'attribute' ? c.key : c.kind === 'metric' && metricView !== 'last' ? `metric:${c.key}:${metricView}` : columnId(c))),
  ]);
}

/** One CSV line per run: times in ISO 8601, the duration in seconds, metrics at full precision. */
export function csvRows(rows: readonly RunRow[], columns: readonly Column[], metric: (row: RunRow, key: string) => number | undefined): string {
  const field = (row: RunRow, column: Column): string => {
    switch (column.kind) {
      case 'metric': {
        const value = metric(row, column.key);
        return value === undefined ? '' : String(value);
      }
      case 'param':
        return row.params[column.key] ?? '';
      case 'tag':
        return row.tags[column.key] ?? '';
      case 'attribute':
        if (column.key === 'status') return row.status;
        if (column.key === 'start') return new Date(row.startTime).toISOString();
        if (column.key === 'duration') return row.endTime === undefined ? '' : String((row.endTime - row.startTime) / 1000);
        if (column.key === 'user') return row.userId;
        return row.name;
    }
  };
  return rows.map((row) => csvLine([row.name, row.runId, ...columns.map((c) => field(row, c))])).join('');
}

/** The columns a CSV of this choice has after the run's name and id. */
export function csvColumns(choice: ColumnChoice): Column[] {
  const { pinned, rest } = orderedColumns(choice);
  return [...pinned, ...rest];
}

/** Reads every matching run and saves the CSV as `fileName`; `onProgress` hears how many runs are read. */
export async function exportCsv(table: RunsTable, fileName: string, onProgress: (runs: number) => void): Promise<void> {
  const columns = csvColumns(table.choice);
  const view = table.metricView;
  const parts = [csvHeader(columns, view)];
  let count = 0;
  for await (const rows of table.allMatchingRuns()) {
    const ranges = view === 'last' ? {} : await table.rangesFor(rows, table.choice.metrics);
    parts.push(csvRows(rows, columns, (row, key) => (view === 'last' ? row.metrics[key] : ranges[row.runId]?.[key]?.[view])));
    count += rows.length;
    onProgress(count);
  }
  const url = URL.createObjectURL(new Blob(parts, { type: 'text/csv;charset=utf-8' }));
  try {
    const link = document.createElement('a');
    link.href = url;
    link.download = fileName.replace(/[\\/:*?"<>|]+/g, '_');
    document.body.append(link);
    link.click();
    link.remove();
  } finally {
    // After the click has handed the blob to the download; revoking at once can cancel it in some browsers.
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  }
}
