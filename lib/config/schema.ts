/**
 * The one configuration schema. The YAML file, the JSON Schema for editors and the library's
 * config types all come from here.
 */
import { z } from 'zod';
import { ARCHES, DEFAULT_MASTODON_VERSION } from '../rules/images';
import { parseCron } from '../rules/cron';
import {
  cnpgScheduleProblem, destinationPathProblem, endpointUrlProblem, POSTGRES_BOUNDS, RETENTION_POLICY, retentionPolicyProblem, S3_PATH,
} from '../rules/postgres-checks';
import { HOSTNAME_PATTERN as HOSTNAME, hostNameMessage, SIDEKIQ_BOUNDS, WEB_BOUNDS } from '../rules/mastodon-checks';
import { CPU_PATTERN, MEMORY_PATTERN } from '../rules/quantity';
import { DNS_LABEL, dnsLabelMessages } from '../rules/names';
import { CUSTOM_QUEUE_NAME, NO_QUEUES } from '../rules/sidekiq-layout';
import { MIN_TUNNEL_REPLICAS, tunnelReplicasProblem } from '../rules/tunnel-checks';
import { FLANNEL_BACKENDS, K3S_DATASTORES, K3S_VERSION } from '../rules/k3s';
import { authProblems, extraEnvProblems } from '../rules/mastodon-settings';
import {
  BACKUP_DEFAULTS, CLEANUP_DEFAULTS, DEFAULT_FAILOVER_SECONDS, DEFAULT_POOL, DEFAULT_POOL_LABEL, DEFAULT_REDIS_PORT, DEFAULT_TRUSTED_PROXIES,
  AUTH_DEFAULTS, MASTODON_DEFAULTS, POSTGRES_DEFAULTS, TRANSLATION_DEFAULTS, REDIS_DEFAULTS, S3_DEFAULTS, SIDEKIQ_DEFAULTS, SMTP_DEFAULTS, STREAMING_DEFAULTS, TUNNEL_DEFAULTS, WEB_DEFAULTS,
  WEB_EXPORTER_DEFAULTS, SEARCH_DEFAULTS,
} from '../model/defaults';
import { SEARCH_HOST, SEARCH_INDICES, SEARCH_PRESETS, searchEndpointProblems } from '../rules/search';

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$/;
const SECRET_KEY = /^[-._a-zA-Z0-9]+$/;
const CRON5 = /^(@(yearly|annually|monthly|weekly|daily|midnight|hourly)|(\S+\s+){4}\S+)$/;
/**
 * A five-field CronJob schedule: the shape, then the values as Kubernetes reads them
 * (robfig/cron v3 ParseStandard, see lib/rules/cron.ts), so the API server never refuses one.
 */
const cronJobSchedule = (example: string, what = '') => z.string()
  .regex(CRON5, { error: `must be a 5-field cron schedule such as '${example}' (minute hour day month weekday)${what}` })
  .refine((v) => !CRON5.test(v) || parseCron(v, 'kubernetes') !== undefined, {
    error: (i) => `'${String(i.input)}' is not a schedule Kubernetes accepts: minute 0-59, hour 0-23, day 1-31, month 1-12 or jan-dec, weekday 0-6 or sun-sat (7 is refused), each as *, a value, a range a-b, a list or a step /n, read in UTC; write it like '${example}'`,
  });
const CIDR = /^([0-9]{1,3}\.){3}[0-9]{1,3}\/[0-9]{1,2}$|^[0-9a-fA-F:]+\/[0-9]{1,3}$/;
const IMAGE_TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
/** A Linux interface name: at most 15 characters (IFNAMSIZ − 1), no '/', ':' or white space. */
const IFNAME = /^[^\s/:]{1,15}$/;
const IPV4 = /^(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])){3}$/;
const IPV6 = /^[0-9a-fA-F:]*:[0-9a-fA-F:.]*$/;

/** A DNS-1123 label, with the messages the constructs use too (lib/rules/names.ts). */
const dnsLabel = (max: number, what: string) => {
  const m = dnsLabelMessages(max, what);
  return z.string()
    .min(1, { error: m.empty, abort: true })
    .max(max, { error: m.long })
    .regex(DNS_LABEL, { error: m.shape });
};

/** The name of an existing Kubernetes object in the namespace (a DNS-1123 subdomain). */
const objectName = (what: string) =>
  z.string()
    .min(1, { error: `${what} must not be empty`, abort: true })
    .max(253)
    .regex(DNS_SUBDOMAIN, {
      error: `${what} must be the name of a Kubernetes Secret (lower-case letters, digits, '-' and '.'); if you pasted a secret value here, remove it and reference the Secret that holds it instead`,
    });

const memory = z.string({ error: 'must be a memory quantity such as 512Mi or 1.5Gi (a string, with a unit)' })
  .regex(MEMORY_PATTERN, { error: 'must be a memory quantity such as 512Mi or 1.5Gi' });
// Kubernetes takes `cpu: 4` (a YAML integer) as a quantity, so a number is accepted and kept as
// its string form ('4', '0.5'). `overwrite` (not a transform) keeps the JSON Schema's defaults;
// the cast says what the overwrite guarantees: the parsed value is always a string.
const CPU_ERROR = 'must be a CPU quantity such as 250m or 1.5 (or a whole number of cores: 4)';
const cpu = z.union([
  z.number({ error: CPU_ERROR }).nonnegative({ error: CPU_ERROR }).finite({ error: CPU_ERROR }),
  z.string({ error: CPU_ERROR }).regex(CPU_PATTERN, { error: CPU_ERROR }),
], { error: CPU_ERROR })
  .overwrite((v) => String(v)) as unknown as z.ZodType<string, string | number>;

/** Requests and a memory limit for one container. CPU is never limited: throttling Puma hurts latency more than it saves. */
export const ResourcesSchema = z.strictObject({
  requests: z.strictObject({
    cpu: cpu.describe('CPU the scheduler reserves, e.g. 250m.'),
    memory: memory.describe('Memory the scheduler reserves, e.g. 768Mi.'),
  }).describe('What the scheduler reserves for the container on its node.'),
  limits: z.strictObject({
    memory: memory.describe('Memory at which the container is OOM-killed and restarted; at least the request.'),
  }).describe('The memory limit; CPU is never limited.'),
}).describe('Container resources: requests (cpu, memory) and a memory limit.');

/** A reference to one key of an existing Secret. Secret values never appear in the config. */
export const SecretKeyRefSchema = z.strictObject({
  name: objectName('the Secret name').describe('Name of the Secret, in the namespace of the objects that read it.'),
  key: z.string().regex(SECRET_KEY, { error: "must be a Secret key: letters, digits, '-', '_' and '.'" }).describe('The key of that Secret whose value is read.'),
}, {
  error: (iss) => iss.code === 'invalid_type'
    ? 'must be a Secret reference {name, key}; store the value in a Kubernetes Secret and reference it here, never paste the value'
    : undefined,
}).describe('A key of an existing Secret in the namespace: {name, key}.');

const pool = z.string().regex(LABEL_VALUE, { error: 'must be a node label value (letters, digits, -, _ and .)' }).min(1);

const ImageOverrideSchema = z.strictObject({
  repository: z.string().min(1).describe('Image repository, e.g. ghcr.io/example/mastodon.'),
  tag: z.string().regex(IMAGE_TAG, { error: 'must be an image tag such as v4.7.2' })
    .refine((t) => t !== 'latest', { error: "'latest' is not pinned; name the exact version, e.g. v4.7.2" })
    .describe('Pinned tag; never latest.'),
  architectures: z.array(z.enum(ARCHES)).min(1).describe('The architectures this image is published for.'),
}).describe('Use another image instead of the official one; state the architectures it is built for.');

/** CPU and memory a node keeps back from the pods. */
const NodeReserveSchema = z.strictObject({
  cpu: cpu.describe('CPU kept back, e.g. 250m.'),
  memory: memory.describe('Memory kept back, e.g. 768Mi.'),
});

