/** The MLflow artifact proxy: streamed upload, download, listing and delete. */
import type { FastifyInstance } from 'fastify';
import type { ServerContext } from './server.ts';

export async function registerArtifactRoutes(_app: FastifyInstance, _context: ServerContext): Promise<void> {}
