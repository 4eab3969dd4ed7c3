/**
 * What only the S3 store has: keys under its prefix, multipart uploads, refusing hostile paths
 * before any request, unfinished uploads swept, and S3 failures told as Flowdesk errors. The
 * behaviour it shares with the local store is in store-behaviour.test.ts.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { CreateMultipartUploadCommand, HeadObjectCommand, ListMultipartUploadsCommand, S3Client, UploadPartCommand } from '@aws-sdk/client-s3';
import { afterEach, describe, expect, it } from 'vitest';
import type { ArtifactStore } from '#core/artifacts/artifact-store.ts';
import { createS3ArtifactStore, createS3Client, parseS3Url, s3Error } from '#core/artifacts/s3-artifact-store.ts';
import { listKeys, S3_NOT_RUN_REASON, s3TestPlace, S3_TEST_URL } from '../helpers/s3.ts';
import { HOSTILE_PATHS } from './hostile-paths.ts';

const MiB = 1024 * 1024;

async function outcome(promise: Promise<unknown>): Promise<string> {
  return promise.then(
    () => 'resolved',
    (err: unknown) => (err as { code?: string }).code ?? String(err),
  );
}

/** An S3 failure as the SDK throws it. */
function sdkError(name: string, status: number | undefined, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(`${name} happened`), { name, $metadata: { httpStatusCode: status }, ...extra });
}

describe('parseS3Url', () => {
  it('splits bucket and prefix, trimming slashes', () => {
    expect(parseS3Url('s3://team-bucket/flowdesk/artifacts/')).toEqual({ bucket: 'team-bucket', prefix: 'flowdesk/artifacts' });
    expect(parseS3Url('s3://team-bucket')).toEqual({ bucket: 'team-bucket', prefix: '' });
    expect(parseS3Url('s3://team-bucket/')).toEqual({ bucket: 'team-bucket', prefix: '' });
  });

  it.each([['s3://'], ['s3://UPPER/x'], ['s3://a/x'], ['http://bucket/x'], ['s3://bucket/../x'], ['s3://bucket/a//b'], ['s3://bucket/x?y'], ['/tmp/artifacts']])(
    'refuses %j',
    (url) => {
      expect(() => parseS3Url(url)).toThrow(expect.objectContaining({ code: 'INVALID_PARAMETER_VALUE' }));
    },
  );
});

describe('S3 failures as Flowdesk errors', () => {
  it.each([
    [sdkError('NoSuchKey', 404), 'RESOURCE_DOES_NOT_EXIST', /no such artifact/],
    [sdkError('NotFound', 404), 'RESOURCE_DOES_NOT_EXIST', /no such artifact/],
    [sdkError('AccessDenied', 403), 'PERMISSION_DENIED', /refused access .*credentials/],
    [sdkError('InvalidAccessKeyId', 403), 'PERMISSION_DENIED', /refused access/],
    [sdkError('SignatureDoesNotMatch', 403), 'PERMISSION_DENIED', /refused access/],
    [sdkError('EntityTooLarge', 400), 'REQUEST_LIMIT_EXCEEDED', /too large/],
    [sdkError('NoSuchBucket', 404), 'INTERNAL_ERROR', /bucket .* does not exist/],
    [Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }), 'INTERNAL_ERROR', /unreachable \(ECONNREFUSED\).*AWS_ENDPOINT_URL/],
    [sdkError('TimeoutError', undefined), 'INTERNAL_ERROR', /unreachable/],
    [sdkError('SlowDown', 503), 'INTERNAL_ERROR', /failed \(SlowDown.*HTTP 503\)/],
    [sdkError('CredentialsProviderError', undefined), 'INTERNAL_ERROR', /no credentials .* AWS_ACCESS_KEY_ID .* AWS_PROFILE/],
    [new Error('Region is missing'), 'INTERNAL_ERROR', /no region .* AWS_REGION/],
  ])('%s becomes %s', (err, code, message) => {
    const mapped = s3Error(err, "Reading 'a.txt'", 's3://b/p');
    expect(mapped.code).toBe(code);
    expect(mapped.message).toMatch(message);
    expect(mapped.message).toContain("Reading 'a.txt'");
  });

  it('says plainly that an endpoint nobody answers on is unreachable', async () => {
    const client = new S3Client({
      endpoint: 'http://127.0.0.1:1',
      region: 'us-east-1',
      forcePathStyle: true,
      maxAttempts: 1,
      credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
    });
    afterEach(() => client.destroy());
    const store = createS3ArtifactStore({ bucket: 'nowhere', prefix: 'p', client });
    for (const attempt of [() => store.read('a.txt'), () => store.list(''), () => store.write('a.txt', Buffer.from('x')), () => store.checkBucket()]) {
      await expect(attempt()).rejects.toMatchObject({ code: 'INTERNAL_ERROR', message: expect.stringMatching(/s3:\/\/nowhere\/p is unreachable \(ECONNREFUSED\)/) });
    }
  });
});

