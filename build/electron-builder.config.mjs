/**
 * electron-builder configuration (`npm run dist`): installers for Linux (AppImage, deb), macOS
 * (dmg) and Windows (nsis). The app is the bundled main process and preload (out/, from
 * build/build-electron.js), the built window (renderer/dist) and the production dependencies;
 * better-sqlite3 is rebuilt against Electron's Node ABI while packaging (npmRebuild) and its
 * native module kept outside the asar archive, where it can be loaded.
 */
export default {
  appId: 'dev.flowdesk.app',
  productName: 'Flowdesk',
  copyright: 'Copyright © Flowdesk contributors',
  directories: { output: 'dist', buildResources: 'build' },
  files: ['package.json', 'out/**/*', '!out/**/*.map', 'renderer/dist/**/*'],
  extraMetadata: { main: 'out/main/index.js' },
  asar: true,
  // Native code cannot load from inside the archive: addons, and onnxruntime's shared library
  // that its addon loads from beside itself.
  asarUnpack: ['**/*.node', '**/node_modules/onnxruntime-node/bin/**'],
  npmRebuild: true,
  // Fuses are flipped in the Electron binary itself, so no environment variable or command-line
  // flag can turn the app into a plain Node.js or open an inspector, and only the packaged (and,
  // where supported, integrity-checked) app.asar is ever loaded.
  electronFuses: {
    runAsNode: false,
    enableNodeOptionsEnvironmentVariable: false,
    enableNodeCliInspectArguments: false,
    enableEmbeddedAsarIntegrityValidation: true,
    onlyLoadAppFromAsar: true,
    enableCookieEncryption: true,
    grantFileProtocolExtraPrivileges: false,
  },
  linux: { target: ['AppImage', 'deb'], category: 'Development', maintainer: 'Flowdesk contributors' },
  mac: { target: ['dmg'], category: 'public.app-category.developer-tools' },
  win: { target: ['nsis'] },
  nsis: { oneClick: false, allowToChangeInstallationDirectory: true },
};
