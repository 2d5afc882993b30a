import * as fs from 'fs';
import * as path from 'path';
import { Manifest } from '../lib';
import { K8sValidator } from './support/k8s-validator';
import { ROOT, errorsOf, exampleRaw, find, messageAt, podSpecOf, render, resolved, withChange } from './support/fixtures';
import { AMCHECK_SQL, BARMAN_PLUGIN } from '../lib/postgres-cluster';
import { formatBudget } from '../lib/rules/database';

const objects = render();
const cluster = find(objects, 'Cluster', 'ocw-db');
const wave = (o: Manifest) => Number(o.metadata.annotations?.['argocd.argoproj.io/sync-wave'] ?? 0);

const withDb = (change: (db: any) => void) => withChange(exampleRaw(), (c) => change(c.database));

describe('the Cluster', () => {
  test('three instances of a pinned standard image, with separate data and WAL volumes', () => {
    expect(cluster.apiVersion).toBe('postgresql.cnpg.io/v1');
    expect(cluster.spec.instances).toBe(3);
    expect(cluster.spec.imageName).toBe('ghcr.io/cloudnative-pg/postgresql:17-standard-trixie');
    expect(cluster.spec.storage).toEqual({ size: '20Gi', storageClass: 'longhorn' });
    expect(cluster.spec.walStorage).toEqual({ size: '5Gi', storageClass: 'longhorn' });
    expect(cluster.spec.enableSuperuserAccess).toBe(false);
  });
  test('WAL archiving through the Barman Cloud plugin, never the deprecated in-tree store', () => {
    expect(cluster.spec.plugins).toEqual([{ name: BARMAN_PLUGIN, isWALArchiver: true, parameters: { barmanObjectName: 'ocw-db-store', serverName: 'ocw-db' } }]);
    expect(JSON.stringify(cluster)).not.toMatch(/barmanObjectStore/);
  });
  test('every instance on one architecture, in the database pool, one per node when the pool allows it', () => {
    const a = cluster.spec.affinity;
    expect(a.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms).toEqual([{
      matchExpressions: [{ key: 'kubernetes.io/arch', operator: 'In', values: ['amd64'] }, { key: 'node-pool', operator: 'In', values: ['cloud'] }],
    }]);
    expect(a).toMatchObject({ enablePodAntiAffinity: true, podAntiAffinityType: 'required', topologyKey: 'kubernetes.io/hostname' });
    expect(a.tolerations).toBeUndefined();
  });
  test('too few nodes: anti-affinity becomes preferred, and the synth says so', () => {
    const c = resolved(withDb((db) => { db.instances = 4; }));
    expect(c.postgres?.antiAffinity).toBe('preferred');
    expect(c.warnings.join('\n')).toMatch(/4 instances but pool 'cloud' has 3 amd64 nodes .* preferred, not required/);
  });
  test('parameters are strings, and max_connections comes from the budget', () => {
    const p = cluster.spec.postgresql.parameters;
    for (const v of Object.values(p)) expect(typeof v).toBe('string');
    expect(p.max_connections).toBe(String(resolved().postgres!.budget.maxConnections));
    expect(p.shared_buffers).toBe('256MB');
  });
  test('initdb: database mastodon owned by mastodon, data checksums, amcheck set up', () => {
    expect(cluster.spec.bootstrap).toEqual({ initdb: { database: 'mastodon', owner: 'mastodon', dataChecksums: true, postInitApplicationSQL: AMCHECK_SQL } });
    expect(AMCHECK_SQL[0]).toBe('CREATE EXTENSION IF NOT EXISTS amcheck');
    expect(AMCHECK_SQL[1]).toMatch(/GRANT EXECUTE ON FUNCTION %s TO mastodon/);
  });
  test('the weekly volume snapshot: class from the config, owned by its Backup so retention frees space', () => {
    expect(cluster.spec.backup).toEqual({ target: 'prefer-standby', volumeSnapshot: { className: 'longhorn-snapshot', online: true, snapshotOwnerReference: 'backup' } });
  });
  test('never pruned or deleted by Argo CD or Helm', () => {
    expect(cluster.metadata.annotations).toMatchObject({ 'argocd.argoproj.io/sync-options': 'Prune=false,Delete=false', 'helm.sh/resource-policy': 'keep' });
  });
});

