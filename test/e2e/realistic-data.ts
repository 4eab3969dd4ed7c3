/**
 * A data folder at the sizes people have (the guard-rail checks walk every view over it): a bulk
 * experiment of a few thousand runs, a sweep with a parent and nested children whose names, param
 * keys and metric keys are long (and a param and a metric with one value in every trial), runs
 * still running, a deleted experiment in the trash, artifacts, and a registered model with
 * versions, aliases, stages, tags, a protected stage and a pending request.
 */
import { openFlowdesk } from '#core/flowdesk.ts';
import { seedBulkRuns } from './e2e-helpers.ts';
import { seedTraces } from './bulk-traces.ts';
import { seedAgentTrace } from './trace-seed.ts';

/** The ids and names the checks navigate to. */
export interface RealisticData {
  bulkExperimentId: string;
  sweepExperimentId: string;
  parentRunId: string;
  childRunId: string;
  childRunIds: string[];
  modelName: string;
  parentName: string;
  /** An agent's trace of a few hundred spans, one failed, and a smaller one to compare it with. */
  traceId: string;
  otherTraceId: string;
  /** An experiment of LLM traces: thousands seeded, a few with long previews, tags and assessments. */
  tracesExperimentId: string;
}

/** The long names people give things, so clipping shows. */
const LONG_EXPERIMENT = 'image-classification/resnet50-ablation-with-mixed-precision-and-label-smoothing';
const PARENT_NAME = 'hyperparameter-sweep-over-learning-rate-and-weight-decay-2026-q4';

/** Fills `dataDir` (the server is not running yet). `bulkRuns` is the size of the big experiment. */
export async function seedRealisticData(dataDir: string, bulkRuns = 3000): Promise<RealisticData> {
  const bulkExperimentId = await seedBulkRuns(dataDir, 'bulk-sweep-of-thousands-of-runs', bulkRuns);
  const fd = await openFlowdesk({ dataDir });
  try {
    const h = fd.handlers;
    const { experimentId } = await h['experiments.create']({ name: LONG_EXPERIMENT });
    const start = Date.now() - 3_600_000;
    const { run: parent } = await h['runs.create']({ experimentId, runName: PARENT_NAME, startTime: start });
    await h['runs.logBatch']({
      runId: parent.info.runId,
      params: [{ key: 'sweep.strategy', value: 'bayesian' }],
      tags: [{ key: 'mlflow.source.name', value: '/home/researcher/projects/vision/experiments/ablations/mixed_precision/train_resnet50_with_label_smoothing.py' }],
    });
    const childRunIds: string[] = [];
    for (let i = 0; i < 12; i++) {
      const { run } = await h['runs.create']({
        experimentId,
        runName: `trial-${String(i).padStart(3, '0')}-lr-${(0.001 * (i + 1)).toFixed(3)}-wd-${(0.0001 * (i + 1)).toFixed(4)}`,
        startTime: start + i * 60_000,
        tags: [{ key: 'mlflow.parentRunId', value: parent.info.runId }],
      });
      childRunIds.push(run.info.runId);
      await h['runs.logBatch']({
        runId: run.info.runId,
        params: [
          { key: 'optimizer', value: i % 2 ? 'adam' : 'adamw' },
          { key: 'lr', value: String(0.001 * (i + 1)) },
          { key: 'model.backbone.pretrained_checkpoint_path_on_shared_storage', value: `/mnt/shared/checkpoints/imagenet21k/resnet50-${i}.pt` },
          // The same in every trial, as a sweep's fixed settings are.
          { key: 'data.augmentation', value: 'randaugment' },
        ],
        metrics: Array.from({ length: 30 }, (_, step) => [
          { key: 'train/loss', value: 2 / (step + 1 + i), timestamp: start + step * 1000, step },
          { key: 'val/accuracy_top1_on_held_out_validation_split', value: 0.5 + step / 100 + i / 200, timestamp: start + step * 1000, step },
          { key: 'val/loss', value: 2.2 / (step + 1 + i), timestamp: start + step * 1000, step },
        ]).flat().concat({ key: 'epochs', value: 30, timestamp: start, step: 0 }),
      });
      // The last two are still training; the rest finished.
      if (i < 10) await h['runs.update']({ runId: run.info.runId, status: 'FINISHED', endTime: start + i * 60_000 + 50_000 });
    }
    await fd.artifacts.write(`${experimentId}/${childRunIds[0]}/artifacts/model/MLmodel`, Buffer.from('artifact_path: model\nflavors:\n  python_function:\n    loader_module: mlflow.sklearn\n'));
    await fd.artifacts.write(`${experimentId}/${childRunIds[0]}/artifacts/plots/confusion_matrix_on_the_held_out_validation_split.png`, Buffer.alloc(64, 2));

    const { experimentId: trashed } = await h['experiments.create']({ name: 'abandoned-experiment-kept-in-the-trash' });
    await h['runs.create']({ experimentId: trashed, runName: 'abandoned-run' });
    await h['experiments.delete']({ experimentId: trashed });

    const modelName = 'image-classifier-resnet50-production-candidate';
    await h['registry.createModel']({ name: modelName, description: 'ResNet-50 fine-tuned on the **product photos** dataset.', tags: [{ key: 'team', value: 'vision' }, { key: 'dataset', value: 'product-photos-v3-deduplicated-and-relabelled' }] });
    for (let i = 0; i < 4; i++) {
      await h['registry.createVersion']({ name: modelName, source: `runs:/${childRunIds[i]}/model`, runId: childRunIds[i], description: `Trial ${i}` });
    }
    await h['registry.setVersionTag']({ name: modelName, version: 1, key: 'validation_status', value: 'approved' });
    await h['registry.transitionStage']({ name: modelName, version: 1, stage: 'Archived' });
    await h['registry.transitionStage']({ name: modelName, version: 2, stage: 'Production' });
    await h['registry.transitionStage']({ name: modelName, version: 3, stage: 'Staging' });
    await h['registry.setAlias']({ name: modelName, version: 2, alias: 'champion' });
    await h['registry.setAlias']({ name: modelName, version: 3, alias: 'challenger-with-a-rather-long-alias' });
    await h['registry.setProtection']({ name: modelName, aliases: ['champion'], stages: ['Production'] });
    await h['registry.transitionStage']({ name: modelName, version: 3, stage: 'Production', comment: 'Top-1 accuracy up 1.2 points on the held-out split', actor: 'alexandra.konstantinopoulou' });
    const traceId = await seedAgentTrace(fd, experimentId, 401, 1);
    const otherTraceId = await seedAgentTrace(fd, experimentId, 13, 2);
    const tracesExperimentId = await seedTraceData(fd, experimentId, childRunIds[0]!);
    return {
      bulkExperimentId,
      sweepExperimentId: experimentId,
      parentRunId: parent.info.runId,
      childRunId: childRunIds[0]!,
      childRunIds,
      modelName,
      parentName: PARENT_NAME,
      traceId,
      otherTraceId,
      tracesExperimentId,
    };
  } finally {
    await fd.close();
  }
}

