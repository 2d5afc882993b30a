/**
 * The change guard: compares the manifests in place (the baseline: dist/ on disk, or dist/ at a
 * git commit) with the ones about to replace them, and lists every change that loses data, that
 * the API server or an operator refuses, or that needs steps first. Pure: no I/O.
 *
 * Objects are matched by kind, namespace and name. A stateful object of one kind removed while
 * one of the same kind is added is a rename; a removal alone is reported too.
 */
import type { Manifest } from '../model';
import { parseImageReference, postgresMajorOfTag } from './images';
import { parseMemory } from './quantity';
import { compareVersions as compareSemver, libraryUpgradeNotes, MASTODON_CATALOG_READ_UP_TO, mastodonUpgradeSteps, VERSION_ANNOTATION, VERSION_BEFORE_ANNOTATION } from './upgrade-notes';

/** How a change is handled. */
export type ChangeSeverity =
  /** Loses data or breaks the cluster unless done on purpose: refused until acknowledged. */
  | 'destructive'
  /** Refused whatever the config says (a downgrade that cannot work). */
  | 'refused'
  /** Goes through, with steps printed (an upgrade whose release notes ask for something). */
  | 'notice';

/** One change between the baseline and the new manifests that the guard speaks about. */
export interface GuardChange {
  /** Names the exact change; it is also the line that acknowledges it (`acknowledge:` in the config). */
  readonly id: string;
  readonly severity: ChangeSeverity;
  /** The object, as `Kind namespace/name`. */
  readonly object: string;
  /** What happens on the cluster when it is applied. */
  readonly consequence: string;
  /** What to do before (or instead), one step a line. */
  readonly steps: readonly string[];
}

/** Release notes the guard prints with an upgrade (lib/rules/upgrade-notes.ts provides them). */
export interface UpgradeNotes {
  /** The steps Mastodon's release notes ask for between two versions (`v4.3.0`, `v4.5.1`). */
  readonly mastodonSteps?: (from: string, to: string) => readonly string[];
  /** The library's CHANGELOG notes after `fromVersion` up to the running one. */
  readonly libraryNotes?: (fromVersion: string) => readonly string[];
}

/** The generated keys Mastodon reads from its Secret (mastodon.secretName). */
const MASTODON_SECRET_KEY = 'SECRET_KEY_BASE';

/** Kinds whose objects hold data (or name where it lives): renaming or removing one is destructive. */
const STATEFUL_KINDS = ['Cluster', 'PersistentVolumeClaim', 'StatefulSet', 'ObjectStore'] as const;

/** Kinds whose `spec.selector` the API server refuses to change (apps/v1). */
const SELECTOR_KINDS = ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet'];

/** `Kind namespace/name`, or `Kind name` for a cluster-scoped object. */
export function objectKey(o: Manifest): string {
  return `${o.kind} ${objectRef(o)}`;
}

const objectRef = (o: Manifest) => (o.metadata.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : o.metadata.name);

const what: Readonly<Record<string, string>> = {
  Cluster: 'the CloudNativePG Cluster (the database)',
  PersistentVolumeClaim: 'the volume claim',
  StatefulSet: 'the StatefulSet and its volumes',
  ObjectStore: 'the backup ObjectStore (WAL archive and base backups)',
};

/** What happens when a stateful object of `kind` goes away and (for a rename) `added` takes its place. */
function lossOf(kind: string, removed: Manifest, added?: Manifest): string {
  const next = added ? ` Its replacement ${objectRef(added)} starts empty.` : '';
  switch (kind) {
    case 'Cluster':
      return added
        ? `Argo CD keeps the old Cluster (Prune=false), but Mastodon is pointed at a new, empty database ${objectRef(added)}: the migration Job seeds it and the server comes back empty on the same domain, with the old data left behind in ${objectRef(removed)}. (Unless a Cluster named ${objectRef(added)} is still kept on the cluster from before, as when this reverts an earlier rename: then Mastodon finds that one's data, as it was before the first rename.)`
        : `Argo CD keeps the old Cluster (Prune=false), but Mastodon no longer uses it: whatever database it connects to instead does not hold the data of ${objectRef(removed)} unless it was moved there first.`;
    case 'ObjectStore': {
      // The Cluster is Prune=false,Delete=false; the ObjectStore is not (lib/postgres-cluster.ts).
      const pruned = ` Argo CD prunes the old ObjectStore ${objectRef(removed)} while it keeps the old Cluster: the files in the bucket stay, but a Cluster still naming it can no longer archive WAL or take backups.`;
      return added
        ? `The WAL archive and base backups continue in ${objectRef(added)}: the continuity of the archive breaks, and with it point-in-time recovery across the change.${pruned}`
        : `WAL archiving and base backups stop: there is no point-in-time recovery for anything written after the change.${pruned}`;
    }
    case 'StatefulSet':
      return added
        ? `Its volume claims belong to the old name: ${objectRef(added)} binds new, empty volumes (for Redis: queued Sidekiq jobs, home feeds and cached sessions are lost), and the old claims stay unused.`
        : 'Its pods stop; its volume claims stay (whenDeleted: Retain) but nothing uses them, and what replaces it starts without their data (for Redis: queued Sidekiq jobs, home feeds and cached sessions).';
    default:
      return keptByArgoCd(removed)
        ? `Argo CD keeps the old claim (Prune=false), but nothing mounts it any more: the pods get ${added ? `the new, empty ${objectRef(added)}` : 'no volume'}, and the files on the old one (uploaded media) are no longer served.`
        : `Argo CD prunes the claim; with the usual reclaim policy Delete its volume and the data on it are deleted.${next}`;
  }
}

/** True when Argo CD never prunes the object (sync option Prune=false). */
function keptByArgoCd(o: Manifest): boolean {
  return /(^|,)\s*Prune=false\s*(,|$)/.test(o.metadata.annotations?.['argocd.argoproj.io/sync-options'] ?? '');
}

