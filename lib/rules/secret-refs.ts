/**
 * The Secrets a set of manifests reads, and the keys it reads from each: found in the objects
 * themselves (env `secretKeyRef`, secret volumes, the Barman Cloud ObjectStore's
 * `s3Credentials`), so the list can never miss a key the chart uses. Pure: no cdk8s imports.
 */
import { byCodeUnits } from './order';

/** One Secret the user must create. */
export interface SecretSkeleton {
  /** Secret name. */
  readonly name: string;
  /** The keys the manifests read, sorted. */
  readonly keys: readonly string[];
  /** `Kind/name` of each object that reads it. */
  readonly usedBy: readonly string[];
}

/** What {@link secretSkeletons} leaves out. */
export interface SecretSkeletonOptions {
  /** The Mastodon keys Secret (`npm run secrets` makes it with fresh values). */
  readonly mastodon?: { readonly secretName: string };
}

type Obj = { kind: string; metadata: { name: string }; [k: string]: any };

function walk(node: unknown, visit: (key: string, value: any) => void): void {
  if (Array.isArray(node)) {
    for (const x of node) walk(x, visit);
  } else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      visit(k, v);
      walk(v, visit);
    }
  }
}

/**
 * The Secrets CloudNativePG v1.30.0 creates for a Cluster object: the server and client CA
 * (`<cluster>-ca`), the server certificate (`-server`), the replication client certificate
 * (`-replication`), the application user (`-app`) and, with enableSuperuserAccess, `-superuser`;
 * each only while the Cluster does not name a Secret of the user's for it. Read from
 * cloudnative-pg v1.30.0 api/v1/cluster_types.go (the suffixes), api/v1/cluster_funcs.go
 * (Get*SecretName) and internal/controller/cluster_pki.go, cluster_create.go (what it creates).
 */
export function cnpgOperatorSecrets(cluster: Obj): string[] {
  const name = cluster.metadata.name;
  const spec = cluster.spec ?? {};
  const certs = spec.certificates ?? {};
  const made = new Set<string>();
  const unset = (v: unknown) => typeof v !== 'string' || v === '';
  if (unset(certs.serverCASecret) || unset(certs.clientCASecret)) made.add(`${name}-ca`);
  if (unset(certs.serverTLSSecret)) made.add(`${name}-server`);
  if (unset(certs.replicationTLSSecret)) made.add(`${name}-replication`);
  const boot = spec.bootstrap ?? {};
  const method = boot.initdb ?? boot.recovery ?? boot.pg_basebackup;
  if (unset(method?.secret?.name)) made.add(`${name}-app`);
  if (spec.enableSuperuserAccess === true && unset(spec.superuserSecret?.name)) made.add(`${name}-superuser`);
  return [...made];
}

/**
 * Every Secret the objects reference, except those an operator makes ({@link cnpgOperatorSecrets})
 * and the Mastodon keys Secret.
 */
export function secretSkeletons(objects: readonly Obj[], options: SecretSkeletonOptions = {}): SecretSkeleton[] {
  const found = new Map<string, { keys: Set<string>; usedBy: Set<string> }>();
  const add = (name: unknown, key: unknown, by: string) => {
    if (typeof name !== 'string' || typeof key !== 'string') return;
    const e = found.get(name) ?? { keys: new Set(), usedBy: new Set() };
    e.keys.add(key);
    e.usedBy.add(by);
    found.set(name, e);
  };
  const operatorMade = new Set<string>();
  for (const o of objects) {
    if (o.kind === 'Cluster' && o.apiVersion?.startsWith('postgresql.cnpg.io/')) {
      for (const n of cnpgOperatorSecrets(o)) operatorMade.add(n);
    }
  }
  for (const o of objects) {
    const by = `${o.kind}/${o.metadata.name}`;
    walk(o, (k, v) => {
      if (!v || typeof v !== 'object') return;
      if (k === 'secretKeyRef') add(v.name, v.key, by);
      if (k === 'secret' && typeof v.secretName === 'string') for (const it of v.items ?? []) add(v.secretName, it.key, by);
      // Barman Cloud plugin ObjectStore: spec.configuration.s3Credentials.{accessKeyId,secretAccessKey,sessionToken} are {name, key}.
      if (k === 's3Credentials') for (const ref of Object.values<any>(v)) if (ref && typeof ref === 'object') add(ref.name, ref.key, by);
    });
  }
  return [...found.entries()]
    .filter(([name]) => !operatorMade.has(name) && name !== options.mastodon?.secretName)
    .sort(([a], [b]) => byCodeUnits(a, b))
    .map(([name, e]) => ({ name, keys: [...e.keys].sort(), usedBy: [...e.usedBy].sort() }));
}
