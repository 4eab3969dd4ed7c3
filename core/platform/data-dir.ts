/**
 * Where Flowdesk keeps its data by default: the same folder Electron calls `userData` for an app
 * named Flowdesk, so the desktop app and `flowdesk serve` share one catalog; or the folder the
 * settings moved it to (see data-location.ts).
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { resolveDataDir } from './data-location.ts';

export function defaultDataDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  if (env.FLOWDESK_DATA_DIR) return env.FLOWDESK_DATA_DIR;
  return resolveDataDir(userDataDir(env, platform));
}

/** The OS user-data folder of an app named Flowdesk. */
export function userDataDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  if (platform === 'win32') return join(env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), 'Flowdesk');
  if (platform === 'darwin') return join(homedir(), 'Library', 'Application Support', 'Flowdesk');
  return join(env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'Flowdesk');
}
