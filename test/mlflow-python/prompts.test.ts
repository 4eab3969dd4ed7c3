/**
 * MLflow 3's prompt registry through the real 3.5.1 Python client against a flowdesk server:
 * `mlflow.genai.register_prompt` (versions of a registered model tagged as a prompt, whose text
 * lives in tags and whose source is a placeholder the client sends), aliases, `load_prompt` by
 * version and alias, `search_prompts`, and prompts kept out of model searches. 2.12.2 has no
 * prompt registry. One script; each test checks one behaviour.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { serverForFile } from '../helpers/server.ts';
import { PYTHON_CLIENTS_NOT_RUN_REASON, runPython } from '../helpers/python-clients.ts';

interface PromptsOut {
  versions: number[];
  byAlias: string;
  byVersion: string;
  other: string;
  searched: string[];
  models: string[];
}

const script = `
import json
import mlflow
from mlflow import MlflowClient

client = MlflowClient()
first = mlflow.genai.register_prompt(name="greeting", template="Hello {{name}}!", commit_message="first")
second = mlflow.genai.register_prompt(name="greeting", template="Hi {{name}}, welcome!", commit_message="friendlier", tags={"author": "ana"})
# A text prompt only: chat prompts need pydantic 2, which this client's environment lacks.
other = mlflow.genai.register_prompt(name="support", template="You help with {{product}}.")
mlflow.genai.set_prompt_alias("greeting", alias="live", version=1)
client.create_registered_model("an-actual-model")
print(json.dumps({
    "versions": [first.version, second.version, other.version],
    "byAlias": mlflow.genai.load_prompt("prompts:/greeting@live").format(name="Ana"),
    "byVersion": mlflow.genai.load_prompt("prompts:/greeting/2").format(name="Ana"),
    "other": mlflow.genai.load_prompt("prompts:/support/1").format(product="Flowdesk"),
    "searched": sorted(p.name for p in mlflow.genai.search_prompts()),
    "models": [m.name for m in mlflow.search_registered_models()],
}))
`;

describe.runIf(!PYTHON_CLIENTS_NOT_RUN_REASON)('the prompt registry through the real MLflow 3.5.1 client', () => {
  const server = serverForFile();
  let out: PromptsOut;
  beforeAll(async () => {
    out = await runPython<PromptsOut>('3.5.1', server().url, script);
  }, 170_000);

  it('registers prompt versions, whose source is a placeholder, numbered per prompt', async () => {
    expect(out.versions).toEqual([1, 2, 1]);
    const { version } = await server().api.call('registry.getVersion', { name: 'greeting', version: 2 });
    expect(version.tags).toEqual(expect.arrayContaining([{ key: 'mlflow.prompt.text', value: 'Hi {{name}}, welcome!' }]));
  });

  it('loads a prompt by version and by alias and formats it', () => {
    expect(out.byAlias).toBe('Hello Ana!');
    expect(out.byVersion).toBe('Hi Ana, welcome!');
    expect(out.other).toBe('You help with Flowdesk.');
  });

  it('finds prompts with search_prompts and leaves them out of model searches', () => {
    expect(out.searched).toEqual(['greeting', 'support']);
    expect(out.models).toEqual(['an-actual-model']);
  });

  it('has no files to download for a prompt version', async () => {
    await expect(server().api.call('registry.downloadUri', { name: 'greeting', version: 1 })).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
  });
});
