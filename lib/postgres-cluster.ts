import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { ObjectStore, ObjectStoreSpecConfigurationWalCompression } from '../imports/barman-objectstore-barmancloud.cnpg.io';
import {
  Cluster, ClusterSpecAffinityAdditionalPodAffinity, ClusterSpecBootstrap, ClusterSpecBootstrapInitdbImportType, ClusterSpecExternalClusters,
  ClusterSpecBackupTarget, ClusterSpecBackupVolumeSnapshotSnapshotOwnerReference, ClusterSpecResourcesLimits, ClusterSpecResourcesRequests,
  ClusterSpecPrimaryUpdateMethod, ClusterSpecPrimaryUpdateStrategy,
} from '../imports/cnpg-cluster-postgresql.cnpg.io';
import {
  Pooler, PoolerSpecPgbouncerPoolMode, PoolerSpecTemplateSpecContainersResourcesLimits, PoolerSpecTemplateSpecContainersResourcesRequests, PoolerSpecType,
} from '../imports/cnpg-pooler-postgresql.cnpg.io';
import { ScheduledBackup, ScheduledBackupSpecBackupOwnerReference, ScheduledBackupSpecMethod, ScheduledBackupSpecTarget } from '../imports/cnpg-scheduledbackup-postgresql.cnpg.io';
import { Identity, standardLabels } from './conventions/labels';
import { ARCH_LABEL, HOSTNAME_LABEL, placement } from './conventions/placement';
import { containerSecurityContext, securePodSpec } from './conventions/security';
import { containerResources, objectMeta, scheduledJob } from './conventions/workload';
import { BACKUP_DEFAULTS, DEFAULT_FAILOVER_SECONDS, DEFAULT_POOL_LABEL, POSTGRES_DEFAULTS } from './model/defaults';
import {
  AMCHECK_JOBS, checkBudget, cnpgConnection, poolerAltDnsNames, cnpgNames, CnpgNames, CNPG_DATABASE, CNPG_OWNER, DatabaseConnection, serverBudget,
} from './rules/database';
import { IMAGES, imageRef, postgresImage } from './rules/images';
import {
  cnpgScheduleProblem, destinationPathProblem, endpointUrlProblem, imageArchProblem, POSTGRES_BOUNDS, restoreProblems, retentionPolicyProblem, snapshotStorageProblems,
} from './rules/postgres-checks';
import { countProblems } from './rules/mastodon-checks';
import { formatPropProblems, PropProblem } from './rules/prop-problems';
import { parseMemory } from './rules/quantity';
import { s3ChecksumEnv } from './rules/s3';
import { SLOT_QUERY_KEY, slotQueriesYaml } from './rules/slot-queries';
import { checkWalRetention, walRetention } from './rules/wal';
import type { Arch, CnpgDatabaseConfig, ImageSpec, ResourcesConfig } from './model';

/** A persistent volume of each instance. */
export interface PostgresStorage {
  /** PVC size, e.g. `20Gi`. */
  readonly size: string;
  /** StorageClass. @default the cluster's default StorageClass */
  readonly storageClass?: string;
}

/** The PgBouncer pooler Mastodon connects through (transaction mode). */
export interface PostgresPoolerProps {
  /** PgBouncer pods, spread over nodes. @default 2 */
  readonly instances?: number;
  /** Server connections per PgBouncer pod (default_pool_size). @default 20 */
  readonly defaultPoolSize?: number;
  /** Extra server connections per pod under load (reserve_pool_size). @default 5 */
  readonly reservePoolSize?: number;
  /**
   * Client connections per pod (max_client_conn). MastodonChart sets it from the connection
   * budget of the Mastodon workloads.
   * @default 100 (PgBouncer's default)
   */
  readonly maxClientConn?: number;
  /** Requests and memory limit of each PgBouncer pod. @default requests 50m / 64Mi, limit 128Mi */
  readonly resources?: ResourcesConfig;
}

/** Where continuous WAL archiving and base backups go (the Barman Cloud plugin's ObjectStore). */
export interface PostgresObjectStoreProps {
  /** S3 path, e.g. `s3://ocw-backups/postgres`. */
  readonly destinationPath: string;
  /** The S3 API endpoint, e.g. `https://s3.eu-central-003.backblazeb2.com`. */
  readonly endpointURL: string;
  /** The Secret with the S3 keys. */
  readonly credentialsSecret: {
    readonly name: string;
    /** @default 'AWS_ACCESS_KEY_ID' */
    readonly accessKeyIdKey?: string;
    /** @default 'AWS_SECRET_ACCESS_KEY' */
    readonly secretAccessKeyKey?: string;
  };
  /** Folder of this cluster inside destinationPath; change it after a restore. @default the cluster name (`<instance>-db`) */
  readonly serverName?: string;
  /** How long base backups and the WAL they need are kept. @default '30d' */
  readonly retentionPolicy?: string;
  /** WAL compression. @default 'zstd' */
  readonly walCompression?: CnpgDatabaseConfig['backup']['objectStore']['walCompression'];
  /** Base backup schedule, six fields with seconds first. @default '0 0 3 * * *' */
  readonly baseBackupSchedule?: string;
  /** Variables for the Barman Cloud sidecar, added to (or overriding) the checksum settings `barmanSidecarEnv` gives non-AWS endpoints. @default none */
  readonly sidecarEnv?: Readonly<Record<string, string>>;
}

