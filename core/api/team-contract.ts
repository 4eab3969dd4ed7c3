/**
 * The desktop app's link to a team server (desktop calls, over IPC only: they handle a token).
 * While connected, the window's contract calls, live events and artifact previews go to the team
 * server; the localhost server keeps serving local scripts on the laptop's own data.
 */
import { z } from 'zod';
import { method } from './contract-method.ts';
import { OWNER_WINDOW } from './access.ts';

const teamUrl = z.url({ protocol: /^https?$/ }).max(2000);
const teamToken = z.string().min(1).max(4096);

export const teamWho = z.object({
  /** Whether the server asks for a token at all. */
  required: z.boolean(),
  name: z.string().nullable(),
  role: z.string().nullable(),
});

export type TeamWho = z.infer<typeof teamWho>;

/** `team.json` in the data folder: the server and the token, encrypted by the OS unless the person allowed plain text. */
export const savedTeam = z.object({
  url: z.string(),
  token: z.union([z.object({ encrypted: z.string() }), z.object({ plain: z.string() })]),
});

export const teamStatus = z.object({
  /** The team server the window uses now; absent on local data. */
  url: z.string().optional(),
  name: z.string().nullable().optional(),
  role: z.string().nullable().optional(),
  /** Whether the token is kept across restarts (encrypted, or in plain text when the person allowed it). */
  remembered: z.boolean(),
  /** Whether the OS can encrypt the token (Electron safeStorage). */
  encryption: z.boolean(),
  /** Why the saved connection could not be resumed at start, if it could not. */
  problem: z.string().optional(),
});
export type TeamStatus = z.infer<typeof teamStatus>;

export const teamContract = {
  'desktop.teamStatus': method('Whether the window uses a team server, which one and as whom.', z.object({}), teamStatus, OWNER_WINDOW),
  'desktop.testTeam': method(
    "Asks a team server who the token belongs to (GET /api/flowdesk/v1/auth/session) without connecting.",
    z.object({ url: teamUrl, token: teamToken }),
    teamWho,
    OWNER_WINDOW,
  ),
  'desktop.connectTeam': method(
    'Tests the token, then routes the window to the team server. The token is stored encrypted; without OS encryption only when `storePlainText` is set, else it lasts until the app quits.',
    z.object({ url: teamUrl, token: teamToken, storePlainText: z.boolean().optional() }),
    teamStatus,
    OWNER_WINDOW,
  ),
  'desktop.disconnectTeam': method('Returns the window to local data and forgets the token.', z.object({}), teamStatus, OWNER_WINDOW),
};
