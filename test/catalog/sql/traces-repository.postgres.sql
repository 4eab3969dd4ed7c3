-- deleteAssessment
delete from "trace_assessments" where "assessment_id" = $1;

-- deleteSpans
delete from "trace_spans" where "trace_id" = $1;

-- deleteTraceTag
delete from "trace_tags" where "trace_id" = $1 and "key" = $2;

-- deleteTraces
delete from "traces" where "id" in ($1, $2);

-- findAssessment
select * from "trace_assessments" where "trace_id" = $1 and "assessment_id" = $2;

-- findSpan
select * from "trace_spans" where "trace_id" = $1 and "span_id" = $2;

-- findTrace
select * from "traces" where "trace_id" = $1;

-- insertAssessment
insert into "trace_assessments" ("trace_id", "assessment_id", "name", "kind", "source_type", "source_id", "span_id", "value_json", "error_json", "rationale", "metadata_json", "overrides", "valid", "create_time", "last_update_time") values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15);

-- insertTrace
insert into "traces" ("trace_id", "experiment_id", "request_time", "state", "span_count") values ($1, $2, $3, $4, $5) returning "id";

-- insertTraceTags
insert into "trace_tags" ("trace_id", "key", "value") values ($1, $2, $3);

-- insertTraces
insert into "traces" ("trace_id", "experiment_id", "request_time", "state", "span_count") values ($1, $2, $3, $4, $5) returning "id", "trace_id";

-- knownSpans
select "trace_id", "span_id" from "trace_spans" where "trace_id" in ($1) and "span_id" in ($2, $3);

-- linkTracesToRun
insert into "trace_runs" ("trace_id", "run_uuid") values ($1, $2), ($3, $4) on conflict ("trace_id", "run_uuid") do nothing;

-- putKeyValues
insert into "trace_tags" ("trace_id", "key", "value") values ($1, $2, $3) on conflict ("trace_id", "key") do update set "value" = "excluded"."value";
insert into "trace_metadata" ("trace_id", "key", "value") values ($1, $2, $3) on conflict ("trace_id", "key") do update set "value" = "excluded"."value";

-- putSpans
insert into "trace_spans" ("trace_id", "span_id", "parent_span_id", "name", "span_type", "start_time_ns", "end_time_ns", "status_code", "status_message", "attributes_json", "events_json", "attributes_path") values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12), ($13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24) on conflict ("trace_id", "span_id") do update set "parent_span_id" = "excluded"."parent_span_id", "name" = "excluded"."name", "span_type" = "excluded"."span_type", "start_time_ns" = "excluded"."start_time_ns", "end_time_ns" = "excluded"."end_time_ns", "status_code" = "excluded"."status_code", "status_message" = "excluded"."status_message", "attributes_json" = "excluded"."attributes_json", "events_json" = "excluded"."events_json", "attributes_path" = "excluded"."attributes_path";

-- setAssessmentValid
update "trace_assessments" set "valid" = $1 where "trace_id" = $2 and "assessment_id" = $3;

-- spansOf
select * from "trace_spans" where "trace_id" = $1;

-- traceDetailRows
select * from "trace_tags" where "trace_id" in ($1, $2);
select * from "trace_metadata" where "trace_id" in ($1, $2);
select * from "trace_assessments" where "trace_id" in ($1, $2) order by "create_time", "assessment_id";
select * from "trace_runs" where "trace_id" in ($1, $2) order by "run_uuid";

-- traceExperiments
select "id", "trace_id", "experiment_id" from "traces" where "trace_id" in ($1, $2);

-- traceInOtherExperiment
select "trace_id", "experiment_id" from "traces" where "trace_id" in ($1) and "experiment_id" != $2;

-- traceSummary
select "state", "request_preview", "response_preview" from "traces" where "id" = $1;

-- tracesByIds
select * from "traces" where "id" in ($1, $2);

-- tracesByTraceIds
select * from "traces" where "trace_id" in ($1, $2);

-- tracesToDelete
select "id", "trace_id" from "traces" where "experiment_id" = $1 and "trace_id" in ($2) order by "request_time", "id";
select "id", "trace_id" from "traces" where "experiment_id" = $1 and "request_time" <= $2 order by "request_time", "id" limit $3;

-- updateAssessment
update "trace_assessments" set "name" = $1, "last_update_time" = $2 where "assessment_id" = $3;

-- updateTrace
update "traces" set "span_count" = $1, "state" = $2 where "id" = $3;
