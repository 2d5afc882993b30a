/**
 * The unit suite (`npm test` runs it beside the type check and check-dist: scripts/test.js).
 * Workers: jest's default (cores - 1, so in band on 2 cores); the second core runs the type check.
 * Measured from cold on 2 cores under load: --maxWorkers=2 used 146 s of CPU against 133 s for
 * one worker (each worker loads the library again), and was not faster.
 * @type {import('jest').Config}
 */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest'] },
  moduleFileExtensions: ['ts', 'js', 'json'],
};
