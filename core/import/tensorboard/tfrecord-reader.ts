/**
 * Reads the TFRecord framing of a TensorBoard event file, streaming: each record is
 * `u64 length (LE) | u32 masked CRC-32C of the length | data | u32 masked CRC-32C of the data`.
 * The file is read in chunks into one reused buffer, so memory stays flat however long it is.
 *
 * What a damaged file does (the same rule on every read, so two passes over a file agree):
 * - it ends inside a record (a training job killed mid-write, or a file still being written):
 *   every record before it is read, and the cut is reported with its byte offset;
 * - a length's checksum does not match: the framing can no longer be trusted (the next record's
 *   start is unknown), so reading that file stops there, reported;
 * - a data checksum does not match: the length was verified, so the next record's start is
 *   known; that one record is skipped, reported, and reading goes on.
 */
import { open } from 'node:fs/promises';
import { maskedCrc32c } from './crc32c.ts';

/**
 * The records framed from one buffer-full: record `i` starts at `offsets[i]` in the file and its
 * data is `bytes[starts[i], ends[i])`. Plain arrays of numbers, not an object per record: at a
 * million records, per-record objects cost more in garbage collection than the decoding itself.
 * The batch and its buffer are reused; they are valid only until the next batch is asked for.
 */
export interface TfRecordBatch {
  bytes: Buffer;
  view: DataView;
  count: number;
  offsets: number[];
  starts: number[];
  ends: number[];
}

/** Something wrong in the file at `offset`. */
export interface TfRecordProblem {
  offset: number;
  message: string;
}

const HEADER = 12;
const FOOTER = 4;
const CHUNK = 1 << 20;
/** A verified length beyond this is refused rather than allocated: no event record is near it. */
const MAX_RECORD = 1 << 30;

/**
 * Yields the records of the file at `path` in order, a buffer-full at a time (one await per
 * batch, not per record: a file of a million small records is a million awaits otherwise),
 * reporting damage through `onProblem` (see the rules above). The data of a record is a view into
 * a reused buffer: decode it, or copy it, before asking for the next batch.
 */
export async function* readTfRecords(path: string, onProblem: (problem: TfRecordProblem) => void = () => undefined): AsyncGenerator<TfRecordBatch> {
  const handle = await open(path, 'r');
  try {
    let buf = Buffer.allocUnsafe(CHUNK);
    let pos = 0;
    let end = 0;
    let filePos = 0;
    let eof = false;
    /** Makes `n` bytes available from `pos`; false when the file ends first. */
    const fill = async (n: number): Promise<boolean> => {
      if (end - pos >= n) return true;
      if (pos > 0) {
        buf.copy(buf, 0, pos, end);
        end -= pos;
        pos = 0;
      }
      if (n > buf.length) {
        const bigger = Buffer.allocUnsafe(Math.max(n, buf.length * 2));
        buf.copy(bigger, 0, 0, end);
        buf = bigger;
      }
      while (end < n && !eof) {
        const { bytesRead } = await handle.read(buf, end, buf.length - end, filePos);
        if (bytesRead === 0) eof = true;
        end += bytesRead;
        filePos += bytesRead;
      }
      return end - pos >= n;
    };

    let offset = 0;
    const batch: TfRecordBatch = { bytes: buf, view: new DataView(buf.buffer, buf.byteOffset, buf.byteLength), count: 0, offsets: [], starts: [], ends: [] };
    /** Hands the records framed so far out, before the buffer moves. */
    const flush = function* (): Generator<TfRecordBatch> {
      if (batch.count === 0) return;
      if (batch.bytes !== buf) {
        batch.bytes = buf;
        batch.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
      }
      yield batch;
      batch.count = 0;
    };
    for (;;) {
      // Records wholly in the buffer are framed without awaiting; the batch goes out before the buffer moves.
      if (end - pos < HEADER || end - pos < HEADER + recordLength(buf, pos) + FOOTER) {
        yield* flush();
        if (!(await fill(HEADER))) {
          if (end > pos) onProblem({ offset, message: `the file ends inside a record's header (${end - pos} of ${HEADER} bytes): everything before it was read` });
          return;
        }
      }
      const length = recordLength(buf, pos);
      if (maskedCrc32c(buf, pos, pos + 8) !== buf.readUInt32LE(pos + 8)) {
        yield* flush();
        onProblem({ offset, message: `a record's length fails its checksum; the rest of the file (from this byte on) cannot be framed and was skipped` });
        return;
      }
      if (length > MAX_RECORD) {
        yield* flush();
        onProblem({ offset, message: `a record claims ${length} bytes, more than any event holds; the rest of the file was skipped` });
        return;
      }
      const size = HEADER + length + FOOTER;
      if (end - pos < size) {
        yield* flush();
        if (!(await fill(size))) {
          onProblem({ offset, message: `the file ends inside a record (${end - pos} of ${size} bytes), as a job cut off while writing leaves it: everything before it was read` });
          return;
        }
      }
      const dataStart = pos + HEADER;
      const dataEnd = dataStart + length;
      if (maskedCrc32c(buf, dataStart, dataEnd) === buf.readUInt32LE(dataEnd)) {
        const i = batch.count++;
        batch.offsets[i] = offset;
        batch.starts[i] = dataStart;
        batch.ends[i] = dataEnd;
      } else {
        onProblem({ offset, message: `a record's data fails its checksum; that record (${length} bytes) was skipped` });
      }
      pos += size;
      offset += size;
    }
  } finally {
    await handle.close();
  }
}

/** The length a record header at `pos` claims (not yet checked). */
function recordLength(buf: Buffer, pos: number): number {
  return buf.readUInt32LE(pos) + buf.readUInt32LE(pos + 4) * 0x1_0000_0000;
}

/** Reads and checks the one record that starts at `offset` (found by an earlier pass), as a copy. */
export async function readTfRecordAt(path: string, offset: number): Promise<Uint8Array> {
  const handle = await open(path, 'r');
  try {
    const header = Buffer.alloc(HEADER);
    const { bytesRead } = await handle.read(header, 0, HEADER, offset);
    if (bytesRead < HEADER || maskedCrc32c(header, 0, 8) !== header.readUInt32LE(8)) throw new Error(`${path}: no intact record at byte ${offset}`);
    const length = header.readUInt32LE(0) + header.readUInt32LE(4) * 0x1_0000_0000;
    if (length > MAX_RECORD) throw new Error(`${path}: no intact record at byte ${offset}`);
    const body = Buffer.alloc(length + FOOTER);
    const read = await handle.read(body, 0, body.length, offset + HEADER);
    if (read.bytesRead < body.length || maskedCrc32c(body, 0, length) !== body.readUInt32LE(length)) {
      throw new Error(`${path}: the record at byte ${offset} changed since it was read`);
    }
    return body.subarray(0, length);
  } finally {
    await handle.close();
  }
}
