/**
 * Fresh values for the Secret that holds Mastodon's keys. Pure Node crypto; nothing here is
 * ever written to disk by this library: `npm run secrets` prints to stdout only.
 */
import { createECDH, randomBytes, randomInt } from 'crypto';
import { stringify } from 'yaml';
import { MASTODON_SECRET_KEYS } from '../rules/environment';

/** One value per key in MASTODON_SECRET_KEYS. */
export type MastodonSecretValues = Record<(typeof MASTODON_SECRET_KEYS)[number], string>;

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** Like Ruby's SecureRandom.alphanumeric(n), which `rails db:encryption:init` uses. */
export function alphanumeric(n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += ALPHANUMERIC[randomInt(ALPHANUMERIC.length)];
  return s;
}

/**
 * A VAPID key pair as Mastodon (the web-push gem) stores it: URL-safe base64 with padding of
 * the raw 32-byte P-256 private key and the 65-byte uncompressed public point.
 */
export function vapidKeyPair(): { privateKey: string; publicKey: string } {
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  const priv = Buffer.alloc(32);
  const raw = ecdh.getPrivateKey();
  raw.copy(priv, 32 - raw.length);
  return { privateKey: priv.toString('base64url') + '=', publicKey: ecdh.getPublicKey(null, 'uncompressed').toString('base64url') + '=' };
}

/** Fresh values for every key. */
export function generateMastodonSecrets(): MastodonSecretValues {
  const vapid = vapidKeyPair();
  return {
    SECRET_KEY_BASE: randomBytes(64).toString('hex'),
    OTP_SECRET: randomBytes(64).toString('hex'),
    VAPID_PRIVATE_KEY: vapid.privateKey,
    VAPID_PUBLIC_KEY: vapid.publicKey,
    ACTIVE_RECORD_ENCRYPTION_DETERMINISTIC_KEY: alphanumeric(32),
    ACTIVE_RECORD_ENCRYPTION_KEY_DERIVATION_SALT: alphanumeric(32),
    ACTIVE_RECORD_ENCRYPTION_PRIMARY_KEY: alphanumeric(32),
  };
}

/** A ready-to-apply Secret manifest with fresh values. */
export function renderMastodonSecret(name: string, namespace: string, values: MastodonSecretValues = generateMastodonSecrets()): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace, labels: { 'app.kubernetes.io/part-of': 'mastodon', 'app.kubernetes.io/managed-by': 'cdk8s-mastodon' } },
    type: 'Opaque',
    stringData: values,
  });
}