function stateful(o: Manifest): boolean {
  if (o.kind === 'StatefulSet') return list(o.spec?.volumeClaimTemplates).length > 0;
  return (STATEFUL_KINDS as readonly string[]).includes(o.kind);
}

/** The size of a quantity in bytes, or undefined when it is not one. */
function bytes(q: unknown): number | undefined {
  if (typeof q !== 'string' && typeof q !== 'number') return undefined;
  try {
    return parseMemory(String(q));
  } catch {
    return undefined;
  }
}

/** `a=b,c=d`, sorted: a selector as one comparable string. */
function selectorText(s: unknown): string {
  const sel = (s ?? {}) as { matchLabels?: Record<string, string>; matchExpressions?: unknown[] };
  const labels = Object.entries(sel.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`).sort();
  const exprs = list(sel.matchExpressions).map((e) => JSON.stringify(e)).sort();
  return [...labels, ...exprs].join(',') || '(none)';
}

/** Every `namespace/name` of a secretKeyRef reading `key`, anywhere in the objects (a Secret is read in its pod's namespace). */
function secretNamesFor(objects: readonly Manifest[], key: string): string[] {
  const found = new Set<string>();
  const walk = (v: unknown, ns: string): void => {
    if (Array.isArray(v)) v.forEach((x) => walk(x, ns));
    else if (v && typeof v === 'object') {
      const ref = (v as { secretKeyRef?: { key?: string; name?: string } }).secretKeyRef;
      if (ref?.key === key && typeof ref.name === 'string') found.add(`${ns}/${ref.name}`);
      Object.values(v).forEach((x) => walk(x, ns));
    }
  };
  objects.forEach((o) => walk(o, o.metadata.namespace ?? ''));
  return [...found].sort();
}

/** `ns/name` lists shown without the namespace when every one is in the same namespace (as before). */
function secretLabels(a: readonly string[], b: readonly string[]): [string, string] {
  const nss = new Set([...a, ...b].map((x) => x.split('/')[0]));
  const show = (l: readonly string[]) => l.map((x) => (nss.size === 1 ? x.slice(x.indexOf('/') + 1) : x)).join(',');
  return [show(a), show(b)];
}

/** A Mastodon version (`v4.7.2`, `4.7.2-beta.1`) as numbers, or undefined. */
export function parseMastodonVersion(tag: string): readonly [number, number, number] | undefined {
  const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(tag);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}

function compareTuples(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) - (b[i] ?? 0);
  return 0;
}

/** The tag of an image reference (`repo:tag`, `repo:tag@sha256:…`), or undefined when it has none. */
const imageTag = (image: unknown) => (typeof image === 'string' ? parseImageReference(image).tag : undefined);

/** A field that should be a list, as a list: a dist/ edited by hand may hold anything there. */
const list = (v: unknown): any[] => (Array.isArray(v) ? v : []);

/** The `app.kubernetes.io/version` label: what the library rendered, when a digest-only image has no tag. */
const versionLabel = (o: Manifest | undefined) => o?.metadata.labels?.['app.kubernetes.io/version'];

/** The Mastodon release the web (else Sidekiq) Deployment runs, from its image tag. */
function mastodonVersion(objects: readonly Manifest[]): string | undefined {
  for (const component of ['web', 'sidekiq']) {
    const d = objects.find((o) => o.kind === 'Deployment' && o.metadata.labels?.['app.kubernetes.io/component'] === component);
    for (const tag of [imageTag(d?.spec?.template?.spec?.containers?.[0]?.image), versionLabel(d)]) {
      if (tag && parseMastodonVersion(tag)) return tag;
    }
  }
  return undefined;
}

/** The Postgres major of a CNPG image (`…/postgresql:17-standard-trixie`, `…:16.4`), or undefined. */
export function postgresMajor(imageName: unknown): number | undefined {
  return postgresMajorOfTag(imageTag(imageName));
}

/**
 * The OS distribution a CNPG image tag names: its last part when that is a word
 * (`17-standard-trixie`, `17.11-202608310816-standard-bookworm`, `18.4-3.6.2-system-trixie`,
 * `16.4-bookworm`), else undefined (`17.6`, `17.6.1-1`).
 */
const distribution = (o: Manifest) => {
  const last = /^\d.*-([a-z]+)$/.exec(imageTag(o.spec?.imageName) ?? '')?.[1];
  // The image types (container_images.md) are not distributions.
  return last && !['standard', 'minimal', 'system'].includes(last) ? last : undefined;
};

/** The Postgres major a Cluster runs: its image tag, else (a digest alone) its version label. */
const clusterMajor = (o: Manifest) => postgresMajor(o.spec?.imageName) ?? postgresMajorOfTag(versionLabel(o));

/** The fields (`spec.accessModes`, `metadata.labels`) two claim templates differ in, besides the size and class reported on their own. */
function templateFieldsChanged(a: any, b: any): string[] {
  const strip = (t: any) => {
    const copy = structuredClone(t ?? {});
    delete copy.spec?.resources?.requests?.storage;
    delete copy.spec?.storageClassName;
    return copy;
  };
  const [x, y] = [strip(a), strip(b)];
  const fields: string[] = [];
  for (const part of ['metadata', 'spec']) {
    const keys = new Set([...Object.keys(x[part] ?? {}), ...Object.keys(y[part] ?? {})]);
    for (const k of [...keys].sort()) if (JSON.stringify(x[part]?.[k]) !== JSON.stringify(y[part]?.[k])) fields.push(`${part}.${k}`);
  }
  return fields;
}

/** The changes between two volume claim templates of a StatefulSet, one line each. */
function templateChanges(key: string, before: Manifest, after: Manifest): GuardChange[] {
  const out: GuardChange[] = [];
  const byName = (o: Manifest) => new Map<string, any>(list(o.spec?.volumeClaimTemplates).map((t: any) => [t?.metadata?.name, t]));
  const a = byName(before);
  const b = byName(after);
  const refusal = 'The API server refuses any change of a StatefulSet\'s volumeClaimTemplates (only replicas, ordinals, template, updateStrategy, revisionHistoryLimit, persistentVolumeClaimRetentionPolicy and minReadySeconds may change): Argo CD\'s sync fails until the StatefulSet is deleted and created again, and existing claims keep their old size and class.';
  const steps = ['To grow a volume, edit the PersistentVolumeClaim (kubectl edit pvc) when its StorageClass allows expansion, then delete the StatefulSet with --cascade=orphan so Argo CD recreates it with the new template.'];
  for (const [name, t] of a) {
    const u = b.get(name);
    if (!u) {
      out.push({ id: `remove volumeClaimTemplate ${name} of ${key}`, severity: 'destructive', object: key, consequence: `${refusal} Pods recreated without it start on empty storage.`, steps });
      continue;
    }
    const sizeA = t.spec?.resources?.requests?.storage;
    const sizeB = u.spec?.resources?.requests?.storage;
    if (sizeA !== sizeB) out.push({ id: `change volumeClaimTemplate ${name} of ${key} size ${sizeA} -> ${sizeB}`, severity: 'destructive', object: key, consequence: refusal, steps });
    const classA = t.spec?.storageClassName ?? '(default)';
    const classB = u.spec?.storageClassName ?? '(default)';
    if (classA !== classB) out.push({ id: `change volumeClaimTemplate ${name} of ${key} storageClassName ${classA} -> ${classB}`, severity: 'destructive', object: key, consequence: refusal, steps });
    // Any other field of the template (accessModes, labels, volumeMode...) is refused just the same.
    const rest = templateFieldsChanged(t, u);
    if (rest.length > 0) out.push({ id: `change volumeClaimTemplate ${name} of ${key} ${rest.join(',')}`, severity: 'destructive', object: key, consequence: refusal, steps });
  }
  for (const name of b.keys()) {
    if (!a.has(name)) out.push({ id: `add volumeClaimTemplate ${name} to ${key}`, severity: 'destructive', object: key, consequence: refusal, steps });
  }
  return out;
}

/** The on-demand backup through the Barman Cloud plugin (without --method, the cnpg plugin makes a barmanObjectStore Backup, which fails here). */
const BACKUP_COMMAND = 'kubectl cnpg backup <cluster> -n <namespace> --method plugin --plugin-name barman-cloud.cloudnative-pg.io';
const FRESH_BACKUP = `Take a fresh base backup first and check it completed: ${BACKUP_COMMAND} (then kubectl get backups -n <namespace>).`;

/** The changes of one object that keeps its kind, namespace and name. */
function objectChanges(before: Manifest, after: Manifest): GuardChange[] {
  const key = objectKey(after);
  const out: GuardChange[] = [];
  const push = (id: string, consequence: string, steps: readonly string[] = [], severity: ChangeSeverity = 'destructive') =>
    out.push({ id, severity, object: key, consequence, steps });

  if (SELECTOR_KINDS.includes(after.kind)) {
    const a = selectorText(before.spec?.selector);
    const b = selectorText(after.spec?.selector);
    if (a !== b) {
      push(`change selector of ${key} ${a} -> ${b}`,
        'The API server refuses it (spec.selector is immutable in apps/v1): Argo CD\'s sync fails until the object is deleted and created again, which stops its pods meanwhile.',
        ['Delete the object (for a StatefulSet: kubectl delete --cascade=orphan, so its pods and volumes stay) and let Argo CD create it again.']);
    }
  }
  if (after.kind === 'StatefulSet') {
    // kubernetes/kubernetes pkg/apis/apps/validation/validation.go ValidateStatefulSetUpdate: the rest of spec is immutable.
    out.push(...templateChanges(key, before, after));
    if ((before.spec?.serviceName ?? '') !== (after.spec?.serviceName ?? '')) {
      push(`change serviceName of ${key} ${before.spec?.serviceName ?? '(none)'} -> ${after.spec?.serviceName ?? '(none)'}`,
        'The API server refuses it (a StatefulSet\'s serviceName is immutable): Argo CD\'s sync fails until the StatefulSet is deleted and created again.',
        ['Delete the StatefulSet with kubectl delete --cascade=orphan (pods and volumes stay) and let Argo CD create it again.']);
    }
    if ((before.spec?.podManagementPolicy ?? 'OrderedReady') !== (after.spec?.podManagementPolicy ?? 'OrderedReady')) {
      push(`change podManagementPolicy of ${key} ${before.spec?.podManagementPolicy ?? 'OrderedReady'} -> ${after.spec?.podManagementPolicy ?? 'OrderedReady'}`,
        'The API server refuses it (a StatefulSet\'s podManagementPolicy is immutable): Argo CD\'s sync fails until the StatefulSet is deleted and created again.');
    }
  }
  if (after.kind === 'PersistentVolumeClaim') {
    // kubernetes/kubernetes pkg/apis/core/validation/validation.go ValidatePersistentVolumeClaimUpdate: no shrink, spec otherwise immutable.
    const a = before.spec?.resources?.requests?.storage;
    const b = after.spec?.resources?.requests?.storage;
    const [ba, bb] = [bytes(a), bytes(b)];
    if (ba !== undefined && bb !== undefined && bb < ba) {
      push(`shrink ${key} ${a} -> ${b}`, 'The API server refuses to shrink a claim (its size can only grow): Argo CD\'s sync fails; the data stays on the larger volume.',
        ['To really shrink it: copy the data to a new, smaller claim under another name, switch to it, then remove the old one.']);
    }
    const ma = list(before.spec?.accessModes).join(',') || '(none)';
    const mb = list(after.spec?.accessModes).join(',') || '(none)';
    if (ma !== mb) {
      push(`change accessModes of ${key} ${ma} -> ${mb}`, 'The API server refuses it (a bound claim\'s spec is immutable but for its size): Argo CD\'s sync fails; deleting the claim to let it through deletes the data with it.',
        ['Copy the data to a new claim with the new access modes under another name, switch to it, then remove the old one.']);
    }
    const ca = before.spec?.storageClassName ?? '(default)';
    const cb = after.spec?.storageClassName ?? '(default)';
    if (ca !== cb) {
      push(`change storageClassName of ${key} ${ca} -> ${cb}`, 'The API server refuses it (a bound claim\'s storageClassName is immutable): Argo CD\'s sync fails; deleting the claim to let it through deletes the data with it.',
        ['Copy the data to a new claim of the new class under another name, switch to it, then remove the old one.']);
    }
  }
  if (after.kind === 'Cluster') out.push(...clusterChanges(key, before, after));
  if (after.kind === 'ObjectStore') out.push(...objectStoreChanges(key, before, after));
  if (after.kind === 'CronJob') {
    const [ka, kb] = [snapshotKeep(before), snapshotKeep(after)];
    if (ka !== undefined && kb !== undefined && kb < ka) {
      push(`lower snapshot keep of ${key} ${ka} -> ${kb}`,
        `At its next run the CronJob deletes every completed snapshot Backup beyond the newest ${kb}, and their VolumeSnapshots with them: the ${ka - kb} oldest restore points are gone for good.`,
        ['Keep the old count until you no longer need those snapshots (kubectl get backups -n <namespace> lists them).']);
    }
  }
  if (after.kind === 'Application') out.push(...applicationChanges(key, before, after));
  if (after.kind === 'ObjectStore') {
    // Only destinationPath: the v0.14.0 ObjectStore CRD forbids spec.configuration.serverName (CEL rule '!has(self.serverName)');
    // the archive's server name is the Cluster plugin's parameter, compared in clusterChanges.
    const [a, b] = [before.spec?.configuration?.destinationPath, after.spec?.configuration?.destinationPath];
    if (a !== b) {
      push(`change destinationPath of ${key} ${a ?? '(none)'} -> ${b ?? '(none)'}`,
        'WAL files and base backups go to a new place from the next archived segment on: the archive\'s continuity breaks, so point-in-time recovery to a moment before the change needs the old destinationPath, and recovery after it has no base backup until a new one is taken.',
        [`Take a new base backup right after the change (${BACKUP_COMMAND}), and keep the old archive until the retention period has passed.`]);
    }
  }
  return out;
}

/** The `keep` of the snapshot retention CronJob (lib/postgres-cluster.ts writes it into the script it runs), or undefined. */
function snapshotKeep(o: Manifest): number | undefined {
  const m = /completed snapshot backups, keeping (\d+)/.exec(JSON.stringify(o.spec ?? {}));
  return m ? Number(m[1]) : undefined;
}

/** A Barman retention policy (`30d`, `4w`, `6m`: plugin-barman-cloud v0.14.0 ObjectStore CRD) in days, or undefined. */
function retentionDays(p: unknown): number | undefined {
  const m = /^([1-9]\d*)([dwm])$/.exec(typeof p === 'string' ? p : '');
  return m ? Number(m[1]) * { d: 1, w: 7, m: 30 }[m[2] as 'd' | 'w' | 'm'] : undefined;
}

/** The ObjectStore's changes beyond the archive's place: retention, endpoint, credentials. */
function objectStoreChanges(key: string, before: Manifest, after: Manifest): GuardChange[] {
  const out: GuardChange[] = [];
  const push = (id: string, consequence: string, steps: readonly string[]) => out.push({ id, severity: 'destructive', object: key, consequence, steps });
  const [ra, rb] = [before.spec?.retentionPolicy, after.spec?.retentionPolicy];
  const [da, db] = [retentionDays(ra), retentionDays(rb)];
  if (da !== undefined && db !== undefined && db < da) {
    push(`shorten retentionPolicy of ${key} ${ra} -> ${rb}`,
      `The plugin applies the retention policy every 30 minutes (the ObjectStore's retentionPolicyIntervalSeconds, default 1800): base backups and WAL older than ${rb} are deleted from the object store, and point-in-time recovery to before then is gone for good.`,
      ['Keep the longer policy until you no longer need those restore points.']);
  }
  const [ea, eb] = [before.spec?.configuration?.endpointURL ?? '(default)', after.spec?.configuration?.endpointURL ?? '(default)'];
  if (ea !== eb) {
    push(`change endpointURL of ${key} ${ea} -> ${eb}`,
      'WAL and base backups go to another object store from the next archived segment on: the old archive is no longer written (nor pruned), and recovery needs it for anything before the change. If the new endpoint does not hold the bucket, archiving fails and WAL piles up on the database volumes until they fill.',
      [`Check the new endpoint with the same credentials, then take a new base backup right after the change (${BACKUP_COMMAND}).`]);
  }
  const creds = (o: Manifest) => [...new Set(Object.values(o.spec?.configuration?.s3Credentials ?? {}).map((r: any) => r?.name).filter((n) => typeof n === 'string'))].sort().join(',') || '(none)';
  const [ca, cb] = [creds(before), creds(after)];
  if (ca !== cb) {
    push(`change s3Credentials of ${key} ${ca} -> ${cb}`,
      'The archive is written with the keys of another Secret: if it is missing or its keys cannot write the bucket, WAL archiving stops, WAL piles up on the database volumes until they fill, and backups fail.',
      [`Create the Secret first (kubectl get secret ${cb} -n <namespace>), then take a new base backup right after the change (${BACKUP_COMMAND}) and check it completed.`]);
  }
  return out;
}

