/**
 * Shared pieces of the MLflow translation layer: route registration under both of MLflow's
 * prefixes, calling the contract, and coercing MLflow's loosely typed request fields.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { MethodInput, MethodName, MethodOutput, MethodParsedInput } from '#core/api/contract.ts';
import { dispatch } from '#core/api/dispatch.ts';
import { FlowdeskError, invalid } from '#core/api/errors.ts';
import type { ServerContext } from './server-context.ts';
import { callerOf } from './auth.ts';

export const MLFLOW_PREFIXES = ['/api/2.0/mlflow', '/ajax-api/2.0/mlflow'] as const;

export type MlflowFields = Record<string, unknown>;
type Verb = 'GET' | 'POST' | 'PATCH' | 'DELETE' | 'PUT';

/**
 * Registers one MLflow RPC under `/api/2.0/mlflow` and `/ajax-api/2.0/mlflow`. The handler gets
 * the request's fields: the query string for GET, the JSON body otherwise (MLflow's DELETEs carry
 * bodies too); it returns the response object, `{}` for void RPCs.
 */
export function mlflowRoute(
  app: FastifyInstance,
  verbs: Verb | Verb[],
  path: string,
  handler: (fields: MlflowFields, request: FastifyRequest) => Promise<object>,
): void {
  for (const prefix of MLFLOW_PREFIXES) {
    app.route({
      method: verbs,
      url: `${prefix}${path}`,
      handler: async (request, reply) => {
        const fields = (request.method === 'GET' ? request.query : request.body) ?? {};
        if (typeof fields !== 'object' || Array.isArray(fields)) throw invalid('The request body must be a JSON object');
        const out = await handler(fields as MlflowFields, request);
        // A string with a JSON content type is sent as it is, without the reply serializer.
        return out instanceof JsonText ? reply.type('application/json').send(out.text) : out;
      },
    });
  }
}

/** A response body the core already wrote as MLflow's JSON (the large reads); routes return it as it is. */
export class JsonText {
  constructor(readonly text: string) {}
}

/**
 * Calls a contract method as the request's caller (auth.ts's `callerOf`), through `dispatch`, and
 * throws its error as a FlowdeskError. The caller is passed in rather than kept in
 * AsyncLocalStorage: under Node 20 that installs promise hooks that cost every promise of every
 * request (3–4% of a write's CPU). The output is not parsed against the contract again: it comes
 * from the core in this process, typed by `Handlers`, and the MLflow mappers copy it field by
 * field. That parse cost more than the query itself on large reads (100 ms for a 25,000-point
 * history page).
 */
export async function callContract<M extends MethodName>(context: ServerContext, request: FastifyRequest, name: M, input: MethodInput<M>): Promise<MethodOutput<M>> {
  const result = await dispatch(context.flowdesk.handlers, name, input, callerOf(request), context.reportInternal);
  if (!result.ok) throw FlowdeskError.fromData(result.error);
  return result.value as MethodOutput<M>;
}

/**
 * Calls a contract method as `callContract` does (the caller's access and the input checked
 * against the contract, in `dispatch`), but answers with `answer`'s text of the same read instead
 * of the method's entities: the MLflow routes' large reads, written straight from the catalog's
 * rows (Flowdesk.mlflowWire).
 */
export async function callContractAsJson<M extends MethodName>(
  context: ServerContext,
  request: FastifyRequest,
  name: M,
  input: MethodInput<M>,
  answer: (input: MethodParsedInput<M>) => Promise<string>,
): Promise<JsonText> {
  const handlers = { [name]: answer } as unknown as Parameters<typeof dispatch>[0];
  const result = await dispatch(handlers, name, input, callerOf(request), context.reportInternal);
  if (!result.ok) throw FlowdeskError.fromData(result.error);
  return new JsonText(result.value as string);
}

/** A required string field (`run_id` falls back to the deprecated `run_uuid` at the call site). */
export function requireString(fields: MlflowFields, name: string): string {
  const value = fields[name];
  if (value === undefined || value === null || value === '') throw invalid(`Missing value for required parameter '${name}'.`);
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  if (typeof value !== 'string') throw invalid(`Invalid value for parameter '${name}': expected a string`);
  return value;
}

export function optionalString(fields: MlflowFields, name: string): string | undefined {
  const value = fields[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number') return String(value);
  if (typeof value !== 'string') throw invalid(`Invalid value for parameter '${name}': expected a string`);
  return value;
}

/**
 * int64 fields arrive as JSON numbers or numeric strings (and as text in query strings). Only
 * plain decimal digits are a number: `Number` would also read " 12 ", "0x10", "0b11" and ""
 * (as 0), which protobuf's JSON parser in MLflow's server refuses.
 */
export function optionalInt(fields: MlflowFields, name: string): number | undefined {
  const value = fields[name];
  if (value === undefined || value === null) return undefined;
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n)) throw invalid(`Invalid value ${JSON.stringify(value)} for parameter '${name}': expected an integer`);
  return n;
}

export function optionalBool(fields: MlflowFields, name: string): boolean | undefined {
  const value = fields[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string' && /^(true|false)$/i.test(value)) return value.toLowerCase() === 'true';
  throw invalid(`Invalid value ${JSON.stringify(value)} for parameter '${name}': expected true or false`);
}

/** A repeated field: an array, or one occurrence in a query string. */
export function repeated(fields: MlflowFields, name: string): unknown[] {
  const value = fields[name];
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

/** The run id of a request: `run_id`, or the deprecated twin `run_uuid` that clients also send. */
export function runIdOf(fields: MlflowFields): string {
  return requireString(fields, fields.run_id !== undefined && fields.run_id !== '' ? 'run_id' : 'run_uuid');
}
