/**
 * Several engines on one PostgreSQL database, each with its own connection pool, as several
 * server processes behind a load balancer would be: writes at the same moment lose nothing and
 * number nothing twice, and each engine's subscribers hear the others' changes exactly once.
 */
import pg from 'pg';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createClient, type Client } from '#core/api/client.ts';
import { IN_PROCESS_OWNER } from '#core/api/access.ts';
import { dispatch } from '#core/api/dispatch.ts';
import type { FlowdeskEvent } from '#core/api/events.ts';
import { EVENTS_CHANNEL } from '#core/catalog/postgres-events.ts';
import { openFlowdesk, type Flowdesk } from '#core/flowdesk.ts';
import { freshPostgresDatabase } from '../helpers/postgres.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const ENGINES = 4;

async function engines(count: number, catalog?: string): Promise<{ fd: Flowdesk; api: Client }[]> {
  catalog ??= await freshPostgresDatabase();
  // Opened at once: the migrations' advisory lock lets exactly one of them migrate. Each has a
  // data folder of its own, as each server process does (a folder has one owner).
  const all = await Promise.all(Array.from({ length: count }, () => openFlowdesk({ dataDir: tempDir(), catalog, defaultActor: () => 'tester' })));
  onTestFinished(async () => {
    for (const fd of all) await fd.close();
  });
  return all.map((fd) => ({ fd, api: createClient((name, input) => dispatch(fd.handlers, name, input, IN_PROCESS_OWNER, () => undefined)) }));
}

