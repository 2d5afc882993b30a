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
 * when a file is added or removed there (a new `lib/x.tsx` beside `lib/x.ts` is preferred); for
 * an input `x/index.ts`, the files that would be preferred to it (`x.ts`, `x.js`, … beside the
 * folder) are recorded as missing. Each input is stat-ed as esbuild is about to read it (see
 * perFileValues), so an edit saved during a build is seen by the next run. tsconfig.json, node_modules/.package-lock.json (any install, esbuild's own
 * upgrade included) and this file are inputs too. Anything different: rebuild (≈1 s), then run.
 *
 * The code cache is keyed by the bundle's SHA-256 (V8's own check only compares the source's
 * length, which an edit can keep) and V8 rejects it for another Node version or other V8 flags;
 * our own SHA-256 of the cache guards against damage V8 does not check (see {@link run});
 * a rejected or missing cache is rewritten after the run, when it also holds the functions the
 * run compiled lazily. Every write is a unique temporary file renamed into place, so concurrent
 * runs never read half a file; a read-only cache folder only costs speed. A rebuild removes the
 * entry's older bundles and code caches (see {@link pruneOlder}).
 *
 * Per-file values a bundle would otherwise lose: `__dirname`/`__filename` are given to each file
 * that mentions them (same line, so line numbers stay), and in a non-entry file of this
 * repository `require.main === module` reads false, so only the entry's main block runs. Compile errors print as `file:line:column: message` and exit 1 before anything ran.
 */
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const Module = require('module');
const path = require('path');
const vm = require('vm');

const RUNNER_VERSION = '2';
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
  const tmp = `${file}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`;
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(tmp, data);
    fs.renameSync(tmp, file);
  } catch {
    // A read-only or full disk only costs speed; a half-written temporary file (ENOSPC) or one
    // that could not be renamed is removed, or each run would leave one more.
    try {
      fs.unlinkSync(tmp);
    } catch {
      // Never created.
    }
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

/** esbuild's resolveExtensions default, in its order of preference. */
const EXTENSIONS = ['.tsx', '.ts', '.jsx', '.js', '.css', '.json'];

/**
 * The files that, added, would be chosen instead of `dir/x/index.ts` for an import of `./x`:
 * `dir/x.tsx`, `dir/x.ts`, … (a file is preferred to a folder; esbuild and Node agree). They sit
 * in the parent folder, which holds no input when nothing else is imported from there; the
 * manifest records them as missing.
 */
function shadowsOf(input) {
  if (!/^index\.[a-z]+$/.test(path.basename(input))) return [];
  const folder = path.dirname(input);
  return EXTENSIONS.map((ext) => `${folder}${ext}`);
}

/**
 * esbuild plugin: per-file __dirname/__filename, main blocks of non-entry files, and into `seen`
 * the signature of each file taken before esbuild reads it. A signature taken after the build
 * missed an edit saved during it (the bundle held the old text, the manifest the new stat: stale
 * until the next edit); taken before the read, any later change differs from it.
 */
function perFileValues(entry, seen) {
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
      build.onLoad({ filter: /.*/, namespace: 'file' }, (args) => {
        seen.set(args.path, signature(args.path));
        if (!/\.(ts|js|cjs)$/.test(args.path)) return undefined;
        const text = fs.readFileSync(args.path, 'utf8');
        const own = !args.path.includes(NM);
        const decl = [];
        if (text.includes('__dirname')) decl.push(`__dirname = ${JSON.stringify(path.dirname(args.path))}`);
        if (text.includes('__filename')) decl.push(`__filename = ${JSON.stringify(args.path)}`);
        // A main block of another file of ours must not run: its test becomes false (true for
        // `!==`). Not by declaring a `module` of its own: in a CommonJS file esbuild's wrapper
        // passes the real `module`, and a declared one took its place, so `module.exports` went
        // nowhere and importers got undefined.
        let body = text;
        // Both orders: `module === require.main` too (in an ES module of ours `module` is the
        // entry's own in the bundle, so that test read true and ran the block).
        if (own && args.path !== entry) body = body.replace(/require\.main\s*(===?|!==?)\s*module\b|(?<![\w$.])module\s*(===?|!==?)\s*require\.main\b/g, (_m, op1, op2) => ((op1 ?? op2).startsWith('=') ? 'false' : 'true'));
        if (decl.length === 0 && body === text) return undefined;
        // On the first line, so every line number stays. A leading "#!" line stays first.
        const shebang = body.startsWith('#!') ? body.slice(0, body.indexOf('\n') + 1) : '';
        const loader = args.path.endsWith('.ts') ? 'ts' : 'js';
        return { contents: decl.length ? `${shebang}var ${decl.join(', ')}; ${body.slice(shebang.length)}` : body, loader };
      });
    },
  };
}

