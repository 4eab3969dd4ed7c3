/**
 * Decodes TensorBoard's `Event` records (event.proto, summary.proto, tensor.proto and the hparams
 * plugin's api.proto / plugin_hparams.proto) into the few things an import uses: wall time, step,
 * and each summary value's tag, plugin, and payload (a simple value, a tensor, an image).
 * Byte payloads are views into the record, valid as long as the record is.
 */
import { FIXED32, FIXED64, LENGTH_DELIMITED, ProtoReader, utf8 } from './proto-reader.ts';

/** tensor.proto's DataType values the import reads. */
export const DT_FLOAT = 1;
export const DT_DOUBLE = 2;
export const DT_INT32 = 3;
export const DT_STRING = 7;
export const DT_INT64 = 9;

export interface DecodedTensor {
  dtype: number;
  /** The shape's dimension sizes; empty for a scalar. */
  dims: number[];
  content?: Uint8Array;
  floats: number[];
  doubles: number[];
  ints: number[];
  strings: Uint8Array[];
}

export interface DecodedValue {
  tag: string;
  /** The plugin named in the value's metadata; TensorFlow writes metadata only with a tag's first value. */
  pluginName?: string;
  pluginContent?: Uint8Array;
  simpleValue?: number;
  tensor?: DecodedTensor;
  /** `Summary.Image`'s encoded image. */
  image?: Uint8Array;
  /** A kind of value the import does not take in, by name. */
  other?: 'histogram' | 'audio';
}

export interface DecodedEvent {
  /** Seconds since the epoch, with a fraction. */
  wallTime: number;
  step: number;
  /** Present when the event is a summary (not a file version, graph, log message...). */
  values?: DecodedValue[];
  /** Present when the event carries a graph or run metadata, which the import does not take in. */
  graph?: boolean;
}

/**
 * Decodes one Event record, `bytes[start, end)` (`view` over the same bytes, when the caller has
 * one to share); throws RangeError when the bytes are not a well-formed message.
 */
export function decodeEvent(bytes: Uint8Array, start = 0, end = bytes.length, view?: DataView): DecodedEvent {
  const r = new ProtoReader(bytes, start, end, view);
  const event: DecodedEvent = { wallTime: 0, step: 0 };
  while (!r.done) {
    const { field, wire } = r.key();
    if (field === 1 && wire === FIXED64) event.wallTime = r.double();
    else if (field === 2 && wire === 0) event.step = r.varint();
    else if (field === 5 && wire === LENGTH_DELIMITED) event.values = decodeSummary(r.sub());
    else if ((field === 4 || field === 8 || field === 9) && wire === LENGTH_DELIMITED) {
      event.graph = true;
      r.skip(wire);
    } else r.skip(wire);
  }
  return event;
}

function decodeSummary(r: ProtoReader): DecodedValue[] {
  const values: DecodedValue[] = [];
  while (!r.done) {
    const { field, wire } = r.key();
    if (field === 1 && wire === LENGTH_DELIMITED) values.push(decodeValue(r.sub()));
    else r.skip(wire);
  }
  return values;
}

function decodeValue(r: ProtoReader): DecodedValue {
  const value: DecodedValue = { tag: '' };
  while (!r.done) {
    const { field, wire } = r.key();
    if (wire === LENGTH_DELIMITED) {
      if (field === 1) value.tag = r.string();
      else if (field === 9) decodeMetadata(r.sub(), value);
      else if (field === 8) value.tensor = decodeTensor(r.sub());
      else if (field === 4) value.image = decodeImage(r.sub());
      else if (field === 3 || field === 5) {
        value.other = 'histogram';
        r.skip(wire);
      } else if (field === 6) {
        value.other = 'audio';
        r.skip(wire);
      } else r.skip(wire);
    } else if (field === 2 && wire === FIXED32) value.simpleValue = r.float();
    else r.skip(wire);
  }
  return value;
}

