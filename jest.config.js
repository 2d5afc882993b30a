/**
 * The unit suite (`npm test` runs it beside the type check: scripts/test.js).
 * Workers: one per core. Measured from cold on 2 cores (load average 3-4, others working):
 * two workers 80 s wall / 129 s CPU, one worker (jest's default there) 103 s wall / 114 s CPU.
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
