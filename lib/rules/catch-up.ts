/**
 * The catch-up scenario of the planner: every scalable Sidekiq group at its maximum, on the
 * whole cluster and with each single node lost. Catch-up pods run at the workers' priority and
 * never preempt, so they only take room nobody else uses; the rule checked here is that they
 * never stand between the frontend and a node: with every group at its maximum, web,
 * streaming, the tunnel, the pooler, the database and Redis must still find room after any
 * single node loss, and web and streaming must still have room to roll, without evicting a
 * single catch-up pod. Pure: no cdk8s imports.
 */
import { MAX_REPLICAS_ANNOTATION } from './sidekiq-scaling';
import { addPods, loseNode, Pending, PlanNode, PlanPlacement, PodDemand, RolloutRoom, rolloutRoom } from './scheduler';

/** Components that must find room even while every scalable group runs at its maximum. */
export const CATCH_UP_PROTECTED = ['web', 'streaming', 'tunnel', 'pooler', 'database', 'redis'] as const;

/** A Sidekiq group that may scale. */
export interface ScalableGroup {
  /** `Deployment/ocw-sidekiq-push`. */
  readonly owner: string;
  /** Pods at rest (spec.replicas, or the ScaledObject's minReplicaCount). */
  readonly replicas: number;
  /** The most pods it may run. */
  readonly maxReplicas: number;
}

/** One catch-up scenario: the whole cluster, or with one node lost. */
export interface CatchUpScenario {
  /** The lost node, if any. */
  readonly lost?: string;
  /** Pods of the scalable groups at their maximum that are placed, and how many there are. */
  readonly placed: number;
  readonly total: number;
  /** Pods of the scalable groups that stay Pending (they wait: harmless, but no catch-up). */
  readonly pending: readonly Pending[];
  /** Protected pods (web, streaming, …) that found no room without evicting catch-up pods. */
  readonly blocked: readonly Pending[];
  readonly placement: PlanPlacement;
}

/** The catch-up part of the plan. */
export interface CatchUpReport {
  readonly groups: readonly ScalableGroup[];
  readonly whole: CatchUpScenario;
  readonly losses: readonly CatchUpScenario[];
  /** Room for web and streaming rollouts while every group is at its maximum. */
  readonly rollouts: readonly RolloutRoom[];
  readonly ok: boolean;
  readonly problems: readonly string[];
}

/** Deployments that state a maximum (the annotation) or are a ScaledObject's target. */
export function scalableGroups(objects: readonly any[], pods: readonly PodDemand[]): ScalableGroup[] {
  const scaled = new Map<string, number>();
  for (const o of objects) {
    if (o.kind === 'ScaledObject' && (o.spec?.scaleTargetRef?.kind ?? 'Deployment') === 'Deployment') {
      scaled.set(`Deployment/${o.spec.scaleTargetRef.name}`, o.spec.maxReplicaCount ?? 100);
    }
  }
  const out: ScalableGroup[] = [];
  for (const o of objects) {
    if (o.kind !== 'Deployment') continue;
    const owner = `Deployment/${o.metadata.name}`;
    const stated = Number(o.metadata.annotations?.[MAX_REPLICAS_ANNOTATION] ?? NaN);
    const max = Math.max(Number.isFinite(stated) ? stated : 0, scaled.get(owner) ?? 0);
    const replicas = pods.filter((p) => p.owner === owner).length;
    // Scaled to 0 (maintenance): nothing catches up.
    if (max === 0 || replicas === 0 && o.spec.replicas === 0) continue;
    out.push({ owner, replicas, maxReplicas: Math.max(max, replicas) });
  }
  return out;
}

const isProtected = (p: PodDemand) => (CATCH_UP_PROTECTED as readonly string[]).includes(p.component);

/**
 * Every scalable group at its maximum, whole and with each node lost; undefined when nothing scales.
 * `controlPlaneDown` names the nodes whose loss stops the control plane: their losses are left out.
 */
export function catchUpPlan(objects: readonly any[], nodes: readonly PlanNode[], normal: PlanPlacement, pods: readonly PodDemand[], options: { readonly controlPlaneDown?: readonly string[] } = {}): CatchUpReport | undefined {
  const groups = scalableGroups(objects, pods);
  if (groups.length === 0) return undefined;
  const owners = new Set(groups.map((g) => g.owner));
  const extra: PodDemand[] = [];
  for (const g of groups) {
    const template = pods.find((p) => p.owner === g.owner);
    if (!template) continue;
    for (let i = g.replicas; i < g.maxReplicas; i++) extra.push({ ...template, id: `${g.owner}#${i}` });
  }
  const total = groups.reduce((n, g) => n + g.maxReplicas, 0);
  const count = (p: PlanPlacement) => [...p.byNode.values()].flat().filter((x) => owners.has(x.owner)).length;
  const pendingOf = (p: PlanPlacement) => p.pending.filter((x) => owners.has(x.pod.owner));
  // Catch-up pods start while everything else runs; they never preempt.
  const placement = addPods(normal, nodes, extra, { preempt: false });
  const whole: CatchUpScenario = { placed: count(placement), total, pending: pendingOf(placement), blocked: placement.pending.filter((x) => isProtected(x.pod)), placement };

  const problems: string[] = [];
  const maxima = groups.map((g) => `${g.owner.replace('Deployment/', '')} ${g.maxReplicas}`).join(', ');
  const fix = 'lower maxReplicas of the scalable Sidekiq groups, or add memory';
  for (const b of whole.blocked) problems.push(`catch-up (${maxima}): ${b.pod.id} stays Pending: ${b.reason}; ${fix}`);

  // A loss that stops the control plane is left out: KEDA cannot scale and nothing is rescheduled
  // (the plan reports that loss on its own).
  const down = new Set(options.controlPlaneDown ?? []);
  const losses: CatchUpScenario[] = nodes.filter((n) => !down.has(n.name)).map((n) => {
    // Catch-up pods elsewhere keep their place (movable: false, so nobody evicts them); the
    // lost node's pods, catch-up ones included, look for room on the others.
    const held: PlanPlacement = {
      byNode: new Map([...placement.byNode].map(([node, list]) => [node, list.map((p) => (owners.has(p.owner) && node !== n.name ? { ...p, movable: false } : p))])),
      pending: placement.pending,
    };
    const l = loseNode(held, nodes, n.name);
    const blocked = l.placement.pending.filter((x) => isProtected(x.pod));
    for (const b of blocked) problems.push(`catch-up (${maxima}), losing ${n.name}: ${b.pod.id} finds no room unless catch-up pods are evicted: ${b.reason}; ${fix}`);
    for (const [comp, up] of Object.entries(l.critical)) if (!up) problems.push(`catch-up (${maxima}), losing ${n.name}: no ${comp} replica survives`);
    return { lost: n.name, placed: count(l.placement), total, pending: pendingOf(l.placement), blocked, placement: l.placement };
  });

  const rollouts = rolloutRoom(objects, placement, nodes, pods).filter((r) => {
    const p = pods.find((x) => x.owner === r.owner);
    return p !== undefined && isProtected(p);
  });
  for (const r of rollouts) if (!r.ok) problems.push(`catch-up (${maxima}): rolling out ${r.owner}: ${r.reason}; ${fix}`);
  return { groups, whole, losses, rollouts, ok: problems.length === 0, problems };
}
