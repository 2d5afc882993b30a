import { renderManifests, renderNodeTuning } from './render';
import { plan, PlanReport } from '../rules/plan';
import type { ResolvedConfig, Manifest } from '../model';
import { nodesFromInventory } from '../rules/scheduler';

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
  const nodes = nodesFromInventory(config.nodes.inventory, config.nodes.poolLabel, config.nodes.reserve);
  return plan([...(manifests ?? [...renderManifests(config), ...renderNodeTuning(config)])], nodes);
}