/** The Argo CD Application's changes: where it reads the manifests from, and where it deploys them. */
function applicationChanges(key: string, before: Manifest, after: Manifest): GuardChange[] {
  const out: GuardChange[] = [];
  const source = (o: Manifest) => ['repoURL', 'path', 'targetRevision'].map((f) => o.spec?.source?.[f] ?? '(none)').join(' ');
  const destination = (o: Manifest) => [o.spec?.destination?.server ?? o.spec?.destination?.name ?? '(none)', o.spec?.destination?.namespace ?? '(none)'].join(' ');
  if (source(before) !== source(after)) {
    out.push({ id: `change source of ${key} ${source(before)} -> ${source(after)}`, severity: 'destructive', object: key,
      consequence: 'Argo CD syncs from another repository, folder or revision: with automated prune it deletes every object the new source does not hold (all but the Cluster and the media claim, which are Prune=false), and if the source does not exist the sync fails and nothing is updated.',
      steps: ['Push the same dist/ to the new source first, then change it; apply dist/argocd.k8s.yaml by hand (kubectl apply -f), as Argo CD does not manage its own Application.'] });
  }
  if (destination(before) !== destination(after)) {
    const cluster = (o: Manifest) => String(o.spec?.destination?.server ?? o.spec?.destination?.name ?? '');
    // argoproj/argo-cd#1640 and #9172 (open): a new namespace prunes the old one's objects; a new cluster leaves them running there.
    const otherCluster = cluster(before) !== cluster(after);
    const elsewhere = otherCluster
      ? 'The objects in the old cluster are not removed (Argo CD looks for an application\'s objects in its current destination only, argoproj/argo-cd#9172): the old server keeps running beside the new one, its tunnel connectors answering for the same host names, one of the two in front of an empty database.'
      : 'In the old namespace the objects are pruned (automated prune), except those kept with Prune=false (the Cluster, the media claim), which stay without anything using them.';
    out.push({ id: `change destination of ${key} ${destination(before)} -> ${destination(after)}`, severity: 'destructive', object: key,
      consequence: `Argo CD deploys into another cluster or namespace: everything there starts empty (a new database, new volumes). ${elsewhere}`,
      steps: ['Move the data first (restore the database from its backups there, docs/restore.md), then change the destination.',
        ...(otherCluster ? [`Then stop the old server, so only one answers for the host names: once Argo CD deploys elsewhere it no longer self-heals the old objects, so scale the old cluster's Deployments to 0 there (kubectl scale deployment --all --replicas=0 -n ${before.spec?.destination?.namespace ?? '<namespace>'}), or delete them.`] : [])] });
  }
  return out;
}

