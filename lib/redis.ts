import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { redisExporterContainer, REDIS_EXPORTER_UID } from './conventions/metrics-sidecars';
import { Identity } from './conventions/labels';
import { resourceName } from './rules/names';
import { HOSTNAME_LABEL, Placement, placement } from './conventions/placement';
import { execProbe } from './conventions/probes';
import { containerSecurityContext, REDIS_UID, securePodSpec } from './conventions/security';
import { clusterService, containerResources, deploymentWithBudget, objectMeta } from './conventions/workload';
import { selectorLabels, standardLabels } from './conventions/labels';
import { IMAGES, imageRef } from './rules/images';
import { DEFAULT_POOL_LABEL, REDIS_DEFAULTS } from './model/defaults';
import { parseMemory } from './rules/quantity';
import type { ResourcesConfig, ImageSpec, SecretKeyRef } from './model';

/**
 * Props for {@link Redis}: the config's `redis:` section (mode internal) as props, with its
 * defaults (lib/model/defaults.ts), except the pool.
 */
export interface RedisProps {
  /**
   * Instance name; the StatefulSet and Service are `<instance>-redis`, the host a
   * MastodonEnvironment of the same instance reaches by default.
   */
  readonly instance: string;
  /** The node pool of the pod. @default none: any node (a config's default is 'cloud') */
  readonly pool?: string;
  /** The node label whose value is the pool name. @default 'node-pool' */
  readonly poolLabel?: string;
  /** The PVC for the append-only file. @default 2Gi of the cluster's default StorageClass */
  readonly storage?: { readonly size: string; readonly storageClass?: string };
  /** Requests and memory limit; maxmemory is 75% of the limit. @default requests 50m / 256Mi, limit 512Mi */
  readonly resources?: ResourcesConfig;
  /** Require this password (REDIS_PASSWORD); give the environment the same key. @default none: no password */
  readonly passwordSecret?: SecretKeyRef;
  /** The Redis image. @default the Redis release this library was tested with */
  readonly image?: ImageSpec;
  /** The PriorityClass of the pods. @default none (priority 0) */
  readonly priorityClassName?: string;
  /**
   * Run redis_exporter (monitoring on) in its own Deployment `<instance>-redis-metrics`, on
   * Redis's pool, with its own PriorityClass (a config's is the workers tier). @default none
   */
  readonly metricsExporter?: { readonly image: ImageSpec; readonly resources: ResourcesConfig; readonly priorityClassName?: string };
}

/**
 * Prefers (never requires) a node without the pods `selector` matches: the Redis exporter away
 * from Redis, so losing one node leaves an exporter that reports `redis_up 0` (RedisDown,
 * critical) rather than no series at all (RedisExporterDown, a warning).
 */
function apartFrom(p: Placement, selector: Record<string, string>): Placement {
  return {
    ...p,
    affinity: {
      ...p.affinity,
      podAntiAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: { topologyKey: HOSTNAME_LABEL, labelSelector: { matchLabels: selector } } }],
      },
    },
  };
}

/** redis-cli exits 0 on error replies (LOADING, NOAUTH), so compare the answer. */
const PING = ['sh', '-c', 'test "$(redis-cli ping)" = PONG'];

/** Share of the memory limit Redis may fill before it refuses writes (the rest is fork and buffer room). */
export const REDIS_MAXMEMORY_SHARE = 0.75;

/**
 * Redis for Mastodon: one StatefulSet pod with the append-only file on a PVC, so queued Sidekiq
 * jobs survive a restart. `noeviction`: Sidekiq data must never be evicted. maxmemory sits
 * below the container limit so Redis refuses writes before the kernel kills it.
 */
export class Redis extends Construct {
  /** Port Redis listens on. */
  public static readonly PORT = 6379;
  public readonly statefulSet: k8s.KubeStatefulSet;
  /** The Service Mastodon connects to (REDIS_HOST). */
  public readonly service: k8s.KubeService;
  /** The redis_exporter Deployment, when `metricsExporter` is set. */
  public readonly metrics?: k8s.KubeDeployment;

