/**
 * PostgresCluster on its own, in a blank cdk8s Chart: what its props render. What the config
 * resolves for it (budget, architecture, anti-affinity, refusals) is in test/postgres.test.ts.
 */
import { Testing } from 'cdk8s';
import { resolveConfig } from '../../lib/config/resolve';
import { AMCHECK_SQL, BARMAN_PLUGIN, PostgresCluster, PostgresClusterProps } from '../../lib/postgres-cluster';
import { exampleRaw, find, podSpecOf, render, withChange } from '../support/fixtures';
import { K8S_VERSIONS, K8sValidator } from '../support/k8s-validator';

const OBJECT_STORE = {
  destinationPath: 's3://ocw-social-backups/postgres',
  endpointURL: 'https://s3.eu-central-003.backblazeb2.com',
  credentialsSecret: { name: 'ocw-backup-s3' },
};
const SNAPSHOT_CAPABLE = { storage: { size: '20Gi', storageClass: 'longhorn' }, walStorage: { size: '5Gi', storageClass: 'longhorn' } };

/** The construct alone in a blank chart, with the required props and these. */
function build(props: Partial<PostgresClusterProps> = {}) {
  const chart = Testing.chart();
  const db = new PostgresCluster(chart, 'db', { instance: 'ocw', backup: { objectStore: OBJECT_STORE }, ...props });
  return { db, objects: Testing.synth(chart) };
}
const kindsAndNames = (objects: any[]) => objects.map((o) => `${o.kind}/${o.metadata.name}`).sort();
const envOf = (container: any) => Object.fromEntries(container.env.map((e: any) => [e.name, e.value ?? e.valueFrom]));

describe('alone, with only an instance name and a backup destination', () => {
  const { db, objects } = build();

  test('a cluster, its ObjectStore, the base backup, the pooler with its budget and the corruption check', () => {
    expect(kindsAndNames(objects)).toEqual([
      'Cluster/ocw-db', 'CronJob/ocw-db-amcheck', 'ObjectStore/ocw-db-store', 'PodDisruptionBudget/ocw-db-pooler',
      'Pooler/ocw-db-pooler', 'ScheduledBackup/ocw-db-base',
    ]);
  });

  test.each(K8S_VERSIONS)('every object validates strictly against Kubernetes %s and the vendored CRDs', (version) => {
    expect(new K8sValidator(version).validateAll(objects)).toEqual([]);
  });

  test('typed handles name what Mastodon connects to', () => {
    expect(db.poolerService).toBe('ocw-db-pooler');
    expect(db.primaryService).toBe('ocw-db-rw');
    expect(db.appSecret).toEqual({ name: 'ocw-db-app', userKey: 'username', passwordKey: 'password' });
    expect(db.connection).toMatchObject({ host: 'ocw-db-pooler', directHost: 'ocw-db-rw', port: 5432, preparedStatements: false, passwordSecret: { name: 'ocw-db-app', key: 'password' } });
    expect(db.cluster.name).toBe('ocw-db');
    expect(db.snapshotBackup).toBeUndefined();
    expect(db.monitoringQueries).toBeUndefined();
  });

  test('max_connections: 2 poolers × (20 + 5 + 1), migrations 4, pg_amcheck 3, reserve 10 + 3', () => {
    expect(db.maxConnections).toBe(2 * 26 + 4 + 3 + 13);
    expect(find(objects, 'Cluster', 'ocw-db').spec.postgresql.parameters.max_connections).toBe('72');
  });

  test('the config defaults: what a config that leaves every database field out renders', () => {
    const fromConfig = render(withChange(exampleRaw(), (c) => { c.database = { mode: 'cnpg', backup: { objectStore: OBJECT_STORE } }; }));
    const cluster = find(objects, 'Cluster', 'ocw-db').spec;
    const configured = find(fromConfig, 'Cluster', 'ocw-db').spec;
    for (const key of ['instances', 'imageName', 'storage', 'walStorage', 'resources', 'postgresql', 'bootstrap', 'plugins']) {
      expect([key, cluster[key]]).toEqual([key, configured[key]]);
    }
    // The one placement difference: the config names this project's pool and pins the pool's
    // architecture; alone, neither is required (any node the image runs on, one for all instances).
    const { nodeAffinity: aloneNodes, additionalPodAffinity: sameArch, ...aloneAffinity } = cluster.affinity;
    expect([sameArch === undefined, configured.affinity.additionalPodAffinity]).toEqual([false, undefined]);
    const { nodeAffinity: configuredNodes, ...configuredAffinity } = configured.affinity;
    expect(aloneAffinity).toEqual(configuredAffinity);
    const terms = (n: any) => n.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions;
    expect(terms(aloneNodes)).toEqual([{ key: 'kubernetes.io/arch', operator: 'In', values: ['amd64', 'arm64'] }]);
    expect(terms(configuredNodes)).toEqual([{ key: 'kubernetes.io/arch', operator: 'In', values: ['amd64'] }, { key: 'node-pool', operator: 'In', values: ['cloud'] }]);
    expect(find(objects, 'ObjectStore', 'ocw-db-store').spec).toEqual(find(fromConfig, 'ObjectStore', 'ocw-db-store').spec);
    expect(find(objects, 'ScheduledBackup', 'ocw-db-base').spec).toEqual(find(fromConfig, 'ScheduledBackup', 'ocw-db-base').spec);
    expect(find(objects, 'CronJob', 'ocw-db-amcheck').spec.schedule).toBe(find(fromConfig, 'CronJob', 'ocw-db-amcheck').spec.schedule);
    const pooler = find(objects, 'Pooler', 'ocw-db-pooler').spec;
    const configuredPooler = find(fromConfig, 'Pooler', 'ocw-db-pooler').spec;
    expect(pooler.instances).toBe(configuredPooler.instances);
    expect(pooler.template.spec.containers).toEqual(configuredPooler.template.spec.containers);
    expect(pooler.template.spec.tolerations).toEqual(configuredPooler.template.spec.tolerations);
    // The one difference: the chart sizes max_client_conn from the Mastodon workloads.
    const { max_client_conn: alone, ...rest } = pooler.pgbouncer.parameters;
    const { max_client_conn: budgeted, ...configuredRest } = configuredPooler.pgbouncer.parameters;
    expect(rest).toEqual(configuredRest);
    expect([alone, Number(budgeted) > 100]).toEqual(['100', true]);
  });
});

