/**
 * Room for the scheduled rolling restarts: when a restart CronJob fires, its kubectl pod and
 * the restarted Deployment's surge pod must both find a node next to everything that runs, and
 * next to every other CronJob (and the surge pod of every other restart) that may be running
 * then. Pure: no cdk8s imports.
 *
 * "May be running" is worked out over the whole week from the parsed schedules (./cron): a
 * CronJob is counted from each start for `startingDeadlineSeconds` (the Kubernetes CronJob
 * controller still starts a run that late, e.g. after the controller was down or, with
 * `concurrencyPolicy: Forbid`, once the previous run ends) plus the Job's
 * `activeDeadlineSeconds` (after which the Job controller stops it), or plus
 * {@link ASSUMED_RUN_SECONDS} when the Job sets none: nothing then bounds a run, and the hour is
 * an assumption, stated in every message. CloudNativePG ScheduledBackups take no pod of their
 * own (the instance or its plugin sidecar does the work) but a restart that may meet one is
 * named, so the two can be moved apart.
 */
import { formatWeekMinute, parseCron, weeklyStartMinutes, WEEK_MINUTES } from './cron';
import {
  addPods, explainPending, PlanNode, PlanPlacement, PodDemand, podsFromObjects, RolloutRoom, surgePod,
} from './scheduler';

/** The CronJob annotation that names the Deployment it restarts (`Deployment/<name>`). */
export const RESTARTS_ANNOTATION = 'cdk8s-mastodon/restarts';

/**
 * How long a Job that sets no `activeDeadlineSeconds`, or a ScheduledBackup, is assumed to run:
 * one hour. The cleanup jobs (`tootctl media remove`, `preview_cards remove`) and a volume
 * snapshot of a small instance take minutes; set `activeDeadlineSeconds` to make it a bound.
 */
export const ASSUMED_RUN_SECONDS = 3600;

/** Zone names that are UTC: CloudNativePG's operator runs in UTC (see ./cron). */
const UTC_NAMES = new Set(['UTC', 'Etc/UTC', 'Etc/UCT', 'UCT', 'Etc/Zulu', 'Zulu', 'Etc/GMT', 'GMT', 'Etc/Universal', 'Universal']);
const LOCAL = 'the kube-controller-manager\'s local time';

/** Something scheduled that may overlap a restart. */
interface Activity {
  readonly owner: string;
  readonly zone: string;
  /** 1 for each minute of the week it may be running. */
  readonly active: Uint8Array;
  readonly pods: readonly PodDemand[];
  readonly backup: boolean;
}

function activeMinutes(schedule: string, dialect: 'kubernetes' | 'cnpg', seconds: number): Uint8Array {
  const out = new Uint8Array(WEEK_MINUTES);
  const parsed = parseCron(schedule, dialect);
  const length = Math.max(1, Math.ceil(seconds / 60));
  if (!parsed || length >= WEEK_MINUTES) return out.fill(1); // unreadable: it may run any time
  for (const start of weeklyStartMinutes(parsed)) {
    for (let k = 0; k < length; k++) out[(start + k) % WEEK_MINUTES] = 1;
  }
  return out;
}

const zoneOf = (tz: string | undefined) => (tz === undefined ? LOCAL : UTC_NAMES.has(tz) ? 'UTC' : tz);

/** How long after its scheduled minute a CronJob's run may still be going. */
function cronJobSeconds(cj: any): number {
  return (cj.spec.startingDeadlineSeconds ?? 0) + (cj.spec.jobTemplate?.spec?.activeDeadlineSeconds ?? ASSUMED_RUN_SECONDS);
}

/** The overlapping minutes as `Sun 03:30–05:14`, and how many more stretches a week. */
function describeOverlap(a: Uint8Array, b: Uint8Array): string | undefined {
  const ranges: [number, number][] = [];
  for (let m = 0; m < WEEK_MINUTES; m++) {
    if (!(a[m] && b[m])) continue;
    const last = ranges[ranges.length - 1];
    if (last && last[1] === m - 1) last[1] = m;
    else ranges.push([m, m]);
  }
  if (ranges.length === 0) return undefined;
  const [from, to] = ranges[0];
  const more = ranges.length > 1 ? ` (and ${ranges.length - 1} more time${ranges.length > 2 ? 's' : ''} a week)` : '';
  return `${formatWeekMinute(from)}–${formatWeekMinute(to).slice(4)}${more}`;
}