/** The settings Mastodon reads from the rendered env ConfigMap that cannot change under a running server. */
function envChanges(baseline: readonly Manifest[], next: readonly Manifest[]): GuardChange[] {
  const env = (objects: readonly Manifest[]) => objects.find((o) => o.kind === 'ConfigMap' && typeof (o as any).data?.LOCAL_DOMAIN === 'string') as (Manifest & { data: Record<string, string> }) | undefined;
  const [a, b] = [env(baseline), env(next)];
  if (!a || !b) return [];
  const out: GuardChange[] = [];
  const object = objectKey(b);
  if (a.data.LOCAL_DOMAIN !== b.data.LOCAL_DOMAIN) {
    // mastodon/mastodon v4.5.0 .env.production.sample: LOCAL_DOMAIN "cannot be changed safely later".
    out.push({ id: `change LOCAL_DOMAIN ${a.data.LOCAL_DOMAIN} -> ${b.data.LOCAL_DOMAIN}`, severity: 'destructive', object,
      consequence: 'Mastodon\'s domain "cannot be changed safely later" (.env.production.sample): every account, status and key is federated as belonging to the old domain, so other servers reject or duplicate the accounts, follows break and old links stop resolving.',
      steps: ['Keep domain as it is. A server under another domain is a new server: accounts move to it with Mastodon\'s account migration (Move to a different account), which takes the followers along, not the posts.'] });
  }
  // docs.joinmastodon.org admin/config (mastodon/documentation content/en/admin/config.md): "As with LOCAL_DOMAIN, WEB_DOMAIN cannot be safely changed once set".
  const web = (d: Record<string, string>) => d.WEB_DOMAIN ?? d.LOCAL_DOMAIN;
  if (a.data.WEB_DOMAIN !== b.data.WEB_DOMAIN && web(a.data) !== web(b.data)) {
    out.push({ id: `change WEB_DOMAIN ${web(a.data)} -> ${web(b.data)}`, severity: 'destructive', object,
      consequence: 'Mastodon\'s documentation: "As with LOCAL_DOMAIN, WEB_DOMAIN cannot be safely changed once set, as this will confuse remote servers that know of your previous settings": account and status URLs federated so far name the old host, so other servers fail to reach them or fetch them again as new, and the tunnel routes of the old host stop answering.',
      steps: ['Keep the web domain as it is; to have another host lead to the server, redirect it to the web domain (e.g. a Cloudflare redirect rule).'] });
  }
  const [ea, eb] = [a.data.S3_ENDPOINT, b.data.S3_ENDPOINT];
  if (ea !== undefined && eb !== undefined && ea !== eb && a.data.S3_BUCKET === b.data.S3_BUCKET) {
    out.push({ id: `change media endpoint ${ea} -> ${eb}`, severity: 'destructive', object,
      consequence: `Mastodon stores new media at ${eb} from the next rollout on, while every attachment, avatar and header uploaded so far stays in ${a.data.S3_BUCKET} at ${ea}: ${a.data.S3_ALIAS_HOST ? `the media host ${a.data.S3_ALIAS_HOST} serves from one of the two stores, so the files of the other answer 404` : 'the files uploaded so far answer 404'} until they are copied over. (Another endpoint of the same provider and bucket, a regional one, moves nothing: acknowledge it.)`,
      steps: [`Copy the objects of ${a.data.S3_BUCKET} at ${ea} to the new store first (e.g. rclone sync), then change it.`] });
  }
  const [ba, bb] = [a.data.S3_BUCKET, b.data.S3_BUCKET];
  if (ba !== undefined && ba !== bb) {
    out.push({ id: `change media bucket ${ba} -> ${bb ?? '(none)'}`, severity: 'destructive', object,
      consequence: `Mastodon reads and writes media in ${bb === undefined ? 'another store' : `the bucket ${bb}`} from the next rollout on: every attachment, avatar and header uploaded so far (in ${ba}) answers 404 until it is copied over.`,
      steps: [`Copy the objects of ${ba} to the new store first (e.g. rclone sync), then change it.`] });
  }
  return out;
}

