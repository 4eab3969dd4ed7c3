/**
 * Bytes on disk of each table of a SQLite catalog, with its indexes, measured off the event
 * loop. SQLite's dbstat reads every page of the file: seconds on a catalog of several GB, during
 * which a query on the server's own connection would leave every other request unanswered. A
 * worker thread runs the same query over its own read-only connection to the file instead; under
 * WAL it reads the last committed state while the server keeps reading and writing.
 *
 * The worker's code is inline (`eval`), not a file of its own, so the esbuild bundles of the CLI
 * and the desktop app carry it without an entry point of their own. better-sqlite3 is loaded in
 * the worker from the path this module resolves it to, wherever the process was started from.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** Per table (the b-tree of its rows and those of its indexes, which sqlite_schema attributes to it), its pages' bytes. */
export const TABLE_BYTES_SQL = `
  select s.tbl_name as "table", sum(d.pgsize) as bytes
  from dbstat as d join sqlite_schema as s on s.name = d.name
  where d.aggregate = 1
  group by s.tbl_name`;

/** A row of TABLE_BYTES_SQL. */
export interface TableBytesRow {
  table: string;
  bytes: number;
}

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path, { readonly: true, fileMustExist: true });
try {
  parentPort.postMessage(db.prepare(workerData.sql).all());
} finally {
  db.close();
}`;

/** Runs TABLE_BYTES_SQL over the SQLite file at `path` in a worker thread, leaving the event loop free. */
export function sqliteTableBytes(path: string): Promise<TableBytesRow[]> {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { driver, path, sql: TABLE_BYTES_SQL } });
    let rows: TableBytesRow[] | undefined;
    worker.once('message', (message: TableBytesRow[]) => (rows = message));
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (rows) resolve(rows);
      else reject(new Error(`Measuring the catalog's tables stopped without an answer (worker exit code ${code})`));
    });
  });
}
