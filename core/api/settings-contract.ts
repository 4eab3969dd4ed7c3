/**
 * The app's settings: the port scripts log to, whether that port requires a token, and the
 * window's theme. Kept in `settings.json` in the data folder, read by `flowdesk serve` and the
 * desktop app alike. Per-experiment notifications are an experiment tag (`NOTIFY_TAG`), not a
 * setting, so they travel with the experiment.
 */
import { z } from 'zod';
import { method } from './contract-method.ts';
import { OWNER, OWNER_LOCAL } from './access.ts';

export const THEMES = ['system', 'light', 'dark'] as const;
export const theme = z.enum(THEMES);
export type Theme = z.infer<typeof theme>;

/** Experiment tag that opts an experiment into an OS notification when a run finishes or fails. */
export const NOTIFY_TAG = 'flowdesk.notify';

export const settings = z.object({
  /** The localhost port the server listens on; 0 picks a free one at each start. */
  port: z.number().int().min(0).max(65535),
  /** Whether scripts must send the token (MLFLOW_TRACKING_TOKEN). The desktop window never needs it. */
  requireToken: z.boolean(),
  /** The token, generated when first required. */
  token: z.string().optional(),
  theme,
  /** Largest file one artifact upload may store, in bytes (default 20 GiB). Set in the file only. */
  maxUploadBytes: z.number().int().min(0).optional(),
  /** Free space artifact uploads must leave on the disk, in bytes (default 1 GiB). Set in the file only. */
  freeSpaceReserveBytes: z.number().int().min(0).optional(),
});
export type Settings = z.infer<typeof settings>;

export const DEFAULT_SETTINGS: Settings = { port: 5000, requireToken: false, theme: 'system' };

export const settingsContract = {
  'settings.get': method(
    "The app's settings and the data folder they belong to. Port and token changes apply when the server next starts (at once in the desktop app).",
    z.object({}),
    z.object({ settings, dataDir: z.string() }),
    OWNER,
  ),
  'settings.update': method(
    'Changes some settings; absent fields stay. Requiring a token generates one when there is none; `newToken` replaces it.',
    z.object({
      port: settings.shape.port.optional(),
      requireToken: z.boolean().optional(),
      theme: theme.optional(),
      newToken: z.boolean().optional(),
    }),
    z.object({ settings }),
    OWNER_LOCAL,
  ),
};
