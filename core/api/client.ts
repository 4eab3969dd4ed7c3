/**
 * The typed client of the contract over any transport. In the renderer the transport is IPC or
 * HTTP; in Node scripts the HTTP flavour is Flowdesk's TypeScript SDK.
 */
import type { MethodInput, MethodName, MethodOutput } from './contract.ts';
import { FlowdeskError } from './errors.ts';
import type { DispatchResult } from './dispatch.ts';

/** Sends one call and returns the dispatch result; how it travels is the transport's business. */
export type Transport = (name: MethodName, input: unknown) => Promise<DispatchResult>;

export type Client = {
  call<M extends MethodName>(name: M, input: MethodInput<M>): Promise<MethodOutput<M>>;
};

// The contract's schemas (and zod under them) are loaded on the first call, alongside its request,
// not when the client is made: the window's first view then does not wait to parse them before
// it can draw, and the first answer rarely arrives before they are ready.
let contractModule: Promise<typeof import('./contract.ts')> | undefined;

/** A client that sends calls through `transport` and checks each answer against the contract. */
export function createClient(transport: Transport): Client {
  return {
    async call(name, input) {
      contractModule ??= import('./contract.ts');
      const [result, { contract }] = await Promise.all([transport(name, input), contractModule]);
      if (!result.ok) throw FlowdeskError.fromData(result.error);
      // Parsing the output revives non-finite metric values that travelled as strings.
      return contract[name].output.parse(result.value) as never;
    },
  };
}
