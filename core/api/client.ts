/**
 * The typed client of the contract over any transport. In the renderer the transport is IPC or
 * HTTP; in Node scripts the HTTP flavour is Flowdesk's TypeScript SDK.
 */
import { contract, type MethodInput, type MethodName, type MethodOutput } from './contract.ts';
import { FlowdeskError } from './errors.ts';
import type { DispatchResult } from './dispatch.ts';

/** Sends one call and returns the dispatch result; how it travels is the transport's business. */
export type Transport = (name: MethodName, input: unknown) => Promise<DispatchResult>;

export type Client = {
  call<M extends MethodName>(name: M, input: MethodInput<M>): Promise<MethodOutput<M>>;
};

export function createClient(transport: Transport): Client {
  return {
    async call(name, input) {
      const result = await transport(name, input);
      if (!result.ok) throw FlowdeskError.fromData(result.error);
      // Parsing the output revives non-finite metric values that travelled as strings.
      return contract[name].output.parse(result.value) as never;
    },
  };
}
