/**
 * Placement: node affinity for architecture and pool, spread over nodes, and how fast pods
 * leave a lost node. Every workload calls this one helper.
 */
import { k8s } from 'cdk8s-plus-28';
import type { Arch } from '../model';

/** The node label that carries the CPU architecture. */
export const ARCH_LABEL = 'kubernetes.io/arch';
/** The node label that tells nodes apart, for spreading. */
export const HOSTNAME_LABEL = 'kubernetes.io/hostname';

/** Where a workload may run and how it spreads. */
export interface PlacementProps {
  /** The node label whose value is the pool name. */
  readonly poolLabel: string;
  /** The pool the pods prefer (or require, without a fallback); a list allows each equally. @default any node: no pool term */
  readonly pool?: string | readonly string[];
  /** A pool the pods may also use when the preferred one is gone or full. @default none */
  readonly fallbackPool?: string;
  /** The architectures the image is published for. */
  readonly architectures: readonly Arch[];
  /**
   * Spread over nodes: `hard` refuses to stack replicas on one node while another eligible
   * node exists (DoNotSchedule); `soft` only prefers not to. @default no spread constraint
   */
  readonly spread?: { readonly mode: 'hard' | 'soft'; readonly selector: Record<string, string>; readonly rollingUpdate: boolean };
  /**
   * Seconds a pod stays bound to an unreachable or not-ready node before it is evicted and
   * rescheduled. @default Kubernetes' 300 s (right for databases; too slow for stateless pods)
   */
  readonly failoverSeconds?: number;
}

/** The pod spec fields placement sets. */
export interface Placement {
  readonly affinity: k8s.Affinity;
  readonly tolerations?: k8s.Toleration[];
  readonly topologySpreadConstraints?: k8s.TopologySpreadConstraint[];
}

/** Builds the affinity, spread and tolerations for one workload. */
export function placement(p: PlacementProps): Placement {
  const preferred = p.pool === undefined ? [] : typeof p.pool === 'string' ? [p.pool] : [...p.pool];
  const pools = p.fallbackPool ? [...preferred, p.fallbackPool] : preferred;
  const affinity: k8s.Affinity = {
    nodeAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: {
        nodeSelectorTerms: [{
          matchExpressions: [
            { key: ARCH_LABEL, operator: 'In', values: [...p.architectures] },
            ...(pools.length > 0 ? [{ key: p.poolLabel, operator: 'In', values: pools }] : []),
          ],
        }],
      },
      ...(p.fallbackPool && preferred.length > 0 ? {
        preferredDuringSchedulingIgnoredDuringExecution: [{
          weight: 100,
          preference: { matchExpressions: [{ key: p.poolLabel, operator: 'In', values: preferred }] },
        }],
      } : {}),
    },
  };
  const topologySpreadConstraints: k8s.TopologySpreadConstraint[] | undefined = p.spread ? [{
    maxSkew: 1,
    topologyKey: HOSTNAME_LABEL,
    whenUnsatisfiable: p.spread.mode === 'hard' ? 'DoNotSchedule' : 'ScheduleAnyway',
    labelSelector: { matchLabels: p.spread.selector },
    ...(p.spread.rollingUpdate ? { matchLabelKeys: ['pod-template-hash'] } : {}),
  }] : undefined;
  const tolerations: k8s.Toleration[] | undefined = p.failoverSeconds === undefined ? undefined
    : ['node.kubernetes.io/unreachable', 'node.kubernetes.io/not-ready'].map((key) => ({
      key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: p.failoverSeconds,
    }));
  return { affinity, tolerations, topologySpreadConstraints };
}
