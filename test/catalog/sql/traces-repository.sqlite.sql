-- deleteAssessment
delete from "trace_assessments" where "assessment_id" = ?;

-- deleteSpans
delete from "trace_spans" where "trace_id" = ?;

-- deleteTraceTag
delete from "trace_tags" where "trace_id" = ? and "key" = ?;

-- deleteTraces
delete from "traces" where "id" in (?, ?);

-- findAssessment
select * from "trace_assessments" where "trace_id" = ? and "assessment_id" = ?;

-- findSpan
select * from "trace_spans" where "trace_id" = ? and "span_id" = ?;

-- findTrace
select * from "traces" where "trace_id" = ?;

-- insertAssessment
insert into "trace_assessments" ("trace_id", "assessment_id", "name", "kind", "source_type", "source_id", "span_id", "value_json", "error_json", "rationale", "metadata_json", "overrides", "valid", "create_time", "last_update_time") values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?);

-- insertTrace
insert into "traces" ("trace_id", "experiment_id", "request_time", "state", "span_count") values (?, ?, ?, ?, ?) returning "id";

-- insertTraceTags
insert into "trace_tags" ("trace_id", "key", "value") values (?, ?, ?);

-- insertTraces
insert into "traces" ("trace_id", "experiment_id", "request_time", "state", "span_count") values (?, ?, ?, ?, ?) returning "id", "trace_id";

-- knownSpans
select "trace_id", "span_id" from "trace_spans" where "trace_id" in (?) and "span_id" in (?, ?);

-- linkTracesToRun
insert into "trace_runs" ("trace_id", "run_uuid") values (?, ?), (?, ?) on conflict ("trace_id", "run_uuid") do nothing;

-- putKeyValues
insert into "trace_tags" ("trace_id", "key", "value") values (?, ?, ?) on conflict ("trace_id", "key") do update set "value" = "excluded"."value";
insert into "trace_metadata" ("trace_id", "key", "value") values (?, ?, ?) on conflict ("trace_id", "key") do update set "value" = "excluded"."value";

-- putSpans
insert into "trace_spans" ("trace_id", "span_id", "parent_span_id", "name", "span_type", "start_time_ns", "end_time_ns", "status_code", "status_message", "attributes_json", "events_json", "attributes_path") values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) on conflict ("trace_id", "span_id") do update set "parent_span_id" = "excluded"."parent_span_id", "name" = "excluded"."name", "span_type" = "excluded"."span_type", "start_time_ns" = "excluded"."start_time_ns", "end_time_ns" = "excluded"."end_time_ns", "status_code" = "excluded"."status_code", "status_message" = "excluded"."status_message", "attributes_json" = "excluded"."attributes_json", "events_json" = "excluded"."events_json", "attributes_path" = "excluded"."attributes_path";

-- setAssessmentValid
update "trace_assessments" set "valid" = ? where "trace_id" = ? and "assessment_id" = ?;

-- spansOf
select * from "trace_spans" where "trace_id" = ?;

-- traceDetailRows
select * from "trace_tags" where "trace_id" in (?, ?);
select * from "trace_metadata" where "trace_id" in (?, ?);
select * from "trace_assessments" where "trace_id" in (?, ?) order by "create_time", "assessment_id";
select * from "trace_runs" where "trace_id" in (?, ?) order by "run_uuid";

-- traceExperiments
select "id", "trace_id", "experiment_id" from "traces" where "trace_id" in (?, ?);

-- traceInOtherExperiment
select "trace_id", "experiment_id" from "traces" where "trace_id" in (?) and "experiment_id" != ?;

-- traceSummary
select "state", "request_preview", "response_preview" from "traces" where "id" = ?;

-- tracesByIds
select * from "traces" where "id" in (?, ?);

-- tracesByTraceIds
select * from "traces" where "trace_id" in (?, ?);

-- tracesToDelete
select "id", "trace_id" from "traces" where "experiment_id" = ? and "trace_id" in (?) order by "request_time", "id";
select "id", "trace_id" from "traces" where "experiment_id" = ? and "request_time" <= ? order by "request_time", "id" limit ?;

-- updateAssessment
update "trace_assessments" set "name" = ?, "last_update_time" = ? where "assessment_id" = ?;

-- updateTrace
update "traces" set "span_count" = ?, "state" = ? where "id" = ?;
