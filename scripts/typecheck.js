#!/usr/bin/env node
/**
 * npm run typecheck (part of npm test): one TypeScript program of everything tsconfig.json
 * includes plus every ```ts block of README.md and docs/*.md, each block a module of its own
 * that imports the library as a user's project would (`from 'cdk8s-mastodon'`, mapped to
 * lib/index.ts). One program, so the library is checked once: a separate program for the
 * blocks (what test/readme.test.ts did) type-checked lib/ and imports/ a second time.
 *
 * The classes `cdk8s import` generated (imports/*.ts, ≈2 MB, never edited) are read as if they
 * began with `// @ts-nocheck`: their declarations give the library its types, as a .d.ts would,
 * but their bodies are not checked (≈2 s of check time, a sixth of the whole; measured with
 * `tsc --extendedDiagnostics`). `npm run build` (tsc -p tsconfig.build.json) still checks them.
 *
 * Plain JavaScript so it starts at once (no ts-node).
 */
'use strict';
const fs = require('fs');
const path = require('path');
const ts = require('typescript');

const ROOT = path.join(__dirname, '..');
/** Where the blocks seem to live: they exist only in memory. */
const BLOCK_DIR = path.join(ROOT, '.readme-blocks');
/** Unused locals and imports are allowed in a README snippet (the project's own code forbids them). */
const ALLOWED_IN_BLOCKS = new Set([6133, 6138, 6192, 6196, 6198, 6199, 6205]);

const IMPORTS_DIR = path.join(ROOT, 'imports');
/** `npm run typecheck`'s incremental state (see `buildInfo` below); delete it to check from scratch. */
const BUILD_INFO = path.join(ROOT, 'node_modules', '.cache', 'cdk8s-mastodon', 'typecheck.tsbuildinfo');
/** A class file `cdk8s import` generated (imports/*.ts): its declarations are used, its bodies not checked. */
function isGenerated(f) {
  const abs = path.resolve(f);
  return path.dirname(abs) === IMPORTS_DIR && abs.endsWith('.ts') && !abs.endsWith('.d.ts');
}

/** The ```ts blocks of a Markdown text, with the line each starts on. */
function tsBlocks(text) {
  const lines = text.split('\n');
  const out = [];
  for (let i = 0; i < lines.length; i++) {
    if (/^```(ts|typescript)\s*$/.test(lines[i])) {
      const start = i + 1;
      let j = start;
      while (j < lines.length && !/^```\s*$/.test(lines[j])) j++;
      out.push({ line: start + 1, code: lines.slice(start, j).join('\n') });
      i = j;
    }
  }
  return out;
}

