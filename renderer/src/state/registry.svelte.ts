/**
 * The registry views' state: the models list, one model's board (versions, aliases, protection,
 * requests) and one version's page (with the model's history), all through the contract. Every
 * failure goes to the toasts; each edit answers whether it worked so a form knows to close.
 */
import type { HistoryEntry, ModelProtection, ModelVersion, RegisteredModel, TransitionRequest } from '#core/api/entities.ts';
import { FlowdeskError } from '#core/api/errors.ts';
import { api } from './api.ts';
import { parseFilterError, type FilterError } from '#renderer/lib/filter-error.ts';
import { quoteFilterString } from '#renderer/lib/filter-quote.ts';
import { boardColumns, columnLabel, type BoardColumn, type BoardTarget } from '#renderer/lib/registry-board.ts';
import { summaryLine } from '#renderer/lib/model-summary.ts';
import { notify, reportError } from './toasts.svelte.ts';

/** Makes an edit, then reloads what shows it; a failure is reported under `action`. Answers whether it worked. */
async function edit(action: string, work: () => Promise<unknown>, reload: () => Promise<void>): Promise<boolean> {
  try {
    await work();
  } catch (err) {
    reportError(action, err);
    return false;
  }
  await reload();
  return true;
}

const PAGE = 100;

/** The models list: a search with the query language, paged. */
export class ModelsList {
  models = $state.raw<RegisteredModel[]>([]);
  loaded = $state(false);
  /** The applied filter. */
  filter = $state('');
  /** The server's complaint about the filter, shown under the search box. */
  filterError = $state.raw<FilterError | undefined>(undefined);
  #nextPageToken: string | undefined;
  hasMore = $state(false);

  async load(): Promise<void> {
    try {
      const { models, nextPageToken } = await api.call('registry.searchModels', { filter: this.filter || undefined, maxResults: PAGE });
      this.models = models;
      this.#nextPageToken = nextPageToken;
      this.hasMore = nextPageToken !== undefined;
      this.filterError = undefined;
    } catch (err) {
      if (err instanceof FlowdeskError && err.code === 'INVALID_PARAMETER_VALUE' && this.filter !== '') this.filterError = parseFilterError(err.message);
      else reportError('Loading the registered models', err);
    } finally {
      this.loaded = true;
    }
  }

  async loadMore(): Promise<void> {
    const pageToken = this.#nextPageToken;
    if (pageToken === undefined) return;
    try {
      const { models, nextPageToken } = await api.call('registry.searchModels', { filter: this.filter || undefined, maxResults: PAGE, pageToken });
      this.models = [...this.models, ...models];
      this.#nextPageToken = nextPageToken;
      this.hasMore = nextPageToken !== undefined;
    } catch (err) {
      reportError('Loading more registered models', err);
    }
  }

  apply(filter: string): Promise<void> {
    this.filter = filter;
    return this.load();
  }

  /** Creates a model; answers its name, or undefined when it failed (reported). */
  async create(name: string, description: string): Promise<string | undefined> {
    try {
      const { model } = await api.call('registry.createModel', { name, description: description || undefined });
      return model.name;
    } catch (err) {
      reportError(`Creating the model '${name}'`, err);
      return undefined;
    }
  }
}

/** Every version of a model, newest first (a model has hundreds at most; pages of 1,000). */
async function allVersions(name: string): Promise<ModelVersion[]> {
  const versions: ModelVersion[] = [];
  let pageToken: string | undefined;
  do {
    const page = await api.call('registry.searchVersions', { filter: `name = ${quoteFilterString(name)}`, orderBy: ['version_number DESC'], maxResults: 1000, pageToken });
    versions.push(...page.versions);
    pageToken = page.nextPageToken;
  } while (pageToken !== undefined);
  return versions;
}

/** A model's whole history, oldest first. Read whole: the newest changes come last, and they matter most. */
async function fullHistory(name: string): Promise<HistoryEntry[]> {
  const entries: HistoryEntry[] = [];
  let pageToken: string | undefined;
  do {
    const page = await api.call('registry.history', { name, maxResults: 1000, pageToken });
    entries.push(...page.entries);
    pageToken = page.nextPageToken;
  } while (pageToken !== undefined);
  return entries;
}

