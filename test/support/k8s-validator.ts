/**
 * Strict validation of synthesized objects against the Kubernetes API JSON schema, the way
 * `kubectl apply --validate=strict` would: every object schema is closed, so an unknown or
 * misspelt field fails. An explicit null counts as absent.
 */
import * as fs from 'fs';
import * as path from 'path';
import Ajv, { ValidateFunction } from 'ajv';

export const K8S_VERSIONS = ['v1.28.0', 'v1.30.0'] as const;
export type K8sVersion = (typeof K8S_VERSIONS)[number];

const SCHEMA_DIR = path.join(__dirname, '..', '..', 'schemas', 'kubernetes');

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

  /** Errors for one object; empty when valid. Unknown kinds are an error too. */
  public validate(obj: any): string[] {
    const def = this.definitionFor(obj.apiVersion, obj.kind);
    if (!def) return [`${obj.apiVersion} ${obj.kind} is not a Kubernetes ${this.version} kind`];
    let fn = this.compiled.get(def);
    if (!fn) {
      fn = this.ajv.compile({ $ref: `k8s#/definitions/${def}` });
      this.compiled.set(def, fn);
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