export const NodeSchema = z.strictObject({
  name: z.string().regex(DNS_SUBDOMAIN, { error: 'must be the Kubernetes node name (lower-case DNS name)' }).describe('Node name as Kubernetes knows it.'),
  pool: pool.describe('Pool this node belongs to (the value of nodes.poolLabel on the node).'),
  arch: z.enum(ARCHES).describe('CPU architecture (the kubernetes.io/arch label).'),
  cpu: cpu.describe('CPU capacity, e.g. 4.'),
  memory: memory.describe('Memory capacity, e.g. 8Gi.'),
  reserve: NodeReserveSchema.optional().describe('What k3s, the OS and the kubelet keep on this node; nodes.reserve when left out.'),
  role: z.enum(['server', 'agent']).optional().describe('k3s role (npm run k3s-config): server runs the control plane, agent only workloads.'),
  interface: z.string().regex(IFNAME, { error: 'must be a Linux interface name such as eth0, enp1s0 or CloudflareWARP (at most 15 characters, no / or spaces)' }).optional()
    .describe('The private-network interface the node reaches the others over (flannel-iface), e.g. eth0 or CloudflareWARP.'),
  address: z.string().refine((v) => IPV4.test(v) || IPV6.test(v), { error: 'must be an IP address such as 10.0.0.4 (no CIDR suffix, no port)' }).optional()
    .describe("This node's address on that interface: node-ip, and bind-address/advertise-address on servers."),
  mtu: z.number({ error: 'must be a number such as 1500 or 1280' }).int().min(1280, { error: 'must be at least 1280 (the IPv6 minimum, and what Cloudflare WARP uses); set the value ip link show prints for the interface' }).max(9216).optional()
    .describe('MTU of that interface (ip link show); 1500 when left out. Cloudflare WARP: 1280.'),
});

export const NodesSchema = z.strictObject({
  poolLabel: z.string().regex(LABEL_KEY, { error: 'must be a node label key such as node-pool or example.com/pool' })
    .default(DEFAULT_POOL_LABEL).describe('The node label whose value names the pool (e.g. cloud, onprem).'),
  inventory: z.array(NodeSchema).min(1, { error: 'list at least one node' }).describe('Every node the workloads may run on.'),
  reserve: NodeReserveSchema.default({ cpu: '250m', memory: '768Mi' })
    .describe('Per node, what the OS, the kubelet, the k3s agent (~275Mi) and the eviction threshold keep; the planner subtracts it from capacity, and on a role: server node also the control plane (1345Mi and 200m with etcd, docs/control-plane.md).'),
});

export const WebSchema = z.strictObject({
  replicas: z.number().int().min(WEB_BOUNDS.replicas.min, { error: 'web needs at least 1 replica; use 2 or more so one node loss never takes the site down' }).default(WEB_DEFAULTS.replicas)
    .describe('Puma pods. Spread over nodes so losing one node never takes every replica.'),
  pool: pool.default(DEFAULT_POOL).describe('Node pool for web pods.'),
  processes: z.number().int().min(WEB_BOUNDS.processes.min).max(WEB_BOUNDS.processes.max).default(WEB_DEFAULTS.processes).describe('Puma worker processes per pod (WEB_CONCURRENCY).'),
  threads: z.number().int().min(WEB_BOUNDS.threads.min).max(WEB_BOUNDS.threads.max).default(WEB_DEFAULTS.threads).describe('Puma threads per process (MAX_THREADS).'),
  resources: ResourcesSchema.default(WEB_DEFAULTS.resources)
    .describe('Requests and memory limit; the memory request must be at least 700Mi.'),
});

export const StreamingSchema = z.strictObject({
  replicas: z.number().int().min(1).default(STREAMING_DEFAULTS.replicas).describe('Streaming pods.'),
  pool: pool.default(DEFAULT_POOL).describe('Node pool for streaming pods.'),
  dbPool: z.number().int().min(1).max(100).default(STREAMING_DEFAULTS.dbPool).describe('Postgres connections per streaming pod (DB_POOL).'),
  resources: ResourcesSchema.default(STREAMING_DEFAULTS.resources),
});

export const SidekiqProcessSchema = z.strictObject({
  name: dnsLabel(20, 'the process name').describe('Process group name; the Deployment is <name>-sidekiq-<process>.'),
  replicas: z.number().int().min(SIDEKIQ_BOUNDS.replicas.min, { error: 'a Sidekiq process needs at least 1 replica; remove the process instead of scaling it to 0' }).default(SIDEKIQ_DEFAULTS.replicas)
    .describe('Pods for this process group.'),
  pool: pool.default(DEFAULT_POOL).describe('Preferred node pool.'),
  fallbackPool: pool.optional().describe('Pool the pods may move to when the preferred pool has no room or is gone (e.g. cloud for on-prem pods).'),
  concurrency: z.number().int().min(SIDEKIQ_BOUNDS.concurrency.min).max(SIDEKIQ_BOUNDS.concurrency.max).default(SIDEKIQ_DEFAULTS.concurrency).describe('Sidekiq threads (-c); also DB_POOL.'),
  queues: z.array(z.string().min(1)).min(1, { error: NO_QUEUES }).optional()
    .describe('Queues in strict priority order. Leave out on every process to use the generated layout.'),
  resources: ResourcesSchema.default(SIDEKIQ_DEFAULTS.resources)
    .describe('Requests and memory limit; the memory request must be at least 512Mi.'),
  scaling: z.strictObject({
    maxReplicas: z.number().int().min(2).max(50)
      .describe('Most pods this group may run while catching up; replicas is the least. Counted by the connection budget and the plan.'),
    backlogPerReplica: z.number().int().min(1).default(SIDEKIQ_DEFAULTS.backlogPerReplica)
      .describe('Jobs waiting in one queue per pod (the KEDA redis trigger listLength): 1500 waiting jobs at 500 ask for 3 pods.'),
    cooldownSeconds: z.number().int().min(15).max(1800).default(SIDEKIQ_DEFAULTS.cooldownSeconds)
      .describe('At most one pod is removed per this many seconds when the backlog is gone (HPA scale-down policy periodSeconds).'),
    scaleDownStabilizationSeconds: z.number().int().min(0).max(3600).default(SIDEKIQ_DEFAULTS.scaleDownStabilizationSeconds)
      .describe('The HPA scales down only to the highest recommendation of this window, so a backlog that comes in waves does not flap pods.'),
  }).optional().describe('Makes this group scalable: KEDA (sidekiq.keda) adds pods while its queues back up, sidekiq.catchUp runs it at maxReplicas. Never on the scheduler group.'),
});

export const SidekiqSchema = z.strictObject({
  customQueues: z.array(dnsLabel(CUSTOM_QUEUE_NAME.max, CUSTOM_QUEUE_NAME.what)).default([]).describe('Extra queue names your fork enqueues to.'),
  processes: z.array(SidekiqProcessSchema).min(1, { error: 'list at least one Sidekiq process' })
    .describe('Sidekiq process groups. Without queues, 3 or more processes get the rotated layout.'),
  catchUp: z.boolean().default(false)
    .describe('Run every scalable group (processes with scaling) at its maxReplicas: the manual catch-up switch, without KEDA. Set back to false to return.'),
  keda: z.strictObject({
    operatorNamespace: dnsLabel(63, 'sidekiq.keda.operatorNamespace').default('keda')
      .describe('Namespace of the KEDA operator: its pods read the queue lengths from Redis, so the Redis NetworkPolicy admits them on the Redis port.'),
    operatorPodLabels: z.record(z.string().regex(LABEL_KEY), z.string().regex(LABEL_VALUE)).default({ app: 'keda-operator' })
      .describe('Labels of the KEDA operator pods (app: keda-operator in the KEDA release manifests and Helm chart).'),
    pollingSeconds: z.number().int().min(5).max(600).default(30).describe('How often KEDA reads the queue lengths from Redis (pollingInterval); the HPA gets the value of the last read (useCachedMetrics), so a backlog is seen within this plus the HPA sync period (15 s).'),
  }).optional().describe('Catch-up scaling with KEDA 2.x: a ScaledObject per scalable group, triggered by the backlog of the queues it serves.'),
});

