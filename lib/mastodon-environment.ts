import { createHash } from 'crypto';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { mastodonIdentity, MastodonPods } from './conventions/mastodon-pods';
import { resourceName } from './rules/names';
import type { PriorityTier } from './conventions/priority';
import { objectMeta } from './conventions/workload';
import { PriorityClasses } from './priority-classes';
import type { DatabaseConnection } from './rules/database';
import { internalRedisHost, plainEnv } from './rules/environment';
import { DEFAULT_MASTODON_VERSION, IMAGES } from './rules/images';
import { byCodeUnits } from './rules/order';
import { FieldProblem, hostNameProblems, propsError, readWriteOnceMediaProblems } from './rules/mastodon-checks';
import { authProblems, extraEnvProblems } from './rules/mastodon-settings';
import { SCHEDULER_QUEUE, secondSchedulerProblem } from './rules/sidekiq-layout';
import { searchEndpointProblems } from './rules/search';
import {
  CLEANUP_DEFAULTS, DEFAULT_FAILOVER_SECONDS, DEFAULT_POOL_LABEL, DEFAULT_REDIS_PORT,
  MASTODON_DEFAULTS, S3_DEFAULTS, SMTP_DEFAULTS, STREAMING_DEFAULTS, WEB_DEFAULTS, WEB_EXPORTER_DEFAULTS,
} from './model/defaults';
import type {
  AuthInput, CleanupConfig, ExtraEnvValue, ImageSpec, KedaConfig, MastodonSettings, MediaConfig, MediaInput, RedisEndpoint, ResourcesConfig, SearchEndpoint, SecretKeyRef,
  SmtpConfig, SmtpInput, StreamingSettings, TranslationInput, WebSettings,
} from './model';

/** The app's Redis, for {@link MastodonEnvironmentProps.redis}. */
export interface MastodonRedisProps {
  /** Host name of the Redis server. @default `<instance>-redis`: the Service of a `Redis` construct of this instance */
  readonly host?: string;
  /** Its port. @default 6379 */
  readonly port?: number;
  /** The Secret key with the password (REDIS_PASSWORD). @default none: no password */
  readonly passwordSecret?: SecretKeyRef;
}

/**
 * Settings the Mastodon constructs built on this environment fall back to for a setting their
 * own props leave out. Each defaults to what a config that leaves the section out gets, except
 * the pool: the config's 'cloud' pool is a label of its own cluster, so alone there is none.
 */
export interface MastodonWorkloadDefaults {
  /**
   * Web (Puma): MastodonWeb, and the pool and resources of Migrations and MediaCleanup.
   * @default 2 replicas × 2 processes × 5 threads on any node (no pool; a config's default pool is 'cloud')
   */
  readonly web?: WebSettings;
  /** MastodonStreaming. @default 2 replicas, DB_POOL 10, on any node (no pool; a config's default pool is 'cloud') */
  readonly streaming?: StreamingSettings;
  /** MediaCleanup's schedules. @default media daily at 03:15 (7 days), preview cards Mondays at 03:45 (30 days) */
  readonly cleanup?: CleanupConfig;
  /** Sidekiq-wide switches SidekiqQueue reads. @default no catch-up, no KEDA */
  readonly sidekiq?: { readonly catchUp: boolean; readonly keda?: KedaConfig };
  /** Resources of the web metrics exporter (monitoring on). @default requests 20m / 96Mi, limit 192Mi */
  readonly webExporterResources?: ResourcesConfig;
}

