/**
 * Issue 10, defects 1-5 and 10: what a real cluster would hit, checked on the rendered objects.
 * The integration suite (test/integration/postgres.itest.ts) runs the real programs against them.
 */
import { errorsOf, exampleRaw, find, messageAt, podSpecOf, render, resolved, withChange } from './support/fixtures';
import { barmanSidecarEnv } from '../lib/postgres-cluster';
import { helmTimeoutAdvice, jobRetryWindow } from '../lib/rules/job-timeout';
import { walRetention } from '../lib/rules/wal';

const objects = render();
const cluster = find(objects, 'Cluster', 'ocw-db');
const withDb = (change: (db: any) => void) => withChange(exampleRaw(), (c) => change(c.database));

describe('1: streaming verifies the pooler certificate', () => {
  const streaming = podSpecOf(find(objects, 'Deployment', 'ocw-streaming'));
  const ctr = streaming.containers[0];
  test('the server certificate names the pooler Service in every form CNPG uses for its own Services', () => {
    expect(cluster.spec.certificates).toEqual({
      serverAltDNSNames: ['ocw-db-pooler', 'ocw-db-pooler.mastodon', 'ocw-db-pooler.mastodon.svc', 'ocw-db-pooler.mastodon.svc.cluster.local'],
    });
  });
  test('streaming trusts the cluster CA (the <cluster>-ca Secret, key ca.crt) through NODE_EXTRA_CA_CERTS', () => {
    const mount = ctr.volumeMounts.find((m: any) => m.mountPath === '/etc/mastodon/postgres-ca');
    expect(mount).toMatchObject({ readOnly: true });
    const vol = streaming.volumes.find((v: any) => v.name === mount.name);
    expect(vol.secret).toEqual({ secretName: 'ocw-db-ca', items: [{ key: 'ca.crt', path: 'ca.crt' }], defaultMode: 0o444 });
  });
  // How the streaming container loads and reloads a CA, and runs without one: test/constructs/mastodon-streaming.test.ts.
  test('Rails keeps libpq sslmode from DB_SSLMODE, and no Rails pod mounts the CA', () => {
    expect(find(objects, 'ConfigMap', 'ocw-env').data.DB_SSLMODE).toBe('prefer');
    for (const o of objects.filter((x) => ['Deployment', 'Job', 'CronJob'].includes(x.kind) && x.metadata.name !== 'ocw-streaming')) {
      for (const c of podSpecOf(o).containers) expect((c.env ?? []).map((e: any) => e.name)).not.toContain('NODE_EXTRA_CA_CERTS');
    }
  });
  test('external database: the CA is mounted when given; without it the synth warns that streaming verifies against public CAs', () => {
    const ext = (extra: object) => withChange(exampleRaw(), (c) => {
      c.database = { mode: 'external', host: 'db.example.net', pooled: true, passwordSecret: { name: 'db', key: 'password' }, sslMode: 'require', ...extra };
    });
    const w = resolved(ext({})).warnings.join('\n');
    expect(w).toMatch(/database.caSecret: .*streaming .*verifies the server certificate against the public CAs/);
    const o = render(ext({ caSecret: { name: 'db-ca', key: 'root.pem' } }));
    const spec = podSpecOf(find(o, 'Deployment', 'ocw-streaming'));
    expect(spec.volumes.find((v: any) => v.secret?.secretName === 'db-ca').secret.items).toEqual([{ key: 'root.pem', path: 'ca.crt' }]);
    expect(resolved(ext({ caSecret: { name: 'db-ca', key: 'root.pem' } })).warnings.join('\n')).not.toMatch(/database.caSecret/);
    expect(resolved(ext({ sslMode: 'disable' })).warnings.join('\n')).not.toMatch(/database.caSecret/);
  });
});

