/**
 * The unit suite (`npm test` runs it beside the type check: scripts/test.js), one worker per core.
 * @type {import('jest').Config}
 */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest'] },
  moduleFileExtensions: ['ts', 'js', 'json'],
  // examples/ import the package by its name, as a user would (tsconfig.json `paths` does the same).
  moduleNameMapper: { '^cdk8s-mastodon$': '<rootDir>/lib/index.ts' },
  // Checks that `npm run build` compiled the strict validators, and gives the run a temporary
  // folder of its own that the teardown removes (see the files).
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  maxWorkers: '100%',
};