  constructor(scope: Construct, id: string, props: RedisProps) {
    super(scope, id);
    const image = props.image ?? IMAGES.redis;
    const r: { pool?: string; storage: NonNullable<RedisProps['storage']>; resources: ResourcesConfig; passwordSecret?: SecretKeyRef } = {
      pool: props.pool,
      storage: props.storage ?? REDIS_DEFAULTS.storage,
      resources: props.resources ?? REDIS_DEFAULTS.resources,
      passwordSecret: props.passwordSecret,
    };
    const name = resourceName(props.instance, 'redis');
    const identity: Identity = { instance: props.instance, component: 'redis', version: image.tag };
    const maxmemory = Math.floor(parseMemory(r.resources.limits.memory) * REDIS_MAXMEMORY_SHARE);
    const settings = ['--appendonly', 'yes', '--appendfsync', 'everysec', '--dir', '/data', '--maxmemory', String(maxmemory), '--maxmemory-policy', 'noeviction'];
    const where = placement({ poolLabel: props.poolLabel ?? DEFAULT_POOL_LABEL, pool: r.pool, architectures: image.architectures });
    const password = r.passwordSecret
      ? [{ name: 'REDIS_PASSWORD', valueFrom: { secretKeyRef: { name: r.passwordSecret.name, key: r.passwordSecret.key } } },
        // redis-cli (the probes) reads the password from REDISCLI_AUTH.
        { name: 'REDISCLI_AUTH', valueFrom: { secretKeyRef: { name: r.passwordSecret.name, key: r.passwordSecret.key } } }]
      : [];
    // args, not command: the image's ENTRYPOINT (docker-library/redis docker-entrypoint.sh) sets
    // umask 0077 for the AOF and execs redis-server, which stays PID 1 and handles SIGTERM. The
    // kubelet expands $(REDIS_PASSWORD) from the Secret; the manifest holds only the reference.
    const args = ['redis-server', ...settings, ...(r.passwordSecret ? ['--requirepass', '$(REDIS_PASSWORD)'] : [])];
    this.service = clusterService(this, name, identity, Redis.PORT, 'redis', 'config', true);
    this.statefulSet = new k8s.KubeStatefulSet(this, 'StatefulSet', {
      metadata: objectMeta(name, identity, 'data'),
      spec: {
        serviceName: name,
        replicas: 1,
        selector: { matchLabels: selectorLabels(identity) },
        template: {
          metadata: { labels: standardLabels(identity) },
          spec: securePodSpec({
            uid: REDIS_UID,
            placement: where,
            priorityClassName: props.priorityClassName,
            containers: [{
              name: 'redis',
              image: imageRef(image),
              imagePullPolicy: 'IfNotPresent',
              args,
              env: password,
              ports: [{ name: 'redis', containerPort: Redis.PORT, protocol: 'TCP' }],
              resources: containerResources(r.resources),
              securityContext: containerSecurityContext(REDIS_UID),
              volumeMounts: [{ name: 'data', mountPath: '/data' }],
              // Loading a large AOF can take minutes; PONG only comes once the data is in memory.
              startupProbe: execProbe(PING, { periodSeconds: 5, failureThreshold: 60 }),
              readinessProbe: execProbe(PING, { periodSeconds: 10 }),
              livenessProbe: execProbe(PING, { periodSeconds: 20, failureThreshold: 5 }),
            }],
          }),
        },
        volumeClaimTemplates: [{
          metadata: { name: 'data', labels: selectorLabels(identity) },
          spec: {
            accessModes: ['ReadWriteOnce'],
            resources: { requests: { storage: k8s.Quantity.fromString(r.storage.size) } },
            ...(r.storage.storageClass ? { storageClassName: r.storage.storageClass } : {}),
          },
        }],
        // Keep the AOF volume when the StatefulSet is deleted or scaled down.
        persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
      },
    });

    const exp = props.metricsExporter;
    if (exp) {
      // Its own pod: a crashing, OOM-killed or unpullable exporter must not make Redis NotReady
      // (as a sidecar it did, and took Redis out of its Service). One replica and no PDB: a
      // scrape gap during a drain is harmless, and a PDB would block the drain of its node.
      const expIdentity: Identity = { instance: props.instance, component: 'redis-metrics', version: exp.image.tag };
      this.metrics = deploymentWithBudget(this, {
        name: resourceName(props.instance, 'redis', 'metrics'),
        identity: expIdentity,
        replicas: 1,
        strategy: 'surge',
        podSpec: securePodSpec({
          uid: REDIS_EXPORTER_UID,
          placement: apartFrom(placement({ poolLabel: props.poolLabel ?? DEFAULT_POOL_LABEL, pool: r.pool, architectures: exp.image.architectures }), selectorLabels(identity)),
          priorityClassName: exp.priorityClassName,
          // The bare Service name: the pod's DNS search path finds it in any namespace.
          containers: [redisExporterContainer(exp.image, exp.resources, `redis://${name}:${Redis.PORT}`, r.passwordSecret)],
        }),
      }).deployment;
    }
  }
}