describe('2: a lost replica cannot fill the WAL volume', () => {
  test('max_slot_wal_keep_size = WAL volume − max_wal_size − wal_keep_size − 10% margin', () => {
    // 5Gi = 5120MB − 1024MB (max_wal_size default) − 512MB (CNPG wal_keep_size default) − 512MB
    expect(cluster.spec.postgresql.parameters.max_slot_wal_keep_size).toBe('3072MB');
    expect(walRetention(5 * 2 ** 30, {})).toMatchObject({ maxWalSizeMB: 1024, walKeepSizeMB: 512, marginMB: 512, maxSlotWalKeepSizeMB: 3072 });
  });
  test('explicit wal_keep_size and max_wal_size are taken into account', () => {
    const o = render(withDb((db) => { db.walStorage.size = '10Gi'; db.parameters = { wal_keep_size: '1GB', max_wal_size: '2048' }; }));
    expect(find(o, 'Cluster', 'ocw-db').spec.postgresql.parameters.max_slot_wal_keep_size).toBe(`${10240 - 2048 - 1024 - 1024}MB`);
  });
  test('an explicit value that fits is kept; one that does not, or unlimited, is refused', () => {
    const ok = render(withDb((db) => { db.parameters = { max_slot_wal_keep_size: '2GB' }; }));
    expect(find(ok, 'Cluster', 'ocw-db').spec.postgresql.parameters.max_slot_wal_keep_size).toBe('2GB');
    expect(messageAt(errorsOf(withDb((db) => { db.parameters = { max_slot_wal_keep_size: '4GB' }; })), 'database.parameters.max_slot_wal_keep_size'))
      .toMatch(/^4096MB does not fit the 5Gi WAL volume: at most 3072MB .*lower it to 3072MB or less, leave it out, or raise database.walStorage.size/);
    expect(messageAt(errorsOf(withDb((db) => { db.parameters = { max_slot_wal_keep_size: '-1' }; })), 'database.parameters.max_slot_wal_keep_size'))
      .toMatch(/-1 keeps WAL for a lost replica without limit/);
  });
  test('a WAL volume too small for max_wal_size and wal_keep_size is refused', () => {
    expect(messageAt(errorsOf(withDb((db) => { db.walStorage.size = '1Gi'; })), 'database.walStorage.size'))
      .toMatch(/^1Gi leaves no room .*raise it to at least/);
  });
});

describe('3: removing a ScheduledBackup keeps every backup', () => {
  const scheduled = objects.filter((o) => o.kind === 'ScheduledBackup');
  test('snapshot Backups have no owner, so deleting the Cluster (restore step 3) keeps them and their VolumeSnapshots; base backup Backups are owned by the Cluster; neither schedule is pruned by Argo CD or Helm', () => {
    expect(scheduled.map((s) => s.metadata.name).sort()).toEqual(['ocw-db-base', 'ocw-db-snapshot']);
    expect(find(objects, 'ScheduledBackup', 'ocw-db-snapshot').spec.backupOwnerReference).toBe('none');
    expect(find(objects, 'ScheduledBackup', 'ocw-db-base').spec.backupOwnerReference).toBe('cluster');
    for (const s of scheduled) {
      expect(s.metadata.annotations).toMatchObject({ 'argocd.argoproj.io/sync-options': 'Prune=false', 'helm.sh/resource-policy': 'keep' });
    }
  });
  test('retention still selects by the label CNPG puts on every Backup a ScheduledBackup creates', () => {
    const script = podSpecOf(find(objects, 'CronJob', 'ocw-db-snapshot-retention')).containers[0];
    expect([...(script.command ?? []), ...(script.args ?? [])].join(' ')).toMatch(/-l cnpg.io\/scheduled-backup=ocw-db-snapshot /);
  });
});

