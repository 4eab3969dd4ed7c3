/**
 * The engine against what any source (an MLflow server, TensorBoard logs) could hand it: ids that
 * could not be run or model ids are refused by the engine itself, not only by the mlruns reader.
 */
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { ImportSource, SourceRun } from '#core/import/import-source.ts';
import { importFrom } from '#core/import/import-engine.ts';
import { testFlowdesk } from '../helpers/flowdesk.ts';

/** A run as a source would yield it, with one file and one point. */
function sourceRun(runId: string): SourceRun {
  return {
    runId,
    experimentSourceId: 'e',
    runName: runId,
    status: 'FINISHED',
    startTime: 1,
    lifecycleStage: 'active',
    params: [],
    tags: [],
    inputs: [],
    async *metrics() {
      yield [{ key: 'm', value: 1, timestamp: 1, step: 0 }];
    },
    async *artifacts() {
      yield { path: 'f.txt', bytes: 1, open: async () => Readable.from([Buffer.from('x')]) };
    },
  };
}

describe('the import engine', () => {
  it("skips a run or logged model whose id could not be one, naming it, and imports the rest", async () => {
    const { fd, api } = await testFlowdesk();
    const good = 'a'.repeat(32);
    const source: ImportSource = {
      describe: 'a test source',
      async *experiments() {
        yield { sourceId: 'e', name: 'from-a-server', lifecycleStage: 'active', tags: [] };
      },
      async *runs() {
        yield sourceRun('../../escape');
        yield sourceRun(good);
      },
      async *loggedModels() {
        yield { modelId: 'm-../x', experimentSourceId: 'e', name: 'x', status: 'LOGGED_MODEL_READY', lifecycleStage: 'active', params: [], tags: [], metrics: [], artifacts: async function* () {} };
      },
    };
    const summary = await importFrom(source, fd);
    expect(summary.problems.map((p) => p.where)).toEqual(['run ../../escape', 'logged model m-../x']);
    expect(summary.runs.imported).toBe(1);
    expect((await api.call('runs.get', { runId: good })).run.data.metrics).toHaveLength(1);
    expect((await fd.catalog.db.selectFrom('runs').select('run_uuid').execute()).map((r) => r.run_uuid)).toEqual([good]);
  });

  it("gives a version whose source is another server's mlflow-artifacts location of an imported run as that run's runs:/ path", async () => {
    const { api, fd } = await testFlowdesk();
    const runId = 'b'.repeat(32);
    const version = (v: number, source: string) => ({ version: v, source, runId, currentStage: 'None' as const, tags: [] });
    const source: ImportSource = {
      describe: 'an mlruns folder written by a server with proxied artifacts',
      async *experiments() {
        yield { sourceId: '7', name: 'proxied', lifecycleStage: 'active', tags: [] };
      },
      async *runs() {
        yield sourceRun(runId);
      },
      async *registeredModels() {
        yield {
          name: 'clf',
          tags: [],
          aliases: [],
          // Experiment 7 is the source server's numbering, not this catalog's; the second lies outside the run's artifacts.
          versions: [version(1, `mlflow-artifacts:/7/${runId}/artifacts/model/`), version(2, 'mlflow-artifacts:/7/elsewhere/model')],
        };
      },
    };
    const summary = await importFrom(source, fd);
    expect((await api.call('registry.getVersion', { name: 'clf', version: 1 })).version.source).toBe(`runs:/${runId}/model`);
    expect(summary.problems).toEqual([{ where: "registered model 'clf' version 2", message: expect.stringMatching(/does not resolve here .* the version was skipped/) }]);
  });
});
