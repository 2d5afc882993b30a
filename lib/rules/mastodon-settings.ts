/**
 * Mastodon's settings (environment variables): the names Mastodon reads, which of them the
 * config already sets, and the variables of the `auth` and `translation` sections. Pure: no
 * cdk8s imports.
 */
import { didYouMean } from './spelling';
import { AUTH_DEFAULTS, TRANSLATION_DEFAULTS } from '../model/defaults';
import type { AuthInput, ExtraEnvValue, TranslationInput } from '../model';
import type { FieldProblem } from './mastodon-checks';

/**
 * Every setting Mastodon 4.7 reads: the variables documented in mastodon/mastodon
 * lib/mastodon/configuration/annotations.yml (top level and `docs_only_variables`, less the
 * ones marked removed), the catalog Mastodon's own env scanner (lib/mastodon/configuration/
 * env_scanner.rb) checks the source against. In the order of that file.
 */
export const MASTODON_SETTINGS: readonly string[] = [
  // Federation and display
  'LOCAL_DOMAIN', 'WEB_DOMAIN', 'ALTERNATE_DOMAINS', 'ALLOWED_PRIVATE_ADDRESSES', 'AUTHORIZED_FETCH', 'LIMITED_FEDERATION_MODE',
  'DISALLOW_UNAUTHENTICATED_API_ACCESS', 'SINGLE_USER_MODE', 'SELF_DESTRUCT', 'EXPERIMENTAL_FEATURES', 'UPDATE_CHECK_URL',
  'DONATION_CAMPAIGNS_URL', 'DONATION_CAMPAIGNS_ENVIRONMENT', 'SOURCE_TAG', 'SOURCE_BASE_URL', 'GITHUB_REPOSITORY', 'SOURCE_COMMIT',
  'MASTODON_VERSION_PRERELEASE', 'MASTODON_VERSION_METADATA', 'DEFAULT_LOCALE', 'FORCE_DEFAULT_LOCALE',
  // Secrets
  'SECRET_KEY_BASE', 'OTP_SECRET', 'ACTIVE_RECORD_ENCRYPTION_DETERMINISTIC_KEY', 'ACTIVE_RECORD_ENCRYPTION_KEY_DERIVATION_SALT',
  'ACTIVE_RECORD_ENCRYPTION_PRIMARY_KEY', 'VAPID_PRIVATE_KEY', 'VAPID_PUBLIC_KEY',
  // Deployment
  'RAILS_ENV', 'RAILS_SERVE_STATIC_FILES', 'RAILS_LOG_LEVEL', 'LOG_LEVEL', 'TRUSTED_PROXY_IP', 'SOCKET', 'PORT', 'BIND', 'NODE_ENV',
  'MASTODON_USE_LIBVIPS',
  // Scaling
  'SIDEKIQ_CONCURRENCY', 'WEB_CONCURRENCY', 'MAX_THREADS', 'MIN_THREADS', 'PERSISTENT_TIMEOUT', 'PREPARED_STATEMENTS', 'STREAMING_API_BASE_URL',
  // PostgreSQL and its read replica
  'DB_HOST', 'DB_USER', 'DB_NAME', 'DB_PASS', 'DB_PORT', 'DB_POOL', 'DB_SSLMODE', 'DATABASE_URL', 'QUERY_LOG_TAGS_ENABLED',
  'REPLICA_DB_HOST', 'REPLICA_DB_PORT', 'REPLICA_DB_NAME', 'REPLICA_DB_USER', 'REPLICA_DB_PASS', 'REPLICA_DATABASE_URL',
  'REPLICA_PREPARED_STATEMENTS', 'REPLICA_DB_TASKS',
  // Redis: the main one, and the cache and Sidekiq ones (CACHE_ and SIDEKIQ_ prefixes)
  ...['', 'CACHE_', 'SIDEKIQ_'].flatMap((p) => [
    'HOST', 'PORT', 'DB', 'USER', 'PASSWORD', 'URL', 'NAMESPACE', 'SENTINELS', 'SENTINEL_MASTER', 'SENTINEL_PORT', 'SENTINEL_USERNAME',
    'SENTINEL_PASSWORD',
  ].map((s) => `${p}REDIS_${s}`)),
  'REDIS_DRIVER',
  // Elasticsearch / OpenSearch
  'ES_ENABLED', 'ES_PRESET', 'ES_HOST', 'ES_PORT', 'ES_USER', 'ES_PASS', 'ES_PREFIX', 'ES_CA_FILE',
  // E-mail, and the optional bulk relay
  ...['', 'BULK_'].flatMap((p) => [
    'SERVER', 'PORT', 'LOGIN', 'PASSWORD', 'DOMAIN', 'AUTH_METHOD', 'CA_FILE', 'OPENSSL_VERIFY_MODE', 'ENABLE_STARTTLS_AUTO',
    'ENABLE_STARTTLS', 'TLS', 'SSL',
  ].map((s) => `${p}SMTP_${s}`)),
  'SMTP_FROM_ADDRESS', 'SMTP_DELIVERY_METHOD', 'SMTP_REPLY_TO', 'SMTP_RETURN_PATH',
  // Metrics and tracing
  'MASTODON_PROMETHEUS_EXPORTER_ENABLED', 'MASTODON_PROMETHEUS_EXPORTER_WEB_DETAILED_METRICS',
  'MASTODON_PROMETHEUS_EXPORTER_SIDEKIQ_DETAILED_METRICS', 'MASTODON_PROMETHEUS_EXPORTER_LOCAL', 'PROMETHEUS_EXPORTER_HOST',
  'PROMETHEUS_EXPORTER_PORT', 'MASTODON_PROMETHEUS_EXPORTER_HOST', 'MASTODON_PROMETHEUS_EXPORTER_PORT', 'OTEL_SERVICE_NAME_PREFIX',
  'OTEL_SERVICE_NAME_SEPARATOR', 'OTEL_EXPORTER_OTLP_ENDPOINT',
  // File storage
  'CDN_HOST', 'PAPERCLIP_ROOT_PATH', 'PAPERCLIP_ROOT_URL', 'S3_ENABLED', 'S3_REGION', 'S3_ENDPOINT', 'S3_BUCKET', 'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY', 'S3_SIGNATURE_VERSION', 'S3_OVERRIDE_PATH_STYLE', 'S3_PROTOCOL', 'S3_HOSTNAME', 'S3_ALIAS_HOST',
  'S3_CLOUDFRONT_HOST', 'S3_KEY_PREFIX', 'EXTRA_MEDIA_HOSTS', 'S3_OPEN_TIMEOUT', 'S3_READ_TIMEOUT', 'S3_RETRY_LIMIT',
  'S3_FORCE_SINGLE_REQUEST', 'S3_ENABLE_CHECKSUM_MODE', 'S3_STORAGE_CLASS', 'S3_MULTIPART_THRESHOLD', 'S3_PERMISSION',
  'S3_BATCH_DELETE_LIMIT', 'S3_BATCH_DELETE_RETRY', 'SWIFT_ENABLED', 'SWIFT_USERNAME', 'SWIFT_TENANT', 'SWIFT_PASSWORD',
  'SWIFT_PROJECT_ID', 'SWIFT_AUTH_URL', 'SWIFT_CONTAINER', 'SWIFT_OBJECT_URL', 'SWIFT_REGION', 'SWIFT_DOMAIN_NAME', 'SWIFT_TEMP_URL_KEY',
  'SWIFT_CACHE_TTL', 'AZURE_ENABLED', 'AZURE_STORAGE_ACCOUNT', 'AZURE_STORAGE_ACCESS_KEY', 'AZURE_CONTAINER_NAME', 'AZURE_ALIAS_HOST',
  'CACHE_BUSTER_ENABLED', 'CACHE_BUSTER_HTTP_METHOD', 'CACHE_BUSTER_SECRET_HEADER', 'CACHE_BUSTER_SECRET',
  // External authentication
  'OMNIAUTH_ONLY', 'ONE_CLICK_SSO_LOGIN', 'ALLOW_UNSAFE_AUTH_PROVIDER_REATTACH', 'SSO_ACCOUNT_SIGN_UP', 'SSO_ACCOUNT_SETTINGS',
  'LDAP_ENABLED', 'LDAP_HOST', 'LDAP_PORT', 'LDAP_METHOD', 'LDAP_BASE', 'LDAP_BIND_DN', 'LDAP_PASSWORD', 'LDAP_UID', 'LDAP_SEARCH_FILTER',
  'LDAP_MAIL', 'LDAP_TLS_NO_VERIFY', 'LDAP_UID_CONVERSION_ENABLED', 'LDAP_UID_CONVERSION_SEARCH', 'LDAP_UID_CONVERSION_REPLACE',
  'PAM_ENABLED', 'PAM_EMAIL_DOMAIN', 'PAM_DEFAULT_SERVICE', 'PAM_CONTROLLED_SERVICE',
  'CAS_ENABLED', 'CAS_DISPLAY_NAME', 'CAS_URL', 'CAS_HOST', 'CAS_PORT', 'CAS_SSL', 'CAS_VALIDATE_URL', 'CAS_CALLBACK_URL', 'CAS_LOGOUT_URL',
  'CAS_LOGIN_URL', 'CAS_UID_FIELD', 'CAS_CA_PATH', 'CAS_DISABLE_SSL_VERIFICATION', 'CAS_UID_KEY', 'CAS_NAME_KEY', 'CAS_EMAIL_KEY',
  'CAS_NICKNAME_KEY', 'CAS_FIRST_NAME_KEY', 'CAS_LAST_NAME_KEY', 'CAS_LOCATION_KEY', 'CAS_IMAGE_KEY', 'CAS_PHONE_KEY',
  'CAS_SECURITY_ASSUME_EMAIL_IS_VERIFIED',
  'SAML_ENABLED', 'SAML_DISPLAY_NAME', 'SAML_ACS_URL', 'SAML_ISSUER', 'SAML_IDP_SSO_TARGET_URL', 'SAML_IDP_CERT', 'SAML_IDP_CERT_FINGERPRINT',
  'SAML_NAME_IDENTIFIER_FORMAT', 'SAML_CERT', 'SAML_PRIVATE_KEY', 'SAML_SECURITY_WANT_ASSERTION_SIGNED',
  'SAML_SECURITY_WANT_ASSERTION_ENCRYPTED', 'SAML_SECURITY_ASSUME_EMAIL_IS_VERIFIED', 'SAML_ATTRIBUTES_STATEMENTS_UID',
  'SAML_ATTRIBUTES_STATEMENTS_EMAIL', 'SAML_ATTRIBUTES_STATEMENTS_FULL_NAME', 'SAML_ATTRIBUTES_STATEMENTS_FIRST_NAME',
  'SAML_ATTRIBUTES_STATEMENTS_LAST_NAME', 'SAML_UID_ATTRIBUTE', 'SAML_ATTRIBUTES_STATEMENTS_VERIFIED',
  'SAML_ATTRIBUTES_STATEMENTS_VERIFIED_EMAIL', 'SAML_IDP_CERT_FINGERPRINT_VALIDATOR', 'SAML_IDP_SSO_TARGET_PARAMS', 'SAML_ALLOWED_CLOCK_DRIFT',
  'OIDC_ENABLED', 'OIDC_DISPLAY_NAME', 'OIDC_ISSUER', 'OIDC_DISCOVERY', 'OIDC_SCOPE', 'OIDC_UID_FIELD', 'OIDC_CLIENT_ID', 'OIDC_CLIENT_SECRET',
  'OIDC_REDIRECT_URI', 'OIDC_AUTH_ENDPOINT', 'OIDC_TOKEN_ENDPOINT', 'OIDC_USER_INFO_ENDPOINT', 'OIDC_JWKS_URI', 'OIDC_END_SESSION_ENDPOINT',
  'OIDC_IDP_LOGOUT_REDIRECT_URI', 'OIDC_SECURITY_ASSUME_EMAIL_IS_VERIFIED', 'OIDC_CLIENT_AUTH_METHOD', 'OIDC_USE_PKCE', 'OIDC_SEND_NONCE',
  'OIDC_SEND_SCOPE_TO_TOKEN_ENDPOINT', 'OIDC_RESPONSE_TYPE', 'OIDC_RESPONSE_MODE', 'OIDC_DISPLAY', 'OIDC_PROMPT', 'OIDC_HOST', 'OIDC_PORT',
  'OIDC_HTTP_SCHEME',
  // Hidden services
  'http_proxy', 'http_hidden_proxy', 'ALLOW_ACCESS_TO_HIDDEN_SERVICE',
  // Limits
  'HCAPTCHA_SITE_KEY', 'HCAPTCHA_SECRET_KEY', 'EMAIL_DOMAIN_ALLOWLIST', 'EMAIL_DOMAIN_DENYLIST', 'EMAIL_DOMAIN_LISTS_APPLY_AFTER_CONFIRMATION',
  'MAX_SESSION_ACTIVATIONS', 'USER_ACTIVE_DAYS', 'DISABLE_EMAIL_SUBSCRIPTIONS', 'DISABLE_FOLLOWERS_SYNCHRONIZATION', 'MAX_FOLLOWS_THRESHOLD',
  'MAX_FOLLOWS_RATIO', 'DISABLE_AUTOMATIC_SWITCHING_TO_APPROVED_REGISTRATIONS', 'VIPS_BLOCK_UNTRUSTED', 'PROXY_PROTO_V1', 'SENDFILE_HEADER',
  'LOCAL_HTTPS', 'MAX_REQUEST_POOL_SIZE', 'MASTODON_SIDEKIQ_READY_FILENAME', 'IP_RETENTION_PERIOD', 'SESSION_RETENTION_PERIOD',
  // Translation
  'DEEPL_API_KEY', 'DEEPL_PLAN', 'LIBRE_TRANSLATE_ENDPOINT', 'LIBRE_TRANSLATE_API_KEY',
  // Media processing and the rest
  'FFMPEG_BINARY', 'FFPROBE_BINARY', 'SKIP_POST_DEPLOYMENT_MIGRATIONS', 'BUNDLE_GEMFILE', 'BACKTRACE', 'GITHUB_API_TOKEN', 'PATH',
];

