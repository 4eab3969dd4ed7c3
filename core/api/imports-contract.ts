/**
 * Importing other tools' data (an MLflow mlruns/ folder; an MLflow server and TensorBoard logs as
 * their sources arrive): start an import, follow it, stop it. An import reads a path or URL of
 * this machine's choosing, so only the machine's owner may start one, from the window or a
 * loopback server without users, never on a team server. Progress travels on the event channel
 * (`imports.progress`, then `imports.finished`); the full summary, which names files on this
 * machine, only through `imports.get`.
 */
import { z } from 'zod';
import { OWNER_LOCAL } from './access.ts';
import { method } from './contract-method.ts';

/** How far an import got. */
export const importProgress = z.object({
  phase: z.enum(['runs', 'models', 'registry', 'done']),
  experiments: z.number(),
  /** Runs finished (imported, or found already there). */
  runs: z.number(),
  /** Metric points read from the source so far. */
  points: z.number(),
  /** Artifact files and bytes stored (or left in place) so far. */
  files: z.number(),
  bytes: z.number(),
  /** What is being imported now: `<experiment id>/<run name>`. */
  current: z.string().optional(),
});
export type ImportProgress = z.infer<typeof importProgress>;

/** Something an import skipped: where (a file and line, a run) and why. */
export const importProblem = z.object({ where: z.string(), message: z.string() });

/** What an import did. */
export const importSummary = z.object({
  source: z.string(),
  experiments: z.object({ created: z.number(), matched: z.number() }),
  /** Ids of the experiments runs went into, the first first: what to open afterwards. */
  experimentIds: z.array(z.string()),
  runs: z.object({ imported: z.number(), alreadyThere: z.number() }),
  /** Points read from the source, and those that were new here. */
  points: z.object({ read: z.number(), added: z.number() }),
  /** Artifact files copied, left in place (linked), their bytes, and files that were already here. */
  files: z.object({ stored: z.number(), linked: z.number(), bytes: z.number(), alreadyThere: z.number() }),
  loggedModels: z.object({ imported: z.number(), alreadyThere: z.number() }),
  registeredModels: z.object({ created: z.number(), matched: z.number() }),
  versions: z.object({ imported: z.number(), alreadyThere: z.number() }),
  aliases: z.number(),
  /** The first thousand things skipped; `problemCount` counts them all. */
  problems: z.array(importProblem),
  problemCount: z.number(),
});
export type ImportSummary = z.infer<typeof importSummary>;

export const IMPORT_STATES = ['running', 'done', 'stopped', 'failed'] as const;
export const importState = z.enum(IMPORT_STATES);
export type ImportState = z.infer<typeof importState>;

/** One import of this process, running or finished. */
export const importStatus = z.object({
  importId: z.string(),
  source: z.string(),
  state: importState,
  progress: importProgress,
  summary: importSummary.optional(),
  /** Why it failed or stopped. */
  error: z.string().optional(),
});
export type ImportStatus = z.infer<typeof importStatus>;

const importId = z.string().min(1).max(64);

export const importsContract = {
  'imports.start': method(
    "Starts importing from an mlruns/ folder or a folder of TensorBoard logs on this machine, or from an MLflow tracking server's http(s) URL (with `token` when it needs one), and answers at once with the import's id; progress follows as `imports.progress` events and `imports.finished`. A source that cannot be opened (not a folder of a known kind, a server that does not answer or refuses the token) is refused here with what was expected. `experimentName` puts every run into that experiment; `leaveArtifacts` leaves files where they lie when the data folder is on the same disk. Importing the same source again adds only what is new.",
    z.object({
      source: z.string().min(1).max(4096),
      experimentName: z.string().min(1).max(500).optional(),
      leaveArtifacts: z.boolean().optional(),
      /** A bearer token for an MLflow server. */
      token: z.string().max(4096).optional(),
    }),
    z.object({ importId: z.string() }),
    OWNER_LOCAL,
  ),
  'imports.get': method(
    'An import of this process: its state, progress and, once it ended, its summary (counts, and what was skipped and why).',
    z.object({ importId }),
    z.object({ import: importStatus }),
    OWNER_LOCAL,
  ),
  'imports.list': method('The imports of this process, newest first.', z.object({}), z.object({ imports: z.array(importStatus) }), OWNER_LOCAL),
  'imports.stop': method(
    'Stops a running import between batches: the runs finished so far stay, the one in flight is rolled back, and starting the same import again continues with the rest.',
    z.object({ importId }),
    z.object({}),
    OWNER_LOCAL,
  ),
};