const RedisInternalSchema = z.strictObject({
  mode: z.literal('internal'),
  pool: pool.default(DEFAULT_POOL).describe('Node pool for the Redis pod.'),
  storage: z.strictObject({
    size: memory.describe('PVC size for the append-only file, e.g. 2Gi.'),
    storageClass: z.string().min(1).optional().describe('StorageClass; the cluster default when left out.'),
  }).default(REDIS_DEFAULTS.storage).describe('The volume of the append-only file: queued jobs and caches survive a restart.'),
  resources: ResourcesSchema.default(REDIS_DEFAULTS.resources),
  passwordSecret: SecretKeyRefSchema.optional().describe('Require this password (REDIS_PASSWORD); none when left out.'),
});
const RedisExternalSchema = z.strictObject({
  mode: z.literal('external'),
  host: z.string().min(1).describe('Redis host name.'),
  port: z.number().int().min(1).max(65535).default(DEFAULT_REDIS_PORT).describe('REDIS_PORT.'),
  passwordSecret: SecretKeyRefSchema.optional().describe('Password Secret (REDIS_PASSWORD).'),
});
export const RedisSchema = z.discriminatedUnion('mode', [RedisInternalSchema, RedisExternalSchema])
  .describe('internal: a StatefulSet with AOF on a PVC; external: an existing Redis.');

/** A six-field CloudNativePG schedule (seconds first): lib/rules/postgres-checks.ts says why. */
const cnpgSchedule = (example: string) => z.string().superRefine((v, ctx) => {
  const problem = cnpgScheduleProblem(v, example);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

const ExternalDatabaseSchema = z.strictObject({
  mode: z.literal('external'),
  host: z.string().min(1).describe('Host Mastodon connects to (a pooler is fine when pooled: true).'),
  directHost: z.string().min(1).optional().describe('Host of the primary itself, for migrations; defaults to host.'),
  pooled: z.boolean().default(false).describe('true when host is PgBouncer in transaction mode: sets PREPARED_STATEMENTS=false.'),
  port: z.number().int().min(1).max(65535).default(5432).describe('DB_PORT.'),
  name: z.string().min(1).default('mastodon').describe('DB_NAME: the database.'),
  user: z.string().min(1).default('mastodon').describe('DB_USER: the role Mastodon connects as.'),
  passwordSecret: SecretKeyRefSchema.describe('The Secret key that holds DB_PASS.'),
  sslMode: z.enum(['disable', 'prefer', 'require', 'verify-ca', 'verify-full']).default('prefer')
    .describe('DB_SSLMODE, a libpq sslmode: verify-full checks the certificate and the host name, verify-ca the certificate only.'),
  caSecret: SecretKeyRefSchema.optional()
    .describe('The CA that signed the server certificate (PEM). Streaming verifies the certificate (NODE_EXTRA_CA_CERTS) unless sslMode is disable; without it, against the public CAs.'),
}).describe('An existing Postgres database.');

const StorageSchema = (size: string) => z.strictObject({
  size: memory.describe('PVC size, e.g. 20Gi.'),
  storageClass: z.string().min(1).optional().describe('StorageClass; the cluster default when left out.'),
}).default({ size });

const ObjectStoreSchema = z.strictObject({
  destinationPath: z.string().regex(S3_PATH, { error: (i) => destinationPathProblem(String(i.input)) })
    .describe('Where base backups and WAL go, e.g. s3://ocw-backups/postgres.'),
  endpointURL: z.string().superRefine((v, ctx) => {
    const problem = endpointUrlProblem(v);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  }).meta({ format: 'uri' }).describe('S3 API endpoint.'),
  credentialsSecret: z.strictObject({
    name: objectName('the Secret name').describe('Name of the Secret with the backup bucket\'s key (its own key, so a leaked media key cannot touch the backups).'),
    // The same key names as media.s3.credentialsSecret, so one Secret can serve both.
    accessKeyIdKey: z.string().regex(SECRET_KEY).default(BACKUP_DEFAULTS.accessKeyIdKey).describe('The Secret key holding the access key id.'),
    secretAccessKeyKey: z.string().regex(SECRET_KEY).default(BACKUP_DEFAULTS.secretAccessKeyKey).describe('The Secret key holding the secret access key.'),
  }, {
    error: (iss) => iss.code === 'invalid_type' ? 'must be {name, accessKeyIdKey, secretAccessKeyKey} naming an existing Secret; store the keys in a Secret and name it here, never paste keys here' : undefined,
  }).describe('The Secret with the backup bucket\'s access key id and secret access key.'),
  serverName: dnsLabel(63, 'serverName').optional()
    .describe('Folder for this cluster inside destinationPath; defaults to the cluster name. Change it after a restore.'),
  retentionPolicy: z.string().regex(RETENTION_POLICY, { error: (i) => retentionPolicyProblem(String(i.input)) }).default(BACKUP_DEFAULTS.retentionPolicy)
    .describe('How long base backups and the WAL they need are kept.'),
  walCompression: z.enum(['gzip', 'bzip2', 'lz4', 'snappy', 'xz', 'zstd']).default(BACKUP_DEFAULTS.walCompression)
    .describe('How each WAL file is compressed before it is uploaded.'),
  baseBackupSchedule: cnpgSchedule(BACKUP_DEFAULTS.baseBackupSchedule).default(BACKUP_DEFAULTS.baseBackupSchedule)
    .describe('Base backups (six fields, seconds first); retention can only prune WAL older than the oldest kept base backup.'),
  sidecarEnv: z.record(z.string(), z.string()).superRefine((env, ctx) => {
    for (const k of Object.keys(env)) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) {
        ctx.addIssue({ code: 'custom', path: [k], message: `'${k}' must be an environment variable name such as AWS_REQUEST_CHECKSUM_CALCULATION (letters, digits, _); rename it` });
      }
    }
  }).default({})
    .describe('Variables for the Barman Cloud sidecar; they add to or override the defaults (AWS_REQUEST_CHECKSUM_CALCULATION and AWS_RESPONSE_CHECKSUM_VALIDATION=when_required for non-AWS endpoints).'),
});

const VolumeSnapshotSchema = z.strictObject({
  className: z.string().min(1).describe('VolumeSnapshotClass of the CSI driver.'),
  schedule: cnpgSchedule(BACKUP_DEFAULTS.snapshotSchedule).default(BACKUP_DEFAULTS.snapshotSchedule).describe('Weekly by default (Sundays 04:00).'),
  keep: z.number().int().min(1).default(BACKUP_DEFAULTS.snapshotKeep).describe('Snapshot backups to keep; older ones are deleted by a CronJob.'),
  retentionSchedule: cronJobSchedule(BACKUP_DEFAULTS.snapshotRetentionSchedule).default(BACKUP_DEFAULTS.snapshotRetentionSchedule)
    .describe('When the retention CronJob runs.'),
});

const BootstrapSchema = z.discriminatedUnion('mode', [
  z.strictObject({ mode: z.literal('initdb') }),
  z.strictObject({
    mode: z.literal('recovery'),
    from: z.enum(['objectStore', 'volumeSnapshot']).describe('objectStore: base backup + WAL (PITR); volumeSnapshot: snapshots + WAL.'),
    sourceServerName: dnsLabel(63, 'sourceServerName').optional()
      .describe('The archive folder to restore from (the old serverName); defaults to the cluster name.'),
    targetTime: z.string().regex(/^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}(:?\d{2})?)$/, {
      error: "must be a timestamp with a zone, such as '2026-11-20T03:15:00Z'",
    }).optional().describe('Point in time to stop replaying WAL at; the end of the archive when left out.'),
    snapshots: z.strictObject({
      storage: z.string().min(1).describe('VolumeSnapshot of the data volume.'),
      walStorage: z.string().min(1).describe('VolumeSnapshot of the WAL volume.'),
    }).optional().describe('Required with from: volumeSnapshot.'),
  }),
  z.strictObject({
    mode: z.literal('import'),
    host: z.string().min(1).describe('The existing Postgres to copy from.'),
    port: z.number().int().min(1).max(65535).default(5432).describe('Its port.'),
    database: z.string().min(1).default('mastodon').describe('The database to copy.'),
    user: z.string().min(1).default('mastodon').describe('The role to connect as; it must be able to read every table.'),
    passwordSecret: SecretKeyRefSchema.describe("The Secret key with that role's password."),
    sslMode: z.enum(['disable', 'prefer', 'require', 'verify-ca', 'verify-full']).default('prefer').describe('The libpq sslmode of the connection.'),
  }),
]).describe('initdb: a new database; recovery: restore from backups; import: copy an existing Postgres.');

