/**
 * The integration suite: real servers (Postgres, PgBouncer, Redis, nginx, promtool, Sidekiq's
 * option parser) from Debian's packages, started on 127.0.0.1 with random ports. One worker,
 * because the machine has 2 cores and the servers are the slow part.
 * @type {import('jest').Config}
 */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test/integration'],
  testMatch: ['**/*.itest.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest'] },
  moduleFileExtensions: ['ts', 'js', 'json'],
  globalSetup: '<rootDir>/test/integration/support/global-setup.ts',
  maxWorkers: 1,
  testTimeout: 120000,
};
