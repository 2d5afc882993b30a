/**
 * Room for the scheduled rolling restarts: when a restart CronJob fires, its kubectl pod and
 * the restarted Deployment's surge pod must both find a node next to everything that runs, and
 * next to any other CronJob scheduled for the same minute. Pure: no cdk8s imports.
 */
import { addPods, explainPending, PlanNode, PlanPlacement, PodDemand, podsFromObjects, RolloutRoom, surgePod } from './plan';

/** The CronJob annotation that names the Deployment it restarts (`Deployment/<name>`). */
export const RESTARTS_ANNOTATION = 'cdk8s-mastodon/restarts';

/** Minute and hour fields of a five-field schedule: runs that share them start together. */
const minuteHour = (schedule: string) => schedule.trim().split(/\s+/).slice(0, 2).join(' ');

/** For every scheduled restart: do its kubectl pod and the surge pod fit at the time it runs? */
export function restartRoom(objects: readonly any[], normal: PlanPlacement, nodes: readonly PlanNode[], pods: readonly PodDemand[]): RolloutRoom[] {
  const cronJobs = objects.filter((o) => o.kind === 'CronJob' && !o.spec.suspend);
  const jobPods = podsFromObjects(objects, { jobs: true });
  const out: RolloutRoom[] = [];
  for (const cj of cronJobs) {
    const target = cj.metadata.annotations?.[RESTARTS_ANNOTATION];
    if (!target) continue;
    const owner = `CronJob/${cj.metadata.name}`;
    const deployment = objects.find((o) => `${o.kind}/${o.metadata.name}` === target);
    const template = pods.find((p) => p.owner === target);
    if (!deployment || !template) continue; // scaled to 0 (maintenance) or not rendered: nothing rolls
    const sameTime = cronJobs.filter((o) => o !== cj && minuteHour(o.spec.schedule) === minuteHour(cj.spec.schedule)).map((o) => `CronJob/${o.metadata.name}`);
    const surge = deployment.spec.strategy?.type === 'Recreate' ? [] : [surgePod(template)];
    const extra = [...surge, ...jobPods.filter((p) => p.owner === owner || sameTime.includes(p.owner))];
    // Nobody is preempted for them: a restart should not evict workers, and jobs never preempt.
    const placed = addPods({ byNode: normal.byNode, pending: [] }, nodes, extra, { preempt: false });
    if (placed.pending.length === 0) {
      out.push({ owner, ok: true });
    } else {
      const p = placed.pending[0];
      const with_ = sameTime.length ? ` (with ${sameTime.join(', ')} starting the same minute)` : '';
      out.push({ owner, ok: false, reason: `${p.pod.id} finds no room${with_}: ${explainPending(placed, nodes, p.pod)}; move the schedule or free memory` });
    }
  }
  return out;
}
