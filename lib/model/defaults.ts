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

/**
 * The CloudNativePG cluster (config `database`, mode cnpg; construct PostgresCluster). Placement
 * is not here: the config defaults the pool to DEFAULT_POOL and pins the pool's architecture,
 * while the construct alone requires neither unless given.
 */
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

/** The Mastodon settings every process shares (config `mastodon`; construct MastodonEnvironment). */
export const MASTODON_DEFAULTS = {
  singleUserMode: false,
  defaultLocale: 'en',
} as const;

/** The mail relay (config `smtp`; construct MastodonEnvironment). */
export const SMTP_DEFAULTS = {
  port: 587,
  authMethod: 'plain',
  enableStarttls: 'auto',
} as const;

/** S3-compatible media storage (config `media.s3`; construct MastodonEnvironment). */
export const S3_DEFAULTS = {
  region: 'us-east-1',
  accessKeyIdKey: 'AWS_ACCESS_KEY_ID',
  secretAccessKeyKey: 'AWS_SECRET_ACCESS_KEY',
} as const;

/** TRUSTED_PROXY_IP: loopback plus the k3s pod CIDR the tunnel connects from. */
export const DEFAULT_TRUSTED_PROXIES = ['127.0.0.1/32', '::1/128', '10.42.0.0/16'] as const;

/** The in-cluster Redis (config `redis`, mode internal; construct Redis). */
export const REDIS_DEFAULTS = {
  storage: { size: '2Gi' },
  resources: { requests: { cpu: '50m', memory: '256Mi' }, limits: { memory: '512Mi' } },
} as const;

/** The port of a Redis server, the in-cluster one included. */
export const DEFAULT_REDIS_PORT = 6379;

/** The streaming (Node.js) Deployment (config `streaming`; construct MastodonStreaming). */
export const STREAMING_DEFAULTS = {
  replicas: 2,
  dbPool: 10,
  resources: { requests: { cpu: '50m', memory: '160Mi' }, limits: { memory: '320Mi' } },
} as const;

/** The media cleanup CronJobs (config `cleanup`; construct MediaCleanup). */
export const CLEANUP_DEFAULTS = {
  media: { schedule: '15 3 * * *', days: 7 },
  previewCards: { schedule: '45 3 * * 1', days: 30 },
} as const;

/** The prometheus_exporter Puma sends its metrics to (config `monitoring.webExporter`; construct WebMetrics). */
export const WEB_EXPORTER_DEFAULTS = {
  resources: { requests: { cpu: '20m', memory: '96Mi' }, limits: { memory: '192Mi' } },
} as const;

/**
 * Single sign-on (config `auth`; construct MastodonEnvironment). Mastodon's own defaults where
 * it has one (config/omniauth.yml, config/initializers/devise.rb), except: `oidc.discovery`
 * (omniauth.yml's default is false; true here, so the issuer alone is enough), `scope` and
 * `uidField` (none there; the values most providers need), and the LDAP port, which follows the
 * method (devise.rb defaults to 389 with simple_tls, LDAPS on the plain port, which cannot connect).
 */
export const AUTH_DEFAULTS = {
  omniauthOnly: false,
  oidc: { discovery: true, scope: ['openid', 'profile', 'email'], uidField: 'sub', pkce: false, assumeEmailIsVerified: false },
  saml: { wantAssertionsSigned: false, wantAssertionsEncrypted: false, assumeEmailIsVerified: false },
  ldap: { ports: { simple_tls: 636, start_tls: 389, plain: 389 }, method: 'simple_tls', uid: 'cn', mail: 'mail', tlsNoVerify: false },
} as const;

/** Translation (config `translation`): DeepL's plan when none is given, as Mastodon's DEEPL_PLAN default. */
export const TRANSLATION_DEFAULTS = { deeplPlan: 'free' } as const;

/**
 * Full-text search (config `search`; constructs OpenSearch and SearchDeploy). Mastodon's own
 * defaults (config/initializers/chewy.rb): ES_PORT 9200; ES_PRESET unset means no replicas,
 * as single_node_cluster does.
 */
export const SEARCH_DEFAULTS = {
  port: 9200,
  scheme: 'http',
  preset: 'single_node_cluster',
  /** The single-node OpenSearch (mode internal): heap is half the memory limit (lib/rules/search.ts). */
  internal: {
    storage: { size: '10Gi' },
    resources: { requests: { cpu: '250m', memory: '2Gi' }, limits: { memory: '2Gi' } },
  },
  /** `tootctl search deploy` (lib/mastodon/cli/search.rb): its own defaults, and the Job's bounds. */
  deploy: {
    concurrency: 5,
    batchSize: 100,
    timeoutSeconds: 21600,
    resources: { requests: { cpu: '250m', memory: '768Mi' }, limits: { memory: '1536Mi' } },
  },
} as const;
