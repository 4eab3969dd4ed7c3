/**
 * The journal of a migration: which source entity became which target entity and how far each
 * got. It lives in the source data folder, one file per target server, and is rewritten
 * atomically (temporary file + rename) after every step, so an interrupted migration resumes
 * where it stopped instead of creating anything twice.
 */
import { createHash, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '#core/platform/atomic-write.ts';

/** How far one run got: created on the target, its data logged, its artifacts uploaded, its status set. */
export type RunStage = 'created' | 'data' | 'artifacts' | 'done';

export interface JournalData {
  target: string;
  /**
   * Names this migration in the tags of the versions it creates: version numbers repeat across
   * laptops, so `classifier/1` alone could be another laptop's version on a shared server.
   */
  migrationId: string;
  /** Source experiment id → target experiment id. */
  experiments: Record<string, string>;
  /** Source experiments whose target this migration created (only those may go to the trash there). */
  createdExperiments: string[];
  /** Source run id → target run id (the same: runs keep their ids) and stage. */
  runs: Record<string, { target: string; stage: RunStage }>;
  /** MLflow 3 logged models (ids, kept on the target) whose data and files arrived. */
  loggedModelsDone: string[];
  /** Traces (ids, kept on the target) whose data, links and assessments arrived. */
  tracesDone: string[];
  /** Registered models this migration created on the target (their recorded times then replace the target's). */
  createdModels: string[];
  /**
   * Per registered model, what is added to a source version number to give its number on the
   * target: 0 for a model this migration created, the target's last number before this migration
   * for one the target had. Versions are created at those numbers, gaps included.
   */
  versionBases: Record<string, number>;
  /** Registered model names done (model, its versions, aliases and stages). */
  modelsDone: string[];
  /** `name/version` in the source → the target version number, and whether its tags, stage and aliases are set. */
  versions: Record<string, { target: number; done: boolean }>;
  /**
   * The items the target refused in the latest pass, by item key (`run:<id>`, `version:<name>/<n>`...):
   * what they are and the target's reason. A refused item is not done, so the next pass tries it
   * again along with whatever else is not done, and nothing that is.
   */
  refused: Record<string, Refusal>;
}

/** An item the target refused: what it is (kind, id, name) and the target's own message. */
export interface Refusal {
  what: string;
  why: string;
}

export interface Journal {
  readonly path: string;
  readonly data: JournalData;
  save(): void;
}

/** The journal file for a target: named by a hash of the URL, so two targets never share one. */
export function journalPath(dataDir: string, target: string): string {
  return join(dataDir, `migrate-${createHash('sha256').update(target).digest('hex').slice(0, 12)}.json`);
}

/** Opens the journal for a target, or starts an empty one (written on the first save). */
export function openJournal(dataDir: string, target: string): Journal {
  const path = journalPath(dataDir, target);
  let data: JournalData;
  try {
    data = JSON.parse(readFileSync(path, 'utf8')) as JournalData;
    // Journals written before refusals were recorded have none.
    data.refused ??= {};
    data.createdExperiments ??= [];
    data.loggedModelsDone ??= [];
    data.createdModels ??= [];
    data.tracesDone ??= [];
    data.versionBases ??= {};
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    data = { target, migrationId: randomUUID(), experiments: {}, createdExperiments: [], runs: {}, loggedModelsDone: [], createdModels: [], tracesDone: [], versionBases: {}, modelsDone: [], versions: {}, refused: {} };
  }
  return {
    path,
    data,
    save() {
      writeFileAtomic(path, JSON.stringify(data, null, 1));
    },
  };
}
