-- aliasRows
select * from "registered_model_aliases" where "registered_model_id" in ($1, $2) order by "alias";

-- aliasVersion
select "version" from "registered_model_aliases" where "registered_model_id" = $1 and "alias" = $2;

-- anotherInStage
select "id" from "model_versions" where "registered_model_id" = $1 and "current_stage" = $2 and "id" != $3;

-- decidePendingRequest
update "registry_requests" set "status" = $1, "decided_by" = $2, "decided_time" = $3, "decision_comment" = $4 where "id" = $5 and "status" = $6;

-- deleteAlias
delete from "registered_model_aliases" where "registered_model_id" = $1 and "alias" = $2;

-- deleteModel
delete from "registered_models" where "id" = $1;

-- deleteModelTag
delete from "registered_model_tags" where "registered_model_id" = $1 and "key" = $2;

-- deleteVersion
delete from "model_versions" where "id" = $1;

-- deleteVersionTag
delete from "model_version_tags" where "version_id" = $1 and "key" = $2;

-- insertModel
insert into "registered_models" ("name", "description", "user_id", "creation_time", "last_updated_time", "last_version") values ($1, $2, $3, $4, $5, $6) returning *;

-- insertModelTags
insert into "registered_model_tags" ("registered_model_id", "key", "value") values ($1, $2, $3);

-- insertRequest
insert into "registry_requests" ("version_id", "kind", "target", "archive_existing_versions", "status", "requested_by", "requested_time", "comment", "decided_by", "decided_time", "decision_comment") values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) returning "id";

-- insertVersion
insert into "model_versions" ("registered_model_id", "model_name", "version", "source", "storage_location", "run_id", "run_link", "logged_model_id", "description", "current_stage", "status", "user_id", "creation_time", "last_updated_time") values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) returning *;

-- insertVersionTags
insert into "model_version_tags" ("version_id", "key", "value") values ($1, $2, $3);

-- loggedModelTagValue
select "value" from "logged_model_tags" where "model_id" = $1 and "key" = $2;

-- modelById
select * from "registered_models" where "id" = $1;

-- modelByName
select * from "registered_models" where "name" = $1;

-- modelIdNamed
select "id" from "registered_models" where "name" = $1;

-- modelTagRows
select * from "registered_model_tags" where "registered_model_id" in ($1, $2) order by "key";

-- modelTagValue
select "value" from "registered_model_tags" where "registered_model_id" = $1 and "key" = $2;

-- modelsByIds
select * from "registered_models" where "id" in ($1, $2);

-- newestInStage
select * from "model_versions" where "registered_model_id" = $1 and "current_stage" = $2 order by "version" desc limit $3;

-- newestPerStage
select "v".* from "model_versions" as "v" where "v"."registered_model_id" in ($1, $2) and not exists (select "n"."id" from "model_versions" as "n" where "n"."registered_model_id" = "v"."registered_model_id" and "n"."current_stage" = "v"."current_stage" and "n"."version" > "v"."version");

-- othersInStage
select * from "model_versions" where "registered_model_id" = $1 and "current_stage" = $2 and "id" != $3 order by "version";

-- pendingRequest
select "registry_requests".*, "model_versions"."model_name", "model_versions"."version", "model_versions"."registered_model_id" from "registry_requests" inner join "model_versions" on "model_versions"."id" = "registry_requests"."version_id" where "registry_requests"."version_id" = $1 and "registry_requests"."kind" = $2 and "registry_requests"."target" = $3 and "registry_requests"."archive_existing_versions" = $4 and "registry_requests"."status" = $5;

-- protectionOf
select "target" from "registry_protections" where "registered_model_id" = $1 and "kind" = $2 and "target" = $3;

-- protectionRows
select "kind", "target" from "registry_protections" where "registered_model_id" = $1;

-- renameModelOnVersions
update "model_versions" set "model_name" = $1 where "registered_model_id" = $2;

-- replaceProtections
delete from "registry_protections" where "registered_model_id" = $1;
delete from "registry_protections" where "registered_model_id" = $1;
insert into "registry_protections" ("registered_model_id", "kind", "target") values ($1, $2, $3), ($4, $5, $6);

-- requestRow
select "registry_requests".*, "model_versions"."model_name", "model_versions"."version", "model_versions"."registered_model_id" from "registry_requests" inner join "model_versions" on "model_versions"."id" = "registry_requests"."version_id" where "registry_requests"."id" = $1;

-- requestRows
select "registry_requests".*, "model_versions"."model_name", "model_versions"."version", "model_versions"."registered_model_id" from "registry_requests" inner join "model_versions" on "model_versions"."id" = "registry_requests"."version_id" order by "registry_requests"."id" desc;
select "registry_requests".*, "model_versions"."model_name", "model_versions"."version", "model_versions"."registered_model_id" from "registry_requests" inner join "model_versions" on "model_versions"."id" = "registry_requests"."version_id" where "model_versions"."registered_model_id" = $1 and "registry_requests"."status" = $2 order by "registry_requests"."id" desc;

-- takeNextVersionNumber
update "registered_models" set "last_version" = "last_version" + $1, "last_updated_time" = $2 where "id" = $3 returning "last_version";

-- updateModel
update "registered_models" set "description" = $1, "last_updated_time" = $2 where "id" = $3;

-- updateVersion
update "model_versions" set "description" = $1, "last_updated_time" = $2 where "id" = $3;

-- upsertAlias
insert into "registered_model_aliases" ("registered_model_id", "alias", "version") values ($1, $2, $3) on conflict ("registered_model_id", "alias") do update set "version" = $4;

-- upsertLoggedModelTag
insert into "logged_model_tags" ("model_id", "key", "value") values ($1, $2, $3) on conflict ("model_id", "key") do update set "value" = $4;

-- upsertModelTag
insert into "registered_model_tags" ("registered_model_id", "key", "value") values ($1, $2, $3) on conflict ("registered_model_id", "key") do update set "value" = $4;

-- upsertVersionTag
insert into "model_version_tags" ("version_id", "key", "value") values ($1, $2, $3) on conflict ("version_id", "key") do update set "value" = $4;

-- versionById
select * from "model_versions" where "id" = $1;

-- versionByNumber
select * from "model_versions" where "registered_model_id" = $1 and "version" = $2;

-- versionNumbersOf
select "version" from "model_versions" where "registered_model_id" = $1 order by "version";

-- versionTagRows
select * from "model_version_tags" where "version_id" in ($1, $2) order by "key";

-- versionTagValue
select "value" from "model_version_tags" where "version_id" = $1 and "key" = $2;

-- versionsByIds
select * from "model_versions" where "id" in ($1, $2);

-- versionsOfRun
select * from "model_versions" where "run_id" = $1 order by "creation_time" desc, "id" desc;