describe('the ObjectStore and ScheduledBackups', () => {
  test('S3 destination, credentials by reference, WAL compression, retention', () => {
    const os = find(objects, 'ObjectStore', 'ocw-db-store');
    expect(os.apiVersion).toBe('barmancloud.cnpg.io/v1');
    expect(os.spec).toEqual({
      configuration: {
        destinationPath: 's3://ocw-social-backups/postgres',
        endpointURL: 'https://s3.eu-central-003.backblazeb2.com',
        s3Credentials: { accessKeyId: { name: 'ocw-backup-s3', key: 'AWS_ACCESS_KEY_ID' }, secretAccessKey: { name: 'ocw-backup-s3', key: 'AWS_SECRET_ACCESS_KEY' } },
        wal: { compression: 'zstd', maxParallel: 2 },
      },
      retentionPolicy: '30d',
      instanceSidecarConfiguration: {
        env: [{ name: 'AWS_REQUEST_CHECKSUM_CALCULATION', value: 'when_required' }, { name: 'AWS_RESPONSE_CHECKSUM_VALIDATION', value: 'when_required' }],
      },
    });
  });
  test('base backups through the plugin, so retention can prune WAL; snapshots weekly', () => {
    const base = find(objects, 'ScheduledBackup', 'ocw-db-base');
    expect(base.spec).toMatchObject({ schedule: '0 0 3 * * *', method: 'plugin', pluginConfiguration: { name: BARMAN_PLUGIN }, cluster: { name: 'ocw-db' }, immediate: true });
    const snap = find(objects, 'ScheduledBackup', 'ocw-db-snapshot');
    expect(snap.spec).toMatchObject({ schedule: '0 0 4 * * 0', method: 'volumeSnapshot', backupOwnerReference: 'cluster' });
    for (const s of [base, snap]) expect(s.spec.schedule.split(' ')).toHaveLength(6);
  });
  test('a 5-field cron is refused with the six-field fix', () => {
    const errors = errorsOf(withDb((db) => { db.backup.objectStore.baseBackupSchedule = '0 3 * * *'; }));
    expect(messageAt(errors, 'database.backup.objectStore.baseBackupSchedule')).toBe(
      "'0 3 * * *' has 5 fields, but CloudNativePG schedules have six, seconds first; write '0 0 3 * * *' (e.g. '0 0 3 * * *')");
    const errors2 = errorsOf(withDb((db) => { db.backup.volumeSnapshot.schedule = 'weekly'; }));
    expect(messageAt(errors2, 'database.backup.volumeSnapshot.schedule')).toMatch(/not a six-field CloudNativePG schedule/);
  });
  test('no volume snapshot configured: no snapshot backup, no retention job, no volumeSnapshot block', () => {
    const o = render(withDb((db) => { delete db.backup.volumeSnapshot; }));
    expect(o.filter((x) => /snapshot/.test(x.metadata.name))).toEqual([]);
    expect(find(o, 'Cluster', 'ocw-db').spec.backup).toBeUndefined();
  });
});

