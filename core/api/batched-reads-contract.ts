/**
 * Reads of many runs in one call, for views that show hundreds side by side (compare): the runs
 * themselves and one metric's downsampled series of each. One call instead of one per run spares
 * a round trip (HTTP or IPC), a dispatch and a lookup of the run per run.
 */
import { z } from 'zod';
import { metricBucket, run } from './entities.ts';
import { TEAM_READ } from './access.ts';
import { method } from './contract-method.ts';

/** The most runs one batched read names. */
export const MAX_BATCH_RUNS = 1000;
/** The most buckets one `metrics.sampledMany` may ask for in all (series × buckets): a few MB of JSON. */
export const MAX_BATCH_BUCKETS = 500_000;

/** One run's downsampled series, as `metrics.sampled` answers it. */
export const sampledSeries = z.object({ runId: z.string(), buckets: z.array(metricBucket), nanCount: z.number(), pointCount: z.number() });

export const batchedReadsContract = {
  'runs.getMany': method(
    'Gets many runs at once (as runs.get does each), in the order named, each once; ids that name no run are listed in `missing` instead.',
    z.object({ runIds: z.array(z.string().min(1)).min(1).max(MAX_BATCH_RUNS) }),
    z.object({ runs: z.array(run), missing: z.array(z.string()) }),
    TEAM_READ,
  ),
  'metrics.sampledMany': method(
    "Reads one metric of many runs downsampled, as metrics.sampled does for each (a run's own step range when given), in the order named; a run without the metric has no buckets. At most 1,000 runs and 500,000 buckets in all (runs × buckets).",
    z.object({
      key: z.string(),
      buckets: z.number().int().min(1).max(100_000).optional(),
      series: z
        .array(z.object({ runId: z.string().min(1), startStep: z.number().int().optional(), endStep: z.number().int().optional() }))
        .min(1)
        .max(MAX_BATCH_RUNS),
    }),
    z.object({ series: z.array(sampledSeries) }),
    TEAM_READ,
  ),
} as const;
