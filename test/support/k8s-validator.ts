/**
 * The strict validator the package ships (lib/app/k8s-validator.ts, loading what
 * `npm run build` compiled into build/validators) and the schema transforms the build applies
 * (scripts/build-validators.ts), for the tests.
 */
export * from '../../lib/app/k8s-validator';
export { loadCrdSchemas, translateGoPattern } from '../../scripts/build-validators';
