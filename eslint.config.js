// Lint rules, chiefly the layer table of design.md: each folder may import only what its layer
// allows, so a core file importing Electron or renderer code fails here.
import svelte from 'eslint-plugin-svelte';
import tseslint from 'typescript-eslint';

const nodeBuiltins = { group: ['node:*', 'fs', 'path', 'os', 'child_process', 'crypto', 'http', 'net', 'stream'], message: 'core/api is pure TypeScript: no Node built-ins.' };
const electron = { group: ['electron', 'electron/*'], message: 'Only electron/main and electron/preload may import Electron.' };
const uiLibs = { group: ['svelte', 'svelte/*', 'uplot'], message: 'UI libraries belong to renderer/.' };
const electronDir = { group: ['**/electron/**', '#electron/*'], message: 'Nothing outside electron/ imports the Electron layer.' };
const rendererDir = { group: ['**/renderer/**', '#renderer/*'], message: 'Nothing outside renderer/ imports the renderer.' };
const dbLibs = { group: ['kysely', 'better-sqlite3', 'pg', 'fastify', 'zod/*'], message: 'core/api holds the contract only: no database or server libraries.' };
// A regex, not a gitignore pattern: in gitignore syntax a leading '#' starts a comment.
const coreInternals = {
  regex: '^(#core/|(\\.\\./)+core/)(?!api/)',
  message: 'Only the contract (core/api) is visible from here, never core internals.',
};
// The adapters (server, CLI, SDK) translate; the engine behind them is reached through the contract,
// the composition root (openFlowdesk) and the shared platform helpers only. `../` would leave the folder.
const adapterReach = {
  regex: '^(#core/(?!api/|platform/|flowdesk\\.ts$)|\\.\\./)',
  message: 'Adapters (core/server, core/cli, core/sdk) import only core/api, core/platform and the composition root (#core/flowdesk.ts).',
};
// The CLI's `serve` and `run` commands start the HTTP adapter; nothing else in core does.
const cliReach = {
  regex: '^(#core/(?!api/|platform/|flowdesk\\.ts$|server/server\\.ts$)|\\.\\./)',
  message: 'The CLI imports only core/api, core/platform, the composition root (#core/flowdesk.ts) and the server it starts (#core/server/server.ts).',
};
// The window reaches data through its contract client only.
const rendererLibs = { group: ['kysely', 'better-sqlite3', 'pg', 'fastify', '@fastify/*', 'flowdesk', 'flowdesk/*'], message: 'The window reaches data through the contract client only: no database, server or SDK libraries.' };
// Inside the renderer, folders are named, not climbed to: `#renderer/state/x.ts` reads better than `../../lib/x.ts`.
const rendererClimb = { regex: '^\\.\\./', message: 'Inside renderer/src, import across folders with #renderer/*.' };
// lib/ holds pure functions that unit tests run without a window.
const pureLib = { regex: '^(#renderer/(state|dom|views|components)/|.*\\.svelte$)|^(svelte|dompurify)', message: 'renderer/src/lib holds pure functions: no state, DOM helpers or components (those live in state/, dom/, views/, components/).' };
const serverDir = { regex: '^(#core/|(\\.\\./)+)server/', message: 'Only the CLI starts the server; shared HTTP helpers live in core/platform.' };
// SQLite/PostgreSQL differences live in core/catalog (dialect-sql.ts); code elsewhere asks it for
// the SQL instead of testing the dialect's name.
const dialectBranch = 'Outside core/catalog, code does not branch on the dialect: ask dialectSql(dialect) in core/catalog/dialect-sql.ts for the difference.';
const dialectBranchSelectors = [
  "BinaryExpression[operator=/^[!=]==?$/][left.value=/^(sqlite|postgres)$/]",
  "BinaryExpression[operator=/^[!=]==?$/][right.value=/^(sqlite|postgres)$/]",
  'SwitchCase[test.value=/^(sqlite|postgres)$/]',
];

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'out/', 'renderer/dist/', 'test/e2e/screenshots/'] },
  ...tseslint.configs.recommended,
  // Svelte components (and rune modules) are linted too, so the layer rules below reach them.
  ...svelte.configs.recommended,
  {
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: { parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.svelte'] } },
    // Sets and Maps in the renderer are scratch values inside a function; state is replaced whole
    // ($state.raw), never mutated, so SvelteSet/SvelteMap would only add cost.
    rules: { 'svelte/prefer-svelte-reactivity': 'off' },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-warning-comments': 'off',
    },
  },
  {
    files: ['core/api/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [nodeBuiltins, electron, uiLibs, electronDir, rendererDir, dbLibs, { regex: '^(#core/(?!api/)|\\.\\./)', message: 'core/api imports only itself.' }] }],
    },
  },
  {
    files: ['core/**'],
    ignores: ['core/api/**', 'core/server/**', 'core/cli/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: [electron, uiLibs, electronDir, rendererDir, serverDir] }] },
  },
  {
    files: ['core/server/**', 'core/sdk/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: [electron, uiLibs, electronDir, rendererDir, adapterReach] }] },
  },
  {
    files: ['core/cli/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: [electron, uiLibs, electronDir, rendererDir, cliReach] }] },
  },
  {
    files: ['core/**', 'electron/**', 'renderer/**'],
    ignores: ['core/catalog/**'],
    rules: { 'no-restricted-syntax': ['error', ...dialectBranchSelectors.map((selector) => ({ selector, message: dialectBranch }))] },
  },
  {
    files: ['electron/main/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            uiLibs,
            rendererDir,
            // The layer table: the core, Electron and Node's own modules; libraries come through the core.
            { regex: '^(?!node:|electron$|#core/|\\.{1,2}/)', message: 'electron/main imports only core/**, electron and node:* (libraries come through the core).' },
          ],
        },
      ],
    },
  },
  {
    files: ['electron/preload/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [nodeBuiltins, uiLibs, rendererDir, coreInternals] }],
    },
  },
  {
    files: ['renderer/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: [nodeBuiltins, electron, electronDir, coreInternals, rendererLibs, rendererClimb] }] },
  },
  {
    files: ['renderer/src/lib/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: [nodeBuiltins, electron, electronDir, coreInternals, rendererLibs, rendererClimb, pureLib] }] },
  },
);