/** The weekly volume snapshot (second backup tier). */
export interface PostgresVolumeSnapshotProps {
  /** VolumeSnapshotClass of the CSI driver; the storage must use a StorageClass of that driver. */
  readonly className: string;
  /** Six fields, seconds first. @default '0 0 4 * * 0' (Sundays 04:00) */
  readonly schedule?: string;
  /** Snapshot backups kept; a CronJob deletes older ones. @default 4 */
  readonly keep?: number;
  /** When that CronJob runs (five fields). @default '30 5 * * *' */
  readonly retentionSchedule?: string;
}

/** The two backup tiers. */
export interface PostgresBackupProps {
  readonly objectStore: PostgresObjectStoreProps;
  /** @default no volume snapshots */
  readonly volumeSnapshot?: PostgresVolumeSnapshotProps;
}

/** How the cluster is created: a new database, a restore, or an import (the config's `database.bootstrap`). */
export type PostgresBootstrap = CnpgDatabaseConfig['bootstrap'];

/**
 * Props for {@link PostgresCluster}. The defaults are the config's (lib/model/defaults.ts), except
 * placement: alone, no pool and no architecture are required unless given.
 */
export interface PostgresClusterProps {
  /** Instance name; objects are `<instance>-db`, `<instance>-db-pooler`, ... */
  readonly instance: string;
  /** WAL archiving and base backups (required: without them nothing can be restored), and optional snapshots. */
  readonly backup: PostgresBackupProps;
  /** The namespace the objects live in, for the pooler's names in the server certificate. @default only the bare Service name */
  readonly namespace?: string;
  /** Postgres instances, 1 to 9: a primary and instances-1 replicas. @default 3 */
  readonly instances?: number;
  /**
   * The node pool of the instances, the pooler and the jobs (a required node affinity on `poolLabel`).
   * @default any node: no pool term (the config's default is 'cloud', this project's cluster)
   */
  readonly pool?: string;
  /** The node label whose value is the pool name. @default 'node-pool' */
  readonly poolLabel?: string;
  /**
   * The one architecture every instance runs on: a standby replays the primary's data files, so
   * set it on a cluster whose nodes mix architectures.
   * @default any architecture the image is built for (the default image: amd64 and arm64); the config pins the pool's architecture
   */
  readonly arch?: Arch;
  /** One instance per node: `required`, or `preferred` when the pool has fewer nodes than instances. @default 'required' */
  readonly antiAffinity?: 'required' | 'preferred';
  /** A CloudNativePG standard image (it has pg_amcheck). @default `ghcr.io/cloudnative-pg/postgresql:17-standard-trixie` */
  readonly image?: ImageSpec;
  /** The data volume. @default 20Gi of the default StorageClass */
  readonly storage?: PostgresStorage;
  /** The WAL volume; replication slots may keep what checkpoints and wal_keep_size leave. @default 5Gi of the default StorageClass */
  readonly walStorage?: PostgresStorage;
  /** Requests and memory limit of each instance; shared_buffers is a quarter of the limit. @default requests 250m / 1Gi, limit 1Gi */
  readonly resources?: ResourcesConfig;
  /** Extra postgresql.conf parameters. @default none; max_connections and max_slot_wal_keep_size are derived */
  readonly parameters?: Readonly<Record<string, string>>;
  /** Connections kept free for the operator, monitoring and psql, in the derived max_connections. @default 10 */
  readonly connectionReserve?: number;
  /** The PgBouncer pooler. @default 2 pods, pool size 20 + 5 */
  readonly pooler?: PostgresPoolerProps;
  /** @default `{ mode: 'initdb' }`: a new, empty database */
  readonly bootstrap?: PostgresBootstrap;
  /** The weekly pg_amcheck corruption check (five-field schedule). @default `{ schedule: '0 5 * * 0' }` */
  readonly amcheck?: { readonly schedule?: string };
  /** The image used by the snapshot retention CronJob (kubectl with a shell). @default `docker.io/alpine/k8s` */
  readonly kubectlImage?: ImageSpec;
  /** Labels `version` value for non-Postgres helpers. @default the Postgres image tag */
  readonly version?: string;
  /** Seconds before PgBouncer pods (stateless) leave an unreachable node; never set for the instances. @default 30 */
  readonly failoverSeconds?: number;
  /** PriorityClasses: the instances and the pooler (frontend), the check and retention jobs (workers). @default none */
  readonly priorityClassNames?: { readonly frontend: string; readonly workers: string };
  /**
   * Add the replication-slot query (lib/rules/slot-queries.ts) to the instances' metrics: a
   * ConfigMap `<cluster>-monitoring` named in `spec.monitoring.customQueriesConfigMap`.
   * @default false (no ConfigMap, no spec.monitoring)
   */
  readonly slotMetrics?: boolean;
}

