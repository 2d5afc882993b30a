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
  // Checks that `npm run build` compiled the strict validators the tests use (see the file).
  globalSetup: '<rootDir>/test/support/validators-built.ts',
  maxWorkers: '100%',
};
