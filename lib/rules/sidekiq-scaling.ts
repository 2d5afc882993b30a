/**
 * Catch-up scaling of Sidekiq process groups: how many pods each group runs, and what KEDA
 * reads to scale it. Pure: no cdk8s imports.
 *
 * Verified upstream (read, not copied):
 * - Sidekiq keeps each queue as the Redis list `queue:<name>`: `Sidekiq::Client#atomic_push`
 *   does `LPUSH queue:<name>` with the JSON payload (sidekiq/sidekiq lib/sidekiq/client.rb, and
 *   the same in Debian's ruby-sidekiq 6.4.1), and the fetcher polls `queue:<name>`
 *   (lib/sidekiq/fetch.rb).
 * - Mastodon adds no prefix: Sidekiq's Redis is `Mastodon::RedisConfiguration#sidekiq`
 *   (lib/mastodon/redis_configuration.rb), built from `SIDEKIQ_REDIS_*` and falling back to the
 *   base `REDIS_HOST`/`REDIS_PORT`/`REDIS_PASSWORD`, database 0; a namespace only with
 *   `REDIS_NAMESPACE`. This chart sets neither `SIDEKIQ_REDIS_*` nor `REDIS_NAMESPACE`, so the
 *   queues live in database 0 of the one Redis in the env ConfigMap.
 * - KEDA 2.20.2's redis scaler (kedacore/keda pkg/scalers/redis_scaler.go) reads `address` (or
 *   `host` + `port`), `listName`, `listLength` (default 5), `activationListLength`,
 *   `databaseIndex`, `enableTLS` from the trigger metadata and `password` from the
 *   TriggerAuthentication; it runs `LLEN` on a list key (TYPE first: zset/set/hash are counted
 *   too) and exposes it as an `AverageValue` target of `listLength`, so the HPA asks for
 *   ceil(length / listLength) pods per trigger, and with several triggers takes the largest.
 * - KEDA's `cooldownPeriod` only governs the step down to zero or idle replicas
 *   (pkg/scaling/executor/scale_scaledobjects.go); with minReplicaCount >= 1 the HPA's
 *   `behavior.scaleDown` decides, so that is where the cooldown and stabilization go.
 */
import { resourceName } from '../rules/names';
import { redisEndpoint } from './environment';
import type { ResolvedConfig, ResolvedSidekiqProcess } from '../model';

/** The Deployment annotation that states the most pods a scalable group may run (the planner reads it). */
export const MAX_REPLICAS_ANNOTATION = 'cdk8s-mastodon/max-replicas';

/** The Redis list Sidekiq keeps a queue in. */
export function sidekiqQueueKey(queue: string): string {
  return `queue:${queue}`;
}

/** How many pods a Sidekiq group runs and who decides. */
export interface SidekiqReplicas {
  /** `spec.replicas`; undefined when a ScaledObject owns it. */
  readonly replicas: number | undefined;
  /** The most pods it may run (replicas when it does not scale). */
  readonly maxReplicas: number;
  /** The least pods (the ScaledObject's minReplicaCount). */
  readonly minReplicas: number;
  /** True when a KEDA ScaledObject scales it. */
  readonly keda: boolean;
}

/**
 * The replicas of one group. A group without `scaling` runs `replicas`. A scalable group runs
 * `replicas` (or `maxReplicas` with `sidekiq.catchUp`); with KEDA, the ScaledObject owns the count
 * between those bounds. The scheduler group never scales (resolve refuses scaling on it; this
 * is checked again here so that no code path can scale it).
 */
export function sidekiqReplicas(p: Pick<ResolvedSidekiqProcess, 'replicas' | 'scaling' | 'servesScheduler'>, sidekiq: Pick<ResolvedConfig['sidekiq'], 'catchUp' | 'keda'>): SidekiqReplicas {
  if (!p.scaling || p.servesScheduler) return { replicas: p.replicas, maxReplicas: p.replicas, minReplicas: p.replicas, keda: false };
  const max = p.scaling.maxReplicas;
  const min = sidekiq.catchUp ? max : p.replicas;
  if (sidekiq.keda) return { replicas: undefined, maxReplicas: max, minReplicas: min, keda: true };
  return { replicas: min, maxReplicas: max, minReplicas: min, keda: false };
}

/** The Redis address the KEDA operator (in another namespace) dials: `<service>.<namespace>.svc:6379` or the external host. */
export function kedaRedisAddress(c: ResolvedConfig): string {
  const r = redisEndpoint(c);
  // The operator runs in another namespace: qualify the Service name. `.svc` resolves through
  // the pod's search path (…svc.<cluster domain>), so the cluster domain need not be known.
  const host = c.redis.mode === 'internal' ? `${r.host}.${c.namespace}.svc` : r.host;
  return `${host}:${r.port}`;
}

/** Name of the TriggerAuthentication that hands KEDA the Redis password. */
export function redisTriggerAuthName(instance: string): string {
  return resourceName(instance, 'sidekiq', 'redis', 'auth');
}

/** Scale up by at most one pod per this many seconds: a Rails boot is heavy on a small node. */
export const SCALE_UP_PERIOD_SECONDS = 60;
/** Failed reads in a row that KEDA tolerates; after more, it falls back (holds the current count, at least minReplicaCount). */
export const FALLBACK_FAILURE_THRESHOLD = 3;