/**
 * With no arch given and an image built for several, the instances must still share one
 * architecture (a standby replays the primary's data files; PostgreSQL requires the same one), so
 * every instance requires a pod of its own cluster on a node of its architecture. The pooler's
 * pods carry `cnpg.io/cluster` too and are left out. The first instance (or the initdb job)
 * finds none and may schedule because it matches its own term: Kubernetes' InterPodAffinity
 * filter (pkg/scheduler/framework/plugins/interpodaffinity/filtering.go, satisfyPodAffinity;
 * "Inter-pod affinity and anti-affinity" in the scheduling docs) lets such a pod pass.
 * CloudNativePG passes `affinity.additionalPodAffinity` to all the cluster's pods
 * (api/v1/cluster_types.go, AffinityConfiguration).
 */
function sameArchAffinity(cluster: string, db: Pick<Settings, 'arch' | 'image'>): { additionalPodAffinity?: ClusterSpecAffinityAdditionalPodAffinity } {
  if (db.arch !== undefined || db.image.architectures.length < 2) return {};
  return {
    additionalPodAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: [{
        labelSelector: { matchExpressions: [
          { key: 'cnpg.io/cluster', operator: 'In', values: [cluster] },
          { key: 'cnpg.io/podRole', operator: 'NotIn', values: ['pooler'] },
        ] },
        topologyKey: ARCH_LABEL,
      }],
    },
  };
}

/** Every prop with its default applied. */
interface Settings {
  readonly instance: string;
  readonly namespace?: string;
  readonly instances: number;
  readonly pool?: string;
  readonly poolLabel: string;
  readonly arch?: Arch;
  readonly antiAffinity: 'required' | 'preferred';
  readonly image: ImageSpec;
  readonly storage: PostgresStorage;
  readonly walStorage: PostgresStorage;
  readonly resources: ResourcesConfig;
  readonly parameters: Readonly<Record<string, string>>;
  readonly connectionReserve: number;
  readonly pooler: Required<PostgresPoolerProps>;
  readonly bootstrap: PostgresBootstrap;
  readonly objectStore: Required<Omit<PostgresObjectStoreProps, 'credentialsSecret'>> & { readonly credentialsSecret: Required<PostgresObjectStoreProps['credentialsSecret']> };
  readonly volumeSnapshot?: Required<PostgresVolumeSnapshotProps>;
  readonly amcheckSchedule: string;
  readonly kubectlImage: ImageSpec;
  readonly version: string;
  readonly failoverSeconds: number;
  readonly priorityClassNames?: { readonly frontend: string; readonly workers: string };
  readonly slotMetrics: boolean;
}

/** The props with the shared defaults (lib/model/defaults.ts) filled in. */
function settings(props: PostgresClusterProps): Settings {
  const d = POSTGRES_DEFAULTS;
  const b = BACKUP_DEFAULTS;
  const image = props.image ?? postgresImage(d.postgresMajor);
  const store = props.backup.objectStore;
  const snap = props.backup.volumeSnapshot;
  return {
    instance: props.instance,
    namespace: props.namespace,
    instances: props.instances ?? d.instances,
    pool: props.pool,
    poolLabel: props.poolLabel ?? DEFAULT_POOL_LABEL,
    arch: props.arch,
    antiAffinity: props.antiAffinity ?? d.antiAffinity,
    image,
    storage: props.storage ?? { size: d.storageSize },
    walStorage: props.walStorage ?? { size: d.walStorageSize },
    resources: props.resources ?? d.resources,
    parameters: props.parameters ?? {},
    connectionReserve: props.connectionReserve ?? d.connectionReserve,
    pooler: {
      instances: props.pooler?.instances ?? d.poolerInstances,
      defaultPoolSize: props.pooler?.defaultPoolSize ?? d.defaultPoolSize,
      reservePoolSize: props.pooler?.reservePoolSize ?? d.reservePoolSize,
      maxClientConn: props.pooler?.maxClientConn ?? d.maxClientConn,
      resources: props.pooler?.resources ?? d.poolerResources,
    },
    bootstrap: props.bootstrap ?? { mode: 'initdb' },
    objectStore: {
      destinationPath: store.destinationPath,
      endpointURL: store.endpointURL,
      credentialsSecret: {
        name: store.credentialsSecret.name,
        accessKeyIdKey: store.credentialsSecret.accessKeyIdKey ?? b.accessKeyIdKey,
        secretAccessKeyKey: store.credentialsSecret.secretAccessKeyKey ?? b.secretAccessKeyKey,
      },
      serverName: store.serverName ?? cnpgNames(props.instance).cluster,
      retentionPolicy: store.retentionPolicy ?? b.retentionPolicy,
      walCompression: store.walCompression ?? b.walCompression,
      baseBackupSchedule: store.baseBackupSchedule ?? b.baseBackupSchedule,
      sidecarEnv: store.sidecarEnv ?? {},
    },
    volumeSnapshot: snap && {
      className: snap.className,
      schedule: snap.schedule ?? b.snapshotSchedule,
      keep: snap.keep ?? b.snapshotKeep,
      retentionSchedule: snap.retentionSchedule ?? b.snapshotRetentionSchedule,
    },
    amcheckSchedule: props.amcheck?.schedule ?? d.amcheckSchedule,
    kubectlImage: props.kubectlImage ?? IMAGES.kubectl,
    version: props.version ?? image.tag,
    failoverSeconds: props.failoverSeconds ?? DEFAULT_FAILOVER_SECONDS,
    priorityClassNames: props.priorityClassNames,
    slotMetrics: props.slotMetrics ?? false,
  };
}

