-- aliasRows
select * from "registered_model_aliases" where "registered_model_id" in (?, ?) order by "alias";

-- aliasVersion
select "version" from "registered_model_aliases" where "registered_model_id" = ? and "alias" = ?;

-- anotherInStage
select "id" from "model_versions" where "registered_model_id" = ? and "current_stage" = ? and "id" != ?;

-- decidePendingRequest
update "registry_requests" set "status" = ?, "decided_by" = ?, "decided_time" = ?, "decision_comment" = ? where "id" = ? and "status" = ?;

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

-- insertRequest
insert into "registry_requests" ("version_id", "kind", "target", "archive_existing_versions", "status", "requested_by", "requested_time", "comment", "decided_by", "decided_time", "decision_comment") values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) returning "id";

-- insertVersion
insert into "model_versions" ("registered_model_id", "model_name", "version", "source", "storage_location", "run_id", "run_link", "logged_model_id", "description", "current_stage", "status", "user_id", "creation_time", "last_updated_time") values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) returning *;

-- insertVersionTags
insert into "model_version_tags" ("version_id", "key", "value") values (?, ?, ?);

-- loggedModelTagValue
select "value" from "logged_model_tags" where "model_id" = ? and "key" = ?;

-- modelById
select * from "registered_models" where "id" = ?;

-- modelByName
select * from "registered_models" where "name" = ?;

-- modelIdNamed
select "id" from "registered_models" where "name" = ?;

-- modelTagRows
select * from "registered_model_tags" where "registered_model_id" in (?, ?) order by "key";

-- modelTagValue
select "value" from "registered_model_tags" where "registered_model_id" = ? and "key" = ?;

-- modelsByIds
select * from "registered_models" where "id" in (?, ?);

-- newestInStage
select * from "model_versions" where "registered_model_id" = ? and "current_stage" = ? order by "version" desc limit ?;

-- newestPerStage
select "v".* from "model_versions" as "v" where "v"."registered_model_id" in (?, ?) and not exists (select "n"."id" from "model_versions" as "n" where "n"."registered_model_id" = "v"."registered_model_id" and "n"."current_stage" = "v"."current_stage" and "n"."version" > "v"."version");

-- othersInStage
select * from "model_versions" where "registered_model_id" = ? and "current_stage" = ? and "id" != ? order by "version";

-- pendingRequest
select "registry_requests".*, "model_versions"."model_name", "model_versions"."version", "model_versions"."registered_model_id" from "registry_requests" inner join "model_versions" on "model_versions"."id" = "registry_requests"."version_id" where "registry_requests"."version_id" = ? and "registry_requests"."kind" = ? and "registry_requests"."target" = ? and "registry_requests"."archive_existing_versions" = ? and "registry_requests"."status" = ?;

-- protectionOf
select "target" from "registry_protections" where "registered_model_id" = ? and "kind" = ? and "target" = ?;

-- protectionRows
select "kind", "target" from "registry_protections" where "registered_model_id" = ?;

-- renameModelOnVersions
update "model_versions" set "model_name" = ? where "registered_model_id" = ?;

-- replaceProtections
delete from "registry_protections" where "registered_model_id" = ?;
delete from "registry_protections" where "registered_model_id" = ?;
insert into "registry_protections" ("registered_model_id", "kind", "target") values (?, ?, ?), (?, ?, ?);

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

-- upsertAlias
insert into "registered_model_aliases" ("registered_model_id", "alias", "version") values (?, ?, ?) on conflict ("registered_model_id", "alias") do update set "version" = ?;

-- upsertLoggedModelTag
insert into "logged_model_tags" ("model_id", "key", "value") values (?, ?, ?) on conflict ("model_id", "key") do update set "value" = ?;

-- upsertModelTag
insert into "registered_model_tags" ("registered_model_id", "key", "value") values (?, ?, ?) on conflict ("registered_model_id", "key") do update set "value" = ?;

-- upsertVersionTag
insert into "model_version_tags" ("version_id", "key", "value") values (?, ?, ?) on conflict ("version_id", "key") do update set "value" = ?;

-- versionById
select * from "model_versions" where "id" = ?;

-- versionByNumber
select * from "model_versions" where "registered_model_id" = ? and "version" = ?;

-- versionNumbersOf
select "version" from "model_versions" where "registered_model_id" = ? order by "version";

-- versionTagRows
select * from "model_version_tags" where "version_id" in (?, ?) order by "key";

-- versionTagValue
select "value" from "model_version_tags" where "version_id" = ? and "key" = ?;

-- versionsByIds
select * from "model_versions" where "id" in (?, ?);

-- versionsOfRun
select * from "model_versions" where "run_id" = ? order by "creation_time" desc, "id" desc;
