import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import type { ResolvedSidekiqProcess } from './config/resolve';
import { resourceName } from './conventions/names';
import { execProbe, RAILS_BOOT } from './conventions/probes';
import { containerResources } from './conventions/workload';
import { MastodonEnvironment } from './mastodon-environment';

/** Props for {@link SidekiqQueue}. */
export interface SidekiqQueueProps {
  /** The shared Mastodon environment. */
  readonly environment: MastodonEnvironment;
  /** One resolved process group (queues already laid out and validated). */
  readonly process: ResolvedSidekiqProcess;
}

/** The file Mastodon's Sidekiq touches once it will take jobs, and removes on shutdown. */
export const SIDEKIQ_READY_FILE = '/opt/mastodon/tmp/sidekiq_process_has_started_and_will_begin_processing_jobs';

/** `bundle exec sidekiq -c N -q a -q b ...`: strict order, no weights. */
export function sidekiqCommand(concurrency: number, queues: readonly string[]): string[] {
  return ['bundle', 'exec', 'sidekiq', '-c', String(concurrency), ...queues.flatMap((q) => ['-q', q])];
}

/**
 * One Sidekiq process group: a Deployment whose pods serve the listed queues in strict order.
 * The group that serves `scheduler` runs one replica with the Recreate strategy, so two
 * schedulers never overlap during a rollout.
 */
export class SidekiqQueue extends Construct {
  public readonly deployment: k8s.KubeDeployment;
  public readonly budget?: k8s.KubePodDisruptionBudget;

  constructor(scope: Construct, id: string, props: SidekiqQueueProps) {
    super(scope, id);
    const env = props.environment;
    const c = env.config;
    const p = props.process;
    const identity = env.identity('sidekiq', p.name);
    const ready = ['test', '-f', SIDEKIQ_READY_FILE];
    const container = env.railsContainer({
      name: 'sidekiq',
      command: sidekiqCommand(p.concurrency, p.queues),
      env: { DB_POOL: String(p.concurrency) },
      resources: containerResources(p.resources),
      startupProbe: execProbe(ready, { ...RAILS_BOOT }),
      readinessProbe: execProbe(ready, { periodSeconds: 10 }),
      livenessProbe: execProbe(ready, { periodSeconds: 30 }),
    });
    const result = env.deployment(this, {
      name: resourceName(c.name, 'sidekiq', p.name),
      identity,
      replicas: p.replicas,
      strategy: p.servesScheduler ? 'recreate' : 'surge',
      container,
      pool: p.pool,
      fallbackPool: p.fallbackPool,
      architectures: c.images.mastodon.architectures,
      // Soft: a second replica may share the Pi rather than leave the preferred pool.
      spread: 'soft',
      priority: 'workers',
      // Sidekiq waits 25 s for running jobs on SIGTERM, then pushes them back to Redis.
      terminationGracePeriodSeconds: 40,
    });
    this.deployment = result.deployment;
    this.budget = result.budget;
  }
}