/**
 * Who owns the Backups a ScheduledBackup creates (cloudnative-pg/cloudnative-pg v1.30.0
 * internal/controller/scheduledbackup_controller.go): `self` the ScheduledBackup, `cluster` the
 * Cluster, `none` (the default) nobody; the `cnpg.io/scheduled-backup` label the retention job
 * selects by is set in every case. With snapshotOwnerReference: backup each snapshot Backup owns
 * its VolumeSnapshots, so an owner's deletion garbage-collects them. Snapshot Backups therefore
 * have none: deleting the Cluster, as a restore does (docs/restore.md), keeps the snapshots it
 * restores from; the retention CronJob alone deletes them. Base backup Backups are only catalog
 * entries (the data stays in the object store), so they go with their Cluster. Argo CD and Helm
 * must not remove the ScheduledBackups either.
 */
const KEEP_SCHEDULE = { 'argocd.argoproj.io/sync-options': 'Prune=false', 'helm.sh/resource-policy': 'keep' };

/**
 * Variables for the Barman Cloud sidecar of each instance (ObjectStore
 * spec.instanceSidecarConfiguration.env; verified in cloudnative-pg/plugin-barman-cloud:
 * internal/cnpgi/operator/lifecycle_envs.go collects them and lifecycle.go adds them to the
 * sidecar). boto3 ≥ 1.36 sends CRC checksums that Backblaze B2, MinIO, Linode and other non-AWS
 * S3 services reject; web/docs/object_stores.md documents `when_required` for both. `extra`
 * adds to or overrides these.
 */
export function barmanSidecarEnv(endpointURL: string, extra: Readonly<Record<string, string>> = {}): Record<string, string> {
  return { ...s3ChecksumEnv(endpointURL), ...extra };
}

/** The Barman Cloud plugin's name, as CloudNativePG knows it. */
export const BARMAN_PLUGIN = 'barman-cloud.cloudnative-pg.io';
/** uid of the `postgres` user in CloudNativePG's images. */
export const CNPG_POSTGRES_UID = 26;
/** uid of `nobody`, for the kubectl retention job. */
const NOBODY = 65534;

/** The container of the corruption check; its podFailurePolicy names it. */
const AMCHECK_CONTAINER = 'pg-amcheck';

/**
 * Grants the application owner what pg_amcheck needs, whatever the amcheck version's function
 * signatures are. Runs once, in the application database, at bootstrap.
 */
export const AMCHECK_SQL = [
  'CREATE EXTENSION IF NOT EXISTS amcheck',
  `DO $$ DECLARE f regprocedure; BEGIN FOR f IN SELECT p.oid::regprocedure FROM pg_proc p JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e' JOIN pg_extension e ON e.oid = d.refobjid WHERE e.extname = 'amcheck' LOOP EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO ${CNPG_OWNER}', f); END LOOP; END $$`,
];

/**
 * A CloudNativePG cluster for Mastodon, with the two backup tiers and a PgBouncer pooler:
 *
 * 1. continuous WAL archiving and scheduled base backups to an S3 ObjectStore through the
 *    Barman Cloud plugin (point-in-time recovery);
 * 2. a weekly volume snapshot, with a CronJob that keeps only the newest few.
 *
 * Plus a weekly `pg_amcheck` against the primary that fails loudly on corruption. Only the backup
 * destination is required; everything else has the config's defaults, but for placement: no
 * pool and no architecture are required unless given.
 *
 * ```ts
 * const db = new PostgresCluster(chart, 'db', {
 *   instance: 'social',
 *   backup: { objectStore: { destinationPath: 's3://backups/pg', endpointURL: 'https://s3.example', credentialsSecret: { name: 'backup-s3' } } },
 * });
 * db.poolerService; // 'social-db-pooler'
 * ```
 *
 * Throws one Error listing every prop that breaks a rule the config checks too, a line each as
 * `<prop path>: <what is wrong>; <fix>`: a restore that archives into the folder it restores
 * from, a snapshot restore without snapshot names, a schedule that is not CloudNativePG's six
 * fields, an endpointURL that is not an http(s) URL, a destinationPath or retentionPolicy Barman
 * cannot use, an arch the image is not built for, the WAL volume, an explicit max_connections, snapshots on a volume that cannot take them.
 */
export class PostgresCluster extends Construct {
  /** Object and Service names. */
  public readonly names: CnpgNames;
  /** How Mastodon connects: through the pooler; migrations go to `primaryService`. */
  public readonly connection: DatabaseConnection;
  /** The primary's Service (`<cluster>-rw`). */
  public readonly primaryService: string;
  /** The pooler's Service. */
  public readonly poolerService: string;
  /** The application Secret the operator creates, and its keys. */
  public readonly appSecret: { readonly name: string; readonly userKey: 'username'; readonly passwordKey: 'password' };
  public readonly cluster: Cluster;
  public readonly pooler: Pooler;
  public readonly objectStore: ObjectStore;
  public readonly baseBackup: ScheduledBackup;
  public readonly snapshotBackup?: ScheduledBackup;
  public readonly amcheck: k8s.KubeCronJob;
  /** The custom monitoring queries (slotMetrics only). */
  public readonly monitoringQueries?: k8s.KubeConfigMap;
  /** max_connections: explicit in `parameters`, or derived from the pooler and the reserve. */
  public readonly maxConnections: number;

