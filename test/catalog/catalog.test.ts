import { existsSync, fstatSync, openSync, statSync, writeSync, closeSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it, onTestFinished } from 'vitest';
import { openCatalog } from '#core/catalog/catalog.ts';
import { SCHEMA_VERSION } from '#core/catalog/migrations.ts';
import { tempDir } from '../helpers/temp-dir.ts';

describe('openCatalog', () => {
  it('creates a new catalog at the current schema version with the Default experiment', async () => {
    const dir = tempDir();
    const catalog = await openCatalog(join(dir, 'catalog.sqlite'));
    const version = await catalog.db.selectFrom('flowdesk_meta').select('value').where('key', '=', 'schema_version').executeTakeFirst();
    expect(Number(version?.value)).toBe(SCHEMA_VERSION);
    const def = await catalog.db.selectFrom('experiments').selectAll().where('experiment_id', '=', 0).executeTakeFirstOrThrow();
    expect(def.name).toBe('Default');
    expect(def.lifecycle_stage).toBe('active');
    await catalog.close();
  });

  it('sets WAL, synchronous=NORMAL (the catalog syncs the WAL itself) and foreign keys on the connection', async () => {
    const dir = tempDir();
    const path = join(dir, 'catalog.sqlite');
    const catalog = await openCatalog(path);
    const { sql } = await import('kysely');
    const journal = await sql<{ journal_mode: string }>`pragma journal_mode`.execute(catalog.db);
    const sync = await sql<{ synchronous: number }>`pragma synchronous`.execute(catalog.db);
    const fk = await sql<{ foreign_keys: number }>`pragma foreign_keys`.execute(catalog.db);
    expect(journal.rows[0]?.journal_mode).toBe('wal');
    expect(sync.rows[0]?.synchronous).toBe(1);
    expect(fk.rows[0]?.foreign_keys).toBe(1);
    await catalog.close();
  });

  it('reopens an existing catalog without re-running migrations', async () => {
    const dir = tempDir();
    const path = join(dir, 'catalog.sqlite');
    const first = await openCatalog(path);
    await first.write((trx) => trx.insertInto('flowdesk_meta').values({ key: 'marker', value: 'kept' }).execute());
    await first.close();
    const second = await openCatalog(path);
    const marker = await second.db.selectFrom('flowdesk_meta').select('value').where('key', '=', 'marker').executeTakeFirst();
    expect(marker?.value).toBe('kept');
    await second.close();
  });

  it('refuses a catalog written by a newer schema version with a clear message', async () => {
    const dir = tempDir();
    const path = join(dir, 'catalog.sqlite');
    await (await openCatalog(path)).close();
    const raw = new Database(path);
    raw.prepare("update flowdesk_meta set value = ? where key = 'schema_version'").run(String(SCHEMA_VERSION + 5));
    raw.close();
    await expect(openCatalog(path)).rejects.toThrow(/newer Flowdesk.*Upgrade Flowdesk/);
  });

  it('upgrades an older catalog by applying the missing migrations', async () => {
    const dir = tempDir();
    const path = join(dir, 'catalog.sqlite');
    const raw = new Database(path);
    raw.exec("create table flowdesk_meta (key text primary key, value text not null); insert into flowdesk_meta values ('schema_version', '0')");
    raw.close();
    const catalog = await openCatalog(path);
    const tables = await catalog.db.introspection.getTables();
    expect(tables.map((t) => t.name)).toEqual(expect.arrayContaining(['experiments', 'runs', 'metrics', 'metric_series']));
    await catalog.close();
  });

  it('reports a damaged file clearly instead of opening it', async () => {
    const dir = tempDir();
    const path = join(dir, 'catalog.sqlite');
    writeFileSync(path, Buffer.alloc(8192, 0x5a));
    await expect(openCatalog(path)).rejects.toThrow(/catalog at .* is damaged/);
  });

  it('leaves a clean-close marker that the next open consumes, so a crash after it leaves none', async () => {
    const path = join(tempDir(), 'catalog.sqlite');
    await (await openCatalog(path)).close();
    expect(existsSync(`${path}-closed-cleanly`)).toBe(true);
    const reopened = await openCatalog(path);
    expect(existsSync(`${path}-closed-cleanly`)).toBe(false);
    await reopened.close();
    expect(existsSync(`${path}-closed-cleanly`)).toBe(true);
  });

  it('checks a cleanly closed file that was changed afterwards, and refuses it when damaged', async () => {
    const path = join(tempDir(), 'catalog.sqlite');
    const catalog = await openCatalog(path);
    await catalog.write((trx) => trx.insertInto('flowdesk_meta').values({ key: 'k', value: 'v'.repeat(20_000) }).execute());
    await catalog.close();
    // Garbage over a page in the middle: the header still reads as SQLite, only a check finds it.
    const fd = openSync(path, 'r+');
    writeSync(fd, Buffer.alloc(4096, 0x5a), 0, 4096, 4096);
    closeSync(fd);
    expect(statSync(path).size).toBeGreaterThan(8192);
    expect(existsSync(`${path}-closed-cleanly`)).toBe(true);
    await expect(openCatalog(path)).rejects.toThrow(/catalog at .* is damaged/);
  });

  it('commits writes that arrive together in one group, each in its own savepoint', async () => {
    const dir = tempDir();
    const catalog = await openCatalog(join(dir, 'catalog.sqlite'));
    const writes = Array.from({ length: 50 }, (_, i) =>
      catalog.write(async (trx) => {
        if (i === 7) {
          await trx.insertInto('flowdesk_meta').values({ key: 'doomed', value: 'x' }).execute();
          throw new Error('fails alone');
        }
        await trx.insertInto('flowdesk_meta').values({ key: `k${i}`, value: String(i) }).execute();
        return i;
      }),
    );
    const results = await Promise.allSettled(writes);
    expect(results.filter((r) => r.status === 'rejected')).toHaveLength(1);
    const rows = await catalog.db.selectFrom('flowdesk_meta').select('key').where('key', 'like', 'k%').execute();
    expect(rows).toHaveLength(49);
    const doomed = await catalog.db.selectFrom('flowdesk_meta').select('key').where('key', '=', 'doomed').execute();
    expect(doomed).toHaveLength(0);
    await catalog.close();
  });

  it('rolls back a write that throws alone in its group and commits the next one', async () => {
    const dir = tempDir();
    const catalog = await openCatalog(join(dir, 'catalog.sqlite'));
    const doomed = catalog.write(async (trx) => {
      await trx.insertInto('flowdesk_meta').values({ key: 'doomed', value: 'x' }).execute();
      throw new Error('fails alone');
    });
    await expect(doomed).rejects.toThrow('fails alone');
    await catalog.write((trx) => trx.insertInto('flowdesk_meta').values({ key: 'after', value: 'y' }).execute());
    const rows = await catalog.db.selectFrom('flowdesk_meta').select('key').where('key', 'in', ['doomed', 'after']).execute();
    expect(rows.map((r) => r.key)).toEqual(['after']);
    await catalog.close();
  });
});

