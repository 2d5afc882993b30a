/**
 * A YAML writer for Kubernetes manifests whose output is byte for byte what cdk8s 2.70.106 writes
 * (`Yaml.stringify(...docs)` in node_modules/cdk8s/lib/yaml.js: the `yaml` 2.9.1 library's
 * `YAML.stringify(doc, { keepUndefined: true, lineWidth: 0, version: '1.1' })` per document,
 * `undefined` as an empty line, joined with `---\n`), several times faster: it writes strings
 * straight from the JSON-like objects instead of building a Document node tree per object.
 *
 * The rules below were written from reading yaml 2.9.1's dist/stringify/*.js and
 * dist/schema/yaml-1.1/*.js (which strings it leaves plain, which it quotes and how, when it
 * writes a `|` block, which words and number shapes YAML 1.1 would read as something other than
 * a string). They cover only what manifests hold: plain objects, arrays, strings, finite numbers,
 * booleans and null. For any document holding anything else, or a string or key shape these
 * rules do not decide with certainty, the whole document is written by the `yaml` library itself
 * with cdk8s's options, so the output is always the library's. test/manifest-yaml.test.ts checks
 * the equality on every object the app renders and on thousands of generated hostile values.
 *
 * Pure: no cdk8s import (the fallback loads `yaml`, which cdk8s depends on, only when needed).
 */

/** cdk8s's options for `YAML.stringify` (node_modules/cdk8s/lib/yaml.js, `Yaml.stringify`). */
export const CDK8S_YAML_OPTIONS = Object.freeze({ keepUndefined: true, lineWidth: 0, version: '1.1' as const });

/** Thrown inside the emitter when a value is outside what it decides with certainty. */
class OutOfDomain extends Error {}
const OUT = new OutOfDomain('outside the manifest writer domain');

/** How many documents were written by the `yaml` library instead (for tests and the bench). */
export const manifestYamlStats = { documents: 0, fallbacks: 0 };

/** Writes one document the way cdk8s's `Yaml.stringify(doc)` does; used outside the writer's domain. */
export type ManifestFallback = (doc: unknown) => string;

/**
 * The manifests as cdk8s writes them: each document as YAML 1.1, `undefined` as an empty line,
 * separated by `---`. `fallback` writes a document the writer leaves to the library (default: the
 * `yaml` copy cdk8s itself loads, with cdk8s's options).
 */
export function stringifyManifests(docs: readonly unknown[], fallback: ManifestFallback = libraryStringify): string {
  let out = '';
  for (let i = 0; i < docs.length; i++) {
    if (i > 0) out += '---\n';
    out += stringifyManifest(docs[i], fallback);
  }
  return out;
}

/** One document, ending in a newline (`\n` alone for `undefined`, as cdk8s writes it). */
export function stringifyManifest(doc: unknown, fallback: ManifestFallback = libraryStringify): string {
  if (doc === undefined) return '\n';
  manifestYamlStats.documents++;
  if (isPlainObject(doc)) {
    try {
      return writeMap(doc, '', new Set<object>()) + '\n';
    } catch (e) {
      if (!(e instanceof OutOfDomain)) throw e;
    }
  }
  manifestYamlStats.fallbacks++;
  return fallback(doc);
}

let yamlLibrary: { stringify(value: unknown, options: object): string } | undefined;
/**
 * The `yaml` library cdk8s loads (cdk8s has its own copy in node_modules/cdk8s/node_modules),
 * found by module resolution from cdk8s's folder without loading cdk8s; the project's copy if
 * cdk8s is not installed.
 */
