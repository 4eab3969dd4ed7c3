/**
 * The trash's state: what is in it, what is selected, the purge waiting for confirmation and the
 * report of the last purge. Every failure goes to the one error reporter (a toast).
 */
import type { PurgeReport, TrashEntry } from '#core/api/entities.ts';
import { FlowdeskError } from '#core/api/errors.ts';
import { api } from './api.ts';
import { experiments } from './experiments.svelte.ts';
import { notify, reportError } from './toasts.svelte.ts';

/** One entry's key: experiment and run ids come from different spaces. */
export const entryKey = (entry: Pick<TrashEntry, 'kind' | 'id'>): string => `${entry.kind}:${entry.id}`;

/** A purge the person has asked for and not yet confirmed. */
export interface PurgePlan {
  /** `all` empties the trash; `selected` purges the checked entries. */
  scope: 'all' | 'selected';
  entries: TrashEntry[];
  bytes: number;
}

/** What a purge did, with names for what it left in the trash. */
export interface PurgeOutcome extends PurgeReport {
  keptEntries: { kind: TrashEntry['kind']; id: string; name: string; reason: string }[];
}

/** "1 run", "2 experiments and 3 runs": counts in words. */
export function describeCounts(experimentCount: number, runCount: number): string {
  const parts: string[] = [];
  if (experimentCount > 0) parts.push(`${experimentCount} ${experimentCount === 1 ? 'experiment' : 'experiments'}`);
  if (runCount > 0) parts.push(`${runCount} ${runCount === 1 ? 'run' : 'runs'}`);
  return parts.length === 0 ? 'nothing' : parts.join(' and ');
}

/** The trash of one open Trash view. */
export class TrashState {
  entries = $state.raw<TrashEntry[]>([]);
  loaded = $state(false);
  selected = $state.raw<ReadonlySet<string>>(new Set());
  plan = $state.raw<PurgePlan | undefined>(undefined);
  purging = $state(false);
  outcome = $state.raw<PurgeOutcome | undefined>(undefined);

  readonly selectedEntries = $derived(this.entries.filter((e) => this.selected.has(entryKey(e))));
  readonly totalBytes = $derived(this.entries.reduce((sum, e) => sum + e.bytes, 0));
  readonly allSelected = $derived(this.entries.length > 0 && this.selectedEntries.length === this.entries.length);

  async load(): Promise<void> {
    try {
      this.entries = (await api.call('trash.list', {})).entries;
      // A selection never outlives its entries (restored or purged elsewhere).
      const present = new Set(this.entries.map(entryKey));
      if ([...this.selected].some((k) => !present.has(k))) this.selected = new Set([...this.selected].filter((k) => present.has(k)));
    } catch (err) {
      reportError('Loading the trash', err);
    } finally {
      this.loaded = true;
    }
  }

  toggle(entry: TrashEntry, on: boolean): void {
    const next = new Set(this.selected);
    if (on) next.add(entryKey(entry));
    else next.delete(entryKey(entry));
    this.selected = next;
  }

  toggleAll(on: boolean): void {
    this.selected = on ? new Set(this.entries.map(entryKey)) : new Set();
  }

  async restore(entry: TrashEntry): Promise<void> {
    try {
      if (entry.kind === 'experiment') {
        if (!(await experiments.restore(entry.id))) return;
      } else {
        await api.call('runs.restore', { runId: entry.id });
      }
      notify(`Restored '${entry.name}'`);
      await this.load();
    } catch (err) {
      reportError(`Restoring '${entry.name}'`, err);
    }
  }

  /** Opens the confirmation for emptying the trash or for purging the selection. */
  askToPurge(scope: PurgePlan['scope']): void {
    const entries = scope === 'all' ? this.entries : this.selectedEntries;
    if (entries.length === 0) return;
    this.plan = { scope, entries, bytes: entries.reduce((sum, e) => sum + e.bytes, 0) };
  }

  cancelPurge(): void {
    if (!this.purging) this.plan = undefined;
  }

  /** Purges what the confirmed plan names, then reports what was reclaimed and what was kept. */
  async confirmPurge(): Promise<void> {
    const plan = this.plan;
    if (plan === undefined || this.purging) return;
    this.purging = true;
    const names = new Map(plan.entries.map((e) => [entryKey(e), e.name]));
    const outcome: PurgeOutcome = { experimentsPurged: 0, runsPurged: 0, bytesReclaimed: 0, kept: [], keptEntries: [] };
    const add = (report: PurgeReport) => {
      outcome.experimentsPurged += report.experimentsPurged;
      outcome.runsPurged += report.runsPurged;
      outcome.bytesReclaimed += report.bytesReclaimed;
      outcome.kept.push(...report.kept);
    };
    try {
      if (plan.scope === 'all') {
        // Only what the dialog counted: something deleted while it was open stays in the trash.
        const times = plan.entries.map((e) => e.deletedTime);
        const deletedBefore = times.every((t) => t > 0) ? Math.max(...times) + 1 : undefined;
        add(await api.call('trash.purge', deletedBefore === undefined ? {} : { deletedBefore }));
      } else {
        // One call per entry: the server refuses an explicit purge of files a registered
        // version uses, and that refusal should keep one entry, not stop the rest.
        for (const entry of plan.entries) {
          try {
            add(await api.call('trash.purge', entry.kind === 'experiment' ? { experimentIds: [entry.id] } : { runIds: [entry.id] }));
          } catch (err) {
            if (!(err instanceof FlowdeskError) || err.code !== 'INVALID_STATE') throw err;
            outcome.kept.push({ kind: entry.kind, id: entry.id, reason: err.message });
          }
        }
      }
    } catch (err) {
      reportError('Purging the trash', err);
    } finally {
      outcome.keptEntries = outcome.kept.map((k) => ({ ...k, name: names.get(entryKey(k)) ?? k.id }));
      this.outcome = outcome;
      this.plan = undefined;
      this.purging = false;
      this.selected = new Set();
      await this.load();
    }
  }
}
