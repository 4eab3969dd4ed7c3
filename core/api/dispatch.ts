/**
 * The one generic entry into the core: check that the caller may call the method (its declared
 * role and reach, access.ts), validate the input against the contract, call the handler with the
 * caller, and turn any failure into error data. IPC, HTTP and in-process callers all go through here.
 */
import type { z } from 'zod';
import { checkAccess, type Access, type Principal } from './access.ts';
import { contract, type Handlers } from './contract.ts';
import { FlowdeskError, type ErrorData } from './errors.ts';

export type DispatchResult = { ok: true; value: unknown } | { ok: false; error: ErrorData };

/** Describes a schema failure as "field: problem" so the caller sees which field is wrong. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.length ? issue.path.join('.') : 'input'}: ${issue.message}`)
    .join('; ');
}

/**
 * Calls one contract method as `caller`. A caller the method's access refuses gets
 * PERMISSION_DENIED before its input is read; unknown names and invalid input become
 * ENDPOINT_NOT_FOUND or INVALID_PARAMETER_VALUE; unknown failures become INTERNAL_ERROR, reported
 * to `onInternalError` (which logs the stack) and shown to the caller with a plain message.
 */
export async function dispatch(
  handlers: Handlers,
  name: string,
  input: unknown,
  caller: Principal,
  onInternalError: (err: unknown) => void,
): Promise<DispatchResult> {
  return dispatchIn(contract, handlers, name, input, caller, onInternalError);
}

/** A table of methods with schemas and access, as `contract` is; the desktop shell has a second one. */
export type MethodTable = Record<string, { input: z.ZodType; output: z.ZodType; access: Access }>;

/** `dispatch` over any method table and its handlers. */
export async function dispatchIn<T extends MethodTable>(
  table: T,
  handlers: { [M in keyof T]: (input: z.output<T[M]['input']>, caller: Principal) => Promise<unknown> },
  name: string,
  input: unknown,
  caller: Principal,
  onInternalError: (err: unknown) => void,
): Promise<DispatchResult> {
  if (!Object.hasOwn(table, name)) {
    return { ok: false, error: { code: 'ENDPOINT_NOT_FOUND', message: `Unknown method '${name}'` } };
  }
  const spec = table[name]!;
  try {
    checkAccess(name, spec.access, caller);
  } catch (err) {
    return { ok: false, error: toErrorData(err, onInternalError) };
  }
  const parsed = spec.input.safeParse(input ?? {});
  if (!parsed.success) {
    return {
      ok: false,
      error: { code: 'INVALID_PARAMETER_VALUE', message: `Invalid input for ${name}: ${describeIssues(parsed.error)}` },
    };
  }
  try {
    const handler = handlers[name] as (input: unknown, caller: Principal) => Promise<unknown>;
    return { ok: true, value: await handler(parsed.data, caller) };
  } catch (err) {
    return { ok: false, error: toErrorData(err, onInternalError) };
  }
}

/** Error data for any thrown value; anything that is not a FlowdeskError is an internal error. */
export function toErrorData(err: unknown, onInternalError: (err: unknown) => void): ErrorData {
  if (err instanceof FlowdeskError) return err.toData();
  onInternalError(err);
  return { code: 'INTERNAL_ERROR', message: 'Internal error; the details are in the Flowdesk log' };
}