/** Props for {@link MastodonEnvironment}. */
export interface MastodonEnvironmentProps {
  /** Instance name: prefixes every object name (`<instance>-env`, `<instance>-web`). A DNS label of at most 24 characters. */
  readonly instance: string;
  /** LOCAL_DOMAIN: the domain in user handles, e.g. `example.social`. It cannot change later. */
  readonly domain: string;
  /** WEB_DOMAIN, when the site is served from another host than `domain`. @default none: `domain` */
  readonly webDomain?: string;
  /**
   * An existing Secret with SECRET_KEY_BASE, OTP_SECRET, VAPID_PRIVATE_KEY, VAPID_PUBLIC_KEY and
   * the three ACTIVE_RECORD_ENCRYPTION_* keys (`MASTODON_SECRET_KEYS`).
   * `npx cdk8s-mastodon secrets --name <secretName> --namespace <namespace>` prints one with fresh
   * values, to apply (never to commit).
   */
  readonly secretName: string;
  /**
   * How to reach Postgres: `connection` of a {@link PostgresCluster}, or
   * `externalConnection({...})` for an existing server.
   */
  readonly database: DatabaseConnection;
  /** The app's Redis. @default `<instance>-redis:6379` without a password (a `Redis` construct of this instance) */
  readonly redis?: MastodonRedisProps;
  /**
   * The mail relay (SMTP_*). Required: Mastodon mails sign-up confirmations and password
   * resets, and a config cannot leave it out either. `port` defaults to 587, `authMethod` to
   * plain, `enableStarttls` to auto.
   */
  readonly smtp: SmtpInput;
  /**
   * Where uploaded and cached media live: exactly one of `s3` (object storage; region defaults
   * to us-east-1) and `volume` (a PersistentVolumeClaim `<instance>-media`, kept on delete).
   */
  readonly media: MediaInput;
  /** The Mastodon release: the tag of both official images. @default the newest release this library was tested with */
  readonly version?: string;
  /** Your own images instead of the official ones at `version`. @default the official images */
  readonly images?: { readonly mastodon?: ImageSpec; readonly streaming?: ImageSpec };
  /** SINGLE_USER_MODE. @default false */
  readonly singleUserMode?: boolean;
  /** DEFAULT_LOCALE. @default 'en' */
  readonly defaultLocale?: string;
  /**
   * TRUSTED_PROXY_IP (CIDRs): the proxies whose X-Forwarded-For Rails believes. Mastodon uses
   * this list instead of Rails' default, so it must hold your proxy's pod network, or every
   * visitor appears to come from the proxy and rate limits hit everyone together.
   * @default unset: Rails' default (loopback and the private ranges). A config's default is
   * this project's k3s cluster: 127.0.0.1/32, ::1/128, 10.42.0.0/16
   */
  readonly trustedProxies?: readonly string[];
  /**
   * Any other setting Mastodon reads (docs/mastodon-settings.md): a string, or a Secret reference
   * `{ secret, key }`. Every Mastodon container gets it (web, streaming, Sidekiq, the Jobs); a
   * plain value goes into the env ConfigMap, so a change rolls the pods. A name another prop
   * sets (LOCAL_DOMAIN, DB_HOST, ...) or Mastodon does not read is refused.
   * @default none
   */
  readonly extraEnv?: Readonly<Record<string, ExtraEnvValue>>;
  /** Single sign-on: OpenID Connect, SAML and LDAP (docs/authentication.md). @default none: local accounts only */
  readonly auth?: AuthInput;
  /** Translation of posts with DeepL or LibreTranslate (docs/mastodon-settings.md). @default none: no translate button */
  readonly translation?: TranslationInput;
  /**
   * Full-text search: the Elasticsearch or OpenSearch server web and Sidekiq use (ES_ENABLED,
   * ES_HOST, ES_PORT, ES_PRESET, ES_USER, ES_PASS from the Secret, ES_PREFIX). An `OpenSearch`
   * construct's `endpoint` is one. Run a `SearchDeploy` to create and fill the indices.
   * @default none: search off (Mastodon's default)
   */
  readonly search?: SearchEndpoint;
  /** tolerationSeconds for unreachable and not-ready nodes. @default 30 */
  readonly failoverSeconds?: number;
  /** The node label whose value names a node's pool. @default 'node-pool' */
  readonly poolLabel?: string;
  /** Scale web, streaming and Sidekiq to 0 (maintenance). @default false */
  readonly stopWorkloads?: boolean;
  /**
   * The nodes the pods that mount the media volume can run on, when known (MastodonChart passes
   * them from the config's inventory). ReadWriteOnce media is then refused only when there is
   * more than one. @default unknown: ReadWriteOnce media is refused when more than one pod mounts it
   */
  readonly mediaNodes?: readonly string[];
  /** Run the metrics exporters and set the variables that feed them. @default false */
  readonly monitoring?: boolean;
  /** What the Mastodon constructs on this environment fall back to. @default the config's defaults, without a pool (any node) */
  readonly workloadDefaults?: MastodonWorkloadDefaults;
  /**
   * The PriorityClasses the Mastodon pods name (`<instance>-frontend`, `<instance>-workers`):
   * a set, or `true` for this instance's set already in the App (any chart) or else one created
   * here. They are cluster-wide and the frontend and data tiers preempt, so when a node is lost
   * the scheduler evicts lower-priority pods, other applications' too: opt in on purpose.
   * @default none: the pods name no PriorityClass (a config renders them)
   */
  readonly priorityClasses?: PriorityClasses | boolean;
}

