/** The strict validator ships in the package (lib/tools/k8s-validator.ts); the tests use that one. */
export * from '../../lib/tools/k8s-validator';