describe('several engines on one PostgreSQL catalog', () => {
  it('keeps every point and the right latest value when all log to one run at once', async () => {
    const all = await engines(ENGINES);
    const { run } = await all[0]!.api.call('runs.create', {});
    const runId = run.info.runId;
    const keys = ['loss', 'acc', 'lr'];
    const calls = 12;
    // Engine e, call c logs step c*ENGINES+e of every key: interleaved, so the latest point of a
    // key may be written by any engine, in any order of commits. Every third call also sets a
    // tag, taking the non-merged write path.
    await Promise.all(
      all.flatMap(({ api }, e) =>
        Array.from({ length: calls }, (_, c) => {
          const step = c * ENGINES + e;
          return api.call('runs.logBatch', {
            runId,
            metrics: keys.map((key, k) => ({ key, value: step * 10 + k, timestamp: 1000 + step, step })),
            tags: c % 3 === 0 ? [{ key: `from-${e}`, value: String(c) }] : undefined,
          });
        }),
      ),
    );
    const total = calls * ENGINES;
    const { run: got } = await all[1]!.api.call('runs.get', { runId });
    const latest = Object.fromEntries(got.data.metrics.map((m) => [m.key, m]));
    keys.forEach((key, k) => expect(latest[key]).toEqual({ key, value: (total - 1) * 10 + k, timestamp: 1000 + total - 1, step: total - 1 }));
    for (const key of keys) {
      const { metrics } = await all[2]!.api.call('metrics.history', { runId, key, maxResults: 1000 });
      expect(metrics.map((m) => m.step)).toEqual(Array.from({ length: total }, (_, i) => i));
      const sampled = await all[3]!.api.call('metrics.sampled', { runId, key, buckets: 4 });
      expect(sampled.pointCount).toBe(total);
      expect(Math.min(...sampled.buckets.map((b) => b.min))).toBe(keys.indexOf(key));
      expect(Math.max(...sampled.buckets.map((b) => b.max))).toBe((total - 1) * 10 + keys.indexOf(key));
    }
  });

  it('numbers versions created at once through every engine 1..N, without gaps or repeats', async () => {
    const all = await engines(ENGINES);
    await all[0]!.api.call('registry.createModel', { name: 'shared' });
    const { run } = await all[0]!.api.call('runs.create', {});
    const perEngine = 6;
    const created = await Promise.all(
      all.flatMap(({ api }) => Array.from({ length: perEngine }, () => api.call('registry.createVersion', { name: 'shared', source: `runs:/${run.info.runId}/model` }))),
    );
    const numbers = created.map((c) => Number(c.version.version)).sort((a, b) => a - b);
    expect(numbers).toEqual(Array.from({ length: ENGINES * perEngine }, (_, i) => i + 1));
    const history = await all[1]!.api.call('registry.history', { name: 'shared' });
    expect(history.entries.filter((e) => e.kind === 'version.created')).toHaveLength(ENGINES * perEngine);
  });

  it('creates one experiment when every engine tries the same name at once', async () => {
    const all = await engines(ENGINES);
    const results = await Promise.allSettled(all.map(({ api }) => api.call('experiments.create', { name: 'race' })));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: 'RESOURCE_ALREADY_EXISTS' });
  });

  it('continues a search on another engine from the page token the first one gave', async () => {
    const [a, b] = await engines(2);
    for (let i = 0; i < 5; i++) await a!.api.call('runs.create', { runName: `r${i}` });
    const first = await a!.api.call('runs.search', { experimentIds: ['0'], orderBy: ['attributes.run_name DESC'], maxResults: 2 });
    const second = await b!.api.call('runs.search', { experimentIds: ['0'], orderBy: ['attributes.run_name DESC'], maxResults: 10, pageToken: first.nextPageToken });
    expect([...first.runs, ...second.runs].map((r) => r.info.runName)).toEqual(['r4', 'r3', 'r2', 'r1', 'r0']);
    expect(second.nextPageToken).toBeUndefined();
  });

  it("delivers each engine's events to every engine's subscribers exactly once", async () => {
    const [a, b] = await engines(2);
    const seenByA: FlowdeskEvent[] = [];
    const seenByB: FlowdeskEvent[] = [];
    a!.fd.events.subscribe((e) => seenByA.push(e));
    b!.fd.events.subscribe((e) => seenByB.push(e));
    const { run } = await a!.api.call('runs.create', {});
    const { experimentId } = await b!.api.call('experiments.create', { name: 'from-b' });
    const expected: FlowdeskEvent[] = [
      { type: 'run.created', experimentId: '0', runId: run.info.runId },
      { type: 'experiment.changed', experimentId },
    ];
    await expect.poll(() => seenByA.length, { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
    await expect.poll(() => seenByB.length, { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
    // A little longer, so that a second copy of either event would have arrived.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(seenByA).toEqual(expected);
    expect(seenByB.sort((x, y) => x.type.localeCompare(y.type))).toEqual([...expected].sort((x, y) => x.type.localeCompare(y.type)));
  });

  it('listens again after its event connection is cut, and hears the others from then on', async () => {
    const catalog = await freshPostgresDatabase();
    const [a, b] = await engines(2, catalog);
    const seenByB: FlowdeskEvent[] = [];
    b!.fd.events.subscribe((e) => seenByB.push(e));
    const admin = new pg.Client({ connectionString: catalog });
    await admin.connect();
    onTestFinished(() => admin.end());
    const listeners = `select pid from pg_stat_activity where datname = current_database() and query = 'listen ${EVENTS_CHANNEL}'`;
    const before = (await admin.query<{ pid: number }>(listeners)).rows.map((r) => r.pid);
    expect(before).toHaveLength(2);
    // Cut every event connection, as a database restart or a network blip would.
    await admin.query(`select pg_terminate_backend(pid) from (${listeners}) as l`);
    await expect.poll(async () => (await admin.query<{ pid: number }>(listeners)).rows.filter((r) => !before.includes(r.pid)).length, { timeout: 15_000 }).toBe(2);
    const { run } = await a!.api.call('runs.create', {});
    await expect.poll(() => seenByB, { timeout: 10_000 }).toEqual([{ type: 'run.created', experimentId: '0', runId: run.info.runId }]);
  });
});
