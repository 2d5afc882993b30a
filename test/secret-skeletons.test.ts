/**
 * Every Secret the manifests reference, with the keys they read: `npm run secrets -- --skeletons`
 * prints them so the user creates them with the right key names. Derived from the rendered
 * objects, so a key the chart reads can never be missing from the skeleton.
 */
import { spawnSync } from 'child_process';
import { parseAllDocuments } from 'yaml';
import { secretSkeletons } from '../lib';
import { exampleRaw, render, resolved, ROOT } from './support/fixtures';

jest.setTimeout(60_000);

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

test('the defaults of both S3 credential Secrets are the same key names', () => {
  const raw = exampleRaw();
  const c = resolved(raw);
  expect(c.database.mode === 'cnpg' && c.database.backup.objectStore.credentialsSecret).toMatchObject({ accessKeyIdKey: 'AWS_ACCESS_KEY_ID', secretAccessKeyKey: 'AWS_SECRET_ACCESS_KEY' });
  expect(c.media.s3!.credentialsSecret).toMatchObject({ accessKeyIdKey: 'AWS_ACCESS_KEY_ID', secretAccessKeyKey: 'AWS_SECRET_ACCESS_KEY' });
});

test('npm run secrets -- --skeletons prints each Secret to fill in, with placeholders, and no values', () => {
  const r = spawnSync('npm', ['run', '-s', 'secrets', '--', '--skeletons'], { cwd: ROOT, encoding: 'utf8' });
  expect(r.status).toBe(0);
  const docs = parseAllDocuments(r.stdout).map((d) => d.toJS());
  const s3 = docs.find((d) => d.metadata.name === 'ocw-backup-s3');
  expect(s3).toMatchObject({ kind: 'Secret', metadata: { namespace: 'mastodon' } });
  expect(Object.keys(s3.stringData)).toEqual(['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY']);
  expect(Object.values(s3.stringData).every((v) => String(v).startsWith('REPLACE'))).toBe(true);
  expect(r.stdout).toMatch(/# used by: .*ObjectStore\/ocw-db-store/);
});
