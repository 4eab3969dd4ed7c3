/**
 * `flowdesk export --to FOLDER`: writes this machine's data folder (or some experiments or runs
 * of it) as an MLflow `mlruns/` file store (see core/export/export-mlruns.ts). The folder is
 * opened directly, so the app or a server must not have it open.
 */
import { parseArgs } from 'node:util';
import { invalid } from '#core/api/errors.ts';
import { openFlowdesk } from '#core/flowdesk.ts';
import { defaultDataDir } from '#core/platform/data-dir.ts';

export const EXPORT_USAGE = `  flowdesk export --to FOLDER [--experiment NAME|ID ...] [--run ID ...] [--data-dir DIR]
      Write experiments, runs (params, tags, full metric history, times, status, dataset
      inputs, artifacts), the trash and the model registry as an MLflow file store that
      MLflow reads: MLFLOW_TRACKING_URI=file://FOLDER, or mlflow ui --backend-store-uri FOLDER.
      Everything by default; --experiment and --run (each repeatable) choose what to write,
      with the registered versions made from those runs. FOLDER must be new, empty, or an
      earlier export (which is replaced). The folder appears only once complete. Stop the
      app or local server first.`;

/** Runs the export and prints its summary; answers the exit code. */
export async function exportCommand(args: string[], out: (line: string) => void = console.log): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      to: { type: 'string' },
      experiment: { type: 'string', multiple: true },
      run: { type: 'string', multiple: true },
      'data-dir': { type: 'string' },
    },
  });
  if (values.to === undefined) throw invalid('flowdesk export needs --to <folder>');
  const dataDir = values['data-dir'] ?? defaultDataDir();
  const flowdesk = await openFlowdesk({ dataDir, busyAdvice: 'stop it, export, then start it again' });
  try {
    const report = await flowdesk.exportMlruns({ to: values.to, experiments: values.experiment, runs: values.run, out });
    const c = report.counts;
    out(`Exported ${c.experiments} experiment(s), ${c.runs} run(s), ${c.params} param(s), ${c.tags} tag(s), ${c.metricPoints} metric point(s), ${c.datasetInputs} dataset input(s), ${c.artifactFiles} artifact file(s) (${c.artifactBytes} bytes), ${c.registeredModels} registered model(s) with ${c.modelVersions} version(s)`);
    if (report.replaced) out('The previous export in that folder was replaced.');
    if (report.skipped.length > 0) {
      out(`Left out ${report.skipped.length} item(s) MLflow's file store cannot hold:`);
      for (const s of report.skipped) out(`  ${s.what}: ${s.why}`);
    }
    out(`Read it with: MLFLOW_TRACKING_URI=file://${report.folder}  or  mlflow ui --backend-store-uri ${report.folder}`);
    return 0;
  } finally {
    await flowdesk.close();
  }
}
