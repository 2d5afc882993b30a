/**
 * Defaults shared by the config schema (lib/config/schema.ts) and the constructs' props, so a
 * construct built alone and a config that leaves the field out render the same objects.
 * Plain values only: this file imports nothing.
 */

/** The node label whose value names a node's pool. */
export const DEFAULT_POOL_LABEL = 'node-pool';
/** The pool a workload runs in when none is named. */
export const DEFAULT_POOL = 'cloud';
/** tolerationSeconds for unreachable and not-ready nodes (Kubernetes' own default is 300). */
export const DEFAULT_FAILOVER_SECONDS = 30;

/** The CloudNativePG cluster (config `database`, mode cnpg; construct PostgresCluster). */
export const POSTGRES_DEFAULTS = {
  instances: 3,
  postgresMajor: 17,
  storageSize: '20Gi',
  walStorageSize: '5Gi',
  resources: { requests: { cpu: '250m', memory: '1Gi' }, limits: { memory: '1Gi' } },
  connectionReserve: 10,
  poolerInstances: 2,
  defaultPoolSize: 20,
  reservePoolSize: 5,
  poolerResources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '128Mi' } },
  /**
   * PgBouncer's own max_client_conn default, for a cluster built alone. The config derives it
   * from the connection budget of the Mastodon workloads instead.
   */
  maxClientConn: 100,
  amcheckSchedule: '0 5 * * 0',
  /** For a cluster built alone; the config derives it from the nodes of the pool. */
  arch: 'amd64',
  /** For a cluster built alone; the config relaxes it to preferred when the pool has too few nodes. */
  antiAffinity: 'required',
} as const;

/** Backups of the CloudNativePG cluster (config `database.backup`). */
export const BACKUP_DEFAULTS = {
  accessKeyIdKey: 'AWS_ACCESS_KEY_ID',
  secretAccessKeyKey: 'AWS_SECRET_ACCESS_KEY',
  retentionPolicy: '30d',
  walCompression: 'zstd',
  /** Six fields, seconds first (CloudNativePG). */
  baseBackupSchedule: '0 0 3 * * *',
  snapshotSchedule: '0 0 4 * * 0',
  snapshotKeep: 4,
  /** Five fields (a Kubernetes CronJob). */
  snapshotRetentionSchedule: '30 5 * * *',
} as const;

/** The Cloudflare Tunnel connectors (config `tunnel`; construct CloudflareTunnel). */
export const TUNNEL_DEFAULTS = {
  replicas: 2,
  protocol: 'auto',
  resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '256Mi' } },
} as const;

/** The web (Puma) Deployment (config `web`; construct MastodonWeb). */
export const WEB_DEFAULTS = {
  replicas: 2,
  processes: 2,
  threads: 5,
  resources: { requests: { cpu: '250m', memory: '900Mi' }, limits: { memory: '1400Mi' } },
} as const;

/** One Sidekiq process group (config `sidekiq.processes[]`; construct SidekiqQueue). */
export const SIDEKIQ_DEFAULTS = {
  replicas: 1,
  concurrency: 10,
  resources: { requests: { cpu: '200m', memory: '640Mi' }, limits: { memory: '1Gi' } },
  backlogPerReplica: 500,
  cooldownSeconds: 300,
  scaleDownStabilizationSeconds: 600,
} as const;