/**
 * Names Mastodon no longer reads, and what replaced them: the deprecated aliases of
 * env_scanner.rb's EXCLUDED_VARS, and the variables annotations.yml marks removed.
 */
export const RETIRED_SETTINGS: Readonly<Record<string, string>> = {
  WHITELIST_MODE: 'was renamed LIMITED_FEDERATION_MODE; use that name',
  EMAIL_DOMAIN_BLACKLIST: 'was renamed EMAIL_DOMAIN_DENYLIST; use that name',
  EMAIL_DOMAIN_WHITELIST: 'was renamed EMAIL_DOMAIN_ALLOWLIST; use that name',
  STREAMING_CLUSTER_NUM: 'was removed in Mastodon 4.3 (one Node.js process per pod); remove it and scale streaming.replicas instead',
  STATSD_ADDR: 'was removed in Mastodon 4.3; remove it and use monitoring.enabled (Prometheus) instead',
  STATSD_NAMESPACE: 'was removed in Mastodon 4.3; remove it and use monitoring.enabled (Prometheus) instead',
  STATSD_SIDEKIQ: 'was removed in Mastodon 4.3; remove it and use monitoring.enabled (Prometheus) instead',
  ...Object.fromEntries(['ENABLED', 'COOLDOWN_MINUTES', 'INITIAL_WAIT_MINUTES', 'MAX_GLOBAL', 'MAX_SINGLE', 'MAX_PAGES'].map((s) => [
    `FETCH_REPLIES_${s}`, 'was removed in Mastodon 4.5 (replies are always fetched); remove it',
  ])),
};

