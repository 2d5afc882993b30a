import * as fs from 'fs';
import * as path from 'path';
import { parse } from 'yaml';
import { ConfigError, resolveConfig, ResolvedConfig, Manifest } from '../../lib';
import { renderManifests } from '../../lib/app/render';

export const ROOT = path.join(__dirname, '..', '..');
export const EXAMPLE_FILE = path.join(ROOT, 'config', 'example.yaml');

let exampleParsed: { text: string; data: unknown } | undefined;
/**
 * The bundled example as raw data, for tests that change one field: a fresh deep copy each call
 * (tests change it), parsed once per text (the yaml library took ≈ 2.4 s of a unit-suite run
 * parsing the same file again for each call; measured with --cpu-prof).
 */
export function exampleRaw(): any {
  const text = fs.readFileSync(EXAMPLE_FILE, 'utf8');
  if (exampleParsed?.text !== text) exampleParsed = { text, data: parse(text) };
  return structuredClone(exampleParsed.data);
}

/** Resolves raw config or fails the test with every error. */
export function resolved(raw: unknown = exampleRaw()): ResolvedConfig {
  const r = resolveConfig(raw);
  if (!r.ok) throw new Error(r.errors.map((e) => `${e.path}: ${e.message}`).join('\n'));
  return r.config;
}

/** The objects the chart renders for raw config. */
export function render(raw: unknown = exampleRaw()): Manifest[] {
  return renderManifests(resolved(raw));
}

/** The one object of a kind and name. */
export function find(objects: Manifest[], kind: string, name: string): Manifest {
  const o = objects.find((x) => x.kind === kind && x.metadata.name === name);
  if (!o) throw new Error(`no ${kind}/${name} among ${objects.map((x) => `${x.kind}/${x.metadata.name}`).join(', ')}`);
  return o;
}

/** The pod spec inside a workload object. */
export function podSpecOf(o: Manifest): any {
  if (o.kind === 'CronJob') return o.spec.jobTemplate.spec.template.spec;
  return o.spec.template.spec;
}

/** The pod template metadata inside a workload object. */
export function podMetaOf(o: Manifest): any {
  if (o.kind === 'CronJob') return o.spec.jobTemplate.spec.template.metadata;
  return o.spec.template.metadata;
}

export const WORKLOAD_KINDS = ['Deployment', 'StatefulSet', 'Job', 'CronJob', 'DaemonSet'];

/** Deep copy with a change, e.g. `withChange(raw, (c) => { c.web.replicas = 3; })`. */
export function withChange(raw: any, change: (c: any) => void): any {
  const copy = structuredClone(raw);
  change(copy);
  return copy;
}

/** The errors of a config that must be refused (fails the test if it is accepted). */
export function errorsOf(raw: unknown): readonly ConfigError[] {
  const r = resolveConfig(raw);
  if (r.ok) throw new Error('expected the config to be refused');
  return r.errors;
}

/** The message of the error at a path (fails the test, listing them all, if there is none). */
export function messageAt(errors: readonly ConfigError[], p: string): string {
  const e = errors.find((x) => x.path === p);
  if (!e) throw new Error(`no error at ${p}; got:\n${errors.map((x) => `${x.path}: ${x.message}`).join('\n')}`);
  return e.message;
}
