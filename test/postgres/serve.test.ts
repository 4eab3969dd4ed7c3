/** `flowdesk serve --catalog postgresql://…`: the real command keeps its catalog in PostgreSQL. */
import { spawn } from 'node:child_process';
import pg from 'pg';
import { describe, expect, it, onTestFinished } from 'vitest';
import { freshPostgresDatabase } from '../helpers/postgres.ts';
import { tempDir } from '../helpers/temp-dir.ts';

describe('flowdesk serve --catalog', () => {
  it('serves MLflow clients from a PostgreSQL catalog and reports it healthy', async () => {
    const catalog = await freshPostgresDatabase();
    const child = spawn(process.execPath, ['bin/flowdesk.js', 'serve', '--port', '0', '--data-dir', tempDir(), '--catalog', catalog], { stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    onTestFinished(async () => {
      child.kill('SIGTERM');
      await exited;
    });
    let out = '';
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (c: Buffer) => {
        out += c.toString();
        const match = /Listening on (\S+)/.exec(out);
        if (match) resolve(match[1]!);
      });
      child.on('exit', (code) => reject(new Error(`serve exited with ${code}: ${err}`)));
    });
    expect(out).toContain(`with the catalog at ${catalog}`);

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
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
