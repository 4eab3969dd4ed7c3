import { defineConfig } from 'vitest/config';

/**
 * The behaviour suites of the server, search, registry and tracking run a second time with the
 * catalog in PostgreSQL (test/helpers/postgres.ts) when FLOWDESK_TEST_POSTGRES_URL names a server;
 * .ci/run starts one. Without it that project runs only a test that says why it did not run.
 */
const POSTGRES_SUITES = ['test/contract/**/*.test.ts', 'test/search/**/*.test.ts', 'test/registry/**/*.test.ts', 'test/tracking/**/*.test.ts', 'test/server/**/*.test.ts', 'test/tracing/**/*.test.ts', 'test/runs-table/**/*.test.ts', 'test/postgres/**/*.test.ts', 'test/models/**/*.test.ts', 'test/sdk/**/*.test.ts'];
/** Suites about SQLite itself (its file, its crash recovery) or that need it as a file. */
const SQLITE_ONLY = ['test/tracking/crash.test.ts', 'test/postgres/not-run.test.ts'];
/**
 * Left out of the second run for its cost, not its catalog: MLflow's own `models serve` per case
 * reads the model files, and the catalog it touches is what serving.test.ts covers on PostgreSQL;
 * the package test packs and type-checks the SDK, which no catalog changes.
 */
const ONCE_IS_ENOUGH = ['test/models/python-serving.test.ts', 'test/sdk/package.test.ts'];
const withPostgres = Boolean(process.env.FLOWDESK_TEST_POSTGRES_URL);

export default defineConfig({
  test: {
    // Real SQLite files and real servers: give slow disks room, never assert on wall-clock time.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // A window's first paint or a live update can take seconds on a loaded CI machine; vitest's
    // 1 s default for expect.poll made e2e tests fail on load, not on behaviour.
    expect: { poll: { timeout: 15_000 } },
    pool: 'forks',
    globalSetup: ['test/helpers/not-run-notices.ts', 'test/helpers/build-cli.ts'],
    projects: [
      {
        extends: true,
        test: {
          name: 'sqlite',
          include: ['test/**/*.test.ts'],
          exclude: ['test/postgres/**'],
          // Type tests (*.test-d.ts): the compiler checks them, and each `it` passes or fails by its errors.
          typecheck: { enabled: true, include: ['test/**/*.test-d.ts'], tsconfig: 'tsconfig.json' },
        },
      },
      withPostgres
        ? {
            extends: true,
            test: {
              name: 'postgres',
              include: POSTGRES_SUITES,
              exclude: [...SQLITE_ONLY, ...ONCE_IS_ENOUGH],
              env: { FLOWDESK_TEST_CATALOG: 'postgres' },
              // The database server shares the CPUs with the test's own client processes.
              testTimeout: 180_000,
            },
          }
        : { extends: true, test: { name: 'postgres', include: ['test/postgres/not-run.test.ts'] } },
    ],
  },
});