/** The archive's serverName of each plugin of a Cluster. */
const servers = (o: Manifest) => new Map<string, string | undefined>(list(o.spec?.plugins).map((p: any) => [p?.name, p?.parameters?.serverName]));

/** The Cluster's changes: storage, WAL storage, the Postgres major, the archive's serverName. */
function clusterChanges(key: string, before: Manifest, after: Manifest): GuardChange[] {
  const out: GuardChange[] = [];
  const push = (id: string, severity: ChangeSeverity, consequence: string, steps: readonly string[] = []) =>
    out.push({ id, severity, object: key, consequence, steps });
  // cloudnative-pg v1.30.0 internal/webhook/v1/cluster_webhook.go: validateStorageChange, validateWalStorageChange.
  for (const field of ['storage', 'walStorage'] as const) {
    const a = before.spec?.[field]?.size;
    const b = after.spec?.[field]?.size;
    const [ba, bb] = [bytes(a), bytes(b)];
    if (ba !== undefined && bb !== undefined && bb < ba) {
      push(`shrink ${field} of ${key} ${a} -> ${b}`, 'destructive', `CloudNativePG's webhook refuses it ("can't shrink existing storage"): Argo CD's sync of the Cluster fails, and the volumes keep ${a}.`,
        ['To move to smaller volumes, create a new Cluster from a backup (bootstrap.recovery) with the smaller size, then switch Mastodon to it.']);
    }
  }
  if (before.spec?.walStorage && !after.spec?.walStorage) {
    push(`remove walStorage of ${key}`, 'destructive', 'CloudNativePG\'s webhook refuses it ("walStorage cannot be disabled once configured"): Argo CD\'s sync of the Cluster fails.',
      ['Keep database.walStorage; to drop it, create a new Cluster from a backup without it.']);
  }
  const ma = clusterMajor(before);
  const mb = clusterMajor(after);
  if (ma !== undefined && mb !== undefined && ma !== mb) {
    if (mb < ma) {
      // cloudnative-pg v1.30.0 docs/src/postgres_upgrades.md: reverting the image after a failed upgrade is the documented rollback;
      // the webhook (validateImageChange) compares the new major with status.pgDataImageInfo.majorVersion, the data's major.
      push(`downgrade Postgres of ${key} ${ma} -> ${mb}`, 'destructive',
        `Legitimate only as the revert of a failed major upgrade: while the data's major (kubectl get cluster ${after.metadata.name} -n ${after.metadata.namespace ?? '<namespace>'} -o jsonpath='{.status.pgDataImageInfo.majorVersion}') is still ${mb}, CloudNativePG deletes the failed upgrade Job and restarts on the old data. Once the upgrade has completed the data directory is ${ma} and cannot go back: the webhook refuses it ("can't downgrade from major"), and Argo CD's sync of the Cluster fails.`,
        [`Check .status.pgDataImageInfo.majorVersion first: acknowledge only when it says ${mb}; otherwise set database.postgresMajor back to ${ma}.`]);
    } else if (mb < 16) {
      // The same webhook (validateImageChange) allows major upgrades only to 16 or higher.
      push(`upgrade Postgres of ${key} ${ma} -> ${mb}`, 'refused', `CloudNativePG 1.30.0 supports in-place major upgrades only to version 16 or higher; its webhook refuses ${mb}. Upgrade to 16 or later.`);
    } else if (distribution(before) && distribution(after) && distribution(before) !== distribution(after)) {
      // cloudnative-pg v1.30.0 docs/src/postgres_upgrades.md: "Major upgrades are only supported between images based on the same operating system distribution".
      push(`upgrade Postgres of ${key} ${ma} -> ${mb} from ${distribution(before)} to ${distribution(after)}`, 'refused',
        `CloudNativePG supports major upgrades "only between images based on the same operating system distribution": pg_upgrade would run the ${ma} binaries of ${distribution(before)} beside the ${mb} ones of ${distribution(after)}. Upgrade the major on ${distribution(before)} (database.imageName, e.g. …:${mb}.<minor>-standard-${distribution(before)}) first.`);
    } else {
      // cloudnative-pg v1.30.0 docs/src/postgres_upgrades.md: "Offline In-Place Major Upgrades".
      push(`upgrade Postgres of ${key} ${ma} -> ${mb}`, 'destructive',
        `CloudNativePG upgrades in place, offline: it shuts down every instance, runs pg_upgrade --link in a Job, then deletes the replicas' volumes and clones them again from the upgraded primary. The database, and with it Mastodon, is down for the whole Job (minutes to hours with the data size), and the replicas are rebuilt afterwards. Backups and WAL from ${ma} cannot be used for point-in-time recovery after the upgrade. If the Job fails, set postgresMajor back to ${ma}: the operator deletes the failed Job and restarts on the old data.`,
        [FRESH_BACKUP,
          // Same page, "Offline In-Place Major Upgrades": a PostgreSQL bug fixed in 17.6; this project sets max_slot_wal_keep_size.
          `PostgreSQL 17.0 to 17.5 cannot be upgraded while max_slot_wal_keep_size is not -1 (this project sets it): check kubectl cnpg psql <cluster> -n <namespace> -- -qAt -c 'SELECT version()' says 17.6 or later first (a minor update is a plain rolling update).`,
          'Plan the downtime (maintenance.enabled: true shows the maintenance page).',
          `Keep the old archive apart: set database.backup.objectStore.serverName to a new name (e.g. <cluster>-pg${mb}) in the same change, as CloudNativePG's upgrade guide shows for the Barman Cloud plugin (acknowledge that change too).`,
          'After the upgrade, take a new base backup at once and run ANALYZE (pg_upgrade does not carry optimizer statistics).']);
      for (const [plugin, server] of servers(after)) {
        if (servers(before).has(plugin) && servers(before).get(plugin) === server) {
          // cloudnative-pg v1.30.0 docs/src/postgres_upgrades.md, "Backup and WAL Archive Considerations".
          push(`reuse the WAL archive serverName ${server ?? after.metadata.name} of ${key} across Postgres ${ma} -> ${mb}`, 'destructive',
            `pg_upgrade starts a new system with timeline 1: its WAL goes to the same archive folder as ${ma}'s and its timeline 1 files may overwrite the old ones, so the archive mixes both majors and the pre-upgrade point-in-time recovery can break.`,
            [`Set database.backup.objectStore.serverName to a new name (e.g. <cluster>-pg${mb}) in the same change, and acknowledge that change instead.`]);
        }
      }
    }
  }
  if (before.spec?.imageName !== after.spec?.imageName && after.spec?.primaryUpdateMethod === 'switchover'
    && JSON.stringify(before.spec?.postgresql?.parameters ?? {}) !== JSON.stringify(after.spec?.postgresql?.parameters ?? {})) {
    // cloudnative-pg v1.30.0 internal/webhook/v1/cluster_webhook.go: validateConfigurationChange.
    push(`change imageName and postgresql.parameters of ${key} together`, 'refused',
      'CloudNativePG\'s webhook refuses a new image and new Postgres parameters in one change when primaryUpdateMethod is switchover. Change the parameters (resources, connection budget) in one commit and the version in the next.');
  }
  const sa = servers(before);
  for (const [plugin, b] of servers(after)) {
    const a = sa.get(plugin);
    if (sa.has(plugin) && a !== b) {
      push(`change serverName of ${key} plugin ${plugin} ${a ?? '(none)'} -> ${b ?? '(none)'}`, 'destructive',
        'The WAL archive continues under a new server name: the continuity of the archive breaks, and point-in-time recovery across the change needs the old name.',
        [`Take a new base backup right after the change (${BACKUP_COMMAND}).`]);
    }
  }
  return out;
}

