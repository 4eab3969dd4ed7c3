#!/usr/bin/env node
/**
 * Compiles the command line and the TypeScript SDK to JavaScript with esbuild (`npm run
 * build:cli`, also run by `npm install` through `prepare`, by `npm test`, and by Vitest's global
 * setup so the tests that spawn `bin/flowdesk.js` always run the current sources):
 * - dist/cli/main.cjs: core/cli/main.ts, the core it imports and the pure-JavaScript packages, as
 *   one CommonJS file (what is imported dynamically becomes code run when first asked for). One
 *   file instead of hundreds of TypeScript modules through a loader and CommonJS files is what
 *   lets `flowdesk serve` start quickly: importing it costs ~350 ms of CPU, against ~800 ms with
 *   the packages left in node_modules and several seconds through tsx. CommonJS rather than an
 *   ES module because bin/flowdesk.js compiles it as a script with V8's code cache (Node 20 has
 *   no cache for ES modules), which skips most of that compiling on every start after the first.
 * - dist/sdk/flowdesk-client.js: the SDK (`flowdesk/sdk`), with its declarations from tsc in
 *   dist/sdk/types.
 * Both bundles sit two folders below the repository root, as core/*\/*.ts do, so the core's
 * `new URL('../../…', import.meta.url)` paths (package.json, renderer/dist) still resolve. Each
 * file is written beside its place and renamed over it, so a process starting meanwhile never
 * reads half a bundle.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));

/**
 * Packages left in node_modules: native code, what only some commands load, CommonJS that
 * names its own `__filename` (write-file-atomic), which an ES-module bundle does not define, and
 * Fastify's default schema compilers, which it requires only when not given its own
 * (core/platform/no-schema-compilers.ts gives them to every Fastify server of the core).
 */
const EXTERNAL = ['better-sqlite3', 'onnxruntime-node', '@aws-sdk/*', 'pg-native', 'electron', 'write-file-atomic', '@fastify/ajv-compiler', '@fastify/fast-json-stringify-compiler'];

/**
 * How each bundle is built. The CLI is CommonJS for bin/flowdesk.js's code cache, written already
 * wrapped in the function Node's own loader would wrap it in: the script bin/flowdesk.js compiles
 * is then the file's text itself, not a second 3.7 MB copy of it. The core's `import.meta.url`
 * becomes the file's own URL there. The SDK is an ES module for its importers; what it imports
 * dynamically goes to chunks of its own, loaded when first used.
 */
const CLI_FORMAT = {
  format: 'cjs',
  outfile: 'dist/cli/main.cjs',
  define: { 'import.meta.url': '__flowdeskModuleUrl' },
  banner: { js: "(function (exports, require, module, __filename, __dirname) { 'use strict'; const __flowdeskModuleUrl = require('node:url').pathToFileURL(__filename).href;" },
  footer: { js: '})' },
};
const SDK_FORMAT = {
  format: 'esm',
  outdir: 'dist/sdk',
  splitting: true,
  chunkNames: 'chunk-[hash]',
  banner: { js: "import { createRequire as __flowdeskCreateRequire } from 'node:module'; const require = __flowdeskCreateRequire(import.meta.url);" },
};

/** The bundles: where each is built from, and how. */
export const CLI_BUNDLES = [
  { entry: 'core/cli/main.ts', options: CLI_FORMAT },
  { entry: 'core/sdk/flowdesk-client.ts', options: SDK_FORMAT },
];

/** Builds the bundles; with `types`, the SDK's declarations too (tsc, a few seconds). */
export async function buildCli({ types = true } = {}) {
  for (const { entry, options } of CLI_BUNDLES) {
    const result = await build({
      absWorkingDir: root,
      entryPoints: [entry],
      ...options,
      bundle: true,
      platform: 'node',
      target: 'node20',
      // Pure-JavaScript packages are bundled in too: Node loads one file faster than the 250
      // CommonJS files of yaml, fastify, semver and pg. Native ones (and those loaded only when
      // used) stay in node_modules; `require` is provided for the CommonJS code inside.
      external: EXTERNAL,
      sourcemap: 'linked',
      legalComments: 'none',
      logLevel: 'warning',
      write: false,
    });
    // Chunks first (their names change with their content), the entry last, each renamed into
    // place, so a process starting meanwhile loads either the old build or the new one.
    const entryName = (options.outfile ?? entry).split('/').pop().replace(/\.ts$/, '.js');
    const files = [...result.outputFiles].sort((a, b) => Number(a.path.endsWith(entryName)) - Number(b.path.endsWith(entryName)));
    for (const file of files) {
      mkdirSync(dirname(file.path), { recursive: true });
      const temporary = `${file.path}.${process.pid}.tmp`;
      writeFileSync(temporary, file.contents);
      renameSync(temporary, file.path);
    }
  }
  if (types) {
    execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'core/sdk/tsconfig.build.json')], { stdio: 'inherit' });
    publishableDeclarations(join(root, SDK_TYPES));
  }
}

const SDK_TYPES = 'dist/sdk/types';

/**
 * Makes the SDK's declarations usable outside this repository.
 * tsc writes the sources' import specifiers into the declarations as they are: `#core/api/client.ts`
 * (the repository's own import map, which points at core/ sources a package does not ship) and
 * `./contract.ts`. Each becomes a relative path to its declaration with a `.js` extension, which
 * every module resolution (node16, nodenext, bundler) maps to the `.d.ts` beside it, so the
 * published types resolve with the built files only.
 */
function publishableDeclarations(typesRoot) {
  for (const file of readdirSync(typesRoot, { recursive: true })) {
    if (!file.endsWith('.d.ts')) continue;
    const path = join(typesRoot, file);
    const text = readFileSync(path, 'utf8').replace(/(from |import\()(['"])([^'"]+)\.ts\2/g, (_all, lead, quote, specifier) => {
      let target = specifier;
      if (specifier.startsWith('#core/')) {
        target = relative(dirname(path), join(typesRoot, specifier.slice('#core/'.length))).replaceAll('\\', '/');
        if (!target.startsWith('.')) target = `./${target}`;
      } else if (!specifier.startsWith('.')) {
        return _all;
      }
      return `${lead}${quote}${target}.js${quote}`;
    })
      // tsc writes an enum key such as "-Infinity" (entities.ts's metric values) as the computed
      // key `[-Infinity]`, which no type checker accepts back (TS1170); it is the string key.
      .replace(/^(\s*)\[(-[\w.]+)\]:/gm, '$1"$2":');
    writeFileSync(path, text);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await buildCli();