/**
 * The settings annotations.yml marks `secret: true`: `extraEnv` takes them only as a Secret
 * reference, so their values never reach the ConfigMap, dist/ or git.
 */
export const SECRET_SETTINGS: ReadonlySet<string> = new Set([
  'SECRET_KEY_BASE', 'OTP_SECRET', 'ACTIVE_RECORD_ENCRYPTION_DETERMINISTIC_KEY', 'ACTIVE_RECORD_ENCRYPTION_KEY_DERIVATION_SALT',
  'ACTIVE_RECORD_ENCRYPTION_PRIMARY_KEY', 'VAPID_PRIVATE_KEY', 'DB_PASS', 'REPLICA_DB_PASS',
  ...['', 'CACHE_', 'SIDEKIQ_'].flatMap((p) => [`${p}REDIS_PASSWORD`, `${p}REDIS_SENTINEL_PASSWORD`]),
  'ES_PASS', 'SMTP_PASSWORD', 'BULK_SMTP_PASSWORD', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'SWIFT_PASSWORD', 'SWIFT_TEMP_URL_KEY',
  'AZURE_STORAGE_ACCESS_KEY', 'CACHE_BUSTER_SECRET', 'LDAP_PASSWORD', 'SAML_PRIVATE_KEY', 'OIDC_CLIENT_SECRET', 'HCAPTCHA_SECRET_KEY',
  'DEEPL_API_KEY', 'LIBRE_TRANSLATE_API_KEY', 'GITHUB_API_TOKEN',
]);

/**
 * The OpenTelemetry SDK variables that carry credentials (the exporter's request headers, such as
 * `Authorization=Bearer ...`; opentelemetry-specification, protocol/exporter.md): as secret as
 * the settings above, though Mastodon's catalog does not list them.
 */
