/**
 * The placement planner: synthesized objects and a node inventory in, placement out. It places
 * the pods (see scheduler.ts), replays the loss of every node, checks that rolling updates, Jobs,
 * the catch-up scenario and scheduled restarts have room. Pure: no cdk8s imports.
 */
import { catchUpPlan, CatchUpReport } from './catch-up';
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
  /** Everything fits, every loss keeps the critical components up and strands nothing movable, every rollout and job has room. */
  readonly ok: boolean;
  readonly problems: readonly string[];
}

/** The whole plan: normal placement, every single-node loss, rollout room. */
export function plan(objects: readonly any[], nodes: readonly PlanNode[]): PlanReport {
  const pods = podsFromObjects(objects);
  const normal = placePods(pods, nodes);
  const losses = nodes.map((n) => loseNode(normal, nodes, n.name));
  const rollouts = rolloutRoom(objects, normal, nodes, pods);
  const jobs = jobRoom(objects, normal, nodes);
  const problems: string[] = [];
  for (const p of normal.pending) problems.push(`${p.pod.id} does not fit: ${p.reason}`);
  for (const l of losses) {
    for (const p of l.placement.pending) problems.push(`losing ${l.lost}: ${p.pod.id} stays Pending: ${p.reason}`);
    for (const [comp, ok] of Object.entries(l.critical)) if (!ok) problems.push(`losing ${l.lost}: no ${comp} replica survives`);
  }
  for (const r of rollouts) if (!r.ok) problems.push(`rolling out ${r.owner}: ${r.reason}`);
  for (const j of jobs) if (!j.ok) problems.push(`running ${j.owner}: ${j.reason}`);
  const catchUp = catchUpPlan(objects, nodes, normal, pods);
  if (catchUp) problems.push(...catchUp.problems);
  const restarts = restartRoom(objects, normal, nodes, pods);
  for (const r of restarts) if (!r.ok) problems.push(`restarting on schedule ${r.owner}: ${r.reason}`);
  return { nodes, pods, normal, losses, rollouts, jobs, catchUp, restarts, ok: problems.length === 0, problems };
}
