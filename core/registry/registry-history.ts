/**
 * The registry's audit log: every change is appended, inside the transaction that makes it, with
 * time, actor and the values before and after. Nothing here updates or deletes an entry, and the
 * database refuses both (triggers of migration 4), so the log is append-only whatever code runs.
 */
import type { HistoryEntry, HistoryKind } from '#core/api/entities.ts';
import { notFound } from '#core/api/errors.ts';
import type { Db } from '#core/catalog/catalog.ts';
import { decodePageToken, encodePageToken, queryFingerprint } from '#core/search/page-token.ts';

/** A value before or after a change; null where there was none. */
export type HistoryValue = Record<string, unknown> | null;

/** One change, as the service describes it. */
export interface Change {
  kind: HistoryKind;
  /** The model as it is named when the change happens. */
  model: { id: number; name: string };
  version?: number;
  before: HistoryValue;
  after: HistoryValue;
}

/** Who made the changes of one call and when: the same for every entry the call appends. */
export interface ChangeStamp {
  time: number;
  actor: string;
}

/** Appends changes to the history, in order, inside the caller's write transaction. */
export async function recordChanges(trx: Db, stamp: ChangeStamp, changes: readonly Change[]): Promise<void> {
  if (changes.length === 0) return;
  await trx
    .insertInto('registry_history')
    .values(
      changes.map((c) => ({
        time: stamp.time,
        actor: stamp.actor,
        kind: c.kind,
        registered_model_id: c.model.id,
        model_name: c.model.name,
        version: c.version ?? null,
        before_json: c.before === null ? null : JSON.stringify(c.before),
        after_json: c.after === null ? null : JSON.stringify(c.after),
      })),
    )
    .execute();
}

/** Entries per page when the caller names no size, and the most one page holds. */
const PAGE = { default: 1000, max: 10_000 };

/**
 * The history of a model, or of one of its versions, oldest first. `name` finds the live model of
 * that name; when none lives, the model that last carried the name (its history outlives it).
 * Entries from before a rename belong to the same model and are included.
 */
export async function readHistory(
  db: Db,
  query: { name: string; version?: number; maxResults?: number; pageToken?: string },
): Promise<{ entries: HistoryEntry[]; nextPageToken?: string }> {
  const live = await db.selectFrom('registered_models').select('id').where('name', '=', query.name).executeTakeFirst();
  const past = live
    ? undefined
    : await db.selectFrom('registry_history').select('registered_model_id').where('model_name', '=', query.name).orderBy('id', 'desc').limit(1).executeTakeFirst();
  const modelId = live?.id ?? past?.registered_model_id;
  if (modelId === undefined) throw notFound(`No registry history for a model named '${query.name}'`);

  const limit = Math.min(query.maxResults ?? PAGE.default, PAGE.max);
  const fingerprint = queryFingerprint({ target: 'registry history', modelId: Number(modelId), version: query.version ?? null });
  const after = query.pageToken ? decodePageToken(query.pageToken, fingerprint, ['number', 'number']).map(Number) : undefined;

  // By time, then id: entries a migration brought from another machine are appended after this
  // server's own, yet belong where their times put them.
  let select = db.selectFrom('registry_history').selectAll().where('registered_model_id', '=', modelId);
  if (query.version !== undefined) select = select.where('version', '=', query.version);
  if (after !== undefined) {
    const [time, id] = after as [number, number];
    select = select.where((eb) => eb.or([eb('time', '>', time), eb.and([eb('time', '=', time), eb('id', '>', id)])]));
  }
  const rows = await select.orderBy('time').orderBy('id').limit(limit + 1).execute();

  const entries = rows.slice(0, limit).map((row): HistoryEntry => {
    const entry: HistoryEntry = {
      entryId: String(row.id),
      time: Number(row.time),
      actor: row.actor,
      kind: row.kind as HistoryKind,
      name: row.model_name,
      before: row.before_json === null ? null : (JSON.parse(row.before_json) as HistoryValue),
      after: row.after_json === null ? null : (JSON.parse(row.after_json) as HistoryValue),
    };
    if (row.version !== null) entry.version = Number(row.version);
    return entry;
  });
  if (rows.length <= limit) return { entries };
  return { entries, nextPageToken: encodePageToken(fingerprint, [Number(rows[limit - 1]!.time), Number(rows[limit - 1]!.id)]) };
}
