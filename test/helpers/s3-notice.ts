/** Vitest global setup: says once, plainly, when the S3 runs of the artifact suites do not run. */
import { S3_NOT_RUN_REASON } from './s3.ts';

export default function setup(): void {
  if (S3_NOT_RUN_REASON) console.log(`S3 artifact suites did not run: ${S3_NOT_RUN_REASON}`);
}