describe('4: WAL archiving to non-AWS S3', () => {
  const env = (o: ReturnType<typeof render>) => find(o, 'ObjectStore', 'ocw-db-store').spec.instanceSidecarConfiguration?.env;
  test('a non-AWS endpoint gets the boto3 checksum workaround in the plugin sidecar', () => {
    expect(env(objects)).toEqual([
      { name: 'AWS_REQUEST_CHECKSUM_CALCULATION', value: 'when_required' },
      { name: 'AWS_RESPONSE_CHECKSUM_VALIDATION', value: 'when_required' },
    ]);
  });
  test('AWS itself does not', () => {
    expect(env(render(withDb((db) => { db.backup.objectStore.endpointURL = 'https://s3.eu-central-1.amazonaws.com'; })))).toBeUndefined();
  });
  test.each([
    // S3-compatible services: boto3 >= 1.36's default CRC checksums are what they reject.
    ['MinIO in the cluster', 'http://minio.minio.svc:9000', true],
    ['MinIO by IP', 'http://10.0.0.5:9000', true],
    ['Cloudflare R2', 'https://0123456789abcdef.r2.cloudflarestorage.com', true],
    ['Backblaze B2', 'https://s3.us-west-004.backblazeb2.com', true],
    ['Wasabi', 'https://s3.eu-central-1.wasabisys.com', true],
    ['a name that only contains amazonaws.com', 'https://s3.amazonaws.com.example.net', true],
    // AWS, with the endpoints people set explicitly: regional, path-style global, dual-stack,
    // FIPS, a VPC interface endpoint, China.
    ['AWS regional', 'https://s3.eu-central-1.amazonaws.com', false],
    ['AWS global', 'https://s3.amazonaws.com', false],
    ['AWS dual-stack', 'https://s3.dualstack.us-east-1.amazonaws.com', false],
    ['AWS FIPS', 'https://s3-fips.us-east-1.amazonaws.com', false],
    ['AWS VPC endpoint', 'https://bucket.vpce-0a1b2c3d4e5f-abcd1234.s3.us-east-1.vpce.amazonaws.com', false],
    ['AWS China', 'https://s3.cn-north-1.amazonaws.com.cn', false],
  ])('%s (%s): workaround %s', (_, url, expected) => {
    expect('AWS_REQUEST_CHECKSUM_CALCULATION' in barmanSidecarEnv(url)).toBe(expected);
  });
  test('the config adds and overrides sidecar variables', () => {
    const o = render(withDb((db) => { db.backup.objectStore.sidecarEnv = { AWS_RESPONSE_CHECKSUM_VALIDATION: 'when_supported', TZ: 'UTC' }; }));
    expect(env(o)).toEqual([
      { name: 'AWS_REQUEST_CHECKSUM_CALCULATION', value: 'when_required' },
      { name: 'AWS_RESPONSE_CHECKSUM_VALIDATION', value: 'when_supported' },
      { name: 'TZ', value: 'UTC' },
    ]);
  });
});

describe('5: volume snapshots need snapshot-capable storage classes', () => {
  test('the example names them', () => {
    expect(cluster.spec.storage.storageClass).toBe('longhorn');
    expect(cluster.spec.walStorage.storageClass).toBe('longhorn');
  });
  test('volumeSnapshot without storage classes is refused, for both volumes', () => {
    const errors = errorsOf(withDb((db) => { delete db.storage.storageClass; delete db.walStorage.storageClass; }));
    for (const p of ['database.storage.storageClass', 'database.walStorage.storageClass']) {
      expect(messageAt(errors, p)).toMatch(/backup.volumeSnapshot .*longhorn-backup.*set .* to a StorageClass whose CSI driver supports snapshots/);
    }
  });
  test('without volume snapshots the cluster default class is fine', () => {
    expect(() => resolved(withDb((db) => { delete db.backup.volumeSnapshot; delete db.storage.storageClass; delete db.walStorage.storageClass; }))).not.toThrow();
  });
});

describe('10: helm --timeout covers the migration Job', () => {
  test('the retry window of a Job, from Kubernetes\' back-off (10 s doubling, capped at 6 min)', () => {
    expect(jobRetryWindow({ backoffLimit: 6 }, 300)).toEqual({ attempts: 7, backoffSeconds: 10 + 20 + 40 + 80 + 160 + 320, seconds: 630 + 7 * 300 });
    expect(jobRetryWindow({ backoffLimit: 8 }, 0).backoffSeconds).toBe(630 + 360 + 360);
    expect(jobRetryWindow({ backoffLimit: 6, activeDeadlineSeconds: 900 }, 300).seconds).toBe(900);
  });
  test('the advice reads the rendered migration Jobs', () => {
    const jobs = objects.filter((o) => o.kind === 'Job' && /db-migrate/.test(o.metadata.name));
    expect(jobs).toHaveLength(2);
    const advice = helmTimeoutAdvice(objects);
    expect(advice.timeout).toBe('50m');
    expect(advice.text).toMatch(/backoffLimit 6 .*7 attempts.*630 s of back-off/);
  });
});
