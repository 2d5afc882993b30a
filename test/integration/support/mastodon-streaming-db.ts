/**
 * How Mastodon's streaming server turns its environment into node-postgres pool options, for
 * the integration suite. Written from mastodon/mastodon streaming/database.js, `configFromEnv`
 * (read at commit 0eca55c2cf636206fbba0179a4516e9877c6e52a), production branch without
 * DATABASE_URL, which is how this chart configures streaming:
 *
 * - user, password, database, host, port from DB_USER, DB_PASS, DB_NAME, DB_HOST, DB_PORT
 *   (defaults mastodon, '', mastodon_production, localhost, 5432);
 * - DB_SSLMODE, when set: `disable` and '' give `ssl: false`, `no-verify` gives
 *   `ssl: { rejectUnauthorized: false }`, and EVERY other value (prefer, require, verify-ca,
 *   verify-full, anything) gives `ssl: {}`: TLS with the certificate chain and host name
 *   verified against Node's CAs (plus NODE_EXTRA_CA_CERTS). Unset: no `ssl` key (plain TCP).
 * - max = DB_POOL (default 10), connectionTimeoutMillis 15000, application_name ''.
 */
import type { PoolConfig } from 'pg';

/** The `ssl` option streaming passes to node-postgres for a DB_SSLMODE; `undefined` when the key is absent. */
export function streamingSsl(sslMode: string | undefined): PoolConfig['ssl'] | undefined {
  if (sslMode === undefined) return undefined;
  // Note: `if (env.DB_SSLMODE)` in the original skips the switch for '' as well: no ssl key.
  if (sslMode === '') return undefined;
  switch (sslMode) {
    case 'disable':
      return false;
    case 'no-verify':
      return { rejectUnauthorized: false };
    default:
      return {};
  }
}

/** The pool options streaming builds in production from `env`. */
export function streamingPoolConfig(env: Readonly<Record<string, string | undefined>>): PoolConfig {
  const ssl = streamingSsl(env.DB_SSLMODE);
  return {
    user: env.DB_USER || 'mastodon',
    password: env.DB_PASS || '',
    database: env.DB_NAME || 'mastodon_production',
    host: env.DB_HOST || 'localhost',
    port: env.DB_PORT ? Number.parseInt(env.DB_PORT, 10) : 5432,
    ...(ssl !== undefined ? { ssl } : {}),
    max: env.DB_POOL ? Number.parseInt(env.DB_POOL, 10) : 10,
    connectionTimeoutMillis: 15000,
    application_name: '',
  };
}
