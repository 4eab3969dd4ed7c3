/** The SQLite catalog's table sizes (dbstat), measured by a worker thread while the server keeps answering. */
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { dialectSql } from '#core/catalog/dialect-sql.ts';
import { sqliteTableBytes, TABLE_BYTES_SQL, type TableBytesRow } from '#core/catalog/sqlite-table-bytes.ts';
import type { Flowdesk } from '#core/flowdesk.ts';
import { startTestServer } from '../helpers/server.ts';
import { testFlowdesk } from '../helpers/flowdesk.ts';

/** The sizes as they were measured before the worker: the same query on the catalog's own connection, on the event loop. */
async function onTheEventLoop(fd: Flowdesk): Promise<TableBytesRow[]> {
  const { rows } = await sql<TableBytesRow>`${sql.raw(TABLE_BYTES_SQL)}`.execute(fd.catalog.db);
  return rows;
}

const byTable = (rows: readonly TableBytesRow[]) => [...rows].sort((a, b) => a.table.localeCompare(b.table));

/** `points` metric points in one run, a thousand a batch through the core (the contract client would only add validation time). */
async function logPoints(fd: Flowdesk, runId: string, points: number): Promise<void> {
  for (let first = 0; first < points; first += 1000) {
    await fd.handlers['runs.logBatch']({ runId, metrics: Array.from({ length: 1000 }, (_, i) => ({ key: 'loss', value: Math.cos(first + i), timestamp: 1_700_000_000_000 + first + i, step: first + i })) });
  }
}

describe('sqliteTableBytes', () => {
  it('measures every table as dbstat on the catalog connection does', async () => {
    const { api, fd } = await testFlowdesk();
    const { run } = await api.call('runs.create', { experimentId: '0' });
    await api.call('runs.logBatch', { runId: run.info.runId, params: [{ key: 'lr', value: '0.1' }], tags: [{ key: 'team', value: 'vision' }] });
    await logPoints(fd, run.info.runId, 20_000);

    const measured = byTable(await sqliteTableBytes(fd.catalog.path));
    expect(measured.find((r) => r.table === 'metrics')!.bytes).toBeGreaterThan(20_000 * 10);
    expect(measured).toEqual(byTable(await onTheEventLoop(fd)));
  });

  it('sees writes committed just before it starts', async () => {
    const { api, fd } = await testFlowdesk();
    const before = (await sqliteTableBytes(fd.catalog.path)).find((r) => r.table === 'metrics')!.bytes;
    const { run } = await api.call('runs.create', { experimentId: '0' });
    await logPoints(fd, run.info.runId, 20_000);
    const after = (await sqliteTableBytes(fd.catalog.path)).find((r) => r.table === 'metrics')!.bytes;
    expect(after).toBeGreaterThan(before);
    expect(after).toBe((await onTheEventLoop(fd)).find((r) => r.table === 'metrics')!.bytes);
  });

  it('leaves the server answering /health while it measures a catalog of a million points', async () => {
    const { fd, url, api } = await startTestServer();
    const { run } = await api.call('runs.create', { experimentId: '0' });
    await logPoints(fd, run.info.runId, 1_000_000);
    // The first request loads the HTTP client and opens the connection: not what is measured here.
    expect((await fetch(`${url}/health`)).ok).toBe(true);

    let answered = false;
    const measuring = dialectSql(fd.catalog.dialect)
      .tableBytes(fd.catalog, [])
      .finally(() => (answered = true));
    // A query on the event loop would have run to its end before any request could be read.
    const health = await fetch(`${url}/health`);
    expect(health.ok).toBe(true);
    expect(answered).toBe(false);

    const sizes = await measuring;
    expect(sizes.get('metrics')).toBeGreaterThan(1_000_000 * 15);
    expect(byTable([...sizes].map(([table, bytes]) => ({ table, bytes })))).toEqual(byTable(await onTheEventLoop(fd)));
  });
});
