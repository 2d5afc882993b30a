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
  // Fills the validator and helm caches once before the test files start (see the file).
  globalSetup: '<rootDir>/test/support/warm-caches.ts',
  maxWorkers: '100%',
};