const CnpgDatabaseSchema = z.strictObject({
  mode: z.literal('cnpg'),
  instances: z.number().int().min(POSTGRES_BOUNDS.instances.min).max(POSTGRES_BOUNDS.instances.max).default(POSTGRES_DEFAULTS.instances).describe('Postgres instances: a primary and instances-1 replicas.'),
  pool: pool.default(DEFAULT_POOL).describe('Node pool for the instances.'),
  arch: z.enum(ARCHES).optional().describe('Pin every instance to this architecture; required when the pool mixes architectures.'),
  postgresMajor: z.number().int().min(14).max(18).default(POSTGRES_DEFAULTS.postgresMajor).describe('Postgres major version.'),
  imageName: z.string().min(1).optional().describe('Override the image: a CNPG standard image of postgresMajor, with its tag (CloudNativePG reads the major from it), e.g. ghcr.io/cloudnative-pg/postgresql:17.6-standard-trixie, optionally pinned by digest: …:17.6-standard-trixie@sha256:….'),
  storage: StorageSchema(POSTGRES_DEFAULTS.storageSize).describe('The data volume (PGDATA) of each instance.'),
  walStorage: StorageSchema(POSTGRES_DEFAULTS.walStorageSize)
    .describe('The WAL volume (pg_wal) of each instance: it holds the WAL not yet archived, so size it for an object store outage.'),
  resources: ResourcesSchema.default(POSTGRES_DEFAULTS.resources),
  parameters: z.record(z.string(), z.string()).default({})
    .describe('Extra postgresql.conf parameters, as strings. max_connections is derived from the connection budget.'),
  connectionReserve: z.number().int().min(0).default(POSTGRES_DEFAULTS.connectionReserve).describe('Connections kept free for the operator, monitoring and psql.'),
  pooler: z.strictObject({
    instances: z.number().int().min(POSTGRES_BOUNDS.poolerInstances.min).default(POSTGRES_DEFAULTS.poolerInstances).describe('PgBouncer pods.'),
    defaultPoolSize: z.number().int().min(1).default(POSTGRES_DEFAULTS.defaultPoolSize).describe('Server connections per PgBouncer instance.'),
    reservePoolSize: z.number().int().min(0).default(POSTGRES_DEFAULTS.reservePoolSize)
      .describe('reserve_pool_size: extra server connections per instance when clients wait; counted in the connection budget.'),
    maxClientConn: z.number().int().min(1).optional().describe('Client connections per instance; derived from the budget when left out.'),
    resources: ResourcesSchema.default(POSTGRES_DEFAULTS.poolerResources),
  }).prefault({}).describe('The PgBouncer Pooler (transaction mode) Mastodon connects through.'),
  bootstrap: BootstrapSchema.default({ mode: 'initdb' }),
  backup: z.strictObject({
    objectStore: ObjectStoreSchema.describe('Continuous WAL archiving and base backups (Barman Cloud plugin).'),
    volumeSnapshot: VolumeSnapshotSchema.optional().describe('The weekly volume snapshot (second tier).'),
  }).describe('Two-tier backups: WAL archiving plus base backups, and optional volume snapshots.'),
  amcheck: z.strictObject({
    schedule: cronJobSchedule(POSTGRES_DEFAULTS.amcheckSchedule).default(POSTGRES_DEFAULTS.amcheckSchedule)
      .describe('When it runs: a 5-field cron schedule (minute hour day month weekday), read in UTC.'),
  }).prefault({}).describe('The weekly pg_amcheck corruption check, against the primary (docs/restore.md).'),
}).describe('A CloudNativePG cluster with a PgBouncer pooler and two-tier backups.');

export const DatabaseSchema = z.discriminatedUnion('mode', [ExternalDatabaseSchema, CnpgDatabaseSchema])
  .describe('cnpg: a CloudNativePG cluster made by this chart; external: an existing Postgres.');

export const S3Schema = z.strictObject({
  bucket: z.string().min(3).describe('Bucket name.'),
  endpoint: z.url({ error: 'must be a URL such as https://s3.eu-central-1.wasabisys.com' }).describe('S3 API endpoint URL.'),
  region: z.string().min(1).default(S3_DEFAULTS.region)
    .describe('S3_REGION: the bucket\'s region (B2: eu-central-003 for s3.eu-central-003.backblazeb2.com).'),
  hostname: z.string().regex(HOSTNAME, { error: 'must be a host name' }).optional().describe('S3_HOSTNAME, when it differs from the endpoint host.'),
  aliasHost: z.string().min(1).optional().describe('Public host that serves the media (S3_ALIAS_HOST), e.g. media.example.social.'),
  checksums: z.enum(['when_required', 'when_supported']).optional()
    .describe('AWS_REQUEST_CHECKSUM_CALCULATION and AWS_RESPONSE_CHECKSUM_VALIDATION for Mastodon (docs/media.md). Default: when_required for a non-AWS endpoint (Backblaze B2, R2, MinIO and others reject the CRC32 header newer SDKs send), the SDK default for Amazon S3.'),
  credentialsSecret: z.strictObject({
    name: objectName('the Secret name').describe('Name of the Secret with the media bucket\'s key.'),
    accessKeyIdKey: z.string().regex(SECRET_KEY).default(S3_DEFAULTS.accessKeyIdKey).describe('The Secret key holding the access key id (AWS_ACCESS_KEY_ID).'),
    secretAccessKeyKey: z.string().regex(SECRET_KEY).default(S3_DEFAULTS.secretAccessKeyKey).describe('The Secret key holding the secret access key (AWS_SECRET_ACCESS_KEY).'),
  }, {
    error: (iss) => iss.code === 'invalid_type' ? 'must be {name, accessKeyIdKey, secretAccessKeyKey} naming an existing Secret; store the keys in a Secret and name it here, never paste keys here' : undefined,
  }).describe('The Secret with the access key id and secret key.'),
});

export const MediaVolumeSchema = z.strictObject({
  accessMode: z.enum(['ReadWriteMany', 'ReadWriteOnce']).describe('ReadWriteOnce only works when one pod mounts it.'),
  size: memory.describe('PVC size, e.g. 50Gi.'),
  storageClass: z.string().min(1).optional().describe('StorageClass; the cluster default when left out. ReadWriteMany needs one that offers it (e.g. NFS or Longhorn).'),
});

export const MediaSchema = z.strictObject({
  s3: S3Schema.optional().describe('S3-compatible object storage (recommended).'),
  volume: MediaVolumeSchema.optional().describe('A volume mounted at public/system, when there is no object storage.'),
}).refine((m) => (m.s3 === undefined) !== (m.volume === undefined), {
  error: 'set exactly one of media.s3 (object storage) or media.volume (a PersistentVolumeClaim)',
});

export const SmtpSchema = z.strictObject({
  server: z.string().min(1).describe('SMTP relay host, e.g. smtp.mailgun.org.'),
  port: z.number().int().min(1).max(65535).default(SMTP_DEFAULTS.port).describe('SMTP_PORT: 587 for STARTTLS, 465 for implicit TLS.'),
  fromAddress: z.string().min(3).describe("Sender, e.g. 'Mastodon <notifications@example.social>'."),
  login: z.string().min(1).optional().describe('SMTP_LOGIN: the user name for the relay; none when left out.'),
  passwordSecret: SecretKeyRefSchema.optional().describe('The Secret key that holds SMTP_PASSWORD.'),
  authMethod: z.enum(['plain', 'login', 'cram_md5', 'none']).default(SMTP_DEFAULTS.authMethod).describe('SMTP_AUTH_METHOD.'),
  enableStarttls: z.enum(['auto', 'always', 'never']).default(SMTP_DEFAULTS.enableStarttls).describe('SMTP_ENABLE_STARTTLS.'),
});

const CronJobSchema = z.strictObject({
  schedule: cronJobSchedule('30 3 * * *').describe('When it runs: a 5-field cron schedule (minute hour day month weekday), read in UTC.'),
  days: z.number().int().min(1).describe('Remove what is older than this many days.'),
});

