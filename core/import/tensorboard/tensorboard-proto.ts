/**
 * TensorBoard's event file schema, as protobuf text: the messages an import reads, copied field
 * for field from TensorBoard's event.proto, summary.proto, tensor.proto, tensor_shape.proto,
 * resource_handle.proto and the hparams plugin's api.proto and plugin_hparams.proto (as
 * tensorboardX 2.6 ships them; Apache-2.0, The TensorFlow Authors). Comments are left out, and so
 * are the hparams plugin's request and response messages, which event files never hold. `DataType`
 * keeps only the values the import tells apart; protobuf reads any other as its number.
 *
 * The text lives in a module rather than in .proto files so that it travels with the code when
 * the Electron main process is bundled into one file.
 */

/** event.proto, summary.proto, tensor.proto and the messages they use. */
export const EVENT_PROTO = `
syntax = "proto3";
package tensorboard;

message Event {
  double wall_time = 1;
  int64 step = 2;
  oneof what {
    string file_version = 3;
    bytes graph_def = 4;
    Summary summary = 5;
    LogMessage log_message = 6;
    SessionLog session_log = 7;
    TaggedRunMetadata tagged_run_metadata = 8;
    bytes meta_graph_def = 9;
  }
}

message LogMessage {
  enum Level {
    UNKNOWN = 0;
    DEBUG = 10;
    INFO = 20;
    WARN = 30;
    ERROR = 40;
    FATAL = 50;
  }
  Level level = 1;
  string message = 2;
}

message SessionLog {
  enum SessionStatus {
    STATUS_UNSPECIFIED = 0;
    START = 1;
    STOP = 2;
    CHECKPOINT = 3;
  }
  SessionStatus status = 1;
  string checkpoint_path = 2;
  string msg = 3;
}

message TaggedRunMetadata {
  string tag = 1;
  bytes run_metadata = 2;
}

message HistogramProto {
  double min = 1;
  double max = 2;
  double num = 3;
  double sum = 4;
  double sum_squares = 5;
  repeated double bucket_limit = 6 [packed = true];
  repeated double bucket = 7 [packed = true];
}

message SummaryMetadata {
  message PluginData {
    string plugin_name = 1;
    bytes content = 2;
  }
  PluginData plugin_data = 1;
  string display_name = 2;
  string summary_description = 3;
}

message Summary {
  message Image {
    int32 height = 1;
    int32 width = 2;
    int32 colorspace = 3;
    bytes encoded_image_string = 4;
  }
  message Audio {
    float sample_rate = 1;
    int64 num_channels = 2;
    int64 length_frames = 3;
    bytes encoded_audio_string = 4;
    string content_type = 5;
  }
  message Value {
    string node_name = 7;
    string tag = 1;
    SummaryMetadata metadata = 9;
    oneof value {
      float simple_value = 2;
      bytes obsolete_old_style_histogram = 3;
      Image image = 4;
      HistogramProto histo = 5;
      Audio audio = 6;
      TensorProto tensor = 8;
    }
  }
  repeated Value value = 1;
}

enum DataType {
  DT_INVALID = 0;
  DT_FLOAT = 1;
  DT_DOUBLE = 2;
  DT_INT32 = 3;
  DT_STRING = 7;
  DT_INT64 = 9;
}

message TensorShapeProto {
  message Dim {
    int64 size = 1;
    string name = 2;
  }
  repeated Dim dim = 2;
  bool unknown_rank = 3;
}

message ResourceHandleProto {
  string device = 1;
  string container = 2;
  string name = 3;
  uint64 hash_code = 4;
  string maybe_type_name = 5;
}

message TensorProto {
  DataType dtype = 1;
  TensorShapeProto tensor_shape = 2;
  int32 version_number = 3;
  bytes tensor_content = 4;
  repeated int32 half_val = 13 [packed = true];
  repeated float float_val = 5 [packed = true];
  repeated double double_val = 6 [packed = true];
  repeated int32 int_val = 7 [packed = true];
  repeated bytes string_val = 8;
  repeated float scomplex_val = 9 [packed = true];
  repeated int64 int64_val = 10 [packed = true];
  repeated bool bool_val = 11 [packed = true];
  repeated double dcomplex_val = 12 [packed = true];
  repeated ResourceHandleProto resource_handle_val = 14;
}
`;

/** The hparams plugin's data (plugin_hparams.proto) and the api.proto messages it holds. */
export const HPARAMS_PROTO = `
syntax = "proto3";
package tensorboard.hparam;

import "google/protobuf/struct.proto";

message HParamsPluginData {
  int32 version = 1;
  oneof data {
    Experiment experiment = 2;
    SessionStartInfo session_start_info = 3;
    SessionEndInfo session_end_info = 4;
  }
}

message SessionStartInfo {
  map<string, google.protobuf.Value> hparams = 1;
  string model_uri = 2;
  string monitor_url = 3;
  string group_name = 4;
  double start_time_secs = 5;
}

message SessionEndInfo {
  Status status = 1;
  double end_time_secs = 2;
}

message Experiment {
  string name = 6;
  string description = 1;
  string user = 2;
  double time_created_secs = 3;
  repeated HParamInfo hparam_infos = 4;
  repeated MetricInfo metric_infos = 5;
}

message HParamInfo {
  string name = 1;
  string display_name = 2;
  string description = 3;
  DataType type = 4;
  oneof domain {
    google.protobuf.ListValue domain_discrete = 5;
    Interval domain_interval = 6;
  }
}

enum DataType {
  DATA_TYPE_UNSET = 0;
  DATA_TYPE_STRING = 1;
  DATA_TYPE_BOOL = 2;
  DATA_TYPE_FLOAT64 = 3;
}

message Interval {
  double min_value = 1;
  double max_value = 2;
}

message MetricName {
  string group = 1;
  string tag = 2;
}

message MetricInfo {
  MetricName name = 1;
  string display_name = 3;
  string description = 4;
  DatasetType dataset_type = 5;
}

enum DatasetType {
  DATASET_UNKNOWN = 0;
  DATASET_TRAINING = 1;
  DATASET_VALIDATION = 2;
}

enum Status {
  STATUS_UNKNOWN = 0;
  STATUS_SUCCESS = 1;
  STATUS_FAILURE = 2;
  STATUS_RUNNING = 3;
}
`;
