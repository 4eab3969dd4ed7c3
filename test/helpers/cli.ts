/**
 * Runs the real `flowdesk` command (bin/flowdesk.js, the built CLI) as a child process and collects
 * what it prints. Async, so a server the test runs in its own process keeps answering meanwhile.
 */
import { spawn } from 'node:child_process';

/** What a finished command printed and how it exited. */
export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `flowdesk <args>` with the test's environment, without an inherited FLOWDESK_TOKEN. */
export function runFlowdesk(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['bin/flowdesk.js', ...args], { env: { ...process.env, FLOWDESK_TOKEN: '', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}