/**
 * Traces as an LLM app leaves them: two thousand seeded, and a few newer ones with long chat
 * previews, long tags, feedback and expectations; two more made in a run of `runExperimentId`, so
 * the run's page lists them.
 */
async function seedTraceData(fd: Awaited<ReturnType<typeof openFlowdesk>>, runExperimentId: string, runId: string): Promise<string> {
  const h = fd.handlers;
  const { experimentId } = await h['experiments.create']({ name: 'customer-support-agent/retrieval-augmented-answers-with-tool-calls' });
  await seedTraces(fd, experimentId, 2000);
  const now = Date.now();
  const question = 'My order #48213 arrived damaged and the replacement you promised last week never shipped. Can I get a refund to the original card instead, and how long will it take to show up?';
  for (let i = 0; i < 6; i++) {
    const traceId = `tr-${(0xf0000000 + i).toString(16)}${'0'.repeat(24)}`;
    const inRun = i >= 4;
    await h['traces.start']({
      trace: {
        traceId,
        experimentId: inRun ? runExperimentId : experimentId,
        requestTime: now - i * 60_000,
        executionDuration: 1200 + i * 3100,
        state: i === 1 ? 'ERROR' : 'OK',
        requestPreview: JSON.stringify({ messages: [{ role: 'system', content: 'You are a patient support agent.' }, { role: 'user', content: question }] }),
        responsePreview: i === 1 ? undefined : JSON.stringify({ choices: [{ message: { role: 'assistant', content: 'I am sorry about the damaged order. I have issued a refund to your original card; it usually appears within 3 to 5 business days.' } }] }),
        tags: { 'customer.segment': 'enterprise-priority-support-tier', 'prompt.version': `refund-policy-v${i + 7}-with-escalation-rules` },
        metadata: { ...(inRun && { 'mlflow.sourceRun': runId }), 'mlflow.trace.tokenUsage': JSON.stringify({ input_tokens: 812 + i, output_tokens: 164, total_tokens: 976 + i }) },
        assessments: [
          { name: 'answer_relevance_to_the_question', source: { sourceType: 'LLM_JUDGE', sourceId: 'gpt-judge' }, feedback: { value: i !== 1 } },
          { name: 'groundedness', source: { sourceType: 'CODE', sourceId: 'checks.py' }, feedback: { value: 0.87 - i / 10 } },
          { name: 'expected_resolution', source: { sourceType: 'HUMAN', sourceId: 'reviewer@example.com' }, expectation: { value: 'refund to the original card' } },
        ],
      },
    });
  }
  return experimentId;
}
