/**
 * Scores a file of inputs with a model (`flowdesk models predict`): ONNX models in this process,
 * Python flavours through MLflow's own scoring in the person's Python, anything else refused
 * with why.
 */
import { mkdtempSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FlowdeskError } from '#core/api/errors.ts';
import { jsonStringify, parseJsonBody } from '#core/platform/wire-json.ts';
import { readMlmodel, servingOf } from './describe-model.ts';
import type { ModelFiles } from './model-files.ts';
import { copyModelFolder, pythonExecutable, requirePythonMlflow, runPythonPredict } from './python-serving.ts';
import { parseScoringCsv, parseScoringJson } from './scoring-input.ts';

export interface PredictFileOptions {
  /** The input file, and its text: JSON in any of MLflow's formats, or CSV. */
  inputPath: string;
  text: string;
  contentType: 'json' | 'csv';
  /** Where `{"predictions": ...}` is written; without it, it is answered as text. */
  outputPath?: string;
}

/** Scores the input file with the model in `files` (named `uri` in messages); the predictions' text when no outputPath is given. */
export async function predictFile(files: ModelFiles, uri: string, options: PredictFileOptions): Promise<string | undefined> {
  const model = await readMlmodel(files);
  const serving = servingOf(model);
  if (serving.kind === 'python') {
    const python = pythonExecutable();
    await requirePythonMlflow(python, Object.keys(model.flavors));
    const modelDir = await copyModelFolder(files);
    const scratch = options.outputPath ? undefined : mkdtempSync(join(tmpdir(), 'flowdesk-predict-'));
    const out = options.outputPath ?? join(scratch!, 'predictions.json');
    try {
      await runPythonPredict({ python, modelDir, inputPath: options.inputPath, outputPath: out, contentType: options.contentType });
      return scratch ? await readFile(out, 'utf8') : undefined;
    } finally {
      await rm(modelDir, { recursive: true, force: true });
      if (scratch) await rm(scratch, { recursive: true, force: true });
    }
  }
  if (serving.kind !== 'onnx') throw new FlowdeskError('INVALID_STATE', `${uri} cannot be scored: ${serving.reason}`);
  const request = options.contentType === 'csv' ? parseScoringCsv(options.text) : parseScoringJson(parseJsonBody(options.text));
  // ONNX Runtime (a native library of some 50 MB) is loaded only to score with it.
  const { loadOnnxPredictor } = await import('./onnx-predictor.ts');
  const predictor = await loadOnnxPredictor(files, model);
  try {
    // As the server answers: NaN and infinities as MLflow writes them, not as null.
    const output = jsonStringify({ predictions: await predictor.predict(request) });
    if (!options.outputPath) return output;
    await writeFile(options.outputPath, `${output}\n`);
    return undefined;
  } finally {
    await predictor.close();
  }
}
