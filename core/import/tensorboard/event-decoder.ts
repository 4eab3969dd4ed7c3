/**
 * Decodes TensorBoard's `Event` records (event.proto, summary.proto, tensor.proto and the hparams
 * plugin's api.proto / plugin_hparams.proto) into the few things an import uses: wall time, step,
 * and each summary value's tag, plugin, and payload (a simple value, a tensor, an image).
 * Byte payloads are views into the record, valid as long as the record is.
 *
 * protobufjs decodes the messages from TensorBoard's schema (tensorboard-proto.ts), compiled once
 * by reflection into generated decoders; unknown fields are skipped, as protobuf says.
 */
import protobuf from 'protobufjs';
import type Long from 'long';
import { EVENT_PROTO, HPARAMS_PROTO } from './tensorboard-proto.ts';

/** Decodes bytes as UTF-8 (invalid sequences become U+FFFD, as TensorBoard shows them). */
const utf8 = new TextDecoder('utf-8');

let compiled: { event: protobuf.Type; hparams: protobuf.Type } | undefined;

/**
 * The messages, compiled from TensorBoard's schema on the first event read rather than when the
 * module loads, which every `flowdesk serve` start paid for.
 */
function schema(): { event: protobuf.Type; hparams: protobuf.Type } {
  if (compiled) return compiled;
  const root = new protobuf.Root();
  root.addJSON(protobuf.common.get('google/protobuf/struct.proto')!.nested!);
  for (const text of [EVENT_PROTO, HPARAMS_PROTO]) protobuf.parse(text, root, { keepCase: true });
  root.resolveAll();
  return (compiled = { event: root.lookupType('tensorboard.Event'), hparams: root.lookupType('tensorboard.hparam.HParamsPluginData') });
}

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

/** The decoded messages, as far as the import reads them (protobufjs gives unset fields their defaults). */
type Int64 = Long | number;
interface PbTensor {
  dtype: number;
  tensor_shape: { dim: { size: Int64 }[] } | null;
  tensor_content: Uint8Array;
  float_val: number[];
  double_val: number[];
  int_val: number[];
  int64_val: Int64[];
  string_val: Uint8Array[];
}
interface PbValue {
  tag: string;
  metadata: { plugin_data: { plugin_name: string; content: Uint8Array } | null } | null;
  value?: 'simple_value' | 'obsolete_old_style_histogram' | 'image' | 'histo' | 'audio' | 'tensor';
  simple_value: number;
  image: { encoded_image_string: Uint8Array } | null;
  tensor: PbTensor | null;
}
interface PbEvent {
  wall_time: number;
  step: Int64;
  what?: string;
  summary: { value: PbValue[] } | null;
}
/** google.protobuf.Value, whose schema comes from protobufjs's own copy, with lowerCamelCase names. */
interface PbStructValue {
  kind?: 'nullValue' | 'numberValue' | 'stringValue' | 'boolValue' | 'structValue' | 'listValue';
  numberValue: number;
  stringValue: string;
  boolValue: boolean;
}
interface PbHParams {
  data?: 'experiment' | 'session_start_info' | 'session_end_info';
  experiment: { metric_infos: { name: { group: string; tag: string } | null }[] } | null;
  session_start_info: { hparams: Record<string, PbStructValue>; start_time_secs: number } | null;
  session_end_info: { status: number; end_time_secs: number } | null;
}

const toNumber = (value: Int64) => (typeof value === 'number' ? value : value.toNumber());

/** protobufjs's reader over a record's bytes: a Buffer reader, so byte fields are views, not copies. */
function readerOver(bytes: Uint8Array, start: number): protobuf.Reader {
  const reader = new protobuf.BufferReader(Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  reader.pos = start;
  return reader;
}

function tensorOf(t: PbTensor): DecodedTensor {
  const tensor: DecodedTensor = {
    dtype: t.dtype,
    dims: (t.tensor_shape?.dim ?? []).map((d) => toNumber(d.size)),
    floats: t.float_val,
    doubles: t.double_val,
    ints: t.int64_val.length === 0 ? t.int_val : [...t.int_val, ...t.int64_val.map(toNumber)],
    strings: t.string_val,
  };
  if (t.tensor_content.length > 0) tensor.content = t.tensor_content;
  return tensor;
}

function valueOf(v: PbValue): DecodedValue {
  const value: DecodedValue = { tag: v.tag };
  const plugin = v.metadata?.plugin_data;
  if (plugin) {
    value.pluginName = plugin.plugin_name;
    value.pluginContent = plugin.content;
  }
  switch (v.value) {
    case 'simple_value':
      value.simpleValue = v.simple_value;
      break;
    case 'tensor':
      value.tensor = tensorOf(v.tensor!);
      break;
    case 'image':
      if (v.image!.encoded_image_string.length > 0) value.image = v.image!.encoded_image_string;
      break;
    case 'histo':
    case 'obsolete_old_style_histogram':
      value.other = 'histogram';
      break;
    case 'audio':
      value.other = 'audio';
      break;
  }
  return value;
}

/**
 * Decodes one Event record, `bytes[start, end)`; throws when the bytes are not a well-formed
 * message. (`_view` is what callers that also read the bytes themselves share; protobufjs needs none.)
 */
export function decodeEvent(bytes: Uint8Array, start = 0, end = bytes.length, _view?: DataView): DecodedEvent {
  const e = schema().event.decode(readerOver(bytes, start), end - start) as unknown as PbEvent;
  const event: DecodedEvent = { wallTime: e.wall_time, step: toNumber(e.step) };
  if (e.what === 'summary') event.values = e.summary!.value.map(valueOf);
  else if (e.what === 'graph_def' || e.what === 'tagged_run_metadata' || e.what === 'meta_graph_def') event.graph = true;
  return event;
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
  return t.dtype === DT_STRING ? t.strings.map((bytes) => utf8.decode(bytes)) : undefined;
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
  const d = schema().hparams.decode(readerOver(bytes, 0), bytes.length) as unknown as PbHParams;
  const data: HParamsData = {};
  if (d.experiment) data.metricTags = d.experiment.metric_infos.map(({ name }) => (name?.group ? `${name.group}/${name.tag}` : (name?.tag ?? '')));
  if (d.session_start_info) {
    data.hparams = Object.entries(d.session_start_info.hparams).map(([key, value]) => ({ key, value: protobufValueText(value) }));
    if (d.session_start_info.start_time_secs !== 0) data.startTimeSecs = d.session_start_info.start_time_secs;
  }
  if (d.session_end_info) {
    if (d.session_end_info.status !== 0) data.endStatus = d.session_end_info.status;
    if (d.session_end_info.end_time_secs !== 0) data.endTimeSecs = d.session_end_info.end_time_secs;
  }
  return data;
}

/**
 * A `google.protobuf.Value` as param text: numbers as JavaScript prints them (32, 0.001), booleans
 * as Python's `str()` does (True, False), as MLflow's own clients log them, so runs brought in
 * from TensorBoard compare with runs logged through MLflow.
 */
function protobufValueText(v: PbStructValue): string {
  switch (v.kind) {
    case 'nullValue':
      return 'None';
    case 'numberValue':
      return String(v.numberValue);
    case 'stringValue':
      return v.stringValue;
    case 'boolValue':
      return v.boolValue ? 'True' : 'False';
    default:
      return '';
  }
}
