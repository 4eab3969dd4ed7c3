/**
 * The start page's overview (`home.overview`): two queries whatever the catalog's size, one
 * grouping every active experiment's active runs, one taking the running and the newest runs.
 */
import { sql } from 'kysely';
import type { Handlers } from '#core/api/contract.ts';
import { RUN_STATUSES, type RunStatus } from '#core/api/entities.ts';
import { OVERVIEW_RUNS, type ExperimentActivity, type RunSummary } from '#core/api/overview-contract.ts';
import type { Db } from '#core/catalog/catalog.ts';

export type OverviewHandlers = Pick<Handlers, 'home.overview'>;

/** PostgreSQL hands back counts and bigints as strings; SQLite as numbers. */
const num = (value: unknown): number => (value === null || value === undefined ? 0 : Number(value));

const status = (value: string): RunStatus => ((RUN_STATUSES as readonly string[]).includes(value) ? (value as RunStatus) : 'FAILED');

/** The `home.overview` handler over a catalog. */
export function createOverview(db: Db): OverviewHandlers {
  return {
    async 'home.overview'() {
      const groups = await db
        .selectFrom('experiments as e')
        .leftJoin('runs as r', (join) => join.onRef('r.experiment_id', '=', 'e.experiment_id').on('r.lifecycle_stage', '=', 'active'))
        .where('e.lifecycle_stage', '=', 'active')
        .groupBy(['e.experiment_id', 'e.name', 'e.creation_time', 'e.last_update_time'])
        .select((eb) => [
          'e.experiment_id',
          'e.name',
          'e.creation_time',
          'e.last_update_time',
          eb.fn.count<number>('r.id').as('run_count'),
          sql<number>`sum(case when r.status = 'RUNNING' then 1 else 0 end)`.as('running_count'),
          eb.fn.max('r.start_time').as('last_start'),
          eb.fn.max('r.end_time').as('last_end'),
        ])
        .execute();
      const experiments: ExperimentActivity[] = groups.map((g) => ({
        experimentId: String(g.experiment_id),
        name: g.name,
        runCount: num(g.run_count),
        runningCount: num(g.running_count),
        lastActivity: Math.max(num(g.creation_time), num(g.last_update_time), num(g.last_start), num(g.last_end)),
      }));
      experiments.sort((a, b) => b.lastActivity - a.lastActivity || a.name.localeCompare(b.name));

      // Both lists in one statement: each side is its own limited, ordered subquery.
      const runs = (running: boolean) =>
        db
          .selectFrom('runs as r')
          .innerJoin('experiments as e', 'e.experiment_id', 'r.experiment_id')
          .where('r.lifecycle_stage', '=', 'active')
          .where('e.lifecycle_stage', '=', 'active')
          .$if(running, (q) => q.where('r.status', '=', 'RUNNING'))
          .select(['r.run_uuid', 'r.name', 'r.status', 'r.start_time', 'r.end_time', 'r.experiment_id', 'e.name as experiment_name', sql<number>`${sql.lit(running ? 1 : 0)}`.as('running_list')])
          .orderBy('r.start_time', 'desc')
          .orderBy('r.id', 'desc')
          .limit(OVERVIEW_RUNS);
      const { rows } = await sql<{ run_uuid: string; name: string; status: string; start_time: unknown; end_time: unknown; experiment_id: unknown; experiment_name: string; running_list: unknown }>`
        select * from (${runs(true)}) as running_runs union all select * from (${runs(false)}) as recent_runs`.execute(db);
      const summary = (row: (typeof rows)[number]): RunSummary => ({
        runId: row.run_uuid,
        runName: row.name,
        experimentId: String(row.experiment_id),
        experimentName: row.experiment_name,
        status: status(row.status),
        startTime: num(row.start_time),
        ...(row.end_time === null || row.end_time === undefined ? {} : { endTime: num(row.end_time) }),
      });
      return {
        experiments,
        running: rows.filter((r) => num(r.running_list) === 1).map(summary),
        recent: rows.filter((r) => num(r.running_list) === 0).map(summary),
      };
    },
  };
}
