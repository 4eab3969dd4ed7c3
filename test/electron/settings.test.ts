import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { DEFAULT_SETTINGS } from '#core/api/settings-contract.ts';
import { defaultDataDir, userDataDir } from '#core/platform/data-dir.ts';
import { openFlowdesk } from '#core/flowdesk.ts';
import { LOCATION_FILE, resolveDataDir, setDataDir } from '#core/platform/data-location.ts';
import { createSettingsStore, readSettingsFile } from '#core/settings/settings-store.ts';
import { clientOver, TRANSPORTS } from '../helpers/transports.ts';
import { tempDir } from '../helpers/temp-dir.ts';

describe.each(TRANSPORTS)('settings over %s', (transport) => {
  it('round-trips through settings.json and survives a reopen', async () => {
    const { api, fd } = await clientOver(transport);
    expect(await api.call('settings.get', {})).toEqual({ settings: DEFAULT_SETTINGS, dataDir: fd.dataDir });
    const { settings } = await api.call('settings.update', { port: 5123, theme: 'dark' });
    expect(settings).toEqual({ port: 5123, requireToken: false, theme: 'dark' });
    expect(JSON.parse(readFileSync(join(fd.dataDir, 'settings.json'), 'utf8'))).toEqual(settings);
    // Reopened as the next start would (the folder itself stays this Flowdesk's while it is open).
    expect(createSettingsStore(fd.dataDir).read()).toEqual(settings);
  });

  it('generates a token when one is first required, keeps it, and replaces it on request', async () => {
    const { api, fd } = await clientOver(transport);
    const first = (await api.call('settings.update', { requireToken: true })).settings;
    expect(first.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // Not shown while not required, but kept for when it is required again.
    expect((await api.call('settings.update', { requireToken: false })).settings.token).toBeUndefined();
    expect((await api.call('settings.get', {})).settings.token).toBeUndefined();
    expect(fd.settings.read().token).toBe(first.token);
    expect((await api.call('settings.update', { requireToken: true })).settings.token).toBe(first.token);
    const renewed = (await api.call('settings.update', { newToken: true })).settings.token;
    expect(renewed).not.toBe(first.token);
    // The file holds a secret: only its owner reads it.
    expect(statSync(join(fd.dataDir, 'settings.json')).mode & 0o077).toBe(0);
  });

  it.each([
    [{ port: 70000 }],
    [{ port: -1 }],
    [{ port: 'x' }],
    [{ theme: 'purple' }],
    [{ requireToken: 'yes' }],
  ])('refuses %j and changes nothing', async (input) => {
    const { api, fd } = await clientOver(transport);
    await expect(api.call('settings.update', input as never)).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
    expect(fd.settings.read()).toEqual(DEFAULT_SETTINGS);
  });
});

describe('the settings file', () => {
  it('keeps the valid fields of a damaged file and defaults the rest, saying so', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'settings.json'), JSON.stringify({ port: 6000, theme: 'neon', requireToken: 3 }));
    const warn = vi.fn();
    expect(readSettingsFile(dir, warn)).toEqual({ ...DEFAULT_SETTINGS, port: 6000 });
    expect(warn.mock.calls.map((c) => c[0])).toEqual([
      "Flowdesk: ignoring the invalid setting 'requireToken' in settings.json",
      "Flowdesk: ignoring the invalid setting 'theme' in settings.json",
    ]);
    writeFileSync(join(dir, 'settings.json'), '{not json');
    expect(readSettingsFile(dir, warn)).toEqual(DEFAULT_SETTINGS);
  });

  it('keeps the upload limits, which only the file sets, when the window changes other settings', async () => {
    const dataDir = tempDir();
    writeFileSync(join(dataDir, 'settings.json'), JSON.stringify({ maxUploadBytes: 1024, freeSpaceReserveBytes: 0 }));
    const fd = await openFlowdesk({ dataDir });
    try {
      await fd.handlers['settings.update']({ theme: 'dark' });
      expect(JSON.parse(readFileSync(join(dataDir, 'settings.json'), 'utf8'))).toMatchObject({ theme: 'dark', maxUploadBytes: 1024, freeSpaceReserveBytes: 0 });
    } finally {
      await fd.close();
    }
  });
});

describe('the data folder location', () => {
  it('is the user-data folder until moved, then the folder recorded there', () => {
    const home = tempDir();
    const elsewhere = tempDir();
    expect(resolveDataDir(home)).toBe(home);
    setDataDir(home, elsewhere);
    expect(resolveDataDir(home)).toBe(elsewhere);
    expect(() => setDataDir(home, 'relative/dir')).toThrow(/absolute/);
    writeFileSync(join(home, LOCATION_FILE), '{"dataDir": "not/absolute"}');
    const warn = vi.fn();
    expect(resolveDataDir(home, warn)).toBe(home);
    expect(warn).toHaveBeenCalledOnce();
  });

  it('is found by flowdesk serve too, from the same user-data folder the app uses', () => {
    const config = tempDir();
    const elsewhere = tempDir();
    expect(userDataDir({ XDG_CONFIG_HOME: config }, 'linux')).toBe(join(config, 'Flowdesk'));
    expect(defaultDataDir({ XDG_CONFIG_HOME: config }, 'linux')).toBe(join(config, 'Flowdesk'));
    setDataDir(join(config, 'Flowdesk'), elsewhere);
    expect(defaultDataDir({ XDG_CONFIG_HOME: config }, 'linux')).toBe(elsewhere);
    expect(defaultDataDir({ XDG_CONFIG_HOME: config, FLOWDESK_DATA_DIR: '/explicit' }, 'linux')).toBe('/explicit');
  });
});
