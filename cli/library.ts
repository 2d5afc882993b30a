/**
 * What the commands use from the library. `lib()` in cli/common.ts loads this module only when a
 * command runs: `--help` and bad flags need none of it, and `synth` runs main.ts in a child
 * process that loads the library itself.
 */
export { Resvg } from '@resvg/resvg-js';
export { formatErrors, formatPlan, loadConfigFile, nodesFromInventory, plan, planConfig } from '../lib';
export { buildHelmChart } from './helm-chart';
export { packageVersion } from '../lib/app/package-root';
export { renderManifests, renderNodeTuning } from '../lib/app/render';
export { guardAgainstCommit } from '../lib/app/change-guard';
export { renderMastodonSecret } from '../lib/app/secrets';
export { diagnose } from '../lib/netcheck/diagnose';
export { netcheckManifests, runScript } from '../lib/netcheck/manifests';
export { parseResults, whyNoNetcheckLines } from '../lib/netcheck/parse';
export { netcheckRoom } from '../lib/netcheck/plan';
export { formatReport, reportSvg } from '../lib/netcheck/report';
export { TCP_SECONDS, UDP_SECONDS } from '../lib/netcheck/script';
export { formatBudget } from '../lib/rules/database';
export { IMAGES } from '../lib/rules/images';
export { FLANNEL_CONF_PATH, K3S_CONFIG_PATH, k3sNodeConfigs, TOKEN_FILE } from '../lib/rules/k3s';
export { restartCommands } from '../lib/rules/node-tuning';
export { planSvg } from '../lib/rules/plan-report';
export { formatAuthCallbacks, formatPublicRoutes } from '../lib/rules/public-routes';
export { humanMemory } from '../lib/rules/quantity';
export { placePods, podsFromObjects } from '../lib/rules/scheduler';
export { secretSkeletons } from '../lib/rules/secret-refs';