/** A value of mastodon.extraEnv: YAML reads true and 3 as a boolean and a number, so they must be quoted. */
const EXTRA_ENV_VALUE_ERROR = "must be a string (quote it in YAML: 'true', '3') or a Secret reference {secret, key}";
/** mastodon.extraEnv: any setting Mastodon reads that the config does not set already. */
export const ExtraEnvSchema = z.record(z.string(), z.union([
  z.string(),
  z.strictObject({
    secret: objectName('extraEnv secret').describe('The name of an existing Secret in the namespace.'),
    key: z.string().regex(SECRET_KEY, { error: "must be a Secret key: letters, digits, '-', '_' and '.'" }).describe('The key inside it.'),
  }),
], { error: EXTRA_ENV_VALUE_ERROR })).superRefine((env, ctx) => {
  for (const p of extraEnvProblems('', env)) ctx.addIssue({ code: 'custom', path: [p.path.slice(1)], message: p.message });
});

export const MastodonSchema = z.strictObject({
  version: z.string().regex(/^v4\.[0-9]+\.[0-9]+$/, { error: 'must be a Mastodon 4.x release tag such as v4.7.2' })
    .default(DEFAULT_MASTODON_VERSION).describe('Mastodon release; the tag of both official images.'),
  image: ImageOverrideSchema.optional().describe('Override the web/Sidekiq image.'),
  streamingImage: ImageOverrideSchema.optional().describe('Override the streaming image.'),
  secretName: objectName('mastodon.secretName').describe(
    'Existing Secret with SECRET_KEY_BASE, OTP_SECRET, VAPID_PRIVATE_KEY, VAPID_PUBLIC_KEY and the three ACTIVE_RECORD_ENCRYPTION_* keys (npm run secrets makes one).'),
  singleUserMode: z.boolean().default(MASTODON_DEFAULTS.singleUserMode).describe('SINGLE_USER_MODE: one account, no sign-ups, the profile as the landing page.'),
  defaultLocale: z.string().min(2).default(MASTODON_DEFAULTS.defaultLocale).describe('DEFAULT_LOCALE for visitors whose language is not known, e.g. en or de.'),
  extraEnv: ExtraEnvSchema.default({}).describe(
    "Any other setting Mastodon reads (docs/mastodon-settings.md), by name: a string such as AUTHORIZED_FETCH: 'true', or a Secret reference {secret, key}. Reaches web, streaming, Sidekiq and the Jobs; a change rolls the pods. Names the config already sets are refused, naming the field to use."),
});

const httpsUrl = (example: string) => z.url({ protocol: /^https?$/, error: `must be a URL such as ${example}` });
const CLAIM = /^[^\s,]+$/;

/** OpenID Connect (OIDC_*), as mastodon/mastodon config/omniauth.yml reads it. */
export const OidcSchema = z.strictObject({
  displayName: z.string().min(1).describe('OIDC_DISPLAY_NAME: the label of the sign-in button, e.g. Company login.'),
  issuer: httpsUrl('https://id.example.com/realms/main').describe('OIDC_ISSUER: the identity provider URL (its discovery document is <issuer>/.well-known/openid-configuration).'),
  discovery: z.boolean().default(AUTH_DEFAULTS.oidc.discovery)
    .describe("OIDC_DISCOVERY: read the endpoints from the issuer's discovery document; false needs endpoints."),
  clientId: z.string().min(1).describe('OIDC_CLIENT_ID: the client registered at the provider.'),
  clientSecret: SecretKeyRefSchema.describe('OIDC_CLIENT_SECRET, from a Secret key.'),
  scope: z.array(z.string().regex(CLAIM, { error: 'must be one scope name such as openid (no spaces or commas)' })).min(1)
    .default([...AUTH_DEFAULTS.oidc.scope])
    .describe('OIDC_SCOPE: the scopes to request (joined with commas, as Mastodon splits them).'),
  uidField: z.string().regex(CLAIM, { error: 'must be a claim name such as sub or preferred_username' }).default(AUTH_DEFAULTS.oidc.uidField)
    .describe('OIDC_UID_FIELD: the claim that identifies a user for good (sub never changes; preferred_username may).'),
  pkce: z.boolean().default(AUTH_DEFAULTS.oidc.pkce).describe('OIDC_USE_PKCE: send a PKCE challenge (some providers require it).'),
  assumeEmailIsVerified: z.boolean().default(AUTH_DEFAULTS.oidc.assumeEmailIsVerified)
    .describe("OIDC_SECURITY_ASSUME_EMAIL_IS_VERIFIED: trust the provider's e-mail addresses without Mastodon's confirmation mail."),
  endpoints: z.strictObject({
    authorization: httpsUrl('https://id.example.com/authorize').describe('OIDC_AUTH_ENDPOINT.'),
    token: httpsUrl('https://id.example.com/token').describe('OIDC_TOKEN_ENDPOINT.'),
    userInfo: httpsUrl('https://id.example.com/userinfo').describe('OIDC_USER_INFO_ENDPOINT.'),
    jwks: httpsUrl('https://id.example.com/jwks').describe('OIDC_JWKS_URI.'),
    endSession: httpsUrl('https://id.example.com/logout').optional().describe('OIDC_END_SESSION_ENDPOINT (optional).'),
  }).optional().describe('The endpoints, when discovery is false.'),
}).describe('Sign in with an OpenID Connect provider (Keycloak, Authentik, Google, ...).');

/** SAML (SAML_*), as mastodon/mastodon config/omniauth.yml reads it. */
export const SamlSchema = z.strictObject({
  displayName: z.string().min(1).optional().describe('SAML_DISPLAY_NAME: the label of the sign-in button.'),
  issuer: z.string().min(1).describe('SAML_ISSUER: the entity ID of this server as registered at the identity provider.'),
  idpSsoTargetUrl: httpsUrl('https://idp.example.com/sso').describe("SAML_IDP_SSO_TARGET_URL: the identity provider's sign-on URL."),
  idpCert: z.string().min(1).optional().describe("SAML_IDP_CERT: the identity provider's signing certificate (PEM; public)."),
  idpCertFingerprint: z.string().min(1).optional().describe("SAML_IDP_CERT_FINGERPRINT: its fingerprint, instead of idpCert."),
  nameIdentifierFormat: z.string().min(1).optional().describe('SAML_NAME_IDENTIFIER_FORMAT, e.g. urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress.'),
  uidAttribute: z.string().min(1).optional().describe('SAML_UID_ATTRIBUTE: the attribute that identifies a user.'),
  certificate: z.string().min(1).optional().describe("SAML_CERT: this server's certificate (PEM; public), for signed or encrypted assertions."),
  privateKeySecret: SecretKeyRefSchema.optional().describe("SAML_PRIVATE_KEY: this server's private key, from a Secret key."),
  wantAssertionsSigned: z.boolean().default(AUTH_DEFAULTS.saml.wantAssertionsSigned).describe('SAML_SECURITY_WANT_ASSERTION_SIGNED.'),
  wantAssertionsEncrypted: z.boolean().default(AUTH_DEFAULTS.saml.wantAssertionsEncrypted).describe('SAML_SECURITY_WANT_ASSERTION_ENCRYPTED.'),
  assumeEmailIsVerified: z.boolean().default(AUTH_DEFAULTS.saml.assumeEmailIsVerified).describe('SAML_SECURITY_ASSUME_EMAIL_IS_VERIFIED.'),
  attributes: z.strictObject({
    uid: z.string().min(1).optional().describe('SAML_ATTRIBUTES_STATEMENTS_UID.'),
    email: z.string().min(1).optional().describe('SAML_ATTRIBUTES_STATEMENTS_EMAIL.'),
    fullName: z.string().min(1).optional().describe('SAML_ATTRIBUTES_STATEMENTS_FULL_NAME.'),
    firstName: z.string().min(1).optional().describe('SAML_ATTRIBUTES_STATEMENTS_FIRST_NAME.'),
    lastName: z.string().min(1).optional().describe('SAML_ATTRIBUTES_STATEMENTS_LAST_NAME.'),
    verified: z.string().min(1).optional().describe('SAML_ATTRIBUTES_STATEMENTS_VERIFIED.'),
    verifiedEmail: z.string().min(1).optional().describe('SAML_ATTRIBUTES_STATEMENTS_VERIFIED_EMAIL.'),
  }).optional().describe('SAML_ATTRIBUTES_STATEMENTS_*: the assertion attribute that holds each value.'),
}).describe('Sign in with a SAML identity provider.');

