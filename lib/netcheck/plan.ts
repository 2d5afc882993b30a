/**
 * Does the netcheck run fit beside the running pods? Places the server pods (one per node per
 * network, pinned by kubernetes.io/hostname) and the largest client on top of the chart's
 * normal placement, node by node, with the planner's own functions. Pure.
 */
import { humanMemory } from '../rules/quantity';
import { nodeAllowed, PlanNode, PlanPlacement, podsFromObjects } from '../rules/scheduler';
import type { Manifest } from '../model';

/** One node's share of the netcheck run. */
export interface NetcheckNodeRoom {
  readonly node: string;
  /** Server Jobs pinned to this node, by network. */
  readonly servers: readonly string[];
  /** Memory free beside the running pods, and what the two servers plus one client request. */
  readonly free: number;
  readonly need: number;
  readonly ok: boolean;
}

/** The whole check. */
export interface NetcheckRoom {
  readonly nodes: readonly NetcheckNodeRoom[];
  readonly ok: boolean;
  readonly problems: readonly string[];
}

/** Places the netcheck pods beside `normal` on `nodes`. */
export function netcheckRoom(objects: readonly Manifest[], normal: PlanPlacement, nodes: readonly PlanNode[]): NetcheckRoom {
  const pods = podsFromObjects(objects, { jobs: true });
  const problems: string[] = [];
  const rows = nodes.map((n) => {
    const here = pods.filter((p) => nodeAllowed(p, n));
    const servers = here.filter((p) => p.component === 'server');
    const clients = here.filter((p) => p.component === 'client');
    const used = (normal.byNode.get(n.name) ?? []).reduce((m, p) => m + p.memory, 0);
    const free = n.allocatable.memory - used;
    // Clients run one at a time across the cluster: only the largest counts.
    const need = servers.reduce((m, p) => m + p.memory, 0) + Math.max(0, ...clients.map((p) => p.memory));
    const nets = servers.map((p) => p.labels['netcheck.cdk8s-mastodon/net']).sort();
    if (nets.join(',') !== 'host,pod') problems.push(`${n.name}: expected one server per network (host, pod), found ${nets.join(', ') || 'none'}`);
    if (need > free) problems.push(`${n.name}: the netcheck pods request ${humanMemory(need)}, only ${humanMemory(Math.max(0, free))} is free beside the running pods`);
    return { node: n.name, servers: nets, free, need, ok: nets.join(',') === 'host,pod' && need <= free };
  });
  for (const p of pods) {
    if (!nodes.some((n) => nodeAllowed(p, n))) problems.push(`${p.owner}: no node in the inventory matches its node selector`);
  }
  return { nodes: rows, ok: problems.length === 0, problems };
}
