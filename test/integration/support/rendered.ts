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
