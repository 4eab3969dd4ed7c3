/**
 * The S3 side of the artifact suites. They run a second time against S3 when
 * FLOWDESK_TEST_S3_URL (s3://bucket/prefix) and the AWS_* settings are set, as `.ci/run` does
 * with a local radosgw; each test gets its own prefix under that URL, emptied afterwards.
 */
import { randomUUID } from 'node:crypto';
import { DeleteObjectsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { afterAll, afterEach } from 'vitest';
import { createS3Client, parseS3Url, type S3Location } from '#core/artifacts/s3-artifact-store.ts';

/** s3://bucket/prefix the S3 runs write under, or undefined when they do not run. */
export const S3_TEST_URL = process.env.FLOWDESK_TEST_S3_URL || undefined;

/** Why the S3 runs do not run here; undefined when they do. */
export const S3_NOT_RUN_REASON = S3_TEST_URL
  ? undefined
  : 'FLOWDESK_TEST_S3_URL is not set (s3://bucket/prefix plus AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY; .ci/run sets them with a local radosgw)';

let shared: S3Client | undefined;

/** One client for the test process's own look-ups and clean-ups (the stores make their own). */
export function testS3Client(): S3Client {
  if (!shared) {
    shared = createS3Client();
    afterAll(() => shared?.destroy());
  }
  return shared;
}

/**
 * A fresh place for one test: `base` is `<test prefix>/<uuid>`, where a test may plant objects
 * of its own (canaries), and `url` is `s3://bucket/<base>/store` for the store. Everything under
 * `base` is deleted after the test.
 */
export function s3TestPlace(): { url: string; bucket: string; base: string; location: S3Location } {
  if (!S3_TEST_URL) throw new Error(S3_NOT_RUN_REASON);
  const { bucket, prefix } = parseS3Url(S3_TEST_URL);
  const base = [prefix, randomUUID()].filter((p) => p !== '').join('/');
  afterEach(() => deleteUnder(bucket, `${base}/`));
  return { url: `s3://${bucket}/${base}/store`, bucket, base, location: { bucket, prefix: `${base}/store` } };
}

/** Every key and size under a key prefix, sorted: the raw truth of what is in the bucket. */
export async function listKeys(bucket: string, prefix: string): Promise<Record<string, number>> {
  const found: Record<string, number> = {};
  let token: string | undefined;
  do {
    const page = await testS3Client().send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const o of page.Contents ?? []) found[o.Key!] = o.Size ?? 0;
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return found;
}

/** Deletes every object under a key prefix (a fixture's place, after the file's tests). */
export async function deleteUnder(bucket: string, prefix: string): Promise<void> {
  const keys = Object.keys(await listKeys(bucket, prefix));
  for (let i = 0; i < keys.length; i += 1000) {
    await testS3Client().send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys.slice(i, i + 1000).map((Key) => ({ Key })), Quiet: true } }));
  }
}

/** Where a suite keeps artifacts: the data folder, or a fresh S3 prefix per test. */
export interface ArtifactBackend {
  name: 'folder' | 's3';
  /** The `artifacts` setting of `openFlowdesk` for the current test. */
  setting(): string | undefined;
}

/** The folder always; S3 too when FLOWDESK_TEST_S3_URL is set. For `describe.each`. */
export function artifactBackends(): ArtifactBackend[] {
  const folder: ArtifactBackend = { name: 'folder', setting: () => undefined };
  return S3_TEST_URL ? [folder, { name: 's3', setting: () => s3TestPlace().url }] : [folder];
}
