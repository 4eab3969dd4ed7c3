/**
 * `flowdesk models serve` and `flowdesk models predict`: a model named by `models:/name@alias`,
 * `models:/name/3` or `runs:/<run id>/<path>` is found through the running Flowdesk (its contract
 * and artifact proxy) or, when none runs, by opening the data folder directly.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { tmpdir } from 'node:os';
import { mkdtempSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { FlowdeskError, invalid } from '#core/api/errors.ts';
import { openFlowdesk } from '#core/flowdesk.ts';
import { readMlmodel, servingOf } from '#core/models/describe-model.ts';
import { proxyModelFiles, storeModelFiles, type ModelFiles } from '#core/models/model-files.ts';
import { locateModel } from '#core/models/model-location.ts';
import { copyModelFolder, pythonExecutable, requirePythonMlflow, runPythonPredict } from '#core/models/python-serving.ts';
import { parseScoringCsv, parseScoringJson } from '#core/models/scoring-input.ts';
import { serveModel } from '#core/models/serve-model.ts';
import { jsonStringify } from '#core/platform/wire-json.ts';
import { parseJsonBody } from '#core/platform/wire-json.ts';
import { findServer, FlowdeskClient } from '#core/sdk/flowdesk-client.ts';
import { storePathOf } from '#core/api/artifact-locations.ts';
import { defaultDataDir } from '#core/platform/data-dir.ts';

export const MODELS_USAGE = `  flowdesk models serve -m URI [--port 5000] [--host 127.0.0.1] [--token TOKEN] [--data-dir DIR]
      Serve a model (models:/name@alias, models:/name/3, models:/name/Production or
      runs:/<run id>/<path>) with MLflow's scoring protocol: POST /invocations, GET /ping.
      ONNX models run in Flowdesk; Python flavours run in your Python's MLflow.
  flowdesk models predict -m URI -i input.json|input.csv [-o out.json] [--data-dir DIR]
      Score a file of inputs (JSON in any of MLflow's formats, or CSV) and write
      {"predictions": ...} to out.json or the standard output.`;

/** The model's files, and what to close when done. */
async function openModel(uri: string, dataDir: string | undefined): Promise<{ files: ModelFiles; close: () => Promise<void> }> {
  let baseUrl: string | undefined;
  try {
    baseUrl = findServer({ dataDir: dataDir ?? defaultDataDir() });
  } catch (err) {
    if (!(err instanceof FlowdeskError) || err.code !== 'RESOURCE_DOES_NOT_EXIST') throw err;
  }
  if (baseUrl !== undefined) {
    const token = process.env.FLOWDESK_TOKEN ?? process.env.MLFLOW_TRACKING_TOKEN;
    const client = new FlowdeskClient(baseUrl, token);
    let artifactUri: string;
    try {
      ({ artifactUri } = (await client.api.call('models.describe', { uri })).model);
    } catch (err) {
      if (err instanceof FlowdeskError) throw err;
      throw new FlowdeskError('INVALID_STATE', `Flowdesk at ${baseUrl} is not answering (${(err as Error).message}); start it, or remove its stale server.json`);
    }
    return { files: proxyModelFiles(baseUrl, token ? { authorization: `Bearer ${token}` } : {}, storePathOf(artifactUri), uri), close: async () => undefined };
  }
  const fd = await openFlowdesk({ dataDir: dataDir ?? defaultDataDir() });
  try {
    const location = await locateModel(fd.catalog.db, { uri });
    return { files: storeModelFiles(fd.artifacts, location.storePath, uri), close: () => fd.close() };
  } catch (err) {
    await fd.close();
    throw err;
  }
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
  const { files, close } = await openModel(uri, values['data-dir']);
  let served;
  try {
    served = await serveModel(files, { host: values.host, port: parsePort(values.port), token: values.token ?? process.env.FLOWDESK_TOKEN, version: `flowdesk ${version}` });
  } catch (err) {
    await close();
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
    await close();
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
  const { files, close } = await openModel(uri, values['data-dir']);
  try {
    const model = await readMlmodel(files);
    const serving = servingOf(model);
    if (serving.kind === 'python') {
      const python = pythonExecutable();
      await requirePythonMlflow(python, Object.keys(model.flavors));
      const modelDir = await copyModelFolder(files);
      const scratch = values['output-path'] ? undefined : mkdtempSync(join(tmpdir(), 'flowdesk-predict-'));
      const out = values['output-path'] ?? join(scratch!, 'predictions.json');
      try {
        await runPythonPredict({ python, modelDir, inputPath: input, outputPath: out, contentType: type });
        if (scratch) console.log(await readFile(out, 'utf8'));
      } finally {
        await rm(modelDir, { recursive: true, force: true });
        if (scratch) await rm(scratch, { recursive: true, force: true });
      }
      return;
    }
    if (serving.kind !== 'onnx') throw new FlowdeskError('INVALID_STATE', `${uri} cannot be scored: ${serving.reason}`);
    const request = type === 'csv' ? parseScoringCsv(text) : parseScoringJson(parseJsonBody(text));
    // ONNX Runtime (a native library of some 50 MB) is loaded only to score with it.
    const { loadOnnxPredictor } = await import('#core/models/onnx-predictor.ts');
    const predictor = await loadOnnxPredictor(files, model);
    try {
      // As the server answers: NaN and infinities as MLflow writes them, not as null.
      const output = jsonStringify({ predictions: await predictor.predict(request) });
      if (values['output-path']) await writeFile(values['output-path'], `${output}\n`);
      else console.log(output);
    } finally {
      await predictor.close();
    }
  } finally {
    await close();
  }
}

/** Runs `flowdesk models <serve | predict> ...`. */
export async function modelsCommand(args: string[], version: string): Promise<void> {
  const [sub, ...rest] = args;
  if (sub === 'serve') return serve(rest, version);
  if (sub === 'predict') return predict(rest);
  throw invalid(`Unknown models command '${sub ?? ''}': use 'flowdesk models serve' or 'flowdesk models predict'\n\n${MODELS_USAGE}`);
}
