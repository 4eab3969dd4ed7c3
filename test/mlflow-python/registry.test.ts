/**
 * The model registry through the real MLflow Python clients (2.12.2 and 3.5.1) against one
 * flowdesk server per file: registered models and versions with tags and descriptions, search
 * with filters and paging, rename, copy_model_version, deletes, aliases and stage transitions,
 * and the error codes the client branches on. Each version runs one script; each test checks one
 * behaviour of what it left, through the contract and through the client.
 *
 * Moves onto Production/@production are made after the model's protection is emptied through the
 * contract (`registry.setProtection`), as a person would from the window, so the test holds both
 * while a laptop protects them by default and once it no longer does.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { serverForFile } from '../helpers/server.ts';
import { CLIENT_VERSIONS, PYTHON_CLIENTS_NOT_RUN_REASON, runPythonPerVersion, type ClientVersion } from '../helpers/python-clients.ts';

interface RegistryOut {
  runId: string;
  duplicateCode: string | null;
  created: string[];
  registeredTwice: string[];
  aliases: Record<string, string>;
  champion: string;
  deletedAliasCode: string | null;
  stages: Record<string, string>;
  latest: Record<string, string>;
  versionSearch: { all: string[]; pages: string[][]; byTag: string[]; byRun: number };
  modelPages: string[][];
  byModelTag: string[];
  renamed: { name: string; description: string; tags: Record<string, string>; aliases: Record<string, string>; v3Description: string; oldCode: string | null };
  copies: { version: string; source: string; runId: string }[];
  copiedModel: string;
  downloadUri: string;
  deletedVersionCode: string | null;
  nextVersion: string;
  deletedModelCode: string | null;
  missingVersionCode: string | null;
}

function script(prefix: string): string {
  return `
import json, os, requests, mlflow
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

P = ${JSON.stringify(prefix)}
URI = os.environ["MLFLOW_TRACKING_URI"]
client = MlflowClient()

def unprotect(name):
    r = requests.post(f"{URI}/api/flowdesk/v1/call/registry.setProtection", json={"name": name, "aliases": [], "stages": []})
    r.raise_for_status()

def error_code(call):
    try:
        call()
    except MlflowException as e:
        return e.error_code
    return None

mlflow.set_experiment(P + "registry")
with mlflow.start_run() as run:
    mlflow.log_text("weights", "model/weights.txt")
    # An MLmodel file makes the folder a model to MLflow 3's register_model (else it looks for a logged model).
    mlflow.log_text("artifact_path: model\\nflavors: {}\\n", "model/MLmodel")
rid = run.info.run_id
source = f"runs:/{rid}/model"
name = P + "clf"
out = {"runId": rid}

client.create_registered_model(name, tags={"task": "classification"}, description="first")
out["duplicateCode"] = error_code(lambda: client.create_registered_model(name))
out["created"] = [client.create_model_version(name, source, run_id=rid, tags={"i": str(i)}, description=f"v{i}").version for i in range(1, 4)]
out["registeredTwice"] = [mlflow.register_model(source, P + "twice").version for _ in range(2)]
client.update_registered_model(name, description="updated")
client.set_registered_model_tag(name, "owner", "ana")
client.delete_registered_model_tag(name, "task")
client.set_model_version_tag(name, "1", "validated", "yes")
client.delete_model_version_tag(name, "2", "i")
client.update_model_version(name, "3", description="best")

unprotect(name)
client.set_registered_model_alias(name, "champion", "1")
client.set_registered_model_alias(name, "champion", "2")
client.set_registered_model_alias(name, "challenger", "3")
client.set_registered_model_alias(name, "production", "2")
client.set_registered_model_alias(name, "tmp", "1")
client.delete_registered_model_alias(name, "tmp")
out["aliases"] = dict(client.get_registered_model(name).aliases)
out["champion"] = client.get_model_version_by_alias(name, "champion").version
out["deletedAliasCode"] = error_code(lambda: client.get_model_version_by_alias(name, "tmp"))

client.transition_model_version_stage(name, "1", "Staging")
client.transition_model_version_stage(name, "1", "Production")
client.transition_model_version_stage(name, "2", "production", archive_existing_versions=True)
out["stages"] = {v.version: v.current_stage for v in client.search_model_versions(f"name = '{name}'")}
out["latest"] = {v.current_stage: v.version for v in client.get_latest_versions(name, stages=["Production", "Staging", "Archived", "None"])}

pages, token = [], None
while True:
    page = client.search_model_versions(f"name = '{name}'", max_results=2, order_by=["version_number ASC"], page_token=token)
    pages.append([v.version for v in page])
    token = page.token
    if not token:
        break
out["versionSearch"] = {
    "all": sorted(v.version for v in client.search_model_versions(f"name = '{name}'")),
    "pages": pages,
    "byTag": [v.version for v in client.search_model_versions(f"name = '{name}' and tags.validated = 'yes'")],
    "byRun": len(client.search_model_versions(f"run_id = '{rid}'")),
}

for i in range(7):
    client.create_registered_model(P + f"page-{i:02d}")
pages, token = [], None
while True:
    page = client.search_registered_models(filter_string=f"name LIKE '{P}page-%'", max_results=3, order_by=["name DESC"], page_token=token)
    pages.append([m.name for m in page])
    token = page.token
    if not token:
        break
out["modelPages"] = pages
out["byModelTag"] = [m.name for m in client.search_registered_models(filter_string=f"tags.owner = 'ana' and name LIKE '{P}%'")]

new = P + "renamed"
client.rename_registered_model(name, new)
renamed = client.get_registered_model(new)
out["renamed"] = {
    "name": renamed.name,
    "description": renamed.description,
    "tags": renamed.tags,
    "aliases": dict(renamed.aliases),
    "v3Description": client.get_model_version(new, "3").description,
    "oldCode": error_code(lambda: client.get_registered_model(name)),
}

copies = [client.copy_model_version(f"models:/{new}@champion", P + "copy"), client.copy_model_version(f"models:/{new}/3", P + "copy")]
out["copies"] = [{"version": str(c.version), "source": c.source, "runId": c.run_id} for c in copies]
out["copiedModel"] = client.get_registered_model(P + "copy").name
out["downloadUri"] = client.get_model_version_download_uri(new, "1")

client.delete_model_version(new, "3")
out["deletedVersionCode"] = error_code(lambda: client.get_model_version(new, "3"))
out["nextVersion"] = client.create_model_version(new, source, run_id=rid).version
client.delete_registered_model(P + "copy")
out["deletedModelCode"] = error_code(lambda: client.get_registered_model(P + "copy"))
out["missingVersionCode"] = error_code(lambda: client.get_model_version(new, "99"))
print(json.dumps(out))
`;
}

describe.runIf(!PYTHON_CLIENTS_NOT_RUN_REASON)('the registry through the real MLflow clients', () => {
  const server = serverForFile();
  const outputs = runPythonPerVersion<RegistryOut>(() => server().url, (version) => script(`reg-${version}-`));

  describe.each(CLIENT_VERSIONS)('MLflow %s', (version: ClientVersion) => {
    const prefix = `reg-${version}-`;
    let out: RegistryOut;
    beforeAll(async () => {
      out = await outputs(version);
    }, 170_000);

    it('numbers versions 1, 2, 3 and refuses a duplicate model with RESOURCE_ALREADY_EXISTS', () => {
      expect(out.created.map(String)).toEqual(['1', '2', '3']);
      expect(out.duplicateCode).toBe('RESOURCE_ALREADY_EXISTS');
    });

    it('adds a version on each register_model of an existing name', () => {
      expect(out.registeredTwice.map(String)).toEqual(['1', '2']);
    });

    it('keeps model and version tags and descriptions as set and deleted', async () => {
      const { model } = await server().api.call('registry.getModel', { name: `${prefix}renamed` });
      expect(model.description).toBe('updated');
      expect(model.tags).toEqual([{ key: 'owner', value: 'ana' }]);
      const v1 = await server().api.call('registry.getVersion', { name: `${prefix}renamed`, version: 1 });
      expect(v1.version.tags).toEqual(expect.arrayContaining([{ key: 'validated', value: 'yes' }, { key: 'i', value: '1' }]));
      const v2 = await server().api.call('registry.getVersion', { name: `${prefix}renamed`, version: 2 });
      expect(v2.version.tags).toEqual([]);
      expect(v2.version.description).toBe('v2');
      expect(v2.version.runId).toBe(out.runId);
    });

    it('sets, moves and deletes aliases', async () => {
      expect(out.aliases).toEqual({ champion: '2', challenger: '3', production: '2' });
      expect(String(out.champion)).toBe('2');
      expect(out.deletedAliasCode).toBe('RESOURCE_DOES_NOT_EXIST');
      const { version: byAlias } = await server().api.call('registry.getVersionByAlias', { name: `${prefix}renamed`, alias: 'champion' });
      expect(byAlias.version).toBe(2);
    });

    it('transitions stages, archiving the version it replaces in Production', async () => {
      expect(out.stages).toEqual({ '1': 'Archived', '2': 'Production', '3': 'None' });
      expect(out.latest).toEqual({ Production: '2', Archived: '1', None: '3' });
      const { versions } = await server().api.call('registry.latestVersions', { name: `${prefix}renamed`, stages: ['Production'] });
      expect(versions.map((v) => v.version)).toEqual([2]);
    });

    it('searches versions by name, tag and run, and pages them', () => {
      expect(out.versionSearch.all).toEqual(['1', '2', '3']);
      expect(out.versionSearch.pages).toEqual([['1', '2'], ['3']]);
      expect(out.versionSearch.byTag).toEqual(['1']);
      expect(out.versionSearch.byRun).toBe(5);
    });

    it('pages registered models in the requested order and filters them by tag', () => {
      const names = (ids: number[]) => ids.map((i) => `${prefix}page-0${i}`);
      expect(out.modelPages).toEqual([names([6, 5, 4]), names([3, 2, 1]), names([0])]);
      expect(out.byModelTag).toEqual([`${prefix}clf`]);
    });

    it('renames a model with its versions, tags and aliases following it', () => {
      expect(out.renamed).toEqual({
        name: `${prefix}renamed`,
        description: 'updated',
        tags: { owner: 'ana' },
        aliases: { champion: '2', challenger: '3', production: '2' },
        v3Description: 'best',
        oldCode: 'RESOURCE_DOES_NOT_EXIST',
      });
    });

    it('copies versions into a new model that it creates', async () => {
      expect(out.copies.map((c) => c.version)).toEqual(['1', '2']);
      expect(out.copies.every((c) => c.runId === out.runId)).toBe(true);
      expect(out.copiedModel).toBe(`${prefix}copy`);
      const history = await server().api.call('registry.history', { name: `${prefix}copy` });
      expect(history.entries.filter((e) => e.kind === 'version.created').map((e) => e.version)).toEqual([1, 2]);
    });

    it('gives a download location on the server for a version', () => {
      expect(out.downloadUri).toMatch(/^mlflow-artifacts:\/.+\/model$/);
    });

    it('deletes a version without giving its number out again', async () => {
      expect(out.deletedVersionCode).toBe('RESOURCE_DOES_NOT_EXIST');
      expect(String(out.nextVersion)).toBe('4');
      const { versions } = await server().api.call('registry.searchVersions', { filter: `name = '${prefix}renamed'` });
      expect(versions.map((v) => v.version).sort()).toEqual([1, 2, 4]);
    });

    it('deletes a model and answers RESOURCE_DOES_NOT_EXIST for it and for a missing version', () => {
      expect(out.deletedModelCode).toBe('RESOURCE_DOES_NOT_EXIST');
      expect(out.missingVersionCode).toBe('RESOURCE_DOES_NOT_EXIST');
    });
  });
});
