#!/usr/bin/env node
/**
 * `node scripts/bundle-run.js scripts/x.ts [args…]`: how every npm script of this repository runs
 * its TypeScript. The entry and everything it imports (lib/, imports/, node_modules) are bundled
 * by esbuild into ONE CommonJS file, kept in node_modules/.cache/cdk8s-mastodon/bundle/, and run
 * from a V8 code cache made by the first run. Why: the synth process loaded 335 files (7 MB of
 * JavaScript) through Node's module loader, and resolving, reading and compiling them was more
 * than half of its time; one file with cached bytecode skips all three.
 * README "How synth is fast" has the measurements.
 *
 * Freshness, so a stale bundle is never run: the bundle's manifest lists every input esbuild
 * read (its metafile), each with its size, modification time, status-change time (ctime) and
 * inode. The ctime is set by the kernel to the current time on every write, rename or chmod, and
 * no tool can set it back (utimes sets only atime and mtime), so an edit that keeps size and
 * modification time is still seen, as a content hash would see it, for the cost of one stat.
 * npm replaces files when it installs, so node_modules changes are seen the same way. The
 * folders of this repository's inputs are compared by their modification time, which changes
 * when a file is added or removed there (a new `lib/x/index.ts` could change what `lib/x`
 * resolves to). tsconfig.json, node_modules/.package-lock.json (any install, esbuild's own
 * upgrade included) and this file are inputs too. Anything different: rebuild (≈1 s), then run.
 *
 * The code cache is keyed by the bundle's SHA-256 (V8's own check only compares the source's
 * length, which an edit can keep) and V8 rejects it for another Node version or other V8 flags;
 * a rejected or missing cache is rewritten after the run, when it also holds the functions the
 * run compiled lazily. Every write is a unique temporary file renamed into place, so concurrent
 * runs never read half a file; a read-only cache folder only costs speed.
 *
 * Per-file values a bundle would otherwise lose: `__dirname`/`__filename` are given to each file
 * that mentions them (same line, so line numbers stay), and a non-entry file of this repository
 * that tests `require.main === module` gets a `module` of its own, so only the entry's main
 * block runs. Compile errors print as `file:line:column: message` and exit 1 before anything ran.
 */
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const Module = require('module');
const path = require('path');
const vm = require('vm');

const RUNNER_VERSION = '1';
const ROOT = path.join(__dirname, '..');
const CACHE_DIR = process.env.CDK8S_MASTODON_BUNDLE_CACHE || path.join(ROOT, 'node_modules', '.cache', 'cdk8s-mastodon', 'bundle');
const NM = `${path.sep}node_modules${path.sep}`;
/** Where a bundled process lists its bundle's input files (see {@link run}). */
const BUNDLED_FILES = Symbol.for('cdk8s-mastodon.bundled-files');

/**
 * Packages loaded by Node at run time instead of bundled: those with native code (.node files
 * esbuild cannot bundle) and the large tool chains a script only reaches on a rare path.
 */
const NOT_BUNDLED = ['@resvg/resvg-js', '@swc/core', 'esbuild', 'typescript', 'json-schema-to-typescript', 'prettier'];

const sha256 = (data) => crypto.createHash('sha256').update(data).digest('hex');

/** What a file is compared by (see the header). */
function signature(file) {
  try {
    const s = fs.statSync(file, { bigint: true });
    return `${s.size}:${s.mtimeNs}:${s.ctimeNs}:${s.ino}`;
  } catch {
    return 'missing';
  }
}

function dirSignature(dir) {
  try {
    return `mtime:${fs.statSync(dir, { bigint: true }).mtimeNs}`;
  } catch {
    return 'missing';
  }
}

/** The bundle files of one entry: `<cache>/<sha of the entry's real path>.{json,…}`. */
function locations(entry) {
  const base = path.join(CACHE_DIR, sha256(`${RUNNER_VERSION}\0${entry}`).slice(0, 32));
  return { manifest: `${base}.json`, base };
}

