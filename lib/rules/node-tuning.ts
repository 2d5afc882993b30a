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
 * created afterwards, so {@link fqOnExistingInterfaces} also replaces the qdiscs the kernel
 * already picked; veths are noqueue, and BBR paces by itself since Linux 4.13, so fq is a help,
 * not a requirement. test/integration/node-tuning.itest.ts checks these on the real kernel.
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

/**
 * Shell that gives every interface whose root qdisc the kernel picked (handle `0:`, other than
 * noqueue, and not a layer-3 tun device) the qdisc `kind`, as if default_qdisc had been `kind` when the interface came up: a
 * single-queue interface gets it at the root, a multiqueue one (root `mq`, unless its queues
 * already have it) a new mq, whose queues get default_qdisc from the kernel (mq_init in
 * net/sched/sch_mq.c) and are replaced only where that is not `kind`; a queue left without it
 * is said on stderr and no success is printed. A qdisc someone configured (any other handle) is left alone, and
 * after the replacement the root's handle is `1:` or the kernel's next, so a later pass changes
 * nothing. The kernel attaches mq with default_qdisc children to multiqueue devices and
 * default_qdisc to the others (net/sched/sch_generic.c, attach_default_qdiscs); a root qdisc created by
 * tc gets a non-zero handle (net/sched/sch_api.c, qdisc_create calls qdisc_alloc_handle). Needs ip and tc (iproute2) and awk.
 */
export function fqOnExistingInterfaces(kind: string = NODE_SYSCTLS['net.core.default_qdisc']): string {
  return [
    // The namespace's own links (a sysfs mounted elsewhere may list another namespace's).
    `command -v tc >/dev/null || echo "node-tuning: no tc in the image; existing interfaces keep the kernel's qdisc" >&2`,
    `for i in $(ip -o link show | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }'); do`,
    // Layer-3 tun devices (CloudflareWARP, tailscale0, wireguard-go) keep theirs: a userspace
    // reader drains them, and fq would queue where fq_codel drops.
    '  case "$(ip -d -o link show dev "$i" 2>/dev/null)" in *" tun type tun "*) continue ;; esac',
    '  set -- $(tc qdisc show dev "$i" root 2>/dev/null)',
    '  [ "${3:-}" = "0:" ] || continue',
    '  case "$2" in',
    `    noqueue|${kind}) continue ;;`,
    '    mq)',
    // Only the root's children (parent :N); a clsact or ingress qdisc beside it does not count.
    `      tc qdisc show dev "$i" | awk '$4 == "parent" && $5 ~ /^:/ && $2 != "${kind}" { n++ } END { exit n == 0 }' || continue`,
    `      tc qdisc replace dev "$i" root handle 1: mq || { echo "node-tuning: could not replace the mq of $i" >&2; continue; }`,
    // mq_init gives the new mq's queues default_qdisc, already `kind` on a node, so only the
    // others are replaced: each replacement interrupts the device's queues once more.
    `      for p in $(tc qdisc show dev "$i" | awk '$4 == "parent" && $5 ~ /^1:/ && $2 != "${kind}" { print $5 }'); do`,
    `        tc qdisc replace dev "$i" parent "$p" ${kind} || :`,
    '      done',
    // The root is now 1:, so a later pass leaves the device alone: a queue left over is said here.
    `      failed=$(tc qdisc show dev "$i" | awk '$4 == "parent" && $5 ~ /^1:/ && $2 != "${kind}" { printf " %s", $5 }')`,
    `      [ -z "$failed" ] || { echo "node-tuning: could not set ${kind} on $i queue$failed (root mq 1:, later passes leave it)" >&2; continue; } ;;`,
    `    *) tc qdisc replace dev "$i" root ${kind} || { echo "node-tuning: could not set ${kind} on $i" >&2; continue; } ;;`,
    '  esac',
    `  echo "node-tuning: ${kind} on $i (was the kernel's $2)"`,
    'done',
  ].join('\n');
}
