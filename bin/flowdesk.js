#!/usr/bin/env node
// Runs the TypeScript CLI directly through tsx's loader, so `npx flowdesk` works on a fresh
// clone after `npm install` with no build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../core/cli/main.ts');
const code = await main(process.argv.slice(2));
// `serve` keeps running until a signal; the other commands end here.
if (process.argv[2] !== 'serve' || code !== 0) process.exitCode = code;
