#!/usr/bin/env node
// Runs the compiled CLI (dist/cli/main.js, built by build/build-cli.js). In a checkout whose
// core sources are newer than that bundle, or where it was never built, it is built first
// (esbuild, about a second), so `npx flowdesk` never runs stale code and needs no TypeScript
// loader at run time.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const bundle = `${root}dist/cli/main.js`;

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

if (!existsSync(bundle) || stale()) {
  const { buildCli } = await import('../build/build-cli.js');
  await buildCli({ types: false });
}
const { main } = await import('../dist/cli/main.js');
const code = await main(process.argv.slice(2));
// `serve` keeps running until a signal; the other commands end here.
if (process.argv[2] !== 'serve' || code !== 0) process.exitCode = code;
