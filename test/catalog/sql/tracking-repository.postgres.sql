-- activeLoggedModel
select * from "logged_models" where "model_id" = $1 and "lifecycle_stage" = $2;

-- allExperimentIds
select "experiment_id" from "experiments";

-- deleteActiveRuns
update "runs" set "lifecycle_stage" = $1, "deleted_time" = $2 where "experiment_id" = $3 and "lifecycle_stage" = $4;

-- deleteExperimentTag
delete from "experiment_tags" where "experiment_id" = $1 and "key" = $2;

-- deleteExperiments
delete from "experiments" where "experiment_id" in ($1, $2);

-- deleteRunRows
delete from "metrics" where "series_id" in (select "id" from "metric_series" where "run_id" in ($1, $2));
delete from "metric_buckets" where "series_id" in (select "id" from "metric_series" where "run_id" in ($1, $2));
delete from "runs" where "id" in ($1, $2);

-- deleteRunTag
delete from "run_tags" where "run_id" = $1 and "key" = $2;

-- deletedExperiments
select * from "experiments" where "lifecycle_stage" = $1 order by "deleted_time" desc;

-- deletedRunsOfLiveExperiments
select "runs"."run_uuid", "runs"."name", "runs"."experiment_id", "runs"."deleted_time" from "runs" inner join "experiments" on "experiments"."experiment_id" = "runs"."experiment_id" where "runs"."lifecycle_stage" = $1 and "experiments"."lifecycle_stage" = $2 order by "runs"."deleted_time" desc;

-- experimentIdNamed
select "experiment_id" from "experiments" where "name" = $1;

-- experimentTagRows
select * from "experiment_tags" where "experiment_id" in ($1, $2) order by "key";

-- experimentsByIds
select * from "experiments" where "experiment_id" in ($1, $2);

-- experimentsToPurge
select "experiment_id", "lifecycle_stage", "deleted_time" from "experiments" where "lifecycle_stage" = $1;
select "experiment_id", "lifecycle_stage", "deleted_time" from "experiments" where "experiment_id" in ($1);
select "experiment_id", "lifecycle_stage", "deleted_time" from "experiments" where "experiment_id" in ($1, $2) and "deleted_time" < $3;

-- findExperiment
select * from "experiments" where "experiment_id" = $1;

-- findExperimentByName
select * from "experiments" where "name" = $1;

-- findMetricSeries
select * from "metric_series" where "run_id" = $1 and "key" = $2;

-- findRun
select * from "runs" where "run_uuid" = $1;

-- insertExperiment
insert into "experiments" ("name", "artifact_location", "lifecycle_stage", "creation_time", "last_update_time") values ($1, $2, $3, $4, $5) returning "experiment_id";

-- insertExperimentTags
insert into "experiment_tags" ("experiment_id", "key", "value") values ($1, $2, $3);

-- insertLoggedModelMetrics
insert into "logged_model_metrics" ("model_id", "key", "value", "is_nan", "negative_zero", "timestamp", "step", "run_id", "dataset_name", "dataset_digest") values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) on conflict do nothing;

-- insertParams
insert into "params" ("run_id", "key", "value") values ($1, $2, $3);

-- insertRun
insert into "runs" ("run_uuid", "experiment_id", "name", "user_id", "status", "start_time", "end_time", "lifecycle_stage", "artifact_uri", "deleted_time") values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) returning *;

-- knownRunUuids
select "run_uuid" from "runs" where "run_uuid" in ($1, $2);

-- modelInputsOfRuns
select "runs"."run_uuid", "run_model_inputs"."model_id" from "run_model_inputs" inner join "runs" on "runs"."id" = "run_model_inputs"."run_id" where "runs"."run_uuid" in ($1, $2) order by "run_model_inputs"."model_id";

-- modelOutputsOfRuns
select "runs"."run_uuid", "run_model_outputs"."model_id", "run_model_outputs"."step" from "run_model_outputs" inner join "runs" on "runs"."id" = "run_model_outputs"."run_id" where "runs"."run_uuid" in ($1, $2) order by "run_model_outputs"."step", "run_model_outputs"."model_id";

-- paramsWithKeys
select "key", "value" from "params" where "run_id" = $1 and "key" in ($2, $3);

-- restoreRunsDeletedAt
update "runs" set "lifecycle_stage" = $1, "deleted_time" = $2 where "experiment_id" = $3 and "deleted_time" = $4;

-- runDetailRows
select "run_id", "key", "value", "is_nan", "negative_zero", "timestamp", "step" from "metric_series" where "run_id" in ($1, $2) order by "key";
select * from "params" where "run_id" in ($1, $2) order by "key";
select * from "run_tags" where "run_id" in ($1, $2) order by "key";
select "run_inputs"."run_id", "run_inputs"."tags_json", "datasets"."name", "datasets"."digest", "datasets"."source_type", "datasets"."source", "datasets"."schema", "datasets"."profile" from "run_inputs" inner join "datasets" on "datasets"."id" = "run_inputs"."dataset_id" where "run_inputs"."run_id" in ($1, $2) order by "datasets"."id";

-- runIdsOfExperiments
select "id" from "runs" where "experiment_id" in ($1, $2);

-- runTagValue
select "value" from "run_tags" where "run_id" = $1 and "key" = $2;

-- runsByIds
select * from "runs" where "id" in ($1, $2);

-- runsToPurge
select "id", "run_uuid", "experiment_id", "lifecycle_stage", "deleted_time" from "runs" where "lifecycle_stage" = $1;
select "id", "run_uuid", "experiment_id", "lifecycle_stage", "deleted_time" from "runs" where "run_uuid" in ($1);
select "id", "run_uuid", "experiment_id", "lifecycle_stage", "deleted_time" from "runs" where "run_uuid" in ($1, $2) and "deleted_time" < $3;

-- touchLoggedModel
update "logged_models" set "last_updated_time" = $1 where "model_id" = $2;

-- updateExperiment
update "experiments" set "name" = $1, "last_update_time" = $2 where "experiment_id" = $3;

-- updateRun
update "runs" set "status" = $1, "end_time" = $2 where "id" = $3;

-- upsertExperimentTag
insert into "experiment_tags" ("experiment_id", "key", "value") values ($1, $2, $3) on conflict ("experiment_id", "key") do update set "value" = $4;

-- upsertRunTags
insert into "run_tags" ("run_id", "key", "value") values ($1, $2, $3) on conflict ("run_id", "key") do update set "value" = "excluded"."value";

-- versionsUsingFolder
select "model_name", "version" from "model_versions" where "storage_location" like $1 order by "model_name", "version";
