/**
 * The SDK as a package: `npm pack` of the build the test run made (test/helpers/build-cli.ts; not
 * `prepare` again, which would rewrite dist/ under the other test files' CLIs), the tarball
 * unpacked into a project that has no Flowdesk sources, then a TypeScript consumer type-checked by tsc against the
 * published declarations and run by plain Node against a real server.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';
import { startTestServer } from '../helpers/server.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const execFileAsync = promisify(execFile);

/** Runs a command to its end; asynchronous, as the server under test runs on this event loop. A failure carries the command's output. */
async function run(command: string, args: string[], options: { cwd?: string; maxBuffer?: number } = {}): Promise<{ stdout: string }> {
  try {
    return await execFileAsync(command, args, options);
  } catch (err) {
    const { stdout, stderr } = err as { stdout?: string; stderr?: string };
    throw new Error(`${command} ${args.join(' ')} failed:\n${stdout ?? ''}${stderr ?? ''}`, { cause: err });
  }
}
const REPO = resolve('.');

const CONSUMER = `import { connect, type FlowdeskClient } from 'flowdesk/sdk';

const client: FlowdeskClient = connect({ uri: process.argv[2] });
const run = await client.startRun({ experiment: 'from-the-package', runName: 'packed' });
await run.logParams({ lr: 0.1 });
run.logMetric('loss', 0.25, 3);
// @ts-expect-error a metric value is a number: proves the declarations are read, not \`any\`.
const notANumber: Parameters<typeof run.logMetric>[1] = 'high';
await run.end('FINISHED');
console.log(JSON.stringify({ runId: run.runId, notANumber }));
`;

/**
 * Links `name` from the repository's node_modules into the project's, as installing the tarball
 * would provide the package's declared dependencies.
 */
function linkPackage(project: string, name: string): void {
  const link = join(project, 'node_modules', name);
  mkdirSync(dirname(link), { recursive: true });
  symlinkSync(join(REPO, 'node_modules', name), link, 'dir');
}

it('packs an SDK whose exports and declarations resolve from built files only, for tsc and Node', async () => {
  const dir = tempDir('flowdesk-pack-');
  const { stdout } = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { cwd: REPO, maxBuffer: 64 * 1024 * 1024 });
  const [packed] = JSON.parse(stdout) as { filename: string; files: { path: string }[] }[];
  const paths = packed!.files.map((f) => f.path);
  expect(paths).toContain('dist/sdk/flowdesk-client.js');
  expect(paths).toContain('dist/sdk/types/sdk/flowdesk-client.d.ts');
  expect(paths.filter((p) => p.startsWith('core/') || p.endsWith('.ts') && !p.endsWith('.d.ts'))).toEqual([]);

  const project = join(dir, 'consumer');
  const installed = join(project, 'node_modules', 'flowdesk');
  mkdirSync(installed, { recursive: true });
  await run('tar', ['-xzf', join(dir, packed!.filename), '-C', installed, '--strip-components=1']);
  const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  for (const name of Object.keys(manifest.dependencies)) linkPackage(project, name);
  linkPackage(project, '@types/node');
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  writeFileSync(
    join(project, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { target: 'es2022', module: 'nodenext', moduleResolution: 'nodenext', strict: true, types: ['node'], outDir: 'out' }, include: ['index.ts'] }),
  );
  writeFileSync(join(project, 'index.ts'), CONSUMER);

  // Fails on any declaration that does not resolve (skipLibCheck is off), or on an unused @ts-expect-error.
  await run(process.execPath, [join(REPO, 'node_modules/typescript/bin/tsc'), '-p', project]);
  const { url, api } = await startTestServer();
  const out = await run(process.execPath, [join(project, 'out', 'index.js'), url], { cwd: project });
  const { runId } = JSON.parse(out.stdout) as { runId: string };
  const { run: stored } = await api.call('runs.get', { runId });
  expect(stored.info).toMatchObject({ runName: 'packed', status: 'FINISHED' });
  expect(stored.data.params).toEqual([{ key: 'lr', value: '0.1' }]);
}, 300_000);
