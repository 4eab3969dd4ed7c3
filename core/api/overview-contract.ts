/**
 * The start page's read: what is going on in this Flowdesk at a glance (experiments with their run
 * counts and last activity, the runs running now, the latest runs), answered by two queries over
 * the whole catalog however many experiments and runs it holds, so the window never walks them.
 */
import { z } from 'zod';
import { runStatus } from './entities.ts';
import { TEAM_READ } from './access.ts';
import { method } from './contract-method.ts';

/** How many runs `home.overview` returns in each of its run lists. */
export const OVERVIEW_RUNS = 10;

/** An active experiment with its active runs counted. */
export const experimentActivity = z.object({
  experimentId: z.string(),
  name: z.string(),
  runCount: z.number().int(),
  runningCount: z.number().int(),
  /** The latest of its creation, its last change, and its runs' starts and ends (ms). */
  lastActivity: z.number(),
});
export type ExperimentActivity = z.infer<typeof experimentActivity>;

/** A run as a list on the start page names it. */
export const runSummary = z.object({
  runId: z.string(),
  runName: z.string(),
  experimentId: z.string(),
  experimentName: z.string(),
  status: runStatus,
  startTime: z.number(),
  endTime: z.number().optional(),
});
export type RunSummary = z.infer<typeof runSummary>;

export const overviewContract = {
  'home.overview': method(
    "The start page at a glance: every active experiment with its active runs counted (all, running) and its last activity, most recently active first; the active runs running now and the latest active runs (newest first, 10 each), with their experiment's name.",
    z.object({}),
    z.object({ experiments: z.array(experimentActivity), running: z.array(runSummary), recent: z.array(runSummary) }),
    TEAM_READ,
  ),
} as const;
