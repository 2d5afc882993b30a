/**
 * The placement planner: synthesized objects and a node inventory in, placement out. It places
 * the pods (see scheduler.ts), replays the loss of every node, checks that rolling updates, Jobs,
 * the catch-up scenario and scheduled restarts have room. Pure: no cdk8s imports.
 */
import { catchUpPlan, CatchUpReport } from './catch-up';
import type { ControlPlane } from './k3s';
import { restartRoom } from './restart-room';
import { jobRoom, LossScenario, loseNode, PlanNode, PlanPlacement, PodDemand, placePods, podsFromObjects, RolloutRoom, rolloutRoom } from './scheduler';

/** The whole report. */
export interface PlanReport {
  readonly nodes: readonly PlanNode[];
  readonly pods: readonly PodDemand[];
  readonly normal: PlanPlacement;
  readonly losses: readonly LossScenario[];
  readonly rollouts: readonly RolloutRoom[];
  /** Room for each Job and CronJob run (migrations, cleanup, checks) beside the running pods. */
  readonly jobs: readonly RolloutRoom[];
  /** Every scalable Sidekiq group at its maximum, on the whole cluster and with each node lost (when there are scalable groups). */
  readonly catchUp?: CatchUpReport;
  /** Room for each scheduled restart: its surge pod and the kubectl pod, at the time it runs. */
  readonly restarts: readonly RolloutRoom[];
  /** The k3s control plane the inventory describes, when the plan was given one. */
  readonly controlPlane?: ControlPlane;
  /** The loss of a control-plane node was accepted (k3s.acceptControlPlaneLoss). */
  readonly controlPlaneLossAccepted: boolean;
  /** Everything fits, every loss keeps the critical components up and strands nothing movable, every rollout and job has room. */
  readonly ok: boolean;
  readonly problems: readonly string[];
}

/** How the plan treats the control plane. */
export interface PlanOptions {
  /** The k3s control plane (controlPlane() in k3s.ts): the loss of a single point stops all rescheduling. */
  readonly controlPlane?: ControlPlane;
  /** Accept that losing a single control-plane node stops rescheduling (k3s.acceptControlPlaneLoss). @default false */
  readonly acceptControlPlaneLoss?: boolean;
}

/** What losing a control-plane node does, in one sentence with the fix. */
export function controlPlaneLossProblem(l: LossScenario, cp: ControlPlane): string {
  const stranded = l.stranded.length ? l.stranded.map((p) => p.id).join(', ') : 'none';
  return `losing ${l.lost} stops the k3s control plane (${cp.summary}). Pods already running on the other nodes keep running, but nothing is rescheduled: ${l.lost}'s pods (${stranded}) stay down until it returns, Sidekiq does not fail over to its fallback pool, no new pod starts (rollouts, Jobs, KEDA scaling, Argo CD syncs), and CloudNativePG cannot promote a replica if the primary was there. Make three nodes k3s servers with embedded etcd (role: server on three nodes; npm run k3s-config writes cluster-init), or accept the risk knowingly with k3s.acceptControlPlaneLoss: true`;
}

/** The whole plan: normal placement, every single-node loss, rollout room. */
export function plan(objects: readonly any[], nodes: readonly PlanNode[], options: PlanOptions = {}): PlanReport {
  const pods = podsFromObjects(objects);
  const normal = placePods(pods, nodes);
  const cp = options.controlPlane;
  const accepted = options.acceptControlPlaneLoss === true;
  const losses = nodes.map((n) => loseNode(normal, nodes, n.name, { controlPlaneDown: cp?.singlePoints.includes(n.name) }));
  const rollouts = rolloutRoom(objects, normal, nodes, pods);
  const jobs = jobRoom(objects, normal, nodes);
  const problems: string[] = [];
  for (const p of normal.pending) problems.push(`${p.pod.id} does not fit: ${p.reason}`);
  for (const l of losses) {
    if (!l.controlPlaneUp && cp) {
      // One problem says it all (what keeps running, what stops, the fix), unless accepted.
      if (!accepted) problems.push(controlPlaneLossProblem(l, cp));
      continue;
    }
    for (const p of l.placement.pending) problems.push(`losing ${l.lost}: ${p.pod.id} stays Pending: ${p.reason}`);
    for (const [comp, ok] of Object.entries(l.critical)) if (!ok) problems.push(`losing ${l.lost}: no ${comp} replica survives`);
  }
  for (const r of rollouts) if (!r.ok) problems.push(`rolling out ${r.owner}: ${r.reason}`);
  for (const j of jobs) if (!j.ok) problems.push(`running ${j.owner}: ${j.reason}`);
  const catchUp = catchUpPlan(objects, nodes, normal, pods, { controlPlaneDown: cp?.singlePoints });
  if (catchUp) problems.push(...catchUp.problems);
  const restarts = restartRoom(objects, normal, nodes, pods);
  for (const r of restarts) if (!r.ok) problems.push(`restarting on schedule ${r.owner}: ${r.reason}`);
  return { nodes, pods, normal, losses, rollouts, jobs, catchUp, restarts, controlPlane: cp, controlPlaneLossAccepted: accepted, ok: problems.length === 0, problems };
}
