/**
 * Builds the Svelte window (renderer/) into renderer/dist, which `flowdesk serve` serves at `/`
 * and the Electron shell will load. `npm run build:ui` runs it.
 */
import { fileURLToPath } from 'node:url';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('./renderer', import.meta.url)),
  // Relative asset URLs, so the same build loads over http:// and from the packaged app's files.
  base: './',
  // The defaults suit the window; no svelte.config.js to look for.
  plugins: [svelte({ configFile: false })],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // The CSP forbids inline scripts; Vite's module preload polyfill is unnecessary in Chromium.
    modulePreload: { polyfill: false },
    // Views are split into chunks by App.svelte's dynamic imports, so the first view parses about
    // 110 KB instead of the whole app's 790 KB; the limit warns if one chunk grows past that again.
    chunkSizeWarningLimit: 400,
  },
});
