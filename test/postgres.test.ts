import * as fs from 'fs';
import * as path from 'path';
import { Manifest, resolveConfig } from '../lib';
import { ROOT, errorsOf, exampleRaw, find, messageAt, podSpecOf, render, resolved, withChange } from './support/fixtures';
import { postgresMajorOfTag } from '../lib/rules/images';
import { cnpgNames, formatBudget } from '../lib/rules/database';

const objects = render();
const cluster = find(objects, 'Cluster', 'ocw-db');
const wave = (o: Manifest) => Number(o.metadata.annotations?.['argocd.argoproj.io/sync-wave'] ?? 0);

const withDb = (change: (db: any) => void) => withChange(exampleRaw(), (c) => change(c.database));

describe('what the chart passes PostgresCluster (the construct itself: test/constructs/postgres-cluster.test.ts)', () => {
  test('the example database: three instances, snapshot-capable volumes, the weekly snapshot class', () => {
    expect(cluster.spec.instances).toBe(3);
    expect(cluster.spec.storage).toEqual({ size: '20Gi', storageClass: 'longhorn' });
    expect(cluster.spec.walStorage).toEqual({ size: '5Gi', storageClass: 'longhorn' });
    expect(cluster.spec.backup.volumeSnapshot.className).toBe('longhorn-backup');
    expect(find(objects, 'ScheduledBackup', 'ocw-db-snapshot').spec.schedule).toBe('0 0 4 * * 0');
  });
  test('the resolved architecture, anti-affinity, PriorityClasses and failover time', () => {
    const a = cluster.spec.affinity;
    expect(a.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0]).toEqual({ key: 'kubernetes.io/arch', operator: 'In', values: ['amd64'] });
    expect(a.podAntiAffinityType).toBe('required');
    expect(cluster.spec.priorityClassName).toBe('ocw-frontend');
    expect(podSpecOf(find(objects, 'CronJob', 'ocw-db-amcheck')).priorityClassName).toBe('ocw-workers');
    const slow = render(withChange(exampleRaw(), (c) => { c.network = { ...c.network, failoverSeconds: 90 }; }));
    expect(find(slow, 'Pooler', 'ocw-db-pooler').spec.template.spec.tolerations.map((t: any) => t.tolerationSeconds)).toEqual([90, 90]);
  });
  test('too few nodes: anti-affinity becomes preferred, and the synth says so', () => {
    const c = resolved(withDb((db) => { db.instances = 4; }));
    expect(c.postgres?.antiAffinity).toBe('preferred');
    expect(c.warnings.join('\n')).toMatch(/4 instances but pool 'cloud' has 3 amd64 nodes .* preferred, not required/);
    expect(find(render(withDb((db) => { db.instances = 4; })), 'Cluster', 'ocw-db').spec.affinity.podAntiAffinityType).toBe('preferred');
  });
  test('max_connections is the budget\'s, max_client_conn the clients of the budget', () => {
    const b = resolved().postgres!.budget;
    expect(cluster.spec.postgresql.parameters.max_connections).toBe(String(b.maxConnections));
    expect(find(objects, 'Pooler', 'ocw-db-pooler').spec.pgbouncer.parameters.max_client_conn).toBe(String(b.clientTotal));
  });
  test('the certificate names the pooler in the config namespace', () => {
    expect(cluster.spec.certificates.serverAltDNSNames).toContain('ocw-db-pooler.mastodon.svc');
  });
});

describe('backup schedules', () => {
  test('a 5-field cron is refused with the six-field fix', () => {
    const errors = errorsOf(withDb((db) => { db.backup.objectStore.baseBackupSchedule = '0 3 * * *'; }));
    expect(messageAt(errors, 'database.backup.objectStore.baseBackupSchedule')).toBe(
      "'0 3 * * *' has 5 fields, but CloudNativePG schedules have six, seconds first; write '0 0 3 * * *' (e.g. '0 0 3 * * *')");
    const errors2 = errorsOf(withDb((db) => { db.backup.volumeSnapshot.schedule = 'weekly'; }));
    expect(messageAt(errors2, 'database.backup.volumeSnapshot.schedule')).toMatch(/not a six-field CloudNativePG schedule/);
  });
});

