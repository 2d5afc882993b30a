import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { resourceName } from './rules/names';
import { execProbe, RAILS_BOOT } from './conventions/probes';
import { containerResources } from './conventions/workload';
import { MastodonEnvironment } from './mastodon-environment';
import { METRICS_PORT_NAME, RUBY_METRICS_PORT, sidekiqMetricsEnv } from './rules/metrics';
import { MAX_REPLICAS_ANNOTATION, sidekiqReplicas } from './rules/sidekiq-scaling';
import {
  customQueueProblems, knownQueues, NO_QUEUES, repeatedQueueProblems, SCHEDULER_QUEUE, unknownQueueProblems,
} from './rules/sidekiq-layout';
import { countProblems, FieldProblem, memoryProblems, propsError, SIDEKIQ_BOUNDS, SIDEKIQ_FLOOR } from './rules/mastodon-checks';
import { SIDEKIQ_DEFAULTS } from './model/defaults';
import type { ResolvedSidekiqProcess, ResourcesConfig } from './model';

/** Catch-up scaling of a process group: KEDA (or `sidekiq.catchUp`) runs up to maxReplicas pods. */
export interface SidekiqQueueScaling {
  /** The most pods while catching up; replicas is the least. */
  readonly maxReplicas: number;
  /** Jobs waiting in one queue per pod (KEDA listLength). @default 500 */
  readonly backlogPerReplica?: number;
  /** At most one pod is removed per this many seconds. @default 300 */
  readonly cooldownSeconds?: number;
  /** The HPA scales down only to the highest recommendation of this window. @default 600 */
  readonly scaleDownStabilizationSeconds?: number;
}

/**
 * Props for {@link SidekiqQueue}: one process group, as in the config's `sidekiq.processes[]`
 * (a resolved process can be spread in), with the config's defaults (lib/model/defaults.ts).
 */
export interface SidekiqQueueProps {
  /** The shared Mastodon environment. */
  readonly environment: MastodonEnvironment;
  /** Process group name; the Deployment is `<instance>-sidekiq-<name>`. */
  readonly name: string;
  /**
   * Queues in strict priority order, at least one, each once. The group that serves `scheduler`
   * runs exactly one pod with the Recreate strategy (two schedulers would enqueue every periodic
   * job twice).
   */
  readonly queues: readonly string[];
  /**
   * Queues your Mastodon fork adds: `queues` may name these besides Mastodon's own
   * (default, push, pull, ingress, mailers, scheduler, fasp). Each a DNS label of at most 40
   * characters. @default none
   */
  readonly customQueues?: readonly string[];
  /** Pods. @default 1 */
  readonly replicas?: number;
  /** Sidekiq threads (-c), and DB_POOL. @default 10 */
  readonly concurrency?: number;
  /** The preferred node pool. @default none: any node (a config's default is 'cloud') */
  readonly pool?: string;
  /** A pool the pods may move to when the preferred one is full or gone; needs `pool`. @default none */
  readonly fallbackPool?: string;
  /** Requests and memory limit of each pod. @default requests 200m / 640Mi, limit 1Gi */
  readonly resources?: ResourcesConfig;
  /**
   * Catch-up scaling (never for the scheduler group). Whether KEDA owns the count, or catch-up
   * runs the group at its maximum, is the environment's `settings.sidekiq`.
   * @default none: always `replicas` pods
   */
  readonly scaling?: SidekiqQueueScaling;
}

/** One process group with its defaults applied; without a pool, the pods may run on any node. */
export type SidekiqProcessSettings = Omit<ResolvedSidekiqProcess, 'pool'> & { readonly pool?: string };

/**
 * The ready file's name. Mastodon's config/initializers/sidekiq.rb reads
 * `MASTODON_SIDEKIQ_READY_FILENAME` (a bare file name), touches `Rails.root/tmp/<name>` on
 * Sidekiq's `:startup` event and removes it on `:shutdown`. The official image sets this very
 * name in its Dockerfile; the chart sets it too, so the probes and the file cannot drift apart.
 */
export const SIDEKIQ_READY_FILENAME = 'sidekiq_process_has_started_and_will_begin_processing_jobs';
/** Mastodon's Rails.root: the image's WORKDIR, stated as the Sidekiq container's workingDir. */
export const MASTODON_ROOT = '/opt/mastodon';
/** The file Mastodon's Sidekiq touches once it will take jobs, and removes on shutdown. */
export const SIDEKIQ_READY_FILE = `${MASTODON_ROOT}/tmp/${SIDEKIQ_READY_FILENAME}`;

