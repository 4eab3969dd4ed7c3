/**
 * Fastify's schema compilers, replaced by ones that refuse: Flowdesk's servers validate requests
 * with the contract's zod schemas and MLflow's own field reading, never with Fastify route schemas.
 * Given to Fastify, these keep it from loading its defaults (Ajv and fast-json-stringify), which
 * the CLI bundle then leaves out: ~560 KB less JavaScript for every `flowdesk serve` to compile.
 */
import type { FastifyServerOptions } from 'fastify';

function refuse(what: string): never {
  throw new Error(`Fastify ${what} are not used by Flowdesk's servers: check requests with the contract instead`);
}

/** The `schemaController` option for `Fastify(...)`: a route given a schema fails to register. */
export const NO_SCHEMA_COMPILERS: NonNullable<FastifyServerOptions['schemaController']> = {
  compilersFactory: {
    buildValidator: () => () => refuse('validation schemas'),
    buildSerializer: () => () => refuse('response schemas'),
  },
};
