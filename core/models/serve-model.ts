/**
 * Serves one model folder, the way its flavours allow: ONNX in this process behind a scoring
 * server, Python flavours through MLflow in the user's Python, anything else refused with why.
 * Used by `flowdesk models serve` and by the app's Serve button alike.
 */
import { FlowdeskError } from '#core/api/errors.ts';
import { isLoopback } from '#core/platform/http-manners.ts';
import type { ServingKind } from '#core/api/models-entities.ts';
import { readMlmodel, servingOf } from './describe-model.ts';
import type { ModelFiles } from './model-files.ts';
import { copyModelFolder, pythonExecutable, requirePythonMlflow, startPythonServer } from './python-serving.ts';
import { startScoringServer } from './scoring-server.ts';

export interface ServeOptions {
  host?: string;
  /** 0 picks a free port. */
  port: number;
  token?: string;
  /** What an ONNX server's /version answers. */
  version: string;
  /** The Python that runs MLflow for Python flavours; see `pythonExecutable`. */
  python?: string;
  log?: (message: string, err?: unknown) => void;
}

export interface ServedModel {
  kind: Exclude<ServingKind, 'none'>;
  url: string;
  host: string;
  port: number;
  stop(): Promise<void>;
}

/** Starts serving the model in `files`; resolves once it answers requests. */
export async function serveModel(files: ModelFiles, options: ServeOptions): Promise<ServedModel> {
  const host = options.host ?? '127.0.0.1';
  const model = await readMlmodel(files);
  const serving = servingOf(model);
  if (serving.kind === 'onnx') {
    // ONNX Runtime (a native library of some 50 MB) is loaded only to serve an ONNX model.
    const { loadOnnxPredictor } = await import('./onnx-predictor.ts');
    const predictor = await loadOnnxPredictor(files, model);
    try {
      const server = await startScoringServer({ predictor, host, port: options.port, token: options.token, version: options.version, log: options.log });
      return {
        kind: 'onnx',
        url: server.url,
        host,
        port: server.port,
        async stop() {
          await server.close();
          await predictor.close();
        },
      };
    } catch (err) {
      await predictor.close();
      throw err;
    }
  }
  if (serving.kind === 'python') {
    if (options.token || !isLoopback(host)) {
      throw new FlowdeskError('INVALID_PARAMETER_VALUE', "MLflow's model server checks no token, so Flowdesk serves Python-flavoured models on loopback only, without a token");
    }
    const python = options.python ?? pythonExecutable();
    await requirePythonMlflow(python, Object.keys(model.flavors));
    const modelDir = await copyModelFolder(files);
    const server = await startPythonServer({ python, modelDir, host, port: options.port });
    return { kind: 'python', url: server.url, host, port: server.port, stop: server.stop };
  }
  throw new FlowdeskError('INVALID_STATE', `${files.where} cannot be served: ${serving.reason}`);
}
