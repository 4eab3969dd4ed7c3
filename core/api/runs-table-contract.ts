/**
 * Contract methods that serve the window's runs table beyond `runs.search`: the keys an
 * experiment's runs have (column chooser, filter suggestions), metric summaries per value of a
 * param (group by), and how many child runs each run has (nested runs). Each is answered by SQL
 * over the whole experiment, so a table of 50,000 runs never loads them all to know these.
 */
import { z } from 'zod';
import { metricValue, viewType } from './entities.ts';
import { TEAM_READ } from './access.ts';
import { method } from './contract-method.ts';

const id = z.string().min(1);

/** The most groups `runs.groups` returns; past it the answer says it was cut. */
export const MAX_GROUPS = 1000;
/** The most distinct keys of one kind `runs.keys` returns. */
export const MAX_KEYS = 5000;

/** One metric's summary over a group's runs (NaN values left out; count says how many runs had a value). */
export const groupMetric = z.object({ key: z.string(), mean: metricValue, min: metricValue, max: metricValue, count: z.number().int() });
/** A group: the runs whose param has `value` (null: runs that never logged the param). */
export const runGroup = z.object({ value: z.string().nullable(), runCount: z.number().int(), metrics: z.array(groupMetric) });
export type RunGroup = z.infer<typeof runGroup>;

export const runsTableContract = {
  'runs.keys': method(
    'The param, latest-metric and tag keys logged by the runs of some experiments, each list sorted and distinct (at most 5,000 each).',
    z.object({ experimentIds: z.array(id).min(1).max(100), viewType: viewType.optional() }),
    z.object({ params: z.array(z.string()), metrics: z.array(z.string()), tags: z.array(z.string()) }),
    TEAM_READ,
  ),
  'runs.groups': method(
    "Groups the runs matching a filter by the value of one param, with each group's run count and the mean, min and max of the latest value of each metric (or of the named metrics); groups sorted by value, missing last, at most 1,000.",
    z.object({
      experimentIds: z.array(id).min(1).max(100),
      param: z.string().min(1),
      filter: z.string().optional(),
      viewType: viewType.optional(),
      metrics: z.array(z.string()).max(500).optional(),
    }),
    z.object({ groups: z.array(runGroup), truncated: z.boolean() }),
    TEAM_READ,
  ),
  'runs.childCounts': method(
    'How many child runs (tag mlflow.parentRunId) each of the given runs has, in the view type (default active); runs without children are left out.',
    z.object({ runIds: z.array(id).max(1000), viewType: viewType.optional() }),
    z.object({ counts: z.record(z.string(), z.number().int()) }),
    TEAM_READ,
  ),
} as const;
