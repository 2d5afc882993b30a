import { execFileSync, spawnSync } from 'child_process';
import { createECDH } from 'crypto';
import * as path from 'path';
import { parse } from 'yaml';
import { exampleRaw, render, resolved, ROOT } from './support/fixtures';
import { alphanumeric, generateMastodonSecrets, renderMastodonSecret } from '../lib/app/secrets';
import { MASTODON_SECRET_KEYS } from '../lib/rules/environment';
import { cnpgOperatorSecrets, secretSkeletons } from '../lib/rules/secret-refs';
import { serverYaml } from '../cli/project';

const fromUrlSafe = (s: string) => Buffer.from(s, 'base64url');

describe('npm run secrets', () => {
  const v = generateMastodonSecrets();
  test('has exactly the keys the workloads reference', () => {
    expect(Object.keys(v).sort()).toEqual([...MASTODON_SECRET_KEYS].sort());
  });
  test('SECRET_KEY_BASE and OTP_SECRET: 64 random bytes as hex', () => {
    expect(v.SECRET_KEY_BASE).toMatch(/^[0-9a-f]{128}$/);
    expect(v.OTP_SECRET).toMatch(/^[0-9a-f]{128}$/);
    expect(v.SECRET_KEY_BASE).not.toBe(v.OTP_SECRET);
  });
  test('VAPID: a P-256 pair in web-push encoding (URL-safe base64, padded)', () => {
    expect(v.VAPID_PRIVATE_KEY).toMatch(/^[A-Za-z0-9_-]{43}=$/);
    expect(v.VAPID_PUBLIC_KEY).toMatch(/^[A-Za-z0-9_-]{87}=$/);
    const priv = fromUrlSafe(v.VAPID_PRIVATE_KEY);
    const pub = fromUrlSafe(v.VAPID_PUBLIC_KEY);
    expect(priv).toHaveLength(32);
    expect(pub).toHaveLength(65);
    expect(pub[0]).toBe(0x04);
    const ecdh = createECDH('prime256v1');
    ecdh.setPrivateKey(priv);
    expect(ecdh.getPublicKey(null, 'uncompressed').equals(pub)).toBe(true);
  });
  test('Active Record encryption keys: 32 alphanumeric characters, all different', () => {
    const keys = [v.ACTIVE_RECORD_ENCRYPTION_DETERMINISTIC_KEY, v.ACTIVE_RECORD_ENCRYPTION_KEY_DERIVATION_SALT, v.ACTIVE_RECORD_ENCRYPTION_PRIMARY_KEY];
    for (const k of keys) expect(k).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(new Set(keys).size).toBe(3);
    expect(alphanumeric(500)).toMatch(/^[A-Za-z0-9]{500}$/);
  });
  test('fresh values every time', () => {
    expect(generateMastodonSecrets().SECRET_KEY_BASE).not.toBe(v.SECRET_KEY_BASE);
  });
  test('a ready-to-apply Secret', () => {
    const s = parse(renderMastodonSecret('ocw-mastodon-secrets', 'mastodon', v));
    expect(s).toMatchObject({ apiVersion: 'v1', kind: 'Secret', type: 'Opaque', metadata: { name: 'ocw-mastodon-secrets', namespace: 'mastodon' } });
    expect(s.stringData).toEqual(v);
  });
});

// Formerly test/secret-skeletons.test.ts (one file less for jest to load the library into).
/**
 * Every Secret the manifests reference, with the keys they read: `npm run secrets -- --skeletons`
 * prints them so the user creates them with the right key names. Derived from the rendered
 * objects, so a key the chart reads can never be missing from the skeleton.
 */
