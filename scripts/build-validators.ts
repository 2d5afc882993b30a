/**
 * Part of `npm run build` (after tsc): compiles the strict Kubernetes validators with ajv's
 * standalone code generation into build/validators/, which ships in the package
 * (lib/app/k8s-validator.ts loads it; `cdk8s-mastodon test` uses it in a user's repository).
 *
 * - build/validators/<version>.js: one validator per kind the Kubernetes API schema of that
 *   version defines (schemas/kubernetes/<version>/_definitions.json), exported as
 *   `apiVersion/Kind`.
 * - build/validators/crds.js: one validator per served version of each vendored CRD (crds/),
 *   exported as `group/version/Kind`; the same for every Kubernetes version.
 *
 * Every object schema is closed (`additionalProperties: false`), as `kubectl apply
 * --validate=strict` treats unknown fields, and Go-only regular expressions are translated.
 */
import * as fs from 'fs';
import * as path from 'path';
import Ajv from 'ajv';
import standaloneCode from 'ajv/dist/standalone';
import { parseAllDocuments } from 'yaml';
import { K8S_VERSIONS, validatorDir } from '../lib/app/k8s-validator';
import { packageRoot } from '../lib/app/package-root';

/** The Kubernetes API schemas, one folder per version (schemas/kubernetes/<version>/). */
const SCHEMA_DIR = path.join(packageRoot(), 'schemas', 'kubernetes');
/** The vendored CRDs (see crds/SOURCES.md). */
export const CRD_DIR = path.join(packageRoot(), 'crds');

/** The ajv options every validator is compiled with: every error at once, formats not checked. */
function newAjv(): Ajv {
  return new Ajv({ strict: false, allErrors: true, validateFormats: false, inlineRefs: false, code: { source: true } });
}

/** Every served version of every CRD under a folder, keyed `group/version/Kind`, schema closed. */
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

/** The standalone module of one Kubernetes version's built-in kinds, exported as `apiVersion/Kind`. */
export function kubernetesModule(version: string): string {
  const defs = JSON.parse(fs.readFileSync(path.join(SCHEMA_DIR, version, '_definitions.json'), 'utf8'));
  const byGvk: Record<string, string> = {};
  for (const [name, def] of Object.entries<any>(defs.definitions)) {
    for (const gvk of def['x-kubernetes-group-version-kind'] ?? []) {
      const key = `${gvk.group ? `${gvk.group}/${gvk.version}` : gvk.version}/${gvk.kind}`;
      // The definitions also list generic kinds (DeleteOptions, WatchEvent) under every group.
      if (!Object.prototype.hasOwnProperty.call(byGvk, key) || name.endsWith(`.${gvk.kind}`)) byGvk[key] = name;
    }
  }
  closeSchemas(defs.definitions);
  const ajv = newAjv();
  ajv.addSchema({ $id: 'k8s', definitions: defs.definitions });
  const exports: Record<string, string> = {};
  for (const key of Object.keys(byGvk).sort()) exports[key] = `k8s#/definitions/${byGvk[key]}`;
  return standaloneCode(ajv, exports);
}

/** The standalone module of the vendored CRDs, exported as `group/version/Kind`. */
export function crdModule(dir: string = CRD_DIR): string {
  const ajv = newAjv();
  const exports: Record<string, string> = {};
  for (const [key, schema] of [...loadCrdSchemas(dir)].sort(([a], [b]) => a.localeCompare(b))) {
    const id = `crd:${key}`;
    ajv.addSchema({ ...schema, $id: id });
    exports[key] = id;
  }
  return standaloneCode(ajv, exports);
}

/** Writes every module into a folder (build/validators by default, which package.json `files` ships). */
export function buildValidators(outDir: string = validatorDir()): void {
  fs.mkdirSync(outDir, { recursive: true });
  for (const v of K8S_VERSIONS) fs.writeFileSync(path.join(outDir, `${v}.js`), kubernetesModule(v));
  fs.writeFileSync(path.join(outDir, 'crds.js'), crdModule());
}

if (require.main === module) buildValidators();
