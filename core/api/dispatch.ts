/**
 * The one generic entry into the core: validate the input against the contract, call the
 * handler, and turn any failure into error data. IPC and HTTP both go through here.
 */
import type { z } from 'zod';
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
 * Calls one contract method. Unknown names and invalid input become INVALID_PARAMETER_VALUE or
 * ENDPOINT_NOT_FOUND; unknown failures become INTERNAL_ERROR, reported to `onInternalError`
 * (which logs the stack) and shown to the caller with a plain message.
 */
export async function dispatch(
  handlers: Handlers,
  name: string,
  input: unknown,
  onInternalError: (err: unknown) => void,
): Promise<DispatchResult> {
  return dispatchIn(contract, handlers, name, input, onInternalError);
}

/** A table of methods with schemas, as `contract` is; the desktop shell has a second one. */
export type MethodTable = Record<string, { input: z.ZodType; output: z.ZodType }>;

/** `dispatch` over any method table and its handlers. */
export async function dispatchIn<T extends MethodTable>(
  table: T,
  handlers: { [M in keyof T]: (input: z.output<T[M]['input']>) => Promise<unknown> },
  name: string,
  input: unknown,
  onInternalError: (err: unknown) => void,
): Promise<DispatchResult> {
  if (!Object.hasOwn(table, name)) {
    return { ok: false, error: { code: 'ENDPOINT_NOT_FOUND', message: `Unknown method '${name}'` } };
  }
  const spec = table[name]!;
  const parsed = spec.input.safeParse(input ?? {});
  if (!parsed.success) {
    return {
      ok: false,
      error: { code: 'INVALID_PARAMETER_VALUE', message: `Invalid input for ${name}: ${describeIssues(parsed.error)}` },
    };
  }
  try {
    const handler = handlers[name] as (input: unknown) => Promise<unknown>;
    return { ok: true, value: await handler(parsed.data) };
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
