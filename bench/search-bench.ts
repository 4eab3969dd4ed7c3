/**
 * Search benchmark on 20,000 runs × 20 params × 20 metrics × 5 tags: the first page of 100 for
 * `metrics.acc > 0.9 and params.model = 'rf'` ordered by a metric, and paging through all matches.
 * The baseline is the same question asked in hand-written SQL on the same file in the same run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openFlowdesk } from '#core/flowdesk.ts';
import { searchRuns } from '#core/search/search.ts';
import { median, report, time } from './bench-util.ts';

const RUNS = 20_000;
const FILTER = "metrics.acc > 0.9 and params.model = 'rf'";
const ORDER = ['metrics.acc DESC'];

/** A deterministic generator, so every run of the benchmark searches the same data. */
function random(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
}

async function seed(dataDir: string) {
  const fd = await openFlowdesk({ dataDir });
  const next = random(42);
  const models = ['rf', 'xgb', 'lr', 'svm'];
  for (let start = 0; start < RUNS; start += 1000) {
    await fd.catalog.write(async (trx) => {
      const runs = await trx
        .insertInto('runs')
        .values(
          Array.from({ length: 1000 }, (_, i) => {
            const uuid = (start + i).toString(16).padStart(32, '0');
            return { run_uuid: uuid, experiment_id: 0, name: `run-${start + i}`, user_id: 'bench', status: 'FINISHED', start_time: 1_700_000_000_000 + start + i, end_time: null, lifecycle_stage: 'active', artifact_uri: `mlflow-artifacts:/0/${uuid}/artifacts`, deleted_time: null };
          }),
        )
        .returning('id')
        .execute();
      for (const { id } of runs) {
        await trx.insertInto('params').values(Array.from({ length: 20 }, (_, p) => ({ run_id: id, key: p === 0 ? 'model' : `p${p}`, value: p === 0 ? models[Math.floor(next() * 4)]! : String(Math.floor(next() * 100)) }))).execute();
        await trx.insertInto('run_tags').values(Array.from({ length: 5 }, (_, t) => ({ run_id: id, key: `t${t}`, value: String(Math.floor(next() * 10)) }))).execute();
        await trx
          .insertInto('metric_series')
          .values(Array.from({ length: 20 }, (_, m) => ({ run_id: id, key: m === 0 ? 'acc' : `m${m}`, value: next(), is_nan: 0, timestamp: 1, step: 0, point_count: 1, nan_count: 0, min_step: 0, max_step: 0 })))
          .execute();
      }
    });
  }
  return fd;
}

export async function runSearchBench(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'flowdesk-search-bench-'));
  try {
    const fd = await seed(dir);
    const firstPage: number[] = [];
    for (let i = 0; i < 15; i++) {
      const start = process.hrtime.bigint();
      await fd.handlers['runs.search']({ experimentIds: ['0'], filter: FILTER, orderBy: ORDER, maxResults: 100 });
      firstPage.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
    const idsOnly: number[] = [];
    for (let i = 0; i < 15; i++) {
      const start = process.hrtime.bigint();
      await searchRuns(fd.catalog.db, fd.catalog.dialect, { experimentIds: ['0'], filter: FILTER, orderBy: ORDER, maxResults: 100 });
      idsOnly.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
    let matched = 0;
    const pagingStart = process.hrtime.bigint();
    let pageToken: string | undefined;
    do {
      const page = await fd.handlers['runs.search']({ experimentIds: ['0'], filter: FILTER, orderBy: ORDER, maxResults: 1000, pageToken });
      matched += page.runs.length;
      pageToken = page.nextPageToken;
    } while (pageToken);
    const pagingSeconds = Number(process.hrtime.bigint() - pagingStart) / 1e9;
    await fd.close();

    const raw = new Database(join(dir, 'catalog.sqlite'), { readonly: true });
    const query = raw.prepare(`select r.id from runs r
      join metric_series a on a.run_id = r.id and a.key = 'acc' and a.is_nan = 0 and a.value > 0.9
      join params p on p.run_id = r.id and p.key = 'model' and p.value = 'rf'
      where r.experiment_id = 0 and r.lifecycle_stage = 'active' order by a.value desc, r.start_time desc limit 100`);
    const rawMs = median(Array.from({ length: 15 }, () => time(() => query.all()) * 1000));
    raw.close();
    const ours = median(firstPage);
    report(`Search ${RUNS.toLocaleString()} runs (20 params, 20 metrics, 5 tags each): ${FILTER}, by ${ORDER[0]}`, [
      ['hand-written SQL, ids only (baseline, median of 15)', `${rawMs.toFixed(1)} ms`],
      ['query language compiled to SQL, ids only (median of 15)', `${median(idsOnly).toFixed(1)} ms (ratio to baseline ${(median(idsOnly) / rawMs).toFixed(1)})`],
      ['runs.search, first page of 100 full runs (median of 15)', `${ours.toFixed(1)} ms (goal < 30 ms)`],
      ['paging through all matches, pages of 1,000', `${matched.toLocaleString()} runs in ${pagingSeconds.toFixed(2)} s = ${Math.round(matched / pagingSeconds).toLocaleString()} runs/s`],
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
