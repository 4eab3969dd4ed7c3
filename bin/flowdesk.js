#!/usr/bin/env node
// Runs the compiled CLI (dist/cli/main.cjs, built by build/build-cli.js). In a checkout whose
// core sources are newer than that bundle, or where it was never built, it is built first
// (esbuild, about a second), so `npx flowdesk` never runs stale code and needs no TypeScript
// loader at run time.
import { existsSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';

const root = fileURLToPath(new URL('..', import.meta.url));
const bundle = `${root}dist/cli/main.cjs`;
const codeCache = `${bundle}.cache`;

/**
 * Whether a TypeScript file under `dir` changed after `built` (ms). A walk of its own rather than
 * readdirSync's `recursive` option, which builds a relative path per entry through node:path:
 * ~45 ms for core's ~170 files against ~5 ms here, on every start in a checkout.
 */
function newerThan(dir, built) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory() ? newerThan(path, built) : entry.name.endsWith('.ts') && statSync(path).mtimeMs > built) return true;
  }
  return false;
}

/** Whether a core source file changed after the bundle was written. */
function stale() {
  const sources = `${root}core`;
  return existsSync(sources) && newerThan(sources, statSync(bundle).mtimeMs);
}

/**
 * The bundle's code cache, if one was written for this very file, and whether `serve` wrote it.
 * V8 checks only the source's length and its own version and flags, so the cache names the bundle
 * it came from by size and modification time (each build renames a new file into place) on its
 * first line.
 */
function readCodeCache(key) {
  let data;
  try {
    data = readFileSync(codeCache);
  } catch {
    return undefined;
  }
  const end = data.indexOf(10);
  const [writtenFor, writer] = data.subarray(0, Math.max(end, 0)).toString().split(' ');
  return end > 0 && writtenFor === key ? { data: data.subarray(end + 1), byServe: writer === 'serve' } : undefined;
}

/**
 * Writes the code cache of what this process compiled so far, beside the bundle and renamed into
 * place, so a process starting meanwhile reads a whole one or none. An installed package may sit
 * in a folder this user cannot write; it then starts without a cache, as the first start did.
 */
function writeCodeCache(key, command, script) {
  const temporary = `${codeCache}.${process.pid}.tmp`;
  try {
    writeFileSync(temporary, Buffer.concat([Buffer.from(`${key} ${command === 'serve' ? 'serve' : 'other'}\n`), script.createCachedData()]));
    renameSync(temporary, codeCache);
  } catch {
    // No cache: the next start compiles the bundle again.
  }
}

if (!existsSync(bundle) || stale()) {
  const { buildCli } = await import('../build/build-cli.js');
  await buildCli({ types: false });
}

/**
 * Runs the bundle as a CommonJS module would, but compiled here as a script, which is what lets
 * V8 reuse the code it compiled on an earlier start (Node 20 keeps no cache of its own). Returns
 * its exports, its script, and whether the code cache should be written once the command ran.
 */
function loadBundle(command) {
  const { size, mtimeMs } = statSync(bundle);
  const key = `${size}:${mtimeMs}`;
  const cache = readCodeCache(key);
  // The bundle is one function expression (build/build-cli.js wraps it), as Node's loader would wrap it.
  const script = new vm.Script(readFileSync(bundle, 'utf8'), {
    filename: bundle,
    cachedData: cache?.data,
    importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  const cli = { exports: {} };
  script.runInThisContext()(cli.exports, createRequire(bundle), cli, bundle, `${root}dist/cli`);
  // Written when there was no cache or V8 refused it, and by `serve`, whose start is the one
  // people wait on, over a cache another command wrote.
  const rewrite = cache === undefined || script.cachedDataRejected || (command === 'serve' && !cache.byServe);
  return { main: cli.exports.main, script, key, rewrite };
}

const command = process.argv[2] ?? 'help';
const { main, script, key, rewrite } = loadBundle(command);
const code = await main(process.argv.slice(2));
// Once the command has run (for `serve`, once it listens), the functions it compiled are in V8's
// heap, which is what the cache then holds.
if (rewrite) writeCodeCache(key, command, script);
// `serve` keeps running until a signal; the other commands end here.
if (command !== 'serve' || code !== 0) process.exitCode = code;
