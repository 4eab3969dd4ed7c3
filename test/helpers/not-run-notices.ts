/**
 * Vitest global setup: says once, plainly, when the S3 runs of the artifact suites or the suites
 * of the real MLflow clients do not run; in CI a missing python-clients folder fails the run.
 */
import { S3_NOT_RUN_REASON } from './s3.ts';
import { PYTHON_CLIENTS_NOT_RUN_REASON, PYTHON_CLIENTS_REQUIRED } from './python-clients.ts';

export default function setup(): void {
  if (S3_NOT_RUN_REASON) console.log(`S3 artifact suites did not run: ${S3_NOT_RUN_REASON}`);
  if (PYTHON_CLIENTS_NOT_RUN_REASON) {
    if (PYTHON_CLIENTS_REQUIRED) throw new Error(`The real MLflow client suites must run here: ${PYTHON_CLIENTS_NOT_RUN_REASON}`);
    console.log(`Real MLflow client suites (test/mlflow-python, the Python model-serving tests) did not run: ${PYTHON_CLIENTS_NOT_RUN_REASON}`);
  }
}
