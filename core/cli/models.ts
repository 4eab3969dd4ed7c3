/**
 * `flowdesk models serve` and `flowdesk models predict`: a model named by `models:/name@alias`,
 * `models:/name/3` or `runs:/<run id>/<path>` is found through the running Flowdesk (its contract
 * and artifact proxy) or, when none runs, by opening the data folder directly.
 */
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { parseArgs } from 'node:util';
import { invalid } from '#core/api/errors.ts';
import { openModel, type ModelHandle } from '#core/flowdesk.ts';
import { defaultDataDir } from '#core/platform/data-dir.ts';

export const MODELS_USAGE = `  flowdesk models serve -m URI [--port 5000] [--host 127.0.0.1] [--token TOKEN] [--data-dir DIR]
      Serve a model (models:/name@alias, models:/name/3, models:/name/Production or
      runs:/<run id>/<path>) with MLflow's scoring protocol: POST /invocations, GET /ping.
      ONNX models run in Flowdesk; Python flavours run in your Python's MLflow.
  flowdesk models predict -m URI -i input.json|input.csv [-o out.json] [--data-dir DIR]
      Score a file of inputs (JSON in any of MLflow's formats, or CSV) and write
      {"predictions": ...} to out.json or the standard output.`;

/** The model `uri` names, through the data folder's running server or from the folder itself. */
function openModelOf(uri: string, dataDir: string | undefined): Promise<ModelHandle> {
  return openModel(uri, { dataDir: dataDir ?? defaultDataDir(), token: process.env.FLOWDESK_TOKEN ?? process.env.MLFLOW_TRACKING_TOKEN });
}

function parsePort(text: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65535) throw invalid(`--port must be a number from 0 to 65535, got '${text}'`);
  return port;
}

async function serve(args: string[], version: string): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      'model-uri': { type: 'string', short: 'm' },
      port: { type: 'string', short: 'p', default: '5000' },
      host: { type: 'string', short: 'h', default: '127.0.0.1' },
      token: { type: 'string' },
      'data-dir': { type: 'string' },
    },
  });
  const uri = values['model-uri'];
  if (!uri) throw invalid('Name the model with -m, e.g. -m models:/churn@champion');
  const model = await openModelOf(uri, values['data-dir']);
  let served;
  try {
    served = await model.serve({ host: values.host, port: parsePort(values.port), token: values.token ?? process.env.FLOWDESK_TOKEN, version: `flowdesk ${version}` });
  } catch (err) {
    await model.close();
    throw err;
  }
  console.log(`Serving ${uri} (${served.kind === 'onnx' ? 'ONNX, in Flowdesk' : "Python, in MLflow's server"})`);
  console.log(`Score it with: curl -X POST ${served.url}/invocations -H 'Content-Type: application/json' -d '{"inputs": [[...]]}'`);
  // Printed last: it is the line scripts wait for.
  console.log(`Listening on ${served.url}`);
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: shutting down`);
    await served.stop();
    await model.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

async function predict(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      'model-uri': { type: 'string', short: 'm' },
      'input-path': { type: 'string', short: 'i' },
      'output-path': { type: 'string', short: 'o' },
      'content-type': { type: 'string', short: 't' },
      'data-dir': { type: 'string' },
    },
  });
  const uri = values['model-uri'];
  const input = values['input-path'];
  if (!uri) throw invalid('Name the model with -m, e.g. -m models:/churn@champion');
  if (!input) throw invalid('Name the input file with -i, e.g. -i input.json or -i input.csv');
  const type = values['content-type'] ?? (extname(input).toLowerCase() === '.csv' ? 'csv' : 'json');
  if (type !== 'json' && type !== 'csv') throw invalid(`--content-type must be json or csv, got '${type}'`);
  let text: string;
  try {
    text = await readFile(input, 'utf8');
  } catch (err) {
    throw invalid(`Cannot read ${input}: ${(err as Error).message}`);
  }
  const model = await openModelOf(uri, values['data-dir']);
  try {
    const predictions = await model.predict({ inputPath: input, text, contentType: type, outputPath: values['output-path'] });
    if (predictions !== undefined) console.log(predictions);
  } finally {
    await model.close();
  }
}

/** Runs `flowdesk models <serve | predict> ...`. */
export async function modelsCommand(args: string[], version: string): Promise<void> {
  const [sub, ...rest] = args;
  if (sub === 'serve') return serve(rest, version);
  if (sub === 'predict') return predict(rest);
  throw invalid(`Unknown models command '${sub ?? ''}': use 'flowdesk models serve' or 'flowdesk models predict'\n\n${MODELS_USAGE}`);
}
