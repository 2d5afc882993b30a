/**
 * Node tuning: the kernel settings the node-tuning DaemonSet applies, and which workloads keep
 * the old congestion control until restarted. Pure: no cdk8s imports.
 *
 * net.ipv4.tcp_congestion_control is per network namespace (Linux ≥ 4.15): a new namespace
 * starts with the value of the host's at the moment it is created. A pod's namespace is created
 * with the pod, so pods that started before the DaemonSet applied BBR keep cubic until they are
 * recreated: the kernel copies init_net's value, not the creating namespace's (tcp_sk_init in
 * net/ipv4/tcp_ipv4.c). net.ipv4.tcp_mtu_probing is per namespace too but is NOT copied: a new
 * namespace starts at 0, so the probing set here covers host-network sockets only.
 * net.core.default_qdisc is global (only the host's /proc/sys has it) and applies to qdiscs
 * created afterwards; veths are noqueue, and BBR paces by itself since Linux 4.13, so fq is a
 * help, not a requirement. test/integration/node-tuning.itest.ts checks these on the real kernel.
 */
import type { Manifest } from '../model';

/** The sysctls, in the order they are written. */
export const NODE_SYSCTLS = {
  'net.core.default_qdisc': 'fq',
  'net.ipv4.tcp_congestion_control': 'bbr',
  // Safety net against MTU black holes: on a timeout, probe a smaller segment (RFC 4821). The
  // host's sockets only: pods' namespaces start at 0 whatever the host has.
  'net.ipv4.tcp_mtu_probing': '1',
} as const;

/** The commands that recreate every workload of the chart, so their pods pick up BBR. */
export function restartCommands(objects: readonly Manifest[], options: { except?: string } = {}): string[] {
  const byNs = new Map<string, string[]>();
  const add = (ns: string, what: string) => byNs.set(ns, [...(byNs.get(ns) ?? []), what]);
  const out: string[] = [];
  for (const o of objects) {
    const ns = o.metadata.namespace ?? 'default';
    if (o.metadata.name === options.except) continue;
    switch (o.kind) {
      case 'Deployment': if ((o.spec?.replicas ?? 1) > 0) add(ns, `deployment/${o.metadata.name}`); break;
      case 'StatefulSet': add(ns, `statefulset/${o.metadata.name}`); break;
      case 'DaemonSet': add(ns, `daemonset/${o.metadata.name}`); break;
      // CloudNativePG makes the PgBouncer Deployment under the Pooler's own name.
      case 'Pooler': add(ns, `deployment/${o.metadata.name}`); break;
      // A rolling restart of the instances, replicas first, then a switchover (cnpg kubectl plugin).
      case 'Cluster': if (o.apiVersion.startsWith('postgresql.cnpg.io/')) out.push(`kubectl cnpg restart ${o.metadata.name} -n ${ns}`); break;
      default:
    }
  }
  return [...[...byNs].map(([ns, list]) => `kubectl -n ${ns} rollout restart ${list.join(' ')}`), ...out];
}
