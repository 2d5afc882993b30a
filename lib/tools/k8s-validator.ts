/**
 * Shipped in the package (with schemas/ and crds/) so a server repository made by
 * `cdk8s-mastodon init` validates its dist/ the same way this repository does.
 *
 * Strict validation of synthesized objects against the Kubernetes API JSON schema, the way
 * `kubectl apply --validate=strict` would: every object schema is closed, so an unknown or
 * misspelt field fails. An explicit null counts as absent.
 */
import * as fs from 'fs';
import * as path from 'path';
import Ajv, { ValidateFunction } from 'ajv';
import { parseAllDocuments } from 'yaml';
import { packageRoot } from './package-root';

export const K8S_VERSIONS = ['v1.28.0', 'v1.30.0'] as const;
export type K8sVersion = (typeof K8S_VERSIONS)[number];

const SCHEMA_DIR = path.join(packageRoot(), 'schemas', 'kubernetes');
/** The vendored CRDs (see crds/SOURCES.md). */
export const CRD_DIR = path.join(packageRoot(), 'crds');

/** Every served version of every CRD under crds/, keyed `group/version/Kind`, schema closed. */
export function loadCrdSchemas(dir: string = CRD_DIR): Map<string, object> {
  const out = new Map<string, object>();
  const files = fs.readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile() && /\.ya?ml$/.test(d.name))
    .map((d) => path.join(d.parentPath, d.name));
  for (const f of files) {
    for (const doc of parseAllDocuments(fs.readFileSync(f, 'utf8'))) {
      const crd = doc.toJS();
      if (crd?.kind !== 'CustomResourceDefinition') continue;
      for (const v of crd.spec.versions) {
        const schema = structuredClone(v.schema.openAPIV3Schema);
        closeSchemas(schema);
        translateGoPatterns(schema);
        out.set(`${crd.spec.group}/${v.name}/${crd.spec.names.kind}`, schema);
      }
    }
  }
  return out;
}

/** Adds `additionalProperties: false` to every object schema that lists its properties. */
export function closeSchemas(node: unknown): void {
  if (Array.isArray(node)) {
    node.forEach(closeSchemas);
    return;
  }
  if (node === null || typeof node !== 'object') return;
  const o = node as Record<string, unknown>;
  if (o.properties && typeof o.properties === 'object' && o.additionalProperties === undefined && !o['x-kubernetes-preserve-unknown-fields']) {
    o.additionalProperties = false;
  }
  for (const v of Object.values(o)) closeSchemas(v);
}

/**
 * Go's RE2 accepts the inline flag `(?i)` (the Prometheus Operator CRDs use `^(?i)(abort|warn)?$`);
 * JavaScript rejects it. Translates such a pattern into the same language without the flag: every
 * letter after `(?i)` matches both cases (`a` becomes `[aA]`, `[a-c]` gains `A-C`). Other patterns
 * are left alone, and only the pattern is rewritten, never the rest of the schema.
 */
export function translateGoPattern(pattern: string): string {
  const at = pattern.indexOf('(?i)');
  if (at < 0) return pattern;
  const head = pattern.slice(0, at);
  const rest = pattern.slice(at + 4);
  let out = '';
  let inClass = false;
  for (let i = 0; i < rest.length; i++) {
    const ch = rest[i];
    if (ch === '\\') {
      out += ch + (rest[i + 1] ?? '');
      i++;
    } else if (!inClass && ch === '[') {
      inClass = true;
      out += ch;
    } else if (inClass && ch === ']') {
      inClass = false;
      out += ch;
    } else if (/[a-zA-Z]/.test(ch)) {
      const other = ch === ch.toLowerCase() ? ch.toUpperCase() : ch.toLowerCase();
      if (inClass) {
        // A range `a-c` gains `A-C`; a single letter gains its other case.
        if (rest[i + 1] === '-' && /[a-zA-Z]/.test(rest[i + 2] ?? '')) {
          const end = rest[i + 2];
          const otherEnd = end === end.toLowerCase() ? end.toUpperCase() : end.toLowerCase();
          out += `${ch}-${end}${other}-${otherEnd}`;
          i += 2;
        } else {
          out += ch + other;
        }
      } else {
        out += `[${ch}${other}]`;
      }
    } else {
      out += ch;
    }
  }
  return head + out;
}

