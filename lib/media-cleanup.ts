import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { resourceName } from './rules/names';
import { scheduledJob } from './conventions/workload';
import type { MastodonPods } from './conventions/mastodon-pods';
import { MastodonEnvironment } from './mastodon-environment';
import { TOOTCTL_DB_POOL } from './rules/database';
import type { CleanupConfig } from './model';

/** Props for {@link MediaCleanup}. */
export interface MediaCleanupProps {
  /** The shared Mastodon environment. */
  readonly environment: MastodonEnvironment;
  /** Schedules and ages. @default the environment's `settings.cleanup` */
  readonly cleanup?: CleanupConfig;
}

/** tootctl runs a full Rails process: it needs what a small Sidekiq needs. */
const TOOTCTL_RESOURCES: k8s.ResourceRequirements = {
  requests: { cpu: k8s.Quantity.fromString('100m'), memory: k8s.Quantity.fromString('512Mi') },
  limits: { memory: k8s.Quantity.fromString('1Gi') },
};

/**
 * Cleanup CronJobs: cached remote media and preview cards, through `tootctl`. `Forbid` keeps a
 * slow run from overlapping the next one.
 */
export class MediaCleanup extends Construct {
  public readonly media: k8s.KubeCronJob;
  public readonly previewCards: k8s.KubeCronJob;

  constructor(scope: Construct, id: string, props: MediaCleanupProps) {
    super(scope, id);
    const env = props.environment.pods;
    const cl = props.cleanup ?? env.settings.cleanup;
    this.media = this.cronJob(env, 'MediaRemove', 'media-remove', cl.media.schedule, ['media', 'remove', '--days', String(cl.media.days)]);
    this.previewCards = this.cronJob(env, 'PreviewCardsRemove', 'preview-cards-remove', cl.previewCards.schedule, ['preview_cards', 'remove', '--days', String(cl.previewCards.days)]);
  }

  private cronJob(env: MastodonPods, id: string, suffix: string, schedule: string, args: string[]): k8s.KubeCronJob {
    const c = env.settings;
    const identity = env.identity('cleanup');
    const container = env.railsContainer({
      name: 'tootctl',
      args: ['bin/tootctl', ...args],
      env: { DB_POOL: String(TOOTCTL_DB_POOL) },
      resources: TOOTCTL_RESOURCES,
    });
    const name = resourceName(c.name, suffix);
    return scheduledJob(this, id, {
      name,
      identity,
      schedule,
      // Nothing writes to the database while the workloads are stopped for maintenance.
      suspend: env.stopped,
      backoffLimit: 1,
      podAnnotations: env.podAnnotations,
      podSpec: env.jobPodSpec(name, {
        containers: [container],
        restartPolicy: 'Never',
        priority: 'workers',
        placement: { pool: c.web.pool, architectures: c.images.mastodon.architectures },
      }),
    });
  }
}