/** One model's board. */
export class ModelBoard {
  model = $state.raw<RegisteredModel | undefined>(undefined);
  versions = $state.raw<ModelVersion[]>([]);
  protection = $state.raw<ModelProtection>({ aliases: [], stages: [] });
  requests = $state.raw<TransitionRequest[]>([]);
  loaded = $state(false);
  /** Set when the model could not be opened (missing, or the server failed). */
  error = $state<string | undefined>(undefined);

  /** The runs the versions came from, by id: their names and experiments, for the cards' links. */
  runs = $state.raw<ReadonlyMap<string, { name: string; experimentId: string }>>(new Map());
  /** A line per version about its model files (flavors, signature), once read. */
  summaries = $state.raw<ReadonlyMap<number, string>>(new Map());

  readonly columns: BoardColumn[] = $derived(boardColumns(this.versions, this.model?.aliases ?? [], this.protection, this.requests));
  readonly pending = $derived(this.requests.filter((r) => r.status === 'pending'));

  constructor(readonly name: string) {}

  async load(): Promise<void> {
    try {
      const [{ model }, versions, { protection }, { requests }] = await Promise.all([
        api.call('registry.getModel', { name: this.name }),
        allVersions(this.name),
        api.call('registry.getProtection', { name: this.name }),
        api.call('registry.listRequests', { name: this.name }),
      ]);
      this.model = model;
      this.versions = versions;
      this.protection = protection;
      this.requests = requests;
      this.error = undefined;
      await this.#loadRuns(versions);
      void this.#loadSummaries(versions);
    } catch (err) {
      // A model renamed or deleted elsewhere: the page says so instead of a toast per reload.
      if (err instanceof FlowdeskError && err.code === 'RESOURCE_DOES_NOT_EXIST') this.error = err.message;
      else if (this.model === undefined) this.error = err instanceof Error ? err.message : String(err);
      else reportError(`Loading the model '${this.name}'`, err);
    } finally {
      this.loaded = true;
    }
  }

  #edit(action: string, work: () => Promise<unknown>): Promise<boolean> {
    return edit(action, work, () => this.load());
  }

  /**
   * Sums up the versions not yet summed up, a few at a time so a long board does not flood the
   * server. A version whose files hold no MLmodel is expected and says so on its card.
   */
  async #loadSummaries(versions: readonly ModelVersion[]): Promise<void> {
    const todo = versions.filter((v) => !this.summaries.has(v.version));
    const next = async (): Promise<void> => {
      const v = todo.shift();
      if (v === undefined) return;
      try {
        const { model } = await api.call('models.find', { name: v.name, version: v.version });
        this.summaries = new Map(this.summaries).set(v.version, model ? summaryLine(model) : 'No MLmodel file');
      } catch (err) {
        reportError(`Reading the model files of version ${v.version}`, err);
      }
      await next();
    };
    await Promise.all([next(), next(), next(), next()]);
  }

  /** Reads the runs not yet known; a purged run is expected (the card shows its id) and not reported. */
  async #loadRuns(versions: readonly ModelVersion[]): Promise<void> {
    const missing = [...new Set(versions.map((v) => v.runId).filter((id): id is string => id !== undefined && !this.runs.has(id)))];
    if (missing.length === 0) return;
    const found = await Promise.all(
      missing.map(async (runId) => {
        try {
          const { run } = await api.call('runs.get', { runId });
          return [runId, { name: run.info.runName, experimentId: run.info.experimentId }] as const;
        } catch (err) {
          if (!(err instanceof FlowdeskError && err.code === 'RESOURCE_DOES_NOT_EXIST')) reportError('Loading the runs of the versions', err);
          return undefined;
        }
      }),
    );
    this.runs = new Map([...this.runs, ...found.filter((f) => f !== undefined)]);
  }

  /** Moves a version onto an unprotected target at once. */
  move(version: number, target: BoardTarget): Promise<boolean> {
    return this.#edit(`Moving version ${version} to ${columnLabel(target)}`, async () => {
      if (target.kind === 'stage') await api.call('registry.transitionStage', { name: this.name, version, stage: target.target });
      else await api.call('registry.setAlias', { name: this.name, version, alias: target.target });
    });
  }

  /** Asks for a move onto a protected target; the version stays until someone approves. */
  request(version: number, target: BoardTarget, comment: string): Promise<boolean> {
    return this.#edit(`Requesting ${columnLabel(target)} for version ${version}`, async () => {
      const input = { name: this.name, version, comment: comment || undefined };
      const { request } = target.kind === 'stage' ? await api.call('registry.transitionStage', { ...input, stage: target.target }) : await api.call('registry.setAlias', { ...input, alias: target.target });
      // The server moves at once when the target stopped being protected meanwhile: say which happened.
      if (request) notify(`Requested ${columnLabel(target)} for version ${version}`, 'It moves once someone approves the request.');
      else notify(`Moved version ${version} to ${columnLabel(target)}`, 'The target is no longer protected, so no approval was needed.');
    });
  }

  approve(request: TransitionRequest, comment: string): Promise<boolean> {
    return this.#edit(`Approving the request for version ${request.version}`, () => api.call('registry.approveRequest', { requestId: request.requestId, comment: comment || undefined }));
  }

  reject(request: TransitionRequest, comment: string): Promise<boolean> {
    return this.#edit(`Rejecting the request for version ${request.version}`, () => api.call('registry.rejectRequest', { requestId: request.requestId, comment: comment || undefined }));
  }

  cancel(request: TransitionRequest, comment: string): Promise<boolean> {
    return this.#edit(`Cancelling the request for version ${request.version}`, () => api.call('registry.cancelRequest', { requestId: request.requestId, comment: comment || undefined }));
  }

  removeAlias(alias: string): Promise<boolean> {
    return this.#edit(`Removing @${alias}`, () => api.call('registry.deleteAlias', { name: this.name, alias }));
  }

  setProtection(protection: ModelProtection): Promise<boolean> {
    return this.#edit('Changing the protected targets', () => api.call('registry.setProtection', { name: this.name, ...protection }));
  }

  describe(description: string): Promise<boolean> {
    return this.#edit('Saving the model description', () => api.call('registry.updateModel', { name: this.name, description }));
  }

  setTag(key: string, value: string): Promise<boolean> {
    return this.#edit(`Setting the tag ${key}`, () => api.call('registry.setModelTag', { name: this.name, key, value }));
  }

  deleteTag(key: string): Promise<boolean> {
    return this.#edit(`Deleting the tag ${key}`, () => api.call('registry.deleteModelTag', { name: this.name, key }));
  }
}

