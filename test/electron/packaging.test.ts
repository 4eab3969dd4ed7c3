import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import config from '../../build/electron-builder.config.mjs';
import { buildElectron } from '../../build/build-electron.js';
import { tempDir } from '../helpers/temp-dir.ts';

describe('the packaging config', () => {
  it('flips the fuses that keep the binary from running anything but the packaged app', () => {
    expect(config.electronFuses).toEqual({
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
      enableCookieEncryption: true,
      grantFileProtocolExtraPrivileges: false,
    });
  });

  it('builds AppImage and deb for Linux, dmg for macOS and nsis for Windows', () => {
    expect(config.linux.target).toEqual(['AppImage', 'deb']);
    expect(config.mac.target).toEqual(['dmg']);
    expect(config.win.target).toEqual(['nsis']);
    expect(config.productName).toBe('Flowdesk');
  });

  it('ships the bundles and the built window, rebuilds better-sqlite3 for Electron and unpacks native modules', () => {
    expect(config.files).toEqual(['package.json', 'out/**/*', '!out/**/*.map', 'renderer/dist/**/*']);
    expect(config.extraMetadata.main).toBe('out/main/index.js');
    expect(JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).main).toBe('out/main/index.js');
    expect(config.npmRebuild).toBe(true);
    expect(config.asar).toBe(true);
    expect(config.asarUnpack).toEqual(['**/*.node', '**/node_modules/onnxruntime-node/bin/**']);
  });
});

describe('the Electron bundles', () => {
  it('bundle the main process as one module and the preload as one CommonJS file needing only electron', async () => {
    const out = tempDir();
    const { main, preload } = await buildElectron({ outDir: out, logLevel: 'silent' });
    expect(main).toBe(join(out, 'main/index.js'));
    const preloadCode = readFileSync(preload, 'utf8');
    expect([...preloadCode.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1])).toEqual(['electron']);
    expect(preloadCode).toContain('exposeInMainWorld("api"');
    expect(preloadCode).not.toMatch(/\bzod\b/);
    const mainCode = readFileSync(main, 'utf8');
    const imports = new Set([...mainCode.matchAll(/^import .* from "([^"]+)";$/gm)].map((m) => m[1]!));
    // Packages stay external and are shipped as dependencies (never devDependencies, which the
    // installers leave out); the core is inside the bundle.
    const { dependencies } = JSON.parse(readFileSync('package.json', 'utf8')) as { dependencies: Record<string, string> };
    const packages = [...imports].filter((i) => !i.startsWith('node:')).map((i) => (i.startsWith('@') ? i.split('/').slice(0, 2).join('/') : i.split('/')[0]!));
    expect(packages).toContain('better-sqlite3');
    expect(packages.filter((p) => p !== 'electron' && !(p in dependencies))).toEqual([]);
    expect(mainCode).toContain('// core/flowdesk.ts');
    expect(mainCode).not.toMatch(/from "#core\//);
  });
});
