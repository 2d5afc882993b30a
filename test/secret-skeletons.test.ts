/**
 * Every Secret the manifests reference, with the keys they read: `npm run secrets -- --skeletons`
 * prints them so the user creates them with the right key names. Derived from the rendered
 * objects, so a key the chart reads can never be missing from the skeleton.
 */
import { secretSkeletons } from '../lib';
import { exampleRaw, render, resolved } from './support/fixtures';

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

test('the defaults of both S3 credential Secrets are the same key names', () => {
  const raw = exampleRaw();
  const c = resolved(raw);
  expect(c.database.mode === 'cnpg' && c.database.backup.objectStore.credentialsSecret).toMatchObject({ accessKeyIdKey: 'AWS_ACCESS_KEY_ID', secretAccessKeyKey: 'AWS_SECRET_ACCESS_KEY' });
  expect(c.media.s3!.credentialsSecret).toMatchObject({ accessKeyIdKey: 'AWS_ACCESS_KEY_ID', secretAccessKeyKey: 'AWS_SECRET_ACCESS_KEY' });
});

