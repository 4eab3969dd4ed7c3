-- activeLoggedModel
select * from "logged_models" where "model_id" = ? and "lifecycle_stage" = ?;

-- allExperimentIds
select "experiment_id" from "experiments";

-- deleteActiveRuns
update "runs" set "lifecycle_stage" = ?, "deleted_time" = ? where "experiment_id" = ? and "lifecycle_stage" = ?;

-- deleteExperimentTag
delete from "experiment_tags" where "experiment_id" = ? and "key" = ?;

-- deleteExperiments
delete from "experiments" where "experiment_id" in (?, ?);

-- deleteRunRows
delete from "metrics" where "series_id" in (select "id" from "metric_series" where "run_id" in (?, ?));
delete from "metric_buckets" where "series_id" in (select "id" from "metric_series" where "run_id" in (?, ?));
delete from "runs" where "id" in (?, ?);

-- deleteRunTag
delete from "run_tags" where "run_id" = ? and "key" = ?;

-- deletedExperiments
select * from "experiments" where "lifecycle_stage" = ? order by "deleted_time" desc;

-- deletedRunsOfLiveExperiments
select "runs"."run_uuid", "runs"."name", "runs"."experiment_id", "runs"."deleted_time" from "runs" inner join "experiments" on "experiments"."experiment_id" = "runs"."experiment_id" where "runs"."lifecycle_stage" = ? and "experiments"."lifecycle_stage" = ? order by "runs"."deleted_time" desc;

-- experimentIdNamed
select "experiment_id" from "experiments" where "name" = ?;

-- experimentTagRows
select * from "experiment_tags" where "experiment_id" in (?, ?) order by "key";

-- experimentsByIds
select * from "experiments" where "experiment_id" in (?, ?);

-- experimentsToPurge
select "experiment_id", "lifecycle_stage", "deleted_time" from "experiments" where "lifecycle_stage" = ?;
select "experiment_id", "lifecycle_stage", "deleted_time" from "experiments" where "experiment_id" in (?);
select "experiment_id", "lifecycle_stage", "deleted_time" from "experiments" where "experiment_id" in (?, ?) and "deleted_time" < ?;

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

-- knownRunUuids
select "run_uuid" from "runs" where "run_uuid" in (?, ?);

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

-- runIdsOfExperiments
select "id" from "runs" where "experiment_id" in (?, ?);

-- runTagValue
select "value" from "run_tags" where "run_id" = ? and "key" = ?;

-- runsByIds
select * from "runs" where "id" in (?, ?);

-- runsToPurge
select "id", "run_uuid", "experiment_id", "lifecycle_stage", "deleted_time" from "runs" where "lifecycle_stage" = ?;
select "id", "run_uuid", "experiment_id", "lifecycle_stage", "deleted_time" from "runs" where "run_uuid" in (?);
select "id", "run_uuid", "experiment_id", "lifecycle_stage", "deleted_time" from "runs" where "run_uuid" in (?, ?) and "deleted_time" < ?;

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

-- versionsUsingFolder
select "model_name", "version" from "model_versions" where "storage_location" like ? order by "model_name", "version";
