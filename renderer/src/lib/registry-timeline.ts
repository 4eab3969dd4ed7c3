/**
 * The registry history in words: each audit entry becomes a line a person reads on the version
 * page's timeline ("Version 2 moved from Staging to Production"), with the comment that came with
 * it. Pure, so every kind of entry is unit-tested.
 */
import type { HistoryEntry } from '#core/api/entities.ts';

/** One line of the timeline. */
export interface TimelineItem {
  entry: HistoryEntry;
  /** What happened. */
  title: string;
  /** The comment a person wrote with it (a request's reason, a decision's note), if any. */
  comment?: string;
  /** A quieter second line: a source, a value that was replaced. */
  detail?: string;
  tone: 'create' | 'move' | 'request' | 'approved' | 'rejected' | 'edit' | 'delete';
}

type Value = Record<string, unknown> | null;

const text = (value: Value, key: string): string | undefined => {
  const v = value?.[key];
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined;
};
const num = (value: Value, key: string): number | undefined => {
  const v = value?.[key];
  return typeof v === 'number' ? v : undefined;
};
const nonEmpty = (s: string | undefined) => (s === undefined || s === '' ? undefined : s);

/** What a request moves onto, from the `request.created` entry that made it. */
interface RequestTarget {
  kind: string;
  target: string;
}

function targetLabel(t: RequestTarget | undefined): string {
  if (t === undefined) return 'a protected target';
  return t.kind === 'alias' ? `@${t.target}` : t.target;
}

function describeProtection(value: Value): string {
  const aliases = Array.isArray(value?.aliases) ? (value.aliases as string[]).map((a) => `@${a}`) : [];
  const stages = Array.isArray(value?.stages) ? (value.stages as string[]) : [];
  const all = [...stages, ...aliases];
  return all.length === 0 ? 'nothing' : all.join(', ');
}

/**
 * The timeline of `entries` (oldest first, as `registry.history` returns them). A decision on a
 * request names the target its `request.created` entry recorded, so the history is read whole.
 */
export function timeline(entries: readonly HistoryEntry[]): TimelineItem[] {
  const requests = new Map<string, RequestTarget>();
  for (const e of entries) {
    const id = text(e.after, 'requestId');
    if (e.kind === 'request.created' && id !== undefined) requests.set(id, { kind: text(e.after, 'kind') ?? 'stage', target: text(e.after, 'target') ?? '' });
  }
  return entries.map((entry) => describe(entry, requests));
}

function describe(entry: HistoryEntry, requests: Map<string, RequestTarget>): TimelineItem {
  const { before, after } = entry;
  const v = entry.version === undefined ? 'The model' : `Version ${entry.version}`;
  const item = (tone: TimelineItem['tone'], title: string, extra: Partial<TimelineItem> = {}): TimelineItem => ({ entry, title, tone, ...extra });
  switch (entry.kind) {
    case 'model.created':
      return item('create', `Model ${entry.name} created`, { detail: `Protected: ${describeProtection((after?.protection as Value | undefined) ?? null)}` });
    case 'model.renamed':
      return item('edit', `Renamed from ${text(before, 'name') ?? '?'} to ${text(after, 'name') ?? '?'}`);
    case 'model.described':
      return item('edit', 'Model description changed', { detail: nonEmpty(text(after, 'description')) ?? 'Description cleared' });
    case 'model.tagSet':
    case 'version.tagSet': {
      const owner = entry.kind === 'model.tagSet' ? 'Model' : v;
      const was = text(before, 'value');
      return item('edit', `${owner} tag ${text(after, 'key') ?? '?'} set to “${text(after, 'value') ?? ''}”`, { detail: was === undefined ? undefined : `was “${was}”` });
    }
    case 'model.tagDeleted':
    case 'version.tagDeleted': {
      const owner = entry.kind === 'model.tagDeleted' ? 'Model' : v;
      return item('delete', `${owner} tag ${text(before, 'key') ?? '?'} deleted`, { detail: `was “${text(before, 'value') ?? ''}”` });
    }
    case 'model.protectionChanged':
      return item('edit', `Protected targets set to ${describeProtection(after)}`, { detail: `were ${describeProtection(before)}` });
    case 'model.deleted':
      return item('delete', `Model ${entry.name} deleted`);
    case 'version.created':
      return item('create', `${v} registered`, { detail: text(after, 'source') === undefined ? undefined : `from ${text(after, 'source')}` });
    case 'version.described':
      return item('edit', `${v} description changed`, { detail: nonEmpty(text(after, 'description')) ?? 'Description cleared' });
    case 'version.deleted':
      return item('delete', `${v} deleted`);
    case 'alias.set':
      return item('move', `@${text(after, 'alias') ?? '?'} set to version ${num(after, 'version') ?? '?'}`);
    case 'alias.moved':
      return item('move', `@${text(after, 'alias') ?? '?'} moved from version ${num(before, 'version') ?? '?'} to version ${num(after, 'version') ?? '?'}`);
    case 'alias.deleted':
      return item('delete', `@${text(before, 'alias') ?? '?'} removed from version ${num(before, 'version') ?? '?'}`);
    case 'stage.transitioned':
      return item('move', `${v} moved from ${text(before, 'stage') ?? '?'} to ${text(after, 'stage') ?? '?'}`);
    case 'request.created':
      return item('request', `${v} requested for ${targetLabel(requests.get(text(after, 'requestId') ?? ''))}`, { comment: nonEmpty(text(after, 'comment')) });
    case 'request.approved':
    case 'request.rejected':
    case 'request.cancelled': {
      const verb = entry.kind === 'request.approved' ? 'approved' : entry.kind === 'request.rejected' ? 'rejected' : 'cancelled';
      const target = targetLabel(requests.get(text(after, 'requestId') ?? ''));
      const tone = entry.kind === 'request.approved' ? 'approved' : entry.kind === 'request.rejected' ? 'rejected' : 'delete';
      return item(tone, `Request for ${target} ${verb} (version ${entry.version ?? '?'})`, { comment: nonEmpty(text(after, 'comment')) });
    }
  }
}