if (!S3_TEST_URL) {
  describe(`S3 artifact suites did not run: ${S3_NOT_RUN_REASON}`, () => {
    it('is allowed only where FLOWDESK_REQUIRE_S3 is unset (.ci/run sets it)', () => {
      expect(process.env.FLOWDESK_REQUIRE_S3 ?? '').toBe('');
    });
  });
} else {
  describe('the S3 artifact store', () => {
    /** A store on a fresh prefix whose client counts the requests it sends. */
    function setup(options: { partSize?: number } = {}) {
      const place = s3TestPlace();
      const client = createS3Client();
      let requests = 0;
      client.middlewareStack.add(
        (next) => (args) => {
          requests++;
          return next(args);
        },
        { step: 'initialize' },
      );
      afterEach(() => client.destroy());
      const store = createS3ArtifactStore({ ...place.location, client, partSize: options.partSize });
      return { ...place, client, store, requests: () => requests };
    }

    it('keeps files as objects under its prefix, nothing else', async () => {
      const { store, bucket, base } = setup();
      await store.write('1/run/artifacts/model/MLmodel', Buffer.from('flavors: {}\n'));
      await store.write('1/run/artifacts/données 😀.txt', Buffer.from('x'));
      expect(await listKeys(bucket, `${base}/`)).toEqual({
        [`${base}/store/1/run/artifacts/model/MLmodel`]: 12,
        [`${base}/store/1/run/artifacts/données 😀.txt`]: 1,
      });
    });

    it('uploads a 12 MiB stream in 5 MiB parts and reads it back whole and in ranges', async () => {
      const { store, client, bucket, location } = setup({ partSize: 5 * MiB });
      const data = randomBytes(12 * MiB);
      const chunks = Array.from({ length: 12 * 16 }, (_, i) => data.subarray(i * 64 * 1024, (i + 1) * 64 * 1024));
      expect(await store.write('big/model.bin', Readable.from(chunks), { expectedBytes: data.length })).toEqual({ bytes: data.length });

      // A multipart object's ETag is "<md5 of the part md5s>-<part count>": three parts here.
      const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: `${location.prefix}/big/model.bin` }));
      expect(head.ETag).toMatch(/-3"$/);
      const whole = await store.read('big/model.bin');
      expect(whole.bytes).toBe(data.length);
      const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
      expect(sha(await buffer(whole.stream))).toBe(sha(data));

      // Ranges across the part boundaries at 5 and 10 MiB, and the last byte.
      for (const [start, end] of [
        [5 * MiB - 10, 5 * MiB + 9],
        [10 * MiB - 1, 10 * MiB],
        [12 * MiB - 1, 12 * MiB - 1],
      ] as const) {
        const part = await store.read('big/model.bin', { start, end });
        expect(part.bytes).toBe(end - start + 1);
        expect((await buffer(part.stream)).equals(data.subarray(start, end + 1))).toBe(true);
      }
      expect(await store.du('big')).toBe(12 * MiB);
    });

    it('aborts a multipart upload whose body fails after some parts, leaving no object and no parts', async () => {
      const { store, client, bucket, base } = setup({ partSize: 5 * MiB });
      const body = Readable.from(
        (async function* () {
          for (let i = 0; i < 11; i++) yield randomBytes(MiB);
          throw new Error('client went away');
        })(),
      );
      await expect(store.write('cut.bin', body)).rejects.toThrow('client went away');
      expect(await listKeys(bucket, `${base}/`)).toEqual({});
      const uploads = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: `${base}/` }));
      expect(uploads.Uploads ?? []).toEqual([]);
    });

    it('refuses every hostile path with every method before sending any request', async () => {
      const { store, requests, bucket, base } = setup();
      const failures: string[] = [];
      const methods: Record<string, (s: ArtifactStore, p: string) => Promise<unknown>> = {
        write: (s, p) => s.write(p, Buffer.from('pwned')),
        writeStream: (s, p) => s.write(p, Readable.from([Buffer.from('pwned')])),
        read: (s, p) => s.read(p),
        stat: (s, p) => s.stat(p),
        list: (s, p) => s.list(p),
        delete: (s, p) => s.delete(p),
        du: (s, p) => s.du(p),
      };
      for (const form of HOSTILE_PATHS.map((f) => f.replaceAll('{abs}', 'tmp/canary'))) {
        for (const [name, call] of Object.entries(methods)) {
          const result = await outcome(call(store, form));
          if (result !== 'INVALID_PARAMETER_VALUE') failures.push(`${name} ${JSON.stringify(form)} -> ${result}`);
        }
      }
      expect(failures).toEqual([]);
      expect(requests()).toBe(0);
      expect(await listKeys(bucket, `${base}/`)).toEqual({});
    });

    it('deletes a tree of more than 1000 objects (DeleteObjects in batches)', async () => {
      const { store, bucket, base } = setup();
      const paths = Array.from({ length: 1010 }, (_, i) => `1/run/artifacts/f${String(i).padStart(4, '0')}.txt`);
      for (let i = 0; i < paths.length; i += 50) await Promise.all(paths.slice(i, i + 50).map((p) => store.write(p, Buffer.from('x'))));
      await store.write('1/keep.txt', Buffer.from('keep'));
      expect((await store.list('1/run/artifacts')).length).toBe(1010);
      expect(await store.du('1/run')).toBe(1010);
      await store.delete('1/run');
      expect(await listKeys(bucket, `${base}/`)).toEqual({ [`${base}/store/1/keep.txt`]: 4 });
    });

    it('sweeps unfinished multipart uploads started before the cut-off, keeping newer ones', async () => {
      const { store, client, bucket, location } = setup();
      const start = async (path: string) => {
        const Key = `${location.prefix}/${path}`;
        const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key }));
        await client.send(new UploadPartCommand({ Bucket: bucket, Key, UploadId, PartNumber: 1, Body: Buffer.alloc(1234) }));
        return UploadId;
      };
      await start('1/run/artifacts/crashed.bin');
      const cutOff = Date.now() + 2_000;
      expect(await store.sweepStaging(cutOff)).toBe(1234);
      const left = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: `${location.prefix}/` }));
      expect(left.Uploads ?? []).toEqual([]);

      const fresh = await start('1/run/artifacts/in-flight.bin');
      expect(await store.sweepStaging(Date.now() - 60_000)).toBe(0);
      const kept = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: `${location.prefix}/` }));
      expect((kept.Uploads ?? []).map((u) => u.UploadId)).toEqual([fresh]);
      expect(await store.sweepStaging(Date.now() + 2_000)).toBe(1234);
    });

    it('reports wrong credentials as PERMISSION_DENIED and a missing bucket plainly', async () => {
      const { location } = setup();
      const wrong = new S3Client({
        endpoint: process.env.AWS_ENDPOINT_URL,
        region: 'us-east-1',
        forcePathStyle: true,
        maxAttempts: 1,
        credentials: { accessKeyId: process.env.AWS_ACCESS_KEY_ID!, secretAccessKey: 'not-the-secret' },
      });
      afterEach(() => wrong.destroy());
      const denied = createS3ArtifactStore({ ...location, client: wrong });
      for (const attempt of [() => denied.read('a.txt'), () => denied.list(''), () => denied.write('a.txt', Buffer.from('x'))]) {
        expect(await outcome(attempt())).toBe('PERMISSION_DENIED');
      }
      const missing = createS3ArtifactStore({ bucket: `no-such-bucket-${Date.now()}`, prefix: 'p' });
      afterEach(() => missing.close());
      await expect(missing.checkBucket()).rejects.toMatchObject({ code: 'INTERNAL_ERROR', message: expect.stringMatching(/bucket .* does not exist/) });
      await expect(missing.list('')).rejects.toMatchObject({ code: 'INTERNAL_ERROR', message: expect.stringMatching(/does not exist/) });
    });
  });
}
