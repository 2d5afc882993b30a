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
 *
 * The package ships this file: `cdk8s-mastodon synth`/`test` in a server repository run its
 * main.ts under it (cache in that repository's node_modules/.cache, via CDK8S_MASTODON_TS_CACHE),
 * with TypeScript's transpileModule when @swc/core is not installed there.
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

/** The compiler: @swc/core here; in a server repository made by `cdk8s-mastodon init`, whose
 * devDependencies have typescript but not swc, TypeScript's transpileModule.
 * CDK8S_MASTODON_TS_COMPILER=typescript|@swc/core forces one. */
let chosen;
function compiler() {
  if (chosen) return chosen;
  const names = process.env.CDK8S_MASTODON_TS_COMPILER ? [process.env.CDK8S_MASTODON_TS_COMPILER] : ['@swc/core', 'typescript'];
  for (const name of names) {
    let pkg;
    try {
      pkg = require.resolve(`${name}/package.json`, { paths: [process.cwd(), ROOT] });
    } catch {
      continue;
    }
    const version = JSON.parse(fs.readFileSync(pkg, 'utf8')).version;
    // The compiler and its version are part of the key: an upgrade recompiles everything.
    chosen = { name, entry: path.dirname(pkg), salt: `${HOOK_VERSION}\0${name}@${version}\0${JSON.stringify(name === 'typescript' ? TS_OPTIONS : SWC_OPTIONS)}\0` };
    return chosen;
  }
  throw new Error('scripts/ts-register.js: neither @swc/core nor typescript is installed; run npm ci');
}

/** TypeScript's equivalent of SWC_OPTIONS (numbers: ts.ScriptTarget.ES2022, ts.ModuleKind.CommonJS). */
const TS_OPTIONS = { target: 9, module: 1, esModuleInterop: true, useDefineForClassFields: true, sourceMap: false, inlineSourceMap: false };

/** A compile error whose first line is `file:line:column - error: message` (1-based, as tsc prints). */
function compileError(lines) {
  const e = new SyntaxError(lines.join('\n'));
  e.code = 'CDK8S_MASTODON_TS_COMPILE';
  return e;
}

function transpile(source, filename) {
  const c = compiler();
  const lib = require(c.entry);
  if (c.name === 'typescript') {
    const r = lib.transpileModule(source, { fileName: filename, compilerOptions: TS_OPTIONS, reportDiagnostics: true });
    const errors = (r.diagnostics ?? []).filter((d) => d.category === lib.DiagnosticCategory.Error);
    if (errors.length > 0) {
      throw compileError(errors.map((d) => {
        const at = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start) : { line: 0, character: 0 };
        return `${filename}:${at.line + 1}:${at.character + 1} - error TS${d.code}: ${lib.flattenDiagnosticMessageText(d.messageText, '\n')}`;
      }));
    }
    return r.outputText;
  }
  try {
    return lib.transformSync(source, { ...SWC_OPTIONS, filename }).code;
  } catch (e) {
    // swc's report: "  x message" then a code frame headed ",-[file:line:column]".
    const text = String(e && e.message !== undefined ? e.message : e);
    const where = /,-\[(.*):(\d+):(\d+)\]/.exec(text);
    const what = /^\s*x (.*)$/m.exec(text);
    throw compileError([`${where ? `${where[1]}:${where[2]}:${where[3]}` : filename} - error: ${what ? what[1] : text.split('\n')[0]}`, text]);
  }
}

/** The JavaScript for a TypeScript source, from the cache or freshly compiled (and cached). */
function compile(source, filename) {
  const key = crypto.createHash('sha256').update(compiler().salt).update(filename).update('\0').update(source).digest('hex');
  const file = path.join(CACHE_DIR, key.slice(0, 2), `${key.slice(2)}.js`);
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    // A miss: compile below.
  }
  const code = transpile(source, filename);
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
