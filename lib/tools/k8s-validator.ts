/**
 * Shipped in the package (with schemas/ and crds/) so a server repository made by
 * `cdk8s-mastodon init` validates its dist/ the same way this repository does.
 *
 * Strict validation of synthesized objects against the Kubernetes API JSON schema, the way
 * `kubectl apply --validate=strict` would: every object schema is closed, so an unknown or
 * misspelt field fails. An explicit null counts as absent.
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import Ajv, { ValidateFunction } from 'ajv';
import standaloneCode from 'ajv/dist/standalone';
import { parseAllDocuments } from 'yaml';
import { packageRoot } from './package-root';

/** The ajv version, part of the cache key: its compiled code calls its own runtime helpers. */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- ajv's package.json is not in the TypeScript program
const AJV_VERSION: string = require('ajv/package.json').version;

export const K8S_VERSIONS = ['v1.28.0', 'v1.30.0'] as const;
export type K8sVersion = (typeof K8S_VERSIONS)[number];

const SCHEMA_DIR = path.join(packageRoot(), 'schemas', 'kubernetes');
/** The vendored CRDs (see crds/SOURCES.md). */
export const CRD_DIR = path.join(packageRoot(), 'crds');

/** Every served version of every CRD under crds/, keyed `group/version/Kind`, schema closed. */
export function loadCrdSchemas(dir: string = CRD_DIR): Map<string, object> {
  const out = new Map<string, object>();
  for (const f of crdFiles(dir)) {
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

/** The CRD files under a folder, sorted. */
function crdFiles(dir: string): string[] {
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile() && /\.ya?ml$/.test(d.name))
    .map((d) => path.join(d.parentPath, d.name))
    .sort();
}

/** Writes through a temporary file and a rename, so a concurrent reader sees all or nothing. */
function writeAtomically(file: string, text: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
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

/** Options for {@link K8sValidator}. */
export interface K8sValidatorOptions {
  /**
   * A folder where compiled validators are kept between processes (ajv's standalone code, one
   * file per kind, named by a hash of the schema files, the ajv version, this module's own source
   * (transforms, ajv options) and the cache format, so a changed schema, CRD, transform or option
   * never meets an old file). Compiling the schemas of one
   * version takes seconds; loading the kept code takes milliseconds.
   * @default - no cache: every validator compiles what it checks
   */
  readonly cacheDir?: string;
}

/** This module's own text (TypeScript under a hook or jest, JavaScript in the package), read once. */
let ownSourceText: Buffer | undefined;
function ownSource(): Buffer {
  return (ownSourceText ??= fs.readFileSync(__filename));
}

/** Bump when the compiled code or the index written to a cache folder changes shape. */
const CACHE_FORMAT = 1;

/** The CRD files' hash, computed once per process. */
let crdHash: string | undefined;
/** Code loaded from a cache folder, by file: shared by every validator of the process. */
const loadedFromCache = new Map<string, ValidateFunction>();
/** The vendored CRDs' schemas, parsed once per process (≈1 s of YAML) for every validator that compiles. */
let crdSchemas: Map<string, object> | undefined;

/** What a validator needs to know before it compiles anything: kept in the cache folder. */
interface SchemaIndex {
  /** `apiVersion/Kind` to the definition name in _definitions.json. */
  readonly byGvk: Record<string, string>;
  /** The `group/version/Kind` keys of the vendored CRDs. */
  readonly crdKeys: string[];
}

/** A validator for one Kubernetes version. */
export class K8sValidator {
  private readonly compiled = new Map<string, ValidateFunction>();
  private readonly cacheDir?: string;
  private hashCache?: { defs: string; crds: string };
  private indexCache?: SchemaIndex;
  private compiler?: { ajv: Ajv; crds: Map<string, object> };

  constructor(public readonly version: K8sVersion, options: K8sValidatorOptions = {}) {
    this.cacheDir = options.cacheDir;
  }

  /**
   * Hashes of what the compiled code depends on (read only when a cache folder is set): the
   * version's definitions, and the vendored CRDs (whose code is the same for every version).
   */
  private get hashes(): { defs: string; crds: string } {
    if (!this.hashCache) {
      // This module's whole source is part of the key too: a changed schema transform
      // (closeSchemas, translateGoPattern), ajv option or index must not meet code compiled by
      // the old one. (Hashing only the transforms' text missed the ajv options.)
      const start = () => createHash('sha256').update(`${CACHE_FORMAT}\0${AJV_VERSION}\0`).update(ownSource()).update('\0');
      const defs = start().update(fs.readFileSync(path.join(SCHEMA_DIR, this.version, '_definitions.json'))).digest('hex').slice(0, 16);
      crdHash ??= crdFiles(CRD_DIR).reduce((h, f) => h.update(`\0${path.relative(CRD_DIR, f)}\0`).update(fs.readFileSync(f)), start()).digest('hex').slice(0, 16);
      this.hashCache = { defs, crds: crdHash };
    }
    return this.hashCache;
  }

  /** The cache file for the index or a compiled definition (per version) or CRD (shared). */
  private cacheFile(name: string): string | undefined {
    if (!this.cacheDir) return undefined;
    const { defs, crds } = this.hashes;
    const prefix = name === 'index.json' ? `${this.version}-${defs}-${crds}` : name.startsWith('crd:') ? `crd-${crds}` : `${this.version}-${defs}`;
    return path.join(this.cacheDir, `${prefix}-${name.replace(/[^A-Za-z0-9._-]/g, '_')}`);
  }

  /** The schemas parsed, closed and added to ajv: the slow part, done only when something must compile. */
  private get compilerState(): { ajv: Ajv; crds: Map<string, object>; index: SchemaIndex } {
    if (!this.compiler) {
      const defs = JSON.parse(fs.readFileSync(path.join(SCHEMA_DIR, this.version, '_definitions.json'), 'utf8'));
      const byGvk: Record<string, string> = {};
      for (const [name, def] of Object.entries<any>(defs.definitions)) {
        for (const gvk of def['x-kubernetes-group-version-kind'] ?? []) {
          const apiVersion = gvk.group ? `${gvk.group}/${gvk.version}` : gvk.version;
          // The definitions also list generic kinds (DeleteOptions, WatchEvent) under every group.
          if (!Object.prototype.hasOwnProperty.call(byGvk, `${apiVersion}/${gvk.kind}`) || name.endsWith(`.${gvk.kind}`)) byGvk[`${apiVersion}/${gvk.kind}`] = name;
        }
      }
      closeSchemas(defs.definitions);
      // code.source keeps each compiled function's source, so it can be written to the cache folder.
      const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false, code: { source: !!this.cacheDir } });
      ajv.addSchema({ $id: 'k8s', definitions: defs.definitions });
      const crds = (crdSchemas ??= loadCrdSchemas());
      this.compiler = { ajv, crds };
      this.indexCache ??= { byGvk, crdKeys: [...crds.keys()] };
      const file = this.cacheFile('index.json');
      if (file) writeAtomically(file, JSON.stringify(this.indexCache));
    }
    return { ...this.compiler, index: this.indexCache! };
  }

  private get index(): SchemaIndex {
    if (!this.indexCache) {
      const file = this.cacheFile('index.json');
      if (file && fs.existsSync(file)) this.indexCache = JSON.parse(fs.readFileSync(file, 'utf8'));
      else this.indexCache = this.compilerState.index;
    }
    return this.indexCache!;
  }

  /** The definition name for an object, or undefined for a kind the schema does not know. */
  public definitionFor(apiVersion: string, kind: string): string | undefined {
    const byGvk = this.index.byGvk;
    const key = `${apiVersion}/${kind}`;
    return Object.prototype.hasOwnProperty.call(byGvk, key) ? byGvk[key] : undefined;
  }

  /** The compiled validator for a definition or a CRD: from memory, the cache folder, or ajv. */
  private validatorFor(key: string, def: string | undefined, crdKey: string): ValidateFunction {
    let fn = this.compiled.get(key);
    if (fn) return fn;
    const file = this.cacheFile(`${key}.js`);
    if (file && loadedFromCache.has(file)) {
      fn = loadedFromCache.get(file)!;
    } else if (file && fs.existsSync(file)) {
      // The code ajv's standalone generator wrote: it requires only ajv's runtime helpers.
      const mod = { exports: {} as any };
      // eslint-disable-next-line @typescript-eslint/no-implied-eval -- runs the module ajv's standalone generator wrote to the cache
      new Function('require', 'module', 'exports', fs.readFileSync(file, 'utf8'))(require, mod, mod.exports);
      fn = mod.exports as ValidateFunction;
      loadedFromCache.set(file, fn);
    } else {
      const { ajv, crds } = this.compilerState;
      fn = def ? ajv.compile({ $ref: `k8s#/definitions/${def}` }) : ajv.compile(crds.get(crdKey)!);
      if (file) writeAtomically(file, standaloneCode(ajv, fn));
    }
    this.compiled.set(key, fn);
    return fn;
  }

  /** The vendored CRDs' kinds (from the cache folder's index when it is kept there). */
  public crdKinds(): { apiVersion: string; kind: string }[] {
    return this.index.crdKeys.map((k) => {
      const at = k.lastIndexOf('/');
      return { apiVersion: k.slice(0, at), kind: k.slice(at + 1) };
    });
  }

  /**
   * Makes sure the validator of a kind is compiled, so a later `validate` of it is fast: with a
   * cache folder, code already kept there is neither compiled nor loaded; otherwise it is
   * compiled (into the folder, or into memory without one). Returns false for a kind neither the
   * schema nor a vendored CRD knows. The unit tests' global setup fills their cache this way once,
   * instead of every test file compiling the same validators at the same time.
   */
  public prepare(apiVersion: string, kind: string): boolean {
    const crdKey = `${apiVersion}/${kind}`;
    const def = this.definitionFor(apiVersion, kind);
    if (!def && !this.index.crdKeys.includes(crdKey)) return false;
    const key = def ?? `crd:${crdKey}`;
    const file = this.cacheFile(`${key}.js`);
    if (this.compiled.has(key) || (file && (loadedFromCache.has(file) || fs.existsSync(file)))) return true;
    this.validatorFor(key, def, crdKey);
    return true;
  }

  /**
   * Errors for one object; empty when valid. Built-in kinds are checked against the API schema,
   * custom resources against their CRD's openAPIV3Schema. Unknown kinds are an error too.
   */
  public validate(obj: any): string[] {
    const crdKey = `${obj.apiVersion}/${obj.kind}`;
    const def = this.definitionFor(obj.apiVersion, obj.kind);
    const crd = this.index.crdKeys.includes(crdKey);
    if (!def && !crd) return [`${obj.apiVersion} ${obj.kind} is neither a Kubernetes ${this.version} kind nor a vendored CRD`];
    const fn = this.validatorFor(def ?? `crd:${crdKey}`, def, crdKey);
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
