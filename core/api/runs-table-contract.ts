/**
 * Contract methods that serve the window's runs table beyond `runs.search`: the keys an
 * experiment's runs have (column chooser, filter suggestions) and how common and varied each is
 * (default columns), how many runs match a filter, metric summaries per value or numeric range of
 * a param (group by), how many child runs each run has (nested runs), each run's metric min and
 * max, and bulk changes to every run a filter matches (delete, restore, tag). Each is answered by
 * SQL over the whole experiment, so a table of 50,000 runs never loads them all to know these.
 */
import { z } from 'zod';
import { metricValue, viewType } from './entities.ts';
import { TEAM_READ, TEAM_WRITE } from './access.ts';
import { method } from './contract-method.ts';

const id = z.string().min(1);

/** The most groups `runs.groups` returns; past it the answer says it was cut. */
export const MAX_GROUPS = 1000;
/** The most distinct keys of one kind `runs.keys` returns. */
export const MAX_KEYS = 5000;

/** The most runs one bulk change names by id (a filter reaches any number). */
export const MAX_BULK_IDS = 50_000;
/** The most ranges a numeric group-by asks for. */
export const MAX_BINS = 50;

/** One metric's summary over a group's runs (NaN values left out; count says how many runs had a value). */
export const groupMetric = z.object({ key: z.string(), mean: metricValue, min: metricValue, max: metricValue, count: z.number().int() });
/**
 * A group: the runs whose param has `value` (null: runs that never logged the param). When the
 * groups are numeric ranges, `range` holds a range's bounds (low included, high excluded) and
 * `value` its label; `notNumber` marks the group of runs whose value is not a number.
 */
export const runGroup = z.object({
  value: z.string().nullable(),
  runCount: z.number().int(),
  metrics: z.array(groupMetric),
  range: z.object({ low: z.number(), high: z.number() }).optional(),
  notNumber: z.boolean().optional(),
});
export type RunGroup = z.infer<typeof runGroup>;

/** How common a param is over an experiment's runs and how many distinct values it takes. */
export const paramStats = z.object({ key: z.string(), runCount: z.number().int(), distinctValues: z.number().int(), numeric: z.boolean() });
/** How many runs logged a metric. */
export const metricStats = z.object({ key: z.string(), runCount: z.number().int(), varies: z.boolean() });

/** Which runs a bulk change applies to: the ones named, or every run of the experiments the filter matches. */
export const runSelection = z.union([
  z.object({ runIds: z.array(id).min(1).max(MAX_BULK_IDS) }),
  z.object({ experimentIds: z.array(id).min(1).max(100), filter: z.string().optional() }),
]);
export type RunSelection = z.infer<typeof runSelection>;

/** One run's metric extremes over its whole history (NaN left out); a metric with only NaN points has none. */
export const metricRange = z.object({ min: metricValue, max: metricValue });

export const runsTableContract = {
  'runs.keys': method(
    'The param, latest-metric and tag keys logged by the runs of some experiments, each list sorted and distinct (at most 5,000 each).',
    z.object({ experimentIds: z.array(id).min(1).max(100), viewType: viewType.optional() }),
    z.object({ params: z.array(z.string()), metrics: z.array(z.string()), tags: z.array(z.string()) }),
    TEAM_READ,
  ),
  'runs.groups': method(
    "Groups the runs matching a filter by the value of one param, with each group's run count and the mean, min and max of the latest value of each metric (or of the named metrics); groups sorted by value, missing last, at most 1,000. With `bins`, numeric values fall into about that many ranges of round numbers (by decades when they span three or more), and `binning` says how they were cut; a param with no numeric value is grouped by value.",
    z.object({
      experimentIds: z.array(id).min(1).max(100),
      param: z.string().min(1),
      filter: z.string().optional(),
      viewType: viewType.optional(),
      metrics: z.array(z.string()).max(500).optional(),
      bins: z.number().int().min(2).max(MAX_BINS).optional(),
    }),
    z.object({
      groups: z.array(runGroup),
      truncated: z.boolean(),
      binning: z.object({ scale: z.enum(['linear', 'log']), ranges: z.number().int() }).optional(),
    }),
    TEAM_READ,
  ),
  'runs.count': method(
    'How many runs of the experiments match a filter, exactly, in the view type (default active).',
    z.object({ experimentIds: z.array(id).min(1).max(100), filter: z.string().optional(), viewType: viewType.optional() }),
    z.object({ count: z.number().int() }),
    TEAM_READ,
  ),
  'runs.columnStats': method(
    'For each param key of the experiments\' runs: how many runs logged it, how many distinct values it takes and whether every value is a number; for each metric key: how many runs logged it and whether their latest values differ. Sorted by key, at most 5,000 of each; `runCount` is the number of runs in view.',
    z.object({ experimentIds: z.array(id).min(1).max(100), viewType: viewType.optional() }),
    z.object({ runCount: z.number().int(), params: z.array(paramStats), metrics: z.array(metricStats) }),
    TEAM_READ,
  ),
  'runs.metricRanges': method(
    'The min and max over the whole history of the named metrics of the given runs (NaN left out), from the stored summaries; runs and metrics without points are left out.',
    z.object({ runIds: z.array(id).max(1000), keys: z.array(z.string()).max(200) }),
    z.object({ ranges: z.record(z.string(), z.record(z.string(), metricRange)) }),
    TEAM_READ,
  ),
  'runs.deleteMany': method(
    'Moves the selected active runs to the trash in one transaction; answers the ids of the runs it moved (to restore them with runs.restoreMany).',
    z.object({ selection: runSelection }),
    z.object({ runIds: z.array(z.string()) }),
    TEAM_WRITE,
  ),
  'runs.restoreMany': method(
    'Restores the selected runs from the trash in one transaction (with a filter: the deleted runs it matches); refuses all of them if one belongs to a deleted experiment. Answers the ids restored.',
    z.object({ selection: runSelection }),
    z.object({ runIds: z.array(z.string()) }),
    TEAM_WRITE,
  ),
  'runs.setTagMany': method(
    "Sets one tag on every selected active run in one transaction; system tags (`mlflow.*`) are refused, as they carry meaning their own calls keep. Answers how many runs it tagged.",
    z.object({ selection: runSelection, key: z.string(), value: z.string() }),
    z.object({ count: z.number().int() }),
    TEAM_WRITE,
  ),
  'runs.childCounts': method(
    'How many child runs (tag mlflow.parentRunId) each of the given runs has, in the view type (default active); runs without children are left out.',
    z.object({ runIds: z.array(id).max(1000), viewType: viewType.optional() }),
    z.object({ counts: z.record(z.string(), z.number().int()) }),
    TEAM_READ,
  ),
} as const;