describe('the Cluster', () => {
  const { objects } = build({ ...SNAPSHOT_CAPABLE, backup: { objectStore: OBJECT_STORE, volumeSnapshot: { className: 'longhorn-snapshot' } } });
  const cluster = find(objects, 'Cluster', 'ocw-db');

  test('three instances of a pinned standard image, with separate data and WAL volumes, no superuser', () => {
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
  test('alone, with no pool or arch given: any node the multi-arch image runs on, no pool label required, one per node', () => {
    const a = cluster.spec.affinity;
    expect(a.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms).toEqual([{
      matchExpressions: [{ key: 'kubernetes.io/arch', operator: 'In', values: ['amd64', 'arm64'] }],
    }]);
    expect(a).toMatchObject({ enablePodAntiAffinity: true, podAntiAffinityType: 'required', topologyKey: 'kubernetes.io/hostname' });
    expect(a.tolerations).toBeUndefined();
  });
  test('alone, the pooler and the jobs require no pool label either', () => {
    const { objects: o } = build({ ...SNAPSHOT_CAPABLE, backup: { objectStore: OBJECT_STORE, volumeSnapshot: { className: 'longhorn-snapshot' } } });
    const specs = [find(o, 'Pooler', 'ocw-db-pooler').spec.template.spec, podSpecOf(find(o, 'CronJob', 'ocw-db-amcheck')), podSpecOf(find(o, 'CronJob', 'ocw-db-snapshot-retention'))];
    for (const spec of specs) {
      expect(spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms).toEqual([{
        matchExpressions: [{ key: 'kubernetes.io/arch', operator: 'In', values: ['amd64', 'arm64'] }],
      }]);
    }
  });
  test('alone, with no arch on a cluster that mixes architectures: every instance on the architecture of the first (required self-affinity)', () => {
    // The node affinity lets amd64 and arm64 both; the pod affinity keeps a standby on the
    // architecture of the instances already running (the pooler's pods are not instances).
    expect(cluster.spec.affinity.additionalPodAffinity).toEqual({
      requiredDuringSchedulingIgnoredDuringExecution: [{
        labelSelector: { matchExpressions: [
          { key: 'cnpg.io/cluster', operator: 'In', values: ['ocw-db'] },
          { key: 'cnpg.io/podRole', operator: 'NotIn', values: ['pooler'] },
        ] },
        topologyKey: 'kubernetes.io/arch',
      }],
    });
    expect(new K8sValidator('v1.30.0').validate(cluster)).toEqual([]);
    // An image built for one architecture needs no affinity; a given arch pins it with the node affinity.
    const oneArch = { repository: 'registry.example/postgresql', tag: '16.4-standard', architectures: ['amd64'] as const };
    expect(find(build({ image: oneArch }).objects, 'Cluster', 'ocw-db').spec.affinity.additionalPodAffinity).toBeUndefined();
    expect(find(build({ arch: 'arm64' }).objects, 'Cluster', 'ocw-db').spec.affinity.additionalPodAffinity).toBeUndefined();
  });
  test('a pool alone adds the pool term under node-pool; an arch alone pins the architecture', () => {
    const pooled = find(build({ pool: 'cloud' }).objects, 'Cluster', 'ocw-db');
    expect(pooled.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions).toEqual([
      { key: 'kubernetes.io/arch', operator: 'In', values: ['amd64', 'arm64'] }, { key: 'node-pool', operator: 'In', values: ['cloud'] },
    ]);
    const pinned = find(build({ arch: 'arm64' }).objects, 'Cluster', 'ocw-db');
    expect(pinned.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions).toEqual([
      { key: 'kubernetes.io/arch', operator: 'In', values: ['arm64'] },
    ]);
  });
  test('arch, pool, poolLabel and antiAffinity change the placement', () => {
    const c = find(build({ arch: 'arm64', pool: 'onprem', poolLabel: 'example.com/pool', antiAffinity: 'preferred' }).objects, 'Cluster', 'ocw-db');
    expect(c.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions).toEqual([
      { key: 'kubernetes.io/arch', operator: 'In', values: ['arm64'] }, { key: 'example.com/pool', operator: 'In', values: ['onprem'] },
    ]);
    expect(c.spec.affinity.podAntiAffinityType).toBe('preferred');
  });
  test('parameters are strings; shared_buffers and effective_cache_size follow the memory limit; explicit ones win', () => {
    const p = cluster.spec.postgresql.parameters;
    for (const v of Object.values(p)) expect(typeof v).toBe('string');
    expect(p).toMatchObject({ shared_buffers: '256MB', effective_cache_size: '768MB' });
    const big = find(build({ resources: { requests: { cpu: '1', memory: '4Gi' }, limits: { memory: '4Gi' } }, parameters: { work_mem: '16MB', max_connections: '200' } }).objects, 'Cluster', 'ocw-db');
    expect(big.spec.resources).toEqual({ requests: { cpu: '1', memory: '4Gi' }, limits: { memory: '4Gi' } });
    expect(big.spec.postgresql.parameters).toMatchObject({ shared_buffers: '1024MB', effective_cache_size: '3072MB', work_mem: '16MB', max_connections: '200' });
  });
  test('max_slot_wal_keep_size: what the WAL volume leaves after max_wal_size, wal_keep_size and a 10% margin', () => {
    // 5Gi = 5120MB - 1024 - 512 - 512.
    expect(cluster.spec.postgresql.parameters.max_slot_wal_keep_size).toBe('3072MB');
    const bigger = find(build({ walStorage: { size: '10Gi' } }).objects, 'Cluster', 'ocw-db');
    expect(bigger.spec.postgresql.parameters.max_slot_wal_keep_size).toBe(`${10240 - 1024 - 512 - 1024}MB`);
  });
  test('initdb: database mastodon owned by mastodon, data checksums, amcheck set up', () => {
    expect(cluster.spec.bootstrap).toEqual({ initdb: { database: 'mastodon', owner: 'mastodon', dataChecksums: true, postInitApplicationSQL: AMCHECK_SQL } });
    expect(AMCHECK_SQL[0]).toBe('CREATE EXTENSION IF NOT EXISTS amcheck');
    expect(AMCHECK_SQL[1]).toMatch(/GRANT EXECUTE ON FUNCTION %s TO mastodon/);
  });
  test('the weekly volume snapshot: its class, owned by its Backup so retention frees space', () => {
    expect(cluster.spec.backup).toEqual({ target: 'prefer-standby', volumeSnapshot: { className: 'longhorn-snapshot', online: true, snapshotOwnerReference: 'backup' } });
    expect(find(build().objects, 'Cluster', 'ocw-db').spec.backup).toBeUndefined();
  });
  test('never pruned or deleted by Argo CD or Helm', () => {
    expect(cluster.metadata.annotations).toMatchObject({ 'argocd.argoproj.io/sync-options': 'Prune=false,Delete=false', 'helm.sh/resource-policy': 'keep' });
  });
  test('the server certificate names the pooler, in every form once the namespace is known', () => {
    expect(cluster.spec.certificates).toEqual({ serverAltDNSNames: ['ocw-db-pooler'] });
    const named = find(build({ namespace: 'social' }).objects, 'Cluster', 'ocw-db');
    expect(named.spec.certificates.serverAltDNSNames).toEqual(['ocw-db-pooler', 'ocw-db-pooler.social', 'ocw-db-pooler.social.svc', 'ocw-db-pooler.social.svc.cluster.local']);
  });
  test('the image prop replaces the image of the instances and of pg_amcheck, and labels the helpers', () => {
    const image = { repository: 'registry.example/postgresql', tag: '16.4-standard', architectures: ['amd64'] as const };
    const o = build({ image }).objects;
    expect(find(o, 'Cluster', 'ocw-db').spec.imageName).toBe('registry.example/postgresql:16.4-standard');
    expect(podSpecOf(find(o, 'CronJob', 'ocw-db-amcheck')).containers[0].image).toBe('registry.example/postgresql:16.4-standard');
    expect(find(o, 'Pooler', 'ocw-db-pooler').metadata.labels?.['app.kubernetes.io/version']).toBe('16.4-standard');
  });
});

describe('the ObjectStore and ScheduledBackups', () => {
  test('S3 destination, credentials by reference, WAL compression, retention, checksums off for non-AWS S3', () => {
    const os = find(build().objects, 'ObjectStore', 'ocw-db-store');
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
  test('every object store prop reaches the ObjectStore, the plugin and the base backup', () => {
    const o = build({
      backup: {
        objectStore: {
          destinationPath: 's3://b/pg', endpointURL: 'https://s3.eu-west-1.amazonaws.com',
          credentialsSecret: { name: 's3', accessKeyIdKey: 'id', secretAccessKeyKey: 'secret' },
          serverName: 'ocw-db-2', retentionPolicy: '4w', walCompression: 'lz4', baseBackupSchedule: '0 30 1 * * *', sidecarEnv: { AWS_MAX_ATTEMPTS: '5' },
        },
      },
    }).objects;
    const os = find(o, 'ObjectStore', 'ocw-db-store').spec;
    expect(os.configuration).toMatchObject({ destinationPath: 's3://b/pg', s3Credentials: { accessKeyId: { name: 's3', key: 'id' }, secretAccessKey: { name: 's3', key: 'secret' } }, wal: { compression: 'lz4' } });
    expect(os.retentionPolicy).toBe('4w');
    // AWS itself takes the checksums: only the extra variable.
    expect(os.instanceSidecarConfiguration).toEqual({ env: [{ name: 'AWS_MAX_ATTEMPTS', value: '5' }] });
    expect(find(o, 'Cluster', 'ocw-db').spec.plugins[0].parameters.serverName).toBe('ocw-db-2');
    expect(find(o, 'ScheduledBackup', 'ocw-db-base').spec.schedule).toBe('0 30 1 * * *');
  });
  test('base backups through the plugin, right away; snapshots weekly; both owned by the Cluster and kept', () => {
    const o = build({ ...SNAPSHOT_CAPABLE, backup: { objectStore: OBJECT_STORE, volumeSnapshot: { className: 'longhorn-snapshot' } } }).objects;
    const base = find(o, 'ScheduledBackup', 'ocw-db-base');
    expect(base.spec).toEqual({
      schedule: '0 0 3 * * *', method: 'plugin', pluginConfiguration: { name: BARMAN_PLUGIN }, cluster: { name: 'ocw-db' },
      backupOwnerReference: 'cluster', target: 'prefer-standby', immediate: true,
    });
    const snap = find(o, 'ScheduledBackup', 'ocw-db-snapshot');
    expect(snap.spec).toEqual({ schedule: '0 0 4 * * 0', method: 'volumeSnapshot', cluster: { name: 'ocw-db' }, backupOwnerReference: 'none' });
    for (const s of [base, snap]) expect(s.metadata.annotations).toMatchObject({ 'argocd.argoproj.io/sync-options': 'Prune=false', 'helm.sh/resource-policy': 'keep' });
  });
});

describe('snapshot retention', () => {
  const { objects } = build({ ...SNAPSHOT_CAPABLE, backup: { objectStore: OBJECT_STORE, volumeSnapshot: { className: 'longhorn-snapshot', keep: 2, retentionSchedule: '0 6 * * *' } } });
  const cj = find(objects, 'CronJob', 'ocw-db-snapshot-retention');
  test('a least-privilege Role: list and delete Backups, nothing else', () => {
    expect(find(objects, 'Role', 'ocw-db-snapshot-retention').rules).toEqual([{ apiGroups: ['postgresql.cnpg.io'], resources: ['backups'], verbs: ['list', 'delete'] }]);
    const rb = find(objects, 'RoleBinding', 'ocw-db-snapshot-retention');
    expect(rb.subjects).toEqual([{ kind: 'ServiceAccount', name: 'ocw-db-snapshot-retention' }]);
    expect(rb.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'ocw-db-snapshot-retention' });
    expect(find(objects, 'ServiceAccount', 'ocw-db-snapshot-retention').automountServiceAccountToken).toBe(false);
  });
  test('the job uses that ServiceAccount and keeps the newest `keep` completed snapshot backups', () => {
    const spec = podSpecOf(cj);
    expect(cj.spec.schedule).toBe('0 6 * * *');
    expect(spec.serviceAccountName).toBe('ocw-db-snapshot-retention');
    expect(spec.automountServiceAccountToken).toBe(true);
    const script = spec.containers[0].command[2];
    expect(script).toMatch(/-l cnpg.io\/scheduled-backup=ocw-db-snapshot/);
    expect(script).toMatch(/--sort-by=.metadata.creationTimestamp/);
    expect(script).toMatch(/keeping 2/);
    expect(script).toMatch(/head -n \$\(\(total - 2\)\)/);
    expect(spec.containers[0].image).toMatch(/^docker\.io\/alpine\/k8s:/);
    expect(cj.spec.concurrencyPolicy).toBe('Forbid');
  });
  test('validates strictly', () => {
    expect(new K8sValidator('v1.30.0').validateAll(objects)).toEqual([]);
  });
});

describe('the corruption check', () => {
  const cj = find(build().objects, 'CronJob', 'ocw-db-amcheck');
  const c = podSpecOf(cj).containers[0];
  test('weekly pg_amcheck against the primary (a hot standby cancels it on replay conflicts), as the app user, failing the Job on corruption', () => {
    expect(cj.spec.schedule).toBe('0 5 * * 0');
    expect(c.command[0]).toBe('pg_amcheck');
    expect(c.image).toBe('ghcr.io/cloudnative-pg/postgresql:17-standard-trixie');
    const env = envOf(c);
    expect(env.PGHOST).toBe('ocw-db-rw');
    expect(env.PGPASSWORD).toEqual({ secretKeyRef: { name: 'ocw-db-app', key: 'password' } });
    expect(podSpecOf(cj).restartPolicy).toBe('Never');
  });
  test('a drain, an eviction or a preemption reruns the check; a finding (exit 2) fails the Job at once; a lost connection (exit 1) is retried once', () => {
    const job = cj.spec.jobTemplate.spec;
    // podFailurePolicy needs restartPolicy Never (kubernetes/kubernetes pkg/apis/batch/validation).
    expect(podSpecOf(cj).restartPolicy).toBe('Never');
    expect(job.backoffLimit).toBe(1);
    expect(job.podFailurePolicy.rules).toEqual([
      { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] },
      { action: 'FailJob', onExitCodes: { containerName: 'pg-amcheck', operator: 'In', values: [2] }, onPodConditions: [] },
    ]);
    expect(job.podFailurePolicy.rules[1].onExitCodes.containerName).toBe(c.name);
  });
  test('with one instance too it checks the primary; the schedule is a prop', () => {
    const one = find(build({ instances: 1, amcheck: { schedule: '0 2 * * 3' } }).objects, 'CronJob', 'ocw-db-amcheck');
    expect(envOf(podSpecOf(one).containers[0]).PGHOST).toBe('ocw-db-rw');
    expect(one.spec.schedule).toBe('0 2 * * 3');
  });
});

describe('the pooler', () => {
  const { objects } = build();
  const pooler = find(objects, 'Pooler', 'ocw-db-pooler');
  test('PgBouncer in transaction mode, two instances spread over nodes, leaving a lost node after 30 s', () => {
    expect(pooler.spec).toMatchObject({ cluster: { name: 'ocw-db' }, instances: 2, type: 'rw' });
    expect(pooler.spec.pgbouncer).toEqual({ poolMode: 'transaction', parameters: { max_client_conn: '100', default_pool_size: '20', reserve_pool_size: '5' } });
    const spec = pooler.spec.template.spec;
    expect(spec.topologySpreadConstraints[0]).toMatchObject({ topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { 'cnpg.io/poolerName': 'ocw-db-pooler' } } });
    expect(spec.tolerations.map((t: any) => t.tolerationSeconds)).toEqual([30, 30]);
    expect(find(objects, 'PodDisruptionBudget', 'ocw-db-pooler').spec).toEqual({ maxUnavailable: 1, selector: { matchLabels: { 'cnpg.io/poolerName': 'ocw-db-pooler' } } });
  });
  test('pool sizes and max_client_conn are props, and so is the derived max_connections', () => {
    const { db, objects: o } = build({ pooler: { instances: 3, defaultPoolSize: 10, reservePoolSize: 2, maxClientConn: 400 }, connectionReserve: 0 });
    expect(find(o, 'Pooler', 'ocw-db-pooler').spec.pgbouncer.parameters).toEqual({ max_client_conn: '400', default_pool_size: '10', reserve_pool_size: '2' });
    expect(db.maxConnections).toBe(3 * 13 + 4 + 3 + 3);
  });
  test('one pooler instance: no PodDisruptionBudget (it could never allow an eviction)', () => {
    expect(build({ pooler: { instances: 1 } }).objects.filter((o) => o.kind === 'PodDisruptionBudget')).toEqual([]);
  });
});

describe('bootstrap modes', () => {
  test('recovery from the object store, to a point in time, archiving into a new folder', () => {
    const o = build({
      bootstrap: { mode: 'recovery', from: 'objectStore', targetTime: '2026-11-20T03:15:00Z' },
      backup: { objectStore: { ...OBJECT_STORE, serverName: 'ocw-db-2' } },
    }).objects;
    const c = find(o, 'Cluster', 'ocw-db');
    expect(c.spec.bootstrap).toEqual({ recovery: { database: 'mastodon', owner: 'mastodon', source: 'origin', recoveryTarget: { targetTime: '2026-11-20T03:15:00Z' } } });
    expect(c.spec.externalClusters).toEqual([{ name: 'origin', plugin: { name: BARMAN_PLUGIN, parameters: { barmanObjectName: 'ocw-db-store', serverName: 'ocw-db' } } }]);
    expect(c.spec.plugins[0].parameters.serverName).toBe('ocw-db-2');
  });
  test('recovery from volume snapshots replays WAL from the archive', () => {
    const c = find(build({
      bootstrap: { mode: 'recovery', from: 'volumeSnapshot', snapshots: { storage: 'ocw-db-20261122040000-data', walStorage: 'ocw-db-20261122040000-wal' } },
      backup: { objectStore: { ...OBJECT_STORE, serverName: 'ocw-db-2' } },
    }).objects, 'Cluster', 'ocw-db');
    expect(c.spec.bootstrap.recovery).toEqual({
      database: 'mastodon', owner: 'mastodon', source: 'origin',
      volumeSnapshots: {
        storage: { name: 'ocw-db-20261122040000-data', kind: 'VolumeSnapshot', apiGroup: 'snapshot.storage.k8s.io' },
        walStorage: { name: 'ocw-db-20261122040000-wal', kind: 'VolumeSnapshot', apiGroup: 'snapshot.storage.k8s.io' },
      },
    });
  });
  test('import copies an existing Postgres through initdb.import', () => {
    const c = find(build({
      bootstrap: { mode: 'import', host: 'old-postgres.lan', port: 5432, database: 'mastodon_production', user: 'mastodon', passwordSecret: { name: 'old-db', key: 'password' }, sslMode: 'prefer' },
    }).objects, 'Cluster', 'ocw-db');
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

describe('PriorityClasses and the slot metrics', () => {
  const { db, objects } = build({
    ...SNAPSHOT_CAPABLE,
    backup: { objectStore: OBJECT_STORE, volumeSnapshot: { className: 'longhorn-snapshot' } },
    priorityClassNames: { frontend: 'ocw-frontend', workers: 'ocw-workers' },
    slotMetrics: true,
  });
  test('the instances and the pooler get the frontend class, the jobs the workers class', () => {
    expect(find(objects, 'Cluster', 'ocw-db').spec.priorityClassName).toBe('ocw-frontend');
    expect(find(objects, 'Pooler', 'ocw-db-pooler').spec.template.spec.priorityClassName).toBe('ocw-frontend');
    for (const name of ['ocw-db-amcheck', 'ocw-db-snapshot-retention']) expect(podSpecOf(find(objects, 'CronJob', name)).priorityClassName).toBe('ocw-workers');
    expect(find(build().objects, 'Cluster', 'ocw-db').spec.priorityClassName).toBeUndefined();
  });
  test('slotMetrics: a ConfigMap the operator reloads, named in spec.monitoring', () => {
    const cm = find(objects, 'ConfigMap', 'ocw-db-monitoring');
    expect(cm.metadata.labels?.['cnpg.io/reload']).toBe('true');
    expect(db.monitoringQueries?.name).toBe('ocw-db-monitoring');
    const key = Object.keys(cm.data)[0];
    expect(find(objects, 'Cluster', 'ocw-db').spec.monitoring).toEqual({ customQueriesConfigMap: [{ name: 'ocw-db-monitoring', key }] });
  });
  test('validates strictly', () => {
    expect(new K8sValidator('v1.30.0').validateAll(objects)).toEqual([]);
  });
});

describe('props the config would refuse are refused here too', () => {
  /** The message of the Error building with these props throws. */
  const refusal = (props: Partial<PostgresClusterProps>): string => {
    try {
      build(props);
    } catch (e) {
      return (e as Error).message;
    }
    throw new Error('the props were accepted');
  };
  test('a WAL volume with no room for replication slots', () => {
    expect(refusal({ walStorage: { size: '1Gi' } })).toMatch(/^PostgresCluster ocw-db: 1 invalid prop:\n {2}walStorage.size: 1Gi leaves no room for replication slots/);
  });
  test('an explicit max_connections below what the poolers, jobs and reserve need', () => {
    expect(refusal({ parameters: { max_connections: '50' } })).toMatch(/\n {2}parameters.max_connections: needs 72 connections, max_connections is 50/);
  });
  test('volume snapshots of volumes on the default StorageClass: each volume by its prop', () => {
    const message = refusal({ backup: { objectStore: OBJECT_STORE, volumeSnapshot: { className: 'longhorn-snapshot' } } });
    expect(message).toMatch(/\n {2}storage.storageClass: backup.volumeSnapshot takes snapshots with VolumeSnapshotClass 'longhorn-snapshot', but this volume uses the cluster default StorageClass.*; set storage.storageClass to a StorageClass whose CSI driver supports snapshots/);
    expect(message).toMatch(/\n {2}walStorage.storageClass: /);
  });
  test('a restore that would archive into the folder it restores from (the default serverName is the source)', () => {
    expect(refusal({ bootstrap: { mode: 'recovery', from: 'objectStore' } })).toMatch(
      /\n {2}backup.objectStore.serverName: the restored cluster would archive its WAL into 'ocw-db', the folder it restores from, and the plugin refuses a non-empty archive; set backup.objectStore.serverName to a new folder such as 'ocw-db-2'/);
    expect(refusal({ bootstrap: { mode: 'recovery', from: 'objectStore', sourceServerName: 'old' }, backup: { objectStore: { ...OBJECT_STORE, serverName: 'old' } } }))
      .toMatch(/backup.objectStore.serverName: the restored cluster would archive its WAL into 'old'/);
  });
  test('a snapshot restore without the snapshot names', () => {
    expect(refusal({ bootstrap: { mode: 'recovery', from: 'volumeSnapshot' }, backup: { objectStore: { ...OBJECT_STORE, serverName: 'ocw-db-2' } } }))
      .toMatch(/\n {2}bootstrap.snapshots: recovery from volumeSnapshot needs the snapshot names/);
  });
  test.each([
    ['a five-field base backup schedule', { baseBackupSchedule: '0 3 * * *' }, "backup.objectStore.baseBackupSchedule: '0 3 * * *' has 5 fields, but CloudNativePG schedules have six, seconds first; write '0 0 3 * * *'"],
    ['an out-of-range base backup schedule', { baseBackupSchedule: '0 0 25 * * *' }, "backup.objectStore.baseBackupSchedule: '0 0 25 * * *' is not a schedule CloudNativePG accepts"],
    ['a destinationPath that is not an S3 path', { destinationPath: 'backups/postgres' }, "backup.objectStore.destinationPath: 'backups/postgres' is not an S3 path; write it like s3://ocw-backups/postgres (bucket, then an optional folder)"],
    ['a retentionPolicy Barman cannot read', { retentionPolicy: '30 days' }, "backup.objectStore.retentionPolicy: '30 days' is not a retention; write it like 30d, 4w or 3m (days, weeks or months)"],
    ['an endpointURL that is not a URL', { endpointURL: 's3.eu-central-003.backblazeb2.com' }, 'backup.objectStore.endpointURL: must be a URL such as https://s3.eu-central-003.backblazeb2.com'],
    ['an endpointURL that is not http(s)', { endpointURL: 's3://bucket' }, "backup.objectStore.endpointURL: 's3:' is not http or https"],
  ])('%s', (_, change, message) => {
    expect(refusal({ backup: { objectStore: { ...OBJECT_STORE, ...change } } })).toContain(`\n  ${message}`);
  });
  test('a five-field snapshot schedule', () => {
    expect(refusal({ ...SNAPSHOT_CAPABLE, backup: { objectStore: OBJECT_STORE, volumeSnapshot: { className: 'longhorn-snapshot', schedule: '0 4 * * 0' } } }))
      .toContain("\n  backup.volumeSnapshot.schedule: '0 4 * * 0' has 5 fields, but CloudNativePG schedules have six, seconds first; write '0 0 4 * * 0'");
  });
  test('instances and pooler instances outside the config\'s bounds (1 to 9, at least 1)', () => {
    expect(refusal({ instances: 0 })).toContain('\n  instances: is 0, not a whole number from 1 to 9; set a whole number from 1 to 9');
    expect(refusal({ instances: 10 })).toContain('\n  instances: is 10, not a whole number from 1 to 9');
    expect(refusal({ pooler: { instances: 0 } })).toContain('\n  pooler.instances: is 0, not a whole number of at least 1');
    const r = resolveConfig(withChange(exampleRaw(), (c) => { c.database.instances = 0; }));
    expect(r.ok ? [] : r.errors.map((e) => e.path)).toContain('database.instances');
  });
  test('an architecture the image is not built for', () => {
    const image = { repository: 'registry.example/postgresql', tag: '16.4-standard', architectures: ['amd64'] as const };
    expect(refusal({ arch: 'arm64', image })).toContain(
      '\n  image: registry.example/postgresql:16.4-standard is built for amd64, not arm64, so no instance could start; choose an image built for arm64, or set arch to amd64');
  });
  test('every problem at once, in one Error, a line each', () => {
    const message = refusal({
      walStorage: { size: '1Gi' },
      bootstrap: { mode: 'recovery', from: 'objectStore' },
      backup: { objectStore: { ...OBJECT_STORE, endpointURL: 'not a url', baseBackupSchedule: '0 3 * * *' } },
    });
    const lines = message.split('\n');
    expect(lines[0]).toBe('PostgresCluster ocw-db: 4 invalid props:');
    expect(lines.slice(1).map((l) => l.replace(/:.*/, '')).sort()).toEqual([
      '  backup.objectStore.baseBackupSchedule', '  backup.objectStore.endpointURL', '  backup.objectStore.serverName', '  walStorage.size',
    ]);
  });
});

describe('CRD validation catches what the CRD does not have', () => {
  const { objects } = build({ ...SNAPSHOT_CAPABLE, backup: { objectStore: OBJECT_STORE, volumeSnapshot: { className: 'longhorn-snapshot' } } });
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