function libraryStringify(doc: unknown): string {
  if (!yamlLibrary) {
    let from: string[] | undefined;
    try {
      from = [require('path').dirname(require.resolve('cdk8s/package.json'))];
    } catch {
      from = undefined;
    }
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    yamlLibrary = require(require.resolve('yaml', from ? { paths: from } : undefined)) as { stringify(value: unknown, options: object): string };
  }
  return yamlLibrary.stringify(doc, CDK8S_YAML_OPTIONS);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/**
 * A non-empty block mapping whose keys start at column `indent` (the first line carries no
 * indentation: the caller has placed it). `seen` holds the objects already written in this
 * document: the library writes a second reference to one as an alias (`*a1`), so that is left to it.
 */
function writeMap(obj: Record<string, unknown>, indent: string, seen: Set<object>): string {
  if (seen.has(obj)) throw OUT;
  seen.add(obj);
  const keys = Object.keys(obj);
  if (keys.length === 0) return '{}';
  // A symbol key is not written by the library either, but leave such objects to it anyway.
  if (Object.getOwnPropertySymbols(obj).length > 0) throw OUT;
  const inner = indent + '  ';
  let out = '';
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i];
    if (i > 0) out += '\n' + indent;
    out += writeKey(key, indent === '') + ':';
    const v = obj[key];
    if (v !== null && typeof v === 'object') {
      if (Array.isArray(v)) {
        out += v.length === 0 ? ' []' : '\n' + inner + writeSeq(v, inner, seen);
      } else {
        if (!isPlainObject(v)) throw OUT;
        out += Object.keys(v).length === 0 ? ' ' + writeMap(v, inner, seen) : '\n' + inner + writeMap(v, inner, seen);
      }
    } else {
      out += ' ' + writeScalar(v, inner);
    }
  }
  return out;
}

/** A non-empty block sequence whose dashes start at column `indent`. */
function writeSeq(arr: readonly unknown[], indent: string, seen: Set<object>): string {
  if (seen.has(arr)) throw OUT;
  seen.add(arr);
  // Holes and extra properties are left to the library.
  if (Object.getPrototypeOf(arr) !== Array.prototype) throw OUT;
  const inner = indent + '  ';
  let out = '';
  for (let i = 0; i < arr.length; i++) {
    if (!(i in arr)) throw OUT;
    if (i > 0) out += '\n' + indent;
    const v = arr[i];
    if (v !== null && typeof v === 'object') {
      if (Array.isArray(v)) {
        out += v.length === 0 ? '- []' : '- ' + writeSeq(v, inner, seen);
      } else {
        if (!isPlainObject(v)) throw OUT;
        out += '- ' + writeMap(v, inner, seen);
      }
    } else {
      out += '- ' + writeScalar(v, inner);
    }
  }
  return out;
}

/** A scalar value; `indent` is where the lines of a `|` block go. */
function writeScalar(v: unknown, indent: string): string {
  switch (typeof v) {
    case 'string':
      return writeString(v, indent);
    case 'number':
      if (!Number.isFinite(v)) throw OUT;
      // -0 is kept as `-0`; JSON's shortest round-trip form otherwise (1e+21, 5e-7, 0.5).
      return Object.is(v, -0) ? '-0' : JSON.stringify(v);
    case 'boolean':
      return v ? 'true' : 'false';
    case 'object':
      if (v === null) return 'null';
      throw OUT;
    default:
      // undefined (the library writes it by its keepUndefined rules), bigint, symbol, function
      throw OUT;
  }
}

/**
 * Characters after which the library always writes double quotes (C0 and C1 controls but tab
 * and newline, DEL) and lone surrogates. Such strings are left to it.
 */
