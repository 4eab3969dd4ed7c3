#!/usr/bin/env node
/**
 * `npm start`: builds the window if its sources changed, then opens the desktop app. Where
 * Electron's binary is missing (and cannot be downloaded now), says so in one line and runs
 * `flowdesk serve` instead, which prints the URL to open in a browser. Arguments are passed on
 * (`npm start -- --port 0`).
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const require = createRequire(import.meta.url);
/** How long a first-time download of Electron may take before the server runs instead. */
const INSTALL_TIMEOUT_MS = 120_000;

/** Runs a command to its end; resolves its exit code (or -1 when it timed out or failed to start). */
function run(command, args, { quiet = false, timeoutMs } = {}) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: root, stdio: quiet ? 'ignore' : 'inherit' });
    const timer = timeoutMs ? setTimeout(() => child.kill(), timeoutMs) : undefined;
    child.on('error', () => resolve(-1));
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve(code ?? -1);
    });
  });
}

/** The newest modification time of the files under `path`. */
function newest(path) {
  const info = statSync(path);
  if (!info.isDirectory()) return info.mtimeMs;
  return Math.max(info.mtimeMs, ...readdirSync(path).map((name) => newest(join(path, name))));
}

/** Whether renderer/dist is missing or older than the window's sources (the contract included). */
function uiIsStale() {
  const index = join(root, 'renderer/dist/index.html');
  if (!existsSync(index)) return true;
  const sources = ['renderer/src', 'renderer/index.html', 'renderer/public', 'core/api'].map((p) => join(root, p)).filter(existsSync);
  return Math.max(...sources.map(newest)) > statSync(index).mtimeMs;
}

/** The Electron executable when it is installed, trying one quick install when it is not. */
async function electronBinary() {
  const dir = dirname(require.resolve('electron/package.json'));
  // Where electron's own index.js looks, ELECTRON_OVERRIDE_DIST_PATH included.
  const binary = () => {
    const pathFile = join(dir, 'path.txt');
    const name = existsSync(pathFile) ? readFileSync(pathFile, 'utf8') : undefined;
    if (process.env.ELECTRON_OVERRIDE_DIST_PATH) return join(process.env.ELECTRON_OVERRIDE_DIST_PATH, name ?? 'electron');
    return name === undefined ? undefined : join(dir, 'dist', name);
  };
  const installed = () => {
    const path = binary();
    return path !== undefined && existsSync(path);
  };
  if (!installed()) await run(process.execPath, [join(dir, 'install.js')], { quiet: true, timeoutMs: INSTALL_TIMEOUT_MS });
  // Only now: requiring `electron` without its binary would start a download of its own.
  return installed() ? require('electron') : undefined;
}

/** better-sqlite3 rebuilt for Electron's Node ABI, once per Electron version (a stamp records it). */
async function nativeModulesForElectron() {
  const stamp = join(root, 'node_modules/.flowdesk-electron-native');
  const version = require('electron/package.json').version;
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === version) return true;
  console.log('Rebuilding better-sqlite3 for Electron (once; `npm rebuild better-sqlite3` restores the Node build for tests and `flowdesk serve`)');
  if ((await run(process.execPath, [require.resolve('electron-builder/cli.js'), 'install-app-deps'])) !== 0) return false;
  writeFileSync(stamp, version);
  return true;
}

const args = process.argv.slice(2);
if (uiIsStale()) {
  const { build } = await import('vite');
  await build({ configFile: join(root, 'vite.config.ts'), logLevel: 'warn' });
}

const electron = await electronBinary();
if (electron === undefined) {
  console.log("Electron's binary is not installed (and could not be downloaded now), so Flowdesk runs as a local server: open the URL below in a browser.");
  const { register } = await import('tsx/esm/api');
  register();
  const { main } = await import('../core/cli/main.ts');
  const code = await main(['serve', ...args]);
  if (code !== 0) process.exitCode = code;
} else {
  const { buildElectron } = await import('../build/build-electron.js');
  await buildElectron();
  if (!(await nativeModulesForElectron())) process.exit(1);
  process.exitCode = await run(electron, [root, ...args]);
}