export const SECRET_SDK_SETTINGS: ReadonlySet<string> = new Set(
  ['', 'TRACES_', 'METRICS_', 'LOGS_'].map((signal) => `OTEL_EXPORTER_OTLP_${signal}HEADERS`),
);

/**
 * A URL whose userinfo holds a password (`scheme://user:password@host`, `redis://:password@host`):
 * CACHE_REDIS_URL, SIDEKIQ_REDIS_URL, REPLICA_DATABASE_URL, http_proxy and the like would carry
 * the credential into the ConfigMap and dist/.
 */
const URL_WITH_PASSWORD = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#@\s]*:[^/?#@\s]*@/;

/** The OpenTelemetry SDK's own variables (OTEL_*), which Mastodon's tracing reads as the SDK documents them. */
const OTEL_SDK = /^OTEL_[A-Z0-9_]+$/;
/** Mastodon names its OpenTelemetry services itself (annotations.yml, OpenTelemetry): OTEL_SERVICE_NAME is the SDK variable it ignores. */
const OTEL_IGNORED = 'OTEL_SERVICE_NAME';

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

const CHART = (why: string) => `is set by the chart (${why}) and cannot be changed; remove it`;
const IMAGE = 'is set by the Mastodon image and must stay as it is; remove it';

/**
 * The settings the config (or MastodonEnvironment's props) already sets, with the field that
 * owns each, or why the chart fixes it. `mastodon.extraEnv` refuses them: two places for one
 * setting would let them disagree.
 */
export const OWNED_SETTINGS: Readonly<Record<string, string>> = {
  LOCAL_DOMAIN: 'domain',
  WEB_DOMAIN: 'webDomain',
  SINGLE_USER_MODE: 'mastodon.singleUserMode',
  DEFAULT_LOCALE: 'mastodon.defaultLocale',
  TRUSTED_PROXY_IP: 'network.trustedProxies',
  ...Object.fromEntries(['SECRET_KEY_BASE', 'OTP_SECRET', 'VAPID_PRIVATE_KEY', 'VAPID_PUBLIC_KEY', 'ACTIVE_RECORD_ENCRYPTION_DETERMINISTIC_KEY',
    'ACTIVE_RECORD_ENCRYPTION_KEY_DERIVATION_SALT', 'ACTIVE_RECORD_ENCRYPTION_PRIMARY_KEY'].map((k) => [k, 'mastodon.secretName'])),
  ...Object.fromEntries(['DB_HOST', 'DB_PORT', 'DB_NAME', 'DB_USER', 'DB_PASS', 'DB_SSLMODE', 'DATABASE_URL', 'PREPARED_STATEMENTS']
    .map((k) => [k, 'database'])),
  DB_POOL: 'web.threads, streaming.dbPool and sidekiq.processes[].concurrency',
  WEB_CONCURRENCY: 'web.processes',
  MAX_THREADS: 'web.threads',
  SIDEKIQ_CONCURRENCY: 'sidekiq.processes[].concurrency',
  ...Object.fromEntries(['REDIS_HOST', 'REDIS_PORT', 'REDIS_PASSWORD', 'REDIS_URL'].map((k) => [k, 'redis'])),
  SMTP_SERVER: 'smtp.server',
  SMTP_PORT: 'smtp.port',
  SMTP_LOGIN: 'smtp.login',
  SMTP_PASSWORD: 'smtp.passwordSecret',
  SMTP_FROM_ADDRESS: 'smtp.fromAddress',
  SMTP_AUTH_METHOD: 'smtp.authMethod',
  SMTP_ENABLE_STARTTLS: 'smtp.enableStarttls',
  S3_ENABLED: 'media (s3 or volume)',
  S3_BUCKET: 'media.s3.bucket',
  S3_ENDPOINT: 'media.s3.endpoint',
  S3_PROTOCOL: 'media.s3.endpoint',
  S3_REGION: 'media.s3.region',
  S3_HOSTNAME: 'media.s3.hostname',
  S3_ALIAS_HOST: 'media.s3.aliasHost',
  AWS_ACCESS_KEY_ID: 'media.s3.credentialsSecret',
  AWS_SECRET_ACCESS_KEY: 'media.s3.credentialsSecret',
  PAPERCLIP_ROOT_PATH: 'media.volume (mounted at public/system)',
  ...Object.fromEntries(['MASTODON_PROMETHEUS_EXPORTER_ENABLED', 'MASTODON_PROMETHEUS_EXPORTER_LOCAL', 'MASTODON_PROMETHEUS_EXPORTER_HOST',
    'MASTODON_PROMETHEUS_EXPORTER_PORT', 'MASTODON_PROMETHEUS_EXPORTER_SIDEKIQ_DETAILED_METRICS', 'PROMETHEUS_EXPORTER_HOST',
    'PROMETHEUS_EXPORTER_PORT'].map((k) => [k, 'monitoring.enabled'])),
  ES_ENABLED: 'search.mode',
  ES_HOST: 'search.host',
  ES_PORT: 'search.port',
  ES_USER: 'search.user',
  ES_PASS: 'search.passwordSecret',
  ES_PREFIX: 'search.prefix',
  ES_PRESET: 'search.preset',
  OMNIAUTH_ONLY: 'auth.omniauthOnly',
  OIDC_ENABLED: 'auth.oidc',
  OIDC_DISPLAY_NAME: 'auth.oidc.displayName',
  OIDC_ISSUER: 'auth.oidc.issuer',
  OIDC_DISCOVERY: 'auth.oidc.discovery',
  OIDC_SCOPE: 'auth.oidc.scope',
  OIDC_UID_FIELD: 'auth.oidc.uidField',
  OIDC_CLIENT_ID: 'auth.oidc.clientId',
  OIDC_CLIENT_SECRET: 'auth.oidc.clientSecret',
  OIDC_REDIRECT_URI: 'auth.oidc (derived from domain/webDomain)',
  OIDC_USE_PKCE: 'auth.oidc.pkce',
  OIDC_SECURITY_ASSUME_EMAIL_IS_VERIFIED: 'auth.oidc.assumeEmailIsVerified',
  OIDC_AUTH_ENDPOINT: 'auth.oidc.endpoints.authorization',
  OIDC_TOKEN_ENDPOINT: 'auth.oidc.endpoints.token',
  OIDC_USER_INFO_ENDPOINT: 'auth.oidc.endpoints.userInfo',
  OIDC_JWKS_URI: 'auth.oidc.endpoints.jwks',
  OIDC_END_SESSION_ENDPOINT: 'auth.oidc.endpoints.endSession',
  SAML_ENABLED: 'auth.saml',
  SAML_DISPLAY_NAME: 'auth.saml.displayName',
  SAML_ACS_URL: 'auth.saml (derived from domain/webDomain)',
  SAML_ISSUER: 'auth.saml.issuer',
  SAML_IDP_SSO_TARGET_URL: 'auth.saml.idpSsoTargetUrl',
  SAML_IDP_CERT: 'auth.saml.idpCert',
  SAML_IDP_CERT_FINGERPRINT: 'auth.saml.idpCertFingerprint',
  SAML_NAME_IDENTIFIER_FORMAT: 'auth.saml.nameIdentifierFormat',
  SAML_CERT: 'auth.saml.certificate',
  SAML_PRIVATE_KEY: 'auth.saml.privateKeySecret',
  SAML_UID_ATTRIBUTE: 'auth.saml.uidAttribute',
  SAML_SECURITY_WANT_ASSERTION_SIGNED: 'auth.saml.wantAssertionsSigned',
  SAML_SECURITY_WANT_ASSERTION_ENCRYPTED: 'auth.saml.wantAssertionsEncrypted',
  SAML_SECURITY_ASSUME_EMAIL_IS_VERIFIED: 'auth.saml.assumeEmailIsVerified',
  SAML_ATTRIBUTES_STATEMENTS_UID: 'auth.saml.attributes.uid',
  SAML_ATTRIBUTES_STATEMENTS_EMAIL: 'auth.saml.attributes.email',
  SAML_ATTRIBUTES_STATEMENTS_FULL_NAME: 'auth.saml.attributes.fullName',
  SAML_ATTRIBUTES_STATEMENTS_FIRST_NAME: 'auth.saml.attributes.firstName',
  SAML_ATTRIBUTES_STATEMENTS_LAST_NAME: 'auth.saml.attributes.lastName',
  SAML_ATTRIBUTES_STATEMENTS_VERIFIED: 'auth.saml.attributes.verified',
  SAML_ATTRIBUTES_STATEMENTS_VERIFIED_EMAIL: 'auth.saml.attributes.verifiedEmail',
  LDAP_ENABLED: 'auth.ldap',
  LDAP_HOST: 'auth.ldap.host',
  LDAP_PORT: 'auth.ldap.port',
  LDAP_METHOD: 'auth.ldap.method',
  LDAP_BASE: 'auth.ldap.base',
  LDAP_BIND_DN: 'auth.ldap.bindDn',
  LDAP_PASSWORD: 'auth.ldap.passwordSecret',
  LDAP_UID: 'auth.ldap.uid',
  LDAP_MAIL: 'auth.ldap.mail',
  LDAP_SEARCH_FILTER: 'auth.ldap.searchFilter',
  LDAP_TLS_NO_VERIFY: 'auth.ldap.tlsNoVerify',
  DEEPL_API_KEY: 'translation.apiKeySecret (provider: deepl)',
  DEEPL_PLAN: 'translation.plan (provider: deepl)',
  LIBRE_TRANSLATE_ENDPOINT: 'translation.endpoint (provider: libretranslate)',
  LIBRE_TRANSLATE_API_KEY: 'translation.apiKeySecret (provider: libretranslate)',
};

