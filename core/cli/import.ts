/**
 * `flowdesk import <path | URL>`: brings an mlruns/ folder, a folder of TensorBoard logs or a
 * running MLflow tracking server into the data folder, with a progress line and a summary. The
 * data folder is opened directly, so the app or a server must not have it open.
 */
import { parseArgs } from 'node:util';
import { invalid } from '#core/api/errors.ts';
import type { ImportProgress, ImportSummary } from '#core/api/imports-contract.ts';
import { openFlowdesk, openImportSource } from '#core/flowdesk.ts';
import { defaultDataDir } from '#core/platform/data-dir.ts';

export const IMPORT_USAGE = `  flowdesk import <PATH | URL> [--experiment NAME] [--data-dir DIR] [--leave-artifacts]
      Import an MLflow mlruns/ folder, a folder of TensorBoard logs, or a running MLflow
      tracking server. From mlruns/: experiments (deleted ones into the trash), runs with
      their ids, params, tags, full metric history, datasets, artifacts, logged models and
      the model registry. --experiment puts every run into that experiment. With
      --leave-artifacts, artifact files stay where they are (hard-linked into the data
      folder when it is on the same disk, copied otherwise). Importing the same source
      again adds only what is new; an import that was cut off continues where it stopped.
      Exit code: 0 everything imported; 3 finished, but the items listed were skipped;
      1 refused or failed; 130 stopped (run it again to continue).
      A URL (http://host:5000) imports from a running MLflow tracking server through its
      REST API, artifacts downloaded through it; credentials from MLFLOW_TRACKING_TOKEN, or
      MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD.
      A folder of TensorBoard logs (events.out.tfevents.* files) becomes one experiment
      named after it, a run per folder holding event files: scalars as metric histories,
      hparams as params, text and images as artifacts. A file cut off or damaged is read
      up to the damage, which the summary names with the file and byte offset.`;

/** The exit code when the import finished but skipped items it could not read. */
export const IMPORT_SKIPPED_EXIT = 3;
/** The exit code of an import stopped by Ctrl-C. */
export const IMPORT_STOPPED_EXIT = 130;

function progressLine(p: ImportProgress): string {
  const where = p.current ? ` · ${p.current}` : '';
  return `${p.phase}: ${p.experiments} experiment(s), ${p.runs} run(s), ${p.points} point(s), ${p.files} file(s)${where}`;
}

/** The summary, one line per kind of object, then what was skipped and why. */
export function summaryLines(s: ImportSummary): string[] {
  const out = [
    `Imported from ${s.source}:`,
    `  experiments      ${s.experiments.created} new, ${s.experiments.matched} matched by name`,
    `  runs             ${s.runs.imported} new, ${s.runs.alreadyThere} already here`,
    `  metric points    ${s.points.added} new of ${s.points.read} read`,
    `  artifact files   ${s.files.stored} copied, ${s.files.linked} left in place, ${s.files.alreadyThere} already here (${s.files.bytes} bytes)`,
    `  logged models    ${s.loggedModels.imported} new, ${s.loggedModels.alreadyThere} already here`,
    `  registry         ${s.registeredModels.created} new model(s), ${s.registeredModels.matched} matched; ${s.versions.imported} new version(s), ${s.versions.alreadyThere} already here; ${s.aliases} alias(es)`,
  ];
  if (s.problemCount > 0) {
    out.push(`Skipped ${s.problemCount} item(s):`);
    for (const p of s.problems) out.push(`  ${p.where}: ${p.message}`);
    if (s.problemCount > s.problems.length) out.push(`  ... and ${s.problemCount - s.problems.length} more`);
  }
  return out;
}

/**
 * Runs the import and prints its progress (to `progressOut`) and summary; answers the exit code.
 * Ctrl-C stops it between batches: the run in flight is rolled back, the finished ones stay.
 */
export async function importCommand(args: string[], out: (line: string) => void = console.log, progressOut: NodeJS.WriteStream = process.stderr): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { experiment: { type: 'string' }, 'data-dir': { type: 'string' }, 'leave-artifacts': { type: 'boolean' } },
  });
  if (positionals.length !== 1) throw invalid('flowdesk import needs one folder or URL to import from');
  const dataDir = values['data-dir'] ?? defaultDataDir();
  const source = await openImportSource(positionals[0]!, {
    token: process.env.MLFLOW_TRACKING_TOKEN,
    username: process.env.MLFLOW_TRACKING_USERNAME,
    password: process.env.MLFLOW_TRACKING_PASSWORD,
  });
  const fd = await openFlowdesk({ dataDir, busyAdvice: 'stop it, import, then start it again (or import from its window)' });
  const stop = new AbortController();
  const onSigint = () => stop.abort();
  process.on('SIGINT', onSigint);
  const tty = progressOut.isTTY === true;
  let lastLine = 0;
  try {
    const summary = await source.into(fd, {
      experimentName: values.experiment,
      leaveArtifacts: values['leave-artifacts'],
      signal: stop.signal,
      onProgress(p) {
        // A terminal gets one line rewritten in place; a log gets a line a second at most.
        if (tty) progressOut.write(`\r\x1b[K${progressLine(p)}`);
        else if (p.phase === 'done' || Date.now() - lastLine >= 1000) {
          lastLine = Date.now();
          progressOut.write(`${progressLine(p)}\n`);
        }
      },
    });
    if (tty) progressOut.write('\n');
    for (const line of summaryLines(summary)) out(line);
    return summary.problemCount > 0 ? IMPORT_SKIPPED_EXIT : 0;
  } catch (err) {
    if (tty) progressOut.write('\n');
    if (stop.signal.aborted) {
      out('Stopped. The runs finished so far are in; run the same command again to continue with the rest.');
      return IMPORT_STOPPED_EXIT;
    }
    throw err;
  } finally {
    process.off('SIGINT', onSigint);
    await fd.close();
  }
}
