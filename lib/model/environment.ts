/**
 * What the Mastodon processes share: the settings a MastodonEnvironment holds and the workload
 * factory, the env rules and the Mastodon constructs read. Types only.
 */
import type { AuthInput, CleanupConfig, ExtraEnvValue, KedaConfig, MediaConfig, ResourcesConfig, SecretKeyRef, SmtpConfig, StreamingConfig, TranslationInput, WebConfig } from './config';
import type { ImageSpec } from './parts';

/** Where the app's Redis lives, and the Secret key with its password. */
export interface RedisEndpoint {
  readonly host: string;
  readonly port: number;
  /** REDIS_PASSWORD. @default none: no password */
  readonly passwordSecret?: SecretKeyRef;
}

/** Web (Puma) settings; without a pool, the pods may run on any node. */
export type WebSettings = Omit<WebConfig, 'pool'> & { readonly pool?: string };
/** Streaming settings; without a pool, the pods may run on any node. */
export type StreamingSettings = Omit<StreamingConfig, 'pool'> & { readonly pool?: string };

/**
 * The settings of one Mastodon server that its pods share, with every default applied.
 * `MastodonEnvironment` makes it from its props; the workload sections (`web`, `streaming`,
 * `cleanup`, `sidekiq`, `monitoring.webExporter`) are what a Mastodon construct falls back to
 * for a setting its own props leave out.
 */
export interface MastodonSettings {
  /** Instance name: prefixes every object name (`<name>-web`). */
  readonly name: string;
  /** LOCAL_DOMAIN: the domain in user handles. */
  readonly domain: string;
  /** WEB_DOMAIN, when the site is served from another host. @default none */
  readonly webDomain?: string;
  /** The Secret with Mastodon's keys, and the settings every process shares. */
  readonly mastodon: {
    readonly secretName: string;
    readonly singleUserMode: boolean;
    readonly defaultLocale: string;
    /** Any other setting Mastodon reads: a string, or a Secret reference. @default none */
    readonly extraEnv?: Readonly<Record<string, ExtraEnvValue>>;
  };
  /** Single sign-on (OMNIAUTH_ONLY, OIDC_*, SAML_*, LDAP_*). @default none */
  readonly auth?: AuthInput;
  /** Translation of posts (DEEPL_* or LIBRE_TRANSLATE_*). @default none */
  readonly translation?: TranslationInput;
  /** The mail relay. */
  readonly smtp: SmtpConfig;
  /** Where media live: exactly one of `s3` and `volume`. */
  readonly media: MediaConfig;
  /** The app's Redis. */
  readonly redis: RedisEndpoint;
  /** TRUSTED_PROXY_IP (none: Rails' default, loopback and private ranges), and tolerationSeconds for lost nodes. */
  readonly network: { readonly trustedProxies?: readonly string[]; readonly failoverSeconds: number };
  /** The node label whose value names a node's pool. */
  readonly nodes: { readonly poolLabel: string };
  /** The Mastodon (Rails) and streaming images. */
  readonly images: { readonly mastodon: ImageSpec; readonly streaming: ImageSpec };
  /** While `stopWorkloads` is on, web, streaming and Sidekiq run no pods. */
  readonly maintenance: { readonly stopWorkloads: boolean };
  /** Metrics: exporters and the environment variables that feed them, while `enabled` is on. */
  readonly monitoring: { readonly enabled: boolean; readonly webExporter: { readonly resources: ResourcesConfig } };
  /** The web (Puma) settings MastodonWeb, Migrations and MediaCleanup fall back to. */
  readonly web: WebSettings;
  /** The streaming settings MastodonStreaming falls back to. */
  readonly streaming: StreamingSettings;
  /** The cleanup CronJobs' schedules. */
  readonly cleanup: CleanupConfig;
  /** Sidekiq-wide switches: run scalable groups at their maximum; KEDA owns the replica count. */
  readonly sidekiq: { readonly catchUp: boolean; readonly keda?: KedaConfig };
  /** Full-text search (ES_*). @default none: search off, Mastodon's default */
  readonly search?: SearchEndpoint;
}

/** The Elasticsearch or OpenSearch server Mastodon searches with (ES_*), and how it connects. */
export interface SearchEndpoint {
  /** Host name, without scheme or port (ES_HOST). */
  readonly host: string;
  /** Its HTTP port (ES_PORT). */
  readonly port: number;
  /** `https` is written into ES_HOST as Mastodon expects; `http` is the client's default. */
  readonly scheme: 'http' | 'https';
  /** ES_PRESET: single_node_cluster, small_cluster or large_cluster. */
  readonly preset: 'single_node_cluster' | 'small_cluster' | 'large_cluster';
  /** ES_USER. @default none: no authentication */
  readonly user?: string;
  /** The Secret key with ES_PASS. @default none */
  readonly passwordSecret?: SecretKeyRef;
  /** ES_PREFIX: a prefix for the index names, to share one cluster. @default none */
  readonly prefix?: string;
}
