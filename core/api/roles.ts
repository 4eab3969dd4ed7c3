/**
 * Who may call what on a team server: the role each contract method needs. One table, checked
 * by the compiler (`satisfies` fails when a method is missing) and by a test, so a new method
 * cannot be added without deciding who may call it. The MLflow routes translate onto these
 * methods and are checked at the method they call; the few routes that reach the artifact store
 * directly name their role in core/server/auth.ts.
 */
import type { MethodName } from './contract.ts';

/** `approver` implies `writer`, which implies `reader`. */
export const ROLES = ['reader', 'writer', 'approver'] as const;
export type Role = (typeof ROLES)[number];

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

/** Whether a holder of `held` may do what needs `needed`. */
export function roleAllows(held: Role, needed: Role): boolean {
  return ROLES.indexOf(held) >= ROLES.indexOf(needed);
}

const R = 'reader';
const W = 'writer';
const A = 'approver';

export const METHOD_ROLES = {
  'experiments.create': W,
  'experiments.get': R,
  'experiments.getByName': R,
  'experiments.search': R,
  'experiments.rename': W,
  'experiments.delete': W,
  'experiments.restore': W,
  'experiments.diskUsage': R,
  'experiments.setTag': W,
  'experiments.deleteTag': W,
  'runs.create': W,
  'runs.get': R,
  'runs.update': W,
  'runs.delete': W,
  'runs.restore': W,
  'runs.logBatch': W,
  'runs.logMetric': W,
  'runs.logParam': W,
  'runs.setTag': W,
  'runs.deleteTag': W,
  'runs.logInputs': W,
  'runs.logModel': W,
  'runs.search': R,
  'runs.logOutputs': W,
  'runs.logModelInputs': W,
  'metrics.history': R,
  'metrics.sampled': R,
  'artifacts.list': R,
  'artifacts.delete': W,
  'trash.list': R,
  'trash.purge': W,
  'loggedModels.create': W,
  'loggedModels.get': R,
  'loggedModels.finalize': W,
  'loggedModels.delete': W,
  'loggedModels.search': R,
  'loggedModels.setTags': W,
  'loggedModels.deleteTag': W,
  'loggedModels.logParams': W,
  'loggedModels.logMetrics': W,
  'loggedModels.listArtifacts': R,
  'registry.createModel': W,
  'registry.getModel': R,
  'registry.renameModel': W,
  'registry.updateModel': W,
  'registry.deleteModel': W,
  'registry.setModelTag': W,
  'registry.deleteModelTag': W,
  'registry.searchModels': R,
  'registry.latestVersions': R,
  'registry.createVersion': W,
  'registry.getVersion': R,
  'registry.updateVersion': W,
  'registry.deleteVersion': W,
  'registry.setVersionTag': W,
  'registry.deleteVersionTag': W,
  'registry.searchVersions': R,
  'registry.downloadUri': R,
  'registry.resolve': R,
  'registry.versionsOfRun': R,
  // Moving an alias or stage that is protected becomes a request (the registry decides that);
  // a writer may ask, only an approver may decide.
  'registry.setAlias': W,
  'registry.deleteAlias': W,
  'registry.getVersionByAlias': R,
  'registry.transitionStage': W,
  'registry.getProtection': R,
  'registry.setProtection': A,
  'registry.listRequests': R,
  'registry.getRequest': R,
  'registry.approveRequest': A,
  'registry.rejectRequest': A,
  'registry.cancelRequest': W,
  'registry.history': R,
  'projects.inspect': R,
  'projects.validate': R,
  'projects.run': W,
  'projects.log': R,
  'projects.cancel': W,
  'runs.keys': R,
  'runs.groups': R,
  'runs.childCounts': R,
  'models.describe': R,
  'models.find': R,
  'models.listInRun': R,
  'models.servers': R,
  // Serving starts a process on the server's machine: a writer's act, like running a project.
  'models.serve': W,
  'models.stopServing': W,
  'settings.get': R,
  // The settings decide the port and whether a token is required: only the highest role.
  'settings.update': A,
  // Says only whether running is on; projects.run and models.serve carry their own roles.
  'execution.policy': R,
} as const satisfies Record<MethodName, Role>;
