/**
 * `flowdesk migrate --to URL`: copies this machine's data folder to a team server (see
 * core/migrate/migrate.ts). The folder is opened directly, so a server or the app must not have
 * it open; the target is written over HTTP with the given token.
 */
import { parseArgs } from 'node:util';
import { FlowdeskError, invalid } from '#core/api/errors.ts';
import { openFlowdesk, type EntityCounts } from '#core/flowdesk.ts';
import { defaultDataDir } from '#core/platform/data-dir.ts';

export const MIGRATE_USAGE = `  flowdesk migrate --to URL [--token TOKEN] [--data-dir DIR]
      Copy this machine's experiments, runs under their own ids (params, tags, metric history,
      artifacts), the trash, MLflow 3 logged models and the registry to the Flowdesk server at
      URL (the server's owner token: --token or $FLOWDESK_TOKEN). Resumable: run it again after
      an interruption and it continues where it stopped. An item the server refuses is
      reported and left behind, the rest continues, and the end lists what did not move;
      running it again tries only those and what is not done yet. Counts are checked on the
      server at the end. Stop the app or local server first.
      Traces (spans, tags, assessments), the registry's history and approval requests move with
      their times and actors; deleted logged models and traces of runs in the trash are counted
      and left behind.
      Exit code: 0 everything moved; 3 finished, but the server refused the items listed or
      something was left on this machine; 1 stopped (server unreachable or failing, token
      refused): run it again to resume.`;

/** The exit code when the migration finished but something did not move (refused, or left behind). */
export const MIGRATE_REFUSED_EXIT = 3;

/**
 * Runs the migration and prints its summary; answers the exit code (0 when everything moved,
 * MIGRATE_REFUSED_EXIT when the target refused items or some were left behind). Stopping errors are thrown.
 */
export async function migrateCommand(args: string[], out: (line: string) => void = console.log): Promise<number> {
  const { values } = parseArgs({ args, options: { to: { type: 'string' }, token: { type: 'string' }, 'data-dir': { type: 'string' } } });
  if (values.to === undefined) throw invalid('flowdesk migrate needs --to <server URL>');
  const dataDir = values['data-dir'] ?? defaultDataDir();
  const source = await openFlowdesk({ dataDir, busyAdvice: 'stop it, migrate, then start it again' });
  try {
    const report = await source.migrateTo({ target: values.to, token: values.token ?? process.env.FLOWDESK_TOKEN, out });
    const rows: [string, keyof EntityCounts][] = [
      ['experiments', 'experiments'],
      ['runs', 'runs'],
      ['params', 'params'],
      ['metric points', 'metricPoints'],
      ['artifact files', 'artifactFiles'],
      ['artifact bytes', 'artifactBytes'],
      ['logged models', 'loggedModels'],
      ['model versions', 'versions'],
      ['traces', 'traces'],
      ['requests', 'requests'],
    ];
    out('                source    target');
    for (const [label, key] of rows) out(`${label.padEnd(15)} ${String(report.source[key]).padStart(9)} ${String(report.target[key]).padStart(9)}`);
    const { deletedLoggedModels, tracesInTrash } = report.leftBehind;
    const leftBehind = deletedLoggedModels + tracesInTrash > 0;
    if (leftBehind) {
      out(`Left on this machine (the target refused them or what they belong to): ${deletedLoggedModels} deleted logged model(s), ${tracesInTrash} trace(s) of runs or experiments in the trash`);
    }
    if (report.notMoved.length > 0) {
      for (const m of report.mismatches) out(`  differs: ${m}`);
      out(`Not moved: the target refused ${report.notMoved.length} item(s); the rest arrived:`);
      for (const r of report.notMoved) out(`  ${r.what}: ${r.why}`);
      out(`Run the same command again to try only these (after changing what the target refused); the journal ${report.journalPath} skips what arrived.`);
      return MIGRATE_REFUSED_EXIT;
    }
    if (report.mismatches.length > 0) {
      for (const m of report.mismatches) out(`  differs: ${m}`);
      throw new FlowdeskError('INVALID_STATE', `The target differs from the source in ${report.mismatches.length} place(s); run the migration again to complete it`);
    }
    if (leftBehind) {
      out(`Done, except what is left on this machine (above). The journal ${report.journalPath} lets a later run skip what is already there.`);
      return MIGRATE_REFUSED_EXIT;
    }
    out(`Done: everything arrived. The journal ${report.journalPath} lets a later run skip what is already there.`);
    return 0;
  } finally {
    await source.close();
  }
}