const NEEDS_ESCAPES = /[\x00-\x08\x0b-\x1f\x7f-\x9f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * A one-line string that cannot stay plain in a block context: it starts with a YAML indicator
 * or white space, is a lone `-`/`?`, starts with `- `/`? `, holds `: ` or ` #`, or ends in white
 * space or `:`.
 */
const PLAIN_UNSAFE = /^[\t ,[\]{}#&*!|>'"%@`]|^[-?](?:[\t ]|$)|:[\t ]|[\t ]#|[\t :]$/;

/**
 * Plain words a YAML 1.1 reader (the library's 1.1 schema) resolves to something other than a
 * string, so the library quotes them: null (`~`, `null`, empty), booleans (y/n/yes/no/true/false/
 * on/off in their three case forms), `.inf`/`.nan`, binary/octal/decimal/hex integers with `_`,
 * floats with or without exponent, base-60 integers and floats (`1:20`, `1:20.5`), timestamps
 * (`2001-12-14`, `2001-12-14t21:59:43.10-05:00`, `2001-12-14 21:59:43.10 -5`). The merge key `<<`
 * is written plain by the library, as a key and as a value, so it is not in this list.
 */
const YAML11_NON_STRING = new RegExp(
  [
    '^(?:~|null|Null|NULL|)$',
    '^(?:[yYnN]|[yY]es|YES|[nN]o|NO|[tT]rue|TRUE|[fF]alse|FALSE|[oO]n|ON|[oO]ff|OFF)$',
    '^(?:[-+]?\\.(?:inf|Inf|INF)|\\.nan|\\.NaN|\\.NAN)$',
    '^[-+]?0b[01_]+$',
    '^[-+]?0x[0-9a-fA-F_]+$',
    '^[-+]?(?:\\d[\\d_]*)?(?:\\.[\\d_]*)?[eE][-+]?\\d+$',
    '^[-+]?(?:\\d[\\d_]*)?\\.[\\d_]*$',
    '^[-+]?\\d[\\d_]*(?::[0-5]?\\d)*(?:\\.[\\d_]*)?$',
    '^\\d{4}-\\d{1,2}-\\d{1,2}(?:(?:[tT]|[\\t ]+)\\d{1,2}:\\d{1,2}:\\d{1,2}(?:\\.\\d+)?(?:[\\t ]*(?:Z|[-+][012]?\\d(?::\\d\\d)?))?)?$',
  ].join('|'),
);

/** A line starting a YAML directive or document marker. */
const DOCUMENT_MARKER = /^(?:%|---|\.\.\.)/m;

function quote(s: string): string {
  // Single quotes only when they avoid escaping a double quote; otherwise JSON's double quotes,
  // which for a one-line string without control characters are YAML's double quotes too.
  return s.includes('"') && !s.includes("'") ? "'" + s + "'" : JSON.stringify(s);
}

function writeString(s: string, indent: string): string {
  if (NEEDS_ESCAPES.test(s)) throw OUT;
  if (s.includes('\n')) return writeBlock(s, indent);
  if (PLAIN_UNSAFE.test(s) || YAML11_NON_STRING.test(s)) return quote(s);
  return s;
}

/** A map key: plain where it can be, else quoted; at the top level also when it starts like a document marker. */
function writeKey(k: string, topLevel: boolean): string {
  if (NEEDS_ESCAPES.test(k)) throw OUT;
  let written: string;
  // A multi-line key is always double quoted on one line (`\n` escaped), which for text without
  // control characters is JSON's form, except that a space before a newline gets escaped too.
  if (k.includes('\n')) {
    if (k.includes(' \n')) throw OUT;
    written = JSON.stringify(k);
  } else if (PLAIN_UNSAFE.test(k) || YAML11_NON_STRING.test(k) || (topLevel && DOCUMENT_MARKER.test(k))) {
    written = quote(k);
  } else {
    written = k;
  }
  // Left to the library: a key whose written form (quotes and escapes included) is over 1024
  // characters, which it writes as an explicit key (`? key`, yaml dist/stringify/stringifyPair.js).
  if (written.length > 1024) throw OUT;
  return written;
}

/**
 * A multi-line string as a literal block: `|` with chomping (`-` no final newline, none for one,
 * `+` for more) and the indentation indicator `2` when the text starts with spaces (before its
 * first character other than space and newline), each line indented, empty lines left empty.
 * Left to the library: text ending in white space on its last line or before its final newlines
 * (it writes those quoted or with indented trailing lines), and text that is only newlines.
 */
function writeBlock(s: string, indent: string): string {
  let end = s.length;
  while (end > 0 && s.charCodeAt(end - 1) === 10) end--;
  if (end === 0) throw OUT;
  const last = s.charCodeAt(end - 1);
  if (last === 32 || last === 9) throw OUT;
  const newlines = s.length - end;
  const chomp = newlines === 0 ? '-' : newlines === 1 ? '' : '+';
  let lead = 0;
  while (s.charCodeAt(lead) === 10 || s.charCodeAt(lead) === 32) lead++;
  const indicator = s.slice(0, lead).includes(' ') ? '2' : '';
  const body = s.slice(0, end).replace(/\n+/g, (m) => m + indent);
  return '|' + indicator + chomp + '\n' + indent + body + '\n'.repeat(Math.max(0, newlines - 1));
}
