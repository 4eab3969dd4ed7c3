/** `flowdesk serve --catalog postgresql://…`: the real command keeps its catalog in PostgreSQL. */
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { freshPostgresDatabase } from '../helpers/postgres.ts';
import { spawnServe } from '../helpers/spawn-serve.ts';
import { tempDir } from '../helpers/temp-dir.ts';

describe('flowdesk serve --catalog', () => {
  it('serves MLflow clients from a PostgreSQL catalog and reports it healthy', async () => {
    const catalog = await freshPostgresDatabase();
    const served = spawnServe(['serve', '--port', '0', '--data-dir', tempDir(), '--catalog', catalog]);
    const url = await served.ready;
    expect(served.out()).toContain(`with the catalog at ${catalog}`);

    const health = await fetch(`${url}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'OK', checks: [{ name: 'catalog', ok: true }, { name: 'artifacts', ok: true }] });

    const created = await fetch(`${url}/api/2.0/mlflow/experiments/create`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"in-postgres"}' });
    expect(created.status).toBe(200);
    const { experiment_id } = (await created.json()) as { experiment_id: string };
    const client = new pg.Client({ connectionString: catalog });
    await client.connect();
    try {
      const rows = await client.query('select experiment_id, name from experiments where name = $1', ['in-postgres']);
      expect(rows.rows).toEqual([{ experiment_id: experiment_id, name: 'in-postgres' }]);
    } finally {
      await client.end();
    }
    expect((await served.stop()).code).toBe(0);
  });
});
