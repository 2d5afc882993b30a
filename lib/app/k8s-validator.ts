/**
 * Shipped in the package (with build/validators) so a server repository made by
 * `cdk8s-mastodon init` validates its dist/ the same way this repository does.
 *
 * Strict validation of synthesized objects against the Kubernetes API JSON schema, the way
 * `kubectl apply --validate=strict` would: every object schema is closed, so an unknown or
 * misspelt field fails. An explicit null counts as absent. The validators are compiled when the
 * package is built (scripts/build-validators.ts, ajv's standalone code) into build/validators/.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { ValidateFunction } from 'ajv';
import { packageRoot } from './package-root';

export const K8S_VERSIONS = ['v1.28.0', 'v1.30.0'] as const;
export type K8sVersion = (typeof K8S_VERSIONS)[number];

/** Where `npm run build` writes the compiled validators. */
export function validatorDir(): string {
  return path.join(packageRoot(), 'build', 'validators');
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

/** What the validator reads of an object before it checks the whole of it. */
export interface KubeObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata?: { readonly name?: string };
}

/** A generated module: one validator per kind, keyed `apiVersion/Kind`. */
type ValidatorModule = Readonly<Record<string, ValidateFunction>>;

/** Loads a generated module, or says how to make it. */
function loadModule(name: string): ValidatorModule {
  const file = path.join(validatorDir(), `${name}.js`);
  if (!fs.existsSync(file)) throw new Error(`the strict Kubernetes validators are not built (${file} is missing): run npm run build`);
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a generated module found at run time (build/validators), not part of the TypeScript program
  return require(file) as ValidatorModule;
}

/** A validator for one Kubernetes version: its built-in kinds and the vendored CRDs (crds/). */
export class K8sValidator {
  private builtIn?: ValidatorModule;
  private crds?: ValidatorModule;

  constructor(public readonly version: K8sVersion) {
    if (!K8S_VERSIONS.includes(version)) throw new Error(`no validators for Kubernetes ${version}; known: ${K8S_VERSIONS.join(', ')}`);
  }

  /** The compiled validator of a kind, or undefined for a kind neither the schema nor a vendored CRD knows. */
  private validatorFor(apiVersion: string, kind: string): ValidateFunction | undefined {
    const key = `${apiVersion}/${kind}`;
    this.builtIn ??= loadModule(this.version);
    if (Object.prototype.hasOwnProperty.call(this.builtIn, key)) return this.builtIn[key];
    this.crds ??= loadModule('crds');
    return Object.prototype.hasOwnProperty.call(this.crds, key) ? this.crds[key] : undefined;
  }

  /**
   * Errors for one object; empty when valid. Built-in kinds are checked against the API schema,
   * custom resources against their CRD's openAPIV3Schema. Unknown kinds are an error too.
   */
  public validate(obj: KubeObject): string[] {
    const fn = this.validatorFor(obj.apiVersion, obj.kind);
    if (!fn) return [`${obj.apiVersion} ${obj.kind} is neither a Kubernetes ${this.version} kind nor a vendored CRD`];
    if (fn(dropNulls(obj))) return [];
    return (fn.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}${e.params && 'additionalProperty' in e.params ? `: '${e.params.additionalProperty}'` : ''}`);
  }

  /** Validates many objects; returns one entry per invalid object. */
  public validateAll(objects: readonly KubeObject[]): ValidationFailure[] {
    return objects
      .map((o) => ({ object: `${o.kind}/${o.metadata?.name}`, errors: this.validate(o) }))
      .filter((f) => f.errors.length > 0);
  }
}