function decodeMetadata(r: ProtoReader, value: DecodedValue): void {
  while (!r.done) {
    const { field, wire } = r.key();
    if (field === 1 && wire === LENGTH_DELIMITED) {
      const p = r.sub();
      while (!p.done) {
        const k = p.key();
        if (k.field === 1 && k.wire === LENGTH_DELIMITED) value.pluginName = p.string();
        else if (k.field === 2 && k.wire === LENGTH_DELIMITED) value.pluginContent = p.bytesView();
        else p.skip(k.wire);
      }
    } else r.skip(wire);
  }
}

function decodeImage(r: ProtoReader): Uint8Array | undefined {
  let image: Uint8Array | undefined;
  while (!r.done) {
    const { field, wire } = r.key();
    if (field === 4 && wire === LENGTH_DELIMITED) image = r.bytesView();
    else r.skip(wire);
  }
  return image;
}

/** Reads a repeated scalar field, packed or not (a parser must accept both). */
function repeated(r: ProtoReader, wire: number, elementWire: number, read: (r: ProtoReader) => number, into: number[]): void {
  if (wire === LENGTH_DELIMITED) {
    const p = r.sub();
    while (!p.done) into.push(read(p));
  } else if (wire === elementWire) into.push(read(r));
  else r.skip(wire);
}

const readFloat = (r: ProtoReader) => r.float();
const readDouble = (r: ProtoReader) => r.double();
const readVarint = (r: ProtoReader) => r.varint();

function decodeTensor(r: ProtoReader): DecodedTensor {
  const t: DecodedTensor = { dtype: 0, dims: [], floats: [], doubles: [], ints: [], strings: [] };
  while (!r.done) {
    const { field, wire } = r.key();
    if (field === 1 && wire === 0) t.dtype = r.varint();
    else if (field === 2 && wire === LENGTH_DELIMITED) t.dims = decodeShape(r.sub());
    else if (field === 4 && wire === LENGTH_DELIMITED) t.content = r.bytesView();
    else if (field === 5) repeated(r, wire, FIXED32, readFloat, t.floats);
    else if (field === 6) repeated(r, wire, FIXED64, readDouble, t.doubles);
    else if (field === 7 || field === 10) repeated(r, wire, 0, readVarint, t.ints);
    else if (field === 8 && wire === LENGTH_DELIMITED) t.strings.push(r.bytesView());
    else r.skip(wire);
  }
  return t;
}

function decodeShape(r: ProtoReader): number[] {
  const dims: number[] = [];
  while (!r.done) {
    const { field, wire } = r.key();
    if (field === 2 && wire === LENGTH_DELIMITED) {
      const d = r.sub();
      let size = 0;
      while (!d.done) {
        const k = d.key();
        if (k.field === 1 && k.wire === 0) size = d.varint();
        else d.skip(k.wire);
      }
      dims.push(size);
    } else r.skip(wire);
  }
  return dims;
}

/**
 * The number a one-element numeric tensor holds (what TF2 and PyTorch's new-style scalars
 * write), from its typed values or its raw little-endian content; undefined for anything else.
 */
export function tensorScalar(t: DecodedTensor): number | undefined {
  if (t.dims.reduce((n, d) => n * d, 1) !== 1) return undefined;
  const content = t.content;
  const view = content && content.length > 0 ? new DataView(content.buffer, content.byteOffset, content.byteLength) : undefined;
  switch (t.dtype) {
    case DT_FLOAT:
      return view ? (view.byteLength >= 4 ? view.getFloat32(0, true) : undefined) : t.floats[0];
    case DT_DOUBLE:
      return view ? (view.byteLength >= 8 ? view.getFloat64(0, true) : undefined) : t.doubles[0];
    case DT_INT32:
      return view ? (view.byteLength >= 4 ? view.getInt32(0, true) : undefined) : t.ints[0];
    case DT_INT64:
      return view ? (view.byteLength >= 8 ? Number(view.getBigInt64(0, true)) : undefined) : t.ints[0];
    default:
      return undefined;
  }
}

