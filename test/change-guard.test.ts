/**
 * The change guard's comparison (lib/rules/change-guard.ts): the example rendered, then rendered
 * again with one config change; each case of issue 22 item 2, and the cases found upstream.
 */
import * as fs from 'fs';
import * as path from 'path';
import { compareManifests, formatVerdict, judgeChanges, postgresMajor, upgradeNotesFor, type GuardChange } from '../lib/rules/change-guard';
import type { Manifest } from '../lib';
import { Testing } from 'cdk8s';
import { ArgoCdChart } from '../lib/argocd';
import { errorsOf, exampleRaw, messageAt, render, resolved, ROOT, withChange } from './support/fixtures';

const baseline = render();
const ids = (changes: readonly GuardChange[]) => changes.map((c) => c.id).sort();
const changesFor = (change: (c: any) => void, base: Manifest[] = baseline) => compareManifests(base, render(withChange(exampleRaw(), change)));
/** A deep copy of the baseline with one object edited. */
const edited = (kind: string, name: string, edit: (o: any) => void): Manifest[] => baseline.map((o) => {
  if (o.kind !== kind || o.metadata.name !== name) return o;
  const copy = structuredClone(o);
  edit(copy);
  return copy;
});

describe('destructive changes, each named exactly', () => {
  test('renaming the instance renames every stateful object: the Cluster, the ObjectStore, the Redis StatefulSet', () => {
    const changes = changesFor((c) => { c.name = 'fedi'; });
    expect(ids(changes)).toEqual([
      'rename Cluster mastodon/ocw-db -> mastodon/fedi-db',
      'rename ObjectStore mastodon/ocw-db-store -> mastodon/fedi-db-store',
      'rename StatefulSet mastodon/ocw-redis -> mastodon/fedi-redis',
    ]);
    expect(changes.every((c) => c.severity === 'destructive')).toBe(true);
    expect(changes.find((c) => c.object === 'Cluster mastodon/ocw-db')!.consequence).toMatch(/new, empty database mastodon\/fedi-db.*server comes back empty/);
    expect(changes.find((c) => c.object === 'ObjectStore mastodon/ocw-db-store')!.consequence).toMatch(/point-in-time recovery/);
    // Unlike the Cluster, the ObjectStore has no Prune=false: Argo CD deletes the old one.
    expect(changes.find((c) => c.object === 'ObjectStore mastodon/ocw-db-store')!.consequence).toMatch(/Argo CD prunes the old ObjectStore.*while it keeps the old Cluster/);
    expect(changes.find((c) => c.object === 'StatefulSet mastodon/ocw-redis')!.consequence).toMatch(/mastodon\/fedi-redis binds new, empty volumes/);
  });

  test('the database moved elsewhere: the Cluster and the ObjectStore removed, the Redis volume kept', () => {
    const changes = changesFor((c) => { c.database = { mode: 'external', host: 'db.example.org', passwordSecret: { name: 'db', key: 'password' } }; });
    expect(ids(changes)).toEqual(['remove Cluster mastodon/ocw-db', 'remove ObjectStore mastodon/ocw-db-store']);
    expect(changes[0].consequence).toMatch(/Mastodon no longer uses it: whatever database it connects to instead does not hold the data of mastodon\/ocw-db/);
  });

  test('a stateful object removed alone is reported as a removal', () => {
    const next = baseline.filter((o) => o.kind !== 'StatefulSet');
    const [removed] = compareManifests(baseline, next);
    expect([removed.id, removed.severity]).toEqual(['remove StatefulSet mastodon/ocw-redis', 'destructive']);
    expect(removed.consequence).toMatch(/^Its pods stop; its volume claims stay .* queued Sidekiq jobs/);
    // Two of a kind gone and one added is not a rename: both removals are reported.
    const pvc = (name: string): Manifest => ({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name, namespace: 'mastodon' }, spec: { resources: { requests: { storage: '1Gi' } } } });
    expect(ids(compareManifests([...baseline, pvc('a'), pvc('b')], [...baseline, pvc('c')])))
      .toEqual(['remove PersistentVolumeClaim mastodon/a', 'remove PersistentVolumeClaim mastodon/b']);
  });

  test('the media PVC: renamed with the instance, shrunk, or moved to another StorageClass', () => {
    const withVolume = (c: any) => { delete c.media.s3; c.media.volume = { accessMode: 'ReadWriteMany', size: '50Gi', storageClass: 'nfs' }; };
    const base = render(withChange(exampleRaw(), withVolume));
    const pvc = base.find((o) => o.kind === 'PersistentVolumeClaim')!;
    expect(pvc).toBeDefined();
    expect(ids(changesFor((c) => { withVolume(c); c.media.volume.size = '40Gi'; }, base)))
      .toEqual([`shrink PersistentVolumeClaim mastodon/${pvc.metadata.name} 50Gi -> 40Gi`]);
    expect(ids(changesFor((c) => { withVolume(c); c.media.volume.storageClass = 'longhorn'; }, base)))
      .toEqual([`change storageClassName of PersistentVolumeClaim mastodon/${pvc.metadata.name} nfs -> longhorn`]);
    // Growing is fine.
    expect(changesFor((c) => { withVolume(c); c.media.volume.size = '60Gi'; }, base)).toEqual([]);
    const renamed = changesFor((c) => { withVolume(c); c.name = 'fedi'; }, base).find((c) => c.object.startsWith('PersistentVolumeClaim'))!;
    expect(renamed.id).toBe(`rename PersistentVolumeClaim mastodon/${pvc.metadata.name} -> mastodon/${pvc.metadata.name.replace(/^ocw/, 'fedi')}`);
    // The media claim is Prune=false: kept, but no longer mounted.
    expect(renamed.consequence).toMatch(/^Argo CD keeps the old claim \(Prune=false\), but nothing mounts it any more: the pods get the new, empty mastodon\/fedi-media/);
    const plain = { ...pvc, metadata: { ...pvc.metadata, annotations: {} } };
    expect(compareManifests([...baseline, plain], baseline)[0].consequence).toMatch(/^Argo CD prunes the claim; with the usual reclaim policy Delete/);
  });

  test('the Secret with Mastodon\'s generated keys under a new name', () => {
    const [c] = changesFor((x) => { x.mastodon.secretName = 'fedi-mastodon-secrets'; });
    expect(c.id).toBe('change mastodon Secret ocw-mastodon-secrets -> fedi-mastodon-secrets');
    expect(c.severity).toBe('destructive');
    expect(c.consequence).toMatch(/encrypted columns .* unreadable/);
    expect(c.consequence).toMatch(/every session ends, and every Web Push subscription breaks/);
    // Another namespace is another Secret, even under the same name.
    const moved = changesFor((x) => { x.namespace = 'fedi'; }).filter((x) => x.id.startsWith('change mastodon Secret'));
    expect(moved.map((x) => x.id)).toEqual(['change mastodon Secret mastodon/ocw-mastodon-secrets -> fedi/ocw-mastodon-secrets']);
  });

  test('the Redis StatefulSet\'s volumeClaimTemplates: a size or class change the API server refuses', () => {
    expect(ids(changesFor((c) => { c.redis.storage = { size: '4Gi' }; })))
      .toEqual(['change volumeClaimTemplate data of StatefulSet mastodon/ocw-redis size 2Gi -> 4Gi']);
    expect(ids(changesFor((c) => { c.redis.storage = { size: '2Gi', storageClass: 'longhorn' }; })))
      .toEqual(['change volumeClaimTemplate data of StatefulSet mastodon/ocw-redis storageClassName (default) -> longhorn']);
  });

  test('any other change of a volumeClaimTemplate, and a claim\'s accessModes, are refused by the API server too', () => {
    expect(ids(compareManifests(baseline, edited('StatefulSet', 'ocw-redis', (o) => { o.spec.volumeClaimTemplates[0].spec.accessModes = ['ReadWriteOncePod']; }))))
      .toEqual(['change volumeClaimTemplate data of StatefulSet mastodon/ocw-redis spec.accessModes']);
    expect(ids(compareManifests(baseline, edited('StatefulSet', 'ocw-redis', (o) => { o.spec.volumeClaimTemplates[0].metadata.labels.tier = 'x'; }))))
      .toEqual(['change volumeClaimTemplate data of StatefulSet mastodon/ocw-redis metadata.labels']);
    const pvc = (accessModes: string[]): Manifest => ({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'm', namespace: 'mastodon' }, spec: { accessModes, resources: { requests: { storage: '1Gi' } } } });
    const [c] = compareManifests([pvc(['ReadWriteOnce'])], [pvc(['ReadWriteMany'])]);
    expect([c.id, c.severity]).toEqual(['change accessModes of PersistentVolumeClaim mastodon/m ReadWriteOnce -> ReadWriteMany', 'destructive']);
    expect(c.consequence).toMatch(/API server refuses it/);
  });

  test('a stateful object of one component removed while one of another is added is no rename', () => {
    const sts = (name: string, component: string): Manifest => ({ apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name, namespace: 'mastodon', labels: { 'app.kubernetes.io/component': component } },
      spec: { selector: {}, volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { resources: { requests: { storage: '1Gi' } } } }] } });
    expect(ids(compareManifests([sts('ocw-redis', 'redis')], [sts('ocw-opensearch', 'search')]))).toEqual(['remove StatefulSet mastodon/ocw-redis']);
    expect(ids(compareManifests([sts('ocw-redis', 'redis')], [sts('fedi-redis', 'redis')]))).toEqual(['rename StatefulSet mastodon/ocw-redis -> mastodon/fedi-redis']);
  });

  test('a StatefulSet\'s serviceName, podManagementPolicy and any workload\'s selector', () => {
    expect(ids(compareManifests(baseline, edited('StatefulSet', 'ocw-redis', (o) => { o.spec.serviceName = 'other'; }))))
      .toEqual(['change serviceName of StatefulSet mastodon/ocw-redis ocw-redis -> other']);
    expect(ids(compareManifests(baseline, edited('StatefulSet', 'ocw-redis', (o) => { o.spec.podManagementPolicy = 'Parallel'; }))))
      .toEqual(['change podManagementPolicy of StatefulSet mastodon/ocw-redis OrderedReady -> Parallel']);
    const [sel] = compareManifests(baseline, edited('Deployment', 'ocw-web', (o) => { o.spec.selector.matchLabels.tier = 'front'; }));
    expect(sel.id).toBe('change selector of Deployment mastodon/ocw-web app.kubernetes.io/component=web,app.kubernetes.io/instance=ocw,app.kubernetes.io/name=mastodon -> app.kubernetes.io/component=web,app.kubernetes.io/instance=ocw,app.kubernetes.io/name=mastodon,tier=front');
    expect(sel.consequence).toMatch(/immutable/);
  });

  test('the Cluster: storage and WAL storage shrink, WAL storage removed (CNPG 1.30.0 webhook)', () => {
    expect(ids(changesFor((c) => { c.database.storage.size = '10Gi'; }))).toEqual(['shrink storage of Cluster mastodon/ocw-db 20Gi -> 10Gi']);
    expect(ids(changesFor((c) => { c.database.walStorage.size = '2Gi'; }))).toEqual(['shrink walStorage of Cluster mastodon/ocw-db 5Gi -> 2Gi']);
    expect(ids(compareManifests(baseline, edited('Cluster', 'ocw-db', (o) => { delete o.spec.walStorage; })))).toEqual(['remove walStorage of Cluster mastodon/ocw-db']);
    expect(changesFor((c) => { c.database.storage.size = '40Gi'; })).toEqual([]);
  });

  test('the archive: the ObjectStore\'s destinationPath, the Cluster plugin\'s serverName', () => {
    expect(ids(changesFor((c) => { c.database.backup.objectStore.destinationPath = 's3://ocw-social-backups/pg'; })))
      .toEqual(['change destinationPath of ObjectStore mastodon/ocw-db-store s3://ocw-social-backups/postgres -> s3://ocw-social-backups/pg']);
    expect(ids(changesFor((c) => { c.database.backup.objectStore.serverName = 'ocw-db-pg18'; })))
      .toEqual(['change serverName of Cluster mastodon/ocw-db plugin barman-cloud.cloudnative-pg.io ocw-db -> ocw-db-pg18']);
  });
});

