/**
 * A small require hook for this repository's own scripts (`node -r ./scripts/ts-register.js x.ts`):
 * compiles each .ts file with @swc/core (already a dev dependency) and keeps the JavaScript in
 * node_modules/.cache/cdk8s-mastodon/ts/, keyed by the SHA-256 of everything the output depends
 * on: this hook's version, the @swc/core version, the options below, the file's path and its
 * full source text. An edited file has a new key, so a stale entry can never be served; old
 * entries are simply never read again (delete the folder to reclaim the space).
 *
 * Why not ts-node: it loads `typescript` (≈0.5 s here) even with --swc. Why not
 * @swc-node/register: it also loads `typescript` to read tsconfig.json and keeps no cache on
 * disk. With a warm cache this hook does not load @swc/core at all: a hit is one hash and one
 * file read. The options mirror what ts-node --swc derives from tsconfig.json (target ES2022,
 * CommonJS, esModuleInterop, class names kept, define semantics for class fields), and the
 * integration test test/integration/synth-equivalence.itest.ts checks that the output is
 * byte-for-byte what the real `cdk8s synth` (ts-node) writes.
 *
 * Only files outside node_modules are compiled; everything else loads as usual.
 */
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');

const HOOK_VERSION = '1';
const ROOT = path.join(__dirname, '..');
const CACHE_DIR = process.env.CDK8S_MASTODON_TS_CACHE || path.join(ROOT, 'node_modules', '.cache', 'cdk8s-mastodon', 'ts');

const SWC_OPTIONS = {
  swcrc: false,
  configFile: false,
  sourceMaps: false,
  module: { type: 'commonjs', noInterop: false, strictMode: true },
  jsc: {
    parser: { syntax: 'typescript', tsx: false, decorators: false, dynamicImport: true },
    target: 'es2022',
    keepClassNames: true,
    transform: { useDefineForClassFields: true },
  },
};

let swc;
let salt;
function cacheSalt() {
  if (salt === undefined) {
    // The installed compiler's version is part of the key: an upgrade recompiles everything.
    const swcVersion = JSON.parse(fs.readFileSync(require.resolve('@swc/core/package.json', { paths: [ROOT] }), 'utf8')).version;
    salt = `${HOOK_VERSION}\0${swcVersion}\0${JSON.stringify(SWC_OPTIONS)}\0`;
  }
  return salt;
}

/** The JavaScript for a TypeScript source, from the cache or freshly compiled (and cached). */
function compile(source, filename) {
  const key = crypto.createHash('sha256').update(cacheSalt()).update(filename).update('\0').update(source).digest('hex');
  const file = path.join(CACHE_DIR, key.slice(0, 2), `${key.slice(2)}.js`);
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    // A miss: compile below.
  }
  swc ??= require(require.resolve('@swc/core', { paths: [ROOT] }));
  const { code } = swc.transformSync(source, { ...SWC_OPTIONS, filename });
  try {
    // Written under a unique name, then renamed: a reader never sees half a file, and two
    // processes compiling the same source write the same bytes.
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`;
    fs.writeFileSync(tmp, code);
    fs.renameSync(tmp, file);
  } catch {
    // A read-only or full disk only costs speed.
  }
  return code;
}

function register() {
  if (require.extensions['.ts']) return; // ts-node (or jest) is already in charge
  require.extensions['.ts'] = function loadTs(module, filename) {
    if (filename.split(path.sep).includes('node_modules')) {
      throw new Error(`${filename}: TypeScript inside node_modules is not compiled by scripts/ts-register.js`);
    }
    module._compile(compile(fs.readFileSync(filename, 'utf8'), filename), filename);
  };
}

register();
module.exports = { compile, CACHE_DIR };
