/**
 * Reading the rendered manifests the way the kubelet would: a container's effective environment
 * (the env ConfigMap, then its own env; Secret references resolved from a test store), its
 * Secret volumes written to a scratch directory, and paths inside them rewritten to that copy.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { Manifest } from '../../../lib';

/** Secret name → key → value, standing in for the namespace's Secrets. */
export type SecretStore = Record<string, Record<string, string>>;

export function podSpecOf(o: Manifest): any {
  return o.kind === 'CronJob' ? o.spec.jobTemplate.spec.template.spec : o.spec.template.spec;
}

export function findObject(objects: readonly Manifest[], kind: string, name: string): Manifest {
  const o = objects.find((x) => x.kind === kind && x.metadata.name === name);
  if (!o) throw new Error(`no ${kind}/${name} rendered`);
  return o;
}

/**
 * The environment a container starts with. A Secret key missing from the store throws, or with
 * `skip` leaves the variable out (for containers whose other Secrets this test does not need).
 */
export function containerEnv(objects: readonly Manifest[], container: any, secrets: SecretStore, missing: 'throw' | 'skip' = 'throw'): Record<string, string> {
  const env: Record<string, string> = {};
  for (const from of container.envFrom ?? []) {
    const cm = findObject(objects, 'ConfigMap', from.configMapRef.name);
    Object.assign(env, cm.data);
  }
  for (const e of container.env ?? []) {
    if (e.value !== undefined) env[e.name] = e.value;
    else if (e.valueFrom?.secretKeyRef) {
      const { name, key } = e.valueFrom.secretKeyRef;
      const v = secrets[name]?.[key];
      if (v !== undefined) env[e.name] = v;
      else if (missing === 'throw') throw new Error(`${container.name}: ${e.name} needs Secret ${name} key ${key}`);
    }
  }
  return env;
}

/**
 * Writes the container's Secret volumes under `dir` and returns the env with every value that
 * points into such a mount rewritten to the copy. Throws for a Secret or key the store lacks:
 * the pod would not start either.
 */
export function materialize(podSpec: any, container: any, env: Record<string, string>, secrets: SecretStore, dir: string): Record<string, string> {
  const out = { ...env };
  for (const m of container.volumeMounts ?? []) {
    const vol = (podSpec.volumes ?? []).find((v: any) => v.name === m.name);
    if (!vol?.secret) continue;
    const data = secrets[vol.secret.secretName];
    if (!data) throw new Error(`${container.name}: volume ${m.name} needs Secret ${vol.secret.secretName}`);
    const local = path.join(dir, m.name);
    fs.mkdirSync(local, { recursive: true });
    const items: { key: string; path: string }[] = vol.secret.items ?? Object.keys(data).map((k) => ({ key: k, path: k }));
    for (const it of items) {
      if (data[it.key] === undefined) throw new Error(`${container.name}: volume ${m.name} needs key ${it.key} of Secret ${vol.secret.secretName}`);
      fs.writeFileSync(path.join(local, it.path), data[it.key]);
    }
    for (const [k, v] of Object.entries(out)) {
      if (v === m.mountPath || v.startsWith(`${m.mountPath}/`)) out[k] = local + v.slice(m.mountPath.length);
    }
  }
  return out;
}

/** Pods a Deployment may run at once during a rollout: replicas plus maxSurge (0 for Recreate). */
export function podsDuringRollout(d: Manifest): number {
  const replicas = d.spec.replicas ?? 1;
  const s = d.spec.strategy;
  if (s?.type === 'Recreate') return replicas;
  const surge = s?.rollingUpdate?.maxSurge ?? '25%';
  const extra = typeof surge === 'number' ? surge : Math.ceil((Number.parseInt(surge, 10) / 100) * replicas);
  return replicas + extra;
}

/**
 * Writes a Secret volume the way the kubelet's atomic writer lays it out: the files in a
 * timestamped directory, `..data` a symlink to it, and each file a symlink through `..data`.
 * Calling it again on the same directory is the kubelet's in-place update when the Secret
 * changes: a new timestamped directory, then `..data` swapped by rename.
 */
export function writeSecretVolume(dir: string, files: Record<string, string>): void {
  fs.mkdirSync(dir, { recursive: true });
  const ts = path.join(dir, `..${Date.now()}_${Math.random().toString(36).slice(2, 8)}`);
  fs.mkdirSync(ts);
  for (const [name, content] of Object.entries(files)) fs.writeFileSync(path.join(ts, name), content);
  const tmpLink = path.join(dir, '..data_tmp');
  fs.symlinkSync(path.basename(ts), tmpLink);
  fs.renameSync(tmpLink, path.join(dir, '..data'));
  for (const name of Object.keys(files)) {
    const link = path.join(dir, name);
    if (!fs.existsSync(link)) fs.symlinkSync(path.join('..data', name), link);
  }
}

/** A container's mounts placed in a scratch directory, and paths inside the container rewritten to them. */
export interface ScratchMounts {
  /** mountPath → local directory. */
  readonly mounts: Record<string, string>;
  /** Rewrites every container path under a mount (in a script or a variable) to its local copy. */
  rewrite(text: string): string;
}

/**
 * Every volume mount of the container as a local directory under `dir`: Secret volumes written as
 * the kubelet does (writeSecretVolume, with `items` honoured), emptyDirs empty. `extra` maps
 * other container paths (e.g. /proc files) to local ones.
 */
export function scratchMounts(podSpec: any, container: any, secrets: SecretStore, dir: string, extra: Record<string, string> = {}): ScratchMounts {
  const mounts: Record<string, string> = {};
  for (const m of container.volumeMounts ?? []) {
    if (m.subPath) throw new Error(`${container.name}: ${m.mountPath} uses subPath: the kubelet never updates it`);
    const vol = (podSpec.volumes ?? []).find((v: any) => v.name === m.name);
    const local = path.join(dir, m.name);
    if (vol?.secret) {
      const data = secrets[vol.secret.secretName];
      if (!data) throw new Error(`${container.name}: volume ${m.name} needs Secret ${vol.secret.secretName}`);
      const items: { key: string; path: string }[] = vol.secret.items ?? Object.keys(data).map((k) => ({ key: k, path: k }));
      const files: Record<string, string> = {};
      for (const it of items) {
        if (data[it.key] === undefined) throw new Error(`${container.name}: volume ${m.name} needs key ${it.key} of Secret ${vol.secret.secretName}`);
        files[it.path] = data[it.key];
      }
      writeSecretVolume(local, files);
    } else if (vol?.emptyDir) {
      fs.mkdirSync(local, { recursive: true });
    } else {
      throw new Error(`${container.name}: volume ${m.name} is neither a Secret nor an emptyDir`);
    }
    mounts[m.mountPath] = local;
  }
  const all = { ...mounts, ...extra };
  // Longest first, and only at a path boundary, so /tmp does not rewrite /tmpfoo.
  const keys = Object.keys(all).sort((a, b) => b.length - a.length);
  const re = new RegExp(`(${keys.map((k) => k.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})(?=/|\\s|$|[;'")])`, 'g');
  return { mounts, rewrite: (text) => (keys.length ? text.replace(re, (k) => all[k]) : text) };
}
