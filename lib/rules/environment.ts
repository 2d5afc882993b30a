/**
 * Mastodon's environment: plain variables (for a ConfigMap) and variables that come from
 * Secrets (referenced by name and key, never by value). Pure: no cdk8s imports.
 */
import { resourceName } from '../rules/names';
import { DEFAULT_REDIS_PORT } from '../model/defaults';
import type { DatabaseConnection } from './database';
import { authEnv, extraEnvSplit, SettingSecret, translationEnv } from './mastodon-settings';
import { s3ChecksumEnv } from './s3';
import { searchEnv } from './search';
import type { MastodonSettings, RedisEndpoint, ResolvedConfig } from '../model';

/** One variable read from a Secret key. */
export type SecretEnv = SettingSecret;

/** The keys `mastodon.secretName` must hold; `npm run secrets` generates all of them. */
export const MASTODON_SECRET_KEYS = [
  'SECRET_KEY_BASE',
  'OTP_SECRET',
  'VAPID_PRIVATE_KEY',
  'VAPID_PUBLIC_KEY',
  'ACTIVE_RECORD_ENCRYPTION_DETERMINISTIC_KEY',
  'ACTIVE_RECORD_ENCRYPTION_KEY_DERIVATION_SALT',
  'ACTIVE_RECORD_ENCRYPTION_PRIMARY_KEY',
] as const;

/** Where the app's Redis lives: the in-cluster `<name>-redis` Service, or the external host. */
export function redisEndpoint(c: Pick<ResolvedConfig, 'name' | 'redis'>): RedisEndpoint {
  const r = c.redis;
  const at = r.mode === 'internal' ? { host: internalRedisHost(c.name), port: DEFAULT_REDIS_PORT } : { host: r.host, port: r.port };
  return { ...at, ...(r.passwordSecret ? { passwordSecret: r.passwordSecret } : {}) };
}

/** The Service name of the in-cluster Redis of an instance. */
export function internalRedisHost(instance: string): string {
  return resourceName(instance, 'redis');
}

/** Plain variables shared by web, Sidekiq, streaming, migrations and CronJobs. */
export function plainEnv(c: MastodonSettings, db: DatabaseConnection): Record<string, string> {
  const redis = c.redis;
  const env: Record<string, string> = {
    LOCAL_DOMAIN: c.domain,
    ...(c.webDomain ? { WEB_DOMAIN: c.webDomain } : {}),
    RAILS_ENV: 'production',
    NODE_ENV: 'production',
    RAILS_LOG_LEVEL: 'info',
    RAILS_SERVE_STATIC_FILES: 'true',
    SINGLE_USER_MODE: String(c.mastodon.singleUserMode),
    DEFAULT_LOCALE: c.mastodon.defaultLocale,
    // Space-separated: every Mastodon version splits on white space (newer ones on commas too).
    ...(c.network.trustedProxies ? { TRUSTED_PROXY_IP: c.network.trustedProxies.join(' ') } : {}),
    DB_HOST: db.host,
    DB_PORT: String(db.port),
    DB_NAME: db.name,
    DB_USER: db.user,
    DB_SSLMODE: db.sslMode,
    ...(db.preparedStatements ? {} : { PREPARED_STATEMENTS: 'false' }),
    REDIS_HOST: redis.host,
    REDIS_PORT: String(redis.port),
    SMTP_SERVER: c.smtp.server,
    SMTP_PORT: String(c.smtp.port),
    SMTP_FROM_ADDRESS: c.smtp.fromAddress,
    SMTP_AUTH_METHOD: c.smtp.authMethod,
    SMTP_ENABLE_STARTTLS: c.smtp.enableStarttls,
    ...(c.smtp.login ? { SMTP_LOGIN: c.smtp.login } : {}),
  };
  const s3 = c.media.s3;
  if (s3) {
    const url = new URL(s3.endpoint);
    Object.assign(env, {
      S3_ENABLED: 'true',
      S3_BUCKET: s3.bucket,
      S3_ENDPOINT: s3.endpoint,
      S3_REGION: s3.region,
      S3_PROTOCOL: url.protocol.replace(':', ''),
      S3_HOSTNAME: s3.hostname ?? url.host,
      ...(s3.aliasHost ? { S3_ALIAS_HOST: s3.aliasHost } : {}),
      // Mastodon's S3_ENABLE_CHECKSUM_MODE (>= 4.2, #26435) covers downloads only; uploads need
      // the SDK's variables (config/initializers/paperclip.rb; docs/media.md).
      ...s3ChecksumEnv(s3.endpoint, s3.checksums),
    });
  } else {
    env.S3_ENABLED = 'false';
  }
  // The optional sections (full-text search only when configured: Mastodon's default is off),
  // then extraEnv: none of their names is one set above (the schema and MastodonEnvironment
  // refuse an extraEnv name the config owns).
  return { ...env, ...searchEnv(c.search).plain, ...authEnv(c, c.auth).plain, ...translationEnv(c.translation).plain, ...extraEnvSplit(c.mastodon.extraEnv).plain };
}

/** Database and Redis passwords: what every component that talks to them needs. */
function dataSecrets(c: MastodonSettings, db: DatabaseConnection): SecretEnv[] {
  const out: SecretEnv[] = [{ env: 'DB_PASS', secretName: db.passwordSecret.name, key: db.passwordSecret.key }];
  if (c.redis.passwordSecret) {
    out.push({ env: 'REDIS_PASSWORD', secretName: c.redis.passwordSecret.name, key: c.redis.passwordSecret.key });
  }
  return out;
}

/** Secret variables for the Rails processes (web, Sidekiq, migrations, tootctl). */
export function railsSecretEnv(c: MastodonSettings, db: DatabaseConnection): SecretEnv[] {
  const out: SecretEnv[] = MASTODON_SECRET_KEYS.map((k) => ({ env: k, secretName: c.mastodon.secretName, key: k }));
  out.push(...dataSecrets(c, db));
  if (c.media.s3) {
    const cred = c.media.s3.credentialsSecret;
    out.push({ env: 'AWS_ACCESS_KEY_ID', secretName: cred.name, key: cred.accessKeyIdKey });
    out.push({ env: 'AWS_SECRET_ACCESS_KEY', secretName: cred.name, key: cred.secretAccessKeyKey });
  }
  if (c.smtp.passwordSecret) {
    out.push({ env: 'SMTP_PASSWORD', secretName: c.smtp.passwordSecret.name, key: c.smtp.passwordSecret.key });
  }
  out.push(...searchEnv(c.search).secrets, ...authEnv(c, c.auth).secrets, ...translationEnv(c.translation).secrets, ...extraEnvSplit(c.mastodon.extraEnv).secrets);
  return out;
}

/**
 * Secret variables for the streaming server: the database and Redis passwords, and the Secret
 * references of mastodon.extraEnv (every Mastodon container gets them).
 */
export function streamingSecretEnv(c: MastodonSettings, db: DatabaseConnection): SecretEnv[] {
  return [...dataSecrets(c, db), ...extraEnvSplit(c.mastodon.extraEnv).secrets];
}