/** The strings of a DT_STRING tensor, decoded as UTF-8. */
export function tensorStrings(t: DecodedTensor): string[] | undefined {
  return t.dtype === DT_STRING ? t.strings.map(utf8) : undefined;
}

/** What the hparams plugin's data holds: a session's start (hyperparameters) or end (status). */
export interface HParamsData {
  hparams?: { key: string; value: string }[];
  startTimeSecs?: number;
  /** api.proto's Status: 1 success, 2 failure, 3 running. */
  endStatus?: number;
  endTimeSecs?: number;
  /** The experiment's metric tags (the metrics the hparams are compared on). */
  metricTags?: string[];
}

/** Decodes `HParamsPluginData` (plugin_hparams.proto). */
export function decodeHParams(bytes: Uint8Array): HParamsData {
  const r = new ProtoReader(bytes);
  const data: HParamsData = {};
  while (!r.done) {
    const { field, wire } = r.key();
    if (wire !== LENGTH_DELIMITED) r.skip(wire);
    else if (field === 2) data.metricTags = decodeExperimentMetrics(r.sub());
    else if (field === 3) {
      const s = r.sub();
      data.hparams = [];
      while (!s.done) {
        const k = s.key();
        if (k.field === 1 && k.wire === LENGTH_DELIMITED) data.hparams.push(decodeMapEntry(s.sub()));
        else if (k.field === 5 && k.wire === FIXED64) data.startTimeSecs = s.double();
        else s.skip(k.wire);
      }
    } else if (field === 4) {
      const s = r.sub();
      while (!s.done) {
        const k = s.key();
        if (k.field === 1 && k.wire === 0) data.endStatus = s.varint();
        else if (k.field === 2 && k.wire === FIXED64) data.endTimeSecs = s.double();
        else s.skip(k.wire);
      }
    } else r.skip(wire);
  }
  return data;
}

function decodeExperimentMetrics(r: ProtoReader): string[] {
  const tags: string[] = [];
  while (!r.done) {
    const { field, wire } = r.key();
    if (field === 5 && wire === LENGTH_DELIMITED) {
      const info = r.sub();
      while (!info.done) {
        const k = info.key();
        if (k.field === 1 && k.wire === LENGTH_DELIMITED) {
          const name = info.sub();
          let group = '';
          let tag = '';
          while (!name.done) {
            const n = name.key();
            if (n.field === 1 && n.wire === LENGTH_DELIMITED) group = name.string();
            else if (n.field === 2 && n.wire === LENGTH_DELIMITED) tag = name.string();
            else name.skip(n.wire);
          }
          tags.push(group ? `${group}/${tag}` : tag);
        } else info.skip(k.wire);
      }
    } else r.skip(wire);
  }
  return tags;
}

/** One `map<string, google.protobuf.Value>` entry, the value written as a param would be. */
function decodeMapEntry(r: ProtoReader): { key: string; value: string } {
  let key = '';
  let value = '';
  while (!r.done) {
    const { field, wire } = r.key();
    if (field === 1 && wire === LENGTH_DELIMITED) key = r.string();
    else if (field === 2 && wire === LENGTH_DELIMITED) value = protobufValueText(r.sub());
    else r.skip(wire);
  }
  return { key, value };
}

/**
 * A `google.protobuf.Value` as param text: numbers as JavaScript prints them (32, 0.001), booleans
 * as Python's `str()` does (True, False), as MLflow's own clients log them, so runs brought in
 * from TensorBoard compare with runs logged through MLflow.
 */
function protobufValueText(r: ProtoReader): string {
  let text = '';
  while (!r.done) {
    const { field, wire } = r.key();
    if (field === 1 && wire === 0) {
      r.varint();
      text = 'None';
    } else if (field === 2 && wire === FIXED64) text = String(r.double());
    else if (field === 3 && wire === LENGTH_DELIMITED) text = r.string();
    else if (field === 4 && wire === 0) text = r.varint() ? 'True' : 'False';
    else r.skip(wire);
  }
  return text;
}