/** Rewrites every Go-only `pattern` in a schema in place (see translateGoPattern). */
export function translateGoPatterns(node: unknown): void {
  if (Array.isArray(node)) {
    node.forEach(translateGoPatterns);
    return;
  }
  if (node === null || typeof node !== 'object') return;
  const o = node as Record<string, unknown>;
  if (typeof o.pattern === 'string') o.pattern = translateGoPattern(o.pattern);
  for (const [k, v] of Object.entries(o)) if (k !== 'pattern') translateGoPatterns(v);
}

/** Removes explicit nulls, which the API server treats as absent. */
export function dropNulls<T>(v: T): T {
  if (Array.isArray(v)) return v.map(dropNulls) as T;
  if (v === null || typeof v !== 'object') return v;
  return Object.fromEntries(Object.entries(v).filter(([, x]) => x !== null).map(([k, x]) => [k, dropNulls(x)])) as T;
}

export interface ValidationFailure {
  readonly object: string;
  readonly errors: string[];
}

/** A validator for one Kubernetes version. */
export class K8sValidator {
  private readonly ajv: Ajv;
  private readonly byGvk = new Map<string, string>();
  private readonly compiled = new Map<string, ValidateFunction>();
  private readonly crds = loadCrdSchemas();

  constructor(public readonly version: K8sVersion) {
    const defs = JSON.parse(fs.readFileSync(path.join(SCHEMA_DIR, version, '_definitions.json'), 'utf8'));
    for (const [name, def] of Object.entries<any>(defs.definitions)) {
      for (const gvk of def['x-kubernetes-group-version-kind'] ?? []) {
        const apiVersion = gvk.group ? `${gvk.group}/${gvk.version}` : gvk.version;
        // The definitions also list generic kinds (DeleteOptions, WatchEvent) under every group.
        if (!this.byGvk.has(`${apiVersion}/${gvk.kind}`) || name.endsWith(`.${gvk.kind}`)) {
          this.byGvk.set(`${apiVersion}/${gvk.kind}`, name);
        }
      }
    }
    closeSchemas(defs.definitions);
    this.ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
    this.ajv.addSchema({ $id: 'k8s', definitions: defs.definitions });
  }

  /** The definition name for an object, or undefined for a kind the schema does not know. */
  public definitionFor(apiVersion: string, kind: string): string | undefined {
    return this.byGvk.get(`${apiVersion}/${kind}`);
  }

  /**
   * Errors for one object; empty when valid. Built-in kinds are checked against the API schema,
   * custom resources against their CRD's openAPIV3Schema. Unknown kinds are an error too.
   */
  public validate(obj: any): string[] {
    const crdKey = `${obj.apiVersion}/${obj.kind}`;
    const def = this.definitionFor(obj.apiVersion, obj.kind);
    const crd = this.crds.get(crdKey);
    if (!def && !crd) return [`${obj.apiVersion} ${obj.kind} is neither a Kubernetes ${this.version} kind nor a vendored CRD`];
    const key = def ?? `crd:${crdKey}`;
    let fn = this.compiled.get(key);
    if (!fn) {
      fn = def ? this.ajv.compile({ $ref: `k8s#/definitions/${def}` }) : this.ajv.compile(crd!);
      this.compiled.set(key, fn);
    }
    if (fn(dropNulls(obj))) return [];
    return (fn.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}${e.params && 'additionalProperty' in e.params ? `: '${e.params.additionalProperty}'` : ''}`);
  }

  /** Validates many objects; returns one entry per invalid object. */
  public validateAll(objects: any[]): ValidationFailure[] {
    return objects
      .map((o) => ({ object: `${o.kind}/${o.metadata?.name}`, errors: this.validate(o) }))
      .filter((f) => f.errors.length > 0);
  }
}
