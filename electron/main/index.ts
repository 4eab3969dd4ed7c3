/**
 * The Electron main process entry. Bundled by build/build-electron.js into out/main/index.js; the
 * paths below are relative to that bundle (out/main → the app folder is two levels up, where the
 * core's own `../../package.json` and `../../renderer/dist` also resolve).
 */
import { fileURLToPath } from 'node:url';
import * as electron from 'electron';
import { packageVersion } from '#core/cli/main.ts';
import { startDesktopApp } from './desktop-app.ts';

const appRoot = fileURLToPath(new URL('../../', import.meta.url));

startDesktopApp(electron, {
  distDir: `${appRoot}renderer/dist`,
  preloadPath: `${appRoot}out/preload/index.cjs`,
  version: packageVersion(),
}).catch((err: unknown) => {
  console.error('Flowdesk: the app failed to start', err);
  electron.app.exit(1);
});