/**
 * What every Mastodon pod shares: the env ConfigMap, the Secret references, the media volume
 * and the PriorityClasses. Its {@link MastodonEnvironment.pods} builds the containers, pod
 * specs and Deployments that use them.
 */
export class MastodonEnvironment extends Construct {
  /** The settings the pods share, with every default applied. */
  public readonly settings: MastodonSettings;
  /** The ConfigMap with the plain variables. */
  public readonly configMap: k8s.KubeConfigMap;
  /** The media PVC, when media is stored on a volume. */
  public readonly mediaClaim?: k8s.KubePersistentVolumeClaim;
  /** sha256 of the plain variables: a pod annotation, so a config change rolls the pods. */
  public readonly checksum: string;
  /** The plain variables, in key order. */
  public readonly plainEnv: Readonly<Record<string, string>>;
  /** How Mastodon reaches Postgres. */
  public readonly database: DatabaseConnection;
  /** The PriorityClasses the pods name (given, found in the App, or created), when asked for. */
  public readonly priorityClasses?: PriorityClasses;
  /** Builds the containers, pod specs and Deployments of this environment's pods. */
  public readonly pods: MastodonPods;
  private readonly mediaNodes?: readonly string[];

  constructor(scope: Construct, id: string, props: MastodonEnvironmentProps) {
    super(scope, id);
    // The config's refusals (lib/rules/mastodon-checks.ts), for props that never went through it.
    const problems: FieldProblem[] = [
      ...hostNameProblems('domain', props.domain),
      ...(props.webDomain !== undefined ? hostNameProblems('webDomain', props.webDomain) : []),
      ...extraEnvProblems('extraEnv', props.extraEnv ?? {}),
      ...authProblems('auth', props.auth),
      ...(props.search ? searchEndpointProblems('search', props.search) : []),
    ];
    if (problems.length > 0) throw propsError(`MastodonEnvironment ${props.instance}`, problems);
    const c = environmentSettings(props);
    this.settings = c;
    this.database = props.database;
    this.mediaNodes = props.mediaNodes;
    const pc = props.priorityClasses;
    this.priorityClasses = pc instanceof PriorityClasses ? pc
      : pc ? PriorityClasses.find(this, c.name) ?? new PriorityClasses(this, 'Priority', { instance: c.name, version: c.images.mastodon.tag })
        : undefined;
    this.plainEnv = sortKeys(plainEnv(c, this.database));
    this.checksum = createHash('sha256').update(JSON.stringify(this.plainEnv)).digest('hex');
    this.configMap = new k8s.KubeConfigMap(this, 'Env', {
      metadata: objectMeta(resourceName(c.name, 'env'), mastodonIdentity(c, 'config'), 'config'),
      data: { ...this.plainEnv },
    });
    const vol = c.media.volume;
    if (vol) {
      this.mediaClaim = new k8s.KubePersistentVolumeClaim(this, 'Media', {
        metadata: objectMeta(resourceName(c.name, 'media'), mastodonIdentity(c, 'media'), 'config', {
          'argocd.argoproj.io/sync-options': 'Prune=false,Delete=false',
          'helm.sh/resource-policy': 'keep',
        }),
        spec: {
          accessModes: [vol.accessMode],
          resources: { requests: { storage: k8s.Quantity.fromString(vol.size) } },
          ...(vol.storageClass ? { storageClassName: vol.storageClass } : {}),
        },
      });
    }
    this.pods = new MastodonPods({
      settings: c,
      database: this.database,
      plainEnv: this.plainEnv,
      checksum: this.checksum,
      configMapName: this.configMap.name,
      mediaClaimName: this.mediaClaim?.name,
      ...(this.priorityClasses ? {
        priorityClassNames: Object.fromEntries(Object.entries(this.priorityClasses.classes).map(([tier, k]) => [tier, k.name])) as Record<PriorityTier, string>,
      } : {}),
    });
    // The workloads are built after the environment, so what depends on them is checked at synth.
    this.node.addValidation({ validate: () => this.validateWorkloads() });
  }