/** Stateful objects of one kind and component gone: one removed while one is added is a rename. */
function removals(kind: string, removed: readonly Manifest[], added: readonly Manifest[]): GuardChange[] {
  if (removed.length === 1 && added.length === 1) {
    const [r, a] = [removed[0], added[0]];
    return [{ id: `rename ${objectKey(r)} -> ${objectRef(a)}`, severity: 'destructive', object: objectKey(r), consequence: lossOf(kind, r, a),
      steps: [`Keep the old name: set back what changed it (name, or the field that names ${what[kind]}).`, 'A rename on purpose moves the data first (docs/change-guard.md, "Renaming").'] }];
  }
  return removed.map((r) => ({ id: `remove ${objectKey(r)}`, severity: 'destructive' as const, object: objectKey(r), consequence: lossOf(kind, r),
    steps: [`Keep it in the config; removing ${what[kind]} on purpose means its data is no longer needed.`] }));
}

/**
 * Every change between `baseline` (what is deployed, or committed) and `next` (what is about to
 * replace it) that the guard speaks about. Benign changes (replicas, resources, an image patch
 * release, a new Deployment, the library version annotation) yield nothing.
 */
export function compareManifests(baseline: readonly Manifest[], next: readonly Manifest[], notes: UpgradeNotes = {}): GuardChange[] {
  if (baseline.length === 0) return [];
  const out: GuardChange[] = [];
  const before = new Map(baseline.map((o) => [objectKey(o), o]));
  const after = new Map(next.map((o) => [objectKey(o), o]));

  const component = (o: Manifest) => o.metadata.labels?.['app.kubernetes.io/component'] ?? '';
  for (const kind of STATEFUL_KINDS) {
    const removedOfKind = baseline.filter((o) => o.kind === kind && stateful(o) && !after.has(objectKey(o)));
    const addedOfKind = next.filter((o) => o.kind === kind && stateful(o) && !before.has(objectKey(o)));
    // Only objects of the same component pair up as a rename (redis -> opensearch is a removal).
    for (const c of [...new Set(removedOfKind.map(component))]) {
      const removed = removedOfKind.filter((o) => component(o) === c);
      const added = addedOfKind.filter((o) => component(o) === c);
      out.push(...removals(kind, removed, added));
    }
  }
  for (const [key, a] of after) {
    const b = before.get(key);
    if (b) out.push(...objectChanges(b, a));
  }

  out.push(...envChanges(baseline, next));

  const [sa, sb] = [secretNamesFor(baseline, MASTODON_SECRET_KEY), secretNamesFor(next, MASTODON_SECRET_KEY)];
  if (sa.length > 0 && sb.length > 0 && sa.join(',') !== sb.join(',')) {
    const [la, lb] = secretLabels(sa, sb);
    out.push({ id: `change mastodon Secret ${la} -> ${lb}`, severity: 'destructive', object: `Secret ${sa.join(',')}`,
      consequence: 'Mastodon reads SECRET_KEY_BASE, OTP_SECRET, VAPID keys and the Active Record encryption keys from a Secret of another name, so from other keys: encrypted columns (two-factor secrets, among others) become unreadable, every session ends, and every Web Push subscription breaks.',
      steps: ['To rename the Secret or move it to another namespace, copy the old one\'s data under the new name and namespace first (kubectl get secret <old> -n <old namespace> -o yaml, change the name and namespace, drop uid and resourceVersion, kubectl apply); never generate new keys for a running server.'] });
  }

  const va = mastodonVersion(baseline);
  const vb = mastodonVersion(next);
  const pa = va ? parseMastodonVersion(va) : undefined;
  const pb = vb ? parseMastodonVersion(vb) : undefined;
  if (va && vb && pa && pb) {
    const cmp = compareTuples(pb, pa);
    if (cmp < 0) {
      out.push({ id: `downgrade Mastodon ${va} -> ${vb}`, severity: 'destructive', object: 'Mastodon',
        consequence: `Mastodon's migrations only run forward: ${vb} would run against a database ${va} has already migrated, and fail or corrupt data. This is legitimate only after restoring the database from a backup taken before the upgrade to ${va} (docs/restore.md).`,
        steps: [`Without such a restore, set mastodon.version back to ${va}.`, 'With it: stop the workloads (maintenance.stopWorkloads: true) while the database is restored, then acknowledge the downgrade.'] });
    } else if (cmp > 0) {
      const steps = notes.mastodonSteps?.(va, vb) ?? [];
      if (steps.length > 0) out.push({ id: `upgrade Mastodon ${va} -> ${vb}`, severity: 'notice', object: 'Mastodon', consequence: `The release notes between ${va} and ${vb} ask for these steps:`, steps });
    }
  }

  // Objects rendered before the annotation existed count as VERSION_BEFORE_ANNOTATION.
  const libraryVersion = (objects: readonly Manifest[]) => objects.map((o) => o.metadata.annotations?.[VERSION_ANNOTATION]).find((v) => v);
  const la = libraryVersion(baseline) ?? VERSION_BEFORE_ANNOTATION;
  const lb = libraryVersion(next);
  if (lb && newer(lb, la)) {
    const steps = notes.libraryNotes?.(la) ?? [];
    if (steps.length > 0) out.push({ id: `upgrade cdk8s-mastodon ${la} -> ${lb}`, severity: 'notice', object: 'cdk8s-mastodon', consequence: `The CHANGELOG between ${la} and ${lb} says:`, steps });
  }
  return out;
}