/** Every ```ts block of README.md and docs/*.md, named by its document. */
function docBlocks(root = ROOT) {
  const docs = ['README.md', ...fs.readdirSync(path.join(root, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`)];
  return docs.flatMap((doc) => tsBlocks(fs.readFileSync(path.join(root, doc), 'utf8')).map((b) => ({ ...b, doc })));
}

/**
 * Type-checks the project (or only `rootNames`, when given) together with `blocks`. Returns the
 * problems: blocks' as `doc:line: TSnnnn message`, others as tsc prints them. `types` replaces
 * tsconfig.json's global type packages (node, jest): a test's small program passes `[]`, since
 * loading @types/node and @types/jest is most of its cost.
 *
 * `buildInfo`: a file for TypeScript's incremental state (what `tsc --incremental` keeps in a
 * .tsbuildinfo): each file's version (a SHA-256 of its text, the in-memory ones included), the
 * signature of its declarations and its diagnostics. A run re-checks the files whose text changed
 * and those whose dependencies' declarations changed, and replays the stored diagnostics of the
 * others, so the answer is the full check's (TypeScript's builder, `createIncrementalProgram`;
 * it ignores a file it cannot read or one from another TypeScript version or other options).
 * The file is replaced atomically; failing to write it costs only speed.
 */
function typecheck({ blocks = docBlocks(), rootNames, types, virtualFiles = {}, buildInfo } = {}) {
  const config = ts.getParsedCommandLineOfConfigFile(path.join(ROOT, 'tsconfig.json'), { noEmit: true }, {
    ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => { throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n')); },
  });
  const options = {
    ...config.options, ...(types ? { types } : {}), paths: { ...(config.options.paths ?? {}), 'cdk8s-mastodon': ['./lib/index.ts'] }, pathsBasePath: ROOT,
    ...(buildInfo ? { incremental: true, tsBuildInfoFile: path.resolve(buildInfo) } : {}),
  };
  const files = new Map(blocks.map((b, i) => [path.join(BLOCK_DIR, `block-${i}.ts`), { ...b, text: `${b.code}\nexport {};\n` }]));
  // Files that exist only in memory (a test's probe), at the path they pretend to have.
  const virtual = new Map(Object.entries(virtualFiles).map(([f, text]) => [path.resolve(f), text]));
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists, readFile } = host;
  host.fileExists = (f) => files.has(path.resolve(f)) || virtual.has(path.resolve(f)) || fileExists.call(host, f);
  host.readFile = (f) => files.get(path.resolve(f))?.text ?? virtual.get(path.resolve(f)) ?? readFile.call(host, f);
  const sourceFile = (f, lang, ...rest) => {
    const b = files.get(path.resolve(f));
    if (b) return ts.createSourceFile(f, b.text, lang);
    if (isGenerated(f)) return ts.createSourceFile(f, `// @ts-nocheck\n${host.readFile(f)}`, lang);
    if (virtual.has(path.resolve(f))) return ts.createSourceFile(f, virtual.get(path.resolve(f)), lang);
    return getSourceFile.call(host, f, lang, ...rest);
  };
  host.getSourceFile = (...args) => {
    const sf = sourceFile(...args);
    // The version the incremental builder compares (what createIncrementalCompilerHost sets).
    if (sf && buildInfo) sf.version = ts.sys.createHash(sf.text);
    return sf;
  };
  const programOptions = { rootNames: [...(rootNames ?? config.fileNames), ...files.keys()], options, host, configFileParsingDiagnostics: config.errors };
  const diagnostics = buildInfo ? incrementalDiagnostics(programOptions) : ts.getPreEmitDiagnostics(ts.createProgram(programOptions));
  const problems = [];
  const others = [];
  for (const d of diagnostics) {
    const b = d.file && files.get(path.resolve(d.file.fileName));
    if (!b) { others.push(d); continue; }
    if (ALLOWED_IN_BLOCKS.has(d.code)) continue;
    const { line } = d.file.getLineAndCharacterOfPosition(d.start ?? 0);
    problems.push(`${b.doc}:${b.line + line}: TS${d.code} ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
  }
  const formatHost = { getCanonicalFileName: (f) => f, getCurrentDirectory: () => ROOT, getNewLine: () => '\n' };
  if (others.length > 0) problems.unshift(ts.formatDiagnostics(others, formatHost).trimEnd());
  return problems;
}

/**
 * What ts.getPreEmitDiagnostics gives (config, options, syntax, global, semantic and, with
 * `declaration`, declaration diagnostics), through the incremental builder; then its state is
 * written to options.tsBuildInfoFile (with noEmit only the .tsbuildinfo is written).
 */
function incrementalDiagnostics(programOptions) {
  const builder = ts.createIncrementalProgram(programOptions);
  const diagnostics = ts.sortAndDeduplicateDiagnostics([
    ...builder.getConfigFileParsingDiagnostics(),
    ...builder.getOptionsDiagnostics(),
    ...builder.getSyntacticDiagnostics(),
    ...builder.getGlobalDiagnostics(),
    ...builder.getSemanticDiagnostics(),
    ...(programOptions.options.declaration ? builder.getDeclarationDiagnostics() : []),
  ]);
  builder.emit(undefined, (file, text) => {
    try {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      const tmp = `${file}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, text);
      fs.renameSync(tmp, file);
    } catch {
      // A cache that cannot be written (read-only checkout): the next run checks everything.
    }
  });
  return diagnostics;
}

module.exports = { tsBlocks, docBlocks, typecheck };

if (require.main === module) {
  const blocks = docBlocks();
  const problems = typecheck({ blocks, buildInfo: BUILD_INFO });
  if (problems.length > 0) {
    process.stderr.write(`${problems.join('\n')}\n`);
    process.exit(1);
  }
  console.log(`typecheck: the project and ${blocks.length} TypeScript blocks of README.md and docs/ compile`);
}
