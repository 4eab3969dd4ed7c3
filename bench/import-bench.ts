/**
 * Dropping files into a run: `importFiles` (lstat walk, the store's staging write, fsync, rename,
 * folder fsync, progress) against copying the same files with `fs.copyFile` and an fsync of each
 * file, and of each file and its folder (the durability the store gives), in the same run.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { copyFile, open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createLocalArtifactStore } from '#core/artifacts/artifact-store.ts';
import { importFiles } from '#core/artifacts/import-files.ts';
import { report } from './bench-util.ts';

async function seconds(fn: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

export async function runImportBench(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'flowdesk-import-bench-'));
  try {
    const tree = join(root, 'tree');
    mkdirSync(join(tree, 'small'), { recursive: true });
    const big = randomBytes(64 * 1024 * 1024);
    writeFileSync(join(tree, 'big.bin'), big);
    const small = randomBytes(16 * 1024);
    for (let i = 0; i < 500; i++) writeFileSync(join(tree, 'small', `f${i}.bin`), small);
    const bytes = big.length + 500 * small.length;

    const baselineDir = join(root, 'baseline');
    mkdirSync(join(baselineDir, 'small'), { recursive: true });
    const baseline = await seconds(async () => {
      const copies = ['big.bin', ...Array.from({ length: 500 }, (_, i) => `small/f${i}.bin`)];
      for (const rel of copies) {
        await copyFile(join(tree, rel), join(baselineDir, rel));
        const handle = await open(join(baselineDir, rel), 'r');
        await handle.sync();
        await handle.close();
      }
    });

    // The same durability as the store gives: the file and then its folder entry flushed.
    const durableDir = join(root, 'durable');
    mkdirSync(join(durableDir, 'small'), { recursive: true });
    const durable = await seconds(async () => {
      const copies = ['big.bin', ...Array.from({ length: 500 }, (_, i) => `small/f${i}.bin`)];
      for (const rel of copies) {
        await copyFile(join(tree, rel), join(durableDir, rel));
        for (const path of [join(durableDir, rel), dirname(join(durableDir, rel))]) {
          const handle = await open(path, 'r');
          await handle.sync();
          await handle.close();
        }
      }
    });

    const store = createLocalArtifactStore(join(root, 'store'));
    let progressEvents = 0;
    const imported = await seconds(() => importFiles({ store, sources: [tree], destination: '1/run/artifacts', onProgress: () => progressEvents++ }));

    const mbps = (s: number) => `${(bytes / 1024 / 1024 / s).toFixed(0)} MiB/s`;
    report('Drop import: 64 MiB file + 500 × 16 KiB files', [
      ['copyFile + fsync (baseline)', `${baseline.toFixed(2)} s  ${mbps(baseline)}`],
      ['copyFile + fsync of file and folder', `${durable.toFixed(2)} s  ${mbps(durable)}`],
      ['importFiles', `${imported.toFixed(2)} s  ${mbps(imported)}  (${progressEvents} progress events)`],
      ['ratio', `${(imported / baseline).toFixed(2)}× the baseline, ${(imported / durable).toFixed(2)}× the same-durability copy`],
    ]);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