/** True when both are semantic versions and `a` is newer than `b`. */
function newer(a: string, b: string): boolean {
  try {
    return compareSemver(a, b) > 0;
  } catch {
    return false;
  }
}

/**
 * The notes of lib/rules/upgrade-notes.ts as the guard prints them: the Mastodon catalog's steps
 * (for a patch release only the catalogued ones, not the reminder to read newer notes, so a
 * patch release passes silently), and this library's CHANGELOG notes between the version that
 * rendered the baseline and `libraryVersion` (none without a CHANGELOG).
 */
export function upgradeNotesFor(changelog: string | undefined, libraryVersion: string): UpgradeNotes {
  return {
    mastodonSteps: (from, to) => {
      const [a, b] = [parseMastodonVersion(from), parseMastodonVersion(to)];
      const patch = a && b && a[0] === b[0] && a[1] === b[1];
      try {
        return mastodonUpgradeSteps(from, to)
          .filter((s) => !patch || compareSemver(s.version, MASTODON_CATALOG_READ_UP_TO) <= 0)
          .flatMap((s) => s.steps.map((step) => `${s.version}: ${step} (${s.source})`));
      } catch {
        return [];
      }
    },
    libraryNotes: (from) => {
      try {
        return changelog ? libraryUpgradeNotes(changelog, from, libraryVersion) : [];
      } catch {
        return [];
      }
    },
  };
}