/** A file sync at the process's edge that finishes only when the test says so. */
function heldSync() {
  const calls: { fd: number; finish: (err?: Error) => void }[] = [];
  const waiting: { count: number; resolve: () => void }[] = [];
  const fileSync = (fd: number) =>
    new Promise<void>((resolve, reject) => {
      calls.push({ fd, finish: (err) => (err ? reject(err) : resolve()) });
      for (const w of waiting.filter((w) => calls.length >= w.count)) w.resolve();
    });
  /** Resolves once the catalog has asked for `count` syncs in all. */
  const called = (count: number) =>
    new Promise<void>((resolve) => (calls.length >= count ? resolve() : waiting.push({ count, resolve })));
  return { calls, fileSync, called };
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('catalog durability', () => {
  it('acknowledges a write only after a sync of the -wal file that started after its commit', async () => {
    const path = join(tempDir(), 'catalog.sqlite');
    const disk = heldSync();
    const catalog = await openCatalog(path, { fileSync: disk.fileSync });
    onTestFinished(async () => {
      for (const call of disk.calls) call.finish();
      await catalog.close();
    });
    const acked: string[] = [];
    const a = catalog.write((trx) => trx.insertInto('flowdesk_meta').values({ key: 'a', value: '1' }).execute()).then(() => acked.push('a'));
    await disk.called(1);
    expect(fstatSync(disk.calls[0]!.fd).ino).toBe(statSync(`${path}-wal`).ino);
    // Committed and visible, but not acknowledged while its sync runs.
    expect(await catalog.db.selectFrom('flowdesk_meta').select('value').where('key', '=', 'a').executeTakeFirst()).toEqual({ value: '1' });
    const b = catalog.write((trx) => trx.insertInto('flowdesk_meta').values({ key: 'b', value: '2' }).execute()).then(() => acked.push('b'));
    while (!(await catalog.db.selectFrom('flowdesk_meta').select('key').where('key', '=', 'b').executeTakeFirst())) await turn();
    await turn();
    expect(acked).toEqual([]);
    // The first sync started before b's commit, so it acknowledges a only; b waits for a second one.
    disk.calls[0]!.finish();
    await a;
    expect(acked).toEqual(['a']);
    await disk.called(2);
    await turn();
    expect(acked).toEqual(['a']);
    disk.calls[1]!.finish();
    await b;
    expect(acked).toEqual(['a', 'b']);
    expect(disk.calls).toHaveLength(2);
  });

  it('shares one sync among the writes committed while another sync runs', async () => {
    const path = join(tempDir(), 'catalog.sqlite');
    const disk = heldSync();
    const catalog = await openCatalog(path, { fileSync: disk.fileSync });
    onTestFinished(async () => {
      for (const call of disk.calls) call.finish();
      await catalog.close();
    });
    const first = catalog.write((trx) => trx.insertInto('flowdesk_meta').values({ key: 'first', value: '0' }).execute());
    await disk.called(1);
    // Three separate transactions commit while the first sync runs; they wait for one sync together.
    const later: Promise<unknown>[] = [];
    for (let i = 0; i < 3; i++) {
      later.push(catalog.write((trx) => trx.insertInto('flowdesk_meta').values({ key: `later${i}`, value: String(i) }).execute()));
      while (!(await catalog.db.selectFrom('flowdesk_meta').select('key').where('key', '=', `later${i}`).executeTakeFirst())) await turn();
    }
    expect(disk.calls).toHaveLength(1);
    disk.calls[0]!.finish();
    await first;
    await disk.called(2);
    disk.calls[1]!.finish();
    await Promise.all(later);
    expect(disk.calls).toHaveLength(2);
  });

  it('fails the writes of a failed sync and refuses later writes with a clear message', async () => {
    const path = join(tempDir(), 'catalog.sqlite');
    const disk = heldSync();
    const catalog = await openCatalog(path, { fileSync: disk.fileSync });
    onTestFinished(() => catalog.close());
    const write = catalog.write((trx) => trx.insertInto('flowdesk_meta').values({ key: 'x', value: '1' }).execute());
    await disk.called(1);
    disk.calls[0]!.finish(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' }));
    await expect(write).rejects.toMatchObject({ code: 'INVALID_STATE', message: expect.stringContaining('could not flush its writes to the disk (EIO') });
    await expect(catalog.write((trx) => trx.insertInto('flowdesk_meta').values({ key: 'y', value: '1' }).execute())).rejects.toMatchObject({
      code: 'INVALID_STATE',
    });
    expect(await catalog.db.selectFrom('flowdesk_meta').select('key').where('key', '=', 'y').executeTakeFirst()).toBeUndefined();
    expect(disk.calls).toHaveLength(1);
  });

  it('closes only after the syncs of acknowledged-to-be writes have finished', async () => {
    const path = join(tempDir(), 'catalog.sqlite');
    const disk = heldSync();
    const catalog = await openCatalog(path, { fileSync: disk.fileSync });
    const events: string[] = [];
    const write = catalog.write((trx) => trx.insertInto('flowdesk_meta').values({ key: 'w', value: '1' }).execute()).then(() => events.push('acked'));
    await disk.called(1);
    const closing = catalog.close().then(() => events.push('closed'));
    await turn();
    await turn();
    expect(events).toEqual([]);
    disk.calls[0]!.finish();
    await Promise.all([write, closing]);
    expect(events).toEqual(['acked', 'closed']);
  });
});
