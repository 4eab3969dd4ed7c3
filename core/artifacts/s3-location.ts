/**
 * Where an S3 artifact store lives, parsed from `s3://bucket/prefix`. Apart from the store
 * itself, so that checking the setting does not load the AWS SDK: the store is loaded only
 * when a server actually keeps its artifacts on S3.
 */
import { invalid } from '#core/api/errors.ts';
import { checkArtifactPath } from '#core/api/artifact-path.ts';

/** Where the store lives: a bucket and a key prefix inside it ('' for the whole bucket). */
export interface S3Location {
  bucket: string;
  prefix: string;
}

/** Parses `s3://bucket/prefix`; the prefix may be empty and loses its surrounding slashes. */
export function parseS3Url(url: string): S3Location {
  const match = /^s3:\/\/([^/?#]+)\/?([^?#]*)$/.exec(url);
  // Bucket names per S3's rules: 3-63 lowercase letters, digits, dots and hyphens.
  if (!match || !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(match[1]!)) {
    throw invalid(`Invalid artifact location '${url}': expected s3://<bucket>/<prefix> with a valid bucket name`);
  }
  const prefix = match[2]!.replace(/^\/+|\/+$/g, '');
  if (prefix !== '' && checkArtifactPath(prefix) !== prefix) {
    throw invalid(`Invalid artifact location '${url}': the prefix must be a plain path like 'team/artifacts'`);
  }
  return { bucket: match[1]!, prefix };
}