/** What the guard decided, given the config's acknowledgements. */
export interface GuardVerdict {
  /** Destructive changes nobody acknowledged, and changes no acknowledgement lets through. */
  readonly blocked: readonly GuardChange[];
  /** Destructive changes the config acknowledges. */
  readonly acknowledged: readonly GuardChange[];
  /** Upgrade steps to print. */
  readonly notices: readonly GuardChange[];
  /** Acknowledgements that match no change: the change landed, or it never was. */
  readonly stale: readonly string[];
}

/** Sorts `changes` by what the config acknowledges (exact ids). */
export function judgeChanges(changes: readonly GuardChange[], acknowledge: readonly string[]): GuardVerdict {
  const acks = new Set(acknowledge.map((a) => a.trim()));
  const ids = new Set(changes.map((c) => c.id));
  return {
    blocked: changes.filter((c) => c.severity === 'refused' || (c.severity === 'destructive' && !acks.has(c.id))),
    acknowledged: changes.filter((c) => c.severity === 'destructive' && acks.has(c.id)),
    notices: changes.filter((c) => c.severity === 'notice'),
    stale: [...acks].filter((a) => !ids.has(a)),
  };
}

/** How every id this file writes begins. */
const ID_SHAPE = /^(rename|remove|add|change|shrink|shorten|lower|upgrade|downgrade|reuse) \S/;

const indent = (text: string, by: string) => text.replace(/^/gm, by);

/**
 * The guard's report: blocked changes (each with the object, the change, what happens on the
 * cluster and the exact line that acknowledges it), notices, and stale acknowledgements.
 * `configFile` is where the `acknowledge:` list goes; `against` says what the baseline is.
 */
export function formatVerdict(v: GuardVerdict, configFile: string, against: string): string {
  const parts: string[] = [];
  if (v.blocked.length > 0) {
    parts.push(`${v.blocked.length} change(s) against ${against} would lose data or be refused on the cluster (docs/change-guard.md):`);
    for (const c of v.blocked) {
      const lines = [`${c.object}: ${c.id}`, indent(`on the cluster: ${c.consequence}`, '    ')];
      for (const s of c.steps) lines.push(indent(`- ${s}`, '    '));
      lines.push(c.severity === 'refused'
        ? '    this cannot be acknowledged: change the config back.'
        : `    to go ahead on purpose, add to ${configFile}:\n      acknowledge:\n        - ${JSON.stringify(c.id)}`);
      parts.push(indent(lines.join('\n'), '  '));
    }
  }
  for (const c of v.notices) parts.push(`note: ${c.id}: ${c.consequence}\n${c.steps.map((s) => `  - ${s}`).join('\n')}`);
  for (const a of v.stale) {
    // Matching nothing, a well-formed id is a typo or a change that landed; the guard cannot tell which.
    parts.push(ID_SHAPE.test(a)
      ? `acknowledgement in ${configFile} matches no change against ${against}: ${JSON.stringify(a)} (check the id for a typo; if its change has landed, remove the line once that is merged)`
      : `acknowledgement in ${configFile} is no change id the guard writes: ${JSON.stringify(a)} (copy the id from the guard's report)`);
  }
  return parts.join('\n');
}
