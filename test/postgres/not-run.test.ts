import { describe, expect, it } from 'vitest';

/**
 * Stands in for the PostgreSQL suites when no server is configured, so a run without them says so
 * instead of passing quietly. CI (.ci/run) always sets FLOWDESK_TEST_POSTGRES_URL.
 */
describe('PostgreSQL suites', () => {
  it('did not run: FLOWDESK_TEST_POSTGRES_URL is not set (.ci/run starts a PostgreSQL and sets it)', () => {
    console.log('PostgreSQL suites did not run: FLOWDESK_TEST_POSTGRES_URL is not set (.ci/run starts a PostgreSQL and sets it).');
    expect(process.env.FLOWDESK_TEST_POSTGRES_URL ?? '').toBe('');
  });
});