  constructor(scope: Construct, id: string, props: PostgresClusterProps) {
    super(scope, id);
    const db = settings(props);
    const n = cnpgNames(db.instance);
    this.names = n;
    this.connection = cnpgConnection(db.instance);
    this.primaryService = n.primaryService;
    this.poolerService = n.pooler;
    this.appSecret = { name: n.appSecret, userKey: 'username', passwordKey: 'password' };
    const id_ = (component: string): Identity => ({ instance: db.instance, component, version: db.version });
    const store = db.objectStore;
    // The same rules the config resolver applies, for a cluster built without a config.
    const budget = serverBudget(db);
    const wal = walRetention(parseMemory(db.walStorage.size), db.parameters);
    const checked = {
      clusterName: n.cluster, bootstrap: db.bootstrap, serverName: store.serverName,
      storage: db.storage, walStorage: db.walStorage, volumeSnapshot: db.volumeSnapshot,
    };
    const at = (path: string, problem: string | undefined): PropProblem[] => (problem ? [{ path, message: problem }] : []);
    const problems: PropProblem[] = [
      ...countProblems('instances', db.instances, POSTGRES_BOUNDS.instances),
      ...countProblems('pooler.instances', db.pooler.instances, POSTGRES_BOUNDS.poolerInstances),
      ...at('image', db.arch ? imageArchProblem(db.image, db.arch, 'arch') : undefined),
      ...at('backup.objectStore.destinationPath', destinationPathProblem(store.destinationPath)),
      ...at('backup.objectStore.endpointURL', endpointUrlProblem(store.endpointURL)),
      ...at('backup.objectStore.retentionPolicy', retentionPolicyProblem(store.retentionPolicy)),
      ...at('backup.objectStore.baseBackupSchedule', cnpgScheduleProblem(store.baseBackupSchedule, BACKUP_DEFAULTS.baseBackupSchedule)),
      ...at('backup.volumeSnapshot.schedule', db.volumeSnapshot && cnpgScheduleProblem(db.volumeSnapshot.schedule, BACKUP_DEFAULTS.snapshotSchedule)),
      ...restoreProblems(checked, ''),
      ...snapshotStorageProblems(checked, ''),
      ...[
        ...checkWalRetention(wal, db.walStorage.size, db.parameters),
        ...checkBudget({ clients: [], clientTotal: 0, maxClientConn: db.pooler.maxClientConn, ...budget }, db),
      ].map((p) => ({ path: p.path.replace(/^database\./, ''), message: p.message })),
    ];
    if (problems.length > 0) throw new Error(formatPropProblems(`PostgresCluster ${n.cluster}`, problems));
    const sidecarEnv = Object.entries(barmanSidecarEnv(store.endpointURL, store.sidecarEnv)).map(([name, value]) => ({ name, value }));

    this.objectStore = new ObjectStore(this, 'ObjectStore', {
      metadata: objectMeta(n.objectStore, id_('backup'), 'secrets'),
      spec: {
        configuration: {
          destinationPath: store.destinationPath,
          endpointUrl: store.endpointURL,
          s3Credentials: {
            accessKeyId: { name: store.credentialsSecret.name, key: store.credentialsSecret.accessKeyIdKey },
            secretAccessKey: { name: store.credentialsSecret.name, key: store.credentialsSecret.secretAccessKeyKey },
          },
          wal: { compression: store.walCompression as ObjectStoreSpecConfigurationWalCompression, maxParallel: 2 },
        },
        retentionPolicy: store.retentionPolicy,
        ...(sidecarEnv.length > 0 ? { instanceSidecarConfiguration: { env: sidecarEnv } } : {}),
      },
    });

    const memoryMi = Math.floor(parseMemory(db.resources.limits.memory) / 2 ** 20);
    const parameters: Record<string, string> = {
      shared_buffers: `${Math.max(128, Math.floor(memoryMi / 4))}MB`,
      effective_cache_size: `${Math.max(256, Math.floor((memoryMi * 3) / 4))}MB`,
      ...db.parameters,
      // Derived from the connection budget (an explicit value was checked to be large enough).
      max_connections: db.parameters.max_connections ?? String(budget.maxConnections),
      // A lost replica's HA slot may keep this much WAL, no more (an explicit value was checked to fit).
      max_slot_wal_keep_size: db.parameters.max_slot_wal_keep_size ?? `${wal.maxSlotWalKeepSizeMB}MB`,
    };
    this.maxConnections = Number(parameters.max_connections);

    if (db.slotMetrics) {
      const base = objectMeta(n.monitoringQueries, id_('database'), 'secrets');
      this.monitoringQueries = new k8s.KubeConfigMap(this, 'MonitoringQueries', {
        // cnpg.io/reload: the operator reconciles the Cluster when the ConfigMap changes.
        metadata: { ...base, labels: { ...base.labels, 'cnpg.io/reload': 'true' } },
        data: { [SLOT_QUERY_KEY]: slotQueriesYaml() },
      });
    }

    this.cluster = new Cluster(this, 'Cluster', {
      metadata: objectMeta(n.cluster, id_('database'), 'data', {
        // Removing it from git must never delete the database.
        'argocd.argoproj.io/sync-options': 'Prune=false,Delete=false',
        'helm.sh/resource-policy': 'keep',
      }),
      spec: {
        instances: db.instances,
        imageName: imageRef(db.image),
        ...(db.priorityClassNames ? { priorityClassName: db.priorityClassNames.frontend } : {}),
        primaryUpdateStrategy: ClusterSpecPrimaryUpdateStrategy.UNSUPERVISED,
        primaryUpdateMethod: ClusterSpecPrimaryUpdateMethod.SWITCHOVER,
        enableSuperuserAccess: false,
        storage: { size: db.storage.size, ...(db.storage.storageClass ? { storageClass: db.storage.storageClass } : {}) },
        walStorage: { size: db.walStorage.size, ...(db.walStorage.storageClass ? { storageClass: db.walStorage.storageClass } : {}) },
        resources: {
          requests: { cpu: ClusterSpecResourcesRequests.fromString(db.resources.requests.cpu), memory: ClusterSpecResourcesRequests.fromString(db.resources.requests.memory) },
          limits: { memory: ClusterSpecResourcesLimits.fromString(db.resources.limits.memory) },
        },
        affinity: {
          enablePodAntiAffinity: true,
          topologyKey: HOSTNAME_LABEL,
          podAntiAffinityType: db.antiAffinity,
          ...sameArchAffinity(n.cluster, db),
          // One architecture for every instance when one is given (a standby replays the
          // primary's data files), else any the image runs on; the pool only when one is given.
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
              nodeSelectorTerms: [{
                matchExpressions: [
                  { key: ARCH_LABEL, operator: 'In', values: db.arch ? [db.arch] : [...db.image.architectures] },
                  ...(db.pool !== undefined ? [{ key: db.poolLabel, operator: 'In', values: [db.pool] }] : []),
                ],
              }],
            },
          },
        },
        postgresql: { parameters },
        ...(this.monitoringQueries ? { monitoring: { customQueriesConfigMap: [{ name: n.monitoringQueries, key: SLOT_QUERY_KEY }] } } : {}),
        // The pooler serves clients with this certificate too: name its Service in it.
        certificates: { serverAltDnsNames: db.namespace ? poolerAltDnsNames(n.pooler, db.namespace) : [n.pooler] },
        bootstrap: this.bootstrap(db),
        externalClusters: this.externalClusters(db, n),
        plugins: [{ name: BARMAN_PLUGIN, isWalArchiver: true, parameters: { barmanObjectName: n.objectStore, serverName: store.serverName } }],
        ...(db.volumeSnapshot ? {
          backup: {
            target: ClusterSpecBackupTarget.PREFER_HYPHEN_STANDBY,
            volumeSnapshot: {
              className: db.volumeSnapshot.className,
              online: true,
              // Deleting a snapshot Backup deletes its VolumeSnapshots: that is how retention frees space.
              snapshotOwnerReference: ClusterSpecBackupVolumeSnapshotSnapshotOwnerReference.BACKUP,
            },
          },
        } : {}),
      },
    });

    this.baseBackup = new ScheduledBackup(this, 'BaseBackup', {
      metadata: objectMeta(n.baseBackup, id_('backup'), 'dataAddons', KEEP_SCHEDULE),
      spec: {
        schedule: store.baseBackupSchedule,
        cluster: { name: n.cluster },
        method: ScheduledBackupSpecMethod.PLUGIN,
        pluginConfiguration: { name: BARMAN_PLUGIN },
        backupOwnerReference: ScheduledBackupSpecBackupOwnerReference.CLUSTER,
        target: ScheduledBackupSpecTarget.PREFER_HYPHEN_STANDBY,
        // A first base backup right away: WAL alone cannot be restored.
        immediate: true,
      },
    });

    const snap = db.volumeSnapshot;
    if (snap) {
      this.snapshotBackup = new ScheduledBackup(this, 'SnapshotBackup', {
        metadata: objectMeta(n.snapshotBackup, id_('backup'), 'dataAddons', KEEP_SCHEDULE),
        spec: {
          schedule: snap.schedule,
          cluster: { name: n.cluster },
          method: ScheduledBackupSpecMethod.VOLUME_SNAPSHOT,
          // No owner: `kubectl delete cluster` must not take the snapshots with it (see KEEP_SCHEDULE).
          backupOwnerReference: ScheduledBackupSpecBackupOwnerReference.NONE,
        },
      });
      this.snapshotRetention(db, n, snap.keep, snap.retentionSchedule, id_('backup'));
    }

    const poolerPlacement = placement({
      poolLabel: db.poolLabel,
      pool: db.pool,
      architectures: db.image.architectures,
      spread: { mode: 'hard', selector: { 'cnpg.io/poolerName': n.pooler }, rollingUpdate: false },
      failoverSeconds: db.failoverSeconds,
    });
    this.pooler = new Pooler(this, 'Pooler', {
      metadata: objectMeta(n.pooler, id_('pooler'), 'dataAddons'),
      spec: {
        cluster: { name: n.cluster },
        instances: db.pooler.instances,
        type: PoolerSpecType.RW,
        pgbouncer: {
          poolMode: PoolerSpecPgbouncerPoolMode.TRANSACTION,
          parameters: {
            max_client_conn: String(db.pooler.maxClientConn),
            default_pool_size: String(db.pooler.defaultPoolSize),
            reserve_pool_size: String(db.pooler.reservePoolSize),
          },
        },
        template: {
          metadata: { labels: standardLabels(id_('pooler')) },
          spec: {
            ...(db.priorityClassNames ? { priorityClassName: db.priorityClassNames.frontend } : {}),
            containers: [{
              name: 'pgbouncer',
              resources: {
                requests: {
                  cpu: PoolerSpecTemplateSpecContainersResourcesRequests.fromString(db.pooler.resources.requests.cpu),
                  memory: PoolerSpecTemplateSpecContainersResourcesRequests.fromString(db.pooler.resources.requests.memory),
                },
                limits: { memory: PoolerSpecTemplateSpecContainersResourcesLimits.fromString(db.pooler.resources.limits.memory) },
              },
            }],
            // The shared placement rules: architecture and pool, spread with DoNotSchedule,
            // and a quick exit from a lost node (PgBouncer is stateless).
            ...poolerPlacement,
          },
        },
      },
    });
    if (db.pooler.instances > 1) {
      new k8s.KubePodDisruptionBudget(this, 'PoolerBudget', {
        metadata: objectMeta(n.pooler, id_('pooler'), 'dataAddons'),
        spec: { maxUnavailable: k8s.IntOrString.fromNumber(1), selector: { matchLabels: { 'cnpg.io/poolerName': n.pooler } } },
      });
    }

    this.amcheck = this.corruptionCheck(db, n, id_('amcheck'));
  }

  private bootstrap(db: Settings): ClusterSpecBootstrap {
    const b = db.bootstrap;
    const initdb = { database: CNPG_DATABASE, owner: CNPG_OWNER, dataChecksums: true, postInitApplicationSql: AMCHECK_SQL };
    switch (b.mode) {
      case 'initdb':
        return { initdb };
      case 'import':
        return {
          initdb: {
            ...initdb,
            import: {
              type: ClusterSpecBootstrapInitdbImportType.MICROSERVICE,
              databases: [b.database],
              source: { externalCluster: IMPORT_SOURCE },
              postImportApplicationSql: AMCHECK_SQL,
            },
          },
        };
      case 'recovery':
        return {
          recovery: {
            database: CNPG_DATABASE,
            owner: CNPG_OWNER,
            // WAL comes from the archive in both cases: snapshot + WAL, or base backup + WAL.
            source: RECOVERY_SOURCE,
            ...(b.from === 'volumeSnapshot' && b.snapshots ? {
              volumeSnapshots: {
                storage: { name: b.snapshots.storage, kind: 'VolumeSnapshot', apiGroup: 'snapshot.storage.k8s.io' },
                walStorage: { name: b.snapshots.walStorage, kind: 'VolumeSnapshot', apiGroup: 'snapshot.storage.k8s.io' },
              },
            } : {}),
            ...(b.targetTime ? { recoveryTarget: { targetTime: b.targetTime } } : {}),
          },
        };
    }
  }

  private externalClusters(db: Settings, n: CnpgNames): ClusterSpecExternalClusters[] | undefined {
    const b = db.bootstrap;
    if (b.mode === 'recovery') {
      return [{
        name: RECOVERY_SOURCE,
        plugin: { name: BARMAN_PLUGIN, parameters: { barmanObjectName: n.objectStore, serverName: b.sourceServerName ?? n.cluster } },
      }];
    }
    if (b.mode === 'import') {
      return [{
        name: IMPORT_SOURCE,
        connectionParameters: { host: b.host, port: String(b.port), user: b.user, dbname: b.database, sslmode: b.sslMode },
        password: { name: b.passwordSecret.name, key: b.passwordSecret.key },
      }];
    }
    return undefined;
  }

  /**
   * Weekly pg_amcheck against the primary; exits non-zero on corruption, so the Job fails and
   * alerts fire. Not a hot standby: there the replay of an ACCESS EXCLUSIVE lock (DDL, VACUUM's
   * truncation) or of a vacuum cleanup cancels a check older than max_standby_streaming_delay
   * (30 s), and pg_amcheck reports that like corruption (postgres src/bin/pg_amcheck/pg_amcheck.c;
   * test/integration/amcheck-standby.itest.ts). Why not hot_standby_feedback: docs/restore.md.
   */
  private corruptionCheck(db: Settings, n: CnpgNames, id: Identity): k8s.KubeCronJob {
    const host = n.primaryService;
    return scheduledJob(this, 'Amcheck', {
      name: n.amcheck,
      identity: id,
      schedule: db.amcheckSchedule,
      // pg_amcheck exits 2 when a check reported a problem and 1 when it could not run (no
      // connection, or a FATAL such as a switchover's disconnect): postgres
      // src/bin/pg_amcheck/pg_amcheck.c main(). A finding fails the Job at once, never retried into
      // a success; a drain, eviction or preemption (DisruptionTarget) reruns it without counting;
      // anything else gets one retry, on the new primary after a switchover.
      backoffLimit: 1,
      podFailurePolicy: {
        rules: [
          { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] },
          // Kubernetes v1.28's OpenAPI schema marks onPodConditions required; an empty list matches none.
          { action: 'FailJob', onExitCodes: { containerName: AMCHECK_CONTAINER, operator: 'In', values: [2] }, onPodConditions: [] },
        ],
      },
      podSpec: securePodSpec({
        uid: CNPG_POSTGRES_UID,
        restartPolicy: 'Never',
        priorityClassName: db.priorityClassNames?.workers,
        placement: placement({ poolLabel: db.poolLabel, pool: db.pool, architectures: db.image.architectures }),
        containers: [{
          name: AMCHECK_CONTAINER,
          image: imageRef(db.image),
          imagePullPolicy: 'IfNotPresent',
          command: ['pg_amcheck', '--jobs', String(AMCHECK_JOBS), '--schema', 'public', '--no-strict-names', '--verbose'],
          env: [
            { name: 'PGHOST', value: host },
            { name: 'PGPORT', value: '5432' },
            { name: 'PGDATABASE', value: CNPG_DATABASE },
            { name: 'PGSSLMODE', value: 'require' },
            { name: 'PGUSER', valueFrom: { secretKeyRef: { name: n.appSecret, key: 'username' } } },
            { name: 'PGPASSWORD', valueFrom: { secretKeyRef: { name: n.appSecret, key: 'password' } } },
          ],
          resources: containerResources({ requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' } }),
          securityContext: containerSecurityContext(CNPG_POSTGRES_UID),
        }],
      }),
    });
  }

  /**
   * CloudNativePG keeps snapshot Backups forever. This CronJob deletes the completed ones beyond
   * `keep` (newest first); their VolumeSnapshots go with them (snapshotOwnerReference: backup).
   * Its ServiceAccount may only list and delete Backups in this namespace.
   */
  private snapshotRetention(db: Settings, n: CnpgNames, keep: number, schedule: string, id: Identity): void {
    const name = n.snapshotRetention;
    const sa = new k8s.KubeServiceAccount(this, 'RetentionServiceAccount', {
      metadata: objectMeta(name, id, 'config'),
      automountServiceAccountToken: false,
    });
    const role = new k8s.KubeRole(this, 'RetentionRole', {
      metadata: objectMeta(name, id, 'config'),
      rules: [{ apiGroups: ['postgresql.cnpg.io'], resources: ['backups'], verbs: ['list', 'delete'] }],
    });
    new k8s.KubeRoleBinding(this, 'RetentionRoleBinding', {
      metadata: objectMeta(name, id, 'config'),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role.name },
      subjects: [{ kind: 'ServiceAccount', name: sa.name }],
    });
    const script = [
      'set -eu',
      `kubectl get backups.postgresql.cnpg.io -l cnpg.io/scheduled-backup=${n.snapshotBackup} --sort-by=.metadata.creationTimestamp -o jsonpath='{range .items[?(@.status.phase=="completed")]}{.metadata.name}{"\\n"}{end}' > /tmp/completed`,
      `total=$(wc -l < /tmp/completed)`,
      `echo "$total completed snapshot backups, keeping ${keep}"`,
      `if [ "$total" -gt ${keep} ]; then head -n $((total - ${keep})) /tmp/completed | xargs kubectl delete backups.postgresql.cnpg.io; fi`,
    ].join('\n');
    scheduledJob(this, 'SnapshotRetention', {
      name,
      identity: id,
      schedule,
      backoffLimit: 1,
      podSpec: securePodSpec({
        uid: NOBODY,
        // The one pod that needs the API: its own least-privilege ServiceAccount.
        serviceAccountName: sa.name,
        restartPolicy: 'Never',
        priorityClassName: db.priorityClassNames?.workers,
        placement: placement({ poolLabel: db.poolLabel, pool: db.pool, architectures: db.kubectlImage.architectures }),
        volumes: [{ name: 'tmp', emptyDir: { sizeLimit: k8s.Quantity.fromString('64Mi') } }],
        containers: [{
          name: 'retention',
          image: imageRef(db.kubectlImage),
          imagePullPolicy: 'IfNotPresent',
          command: ['sh', '-c', script],
          env: [{ name: 'HOME', value: '/tmp' }],
          resources: containerResources({ requests: { cpu: '10m', memory: '32Mi' }, limits: { memory: '128Mi' } }),
          securityContext: containerSecurityContext(NOBODY),
          volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
        }],
      }),
    });
  }
}

/** The externalClusters entry a recovery reads from. */
export const RECOVERY_SOURCE = 'origin';
/** The externalClusters entry an import copies from. */
export const IMPORT_SOURCE = 'legacy';
