import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { openFlowdesk } from '#core/flowdesk.ts';
import { tempDir } from '../helpers/temp-dir.ts';

/** Starts the writer, waits until it has acknowledged `acks` batches, then kills it with SIGKILL. */
function runAndKill(dataDir: string, acks: number): Promise<{ runId: string; acked: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/run-ts.js', 'test/fixtures/crash-writer.ts', dataDir], { stdio: ['ignore', 'pipe', 'inherit'] });
    let runId = '';
    let acked = -1;
    let buffer = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop()!;
      for (const line of lines) {
        if (line.startsWith('run ')) runId = line.slice(4);
        if (line.startsWith('ok ')) acked = Number(line.slice(3));
      }
      if (acked + 1 >= acks && child.exitCode === null) child.kill('SIGKILL');
    });
    child.on('close', (_code, signal) => (signal === 'SIGKILL' ? resolve({ runId, acked }) : reject(new Error(`writer exited early (${signal})`))));
  });
}

describe('durability', () => {
  it('keeps every batch that returned and no partial batch after the process is killed mid-write', async () => {
    const dataDir = tempDir();
    const { runId, acked } = await runAndKill(dataDir, 40);
    const fd = await openFlowdesk({ dataDir });
    try {
      const { metrics } = await fd.handlers['metrics.history']({ runId, key: 'loss', maxResults: 1_000_000 });
      const perBatch = new Map<number, number>();
      for (const { step = 0 } of metrics) perBatch.set(Math.floor(step / 100), (perBatch.get(Math.floor(step / 100)) ?? 0) + 1);
      // All or nothing per batch, and batches land in order: 0..k complete, nothing after.
      const complete = [...perBatch.keys()].sort((a, b) => a - b);
      expect([...perBatch.values()].every((n) => n === 100)).toBe(true);
      expect(complete).toEqual(Array.from({ length: complete.length }, (_, i) => i));
      // Every acknowledged batch is there; at most the one in flight (committed, ack unsent) beyond it.
      expect(complete.length).toBeGreaterThanOrEqual(acked + 1);
      expect(complete.length).toBeLessThanOrEqual(acked + 2);
      const { run } = await fd.handlers['runs.get']({ runId });
      expect(run.data.params).toHaveLength(complete.length);
    } finally {
      await fd.close();
    }
  });
});
