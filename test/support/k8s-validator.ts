/**
 * The strict validator ships in the package (lib/tools/k8s-validator.ts); the tests use that one,
 * with its compiled validators kept in node_modules/.cache between test files and runs (compiling
 * one Kubernetes version's schemas costs seconds in every test file that validates).
 */
import * as path from 'path';
import { K8sValidator as ShippedValidator, K8sValidatorOptions, K8sVersion } from '../../lib/tools/k8s-validator';

export * from '../../lib/tools/k8s-validator';

/** Where the tests keep compiled validators. */
export const VALIDATOR_CACHE = path.join(__dirname, '..', '..', 'node_modules', '.cache', 'cdk8s-mastodon', 'k8s-validator');

/** The shipped validator with the tests' cache folder. */
export class K8sValidator extends ShippedValidator {
  constructor(version: K8sVersion, options: K8sValidatorOptions = {}) {
    super(version, { cacheDir: VALIDATOR_CACHE, ...options });
  }
}
