/**
 * Vitest global setup: compiles the CLI (build/build-cli.js, esbuild only) before any test
 * spawns `bin/flowdesk.js`, so every suite runs the current sources and the test processes do
 * not each find the bundle stale and build it at once.
 */
// @ts-expect-error build/build-cli.js is plain JavaScript without declarations.
import { buildCli } from '../../build/build-cli.js';

export default async function setup(): Promise<void> {
  await (buildCli as (options: { types: boolean }) => Promise<void>)({ types: false });
}