describe('secret-skeletons: every Secret the manifests reference, with its keys', () => {
  // The command `npm run secrets -- --skeletons` itself runs in test/integration/cli.itest.ts.

  test('the example references these Secrets and keys (operator-made ones left out)', () => {
    const config = resolved();
    const s = secretSkeletons(render(), config);
    const byName = Object.fromEntries(s.map((x) => [x.name, x.keys]));
    // The two S3 Secrets use one convention.
    expect(byName['ocw-s3']).toEqual(['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY']);
    expect(byName['ocw-backup-s3']).toEqual(['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY']);
    expect(byName['ocw-tunnel']).toEqual(['credentials.json']);
    // CloudNativePG makes <cluster>-app itself; npm run secrets makes the Mastodon keys.
    expect(byName['ocw-db-app']).toBeUndefined();
    expect(byName[config.mastodon.secretName]).toBeUndefined();
    expect(s.every((x) => x.usedBy.length > 0)).toBe(true);
  });

  // Issue 23 review H2: docs/prerequisites.md makes one bucket-restricted B2 key per bucket.
  test('the config init writes asks for two S3 Secrets: media and backups, each with both keys', () => {
    const raw = parse(serverYaml({ name: 'ex', domain: 'example.social', repoURL: 'https://github.com/you/m.git', versions: {} }));
    const config = resolved(raw);
    const byName = Object.fromEntries(secretSkeletons(render(raw), config).map((x) => [x.name, x.keys]));
    const s3 = Object.keys(byName).filter((n) => byName[n].includes('AWS_ACCESS_KEY_ID'));
    expect(s3).toEqual(['ex-backup-s3', 'ex-s3']);
    for (const n of s3) expect(byName[n]).toEqual(['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY']);
    expect(config.media.s3).toMatchObject({ region: expect.any(String), aliasHost: 'media.example.social' });
  });

  // CloudNativePG v1.30.0 names and creates these itself (api/v1/cluster_types.go suffixes;
  // api/v1/cluster_funcs.go Get*SecretName; internal/controller/cluster_pki.go, cluster_create.go).
  test("never asks for a Secret CloudNativePG creates: the example's -ca, -app, -superuser, -replication, -server", () => {
    const names = secretSkeletons(render(), resolved()).map((x) => x.name);
    for (const suffix of ['-ca', '-app', '-superuser', '-replication', '-server']) expect(names).not.toContain(`ocw-db${suffix}`);
  });

  const cluster = (spec: Record<string, unknown>) => ({ apiVersion: 'postgresql.cnpg.io/v1', kind: 'Cluster', metadata: { name: 'db' }, spec });
  test('the operator makes the default-named CA, server, replication and app Secrets, and the superuser one only when enabled', () => {
    expect(cnpgOperatorSecrets(cluster({ bootstrap: { initdb: { database: 'app', owner: 'app' } } })).sort())
      .toEqual(['db-app', 'db-ca', 'db-replication', 'db-server']);
    expect(cnpgOperatorSecrets(cluster({ enableSuperuserAccess: true })).sort())
      .toEqual(['db-app', 'db-ca', 'db-replication', 'db-server', 'db-superuser']);
  });
  test('a Secret the Cluster names for itself is the user\'s to create, and is asked for', () => {
    const spec = {
      certificates: { serverCASecret: 'my-ca', serverTLSSecret: 'my-tls', clientCASecret: 'my-client-ca', replicationTLSSecret: 'my-repl' },
      bootstrap: { initdb: { database: 'app', owner: 'app', secret: { name: 'my-app' } } },
      enableSuperuserAccess: true, superuserSecret: { name: 'my-root' },
    };
    expect(cnpgOperatorSecrets(cluster(spec))).toEqual([]);
    const reader = { kind: 'Deployment', metadata: { name: 'x' }, spec: { env: [{ valueFrom: { secretKeyRef: { name: 'my-ca', key: 'ca.crt' } } }, { valueFrom: { secretKeyRef: { name: 'db-ca', key: 'ca.crt' } } }] } };
    expect(secretSkeletons([cluster(spec), reader]).map((x) => x.name)).toEqual(['db-ca', 'my-ca']);
  });

  test('the defaults of both S3 credential Secrets are the same key names', () => {
    const raw = exampleRaw();
    const c = resolved(raw);
    expect(c.database.mode === 'cnpg' && c.database.backup.objectStore.credentialsSecret).toMatchObject({ accessKeyIdKey: 'AWS_ACCESS_KEY_ID', secretAccessKeyKey: 'AWS_SECRET_ACCESS_KEY' });
    expect(c.media.s3!.credentialsSecret).toMatchObject({ accessKeyIdKey: 'AWS_ACCESS_KEY_ID', secretAccessKeyKey: 'AWS_SECRET_ACCESS_KEY' });
  });
});

// Issue 23 review M1: the checklist creates the tunnel Secret in step 6; step 9's skeletons must
// not hold it again with REPLACE values, or kubectl apply would overwrite the real one.
describe('secrets --skeletons --omit', () => {
  const SCRIPT = path.join(ROOT, 'build', 'scripts', 'secrets.js');
  const names = (out: string) => out.split('\n---\n').map((d) => parse(d)?.metadata?.name as string);
  test('leaves out the named Secrets and keeps the rest', () => {
    const all = names(execFileSync(process.execPath, [SCRIPT, '--skeletons'], { cwd: ROOT, encoding: 'utf8' }));
    const out = names(execFileSync(process.execPath, [SCRIPT, '--skeletons', '--omit', 'ocw-tunnel', '--omit', 'ocw-smtp'], { cwd: ROOT, encoding: 'utf8' }));
    expect(all).toEqual(expect.arrayContaining(['ocw-tunnel', 'ocw-smtp', 'ocw-s3']));
    expect(out).toEqual(all.filter((n) => n !== 'ocw-tunnel' && n !== 'ocw-smtp'));
  });
  test('a name no skeleton has is refused with the names there are, and nothing is printed', () => {
    const r = spawnSync(process.execPath, [SCRIPT, '--skeletons', '--omit', 'ocw-tunel'], { cwd: ROOT, encoding: 'utf8' });
    expect({ status: r.status, stdout: r.stdout }).toEqual({ status: 2, stdout: '' });
    expect(r.stderr.split('\n')[0]).toMatch(/^--omit ocw-tunel: no such Secret among the skeletons \(.*ocw-tunnel.*\)$/);
  });
});
