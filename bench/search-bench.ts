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
import { entries, seedRuns } from './seed-runs.ts';

const RUNS = 20_000;
const FILTER = "metrics.acc > 0.9 and params.model = 'rf'";
const ORDER = ['metrics.acc DESC'];

/** A deterministic generator, so every run of the benchmark searches the same data. */
function random(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
}

/** 20,000 runs of 20 params (`model` and p1...p19), 5 tags and 20 latest metrics (`acc` and m1...m19), drawn at random from one seed. */
async function seed(dataDir: string) {
  const fd = await openFlowdesk({ dataDir });
  const next = random(42);
  const models = ['rf', 'xgb', 'lr', 'svm'];
  await seedRuns(fd, RUNS, () => ({
    params: entries(20, (p) => (p === 0 ? 'model' : `p${p}`), (p) => (p === 0 ? models[Math.floor(next() * 4)]! : String(Math.floor(next() * 100)))),
    tags: entries(5, (t) => `t${t}`, () => String(Math.floor(next() * 10))),
    metrics: entries(20, (m) => (m === 0 ? 'acc' : `m${m}`), () => next()),
  }));
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
