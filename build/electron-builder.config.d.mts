import type { Configuration } from 'electron-builder';

declare const config: Configuration & {
  electronFuses: NonNullable<Configuration['electronFuses']>;
  linux: { target: string[] };
  mac: { target: string[] };
  win: { target: string[] };
  extraMetadata: { main: string };
  files: string[];
};
export default config;
