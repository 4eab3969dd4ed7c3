#!/usr/bin/env node
/**
 * Bundles the Electron main process and the preload with esbuild (`npm run build:electron`):
 * - out/main/index.js: electron/main plus the core it imports, as one ES module. Packages in
 *   node_modules (better-sqlite3, fastify, kysely, ...) stay external and ship as dependencies.
 *   Bundling, rather than registering tsx inside Electron, means the packaged app runs plain
 *   JavaScript: no TypeScript loader (whose native esbuild binary cannot run from an asar
 *   archive) and no compile step at every start.
 * - out/preload/index.cjs: one CommonJS file, as a sandboxed preload must be; only `electron` is
 *   left to require.
 * The main bundle sits two folders below the app root, as core/*\/*.ts do, so the core's
 * `new URL('../../…', import.meta.url)` paths (package.json, renderer/dist) still resolve.
 */
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Builds both bundles; returns their paths. */
export async function buildElectron({ outDir = `${root}out`, logLevel = 'warning' } = {}) {
  const common = { absWorkingDir: root, bundle: true, sourcemap: 'linked', logLevel, legalComments: 'none' };
  await build({
    ...common,
    entryPoints: ['electron/main/index.ts'],
    outfile: `${outDir}/main/index.js`,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    packages: 'external',
  });
  await build({
    ...common,
    entryPoints: ['electron/preload/index.ts'],
    outfile: `${outDir}/preload/index.cjs`,
    platform: 'browser',
    format: 'cjs',
    target: 'chrome130',
    external: ['electron'],
  });
  return { main: `${outDir}/main/index.js`, preload: `${outDir}/preload/index.cjs` };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await buildElectron();