describe('the backup endpoint', () => {
  test('an endpointURL that is not an http(s) URL is refused at its path (the rule PostgresCluster applies too)', () => {
    for (const [url, message] of [['s3.eu-central-003.backblazeb2.com', /^must be a URL such as https:\/\//], ['s3://bucket', /^'s3:' is not http or https/]] as const) {
      const errors = errorsOf(withDb((db) => { db.backup.objectStore.endpointURL = url; }));
      expect(messageAt(errors, 'database.backup.objectStore.endpointURL')).toMatch(message);
    }
  });
});

describe('the backup destination', () => {
  test('destinationPath and retentionPolicy are refused with the messages PostgresCluster gives', () => {
    const errors = errorsOf(withDb((db) => { db.backup.objectStore.destinationPath = 'backups/postgres'; db.backup.objectStore.retentionPolicy = '30 days'; }));
    expect(messageAt(errors, 'database.backup.objectStore.destinationPath')).toMatch(/^'backups\/postgres' is not an S3 path; write it like s3:\/\//);
    expect(messageAt(errors, 'database.backup.objectStore.retentionPolicy')).toMatch(/^'30 days' is not a retention; write it like 30d/);
  });
});

describe('the pooler', () => {
  test('Mastodon connects through it without prepared statements; migrations go around it', () => {
    expect(find(objects, 'ConfigMap', 'ocw-env').data).toMatchObject({ DB_HOST: 'ocw-db-pooler', PREPARED_STATEMENTS: 'false' });
    for (const j of ['ocw-db-migrate-pre', 'ocw-db-migrate-post']) {
      expect(podSpecOf(find(objects, 'Job', j)).containers[0].env).toContainEqual({ name: 'DB_HOST', value: 'ocw-db-rw' });
    }
  });
});

describe('the connection budget', () => {
  const b = resolved().postgres!.budget;
  test('counts every pod, a surge pod per rolling Deployment, and the jobs', () => {
    expect(b.clients.map((l) => [l.who, l.connections])).toEqual([
      // push and pull scale: counted at their maximum (4 + 1 surge).
      ['web', 30], ['sidekiq default', 10], ['sidekiq push', 50], ['sidekiq pull', 50], ['streaming', 30], ['cleanup CronJobs', 10],
    ]);
    expect(b.clientTotal).toBe(180);
    expect(b.server.connections).toBe(2 * (20 + 5 + 1));
    expect(b.maxConnections).toBe(52 + 4 + 3 + 13);
  });
  test('an explicit max_connections that is too small fails with the numbers', () => {
    const errors = errorsOf(withDb((db) => { db.parameters = { max_connections: '50' }; }));
    expect(messageAt(errors, 'database.parameters.max_connections')).toMatch(/^needs 72 connections, max_connections is 50 /);
  });
  test('a max_client_conn below the clients fails with the numbers', () => {
    const errors = errorsOf(withDb((db) => { db.pooler.maxClientConn = 100; }));
    expect(messageAt(errors, 'database.pooler.maxClientConn')).toMatch(/^needs 180 client connections \(web 30, .*\), max_client_conn is 100/);
  });
  test('more Sidekiq raises max_connections only through the pool size, not per client', () => {
    const more = resolved(withChange(exampleRaw(), (c) => { c.sidekiq.processes[1].scaling.maxReplicas = 7; })).postgres!.budget;
    expect(more.clientTotal).toBe(180 + 30);
    expect(more.maxConnections).toBe(b.maxConnections);
  });
  test('the Postgres guide prints the example budget as it is now', () => {
    expect(fs.readFileSync(path.join(ROOT, 'docs', 'postgres.md'), 'utf8')).toContain(formatBudget(b));
  });
});

describe('architecture', () => {
  test('a pool with both architectures is refused without database.arch', () => {
    const errors = errorsOf(withChange(exampleRaw(), (c) => {
      c.nodes.inventory.push({ name: 'pi-2', pool: 'cloud', arch: 'arm64', cpu: '4', memory: '8Gi' });
    }));
    expect(messageAt(errors, 'database.arch')).toMatch(/pool 'cloud' has amd64 and arm64 nodes, and a Postgres standby must run on the same architecture as its primary.*set database.arch to 'amd64' or 'arm64'/);
  });
  test('database.arch pins it', () => {
    const o = render(withChange(exampleRaw(), (c) => {
      c.nodes.inventory.push({ name: 'pi-2', pool: 'cloud', arch: 'arm64', cpu: '4', memory: '8Gi' });
      c.database.arch = 'arm64';
      c.database.instances = 1;
    }));
    const terms = find(o, 'Cluster', 'ocw-db').spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms;
    expect(terms[0].matchExpressions[0]).toEqual({ key: 'kubernetes.io/arch', operator: 'In', values: ['arm64'] });
  });
  test('an arch the pool does not have is refused', () => {
    expect(messageAt(errorsOf(withDb((db) => { db.arch = 'arm64'; })), 'database.arch')).toMatch(/pool 'cloud' has no arm64 nodes/);
  });
});

describe('bootstrap modes', () => {
  test('a restore that would archive into the folder it restores from is refused', () => {
    const errors = errorsOf(withDb((db) => { db.bootstrap = { mode: 'recovery', from: 'objectStore' }; }));
    expect(messageAt(errors, 'database.backup.objectStore.serverName')).toMatch(/would archive its WAL into 'ocw-db', the folder it restores from.*'ocw-db-2'/);
  });
  test('a snapshot restore without snapshot names is refused', () => {
    const errors = errorsOf(withDb((db) => { db.bootstrap = { mode: 'recovery', from: 'volumeSnapshot' }; db.backup.objectStore.serverName = 'x'; }));
    expect(messageAt(errors, 'database.bootstrap.snapshots')).toMatch(/needs the snapshot names/);
  });
  test('docs/restore.md names the snapshots as CloudNativePG does: <ScheduledBackup>-<scheduled time, 14 digits>, and -wal for the WAL volume', () => {
    // CloudNativePG v1.30.0: a scheduled Backup is named `<ScheduledBackup>-<ToCompactISO8601(time)>`
    // (api/v1/scheduledbackup_funcs.go, BackupName), its data snapshot is the Backup's name and the
    // WAL one adds "-wal" (pkg/reconciler/persistentvolumeclaim/calculator.go, GetSnapshotName).
    const doc = fs.readFileSync(path.join(ROOT, 'docs/restore.md'), 'utf8');
    const storage = [...doc.matchAll(/^\s+storage: (\S+)/gm)].map((m) => m[1]);
    const wal = [...doc.matchAll(/^\s+walStorage: (\S+)/gm)].map((m) => m[1]);
    expect(storage.length).toBeGreaterThan(0);
    expect(wal).toEqual(storage.map((s) => `${s}-wal`));
    for (const s of storage) expect(s).toMatch(new RegExp(`^${cnpgNames('ocw').snapshotBackup}-\\d{14}$`));
  });
});

describe('docs/restore.md keeps the snapshots it restores from', () => {
  const doc = fs.readFileSync(path.join(ROOT, 'docs/restore.md'), 'utf8');
  test('the Longhorn VolumeSnapshotClass it shows is type bak (a Longhorn backup), not snap (kept inside the volume it would delete)', () => {
    const classes = [...doc.matchAll(/kind: VolumeSnapshotClass[\s\S]*?parameters:\s*\n\s+type: (\S+)/g)].map((m) => m[1]);
    expect(classes).toEqual(['bak']);
    expect(doc).toMatch(/driver: driver\.longhorn\.io/);
  });
  test('the class type is checked before the Cluster (and its PVCs) is deleted', () => {
    const check = doc.indexOf('kubectl get volumesnapshotclass');
    const del = doc.indexOf('delete cluster');
    expect(check).toBeGreaterThan(-1);
    expect(check).toBeLessThan(del);
  });
  test('the example names the class type it needs', () => {
    expect(fs.readFileSync(path.join(ROOT, 'config/example.yaml'), 'utf8')).toMatch(/className: \S+ +# .*type: bak/);
  });
});

describe('ordering', () => {
  test('ObjectStore, then Cluster, then Pooler and ScheduledBackups, then migrations, then workloads', () => {
    const w = (kind: string, name: string) => wave(find(objects, kind, name));
    expect(w('ObjectStore', 'ocw-db-store')).toBeLessThan(w('Cluster', 'ocw-db'));
    expect(w('Cluster', 'ocw-db')).toBeLessThan(w('Pooler', 'ocw-db-pooler'));
    expect(w('Pooler', 'ocw-db-pooler')).toBe(w('ScheduledBackup', 'ocw-db-base'));
    expect(w('Pooler', 'ocw-db-pooler')).toBeLessThan(w('Job', 'ocw-db-migrate-pre'));
    expect(w('Job', 'ocw-db-migrate-pre')).toBeLessThan(w('Deployment', 'ocw-web'));
  });
});

describe('database.imageName', () => {
  const refused = (imageName: string, major = 17) => messageAt(errorsOf(withChange(exampleRaw(), (c) => { c.database.postgresMajor = major; c.database.imageName = imageName; })), 'database.imageName');
  const digest = '@sha256:' + '0123456789abcdef'.repeat(4);

  test('a digest alone is refused, as CloudNativePG\'s webhook refuses it (it reads the major from the tag)', () => {
    expect(refused(`ghcr.io/cloudnative-pg/postgresql${digest}`)).toMatch(/no tag[\s\S]*ghcr\.io\/cloudnative-pg\/postgresql:17\.<minor>-standard-trixie@sha256:/);
  });

  test('latest, or a tag that names no Postgres version, is refused', () => {
    expect(refused('ghcr.io/cloudnative-pg/postgresql:latest')).toMatch(/latest/);
    expect(refused('ghcr.io/cloudnative-pg/postgresql:standard-trixie')).toMatch(/names no Postgres version/);
  });

  test('an image with neither tag nor digest is latest to CloudNativePG, and says so', () => {
    expect(refused('ghcr.io/cloudnative-pg/postgresql')).toMatch(/no tag, so it means latest[\s\S]*Can't use 'latest'/);
  });

  test('tags CloudNativePG reads a version from pass: 17beta1, 17_6, 17.6.1-1', () => {
    for (const tag of ['17beta1', '17_6', '17.6.1-1']) {
      expect([tag, resolveConfig(withChange(exampleRaw(), (c) => { c.database.imageName = `ghcr.io/cloudnative-pg/postgresql:${tag}`; })).ok]).toEqual([tag, true]);
    }
  });

  test('a lower tag major than postgresMajor names a downgrade, a higher one an upgrade', () => {
    expect(refused('ghcr.io/cloudnative-pg/postgresql:16.4', 17)).toMatch(/set database\.postgresMajor to 16 \(a major downgrade/);
    expect(refused('ghcr.io/cloudnative-pg/postgresql:18.1', 17)).toMatch(/set database\.postgresMajor to 18 \(a major upgrade/);
  });

  test('a tag of another major than postgresMajor is refused, naming both', () => {
    expect(refused(`ghcr.io/cloudnative-pg/postgresql:16.4-standard-trixie${digest}`)).toMatch(/Postgres 16[\s\S]*database\.postgresMajor is 17/);
  });

  test('a tag with a digest renders both, and the version label is the tag alone (a label holds at most 63 characters)', () => {
    const image = `ghcr.io/cloudnative-pg/postgresql:17.6-standard-trixie${digest}`;
    const cluster = find(render(withChange(exampleRaw(), (c) => { c.database.imageName = image; })), 'Cluster', 'ocw-db');
    expect(cluster.spec.imageName).toBe(image);
    expect(cluster.metadata.labels!['app.kubernetes.io/version']).toBe('17.6-standard-trixie');
    // A registry with a port keeps its port.
    const local = find(render(withChange(exampleRaw(), (c) => { c.database.imageName = 'registry.local:5000/postgresql:17.6'; })), 'Cluster', 'ocw-db');
    expect([local.spec.imageName, local.metadata.labels!['app.kubernetes.io/version']]).toEqual(['registry.local:5000/postgresql:17.6', '17.6']);
  });
});

test('a tag of digits alone is no Postgres major (a digest once stood in the version label)', () => {
  expect(postgresMajorOfTag('1'.repeat(64))).toBeUndefined();
  expect([postgresMajorOfTag('17'), postgresMajorOfTag('17.6'), postgresMajorOfTag('16-standard-bookworm')]).toEqual([17, 17, 16]);
});
