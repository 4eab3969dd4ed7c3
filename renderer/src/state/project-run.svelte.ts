/**
 * The Run project view's state: the form (a project read through `projects.inspect`, its
 * parameters checked by core through `projects.validate` as the person types) and the live log of
 * the run it started (`projects.log`, polled while the run lasts). Both live as long as the
 * window, so the log keeps going while the person looks at other views.
 */
import { FlowdeskError } from '#core/api/errors.ts';
import type { LogChunk, ParamIssue, ProjectEntryPoint, ProjectInfo, ProjectRunState } from '#core/api/projects-entities.ts';
import { api } from './api.ts';
import { requestOf, splitParams, valuesFromRun, type ProjectFormValues } from '#renderer/lib/project-form.ts';
import { reportError } from './toasts.svelte.ts';

/** Pause after typing before core checks the parameters. */
const CHECK_DELAY_MS = 250;
/** How often a running project's output is fetched. */
const POLL_MS = 400;

const emptyValues = (): ProjectFormValues => ({ uri: '', entryPoint: '', command: '', params: {}, extras: [], envManager: '', experimentId: '0' });

const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));

class ProjectForm {
  values = $state<ProjectFormValues>(emptyValues());
  project = $state.raw<ProjectInfo | undefined>(undefined);
  /** The folder or URL the shown project was read from. */
  openedUri = $state('');
  inspecting = $state(false);
  /** Why the project could not be read, shown under its field. */
  inspectError = $state<string | undefined>(undefined);
  /** Problems core found with the parameters, each naming its field where it can. */
  issues = $state.raw<ParamIssue[]>([]);
  /** The command that will run, from core, once the parameters are right. */
  preview = $state<string | undefined>(undefined);
  /** A failure of the check itself (the folder went away, say). */
  checkError = $state<string | undefined>(undefined);
  starting = $state(false);
  /** The run this form was prefilled from ("Run again"). */
  from = $state<string | undefined>(undefined);

  entry = $derived<ProjectEntryPoint | undefined>(this.project?.entryPoints.find((e) => e.name === this.values.entryPoint));
  /** A folder without MLproject, run with a command of the person's own. */
  commandMode = $derived(this.project !== undefined && !this.project.hasMLproject && this.entry === undefined);
  canRun = $derived(this.project !== undefined && !this.starting && !this.inspecting && this.issues.length === 0 && this.preview !== undefined);

  #checkTimer: ReturnType<typeof setTimeout> | undefined;
  #checkSeq = 0;

  /** Reads the project at `values.uri`, keeping parameter values that still apply. */
  async open(given: Record<string, string> = { ...this.values.params, ...Object.fromEntries(this.values.extras.map((e) => [e.key, e.value])) }): Promise<void> {
    const uri = this.values.uri.trim();
    if (uri === '') {
      this.inspectError = 'Give a project folder or a git URL.';
      return;
    }
    this.inspecting = true;
    this.inspectError = undefined;
    try {
      const { project } = await api.call('projects.inspect', { uri });
      this.project = project;
      this.openedUri = uri;
      const names = project.entryPoints.map((e) => e.name);
      if (!names.includes(this.values.entryPoint) && !(this.values.entryPoint === '' && !project.hasMLproject)) {
        this.values.entryPoint = names.includes('main') ? 'main' : (names[0] ?? '');
      }
      Object.assign(this.values, splitParams(this.entry, given));
      this.check();
    } catch (err) {
      this.project = undefined;
      this.inspectError = messageOf(err);
    } finally {
      this.inspecting = false;
    }
  }

  /** Fills the form from an earlier project run, editable before it runs again. */
  async prefill(runId: string): Promise<void> {
    this.from = runId;
    // The form shows again once the project is read: edits made before would be overwritten.
    this.project = undefined;
    this.inspecting = true;
    try {
      const { run } = await api.call('runs.get', { runId });
      this.values = valuesFromRun(run);
    } catch (err) {
      this.inspecting = false;
      reportError('Loading the run to run again', err);
      return;
    }
    await this.open({ ...this.values.params });
  }

  /** Another entry point: its own parameters, with the defaults. */
  chooseEntryPoint(name: string): void {
    this.values.entryPoint = name;
    Object.assign(this.values, splitParams(this.entry, {}));
    this.check();
  }

  /** Asks core, shortly after the last change, whether the parameters are right. */
  check(): void {
    clearTimeout(this.#checkTimer);
    this.#checkTimer = setTimeout(() => void this.#checkNow(), CHECK_DELAY_MS);
  }

  async #checkNow(): Promise<void> {
    if (!this.project) return;
    const seq = ++this.#checkSeq;
    try {
      const result = await api.call('projects.validate', requestOf({ ...this.values, uri: this.openedUri }, this.entry));
      // An answer to an older check must not overwrite a newer one.
      if (seq !== this.#checkSeq) return;
      this.issues = result.issues;
      this.preview = result.command;
      this.checkError = undefined;
    } catch (err) {
      if (seq !== this.#checkSeq) return;
      this.issues = [];
      this.preview = undefined;
      this.checkError = messageOf(err);
    }
  }

  /** The problem with one parameter, if any. */
  issueOf(name: string): string | undefined {
    return this.issues.find((i) => i.param === name)?.message;
  }

  /** Starts the run; the log follows it. */
  async run(): Promise<void> {
    if (!this.project) return;
    this.starting = true;
    try {
      const { state } = await api.call('projects.run', requestOf({ ...this.values, uri: this.openedUri }, this.entry));
      projectLog.follow(state);
    } catch (err) {
      // A parameter problem belongs next to the fields; anything else is a failure to report.
      if (err instanceof FlowdeskError && err.code === 'INVALID_PARAMETER_VALUE') {
        this.checkError = err.message;
        this.check();
      } else reportError('Running the project', err);
    } finally {
      this.starting = false;
    }
  }
}

class ProjectLog {
  state = $state.raw<ProjectRunState | undefined>(undefined);
  chunks = $state.raw<LogChunk[]>([]);
  /** Whether the oldest output no longer fits in memory and is only in the saved log. */
  truncated = $state(false);
  cancelling = $state(false);
  #next = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;

  /** Shows the output of a run that just started, as it arrives. */
  follow(state: ProjectRunState): void {
    clearTimeout(this.#timer);
    this.state = state;
    this.chunks = [];
    this.truncated = false;
    this.#next = 0;
    void this.#poll(state.runId);
  }

  async #poll(runId: string): Promise<void> {
    try {
      const page = await api.call('projects.log', { runId, after: this.#next });
      if (this.state?.runId !== runId) return;
      this.state = page.state;
      if (page.chunks.length > 0) this.chunks = [...this.chunks, ...page.chunks];
      this.truncated ||= page.truncated;
      this.#next = page.next;
      if (page.state.phase !== 'done') this.#timer = setTimeout(() => void this.#poll(runId), POLL_MS);
    } catch (err) {
      reportError('Following the output of the run', err);
    }
  }

  async cancel(): Promise<void> {
    if (!this.state) return;
    this.cancelling = true;
    try {
      await api.call('projects.cancel', { runId: this.state.runId });
    } catch (err) {
      reportError('Stopping the run', err);
    } finally {
      this.cancelling = false;
    }
  }
}

/** The window's one project form. */
export const projectForm = new ProjectForm();
/** The log of the project run the form started last. */
export const projectLog = new ProjectLog();
