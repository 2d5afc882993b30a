import { lib, loadOrDie } from './common';

/** plan: where the config's pods land on its nodes, after losing any one of them, and each rollout's room. */
export function plan(): number {
  const { formatPlan, nodesFromInventory, plan: planPods, renderManifests } = lib();
  const c = loadOrDie();
  const report = planPods(renderManifests(c), nodesFromInventory(c.nodes.inventory, c.nodes.poolLabel, c.nodes.reserve));
  console.log(formatPlan(report));
  return report.ok ? 0 : 1;
}
