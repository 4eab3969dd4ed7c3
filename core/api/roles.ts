/**
 * The roles a person (a user of a team server) can hold. What each role may call is declared on
 * the contract methods themselves (access.ts); `owner`, the machine's owner, is not a user's role.
 */

/** `approver` implies `writer`, which implies `reader`. */
export const ROLES = ['reader', 'writer', 'approver'] as const;
export type Role = (typeof ROLES)[number];

/** Whether a text names a user's role. */
export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}