describe('what the rendered env and the backup objects name', () => {
  test('the domain (LOCAL_DOMAIN) changed', () => {
    const [c] = changesFor((x) => { x.domain = 'fedi.example'; }).filter((x) => /LOCAL_DOMAIN/.test(x.id));
    expect([c.id, c.severity]).toEqual(['change LOCAL_DOMAIN ocw.social -> fedi.example', 'destructive']);
    expect(c.consequence).toMatch(/cannot be changed safely later/);
  });

  test('the web domain (WEB_DOMAIN, else LOCAL_DOMAIN) changed: as unsafe as the domain; not counted twice with it', () => {
    const set = changesFor((x) => { x.webDomain = 'web.ocw.social'; });
    expect(set.map((c) => [c.id, c.severity])).toEqual([['change WEB_DOMAIN ocw.social -> web.ocw.social', 'destructive']]);
    expect(set[0].consequence).toMatch(/cannot be safely changed once set/);
    const base = render(withChange(exampleRaw(), (x) => { x.webDomain = 'web.ocw.social'; }));
    expect(ids(changesFor((x) => { x.webDomain = 'www.ocw.social'; }, base))).toEqual(['change WEB_DOMAIN web.ocw.social -> www.ocw.social']);
    expect(ids(changesFor(() => undefined, base))).toEqual(['change WEB_DOMAIN web.ocw.social -> ocw.social']);
    // The same host named explicitly (as a hand-made dist/ might): nothing changes for other servers.
    const env = (objects: Manifest[], webDomain?: string) => objects.map((o): Manifest => (o.kind === 'ConfigMap' && (o as any).data?.LOCAL_DOMAIN
      ? { ...o, data: { ...(o as any).data, ...(webDomain ? { WEB_DOMAIN: webDomain } : {}) } } : o));
    expect(compareManifests(env(baseline), env(baseline, 'ocw.social'))).toEqual([]);
    // A new domain without a web domain: one change, the domain's.
    expect(ids(changesFor((x) => { x.domain = 'fedi.example'; }).filter((c) => /DOMAIN/.test(c.id)))).toEqual(['change LOCAL_DOMAIN ocw.social -> fedi.example']);
  });

  test('the domain\'s steps do not recommend another unsafe change', () => {
    const [c] = changesFor((x) => { x.domain = 'fedi.example'; }).filter((x) => /LOCAL_DOMAIN/.test(x.id));
    expect(c.steps.join(' ')).not.toMatch(/set the web domain/);
  });

  test('the media store\'s endpoint changed (another provider under the same bucket name)', () => {
    const changes = changesFor((x) => { x.media.s3.endpoint = 'https://s3.us-west-004.backblazeb2.com'; });
    expect(ids(changes)).toEqual(['change media endpoint https://s3.eu-central-003.backblazeb2.com -> https://s3.us-west-004.backblazeb2.com']);
    // The example serves media from its own host (S3_ALIAS_HOST): that host reads one store of the two.
    expect(changes[0].consequence).toMatch(/the media host media\.ocw\.social serves from one of the two stores, so the files of the other answer 404/);
  });

  test('the media bucket changed', () => {
    const changes = changesFor((x) => { x.media.s3.bucket = 'other-media'; });
    expect(ids(changes)).toEqual(['change media bucket ocw-social-media -> other-media']);
    expect(changes[0].consequence).toMatch(/every attachment.*404/);
  });

  test('backup retention shortened: the ObjectStore retentionPolicy and the snapshot keep count', () => {
    expect(ids(changesFor((x) => { x.database.backup.objectStore.retentionPolicy = '7d'; })))
      .toEqual(['shorten retentionPolicy of ObjectStore mastodon/ocw-db-store 30d -> 7d']);
    expect(changesFor((x) => { x.database.backup.objectStore.retentionPolicy = '8w'; })).toEqual([]);
    expect(ids(changesFor((x) => { x.database.backup.volumeSnapshot.keep = 2; })))
      .toEqual(['lower snapshot keep of CronJob mastodon/ocw-db-snapshot-retention 4 -> 2']);
    expect(changesFor((x) => { x.database.backup.volumeSnapshot.keep = 6; })).toEqual([]);
  });

  test('the ObjectStore endpoint or credentials Secret changed', () => {
    expect(ids(changesFor((x) => { x.database.backup.objectStore.endpointURL = 'https://s3.example.org'; })))
      .toEqual(['change endpointURL of ObjectStore mastodon/ocw-db-store https://s3.eu-central-003.backblazeb2.com -> https://s3.example.org']);
    expect(ids(changesFor((x) => { x.database.backup.objectStore.credentialsSecret = { name: 'other-s3' }; })))
      .toEqual(['change s3Credentials of ObjectStore mastodon/ocw-db-store ocw-backup-s3 -> other-s3']);
  });

  test('the Argo CD Application\'s source or destination changed', () => {
    const argo = (change: (c: any) => void = () => undefined) => Testing.synth(new ArgoCdChart(Testing.app(), 'argocd', { config: resolved(withChange(exampleRaw(), change)) })) as Manifest[];
    const changes = compareManifests(argo(), argo((x) => { x.argocd.targetRevision = 'release'; }));
    expect(ids(changes)).toEqual(['change source of Application argocd/ocw-mastodon https://github.com/ocw-social/gitops.git dist main -> https://github.com/ocw-social/gitops.git dist release']);
    expect(changes[0].consequence).toMatch(/automated prune it deletes every object the new source does not hold/);
    const ns = compareManifests(argo(), argo((x) => { x.namespace = 'fedi'; }));
    expect(ids(ns)).toEqual(['change destination of Application argocd/ocw-mastodon https://kubernetes.default.svc mastodon -> https://kubernetes.default.svc fedi']);
    expect(ns[0].consequence).toMatch(/old namespace the objects are pruned/);
    // Another cluster (an Application edited by hand): the old objects are left running there.
    const moved = argo().map((o) => (o.kind === 'Application' ? { ...o, spec: { ...o.spec, destination: { ...o.spec.destination, server: 'https://other:6443' } } } : o));
    const other = compareManifests(argo(), moved);
    expect(ids(other)).toEqual(['change destination of Application argocd/ocw-mastodon https://kubernetes.default.svc mastodon -> https://other:6443 mastodon']);
    expect(other[0].consequence).toMatch(/old cluster are not removed[\s\S]*argo-cd#9172[\s\S]*empty database/);
    expect(other[0].steps.join(' ')).toMatch(/stop the old server[\s\S]*kubectl scale deployment --all --replicas=0 -n mastodon/);
    expect(ns[0].steps.join(' ')).not.toMatch(/stop the old server/);
  });
});

describe('Postgres majors (CloudNativePG 1.30.0)', () => {
  test('the major is read from the image tag', () => {
    expect([postgresMajor('ghcr.io/cloudnative-pg/postgresql:17-standard-trixie'), postgresMajor('x/postgresql:16.4'), postgresMajor('x/postgresql:18'), postgresMajor('x@sha256:ab')])
      .toEqual([17, 16, 18, undefined]);
  });

  test('an upgrade needs an acknowledgement and states the downtime and the backup first', () => {
    const all = changesFor((c) => { c.database.postgresMajor = 18; });
    // The same serverName across the upgrade: the new timeline 1 overwrites the old archive's.
    expect(ids(all)).toEqual(['reuse the WAL archive serverName ocw-db of Cluster mastodon/ocw-db across Postgres 17 -> 18', 'upgrade Postgres of Cluster mastodon/ocw-db 17 -> 18']);
    expect(all[1].severity).toBe('destructive');
    expect(all.find((c) => c.id.startsWith('reuse'))!.consequence).toMatch(/timeline 1/);
    const changes = all.filter((c) => c.id.startsWith('upgrade'));
    expect(changes[0].severity).toBe('destructive');
    expect(changes[0].consequence).toMatch(/offline.*pg_upgrade.*down for the whole Job/);
    expect(changes[0].steps[0]).toMatch(/fresh base backup first.*kubectl cnpg backup <cluster> -n <namespace> --method plugin --plugin-name barman-cloud\.cloudnative-pg\.io/);
    expect(changes[0].steps.join('\n')).toMatch(/17\.0 to 17\.5.*max_slot_wal_keep_size.*SELECT version\(\)/);
    expect(changes[0].steps.join('\n')).toMatch(/serverName to a new name \(e\.g\. <cluster>-pg18\)/);
    // Done as the guide says, the serverName change is named too.
    expect(ids(changesFor((c) => { c.database.postgresMajor = 18; c.database.backup.objectStore.serverName = 'ocw-db-pg18'; }))).toEqual([
      'change serverName of Cluster mastodon/ocw-db plugin barman-cloud.cloudnative-pg.io ocw-db -> ocw-db-pg18',
      'upgrade Postgres of Cluster mastodon/ocw-db 17 -> 18',
    ]);
  });

  test('a downgrade is the documented revert of a failed upgrade: acknowledgeable, saying when it is legitimate', () => {
    const down = changesFor((c) => { c.database.postgresMajor = 16; });
    expect(down.map((c) => [c.id, c.severity])).toEqual([['downgrade Postgres of Cluster mastodon/ocw-db 17 -> 16', 'destructive']]);
    expect(down[0].consequence).toMatch(/\.status\.pgDataImageInfo\.majorVersion.*still 16/);
    expect(judgeChanges(down, []).blocked).toEqual(down);
    expect(judgeChanges(down, [down[0].id]).blocked).toEqual([]);
  });

  test('digest-pinned images, as rendered: the major comes from the tag before @', () => {
    const digest = '@sha256:' + 'a'.repeat(64);
    const pinned = (major: number) => render(withChange(exampleRaw(), (c) => { c.database.postgresMajor = major; c.database.imageName = `ghcr.io/cloudnative-pg/postgresql:${major}.6-standard-trixie${digest}`; }));
    const base = pinned(17);
    const cluster = base.find((o) => o.kind === 'Cluster')!;
    expect(cluster.spec.imageName).toBe(`ghcr.io/cloudnative-pg/postgresql:17.6-standard-trixie${digest}`);
    expect(cluster.metadata.labels!['app.kubernetes.io/version']).toBe('17.6-standard-trixie');
    expect(postgresMajor(cluster.spec.imageName)).toBe(17);
    expect(ids(compareManifests(base, pinned(18)))).toEqual(['upgrade Postgres of Cluster mastodon/ocw-db 17 -> 18', expect.stringMatching(/^reuse the WAL archive/)].sort());
    expect(ids(compareManifests(base, pinned(16)))).toEqual(['downgrade Postgres of Cluster mastodon/ocw-db 17 -> 16']);
    // From the default image to the same major pinned by digest: no change of major, nothing to say.
    expect(ids(compareManifests(baseline, base))).toEqual([]);
  });

  test('a major upgrade onto another OS distribution is refused (CloudNativePG supports only the same one)', () => {
    const bookworm = render(withChange(exampleRaw(), (c) => { c.database.imageName = 'ghcr.io/cloudnative-pg/postgresql:17.6-standard-bookworm'; }));
    const up = changesFor((c) => { c.database.postgresMajor = 18; c.database.backup.objectStore.serverName = 'ocw-db-pg18'; }, bookworm);
    expect(up.filter((c) => /^upgrade/.test(c.id)).map((c) => [c.id, c.severity])).toEqual([['upgrade Postgres of Cluster mastodon/ocw-db 17 -> 18 from bookworm to trixie', 'refused']]);
    const same = changesFor((c) => { c.database.postgresMajor = 18; c.database.imageName = 'ghcr.io/cloudnative-pg/postgresql:18.1-standard-bookworm'; c.database.backup.objectStore.serverName = 'ocw-db-pg18'; }, bookworm);
    expect(same.filter((c) => /^upgrade/.test(c.id)).map((c) => [c.id, c.severity])).toEqual([['upgrade Postgres of Cluster mastodon/ocw-db 17 -> 18', 'destructive']]);
  });

  test('the distribution of the tag forms CloudNativePG publishes: catalog (timestamped), PostGIS, short', () => {
    // The ClusterImageCatalog postgresql-standard-trixie lists `<major>.<minor>-<timestamp>-standard-trixie@sha256:…`
    // (cloudnative-pg/artifacts image-catalogs); PostGIS: CloudNativePG v1.30.0 docs/src/postgis.md (`18.4-3.6.2-system-trixie`).
    const digest = '@sha256:' + 'b'.repeat(64);
    const cluster = (imageName: string) => edited('Cluster', 'ocw-db', (o) => { o.spec.imageName = imageName; });
    const up = (from: string, to: string) => compareManifests(cluster(from), cluster(to)).filter((c) => /^upgrade/.test(c.id)).map((c) => c.severity);
    expect(up(`ghcr.io/cloudnative-pg/postgresql:17.11-202608310816-standard-bookworm${digest}`, `ghcr.io/cloudnative-pg/postgresql:18.6-202608310817-standard-trixie${digest}`)).toEqual(['refused']);
    expect(up('ghcr.io/cloudnative-pg/postgis:17-3.6.2-system-bookworm', 'ghcr.io/cloudnative-pg/postgis:18.4-3.6.2-system-trixie')).toEqual(['refused']);
    expect(up('ghcr.io/cloudnative-pg/postgresql:17.6-bookworm', 'ghcr.io/cloudnative-pg/postgresql:18.1-trixie')).toEqual(['refused']);
    expect(up(`ghcr.io/cloudnative-pg/postgresql:17.11-202608310816-standard-trixie${digest}`, 'ghcr.io/cloudnative-pg/postgresql:18-standard-trixie')).toEqual(['destructive']);
    // No distribution in the tag: nothing to compare.
    expect(up('ghcr.io/cloudnative-pg/postgresql:17.6', 'ghcr.io/cloudnative-pg/postgresql:18-standard-trixie')).toEqual(['destructive']);
  });

  test('an upgrade to below 16 is refused whatever is acknowledged', () => {
    const base14 = render(withChange(exampleRaw(), (c) => { c.database.postgresMajor = 14; }));
    const up15 = changesFor((c) => { c.database.postgresMajor = 15; }, base14);
    expect(up15.map((c) => [c.id, c.severity])).toEqual([['upgrade Postgres of Cluster mastodon/ocw-db 14 -> 15', 'refused']]);
  });

  test('a new image and new parameters together are refused under switchover (validateConfigurationChange)', () => {
    const next = edited('Cluster', 'ocw-db', (o) => { o.spec.imageName = 'ghcr.io/cloudnative-pg/postgresql:17.6-standard-trixie'; o.spec.postgresql.parameters.max_connections = '80'; });
    expect(compareManifests(baseline, next).map((c) => [c.id, c.severity])).toEqual([['change imageName and postgresql.parameters of Cluster mastodon/ocw-db together', 'refused']]);
  });
});

describe('Mastodon versions', () => {
  test('a downgrade needs an acknowledgement: legitimate only after restoring the database from before the upgrade', () => {
    const changes = changesFor((c) => { c.mastodon.version = 'v4.1.0'; });
    expect(changes.map((c) => [c.id, c.severity])).toEqual([['downgrade Mastodon v4.7.2 -> v4.1.0', 'destructive']]);
    expect(changes[0].consequence).toMatch(/migrations only run forward/);
    expect(changes[0].consequence).toMatch(/only after restoring the database from a backup taken before/);
  });

  test('a digest-pinned Mastodon image: the version comes from the tag before @', () => {
    const pin = (v: string) => (o: any) => { for (const c of o.spec.template.spec.containers) c.image = `ghcr.io/mastodon/mastodon:${v}@sha256:${'b'.repeat(64)}`; };
    const base = edited('Deployment', 'ocw-web', pin('v4.7.2'));
    expect(ids(compareManifests(base, edited('Deployment', 'ocw-web', pin('v4.6.0'))))).toEqual(['downgrade Mastodon v4.7.2 -> v4.6.0']);
  });

  test('an upgrade passes, with the steps the release notes ask for when there are any', () => {
    const base = render(withChange(exampleRaw(), (c) => { c.mastodon.version = 'v4.5.0'; }));
    expect(changesFor((c) => { c.mastodon.version = 'v4.7.2'; }, base)).toEqual([]);
    const steps = (from: string, to: string) => [`${from}..${to}: run tootctl something`];
    const [n] = compareManifests(base, baseline, { mastodonSteps: steps });
    expect([n.id, n.severity, n.steps]).toEqual(['upgrade Mastodon v4.5.0 -> v4.7.2', 'notice', ['v4.5.0..v4.7.2: run tootctl something']]);
  });
});

describe('the upgrade notes of lib/rules/upgrade-notes.ts', () => {
  const changelog = fs.readFileSync(path.join(ROOT, 'CHANGELOG.md'), 'utf8');
  const version = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  const notes = upgradeNotesFor(changelog, version);
  const at = (v: string) => render(withChange(exampleRaw(), (c) => { c.mastodon.version = v; }));

  test('a Mastodon upgrade across releases whose notes ask for steps prints them, with their source', () => {
    const [n] = compareManifests(at('v4.2.0'), at('v4.3.0'), notes);
    expect([n.id, n.severity]).toEqual(['upgrade Mastodon v4.2.0 -> v4.3.0', 'notice']);
    expect(n.steps.join('\n')).toMatch(/^v4\.3\.0: Active Record encryption keys are required.*\(mastodon\/mastodon v4\.5\.6 CHANGELOG\.md/m);
  });

  test('a patch release passes silently, even past the releases the catalog was read up to', () => {
    expect(compareManifests(baseline, at('v4.7.3'), notes)).toEqual([]);
    expect(compareManifests(at('v4.6.0'), baseline, notes).map((c) => c.id)).toEqual(['upgrade Mastodon v4.6.0 -> v4.7.2']);
  });

  test('a baseline without the version annotation counts as 0.1.0: the CHANGELOG notes since then are printed', () => {
    // render() leaves the annotation to synthesizeApp (test/version-annotation.test.ts).
    expect(baseline.some((o) => o.metadata.annotations?.['cdk8s-mastodon/version'])).toBe(false);
    const stamped = baseline.map((o) => ({ ...o, metadata: { ...o.metadata, annotations: { ...o.metadata.annotations, 'cdk8s-mastodon/version': version } } }));
    const [n] = compareManifests(baseline, stamped, notes);
    expect([n.id, n.severity]).toEqual([`upgrade cdk8s-mastodon 0.1.0 -> ${version}`, 'notice']);
    expect(n.steps.length).toBeGreaterThan(0);
    expect(n.steps.every((s) => /^\d+\.\d+\.\d+: /.test(s))).toBe(true);
    // The same version on both sides: nothing.
    expect(compareManifests(stamped, stamped, notes)).toEqual([]);
  });
});

describe('benign changes pass without a word', () => {
  test.each<[string, (c: any) => void]>([
    ['replicas', (c) => { c.web.replicas = 3; c.streaming.replicas = 3; }],
    ['resources', (c) => { c.web.resources.requests.memory = '1Gi'; c.database.resources.requests.cpu = '500m'; }],
    ['an image patch release', (c) => { c.mastodon.version = 'v4.7.3'; }],
    ['a new Sidekiq process', (c) => { c.sidekiq.processes.push({ name: 'ingress', pool: 'cloud', concurrency: 5, resources: { requests: { cpu: '100m', memory: '640Mi' }, limits: { memory: '1Gi' } } }); }],
    ['a bigger database volume', (c) => { c.database.storage.size = '30Gi'; }],
  ])('%s', (_what, change) => {
    expect(changesFor(change)).toEqual([]);
  });

  test('the library version annotation', () => {
    const stamp = (objects: Manifest[], v: string) => objects.map((o) => ({ ...o, metadata: { ...o.metadata, annotations: { ...o.metadata.annotations, 'cdk8s-mastodon/version': v } } }));
    expect(compareManifests(stamp(baseline, '0.1.0'), stamp(baseline, '0.2.0'))).toEqual([]);
    const notes = compareManifests(stamp(baseline, '0.1.0'), stamp(baseline, '0.2.0'), { libraryNotes: (from) => [`since ${from}: rename the backup Secret's keys`] });
    expect(notes.map((c) => [c.id, c.severity, c.steps])).toEqual([['upgrade cdk8s-mastodon 0.1.0 -> 0.2.0', 'notice', ['since 0.1.0: rename the backup Secret\'s keys']]]);
  });

  test('no baseline (the first synth) has nothing to compare', () => {
    expect(compareManifests([], baseline)).toEqual([]);
  });
});

describe('acknowledgements', () => {
  test('the config field takes a list of ids, and says how when it gets something else', () => {
    expect(messageAt(errorsOf(withChange(exampleRaw(), (c) => { c.acknowledge = 'rename Cluster mastodon/ocw-db -> mastodon/fedi-db'; })), 'acknowledge'))
      .toBe('must be a list of change ids, one per line: - "rename Cluster mastodon/ocw-db -> mastodon/fedi-db"');
    expect(messageAt(errorsOf(withChange(exampleRaw(), (c) => { c.acknowledge = ['']; })), 'acknowledge[0]')).toBe('an acknowledgement names one change: copy the line synth prints');
  });

  const changes = changesFor((c) => { c.name = 'fedi'; c.mastodon.version = 'v4.6.0'; });

  test('only the exact id lets a destructive change through; a refused one never passes', () => {
    const v = judgeChanges(changes, ['rename Cluster mastodon/ocw-db -> mastodon/fedi-db', 'rename Cluster mastodon/ocw-db -> mastodon/other-db', 'rename ObjectStore']);
    expect(ids(v.acknowledged)).toEqual(['rename Cluster mastodon/ocw-db -> mastodon/fedi-db']);
    expect(ids(v.blocked)).toEqual([
      'downgrade Mastodon v4.7.2 -> v4.6.0',
      'rename ObjectStore mastodon/ocw-db-store -> mastodon/fedi-db-store',
      'rename StatefulSet mastodon/ocw-redis -> mastodon/fedi-redis',
    ].sort());
    expect(v.stale).toEqual(['rename Cluster mastodon/ocw-db -> mastodon/other-db', 'rename ObjectStore']);
  });

  test('the report names the object, the change, the consequence and the line to add', () => {
    const refused = compareManifests(baseline, edited('Cluster', 'ocw-db', (o) => { o.spec.imageName = 'ghcr.io/cloudnative-pg/postgresql:17.6-standard-trixie'; o.spec.postgresql.parameters.max_connections = '80'; }));
    const v = judgeChanges([...changesFor((c) => { c.database.storage.size = '10Gi'; }), ...refused], ['remove Cluster mastodon/x']);
    const text = formatVerdict(v, 'config/server.yaml', 'dist/');
    expect(text).toContain('Cluster mastodon/ocw-db: shrink storage of Cluster mastodon/ocw-db 20Gi -> 10Gi');
    expect(text).toMatch(/on the cluster: CloudNativePG's webhook refuses it/);
    expect(text).toContain('to go ahead on purpose, add to config/server.yaml:\n        acknowledge:\n          - "shrink storage of Cluster mastodon/ocw-db 20Gi -> 10Gi"');
    expect(text).toMatch(/Cluster mastodon\/ocw-db: change imageName and postgresql\.parameters of Cluster mastodon\/ocw-db together[\s\S]*this cannot be acknowledged/);
    expect(text).toContain('acknowledgement in config/server.yaml matches no change against dist/: "remove Cluster mastodon/x" (check the id for a typo; if its change has landed, remove the line once that is merged)');
    // An id of no shape the guard writes is a typo for sure.
    expect(formatVerdict(judgeChanges([], ['shrink storage of Clutser x']), 'c.yaml', 'dist/')).toBe('acknowledgement in c.yaml matches no change against dist/: "shrink storage of Clutser x" (check the id for a typo; if its change has landed, remove the line once that is merged)');
    expect(formatVerdict(judgeChanges([], ['delete the db']), 'c.yaml', 'dist/')).toBe('acknowledgement in c.yaml is no change id the guard writes: "delete the db" (copy the id from the guard\'s report)');
  });
});

test('a dist/ edited by hand: any field of an object the guard reads, as null, a string or a list, is compared, never thrown', () => {
  const kinds = new Set(['Cluster', 'StatefulSet', 'PersistentVolumeClaim', 'ObjectStore', 'Deployment', 'ConfigMap', 'ScheduledBackup', 'CronJob', 'Pooler']);
  const paths = (o: unknown, at: string[] = []): string[][] => (o === null || typeof o !== 'object' || at.length >= 4 ? []
    : Object.entries(o).flatMap(([k, v]) => [[...at, k], ...paths(v, [...at, k])]));
  let tried = 0;
  baseline.forEach((o) => {
    if (!kinds.has(o.kind)) return;
    for (const p of paths(o).filter((q) => q[0] !== 'kind' && !(q[0] === 'metadata' && (q.length === 1 || q[1] === 'name')))) {
      for (const odd of [null, 'x', [1]]) {
        const copy = structuredClone(o) as any;
        let parent = copy;
        for (const k of p.slice(0, -1)) parent = parent[k];
        parent[p[p.length - 1]] = odd;
        tried++;
        // The object against itself as rendered, both ways: every rule that reads its kind runs.
        expect(() => [compareManifests([copy as Manifest], [o]), compareManifests([o], [copy as Manifest])]).not.toThrow();
      }
    }
  });
  expect(tried).toBeGreaterThan(1000);
});