/** LDAP (LDAP_*), as mastodon/mastodon config/initializers/devise.rb reads it. */
export const LdapSchema = z.strictObject({
  host: z.string().min(1).describe('LDAP_HOST: the directory server, e.g. ldap.example.com or openldap.auth (a Service).'),
  port: z.number().int().min(1).max(65535).optional().describe('LDAP_PORT; when left out, 636 for simple_tls (LDAPS) and 389 for start_tls and plain.'),
  method: z.enum(['simple_tls', 'start_tls', 'plain']).default(AUTH_DEFAULTS.ldap.method)
    .describe('LDAP_METHOD: simple_tls (LDAPS), start_tls, or plain (unencrypted: passwords cross the network in the clear).'),
  base: z.string().min(1).describe('LDAP_BASE: where users are searched, e.g. dc=example,dc=com.'),
  bindDn: z.string().min(1).describe('LDAP_BIND_DN: the account Mastodon searches with.'),
  passwordSecret: SecretKeyRefSchema.describe('LDAP_PASSWORD: its password, from a Secret key.'),
  uid: z.string().min(1).default(AUTH_DEFAULTS.ldap.uid).describe('LDAP_UID: the attribute holding the user name.'),
  mail: z.string().min(1).default(AUTH_DEFAULTS.ldap.mail).describe('LDAP_MAIL: the attribute holding the e-mail address.'),
  searchFilter: z.string().min(1).optional().describe("LDAP_SEARCH_FILTER; Mastodon's default matches uid or mail."),
  tlsNoVerify: z.boolean().default(AUTH_DEFAULTS.ldap.tlsNoVerify).describe("LDAP_TLS_NO_VERIFY: skip the server certificate check (only for a test directory)."),
}).describe('Sign in with an LDAP directory (users type their directory name or e-mail and password into Mastodon).');

/** Single sign-on. */
export const AuthSchema = z.strictObject({
  omniauthOnly: z.boolean().default(AUTH_DEFAULTS.omniauthOnly)
    .describe('OMNIAUTH_ONLY: only the OIDC or SAML provider signs users in (no local passwords or sign-up form).'),
  oidc: OidcSchema.optional(),
  saml: SamlSchema.optional(),
  ldap: LdapSchema.optional(),
}).superRefine((a, ctx) => {
  for (const p of authProblems('', a)) ctx.addIssue({ code: 'custom', path: p.path.split('.'), message: p.message });
}).describe('Single sign-on: OpenID Connect, SAML and LDAP (docs/authentication.md). Off by default.');

/** Translation of posts. */
export const TranslationSchema = z.discriminatedUnion('provider', [
  z.strictObject({
    provider: z.literal('deepl'),
    apiKeySecret: SecretKeyRefSchema.describe('DEEPL_API_KEY, from a Secret key.'),
    plan: z.enum(['free', 'pro']).default(TRANSLATION_DEFAULTS.deeplPlan).describe('DEEPL_PLAN: free (api-free.deepl.com) or pro (api.deepl.com).'),
  }),
  z.strictObject({
    provider: z.literal('libretranslate'),
    endpoint: httpsUrl('http://libretranslate.tools:5000').describe('LIBRE_TRANSLATE_ENDPOINT: the LibreTranslate server, e.g. http://libretranslate.tools:5000 (a Service) or https://translate.example.com.'),
    apiKeySecret: SecretKeyRefSchema.optional().describe('LIBRE_TRANSLATE_API_KEY, from a Secret key, when the server wants one.'),
  }),
]).describe('Translate posts with DeepL or LibreTranslate (docs/mastodon-settings.md). Off by default.');

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const TunnelRouteSchema = z.strictObject({
  hostname: z.string().min(1).describe('Host name, e.g. status.example.social (a wildcard may only lead: *.example.social).'),
  path: z.string().min(1).optional().describe('Regular expression on the path, e.g. ^/api.'),
  service: z.string().min(1).describe('http://service.namespace:port (no path), or http_status:NNN.'),
});

const TunnelCommon = {
  replicas: z.number().int().min(MIN_TUNNEL_REPLICAS, { error: (i) => tunnelReplicasProblem(Number(i.input)) }).default(TUNNEL_DEFAULTS.replicas)
    .describe('cloudflared connector pods, spread over nodes: at least 2, so one node loss keeps the site reachable.'),
  pools: z.array(pool).min(1).optional().describe('Pools the connectors may run in; the pools of web and streaming when left out, so public traffic never crosses another pool\'s link.'),
  protocol: z.enum(['auto', 'quic', 'http2']).default(TUNNEL_DEFAULTS.protocol)
    .describe('Transport to Cloudflare; http2 (TCP) avoids QUIC trouble on links with a small MTU.'),
  resources: ResourcesSchema.default(TUNNEL_DEFAULTS.resources).describe('Requests and memory limit of each cloudflared pod.'),
};

export const TunnelSchema = z.discriminatedUnion('mode', [
  z.strictObject({
    mode: z.literal('local'),
    tunnelId: z.string().regex(UUID, { error: 'must be the tunnel UUID (cloudflared tunnel list), e.g. 6ff42ae2-765d-4adf-8112-31c55c1551ef' })
      .describe('The tunnel UUID: cloudflared tunnel create prints it, cloudflared tunnel list shows it.'),
    credentialsSecret: SecretKeyRefSchema.describe('The Secret key holding the tunnel credentials JSON (cloudflared tunnel create writes it).'),
    extraRoutes: z.array(TunnelRouteSchema).default([]).describe('More routes after the Mastodon ones, e.g. a status page.'),
    ...TunnelCommon,
  }),
  z.strictObject({
    mode: z.literal('remote'),
    tokenSecret: SecretKeyRefSchema.describe('The Secret key holding TUNNEL_TOKEN; routes live in the Cloudflare dashboard.'),
    ...TunnelCommon,
  }),
]).describe('local: routes generated here, in git; remote: routes kept in Cloudflare, only a token here.');

export const MaintenanceSchema = z.strictObject({
  enabled: z.boolean().default(false).describe('Send every Mastodon host name to the maintenance page (HTTP 503).'),
  stopWorkloads: z.boolean().default(false).describe('Also scale web, streaming and Sidekiq to 0 and leave the migration Jobs out, so nothing writes.'),
  retryAfterSeconds: z.number().int().min(1).default(900).describe('The Retry-After header.'),
  title: z.string().min(1).default('Down for maintenance').describe('Heading of the maintenance page.'),
  message: z.string().min(1).default('<p>We are upgrading the server. Your posts and follows are safe; please come back in a few minutes.</p>')
    .describe('HTML shown under the title.'),
});

export const ArgoCdSchema = z.strictObject({
  repoURL: z.string().min(1)
    // `cdk8s-mastodon init` writes a URL under the reserved .invalid domain (RFC 2606) until the
    // user names their repository; it can never be cloned, so synth refuses it.
    .refine((u) => !/^[a-z+]+:\/\/([^/@]*@)?[^/:]*\.invalid([:/]|$)/i.test(u) && !/@[^:]*\.invalid:/i.test(u), {
      error: 'is still the placeholder (a .invalid host, which can never be cloned); set it to the URL of the git repository that holds this config and dist/, e.g. https://github.com/you/mastodon-gitops.git',
    })
    .describe('Git repository Argo CD pulls dist/ from.'),
  targetRevision: z.string().min(1).default('main').describe('Branch, tag or commit.'),
  path: z.string().min(1).default('dist').describe('Folder of the synthesized manifests inside the repository.'),
  namespace: dnsLabel(63, 'argocd.namespace').default('argocd').describe('Namespace Argo CD runs in (the Application and AppProject go there).'),
  project: dnsLabel(63, 'argocd.project').optional().describe('AppProject name; defaults to the instance name.'),
  destinationServer: z.string().min(1).default('https://kubernetes.default.svc').describe('Cluster API the app is deployed to.'),
}).describe('Writes dist/argocd.k8s.yaml: an Application and an AppProject to apply once.');

const labelMap = (what: string) => z.record(
  z.string().regex(LABEL_KEY, { error: `${what}: use a label key such as release or app.kubernetes.io/part-of` }),
  z.string().regex(LABEL_VALUE, { error: `${what}: use a label value such as kube-prometheus-stack (letters, digits, '-', '_' and '.', at most 63)` }),
);

