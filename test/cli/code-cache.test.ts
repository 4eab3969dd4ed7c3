/**
 * bin/flowdesk.js compiles the CLI bundle with V8's code cache, kept beside it in
 * dist/cli/main.cjs.cache and named after the bundle it came from. Each test runs a copy of the
 * built command laid out as an installed package (no core/ sources, so no rebuild), so the cache
 * it reads and writes is its own and not the one the other suites' commands share.
 */
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { copyFileSync, mkdirSync, readFileSync, realpathSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { tempDir } from '../helpers/temp-dir.ts';

/** A copy of the built command (bin, bundle, package.json) with the repository's node_modules. */
function installedCopy(): { root: string; bundle: string; cache: string } {
  const root = tempDir();
  mkdirSync(join(root, 'bin'));
  mkdirSync(join(root, 'dist/cli'), { recursive: true });
  for (const file of ['package.json', 'bin/flowdesk.js', 'dist/cli/main.cjs']) copyFileSync(file, join(root, file));
  symlinkSync(realpathSync('node_modules'), join(root, 'node_modules'));
  const bundle = join(root, 'dist/cli/main.cjs');
  return { root, bundle, cache: `${bundle}.cache` };
}

function help(root: string) {
  return spawnSync(process.execPath, [join(root, 'bin/flowdesk.js'), '--help'], { encoding: 'utf8' });
}

/** The first line of a cache file: the bundle it was written for and whether `serve` or another command wrote it. */
const cacheHeader = (cache: string) => readFileSync(cache).subarray(0, readFileSync(cache).indexOf(10)).toString();

const bundleKey = (bundle: string) => `${statSync(bundle).size}:${statSync(bundle).mtimeMs}`;

describe('the CLI bundle code cache', () => {
  it('is written by the first start and used unchanged by the next', () => {
    const { root, bundle, cache } = installedCopy();
    const first = help(root);
    expect({ status: first.status, stderr: first.stderr }).toEqual({ status: 0, stderr: '' });
    expect(cacheHeader(cache)).toBe(`${bundleKey(bundle)} other`);
    const written = readFileSync(cache);
    const second = help(root);
    expect(second.stdout).toBe(first.stdout);
    // V8 took it: a refused cache would have been written again from this start.
    expect(readFileSync(cache).equals(written)).toBe(true);
  });

  it('is replaced when it was written for another build of the bundle', () => {
    const { root, bundle, cache } = installedCopy();
    writeFileSync(cache, Buffer.concat([Buffer.from('123:456 serve\n'), Buffer.alloc(64, 7)]));
    const result = help(root);
    expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
    expect(result.stdout).toMatch(/^Usage:\n/);
    expect(cacheHeader(cache)).toBe(`${bundleKey(bundle)} other`);
  });

  it('is replaced when V8 refuses its contents, and the command still runs', () => {
    const { root, bundle, cache } = installedCopy();
    const damaged = Buffer.concat([Buffer.from(`${bundleKey(bundle)} other\n`), Buffer.alloc(4096, 1)]);
    writeFileSync(cache, damaged);
    const result = help(root);
    expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
    expect(result.stdout).toMatch(/^Usage:\n/);
    const replaced = readFileSync(cache);
    expect(replaced.equals(damaged)).toBe(false);
    expect(cacheHeader(cache)).toBe(`${bundleKey(bundle)} other`);
  });

  it('is written again by serve, once it listens, over one another command wrote', async () => {
    const { root, bundle, cache } = installedCopy();
    expect(help(root).status).toBe(0);
    expect(cacheHeader(cache)).toBe(`${bundleKey(bundle)} other`);
    const server = spawn(process.execPath, [join(root, 'bin/flowdesk.js'), 'serve', '--port', '0', '--data-dir', join(root, 'data')], { stdio: ['ignore', 'pipe', 'inherit'] });
    onTestFinished(() => void server.kill('SIGKILL'));
    const exited = once(server, 'exit');
    let out = '';
    await new Promise<void>((resolve) =>
      server.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes('Listening on')) resolve();
      }),
    );
    // The cache is written in the same turn as the answer to `main`, before a signal is handled.
    server.kill('SIGTERM');
    const [code] = await exited;
    expect(code).toBe(0);
    expect(cacheHeader(cache)).toBe(`${bundleKey(bundle)} serve`);
  });
});
