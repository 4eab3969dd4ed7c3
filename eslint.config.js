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
    ignores: ['core/api/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: [electron, uiLibs, electronDir, rendererDir] }] },
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
    rules: { 'no-restricted-imports': ['error', { patterns: [nodeBuiltins, electron, electronDir, coreInternals] }] },
  },
);
