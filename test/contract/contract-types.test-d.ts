/**
 * Type tests for the contract and the SDK's public types, checked by the compiler (Vitest's
 * typecheck mode, and `npm run typecheck`): what a caller may pass and gets back, as the zod
 * schemas declare it, and what `flowdesk/sdk` publishes from dist/ (its built declarations, as a
 * user's editor sees them). A schema change that alters a shape fails here before any caller.
 */
import { describe, expectTypeOf, it } from 'vitest';
import type { Access, AccessRole, Principal, Reach } from '#core/api/access.ts';
import type { Client } from '#core/api/client.ts';
import { contract, type Handlers, type MethodInput, type MethodName, type MethodOutput, type MethodParsedInput } from '#core/api/contract.ts';
import type { ErrorCode, ErrorData } from '#core/api/errors.ts';
import { connect, findServer, FlowdeskClient, RunLogger, type ConnectOptions, type StartRunOptions } from 'flowdesk/sdk';

describe('the contract types', () => {
  it('names exactly the contract table keys as methods', () => {
    expectTypeOf<MethodName>().toEqualTypeOf<keyof typeof contract>();
    expectTypeOf<'experiments.create'>().toExtend<MethodName>();
    expectTypeOf<'experiments.nope'>().not.toExtend<MethodName>();
  });

  it('declares an access of a known role and reach on every method', () => {
    expectTypeOf<(typeof contract)[MethodName]['access']>().toEqualTypeOf<Access>();
    expectTypeOf<Access>().toEqualTypeOf<{ role: AccessRole; reach: Reach }>();
    expectTypeOf<AccessRole>().toEqualTypeOf<'reader' | 'writer' | 'approver' | 'owner'>();
  });

  it('takes optional fields as optional and required ones as required', () => {
    expectTypeOf<MethodInput<'runs.create'>>().toEqualTypeOf<{
      experimentId?: string | undefined;
      runName?: string | undefined;
      startTime?: number | undefined;
      userId?: string | undefined;
      tags?: { key: string; value: string }[] | undefined;
    }>();
    expectTypeOf<{ runId: string; key: string; value: string }>().toExtend<MethodInput<'runs.logParam'>>();
    expectTypeOf<{ runId: string; key: string }>().not.toExtend<MethodInput<'runs.logParam'>>();
    expectTypeOf<{ name: number }>().not.toExtend<MethodInput<'experiments.create'>>();
  });

  it('answers the declared output shapes', () => {
    expectTypeOf<MethodOutput<'experiments.create'>>().toEqualTypeOf<{ experimentId: string }>();
    expectTypeOf<MethodOutput<'runs.get'>['run']['data']['metrics'][number]>().toEqualTypeOf<{ key: string; value: number; timestamp: number; step: number }>();
    expectTypeOf<MethodOutput<'runs.delete'>>().toEqualTypeOf<Record<string, never>>();
    expectTypeOf<MethodOutput<'runs.search'>['nextPageToken']>().toEqualTypeOf<string | undefined>();
  });

  it('hands handlers the parsed input, with defaults filled, and the caller', () => {
    expectTypeOf<Parameters<Handlers['runs.logBatch']>[0]>().toEqualTypeOf<MethodParsedInput<'runs.logBatch'>>();
    expectTypeOf<Parameters<Handlers['runs.logBatch']>[1]>().toEqualTypeOf<Principal | undefined>();
    expectTypeOf<MethodParsedInput<'runs.logInputs'>['datasets']>().exclude<undefined>().items.toHaveProperty('tags').toEqualTypeOf<{ key: string; value: string }[]>();
  });

  it('types a client call by its method name', () => {
    expectTypeOf<Client['call']>().toBeFunction();
    expectTypeOf<ReturnType<Client['call']>>().toEqualTypeOf<Promise<MethodOutput<MethodName>>>();
    const call = (api: Client) => api.call('experiments.getByName', { name: 'x' });
    expectTypeOf(call).returns.resolves.toEqualTypeOf<MethodOutput<'experiments.getByName'>>();
  });

  it('carries error data with a known code', () => {
    expectTypeOf<ErrorData['code']>().toEqualTypeOf<ErrorCode>();
    expectTypeOf<'PERMISSION_DENIED'>().toExtend<ErrorCode>();
  });
});

describe('the SDK public types', () => {
  it('connects with options to a FlowdeskClient', () => {
    expectTypeOf(connect).parameters.toEqualTypeOf<[options?: ConnectOptions]>();
    expectTypeOf(connect).returns.toEqualTypeOf<FlowdeskClient>();
    expectTypeOf(findServer).returns.toBeString();
  });

  it('starts a run that logs params, tags and metrics', () => {
    expectTypeOf<FlowdeskClient['startRun']>().parameters.toEqualTypeOf<[options?: StartRunOptions]>();
    expectTypeOf<FlowdeskClient['startRun']>().returns.resolves.toEqualTypeOf<RunLogger>();
    expectTypeOf<RunLogger['logParams']>().parameter(0).toEqualTypeOf<Record<string, string | number | boolean>>();
    expectTypeOf<RunLogger['logMetric']>().returns.toBeVoid();
    expectTypeOf<RunLogger['setTag']>().returns.resolves.toBeVoid();
  });

  it('traces a function and answers its own result', () => {
    const traced = (client: FlowdeskClient) => client.trace('step', async () => 42);
    expectTypeOf(traced).returns.resolves.toBeNumber();
  });
});