describe('snapshot retention', () => {
  const cj = find(objects, 'CronJob', 'ocw-db-snapshot-retention');
  test('a least-privilege Role: list and delete Backups, nothing else', () => {
    expect(find(objects, 'Role', 'ocw-db-snapshot-retention').rules).toEqual([{ apiGroups: ['postgresql.cnpg.io'], resources: ['backups'], verbs: ['list', 'delete'] }]);
    const rb = find(objects, 'RoleBinding', 'ocw-db-snapshot-retention');
    expect(rb.subjects).toEqual([{ kind: 'ServiceAccount', name: 'ocw-db-snapshot-retention' }]);
    expect(rb.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'ocw-db-snapshot-retention' });
    expect(find(objects, 'ServiceAccount', 'ocw-db-snapshot-retention').automountServiceAccountToken).toBe(false);
  });
  test('the job uses that ServiceAccount and keeps the newest completed snapshot backups', () => {
    const spec = podSpecOf(cj);
    expect(spec.serviceAccountName).toBe('ocw-db-snapshot-retention');
    expect(spec.automountServiceAccountToken).toBe(true);
    const script = spec.containers[0].command[2];
    expect(script).toMatch(/-l cnpg.io\/scheduled-backup=ocw-db-snapshot/);
    expect(script).toMatch(/--sort-by=.metadata.creationTimestamp/);
    expect(script).toMatch(/keeping 4/);
    expect(script).toMatch(/head -n \$\(\(total - 4\)\)/);
    expect(cj.spec.concurrencyPolicy).toBe('Forbid');
  });
});

describe('the corruption check', () => {
  const cj = find(objects, 'CronJob', 'ocw-db-amcheck');
  const c = podSpecOf(cj).containers[0];
  test('weekly pg_amcheck against a replica, as the app user, failing the Job on corruption', () => {
    expect(cj.spec.schedule).toBe('0 5 * * 0');
    expect(c.command[0]).toBe('pg_amcheck');
    expect(c.image).toBe('ghcr.io/cloudnative-pg/postgresql:17-standard-trixie');
    const env = Object.fromEntries(c.env.map((e: any) => [e.name, e.value ?? e.valueFrom]));
    expect(env.PGHOST).toBe('ocw-db-ro');
    expect(env.PGPASSWORD).toEqual({ secretKeyRef: { name: 'ocw-db-app', key: 'password' } });
    expect(cj.spec.jobTemplate.spec.backoffLimit).toBe(0);
    expect(podSpecOf(cj).restartPolicy).toBe('Never');
  });
  test('with one instance there is no replica, so it checks the primary', () => {
    const o = render(withDb((db) => { db.instances = 1; }));
    const env = podSpecOf(find(o, 'CronJob', 'ocw-db-amcheck')).containers[0].env;
    expect(env.find((e: any) => e.name === 'PGHOST').value).toBe('ocw-db-r');
  });
});

