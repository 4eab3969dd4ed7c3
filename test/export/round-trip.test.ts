/**
 * The round trip: an `mlruns/` folder written by MLflow itself (2.12.2 and 3.5.1) is imported into
 * Flowdesk, exported again, and the same MLflow reads the export as it read the original.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exportMlruns } from '#core/export/export-mlruns.ts';
import { createProblemLog, importFrom } from '#core/import/import-engine.ts';
import { openSource } from '#core/import/open-source.ts';
import { testFlowdesk } from '../helpers/flowdesk.ts';
import { CLIENT_VERSIONS, PYTHON_CLIENTS_NOT_RUN_REASON, runPython } from '../helpers/python-clients.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { DUMP, FILL } from './mlflow-scripts.ts';

interface Dump {
  experiments: { id: string; name: string; created?: number; updated?: number }[];
  runs: { experiment: string; history: Record<string, unknown[]> }[];
  models: { versions: { source: string }[] }[];
  searchRuns: { ids: string[]; columns: string[] };
}

/**
 * What must survive the trip, stated without what legitimately changes: Flowdesk numbers the
 * experiments it imports its own way (so experiments go by name), its Default experiment is its
 * own (an import matches it by name), and it stores a point logged twice identically once.
 */
function byName(d: Dump) {
  const name = (id: string) => d.experiments.find((e) => e.id === id)!.name;
  const once = (points: unknown[]) => [...new Map(points.map((p) => [JSON.stringify(p), p])).values()];
  return {
    experiments: d.experiments
      .map(({ id: _id, ...e }) => (e.name === 'Default' ? { ...e, created: undefined, updated: undefined } : e))
      .sort((a, b) => a.name.localeCompare(b.name)),
    runs: d.runs.map((r) => ({
      ...r,
      experiment: name(r.experiment),
      history: Object.fromEntries(Object.entries(r.history).map(([k, points]) => [k, once(points)])),
    })),
    models: d.models,
    searchRuns: d.searchRuns,
  };
}

describe.runIf(!PYTHON_CLIENTS_NOT_RUN_REASON)('mlruns → Flowdesk → export', () => {
  it.each(CLIENT_VERSIONS)('gives MLflow %s back the data it wrote', async (version) => {
    const original = join(tempDir(), 'mlruns');
    const ids = await runPython<{ parent: string }>(version, `file://${original}`, FILL);
    const before = await runPython<Dump>(version, `file://${original}`, DUMP);

    const { fd } = await testFlowdesk();
    const problems = createProblemLog();
    await importFrom(await openSource(original, { onProblem: problems.onProblem }), fd, { problems });
    expect(problems.list).toEqual([]);
    const exported = join(tempDir(), 'mlruns');
    const report = await exportMlruns({ flowdesk: fd, to: exported });
    expect(report.skipped).toEqual([]);
    const after = await runPython<Dump>(version, `file://${exported}`, DUMP);

    // A version registered from a path inside a run's artifacts comes back as the same place in
    // that run (runs:/), since the path named the original folder; its files are the same.
    const expected = byName(before);
    expected.models[0]!.versions[1]!.source = `runs:/${ids.parent}/model`;
    expect(byName(after)).toEqual(expected);
  }, 400_000);
});