/** Settings the chart or the image fixes, with the reason; extraEnv refuses them too. */
export const FIXED_SETTINGS: Readonly<Record<string, string>> = {
  RAILS_ENV: CHART('production'),
  NODE_ENV: CHART('production'),
  RAILS_SERVE_STATIC_FILES: CHART('true: no web server in front serves public/'),
  BIND: CHART('0.0.0.0, for the Services'),
  PORT: CHART('the Services and probes use it'),
  SOCKET: CHART('the Services need a TCP port'),
  MASTODON_SIDEKIQ_READY_FILENAME: CHART("the Sidekiq readiness probe reads that file"),
  SKIP_POST_DEPLOYMENT_MIGRATIONS: CHART('the pre- and post-deployment migration Jobs'),
  MASTODON_USE_LIBVIPS: IMAGE,
  BUNDLE_GEMFILE: IMAGE,
  PATH: IMAGE,
};

/**
 * What is wrong with one `extraEnv` name, or undefined when Mastodon reads it and nothing else
 * sets it: unknown (with the closest known name), retired, owned by a config field, or fixed.
 */
export function settingNameProblem(name: string): string | undefined {
  if (!ENV_NAME.test(name)) return `'${name}' is not an environment variable name (letters, digits and _, not starting with a digit); rename it`;
  const owner = OWNED_SETTINGS[name];
  if (owner !== undefined) return `${name} is set from ${owner}; set it there instead of in extraEnv`;
  const fixed = FIXED_SETTINGS[name];
  if (fixed !== undefined) return `${name} ${fixed}`;
  const retired = RETIRED_SETTINGS[name];
  if (retired !== undefined) return `${name} ${retired}`;
  if (name === OTEL_IGNORED) return `${name} is ignored: Mastodon names its services itself; set OTEL_SERVICE_NAME_PREFIX instead`;
  if (MASTODON_SETTINGS.includes(name) || OTEL_SDK.test(name)) return undefined;
  const guess = didYouMean(name, MASTODON_SETTINGS);
  return guess
    ? `${name} is not a setting Mastodon reads; did you mean ${guess}?`
    : `${name} is not a setting Mastodon reads; use a name from docs/mastodon-settings.md (Mastodon's own list of settings)`;
}