/** For every scheduled restart: do its kubectl pod and the surge pod fit while it may run? */
export function restartRoom(objects: readonly any[], normal: PlanPlacement, nodes: readonly PlanNode[], pods: readonly PodDemand[]): RolloutRoom[] {
  const cronJobs = objects.filter((o) => o.kind === 'CronJob' && !o.spec.suspend);
  const jobPods = podsFromObjects(objects, { jobs: true });
  const surgeOf = (cj: any): PodDemand[] => {
    const target = cj.metadata.annotations?.[RESTARTS_ANNOTATION];
    const deployment = target && objects.find((o) => `${o.kind}/${o.metadata.name}` === target);
    const template = target && pods.find((p) => p.owner === target);
    return deployment && template && deployment.spec.strategy?.type !== 'Recreate' ? [surgePod(template)] : [];
  };
  const activities: Activity[] = [
    ...cronJobs.map((cj) => {
      const owner = `CronJob/${cj.metadata.name}`;
      return {
        owner, zone: zoneOf(cj.spec.timeZone), active: activeMinutes(cj.spec.schedule, 'kubernetes', cronJobSeconds(cj)),
        pods: [...jobPods.filter((p) => p.owner === owner), ...surgeOf(cj)], backup: false,
      };
    }),
    ...objects.filter((o) => o.kind === 'ScheduledBackup' && !o.spec.suspend).map((b) => ({
      owner: `ScheduledBackup/${b.metadata.name}`, zone: 'UTC', active: activeMinutes(b.spec.schedule, 'cnpg', ASSUMED_RUN_SECONDS), pods: [], backup: true,
    })),
  ];
  const out: RolloutRoom[] = [];
  for (const cj of cronJobs) {
    const target = cj.metadata.annotations?.[RESTARTS_ANNOTATION];
    if (!target) continue;
    const owner = `CronJob/${cj.metadata.name}`;
    const deployment = objects.find((o) => `${o.kind}/${o.metadata.name}` === target);
    const template = pods.find((p) => p.owner === target);
    if (!deployment || !template) continue; // scaled to 0 (maintenance) or not rendered: nothing rolls
    const self = activities.find((a) => a.owner === owner)!;
    const meets: { a: Activity; when: string }[] = [];
    for (const a of activities) {
      if (a === self) continue;
      if (a.zone !== self.zone) {
        meets.push({ a, when: `at any time (its schedule is in time zone ${a.zone}, this one in ${self.zone})` });
        continue;
      }
      const when = describeOverlap(self.active, a.active);
      if (when) meets.push({ a, when: `${when} ${self.zone === LOCAL ? `in ${LOCAL}` : `(${self.zone})`}` });
    }
    const extra = [...self.pods, ...meets.flatMap((m) => m.a.pods)];
    const backups = meets.filter((m) => m.a.backup);
    const backupNote = backups.length
      ? `${backups.map((m) => `${m.a.owner} may be running ${m.when}`).join('; ')}: the new pods would boot against a database busy with a backup; move the restart`
      : undefined;
    // Nobody is preempted for them: a restart should not evict workers, and jobs never preempt.
    const placed = addPods({ byNode: normal.byNode, pending: [] }, nodes, extra, { preempt: false });
    if (placed.pending.length === 0) {
      out.push(backupNote ? { owner, ok: true, reason: backupNote } : { owner, ok: true });
    } else {
      const p = placed.pending[0];
      const others = meets.filter((m) => m.a.pods.length);
      const with_ = others.length ? ` (with ${others.map((m) => `${m.a.owner}, which may be running ${m.when}`).join('; ')}; a job without activeDeadlineSeconds is assumed to run ${ASSUMED_RUN_SECONDS / 60} min)` : '';
      out.push({ owner, ok: false, reason: `${p.pod.id} finds no room${with_}: ${explainPending(placed, nodes, p.pod)}; move the schedule or free memory${backupNote ? `; also ${backupNote}` : ''}` });
    }
  }
  return out;
}
