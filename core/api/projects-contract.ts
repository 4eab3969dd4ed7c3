/**
 * The contract methods of projects: look into a project, check its parameters, run it, follow
 * its output and stop it. Spread into the table in contract.ts.
 */
import { z } from 'zod';
import { method } from './contract-method.ts';
import { OWNER_LOCAL } from './access.ts';
import { logChunk, paramIssue, projectInfo, projectRunRequest, projectRunState } from './projects-entities.ts';

export const projectsContract = {
  'projects.inspect': method(
    'Reads a project (a folder, or a git URL cloned into the cache) without running anything from it: name, entry points with their typed parameters, environment, git state and warnings. A malformed MLproject file is an INVALID_PARAMETER_VALUE error naming the line and field.',
    z.object({ uri: z.string().min(1) }),
    z.object({ project: projectInfo }),
    OWNER_LOCAL,
  ),
  'projects.validate': method(
    'Checks the parameters of an intended run, each problem naming its parameter, and returns the command that would run. Runs nothing.',
    projectRunRequest,
    z.object({ issues: z.array(paramIssue), command: z.string().optional() }),
    OWNER_LOCAL,
  ),
  'projects.run': method(
    "Runs a project's entry point: validates the parameters (any problem is an INVALID_PARAMETER_VALUE error and nothing starts), creates the run with its params and source tags, prepares the environment and starts the command with MLFLOW_TRACKING_URI and MLFLOW_RUN_ID set. Returns once the run exists; the run ends FINISHED, FAILED or KILLED with its output saved under logs/.",
    projectRunRequest,
    z.object({ state: projectRunState }),
    OWNER_LOCAL,
  ),
  'projects.log': method(
    'The output a project run started by this Flowdesk has printed after chunk number `after`, and its state. Runs from before a restart have their output in the artifacts under logs/.',
    z.object({ runId: z.string().min(1), after: z.number().int().min(0).optional() }),
    z.object({ state: projectRunState, chunks: z.array(logChunk), next: z.number().int(), truncated: z.boolean() }),
    OWNER_LOCAL,
  ),
  'projects.cancel': method(
    'Stops a running project: its whole process group is terminated and the run ends KILLED. Stopping one already done changes nothing.',
    z.object({ runId: z.string().min(1) }),
    z.object({ state: projectRunState }),
    OWNER_LOCAL,
  ),
};
