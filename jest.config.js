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
  // Checks that `npm run build` compiled the strict validators the tests use (see the file).
  globalSetup: '<rootDir>/test/support/validators-built.ts',
  maxWorkers: '100%',
};
