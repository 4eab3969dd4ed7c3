/**
 * The desktop's reader of a team server's event stream (electron/main/team-connection.ts) on a
 * real HTTP server that writes the stream byte by byte as the test chooses: the line endings,
 * chunk splits, comments and fields the event-stream format allows all arrive as the same events.
 */
import { createServer, type ServerResponse } from 'node:http';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { FlowdeskEvent } from '#core/api/events.ts';
import { followEvents } from '../../electron/main/team-connection.ts';

/** A server whose event stream writes `chunks` one write each, then stays open. */
async function streamServer(chunks: (string | Buffer)[]): Promise<string> {
  const open: ServerResponse[] = [];
  const server = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    open.push(res);
    void (async () => {
      for (const chunk of chunks) {
        res.write(chunk);
        // Let each write leave as its own TCP packet, so the reader sees the splits.
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(async () => {
    for (const res of open) res.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}

/** Follows the stream until `count` events arrived; returns them. */
async function receive(url: string, count: number): Promise<unknown[]> {
  const events: unknown[] = [];
  const errors: unknown[] = [];
  let done!: () => void;
  const arrived = new Promise<void>((resolve) => (done = resolve));
  const stop = followEvents(url, 'token', (event: FlowdeskEvent) => {
    events.push(event);
    if (events.length === count) done();
  }, (_message, err) => errors.push(err));
  onTestFinished(stop);
  await arrived;
  expect(errors).toEqual([]);
  return events;
}

describe('the team event stream', () => {
  it('reads events ended by CR, LF or CRLF, with a CRLF split across two chunks', async () => {
    const url = await streamServer(['data: {"n":1}\r', '\n\r\n', 'data: {"n":2}\r\r', 'data: {"n":3}\n\n']);
    expect(await receive(url, 3)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
  });

  it('ignores comments, ids and unknown fields and joins multi-line data', async () => {
    const url = await streamServer([': keep-alive\n\n', 'id: 7\nevent: change\nretry: 5000\ndata: {"a":\ndata:  "b"}\n\n']);
    expect(await receive(url, 1)).toEqual([{ a: 'b' }]);
  });

  it('keeps a character split across chunks whole', async () => {
    const bytes = Buffer.from('data: {"name":"λ"}\n\n');
    const cut = bytes.indexOf(Buffer.from('λ')) + 1;
    const url = await streamServer([bytes.subarray(0, cut), bytes.subarray(cut)]);
    expect(await receive(url, 1)).toEqual([{ name: 'λ' }]);
  });
});