export const MonitoringSchema = z.strictObject({
  enabled: z.boolean().default(false)
    .describe('Scrape every component and install the alert rules (needs the Prometheus Operator, e.g. kube-prometheus-stack).'),
  namespace: dnsLabel(63, 'monitoring.namespace').default('monitoring')
    .describe('Namespace Prometheus runs in: the only one the NetworkPolicies let reach the metrics ports.'),
  prometheusPodLabels: labelMap('monitoring.prometheusPodLabels').optional()
    .describe('Narrow the allow to the Prometheus pods with these labels, e.g. {app.kubernetes.io/name: prometheus}; every pod of the namespace when left out.'),
  ruleLabels: labelMap('monitoring.ruleLabels').default({})
    .describe("Labels on the PrometheusRule so Prometheus' ruleSelector picks it up, e.g. {release: kube-prometheus-stack}."),
  monitorLabels: labelMap('monitoring.monitorLabels').optional()
    .describe('Labels on the PodMonitors for podMonitorSelector; ruleLabels when left out.'),
  scrapeInterval: z.string().regex(/^[0-9]+(s|m)$/, { error: "must be a duration such as '30s' or '1m'" }).default('30s')
    .describe('How often Prometheus scrapes each pod.'),
  sidekiq: z.strictObject({
    latencySeconds: z.number().int().min(10).default(300).describe('Alert when the oldest job of a queue has waited this long.'),
    backlog: z.number().int().min(1).default(10000).describe('Alert when a queue holds this many jobs.'),
  }).prefault({}).describe('Queue thresholds, per process group.'),
  baseBackupMaxAgeHours: z.number().int().min(1).optional()
    .describe('Alert when the newest base backup is older than this; derived from database.backup.objectStore.baseBackupSchedule when left out.'),
  runbookUrl: z.url({ error: 'must be a URL such as https://github.com/you/infra/blob/main/README.md#monitoring-and-alerts' })
    .default('https://www.npmjs.com/package/cdk8s-mastodon#monitoring-and-alerts')
    .describe("Where every alert's runbook_url points: the README section with the alert table (point it at your own copy if you keep one)."),
  webExporter: z.strictObject({
    resources: ResourcesSchema.default(WEB_EXPORTER_DEFAULTS.resources),
  }).prefault({}).describe('The prometheus_exporter sidecar next to Puma (same Mastodon image).'),
  redisExporter: z.strictObject({
    resources: ResourcesSchema.default({ requests: { cpu: '10m', memory: '32Mi' }, limits: { memory: '64Mi' } }),
  }).prefault({}).describe('redis_exporter for the internal Redis, in its own Deployment <name>-redis-metrics (docs/monitoring.md).'),
}).describe('Monitoring for the Prometheus Operator: PodMonitors, metrics sidecars, NetworkPolicy allows and alert rules. Off by default.');

const restartSchedule = (what: string) => cronJobSchedule('0 4 * * *', ` for ${what}`);

/** Scheduled rolling restarts against memory creep: all off unless a schedule is given. */
export const RestartsSchema = z.strictObject({
  web: restartSchedule('web').optional().describe('When to roll the web pods (kubectl rollout restart), e.g. 0 4 * * *; one pod at a time, maxUnavailable 0.'),
  streaming: restartSchedule('streaming').optional().describe('When to roll the streaming pods.'),
  sidekiq: z.record(z.string(), restartSchedule('a Sidekiq process')).default({})
    .describe('When to roll each Sidekiq process group, by process name.'),
}).describe('Scheduled rolling restarts (CronJobs running kubectl rollout restart), off by default.');

// ---- search (issue 25 item 2): every variable as config/initializers/chewy.rb (Mastodon v4.x) reads it.

/** Index names are lower case and may not start with '-', '_' or '+'; chewy joins the prefix with '_'. */
const INDEX_PREFIX = /^[a-z0-9][a-z0-9._-]{0,63}$/;

const searchPrefix = z.string().regex(INDEX_PREFIX, { error: "must be an index name prefix: lower-case letters, digits, '.', '_' and '-', starting with a letter or digit (at most 64)" })
  .optional().describe('ES_PREFIX: prepended to every index name (prefix_accounts, ...), so several Mastodon servers can share one cluster; none when left out.');

const SearchDeploySchema = z.strictObject({
  reindexToken: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, { error: "must be a short token such as '2026-12-01' or 'v4.8.0' (letters, digits, '.', '_' and '-')" }).optional()
    .describe('Change it to run tootctl search deploy again, e.g. when an upgrade\'s notes ask for it. The Job also runs when search is first enabled and after an upgrade across a release whose notes ask for a search deploy (v4.2.0, v4.4.0), not after a patch upgrade.'),
  concurrency: z.number().int().min(1).max(32).default(SEARCH_DEFAULTS.deploy.concurrency)
    .describe('tootctl search deploy --concurrency: worker threads; the Job takes this plus one database connection.'),
  batchSize: z.number().int().min(1).max(10000).default(SEARCH_DEFAULTS.deploy.batchSize).describe('tootctl search deploy --batch-size: records per batch.'),
  resetChewy: z.boolean().default(false).describe("tootctl search deploy --reset-chewy: forget the stored index specifications so every index is rebuilt (some upgrade notes ask for it; set a new reindexToken with it)."),
  only: z.array(z.enum(SEARCH_INDICES)).min(1).optional().describe('tootctl search deploy --only: these indices only; every index when left out.'),
  onlyMapping: z.boolean().default(false).describe('tootctl search deploy --only-mapping: update the changed index specifications without re-importing (the v4.4.0 notes ask for it). Set it with a new reindexToken for that run, then unset it: it never fills an empty index, so leave it off when search is first enabled.'),
  timeoutSeconds: z.number().int().min(600).max(7 * 86400).default(SEARCH_DEFAULTS.deploy.timeoutSeconds)
    .describe('activeDeadlineSeconds of the Job: it is stopped after this many seconds, retries included (a large server takes hours to index).'),
  resources: ResourcesSchema.default(SEARCH_DEFAULTS.deploy.resources).describe('Requests and memory limit of the tootctl pod (a Rails process; at least 512Mi).'),
}).describe('The tootctl search deploy Job that creates the indices and fills them.');

const SearchExternalSchema = z.strictObject({
  mode: z.literal('external'),
  host: z.string().min(1, { error: 'must be the host name of the Elasticsearch or OpenSearch server, e.g. search.example.net', abort: true })
    .regex(SEARCH_HOST, { error: (i) => `'${String(i.input)}' is not a bare host name: write the host alone (e.g. search.example.net), the scheme in search.scheme and the port in search.port` })
    .describe('ES_HOST: the host name, without scheme or port.'),
  port: z.number().int().min(1).max(65535).default(SEARCH_DEFAULTS.port).describe('ES_PORT.'),
  scheme: z.enum(['http', 'https']).default(SEARCH_DEFAULTS.scheme)
    .describe('https is written into ES_HOST as https://host, which is how Mastodon connects over TLS (its CA must be a public one the image trusts).'),
  user: z.string().min(1).optional().describe('ES_USER: the user Mastodon authenticates as; none when left out.'),
  passwordSecret: SecretKeyRefSchema.optional().describe('The Secret key that holds ES_PASS; give it together with user.'),
  prefix: searchPrefix,
  preset: z.enum(SEARCH_PRESETS).default(SEARCH_DEFAULTS.preset)
    .describe('ES_PRESET: single_node_cluster (no replicas), small_cluster (under 6 nodes, 1 replica) or large_cluster (more shards).'),
  deploy: SearchDeploySchema.prefault({}),
}).check((ctx) => {
  // The pairing rule MastodonEnvironment applies too; the host shape is checked above.
  for (const p of searchEndpointProblems('search', ctx.value).filter((x) => !x.path.endsWith('.host'))) {
    ctx.issues.push({ code: 'custom', input: ctx.value, path: [p.path.slice('search.'.length)], message: p.message });
  }
});

const SearchInternalSchema = z.strictObject({
  mode: z.literal('internal'),
  pool: pool.default(DEFAULT_POOL).describe('Node pool for the OpenSearch pod.'),
  storage: z.strictObject({
    size: memory.describe('PVC size for the indices, e.g. 10Gi (they are rebuilt from the database if lost).'),
    storageClass: z.string().min(1).optional().describe('StorageClass; the cluster default when left out.'),
  }).default(SEARCH_DEFAULTS.internal.storage).describe('The volume of the OpenSearch indices.'),
  resources: ResourcesSchema.default(SEARCH_DEFAULTS.internal.resources)
    .describe('Requests and memory limit of OpenSearch; the JVM heap is half the limit, so request at least 1Gi and the same as the limit.'),
  prefix: searchPrefix,
  deploy: SearchDeploySchema.prefault({}),
});

