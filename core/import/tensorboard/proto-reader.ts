/**
 * A minimal reader of the protobuf wire format, enough to decode the handful of TensorBoard
 * messages an import needs (event.proto, summary.proto, tensor.proto, the hparams plugin's).
 *
 * Hand-written rather than protobufjs with the .proto files loaded: the import reads about twenty
 * fields of six messages, the schemas would have to ship with the app (plus google's struct.proto),
 * and the hot path (a million scalar events) goes faster without a reflective decoder building an
 * object for every message. Unknown fields are skipped by wire type, as protobuf requires.
 */

export const VARINT = 0;
export const FIXED64 = 1;
export const LENGTH_DELIMITED = 2;
export const FIXED32 = 5;

/** Reads fields from `bytes[start, end)`; sub-messages are read with a new reader over their range. */
export class ProtoReader {
  pos: number;
  readonly end: number;
  readonly bytes: Uint8Array;
  private readonly view: DataView;

  constructor(bytes: Uint8Array, start = 0, end = bytes.length, view?: DataView) {
    this.bytes = bytes;
    this.pos = start;
    this.end = end;
    // Sub-messages share their parent's view: making one per message costs more than decoding it.
    this.view = view ?? new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  /** The last key's field number and wire type. */
  field = 0;
  wire = 0;

  /**
   * Reads the next field's key into `field` and `wire`, and returns the reader itself, so
   * `const { field, wire } = r.key()` allocates nothing (a million events, a dozen keys each).
   */
  key(): { readonly field: number; readonly wire: number } {
    const k = this.varint();
    this.field = Math.floor(k / 8);
    this.wire = k % 8;
    return this;
  }

  /**
   * A varint as a JavaScript number: exact up to 2^53, and negative int64 values (ten bytes, two's
   * complement) come back negative, as a step of -1 must.
   */
  varint(): number {
    let lo = 0;
    let shift = 0;
    let b: number;
    // The low 28 bits, fast.
    do {
      b = this.byte();
      lo |= (b & 0x7f) << shift;
      shift += 7;
    } while (b & 0x80 && shift < 28);
    if (!(b & 0x80)) return lo >>> 0;
    // Bits 28..63: collect them as a high part.
    let hi = 0;
    b = this.byte();
    lo |= (b & 0x0f) << 28;
    hi = (b & 0x7f) >> 4;
    shift = 3;
    while (b & 0x80) {
      b = this.byte();
      hi |= (b & 0x7f) << shift;
      shift += 7;
      if (shift > 70) throw new RangeError('malformed varint');
    }
    return (hi | 0) * 0x1_0000_0000 + (lo >>> 0);
  }

  private byte(): number {
    if (this.pos >= this.end) throw new RangeError('message ends inside a field');
    return this.bytes[this.pos++]!;
  }

  double(): number {
    if (this.pos + 8 > this.end) throw new RangeError('message ends inside a field');
    const v = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  float(): number {
    if (this.pos + 4 > this.end) throw new RangeError('message ends inside a field');
    const v = this.view.getFloat32(this.pos, true);
    this.pos += 4;
    return v;
  }

  /** A length-delimited field's range, as [start, end) into `bytes`. */
  range(): [number, number] {
    const length = this.varint();
    const start = this.pos;
    if (length < 0 || start + length > this.end) throw new RangeError('message ends inside a field');
    this.pos = start + length;
    return [start, start + length];
  }

  /** A length-delimited field as a view (no copy). */
  bytesView(): Uint8Array {
    const [start, end] = this.range();
    return this.bytes.subarray(start, end);
  }

  string(): string {
    const [start, end] = this.range();
    return decoder.decode(this.bytes.subarray(start, end));
  }

  /** A length-delimited field as a reader over its contents. */
  sub(): ProtoReader {
    const [start, end] = this.range();
    return new ProtoReader(this.bytes, start, end, this.view);
  }

  skip(wire: number): void {
    switch (wire) {
      case VARINT:
        this.varint();
        return;
      case FIXED64:
        this.pos += 8;
        break;
      case LENGTH_DELIMITED:
        this.range();
        return;
      case FIXED32:
        this.pos += 4;
        break;
      default:
        throw new RangeError(`unsupported wire type ${wire}`);
    }
    if (this.pos > this.end) throw new RangeError('message ends inside a field');
  }
}

const decoder = new TextDecoder('utf-8');

/** Decodes bytes as UTF-8 (invalid sequences become U+FFFD). */
export function utf8(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}
