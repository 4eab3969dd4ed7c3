/**
 * The settings file (`settings.json` in the data folder) and the `settings.*` contract handlers.
 * Written like every durable file here: a staging name, fsync, rename. A file that cannot be read
 * or holds invalid values never stops Flowdesk from opening: each bad field falls back to its
 * default and the problem is reported once.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Handlers } from '#core/api/contract.ts';
import { DEFAULT_SETTINGS, settings as settingsSchema, type Settings } from '#core/api/settings-contract.ts';
import { writeFileAtomic } from '#core/platform/atomic-write.ts';

export const SETTINGS_FILE = 'settings.json';

export interface SettingsStore {
  read(): Settings;
  /** Hears every change, after it is on disk. */
  subscribe(listener: (settings: Settings, previous: Settings) => void): () => void;
  handlers: Pick<Handlers, 'settings.get' | 'settings.update'>;
}

/** Reads the file, keeping each valid field and defaulting the rest. */
export function readSettingsFile(dataDir: string, warn: (message: string) => void = console.warn): Settings {
  let text: string;
  try {
    text = readFileSync(join(dataDir, SETTINGS_FILE), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') warn(`Flowdesk: cannot read ${SETTINGS_FILE} (${(err as Error).message}); using the defaults`);
    return { ...DEFAULT_SETTINGS };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    warn(`Flowdesk: ${SETTINGS_FILE} is not JSON; using the defaults`);
    return { ...DEFAULT_SETTINGS };
  }
  const result: Record<string, unknown> = { ...DEFAULT_SETTINGS };
  const fields = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>) : {};
  for (const [key, schema] of Object.entries(settingsSchema.shape)) {
    if (!(key in fields)) continue;
    const parsed = schema.safeParse(fields[key]);
    if (parsed.success) result[key] = parsed.data;
    else warn(`Flowdesk: ignoring the invalid setting '${key}' in ${SETTINGS_FILE}`);
  }
  return result as Settings;
}

function writeSettingsFile(dataDir: string, value: Settings): void {
  writeFileAtomic(join(dataDir, SETTINGS_FILE), `${JSON.stringify(value, null, 2)}\n`, 0o600);
}

/** A fresh token: 32 random bytes, URL-safe. */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Settings as callers see them: the token only while it is required (a token shown while not needed could leak before it matters). */
function visible(settings: Settings): Settings {
  if (settings.requireToken) return settings;
  const { token: _token, ...rest } = settings;
  return rest;
}

export function createSettingsStore(dataDir: string): SettingsStore {
  let current = readSettingsFile(dataDir);
  const listeners = new Set<(settings: Settings, previous: Settings) => void>();
  return {
    read: () => current,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    handlers: {
      async 'settings.get'() {
        return { settings: visible(current), dataDir };
      },
      async 'settings.update'(input) {
        const previous = current;
        const next: Settings = {
          // Settings the window does not edit (the upload limits) are kept as they are.
          ...previous,
          port: input.port ?? previous.port,
          requireToken: input.requireToken ?? previous.requireToken,
          theme: input.theme ?? previous.theme,
          token: previous.token,
        };
        if (input.newToken || (next.requireToken && next.token === undefined)) next.token = newToken();
        writeSettingsFile(dataDir, next);
        current = next;
        for (const listener of listeners) listener(next, previous);
        return { settings: visible(next) };
      },
    },
  };
}