/** Bundles the entry; returns the manifest written. Compile errors: printed, exit 1. */
async function build(entry) {
  const esbuild = require('esbuild');
  let result;
  const seen = new Map();
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
      plugins: [perFileValues(entry, seen)],
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
  for (const input of [...read, ...fixedInputs()]) files[input] = seen.get(input) ?? signature(input);
  // Only the folders esbuild resolved in, not those of the fixed inputs: the repository's root
  // (tsconfig.json's folder) changes whenever synth swaps dist/ in, and tracking it rebuilt the
  // bundle on every run.
  for (const input of read) {
    if (input.includes(NM)) continue;
    dirs[path.dirname(input)] = dirSignature(path.dirname(input));
    for (const shadow of shadowsOf(input)) files[shadow] = signature(shadow);
  }
  const manifest = { runner: RUNNER_VERSION, entry, node: process.version, esbuild: esbuild.version, bundle, hash, files, dirs };
  writeAtomically(locations(entry).manifest, JSON.stringify(manifest));
  pruneOlder(locations(entry).base, hash);
  return { manifest, code: Buffer.from(code) };
}

/**
 * Removes the entry's other bundles and code caches (`<base>.<other hash>.{js,v8}`): every
 * rebuild names its bundle by a new hash, and without this each edit left ≈4 MB behind (synth's
 * bundle and code cache) for ever. A run reading one of them at that moment finds it missing
 * and rebuilds (see {@link run}); other entries' files and temporary files are left alone.
 */
function pruneOlder(base, hash) {
  const dir = path.dirname(base);
  const prefix = `${path.basename(base)}.`;
  const keep = `${prefix}${hash.slice(0, 16)}.`;
  let names;
  try {
    names = fs.readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(prefix) || name.startsWith(keep) || !/^[0-9a-f]{16}\.(js|v8)$/.test(name.slice(prefix.length))) continue;
    try {
      fs.unlinkSync(path.join(dir, name));
    } catch {
      // Already gone, or a read-only cache: only costs space.
    }
  }
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
  // The cache file is the SHA-256 of the V8 data, then the data. V8 (Node 20) checks only a
  // header (version, flags, source length, payload length) before deserializing: a cache damaged
  // inside its payload (a bad disk block, a copy cut short and padded) made the process abort
  // with "Fatal error … unreachable code" on every run until the file was deleted, or was
  // accepted. Our checksum rejects it first (a few ms for the ≈1.6 MB of synth's cache).
  let cachedData;
  try {
    const file = fs.readFileSync(cacheFile);
    const data = file.subarray(32);
    if (file.length > 32 && crypto.createHash('sha256').update(data).digest().equals(file.subarray(0, 32))) cachedData = data;
  } catch {
    // No cache yet.
  }
  // Stack traces name the bundle file (each file in it is headed by a `// path` comment);
  // require.main, __filename and process.argv[1] name the script (below).
  const script = new vm.Script(Module.wrap(source), { filename: bundleFile, cachedData });
  if (cachedData === undefined || script.cachedDataRejected) {
    process.once('exit', () => {
      const data = script.createCachedData();
      writeAtomically(cacheFile, Buffer.concat([crypto.createHash('sha256').update(data).digest(), data]));
    });
  }
  const main = new Module(entry, null);
  main.filename = entry;
  main.paths = Module._nodeModulePaths(path.dirname(entry));
  main.loaded = true;
  // Packages left out of the bundle (NOT_BUNDLED) and require.resolve() are resolved from the
  // entry, as Node does for the script itself: from the bundle's folder they were not found when
  // CDK8S_MASTODON_BUNDLE_CACHE points outside the repository ("Cannot find module
  // '@resvg/resvg-js'" in `npm run plan`).
  const req = Module.createRequire(entry);
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