export const SearchSchema = z.discriminatedUnion('mode', [
  z.strictObject({ mode: z.literal('off') }),
  SearchExternalSchema,
  SearchInternalSchema,
]).describe('Full-text search (ES_*): off (Mastodon\'s default), an external Elasticsearch/OpenSearch, or a single-node OpenSearch in the cluster.');

/** The whole configuration file. */
export const MastodonConfigSchema = z.strictObject({
  // kubernetes/kubernetes pkg/apis/core/validation/validation.go: ValidateServiceName is NameIsDNS1035Label.
  name: dnsLabel(24, 'name')
    .regex(/^[a-z]/, { error: 'name must start with a letter: it begins every Service name (e.g. ocw-web), and Kubernetes requires a Service name to start with one' })
    .describe('Instance name; prefixes every resource name (e.g. ocw → ocw-web). Starts with a letter.'),
  namespace: dnsLabel(63, 'namespace').default('mastodon').describe('Namespace for every object.'),
  domain: z.string({ error: 'must be the server domain, e.g. example.social' })
    .min(1, { error: 'must not be empty: set it to the server domain, e.g. example.social', abort: true })
    .regex(HOSTNAME, { error: (i) => hostNameMessage(String(i.input), 'domain') })
    .describe('LOCAL_DOMAIN: the domain in user handles.'),
  webDomain: z.string().regex(HOSTNAME, { error: (i) => hostNameMessage(String(i.input), 'webDomain') }).optional()
    .describe('WEB_DOMAIN, when the site is served from another host than domain.'),
  mastodon: MastodonSchema.describe('The Mastodon release (or your own images) and the Secret with its keys.'),
  nodes: NodesSchema.describe('The cluster nodes the planner places the pods on, by pool.'),
  web: WebSchema.prefault({}).describe('The web (Puma) Deployment.'),
  streaming: StreamingSchema.prefault({}).describe('The streaming API Deployment (WebSockets and server-sent events).'),
  sidekiq: SidekiqSchema.describe('Sidekiq process groups, their queues, scaling and catch-up.'),
  redis: RedisSchema.default({ mode: 'internal', pool: DEFAULT_POOL, ...REDIS_DEFAULTS }),
  database: DatabaseSchema,
  media: MediaSchema.describe('Where uploaded and cached media live: s3 or a volume (exactly one).'),
  smtp: SmtpSchema.describe('The mail relay Mastodon sends from (SMTP_*).'),
  network: z.strictObject({
    trustedProxies: z.array(z.string().regex(CIDR, { error: 'must be a CIDR such as 10.42.0.0/16' })).min(1)
      .default([...DEFAULT_TRUSTED_PROXIES])
      .describe('TRUSTED_PROXY_IP: loopback plus the pod CIDR the tunnel connects from (k3s: 10.42.0.0/16).'),
    failoverSeconds: z.number().int().min(0).max(300).default(DEFAULT_FAILOVER_SECONDS)
      .describe('tolerationSeconds for unreachable/not-ready nodes on web, streaming and Sidekiq (Kubernetes sets 300 when none is given: pods on a dead node would wait 5 minutes to move).'),
    cnpgOperatorNamespace: dnsLabel(63, 'cnpgOperatorNamespace').default('cnpg-system')
      .describe('Namespace of the CloudNativePG operator, allowed to reach the instances on 8000 and 5432.'),
    dns: z.strictObject({
      namespace: dnsLabel(63, 'dns.namespace').default('kube-system').describe('Namespace of the cluster DNS pods (k3s: CoreDNS in kube-system).'),
      podLabels: z.record(z.string(), z.string()).default({ 'k8s-app': 'kube-dns' }).describe('Labels of the cluster DNS pods, which the network policies let every pod reach.'),
    }).prefault({}).describe('Where cluster DNS runs (every pod may reach it on 53).'),
    monitoringNamespace: dnsLabel(63, 'monitoringNamespace').optional()
      .describe('Namespace of Prometheus; when set, it may scrape the metrics ports (Postgres 9187, PgBouncer 9127, cloudflared 2000).'),
  }).prefault({}).describe('Proxies, failover timing and the namespaces the network policies admit.'),
  tunnel: TunnelSchema.optional().describe('The Cloudflare Tunnel that is the only way in from the Internet.'),
  maintenance: MaintenanceSchema.prefault({}).describe('The maintenance page, and stopping the workloads for a database move.'),
  argocd: ArgoCdSchema.optional(),
  monitoring: MonitoringSchema.prefault({}),
  k3s: z.strictObject({
    version: z.string().regex(K3S_VERSION, { error: 'must be a k3s release such as v1.30.6+k3s1 (k3s --version)' }).optional()
      .describe('The k3s release the nodes run; versions with the bind-address kubelet bug (k3s#10444) are refused when a server sets bind-address.'),
    flannelBackend: z.enum(FLANNEL_BACKENDS).default('vxlan').describe('flannel-backend: vxlan (50 bytes overhead) or wireguard-native (80, encrypted).'),
    clusterCidr: z.string().regex(CIDR, { error: 'must be a CIDR such as 10.42.0.0/16' }).default('10.42.0.0/16').describe("cluster-cidr (k3s' default 10.42.0.0/16)."),
    datastore: z.enum(K3S_DATASTORES).optional()
      .describe('Where the control plane keeps its state: sqlite (one server, cannot be joined by more) or etcd (cluster-init; odd numbers of servers, a majority must be up). Default: sqlite for one server, etcd for more.'),
    bootstrapped: z.boolean().default(false)
      .describe('The cluster exists: k3s-config writes server: on every server (the first joins the second) and cluster-init on none, so a rebuilt first server rejoins instead of starting a second etcd cluster. Set it once the other servers have joined (docs/control-plane.md, Replacing a server).'),
    acceptControlPlaneLoss: z.boolean().default(false)
      .describe('Accept knowingly that losing a node the control plane depends on (the only server, or a server of an etcd cluster without a spare) stops all rescheduling, failover and rollouts until it returns; the plan then passes and still reports it.'),
  }).optional().describe('k3s node configuration for npm run k3s-config and the network doctor.'),
  nodeTuning: z.strictObject({
    bbr: z.boolean().default(false).describe('Run the privileged node-tuning DaemonSet: tcp_bbr, fq, BBR and MTU probing on every node.'),
    namespace: dnsLabel(63, 'nodeTuning.namespace').optional().describe('Its own namespace (privileged Pod Security level); <name>-node-tuning when left out.'),
  }).prefault({}).describe('Opt-in kernel network tuning on the nodes.'),
  cleanup: z.strictObject({
    media: CronJobSchema.default(CLEANUP_DEFAULTS.media).describe('tootctl media remove: cached remote media older than days.'),
    previewCards: CronJobSchema.default(CLEANUP_DEFAULTS.previewCards).describe('tootctl preview_cards remove: link preview images older than days.'),
  }).prefault({}).describe('CronJobs that remove cached remote files so the media storage does not grow without end.'),
  restarts: RestartsSchema.prefault({}),
  auth: AuthSchema.optional(),
  translation: TranslationSchema.optional(),
  search: SearchSchema.default({ mode: 'off' }),
  // The change guard (lib/rules/change-guard.ts): ids are matched exactly, so a review sees which change is let through.
  acknowledge: z.array(z.string({ error: 'must be a change id in quotes, copied from what synth prints' }).min(1, { error: 'an acknowledgement names one change: copy the line synth prints' }),
    { error: 'must be a list of change ids, one per line: - "rename Cluster mastodon/ocw-db -> mastodon/fedi-db"' }).default([])
    .describe('Changes the change guard lets through on purpose: each entry is the exact id synth prints for a destructive change (e.g. "rename Cluster mastodon/ocw-db -> mastodon/fedi-db"), reviewed in the same pull request. Remove an entry once synth reports it stale. See docs/change-guard.md.'),
});

/** The JSON Schema editors use to complete and check the YAML file. */
export function configJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(MastodonConfigSchema, { io: 'input', unrepresentable: 'any' }),
    title: 'cdk8s-mastodon configuration',
  };
}
