/**
 * Logs a small training run to a running Flowdesk: params, a metric per step, a tag, a file and a
 * folder as artifacts. Run it with `npx tsx examples/log-a-run.ts` while `npx flowdesk serve` runs.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'flowdesk/sdk';

const flowdesk = connect(); // FLOWDESK_URI, MLFLOW_TRACKING_URI, or the running app's server.json
const run = await flowdesk.startRun({ experiment: 'quickstart', runName: 'tiny-regression' });
await run.logParams({ learningRate: 0.05, epochs: 200 });
let weight = 0;
for (let step = 0; step < 200; step++) {
  const gradient = 2 * (weight - 3);
  weight -= 0.05 * gradient;
  run.logMetrics({ loss: (weight - 3) ** 2, weight }, step); // buffered, sent in batches
}
await run.setTag('model', 'y = w');

const out = mkdtempSync(join(tmpdir(), 'quickstart-'));
writeFileSync(join(out, 'summary.json'), JSON.stringify({ weight }));
mkdirSync(join(out, 'plots'));
writeFileSync(join(out, 'plots', 'loss.csv'), 'step,loss\n0,9\n');
await run.logArtifact(join(out, 'summary.json'));
await run.logArtifact(join(out, 'plots'));
await run.end('FINISHED');
console.log(`Logged run ${run.runId} to ${flowdesk.baseUrl}`);
