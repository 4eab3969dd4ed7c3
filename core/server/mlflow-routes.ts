/** MLflow tracking REST API routes (experiments, runs, metrics, artifacts list). */
import type { FastifyInstance } from 'fastify';
import type { ServerContext } from './server.ts';

export async function registerMlflowRoutes(_app: FastifyInstance, _context: ServerContext): Promise<void> {}
