/**
 * Reading a server-sent event stream (text/event-stream) from a fetch body. The parsing is
 * eventsource-parser's, which follows the HTML spec: any line ending (CR, LF or CRLF, also split
 * across chunks), one optional space after the colon, multi-line data joined, comments and
 * unknown fields ignored. Lives here so the desktop shell gets the library through the core.
 */
import { createParser } from 'eventsource-parser';

/** Calls `onData` with each event's data, in order, until the body ends; bytes split across chunks are decoded whole. */
export async function readEventStream(body: AsyncIterable<Uint8Array>, onData: (data: string) => void): Promise<void> {
  const parser = createParser({ onEvent: (message) => onData(message.data) });
  const decoder = new TextDecoder();
  for await (const chunk of body) parser.feed(decoder.decode(chunk, { stream: true }));
}