function writeAtomically(file, data) {
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`;
    fs.writeFileSync(tmp, data);
    fs.renameSync(tmp, file);
  } catch {
    // A read-only or full disk only costs speed.
  }
}

/** The fixed inputs beside esbuild's own list. */
function fixedInputs() {
  return [__filename, path.join(ROOT, 'tsconfig.json'), path.join(ROOT, 'node_modules', '.package-lock.json')];
}

/** The manifest if it still describes the sources exactly, else undefined. */
function freshManifest(entry) {
  const { manifest } = locations(entry);
  let m;
  try {
    m = JSON.parse(fs.readFileSync(manifest, 'utf8'));
  } catch {
    return undefined;
  }
  if (m.runner !== RUNNER_VERSION || m.entry !== entry || m.node !== process.version) return undefined;
  for (const [file, sig] of Object.entries(m.files)) if (signature(file) !== sig) return undefined;
  for (const [dir, sig] of Object.entries(m.dirs)) if (dirSignature(dir) !== sig) return undefined;
  return m;
}

/** Whether a file under node_modules is CommonJS (not .mjs, and its package is not "type": "module"). */
function isCommonJs(file) {
  if (file.endsWith('.mjs')) return false;
  if (file.endsWith('.cjs')) return true;
  for (let d = path.dirname(file); d.includes(NM); d = path.dirname(d)) {
    try {
      return JSON.parse(fs.readFileSync(path.join(d, 'package.json'), 'utf8')).type !== 'module';
    } catch {
      // No package.json here: look further up.
    }
  }
  return true;
}

/** esbuild plugin: per-file __dirname/__filename, and `module` for non-entry main blocks. */
function perFileValues(entry) {
  return {
    name: 'cdk8s-mastodon-per-file',
    setup(build) {
      // One copy of a package that node_modules holds twice at the same version (cdk8s nests
      // its own yaml 2.9.1 beside ours): half the code to load, same behaviour.
      build.onResolve({ filter: /^[^./]/ }, (args) => {
        if (!args.importer.includes(NM) || args.pluginData === 'dedupe') return undefined;
        const name = args.path.startsWith('@') ? args.path.split('/').slice(0, 2).join('/') : args.path.split('/')[0];
        let nested;
        let top;
        try {
          nested = require.resolve(`${name}/package.json`, { paths: [args.resolveDir] });
          top = require.resolve(`${name}/package.json`, { paths: [ROOT] });
        } catch {
          return undefined;
        }
        if (nested === top) return undefined;
        const version = (f) => JSON.parse(fs.readFileSync(f, 'utf8')).version;
        if (version(nested) !== version(top)) return undefined;
        return build.resolve(args.path, { kind: args.kind, resolveDir: ROOT, pluginData: 'dedupe' });
      });
      // An ES module importing a CommonJS one gets a copy of its exports (esbuild's __toESM), once
      // per importing file: cdk8s-plus-28's k8s module has over a thousand exports and 13 of our
      // files import it. Our imports of a CommonJS package go through one ES facade instead, so
      // the copy is made once.
      build.onResolve({ filter: /^[^./]/ }, async (args) => {
        if (args.importer.includes(NM) || args.namespace !== 'file' || args.pluginData === 'facade' || args.kind !== 'import-statement') return undefined;
        const r = await build.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, pluginData: 'facade' });
        if (r.errors.length > 0 || r.external || !r.path.includes(NM) || !isCommonJs(r.path)) return r;
        return { path: r.path, namespace: 'cjs-facade' };
      });
      build.onLoad({ filter: /.*/, namespace: 'cjs-facade' }, (args) => ({
        contents: `export * from ${JSON.stringify(args.path)};\nexport { default } from ${JSON.stringify(args.path)};\n`,
        resolveDir: path.dirname(args.path),
        loader: 'js',
      }));
      build.onLoad({ filter: /\.(ts|js|cjs)$/ }, (args) => {
        const text = fs.readFileSync(args.path, 'utf8');
        const own = !args.path.includes(NM);
        const decl = [];
        if (text.includes('__dirname')) decl.push(`__dirname = ${JSON.stringify(path.dirname(args.path))}`);
        if (text.includes('__filename')) decl.push(`__filename = ${JSON.stringify(args.path)}`);
        if (own && args.path !== entry && /require\.main\s*===?\s*module/.test(text)) decl.push(`module = { id: ${JSON.stringify(args.path)} }`);
        if (decl.length === 0) return undefined;
        // On the first line, so every line number stays. A leading "#!" line stays first.
        const shebang = text.startsWith('#!') ? text.slice(0, text.indexOf('\n') + 1) : '';
        const loader = args.path.endsWith('.ts') ? 'ts' : 'js';
        return { contents: `${shebang}var ${decl.join(', ')}; ${text.slice(shebang.length)}`, loader };
      });
    },
  };
}

/** Bundles the entry; returns the manifest written. Compile errors: printed, exit 1. */
async function build(entry) {
  const esbuild = require('esbuild');
  let result;
  try {
    result = await esbuild.build({
      entryPoints: [entry],
      absWorkingDir: ROOT,
      bundle: true,
      platform: 'node',
      target: `node${process.versions.node.split('.')[0]}`,
      format: 'cjs',
      // Every non-ASCII character escaped (esbuild's default, stated): see run().
      charset: 'ascii',
      // Not minified: a stack trace names the bundle and a line in it, and esbuild heads each
      // file in the bundle with a `// path` comment, so the source is easy to find. Names are
      // not kept (keepNames wraps every function: ≈20 ms): a class's `name` only changes when it
      // collides with another file's (esbuild adds a number), and only error texts read one
      // (cdk8s's sanitizeValue, constructs' validation); the equivalence tests compare bytes.
      write: false,
      metafile: true,
      logLevel: 'silent',
      // import() becomes require(): a script compiled from a code cache has no dynamic-import
      // host in Node 20 (ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING); every package we import() is CommonJS.
      supported: { 'dynamic-import': false },
      external: NOT_BUNDLED.flatMap((p) => [p, `${p}/*`]),
      plugins: [perFileValues(entry)],
    });
  } catch (e) {
    for (const err of e.errors ?? []) {
      const at = err.location ? `${path.resolve(ROOT, err.location.file)}:${err.location.line}:${err.location.column + 1}` : entry;
      process.stderr.write(`${at} - error: ${err.text}\n`);
    }
    if (!e.errors) process.stderr.write(`${e.stack ?? e}\n`);
    process.exit(1);
  }
  const code = result.outputFiles[0].contents;
  const hash = sha256(code);
  const bundle = `${locations(entry).base}.${hash.slice(0, 16)}.js`;
  writeAtomically(bundle, code);
  const files = {};
  const dirs = {};
  // Inputs in a plugin's namespace (`cjs-facade:…`) are made from a file that is itself an input.
  const read = Object.keys(result.metafile.inputs).filter((f) => !/^[a-z-]+:/.test(f)).map((f) => path.resolve(ROOT, f));
  for (const input of [...read, ...fixedInputs()]) {
    files[input] = signature(input);
    if (!input.includes(NM)) dirs[path.dirname(input)] = dirSignature(path.dirname(input));
  }
  const manifest = { runner: RUNNER_VERSION, entry, node: process.version, esbuild: esbuild.version, bundle, hash, files, dirs };
  writeAtomically(locations(entry).manifest, JSON.stringify(manifest));
  return { manifest, code: Buffer.from(code) };
}