/**
 * Sidekiq's shutdown timeout (`-t`): on SIGTERM it stops fetching, waits this long for running
 * jobs, then pushes the unfinished ones back to Redis (they run again later) and exits.
 * Sidekiq's default is 25 (sidekiq/sidekiq lib/sidekiq/config.rb); it is stated on the command
 * line because a `:timeout:` in the image's config/sidekiq.yml would otherwise win, and could
 * outlast the pod's grace period (the kubelet then SIGKILLs, and the running jobs are lost:
 * Sidekiq's basic fetch takes a job off its queue when it starts it; only Sidekiq Pro's
 * super_fetch recovers such jobs).
 */
export const SIDEKIQ_SHUTDOWN_TIMEOUT_SECONDS = 25;
/** Time after the timeout for the requeue, the `:shutdown` hooks and the exit. */
export const SIDEKIQ_REQUEUE_MARGIN_SECONDS = 15;

/** `bundle exec sidekiq -c N -t T -q a -q b ...`: strict order, no weights. */
export function sidekiqCommand(concurrency: number, queues: readonly string[]): string[] {
  return ['bundle', 'exec', 'sidekiq', '-c', String(concurrency), '-t', String(SIDEKIQ_SHUTDOWN_TIMEOUT_SECONDS), ...queues.flatMap((q) => ['-q', q])];
}

/**
 * The container's args: `sh -c 'rm -f tmp/<ready file>; exec bundle exec sidekiq ...'`.
 *
 * The ready file lives in the `tmp` emptyDir, which survives a container restart, and an OOM
 * kill (SIGKILL) skips the `:shutdown` hook that removes it: without the `rm`, a restarted
 * container would be ready before Sidekiq had booted. `exec` makes Sidekiq replace the shell, so
 * tini (the image's ENTRYPOINT, kept because these are args) forwards SIGTERM to Sidekiq itself.
 * Queue names are Mastodon's or DNS labels (validated), so the line needs no quoting.
 */
export function sidekiqArgs(concurrency: number, queues: readonly string[]): string[] {
  return ['sh', '-c', `rm -f tmp/${SIDEKIQ_READY_FILENAME}; exec ${sidekiqCommand(concurrency, queues).join(' ')}`];
}

/**
 * One Sidekiq process group: a Deployment whose pods serve the listed queues in strict order.
 * The group that serves `scheduler` runs one replica with the Recreate strategy, so two
 * schedulers never overlap during a rollout.
 */
export class SidekiqQueue extends Construct {
  public readonly deployment: k8s.KubeDeployment;
  public readonly budget?: k8s.KubePodDisruptionBudget;
  /** The process group with its defaults applied. */
  public readonly process: SidekiqProcessSettings;

  constructor(scope: Construct, id: string, props: SidekiqQueueProps) {
    super(scope, id);
    const env = props.environment.pods;
    const c = env.settings;
    const p = sidekiqProcess(props);
    this.process = p;
    const identity = env.identity('sidekiq', p.name);
    const ready = ['test', '-f', SIDEKIQ_READY_FILE];
    const container = env.railsContainer({
      name: 'sidekiq',
      args: sidekiqArgs(p.concurrency, p.queues),
      workingDir: MASTODON_ROOT,
      env: { DB_POOL: String(p.concurrency), MASTODON_SIDEKIQ_READY_FILENAME: SIDEKIQ_READY_FILENAME, ...(c.monitoring.enabled ? sidekiqMetricsEnv() : {}) },
      // The in-process exporter (one Sidekiq process per pod, so one server per pod).
      ...(c.monitoring.enabled ? { ports: [{ name: METRICS_PORT_NAME, containerPort: RUBY_METRICS_PORT, protocol: 'TCP' }] } : {}),
      resources: containerResources(p.resources),
      startupProbe: execProbe(ready, { ...RAILS_BOOT }),
      readinessProbe: execProbe(ready, { periodSeconds: 10 }),
      // No liveness probe. The only signal Mastodon gives is the ready file, which exists from
      // startup to shutdown, so a probe on it can never fail. A crashed Sidekiq exits (tini
      // exits with it, the kubelet restarts the container) and an OOM is a restart too; a
      // hung one shows as queue latency, which a probe on the file would never see.
    });
    // A scalable group states its maximum (the planner reads it); under KEDA it has no
    // spec.replicas, since the HPA owns the count (Argo CD would otherwise undo every scale).
    const r = sidekiqReplicas(p, c.sidekiq);
    const result = env.deployment(this, {
      name: resourceName(c.name, 'sidekiq', p.name),
      identity,
      replicas: r.replicas,
      maxReplicas: r.maxReplicas,
      ...(p.scaling && !p.servesScheduler ? { annotations: { [MAX_REPLICAS_ANNOTATION]: String(r.maxReplicas) } } : {}),
      strategy: p.servesScheduler ? 'recreate' : 'surge',
      container,
      pool: p.pool,
      fallbackPool: p.fallbackPool,
      architectures: c.images.mastodon.architectures,
      // Soft: a second replica may share the Pi rather than leave the preferred pool.
      spread: 'soft',
      priority: 'workers',
      // SIGTERM reaches Sidekiq through tini; it waits -t seconds for running jobs, then
      // pushes them back to Redis and exits before the kubelet's SIGKILL.
      terminationGracePeriodSeconds: SIDEKIQ_SHUTDOWN_TIMEOUT_SECONDS + SIDEKIQ_REQUEUE_MARGIN_SECONDS,
      queues: p.queues,
    });
    this.deployment = result.deployment;
    this.budget = result.budget;
  }
}

