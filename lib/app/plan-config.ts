import { renderManifests, renderNodeTuning } from './render';
import { plan, PlanReport } from '../rules/plan';
import type { ResolvedConfig, Manifest } from '../model';
import { nodesFromInventory } from '../rules/scheduler';
import { controlPlane, CONTROL_PLANE_RESERVE } from '../rules/k3s';

/**
 * Plans a resolved config: renders the chart in-process (the same objects as dist/) and places
 * them on the config's node inventory, with its system reserve. The node-tuning DaemonSet
 * (nodeTuning.bbr) counts too: it runs on every node.
 *
 * `manifests`, when given, are those objects already rendered (the synth passes the charts it is
 * about to write, so the chart is built once, not twice).
 * @default the Mastodon chart and the node-tuning chart rendered from `config`
 */
export function planConfig(config: ResolvedConfig, manifests?: readonly Manifest[]): PlanReport {
  // The same model npm run k3s-config writes from: which nodes are servers, and the datastore.
  const cp = controlPlane(config.nodes.inventory, config.k3s?.datastore);
  const serverReserve = cp.datastore ? CONTROL_PLANE_RESERVE[cp.datastore] : undefined;
  const nodes = nodesFromInventory(config.nodes.inventory, config.nodes.poolLabel, config.nodes.reserve, serverReserve);
  return plan([...(manifests ?? [...renderManifests(config), ...renderNodeTuning(config)])], nodes, {
    ...(cp.datastore ? { controlPlane: cp } : {}),
    acceptControlPlaneLoss: config.k3s?.acceptControlPlaneLoss ?? false,
  });
}
