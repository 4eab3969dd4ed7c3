-- deleteAlias
delete from "registered_model_aliases" where "registered_model_id" = ? and "alias" = ?;

-- deleteModel
delete from "registered_models" where "id" = ?;

-- deleteModelTag
delete from "registered_model_tags" where "registered_model_id" = ? and "key" = ?;

-- deleteVersion
delete from "model_versions" where "id" = ?;

-- deleteVersionTag
delete from "model_version_tags" where "version_id" = ? and "key" = ?;

-- insertModel
insert into "registered_models" ("name", "description", "user_id", "creation_time", "last_updated_time", "last_version") values (?, ?, ?, ?, ?, ?) returning *;

-- insertModelTags
insert into "registered_model_tags" ("registered_model_id", "key", "value") values (?, ?, ?);

-- insertVersion
insert into "model_versions" ("registered_model_id", "model_name", "version", "source", "storage_location", "run_id", "run_link", "logged_model_id", "description", "current_stage", "status", "user_id", "creation_time", "last_updated_time") values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) returning *;

-- insertVersionTags
insert into "model_version_tags" ("version_id", "key", "value") values (?, ?, ?);

-- loggedModelTagValue
select "value" from "logged_model_tags" where "model_id" = ? and "key" = ?;

-- modelIdNamed
select "id" from "registered_models" where "name" = ?;

-- modelTagValue
select "value" from "registered_model_tags" where "registered_model_id" = ? and "key" = ?;

-- modelsByIds
select * from "registered_models" where "id" in (?, ?);

-- renameModelOnVersions
update "model_versions" set "model_name" = ? where "registered_model_id" = ?;

-- requestRow
select "registry_requests".*, "model_versions"."model_name", "model_versions"."version", "model_versions"."registered_model_id" from "registry_requests" inner join "model_versions" on "model_versions"."id" = "registry_requests"."version_id" where "registry_requests"."id" = ?;

-- requestRows
select "registry_requests".*, "model_versions"."model_name", "model_versions"."version", "model_versions"."registered_model_id" from "registry_requests" inner join "model_versions" on "model_versions"."id" = "registry_requests"."version_id" order by "registry_requests"."id" desc;
select "registry_requests".*, "model_versions"."model_name", "model_versions"."version", "model_versions"."registered_model_id" from "registry_requests" inner join "model_versions" on "model_versions"."id" = "registry_requests"."version_id" where "model_versions"."registered_model_id" = ? and "registry_requests"."status" = ? order by "registry_requests"."id" desc;

-- takeNextVersionNumber
update "registered_models" set "last_version" = "last_version" + ?, "last_updated_time" = ? where "id" = ? returning "last_version";

-- updateModel
update "registered_models" set "description" = ?, "last_updated_time" = ? where "id" = ?;

-- updateVersion
update "model_versions" set "description" = ?, "last_updated_time" = ? where "id" = ?;

-- upsertLoggedModelTag
insert into "logged_model_tags" ("model_id", "key", "value") values (?, ?, ?) on conflict ("model_id", "key") do update set "value" = ?;

-- upsertModelTag
insert into "registered_model_tags" ("registered_model_id", "key", "value") values (?, ?, ?) on conflict ("registered_model_id", "key") do update set "value" = ?;

-- upsertVersionTag
insert into "model_version_tags" ("version_id", "key", "value") values (?, ?, ?) on conflict ("version_id", "key") do update set "value" = ?;

-- versionById
select * from "model_versions" where "id" = ?;

-- versionNumbersOf
select "version" from "model_versions" where "registered_model_id" = ? order by "version";

-- versionTagValue
select "value" from "model_version_tags" where "version_id" = ? and "key" = ?;

-- versionsByIds
select * from "model_versions" where "id" in (?, ?);

-- versionsOfRun
select * from "model_versions" where "run_id" = ? order by "creation_time" desc, "id" desc;