/**
 * The props with the config's defaults applied. Throws one error listing every problem: the
 * config's refusals (lib/rules/mastodon-checks.ts, lib/rules/sidekiq-layout.ts) and a scheduler
 * group that could run twice.
 */
function sidekiqProcess(props: SidekiqQueueProps): SidekiqProcessSettings {
  const d = SIDEKIQ_DEFAULTS;
  const servesScheduler = props.queues.includes(SCHEDULER_QUEUE);
  const replicas = props.replicas ?? d.replicas;
  const concurrency = props.concurrency ?? d.concurrency;
  const resources = props.resources ?? d.resources;
  const customQueues = props.customQueues ?? [];
  const known = knownQueues(customQueues);
  const problems: FieldProblem[] = [
    ...(props.queues.length === 0 ? [{ path: 'queues', message: NO_QUEUES }] : []),
    ...props.queues.flatMap((q, i) => [
      ...unknownQueueProblems(`queues[${i}]`, q, known, 'customQueues'), ...repeatedQueueProblems(props.name, props.queues, i, `queues[${i}]`),
    ]),
    ...customQueueProblems(customQueues, (i) => `customQueues[${i}]`),
    ...countProblems('replicas', replicas, SIDEKIQ_BOUNDS.replicas),
    ...countProblems('concurrency', concurrency, SIDEKIQ_BOUNDS.concurrency),
    ...memoryProblems('resources', resources, SIDEKIQ_FLOOR),
    ...(props.fallbackPool !== undefined && props.pool === undefined
      ? [{ path: 'fallbackPool', message: `is '${props.fallbackPool}' without a pool to fall back from, so the pods could only run there; set pool to the preferred pool, or set pool instead of fallbackPool` }]
      : []),
  ];
  if (servesScheduler && (replicas !== 1 || props.scaling)) {
    problems.push({
      path: props.scaling ? 'scaling' : 'replicas',
      message: `it serves '${SCHEDULER_QUEUE}', which must run in exactly one pod (two schedulers enqueue every periodic job twice); set replicas: 1 and no scaling, or move '${SCHEDULER_QUEUE}' to another group`,
    });
  }
  if (problems.length > 0) throw propsError(`SidekiqQueue ${props.name}`, problems);
  const s = props.scaling;
  return {
    name: props.name,
    replicas,
    ...(props.pool !== undefined ? { pool: props.pool } : {}),
    ...(props.fallbackPool !== undefined ? { fallbackPool: props.fallbackPool } : {}),
    concurrency,
    queues: props.queues,
    resources,
    ...(s ? {
      scaling: {
        maxReplicas: s.maxReplicas,
        backlogPerReplica: s.backlogPerReplica ?? d.backlogPerReplica,
        cooldownSeconds: s.cooldownSeconds ?? d.cooldownSeconds,
        scaleDownStabilizationSeconds: s.scaleDownStabilizationSeconds ?? d.scaleDownStabilizationSeconds,
      },
    } : {}),
    servesScheduler,
  };
}
