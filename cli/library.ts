/**
 * What the commands test, plan, routes and secrets use from the library. cli/cdk8s-mastodon.ts
 * loads this module only when one of them runs: `synth` runs main.ts in a child process that
 * loads the library itself, and loading it in the parent too would only add to its time.
 */
export {
  formatErrors, formatPlan, formatPublicRoutes, loadConfigFile, nodesFromInventory, plan, renderManifests,
  renderMastodonSecret, secretSkeletons,
} from '../lib';
