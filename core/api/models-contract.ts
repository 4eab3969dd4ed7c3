/**
 * Contract methods of models: describe an MLflow model folder (its MLmodel), find the models a run
 * logged, and serve models from the app.
 */
import { z } from 'zod';
import { method } from './contract-method.ts';
import { OWNER_LOCAL, TEAM_READ } from './access.ts';
import { modelRef, modelServer, modelSummary } from './models-entities.ts';

const empty = z.object({});

export const modelsContract = {
  'models.describe': method(
    "Reads a model's MLmodel (named by `runs:/` or `models:/` URI, `{runId, path}` or `{name, version}`): flavors, signature as column or tensor specs, input example (cut at 16 KB), size, creation time, requirements, and how Flowdesk can serve it. Only the MLmodel, the example and requirements.txt are read; no model file is opened.",
    modelRef,
    z.object({ model: modelSummary }),
    TEAM_READ,
  ),
  'models.find': method(
    'Like `models.describe`, but a run, version or folder without an MLmodel answers without `model` instead of failing: for views that sum up many versions at once. A malformed reference still fails.',
    modelRef,
    z.object({ model: modelSummary.optional() }),
    TEAM_READ,
  ),
  'models.listInRun': method(
    "The model folders (those holding an MLmodel) among a run's artifacts, at the root and one or two folders deep, with their summaries; a folder whose MLmodel cannot be read carries the error instead.",
    z.object({ runId: z.string().min(1) }),
    z.object({ models: z.array(z.object({ path: z.string(), model: modelSummary.optional(), error: z.string().optional() })) }),
    TEAM_READ,
  ),
  'models.serve': method(
    'Starts serving a model on loopback (`port` 0 or absent: any free port): ONNX in this process, Python flavors with the MLflow of the Python on this machine. Answers with the URL of its `/invocations`.',
    z.object({ model: modelRef, port: z.number().int().min(0).max(65535).optional() }),
    z.object({ server: modelServer }),
    OWNER_LOCAL,
  ),
  'models.stopServing': method('Stops a model server Flowdesk started.', z.object({ serverId: z.string().min(1) }), empty, OWNER_LOCAL),
  'models.servers': method('The model servers running now, oldest first.', empty, z.object({ servers: z.array(modelServer) }), TEAM_READ),
} as const;