describe('the pooler', () => {
  const pooler = find(objects, 'Pooler', 'ocw-db-pooler');
  test('PgBouncer in transaction mode, two instances spread over nodes, sized from the budget', () => {
    const b = resolved().postgres!.budget;
    expect(pooler.spec).toMatchObject({ cluster: { name: 'ocw-db' }, instances: 2, type: 'rw' });
    expect(pooler.spec.pgbouncer).toEqual({
      poolMode: 'transaction',
      parameters: { max_client_conn: String(b.clientTotal), default_pool_size: '20', reserve_pool_size: '5' },
    });
    expect(pooler.spec.template.spec.topologySpreadConstraints[0]).toMatchObject({ topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'DoNotSchedule' });
    expect(find(objects, 'PodDisruptionBudget', 'ocw-db-pooler').spec.selector).toEqual({ matchLabels: { 'cnpg.io/poolerName': 'ocw-db-pooler' } });
  });
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
  test('the README prints the example budget as it is now', () => {
    expect(fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8')).toContain(formatBudget(b));
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
  test('recovery from the object store, to a point in time', () => {
    const o = render(withDb((db) => {
      db.bootstrap = { mode: 'recovery', from: 'objectStore', targetTime: '2026-11-20T03:15:00Z' };
      db.backup.objectStore.serverName = 'ocw-db-2';
    }));
    const c = find(o, 'Cluster', 'ocw-db');
    expect(c.spec.bootstrap).toEqual({ recovery: { database: 'mastodon', owner: 'mastodon', source: 'origin', recoveryTarget: { targetTime: '2026-11-20T03:15:00Z' } } });
    expect(c.spec.externalClusters).toEqual([{ name: 'origin', plugin: { name: BARMAN_PLUGIN, parameters: { barmanObjectName: 'ocw-db-store', serverName: 'ocw-db' } } }]);
    expect(c.spec.plugins[0].parameters.serverName).toBe('ocw-db-2');
  });
  test('recovery from volume snapshots replays WAL from the archive', () => {
    const o = render(withDb((db) => {
      db.bootstrap = { mode: 'recovery', from: 'volumeSnapshot', snapshots: { storage: 'ocw-db-20261122040000-data', walStorage: 'ocw-db-20261122040000-wal' } };
      db.backup.objectStore.serverName = 'ocw-db-2';
    }));
    expect(find(o, 'Cluster', 'ocw-db').spec.bootstrap.recovery).toEqual({
      database: 'mastodon', owner: 'mastodon', source: 'origin',
      volumeSnapshots: {
        storage: { name: 'ocw-db-20261122040000-data', kind: 'VolumeSnapshot', apiGroup: 'snapshot.storage.k8s.io' },
        walStorage: { name: 'ocw-db-20261122040000-wal', kind: 'VolumeSnapshot', apiGroup: 'snapshot.storage.k8s.io' },
      },
    });
  });
  test('a restore that would archive into the folder it restores from is refused', () => {
    const errors = errorsOf(withDb((db) => { db.bootstrap = { mode: 'recovery', from: 'objectStore' }; }));
    expect(messageAt(errors, 'database.backup.objectStore.serverName')).toMatch(/would archive its WAL into 'ocw-db', the folder it restores from.*'ocw-db-2'/);
  });
  test('a snapshot restore without snapshot names is refused', () => {
    const errors = errorsOf(withDb((db) => { db.bootstrap = { mode: 'recovery', from: 'volumeSnapshot' }; db.backup.objectStore.serverName = 'x'; }));
    expect(messageAt(errors, 'database.bootstrap.snapshots')).toMatch(/needs the snapshot names/);
  });
  test('import copies an existing Postgres through initdb.import', () => {
    const o = render(withDb((db) => {
      db.bootstrap = { mode: 'import', host: 'old-postgres.lan', database: 'mastodon_production', user: 'mastodon', passwordSecret: { name: 'old-db', key: 'password' } };
    }));
    const c = find(o, 'Cluster', 'ocw-db');
    expect(c.spec.bootstrap.initdb).toMatchObject({
      database: 'mastodon', owner: 'mastodon',
      import: { type: 'microservice', databases: ['mastodon_production'], source: { externalCluster: 'legacy' } },
    });
    expect(c.spec.externalClusters).toEqual([{
      name: 'legacy',
      connectionParameters: { host: 'old-postgres.lan', port: '5432', user: 'mastodon', dbname: 'mastodon_production', sslmode: 'prefer' },
      password: { name: 'old-db', key: 'password' },
    }]);
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

describe('CRD validation catches what the CRD does not have', () => {
  const v = new K8sValidator('v1.30.0');
  test('every CNPG and barman object is valid as rendered', () => {
    const crs = objects.filter((o) => /cnpg\.io/.test(o.apiVersion));
    expect(crs).toHaveLength(5);
    expect(v.validateAll(crs)).toEqual([]);
  });
  test.each([
    ['Cluster', 'ocw-db', (o: any) => { o.spec.instancez = 3; }, /instancez/],
    ['Cluster', 'ocw-db', (o: any) => { o.spec.backup.barmanObjectStor = {}; }, /barmanObjectStor/],
    ['ObjectStore', 'ocw-db-store', (o: any) => { o.spec.configuration.retentionPolicy = '30d'; }, /retentionPolicy/],
    ['Pooler', 'ocw-db-pooler', (o: any) => { o.spec.pgbouncer.poolmode = 'transaction'; }, /poolmode/],
    ['ScheduledBackup', 'ocw-db-base', (o: any) => { o.spec.method = 'barman'; }, /allowed values|enum/],
  ])('%s with a wrong field fails', (kind, name, change, message) => {
    expect(v.validate(withChange(find(objects, kind, name), change)).join('\n')).toMatch(message);
  });
});
