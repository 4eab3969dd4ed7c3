/**
 * Who may call what, and from where. Every contract method declares an `Access` beside its
 * schemas (the `method` builder requires one), and so does every artifact-store route that
 * streams bytes without a contract method (`STORE_ACCESS`). `dispatch` checks the caller's
 * principal against the declaration with `checkAccess`, the one place that compares roles, for
 * every transport: IPC, HTTP (our API and the MLflow routes), the SDK and in-process callers.
 *
 * Principals by transport:
 * - the desktop window (IPC) and the engine's own callers (in-process) are the machine's owner;
 * - HTTP callers are whoever their token names: the owner token (`--token`) is the owner, a user
 *   token its user with their role; an open loopback server (no users, no token) treats every
 *   caller as the owner, as the laptop's own scripts are;
 * - an HTTP call to a team server (one listening beyond loopback, or one with users) is marked
 *   `team`, and methods that act on the machine refuse it whatever the role.
 */
import { FlowdeskError } from './errors.ts';

/**
 * What a method needs, lowest first: `reader` reads, `writer` also writes, `approver` also decides
 * protected moves, `owner` (the machine's owner, never a user) also reads and changes the settings
 * and acts on the machine.
 */
export const ACCESS_ROLES = ['reader', 'writer', 'approver', 'owner'] as const;
export type AccessRole = (typeof ACCESS_ROLES)[number];

/**
 * Where a method may be called from, narrowest first: `window` only by this machine's own window
 * (IPC) and in-process callers; `local` also over HTTP on a loopback server that is not a team
 * server (the owner's scripts); `team` also on a team server.
 */
export const REACHES = ['window', 'local', 'team'] as const;
export type Reach = (typeof REACHES)[number];

/** A method's declaration of who may call it and from where. */
export interface Access {
  role: AccessRole;
  reach: Reach;
}

/** Reads: anyone signed in, anywhere. */
export const TEAM_READ: Access = { role: 'reader', reach: 'team' };
/** Logging and changing data: writers, anywhere. */
export const TEAM_WRITE: Access = { role: 'writer', reach: 'team' };
/** Deciding protected moves: approvers, anywhere. */
export const TEAM_APPROVE: Access = { role: 'approver', reach: 'team' };
/** The owner's own data (settings, token): the owner, also with the owner token on a team server. */
export const OWNER: Access = { role: 'owner', reach: 'team' };
/** Acting on this machine (running commands, serving, reading paths or URLs): the owner, never on a team server. */
export const OWNER_LOCAL: Access = { role: 'owner', reach: 'local' };
/** The desktop shell's own calls (dialogs, dropped paths, the team link): the owner's window only. */
export const OWNER_WINDOW: Access = { role: 'owner', reach: 'window' };

/** How a call arrived. */
export type Transport = 'in-process' | 'ipc' | 'http';

/** Who is calling, and how. */
export interface Principal {
  role: AccessRole;
  /** A signed-in user's name; absent for the owner, whose calls may name an actor themselves. */
  name?: string;
  via: Transport;
  /** For HTTP: whether the server is a team server (listens beyond loopback, or has users). */
  team: boolean;
}

/** The machine's owner calling from inside the engine (the project runner, migrations, tests). */
export const IN_PROCESS_OWNER: Principal = { role: 'owner', via: 'in-process', team: false };
/** The machine's owner in the desktop window, over IPC. */
export const WINDOW_OWNER: Principal = { role: 'owner', via: 'ipc', team: false };

/** Whether a principal's place is within a reach. */
function within(principal: Principal, reach: Reach): boolean {
  if (principal.via !== 'http') return true;
  if (reach === 'window') return false;
  return reach === 'team' || !principal.team;
}

function describe(principal: Principal): string {
  return principal.name === undefined ? `The ${principal.role}` : `User '${principal.name}' (${principal.role})`;
}

const REACH_TEXT: Record<Reach, string> = {
  window: "only from this machine's Flowdesk window",
  local: "only on this machine: from its window, or over a loopback server without users",
  team: 'anywhere',
};

/**
 * Refuses (PERMISSION_DENIED) a principal that may not do `what`, declared as `access`: a role
 * too low, or a place beyond the declared reach. The one place where roles are compared.
 */
export function checkAccess(what: string, access: Access, principal: Principal): void {
  if (!within(principal, access.reach)) {
    throw new FlowdeskError('PERMISSION_DENIED', `${describe(principal)} may not call ${what} over HTTP${principal.team ? ' on a team server' : ''}: it may be called ${REACH_TEXT[access.reach]}`);
  }
  if (ACCESS_ROLES.indexOf(principal.role) < ACCESS_ROLES.indexOf(access.role)) {
    throw new FlowdeskError('PERMISSION_DENIED', `${describe(principal)} may not call ${what}: it needs the ${access.role} role`);
  }
}

/**
 * The artifact-store routes that stream bytes without a contract method (MLflow's artifact proxy,
 * the web UI's download and upload helpers): declared here like contract methods, and checked by
 * `checkAccess` under these names.
 */
export const STORE_ACCESS = {
  /** Downloading and listing artifact files. */
  'artifactStore.read': TEAM_READ,
  /** Uploading an artifact file (a PUT to the proxy, the UI's upload helper, multipart uploads). */
  'artifactStore.write': TEAM_WRITE,
  /** Deleting an artifact file or folder through the proxy. */
  'artifactStore.delete': TEAM_WRITE,
} as const satisfies Record<string, Access>;
export type StoreAction = keyof typeof STORE_ACCESS;
