/**
 * What the commands test, plan, routes and secrets use from the library. `lib()` in cli/common.ts
 * loads this module only when one of them runs: `synth` runs main.ts in a child process that
 * loads the library itself, and loading it in the parent too would only add to its time.
 */
export { formatErrors, formatPlan, loadConfigFile, nodesFromInventory, plan } from '../lib';
export { formatPublicRoutes } from '../lib/rules/public-routes';
export { renderManifests } from '../lib/app/render';
export { guardAgainstCommit } from '../lib/app/change-guard';
export { renderMastodonSecret } from '../lib/app/secrets';
export { secretSkeletons } from '../lib/rules/secret-refs';