/**
 * Every problem of an `extraEnv` map, each at `<path>.<NAME>`: its name, and a secret setting
 * written as a plain value (it would land in the ConfigMap and in git).
 */
export function extraEnvProblems(path: string, env: Readonly<Record<string, ExtraEnvValue>>): FieldProblem[] {
  return Object.entries(env).flatMap(([name, value]) => {
    const message = settingNameProblem(name)
      ?? (typeof value === 'string' && (SECRET_SETTINGS.has(name) || SECRET_SDK_SETTINGS.has(name))
        ? `${name} is a secret: store it in a Secret and write {secret: <name>, key: <key>} here, never the value (plain values go into the ConfigMap and git)`
        : undefined)
      ?? (typeof value === 'string' && URL_WITH_PASSWORD.test(value)
        ? `${name} holds a password in its URL (user:password@): store the whole URL in a Secret and write {secret: <name>, key: <key>} here (plain values go into the ConfigMap and git)`
        : undefined);
    return message ? [{ path: `${path}.${name}`, message }] : [];
  });
}

/** One variable read from a Secret key. */
export interface SettingSecret {
  /** The environment variable. */
  readonly env: string;
  /** The Secret's name. */
  readonly secretName: string;
  /** The key inside the Secret. */
  readonly key: string;
}

/** Plain variables (for the env ConfigMap) and variables read from Secrets. */
export interface SettingsEnv {
  readonly plain: Readonly<Record<string, string>>;
  readonly secrets: readonly SettingSecret[];
}

/** The public URL of the site: WEB_DOMAIN when set, else LOCAL_DOMAIN. */
function siteUrl(site: { readonly domain: string; readonly webDomain?: string }): string {
  return `https://${site.webDomain ?? site.domain}`;
}

/**
 * The callback URLs an identity provider must allow: Devise mounts the OmniAuth routes under
 * `devise_for :users, path: 'auth'` (mastodon/mastodon config/routes.rb), so a provider's
 * callback is /auth/auth/<provider>/callback.
 */
export function authCallbackUrls(site: { readonly domain: string; readonly webDomain?: string }, auth: AuthInput | undefined): { provider: string; url: string }[] {
  const base = siteUrl(site);
  return [
    ...(auth?.oidc ? [{ provider: 'OpenID Connect redirect URI', url: `${base}/auth/auth/openid_connect/callback` }] : []),
    ...(auth?.saml ? [
      { provider: 'SAML assertion consumer service (ACS) URL', url: `${base}/auth/auth/saml/callback` },
      { provider: 'SAML service provider metadata', url: `${base}/auth/auth/saml/metadata` },
    ] : []),
  ];
}

/**
 * The `auth` refusals that span fields, shared by the config schema and MastodonEnvironment's
 * props: each path is relative to `prefix` (`auth` in a config, the prop name for a construct).
 */
/**
 * Why a value cannot be written into mastodon/mastodon config/omniauth.yml, or undefined. That
 * file pastes each OIDC_* and SAML_* value unquoted after `key: ` (`<%= ENV.fetch(...) %>`) and
 * then parses the result as YAML (Psych, YAML 1.1), so a line break, ': ', ' #', a leading
 * indicator or a value YAML reads as another type breaks every Rails pod's boot or silently
 * changes the setting. Checked against Ruby 3.1's Psych by test/mastodon-settings.test.ts.
 */
