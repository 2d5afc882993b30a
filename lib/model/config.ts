/**
 * The config types: what a config file may contain and what it becomes after parsing, and the
 * names of its parts. Types only.
 */
import type { MastodonConfigInput, MastodonConfigParsed } from './types.generated';

/*
 * The config types are generated from the JSON Schema of lib/config/schema.ts (npm run schema writes
 * types.generated.ts), so every property carries its `.describe()` text and default as JSDoc for
 * editors; test/config-types.check.ts proves them mutually assignable with z.input / z.output.
 */
export type { MastodonConfigInput, MastodonConfigParsed };
/** Container resources: requests (cpu, memory) and a memory limit. */
export type ResourcesConfig = MastodonConfigParsed['web']['resources'];
/** A key of an existing Secret in the namespace: {name, key}. */
export type SecretKeyRef = NonNullable<MastodonConfigParsed['smtp']['passwordSecret']>;
/** One node of nodes.inventory. */
export type NodeConfig = MastodonConfigParsed['nodes']['inventory'][number];
/** One Sidekiq process group as written in the config. */
export type SidekiqProcessInput = MastodonConfigInput['sidekiq']['processes'][number];
export type MonitoringConfig = MastodonConfigParsed['monitoring'];
export type RestartsConfig = MastodonConfigParsed['restarts'];
export type WebConfig = MastodonConfigParsed['web'];
export type StreamingConfig = MastodonConfigParsed['streaming'];
export type SidekiqProcessParsed = MastodonConfigParsed['sidekiq']['processes'][number];
export type SidekiqScalingConfig = NonNullable<SidekiqProcessParsed['scaling']>;
export type KedaConfig = NonNullable<MastodonConfigParsed['sidekiq']['keda']>;
export type RedisConfig = MastodonConfigParsed['redis'];
export type DatabaseConfig = MastodonConfigParsed['database'];
export type CnpgDatabaseConfig = Extract<DatabaseConfig, { mode: 'cnpg' }>;
export type ExternalDatabaseConfig = Extract<DatabaseConfig, { mode: 'external' }>;
export type MediaConfig = MastodonConfigParsed['media'];
export type SmtpConfig = MastodonConfigParsed['smtp'];
export type S3Config = NonNullable<MediaConfig['s3']>;
export type TunnelConfig = NonNullable<MastodonConfigParsed['tunnel']>;
export type MaintenanceConfig = MastodonConfigParsed['maintenance'];
export type ArgoCdConfig = NonNullable<MastodonConfigParsed['argocd']>;
export type CleanupConfig = MastodonConfigParsed['cleanup'];
export type NetworkConfig = MastodonConfigParsed['network'];
/** The `smtp` section as written: the fields with defaults may be left out. */
export type SmtpInput = MastodonConfigInput['smtp'];
/** The `media` section as written: exactly one of `s3` and `volume`. */
export type MediaInput = MastodonConfigInput['media'];
/** The `auth` section as written (single sign-on): the fields with defaults may be left out. */
export type AuthInput = NonNullable<MastodonConfigInput['auth']>;
/** The `translation` section as written: DeepL or LibreTranslate. */
export type TranslationInput = NonNullable<MastodonConfigInput['translation']>;
/** One value of `mastodon.extraEnv` after parsing: a plain string, or a Secret reference `{ secret, key }`. */
export type ExtraEnvValue = MastodonConfigParsed['mastodon']['extraEnv'][string];
