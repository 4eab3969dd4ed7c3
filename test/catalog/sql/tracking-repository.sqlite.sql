-- activeLoggedModel
select * from "logged_models" where "model_id" = ? and "lifecycle_stage" = ?;

-- deleteActiveRuns
update "runs" set "lifecycle_stage" = ?, "deleted_time" = ? where "experiment_id" = ? and "lifecycle_stage" = ?;

-- deleteExperimentTag
delete from "experiment_tags" where "experiment_id" = ? and "key" = ?;

-- deleteRunTag
delete from "run_tags" where "run_id" = ? and "key" = ?;

-- experimentIdNamed
select "experiment_id" from "experiments" where "name" = ?;

-- experimentTagRows
select * from "experiment_tags" where "experiment_id" in (?, ?) order by "key";

-- experimentsByIds
select * from "experiments" where "experiment_id" in (?, ?);

-- findExperiment
select * from "experiments" where "experiment_id" = ?;

-- findExperimentByName
select * from "experiments" where "name" = ?;

-- findMetricSeries
select * from "metric_series" where "run_id" = ? and "key" = ?;

-- findRun
select * from "runs" where "run_uuid" = ?;

-- insertExperiment
insert into "experiments" ("name", "artifact_location", "lifecycle_stage", "creation_time", "last_update_time") values (?, ?, ?, ?, ?) returning "experiment_id";

-- insertExperimentTags
insert into "experiment_tags" ("experiment_id", "key", "value") values (?, ?, ?);

-- insertLoggedModelMetrics
insert into "logged_model_metrics" ("model_id", "key", "value", "is_nan", "negative_zero", "timestamp", "step", "run_id", "dataset_name", "dataset_digest") values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) on conflict do nothing;

-- insertParams
insert into "params" ("run_id", "key", "value") values (?, ?, ?);

-- insertRun
insert into "runs" ("run_uuid", "experiment_id", "name", "user_id", "status", "start_time", "end_time", "lifecycle_stage", "artifact_uri", "deleted_time") values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) returning *;

-- modelInputsOfRuns
select "runs"."run_uuid", "run_model_inputs"."model_id" from "run_model_inputs" inner join "runs" on "runs"."id" = "run_model_inputs"."run_id" where "runs"."run_uuid" in (?, ?) order by "run_model_inputs"."model_id";

-- modelOutputsOfRuns
select "runs"."run_uuid", "run_model_outputs"."model_id", "run_model_outputs"."step" from "run_model_outputs" inner join "runs" on "runs"."id" = "run_model_outputs"."run_id" where "runs"."run_uuid" in (?, ?) order by "run_model_outputs"."step", "run_model_outputs"."model_id";

-- paramsWithKeys
select "key", "value" from "params" where "run_id" = ? and "key" in (?, ?);

-- restoreRunsDeletedAt
update "runs" set "lifecycle_stage" = ?, "deleted_time" = ? where "experiment_id" = ? and "deleted_time" = ?;

-- runDetailRows
select "run_id", "key", "value", "is_nan", "negative_zero", "timestamp", "step" from "metric_series" where "run_id" in (?, ?) order by "key";
select * from "params" where "run_id" in (?, ?) order by "key";
select * from "run_tags" where "run_id" in (?, ?) order by "key";
select "run_inputs"."run_id", "run_inputs"."tags_json", "datasets"."name", "datasets"."digest", "datasets"."source_type", "datasets"."source", "datasets"."schema", "datasets"."profile" from "run_inputs" inner join "datasets" on "datasets"."id" = "run_inputs"."dataset_id" where "run_inputs"."run_id" in (?, ?) order by "datasets"."id";

-- runTagValue
select "value" from "run_tags" where "run_id" = ? and "key" = ?;

-- runsByIds
select * from "runs" where "id" in (?, ?);

-- touchLoggedModel
update "logged_models" set "last_updated_time" = ? where "model_id" = ?;

-- updateExperiment
update "experiments" set "name" = ?, "last_update_time" = ? where "experiment_id" = ?;

-- updateRun
update "runs" set "status" = ?, "end_time" = ? where "id" = ?;

-- upsertExperimentTag
insert into "experiment_tags" ("experiment_id", "key", "value") values (?, ?, ?) on conflict ("experiment_id", "key") do update set "value" = ?;

-- upsertRunTags
insert into "run_tags" ("run_id", "key", "value") values (?, ?, ?) on conflict ("run_id", "key") do update set "value" = "excluded"."value";