export function omniauthValueProblem(value: string, kind: 'plain' | 'cert' | 'quoted' = 'plain'): string | undefined {
  const inYaml = 'Mastodon writes it unquoted into config/omniauth.yml, which is then read as YAML';
  // SAML attribute names go in as a Ruby array's inspect (`["name"]`), a YAML double-quoted
  // string, where only Ruby's escapes of '#{', '#$' and '#@' are invalid.
  if (kind === 'quoted') {
    return /#[{$@]/.test(value) ? `contains '${/#[{$@]/.exec(value)![0]}', which Ruby escapes as \\# and YAML then refuses: Mastodon writes it into config/omniauth.yml; remove it` : undefined;
  }
  const cert = kind === 'cert';
  if (/[\r\n]/.test(value)) {
    return cert
      ? `contains a line break: ${inYaml}. Paste the certificate on one line: the base64 text between the BEGIN and END lines, joined (e.g. grep -v CERTIFICATE cert.pem | tr -d '\\n')`
      : `contains a line break: ${inYaml}; write it on one line`;
  }
  if (/^\s|\s$/.test(value)) return `starts or ends with a space, which YAML drops: ${inYaml}; remove it`;
  if (/:(\s|$)/.test(value)) return `contains ': ' (or ends with ':'), which YAML reads as a mapping: ${inYaml}; remove it`;
  if (/\s#/.test(value)) return `contains ' #', where YAML starts a comment and drops the rest: ${inYaml}; remove it`;
  if (/^([,[\]{}#&*!|>'"%@`]|[-?:](\s|$))/.test(value)) {
    return `starts with '${value[0]}', which YAML reads as syntax: ${inYaml}; start it with a letter or digit`;
  }
  if (/^(y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF|null|Null|NULL|~)$/.test(value)
    || /^[-+]?(\.[0-9]+|[0-9][0-9_,]*(\.[0-9_]*)?)([eE][-+]?[0-9]+)?$/.test(value)
    || /^[-+]?(0b[01_]+|0x[0-9a-fA-F_]+|0o?[0-7_]+|[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?|\.(inf|Inf|INF)|\.(nan|NaN|NAN))$/.test(value)
    || /^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}/.test(value)) {
    return `is read by YAML as a boolean, number, date or null, not as text: ${inYaml}; change it`;
  }
  return undefined;
}

/** The auth fields Mastodon pastes into config/omniauth.yml, with their values (strings only). */
function omniauthFields(auth: AuthInput): [string, unknown, 'plain' | 'cert' | 'quoted'][] {
  const { oidc, saml } = auth;
  const out: [string, unknown, 'plain' | 'cert' | 'quoted'][] = [];
  if (oidc) {
    out.push(['oidc.displayName', oidc.displayName, 'plain'], ['oidc.issuer', oidc.issuer, 'plain'], ['oidc.clientId', oidc.clientId, 'plain'],
      ['oidc.uidField', oidc.uidField, 'plain']);
    if (Array.isArray(oidc.scope)) oidc.scope.forEach((v, i) => out.push([`oidc.scope[${i}]`, v, 'plain']));
    for (const [k, v] of Object.entries(oidc.endpoints ?? {})) out.push([`oidc.endpoints.${k}`, v, 'plain']);
  }
  if (saml) {
    out.push(['saml.displayName', saml.displayName, 'plain'], ['saml.issuer', saml.issuer, 'plain'], ['saml.idpSsoTargetUrl', saml.idpSsoTargetUrl, 'plain'],
      ['saml.idpCert', saml.idpCert, 'cert'], ['saml.idpCertFingerprint', saml.idpCertFingerprint, 'plain'],
      ['saml.nameIdentifierFormat', saml.nameIdentifierFormat, 'plain'], ['saml.uidAttribute', saml.uidAttribute, 'plain'],
      ['saml.certificate', saml.certificate, 'cert']);
    for (const [k, v] of Object.entries(saml.attributes ?? {})) out.push([`saml.attributes.${k}`, v, 'quoted']);
  }
  return out;
}

/** The LDAP port: the one given, else the method's own (636 for simple_tls, LDAPS; 389 otherwise). */
export function ldapPort(ldap: { readonly port?: number; readonly method?: 'simple_tls' | 'start_tls' | 'plain' }): number {
  return ldap.port ?? AUTH_DEFAULTS.ldap.ports[ldap.method ?? AUTH_DEFAULTS.ldap.method];
}

export function authProblems(prefix: string, auth: AuthInput | undefined): FieldProblem[] {
  if (!auth) return [];
  const at = (p: string) => (prefix ? `${prefix}.${p}` : p);
  const out: FieldProblem[] = [];
  const { oidc, saml } = auth;
  for (const [path, value, kind] of omniauthFields(auth)) {
    const problem = typeof value === 'string' ? omniauthValueProblem(value, kind) : undefined;
    if (problem) out.push({ path: at(path), message: problem });
  }
  const ldap = auth.ldap;
  if (ldap && typeof ldap.port === 'number') {
    const method = ldap.method ?? AUTH_DEFAULTS.ldap.method;
    if (ldap.port === 389 && method === 'simple_tls') {
      out.push({ path: at('ldap.port'), message: '389 is the plain LDAP port, but simple_tls speaks TLS from the first byte (LDAPS), so no connection succeeds: set port: 636 or method: start_tls' });
    } else if (ldap.port === 636 && method !== 'simple_tls') {
      out.push({ path: at('ldap.port'), message: `636 is the LDAPS port, but ${method} speaks plain LDAP first, so no connection succeeds: set port: 389 or method: simple_tls` });
    }
  }
  if (auth.omniauthOnly && !oidc && !saml) {
    out.push({ path: at('omniauthOnly'), message: 'needs oidc or saml: with omniauthOnly and no such provider nobody can sign in; add one or set it to false' });
  }
  if (oidc && !(oidc.scope ?? AUTH_DEFAULTS.oidc.scope).includes('openid')) {
    out.push({ path: at('oidc.scope'), message: "must include 'openid': OpenID Connect providers answer only requests with that scope; add it" });
  }
  if (oidc && !(oidc.discovery ?? AUTH_DEFAULTS.oidc.discovery) && !oidc.endpoints) {
    out.push({ path: at('oidc.endpoints'), message: 'is required when discovery is false: Mastodon then needs the authorization, token, userInfo and jwks URLs; add them or set discovery: true' });
  }
  if (saml && !saml.idpCert && !saml.idpCertFingerprint) {
    out.push({ path: at('saml.idpCert'), message: "is required (or idpCertFingerprint): without it Mastodon cannot check the identity provider's signature; add the provider's certificate" });
  }
  if (saml?.wantAssertionsEncrypted && !(saml.certificate && saml.privateKeySecret)) {
    out.push({ path: at('saml.wantAssertionsEncrypted'), message: 'needs certificate and privateKeySecret: Mastodon decrypts assertions with its own key; add both or set it to false' });
  }
  return out;
}

const bool = (v: boolean) => String(v);

/**
 * The variables of the `auth` section, as Mastodon reads them: OMNIAUTH_ONLY, OIDC_* and SAML_*
 * in mastodon/mastodon config/omniauth.yml (consumed by config/initializers/3_omniauth.rb), LDAP_*
 * in config/initializers/devise.rb. OIDC_SCOPE is comma-separated: 3_omniauth.rb splits it on ','.
 */
export function authEnv(site: { readonly domain: string; readonly webDomain?: string }, auth: AuthInput | undefined): SettingsEnv {
  const plain: Record<string, string> = {};
  const secrets: SettingSecret[] = [];
  if (!auth) return { plain, secrets };
  const base = siteUrl(site);
  const { oidc, saml, ldap } = auth;
  if (oidc || saml) plain.OMNIAUTH_ONLY = bool(auth.omniauthOnly ?? AUTH_DEFAULTS.omniauthOnly);
  if (oidc) {
    const d = AUTH_DEFAULTS.oidc;
    Object.assign(plain, {
      OIDC_ENABLED: 'true',
      OIDC_DISPLAY_NAME: oidc.displayName,
      OIDC_ISSUER: oidc.issuer,
      OIDC_DISCOVERY: bool(oidc.discovery ?? d.discovery),
      OIDC_SCOPE: (oidc.scope ?? d.scope).join(','),
      OIDC_UID_FIELD: oidc.uidField ?? d.uidField,
      OIDC_CLIENT_ID: oidc.clientId,
      OIDC_REDIRECT_URI: `${base}/auth/auth/openid_connect/callback`,
      OIDC_USE_PKCE: bool(oidc.pkce ?? d.pkce),
      OIDC_SECURITY_ASSUME_EMAIL_IS_VERIFIED: bool(oidc.assumeEmailIsVerified ?? d.assumeEmailIsVerified),
      ...(oidc.endpoints ? {
        OIDC_AUTH_ENDPOINT: oidc.endpoints.authorization,
        OIDC_TOKEN_ENDPOINT: oidc.endpoints.token,
        OIDC_USER_INFO_ENDPOINT: oidc.endpoints.userInfo,
        OIDC_JWKS_URI: oidc.endpoints.jwks,
        ...(oidc.endpoints.endSession ? { OIDC_END_SESSION_ENDPOINT: oidc.endpoints.endSession } : {}),
      } : {}),
    });
    secrets.push({ env: 'OIDC_CLIENT_SECRET', secretName: oidc.clientSecret.name, key: oidc.clientSecret.key });
  }
  if (saml) {
    const d = AUTH_DEFAULTS.saml;
    const a = saml.attributes ?? {};
    const attributes: [string, string | undefined][] = [
      ['UID', a.uid], ['EMAIL', a.email], ['FULL_NAME', a.fullName], ['FIRST_NAME', a.firstName], ['LAST_NAME', a.lastName],
      ['VERIFIED', a.verified], ['VERIFIED_EMAIL', a.verifiedEmail],
    ];
    Object.assign(plain, {
      SAML_ENABLED: 'true',
      ...(saml.displayName ? { SAML_DISPLAY_NAME: saml.displayName } : {}),
      SAML_ACS_URL: `${base}/auth/auth/saml/callback`,
      SAML_ISSUER: saml.issuer,
      SAML_IDP_SSO_TARGET_URL: saml.idpSsoTargetUrl,
      ...(saml.idpCert ? { SAML_IDP_CERT: saml.idpCert } : {}),
      ...(saml.idpCertFingerprint ? { SAML_IDP_CERT_FINGERPRINT: saml.idpCertFingerprint } : {}),
      ...(saml.nameIdentifierFormat ? { SAML_NAME_IDENTIFIER_FORMAT: saml.nameIdentifierFormat } : {}),
      ...(saml.certificate ? { SAML_CERT: saml.certificate } : {}),
      ...(saml.uidAttribute ? { SAML_UID_ATTRIBUTE: saml.uidAttribute } : {}),
      SAML_SECURITY_WANT_ASSERTION_SIGNED: bool(saml.wantAssertionsSigned ?? d.wantAssertionsSigned),
      SAML_SECURITY_WANT_ASSERTION_ENCRYPTED: bool(saml.wantAssertionsEncrypted ?? d.wantAssertionsEncrypted),
      SAML_SECURITY_ASSUME_EMAIL_IS_VERIFIED: bool(saml.assumeEmailIsVerified ?? d.assumeEmailIsVerified),
      ...Object.fromEntries(attributes.filter(([, v]) => v !== undefined).map(([k, v]) => [`SAML_ATTRIBUTES_STATEMENTS_${k}`, v])),
    });
    if (saml.privateKeySecret) secrets.push({ env: 'SAML_PRIVATE_KEY', secretName: saml.privateKeySecret.name, key: saml.privateKeySecret.key });
  }
  if (ldap) {
    const d = AUTH_DEFAULTS.ldap;
    Object.assign(plain, {
      LDAP_ENABLED: 'true',
      LDAP_HOST: ldap.host,
      LDAP_PORT: String(ldapPort(ldap)),
      LDAP_METHOD: ldap.method ?? d.method,
      LDAP_BASE: ldap.base,
      LDAP_BIND_DN: ldap.bindDn,
      LDAP_UID: ldap.uid ?? d.uid,
      LDAP_MAIL: ldap.mail ?? d.mail,
      ...(ldap.searchFilter ? { LDAP_SEARCH_FILTER: ldap.searchFilter } : {}),
      LDAP_TLS_NO_VERIFY: bool(ldap.tlsNoVerify ?? d.tlsNoVerify),
    });
    secrets.push({ env: 'LDAP_PASSWORD', secretName: ldap.passwordSecret.name, key: ldap.passwordSecret.key });
  }
  return { plain, secrets };
}

/**
 * The variables of the `translation` section, read in mastodon/mastodon config/translation.yml:
 * app/lib/translation_service.rb picks DeepL when DEEPL_API_KEY is set (DEEPL_PLAN, default
 * free), else LibreTranslate when LIBRE_TRANSLATE_ENDPOINT is set (LIBRE_TRANSLATE_API_KEY optional).
 */
export function translationEnv(t: TranslationInput | undefined): SettingsEnv {
  if (!t) return { plain: {}, secrets: [] };
  if (t.provider === 'deepl') {
    return {
      plain: { DEEPL_PLAN: t.plan ?? TRANSLATION_DEFAULTS.deeplPlan },
      secrets: [{ env: 'DEEPL_API_KEY', secretName: t.apiKeySecret.name, key: t.apiKeySecret.key }],
    };
  }
  return {
    plain: { LIBRE_TRANSLATE_ENDPOINT: t.endpoint },
    secrets: t.apiKeySecret ? [{ env: 'LIBRE_TRANSLATE_API_KEY', secretName: t.apiKeySecret.name, key: t.apiKeySecret.key }] : [],
  };
}

/** The `extraEnv` map split: plain values for the ConfigMap, `{ secret, key }` entries as Secret references. */
export function extraEnvSplit(env: Readonly<Record<string, ExtraEnvValue>> | undefined): SettingsEnv {
  const plain: Record<string, string> = {};
  const secrets: SettingSecret[] = [];
  for (const [name, v] of Object.entries(env ?? {})) {
    if (typeof v === 'string') plain[name] = v;
    else secrets.push({ env: name, secretName: v.secret, key: v.key });
  }
  return { plain, secrets };
}