/** One version's page: the version, its run's name and the model's history. */
export class VersionPageState {
  version = $state.raw<ModelVersion | undefined>(undefined);
  runName = $state<string | undefined>(undefined);
  runExperimentId = $state<string | undefined>(undefined);
  history = $state.raw<HistoryEntry[]>([]);
  loaded = $state(false);
  error = $state<string | undefined>(undefined);

  constructor(
    readonly name: string,
    readonly number: number,
  ) {}

  async load(): Promise<void> {
    try {
      const [{ version }, history] = await Promise.all([api.call('registry.getVersion', { name: this.name, version: this.number }), fullHistory(this.name)]);
      this.version = version;
      this.history = history;
      this.error = undefined;
      await this.#loadRun(version.runId);
    } catch (err) {
      if (err instanceof FlowdeskError && err.code === 'RESOURCE_DOES_NOT_EXIST') this.error = err.message;
      else if (this.version === undefined) this.error = err instanceof Error ? err.message : String(err);
      else reportError(`Loading version ${this.number} of '${this.name}'`, err);
    } finally {
      this.loaded = true;
    }
  }

  #edit(action: string, work: () => Promise<unknown>): Promise<boolean> {
    return edit(action, work, () => this.load());
  }

  async #loadRun(runId: string | undefined): Promise<void> {
    if (runId === undefined || this.runExperimentId !== undefined) return;
    try {
      const { run } = await api.call('runs.get', { runId });
      this.runName = run.info.runName;
      this.runExperimentId = run.info.experimentId;
    } catch (err) {
      // A purged run is expected history, not a failure: the page shows its id without a link.
      if (!(err instanceof FlowdeskError && err.code === 'RESOURCE_DOES_NOT_EXIST')) reportError('Loading the run of this version', err);
    }
  }

  describe(description: string): Promise<boolean> {
    return this.#edit('Saving the version description', () => api.call('registry.updateVersion', { name: this.name, version: this.number, description }));
  }

  setTag(key: string, value: string): Promise<boolean> {
    return this.#edit(`Setting the tag ${key}`, () => api.call('registry.setVersionTag', { name: this.name, version: this.number, key, value }));
  }

  deleteTag(key: string): Promise<boolean> {
    return this.#edit(`Deleting the tag ${key}`, () => api.call('registry.deleteVersionTag', { name: this.name, version: this.number, key }));
  }
}