/** Runs the bundle as the main module, from its code cache when there is a good one. */
function run(entry, bundleFile, hash, inputs, code) {
  let bytes;
  try {
    bytes = code ?? fs.readFileSync(bundleFile);
  } catch {
    return false; // deleted under us: the caller rebuilds
  }
  if (sha256(bytes) !== hash) return false; // damaged: the caller rebuilds
  // Decoded as Latin-1 (4× faster than UTF-8, and a one-byte string): esbuild escapes every
  // non-ASCII character in code (charset below); only comments it keeps may hold UTF-8 bytes,
  // which then read as other characters, in comments.
  const source = bytes.toString('latin1');
  const cacheFile = `${bundleFile.slice(0, -3)}.v8`;
  let cachedData;
  try {
    cachedData = fs.readFileSync(cacheFile);
  } catch {
    // No cache yet.
  }
  // The bundle's file name is the entry's, so stack traces and require.main name the script.
  const script = new vm.Script(Module.wrap(source), { filename: bundleFile, cachedData });
  if (cachedData === undefined || script.cachedDataRejected) {
    process.once('exit', () => writeAtomically(cacheFile, script.createCachedData()));
  }
  const main = new Module(entry, null);
  main.filename = entry;
  main.paths = Module._nodeModulePaths(path.dirname(entry));
  main.loaded = true;
  const req = Module.createRequire(bundleFile);
  Object.defineProperty(req, 'main', { value: main });
  process.argv[1] = entry;
  // What the bundle holds, for scripts/bench-probe.js (which finds the process that rendered by
  // the library files it loaded: here they are in the bundle, not in require.cache).
  Object.defineProperty(globalThis, BUNDLED_FILES, { value: inputs, configurable: true });
  script.runInThisContext().call(main.exports, main.exports, req, main, entry, path.dirname(entry));
  return true;
}

async function mainAsync(entry) {
  const { manifest, code } = await build(entry);
  if (!run(entry, manifest.bundle, manifest.hash, Object.keys(manifest.files), code)) {
    throw new Error(`${entry}: the bundle just built does not match its own hash (a defect in scripts/bundle-run.js)`);
  }
}

function start() {
  const [, , given, ...rest] = process.argv;
  if (!given) {
    process.stderr.write('usage: node scripts/bundle-run.js <script.ts> [args…]\n');
    process.exit(2);
  }
  let entry;
  try {
    entry = fs.realpathSync(path.resolve(given));
  } catch {
    process.stderr.write(`${given}: no such file\n`);
    process.exit(2);
  }
  process.argv = [process.argv[0], entry, ...rest];
  const m = freshManifest(entry);
  if (m && run(entry, m.bundle, m.hash, Object.keys(m.files))) return;
  mainAsync(entry).catch((e) => {
    process.stderr.write(`${e.stack ?? e}\n`);
    process.exit(1);
  });
}

if (require.main === module) start();
module.exports = { BUNDLED_FILES, CACHE_DIR, freshManifest, signature };
