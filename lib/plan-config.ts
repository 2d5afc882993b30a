import type { ResolvedConfig } from './config/resolve';
import { renderNodeTuning } from './node-tuning';
import { renderManifests } from './render';
import { nodesFromInventory, plan, PlanReport } from './rules/plan';

/**
 * Plans a resolved config: renders the chart in-process (the same objects as dist/) and places
 * them on the config's node inventory, with its system reserve. The node-tuning DaemonSet
 * (nodeTuning.bbr) counts too: it runs on every node.
 */
export function planConfig(config: ResolvedConfig): PlanReport {
  const nodes = nodesFromInventory(config.nodes.inventory, config.nodes.poolLabel, config.nodes.reserve);
  return plan([...renderManifests(config), ...renderNodeTuning(config)], nodes);
}
