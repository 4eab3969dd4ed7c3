/**
 * One client process of the team benchmark: creates its own run through `url`, waits for the
 * common start time, then posts MLflow log-batch requests of 1,000 points back to back until the
 * common end time. Prints how many points the server accepted; any refusal ends it non-zero.
 */
import { argv } from 'node:process';

const [url, startAt, endAt, worker] = argv.slice(2) as [string, string, string, string];
const BATCH = 1000;

async function post(path: string, body: string): Promise<Record<string, unknown>> {
  const response = await fetch(`${url}/api/2.0/mlflow${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  const text = await response.text();
  if (!response.ok) throw new Error(`${path} answered ${response.status}: ${text}`);
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}

const created = await post('/runs/create', JSON.stringify({ experiment_id: '0', run_name: `bench-${worker}` }));
const runId = (created.run as { info: { run_id: string } }).info.run_id;
await new Promise((resolve) => setTimeout(resolve, Math.max(0, Number(startAt) - Date.now())));
let points = 0;
for (let batch = 0; Date.now() < Number(endAt); batch++) {
  const metrics = Array.from({ length: BATCH }, (_, i) => ({ key: 'loss', value: Math.random(), timestamp: 1_700_000_000_000 + batch, step: batch * BATCH + i }));
  await post('/runs/log-batch', JSON.stringify({ run_id: runId, metrics }));
  points += BATCH;
}
console.log(points);
