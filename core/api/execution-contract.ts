/**
 * Whether the window may run code on this machine: a project's command or a model server. A call
 * alone never does; the person confirms each one outside the page (the desktop app's dialog), or
 * allowed it when starting the server (`flowdesk serve --allow-run`). The window asks first, so
 * it can say how to enable running where the Run and Serve buttons are instead of failing.
 */
import { z } from 'zod';
import { TEAM_READ } from './access.ts';
import { method } from './contract-method.ts';

/**
 * `ask`: each run or model server is confirmed by the person in a dialog outside the page.
 * `allowed`: the person allowed them when starting Flowdesk. `off`: refused here.
 */
export const EXECUTION_MODES = ['ask', 'allowed', 'off'] as const;
export const executionMode = z.enum(EXECUTION_MODES);
export type ExecutionMode = z.infer<typeof executionMode>;

export const executionContract = {
  'execution.policy': method(
    'Whether projects.run and models.serve may start anything here, and a plain sentence saying how (or, when off, how to allow them). Either call is refused with PERMISSION_DENIED, and nothing starts, unless the policy allows it or the person confirms it.',
    z.object({}),
    z.object({ mode: executionMode, message: z.string() }),
    TEAM_READ,
  ),
};