  /**
   * Problems only the workloads built on this environment show: ReadWriteOnce media mounted by
   * several pods (Deployments, and the Jobs and CronJobs such as MediaCleanup and Migrations),
   * and a second Sidekiq group serving the scheduler.
   */
  private validateWorkloads(): string[] {
    const built = this.pods.deployments;
    const mounts = [...built, ...this.pods.jobs].filter((w) => w.mountsMedia).map((w) => ({ name: w.name, pods: w.pods }));
    const problems = readWriteOnceMediaProblems(this.settings.media.volume?.accessMode, this.mediaNodes ? { nodes: this.mediaNodes } : { mounts });
    const schedulers = built.filter((d) => d.queues?.includes(SCHEDULER_QUEUE));
    for (const d of schedulers.slice(1)) problems.push(secondSchedulerProblem(`SidekiqQueue ${d.name}.queues`, schedulers[0].name));
    return problems.map((p) => `${p.path}: ${p.message}`);
  }
}

/** The props with every default applied (the defaults of lib/model/defaults.ts, as the config's). */
function environmentSettings(p: MastodonEnvironmentProps): MastodonSettings {
  const version = p.version ?? DEFAULT_MASTODON_VERSION;
  const redis: RedisEndpoint = {
    host: p.redis?.host ?? internalRedisHost(p.instance),
    port: p.redis?.port ?? DEFAULT_REDIS_PORT,
    ...(p.redis?.passwordSecret ? { passwordSecret: p.redis.passwordSecret } : {}),
  };
  const w = p.workloadDefaults ?? {};
  return {
    name: p.instance,
    domain: p.domain,
    ...(p.webDomain ? { webDomain: p.webDomain } : {}),
    mastodon: {
      secretName: p.secretName,
      singleUserMode: p.singleUserMode ?? MASTODON_DEFAULTS.singleUserMode,
      defaultLocale: p.defaultLocale ?? MASTODON_DEFAULTS.defaultLocale,
      extraEnv: p.extraEnv ?? {},
    },
    ...(p.auth ? { auth: p.auth } : {}),
    ...(p.translation ? { translation: p.translation } : {}),
    smtp: smtpSettings(p.smtp),
    media: mediaSettings(p.instance, p.media),
    redis,
    network: {
      ...(p.trustedProxies ? { trustedProxies: p.trustedProxies } : {}),
      failoverSeconds: p.failoverSeconds ?? DEFAULT_FAILOVER_SECONDS,
    },
    nodes: { poolLabel: p.poolLabel ?? DEFAULT_POOL_LABEL },
    images: {
      mastodon: p.images?.mastodon ?? { repository: IMAGES.mastodon.repository, tag: version, architectures: IMAGES.mastodon.architectures },
      streaming: p.images?.streaming ?? { repository: IMAGES.streaming.repository, tag: version, architectures: IMAGES.streaming.architectures },
    },
    maintenance: { stopWorkloads: p.stopWorkloads ?? false },
    monitoring: { enabled: p.monitoring ?? false, webExporter: { resources: w.webExporterResources ?? WEB_EXPORTER_DEFAULTS.resources } },
    web: w.web ?? WEB_DEFAULTS,
    streaming: w.streaming ?? STREAMING_DEFAULTS,
    cleanup: w.cleanup ?? CLEANUP_DEFAULTS,
    sidekiq: w.sidekiq ?? { catchUp: false },
    ...(p.search ? { search: p.search } : {}),
  };
}

function smtpSettings(s: SmtpInput): SmtpConfig {
  return {
    ...s,
    port: s.port ?? SMTP_DEFAULTS.port,
    authMethod: s.authMethod ?? SMTP_DEFAULTS.authMethod,
    enableStarttls: s.enableStarttls ?? SMTP_DEFAULTS.enableStarttls,
  };
}

function mediaSettings(instance: string, m: MediaInput): MediaConfig {
  if ((m.s3 === undefined) === (m.volume === undefined)) {
    throw new Error(`MastodonEnvironment ${instance}: set exactly one of media.s3 (object storage) or media.volume (a PersistentVolumeClaim)`);
  }
  if (m.volume) return { volume: m.volume };
  const s3 = m.s3!;
  return {
    s3: {
      ...s3,
      region: s3.region ?? S3_DEFAULTS.region,
      credentialsSecret: {
        name: s3.credentialsSecret.name,
        accessKeyIdKey: s3.credentialsSecret.accessKeyIdKey ?? S3_DEFAULTS.accessKeyIdKey,
        secretAccessKeyKey: s3.credentialsSecret.secretAccessKeyKey ?? S3_DEFAULTS.secretAccessKeyKey,
      },
    },
  };
}

function sortKeys(o: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => byCodeUnits(a, b)));
}
