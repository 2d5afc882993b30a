/**
 * scripts/bundle-run.js (how every npm script runs its TypeScript) never runs stale or wrong
 * code. Each case runs a copy of the runner in a scratch project of its own (scripts/, a
 * tsconfig.json, a node_modules with esbuild linked in, a package of its own and a
 * .package-lock.json) with its own cache folder, so no test touches this repository's files.
 * Then the npm scripts themselves: the same output as under the old runner, scripts/ts-register.js.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { run, scratchDir } from './support/servers';

const ROOT = path.join(__dirname, '..', '..');

let tmp: string;
beforeAll(() => { tmp = fs.realpathSync(scratchDir('bundle-run')); });
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

interface Project {
  readonly dir: string;
  readonly cache: string;
  /** Writes a file of the project (folders made). */
  write(file: string, text: string): string;
  /** `node scripts/bundle-run.js <entry> args…` in the project. */
  run(entry: string, args?: readonly string[], env?: Record<string, string>): ReturnType<typeof run>;
  /** The cache folder's files whose names end so. */
  cached(ext: string): string[];
}

let count = 0;
function project(): Project {
  const dir = path.join(tmp, `p${++count}`);
  const cache = path.join(dir, 'cache');
  const write = (file: string, text: string) => {
    const f = path.join(dir, file);
    fs.mkdirSync(path.dirname(f), { recursive: true });
    fs.writeFileSync(f, text);
    return f;
  };
  write('scripts/bundle-run.js', fs.readFileSync(path.join(ROOT, 'scripts', 'bundle-run.js'), 'utf8'));
  write('tsconfig.json', JSON.stringify({ compilerOptions: { strict: true, module: 'commonjs', target: 'ES2022' } }));
  write('node_modules/.package-lock.json', '{"lockfileVersion":3,"v":1}\n');
  write('node_modules/fakepkg/package.json', '{"name":"fakepkg","main":"index.js"}\n');
  write('node_modules/fakepkg/index.js', "module.exports = { v: 'pkg-1' };\n");
  write('node_modules/fakepkg/other.js', "module.exports = { v: 'pkg-o' };\n");
  fs.symlinkSync(path.join(ROOT, 'node_modules', 'esbuild'), path.join(dir, 'node_modules', 'esbuild'));
  return {
    dir,
    cache,
    write,
    run: (entry, args = [], env = {}) => run(process.execPath, [path.join(dir, 'scripts', 'bundle-run.js'), entry, ...args], {
      cwd: dir, env: { CDK8S_MASTODON_BUNDLE_CACHE: cache, ...env },
    }),
    cached: (ext) => (fs.existsSync(cache) ? fs.readdirSync(cache).filter((f) => f.endsWith(ext)).sort() : []),
  };
}

/** A whole second: a Date from fs.stat loses the nanoseconds a stat check compares. */
const STAMP = new Date('2020-01-01T00:00:00Z');

/** Gives a file the modification time STAMP. */
function stamped(file: string): string {
  fs.utimesSync(file, STAMP, STAMP);
  return file;
}

/** Writes same-length text into a stamped file and stamps it again: an edit a stat check cannot see. */
function sameStamp(file: string, text: string): void {
  expect(fs.statSync(file).mtime).toEqual(STAMP);
  expect(Buffer.byteLength(text)).toBe(fs.statSync(file).size);
  fs.writeFileSync(file, text);
  stamped(file);
}

const out = (r: ReturnType<typeof run>) => ({ status: r.status, stdout: r.stdout, stderr: r.stderr });

test('an edit to an imported file that keeps its size and mtime is picked up; nothing changed: no rebuild', () => {
  const p = project();
  const dep = stamped(p.write('lib/dep.ts', "export const n: string = 'one';\n"));
  p.write('main.ts', "import { n } from './lib/dep';\nconsole.log(n);\n");
  expect(out(p.run('main.ts'))).toEqual({ status: 0, stdout: 'one\n', stderr: '' });
  const manifest = path.join(p.cache, p.cached('.json')[0]);
  const built = fs.statSync(manifest).mtimeMs;
  expect(p.run('main.ts').stdout).toBe('one\n');
  expect(fs.statSync(manifest).mtimeMs).toBe(built);
  sameStamp(dep, "export const n: string = 'two';\n");
  expect(out(p.run('main.ts'))).toEqual({ status: 0, stdout: 'two\n', stderr: '' });
});

test('a file added beside an input that changes what an import resolves to triggers a rebuild', () => {
  const p = project();
  // `./sub/x` resolves to sub/x/index.ts; an added sub/x.ts is preferred (by esbuild and by Node).
  p.write('sub/x/index.ts', "export const w = 'folder';\n");
  // `./y` resolves to y.ts; an added y.tsx is preferred by esbuild (resolveExtensions).
  p.write('y.ts', "export const v = 'ts';\n");
  p.write('main.ts', "import { w } from './sub/x';\nimport { v } from './y';\nconsole.log(w, v);\n");
  expect(p.run('main.ts').stdout).toBe('folder ts\n');
  p.write('sub/x.ts', "export const w = 'file';\n");
  expect(p.run('main.ts').stdout).toBe('file ts\n');
  p.write('y.tsx', "export const v = 'tsx';\n");
  expect(p.run('main.ts').stdout).toBe('file tsx\n');
});

test('an edit saved while the bundle is being built is never lost (rebuilt on the next run)', async () => {
  const p = project();
  // A large file makes the build long enough for edits to land between esbuild's read of
  // dep.ts and the end of the build.
  p.write('lib/big.ts', Array.from({ length: 30000 }, (_, i) => `export function f${i}(a: number): number { return a * ${i}; }\n`).join(''));
  const dep = p.write('lib/dep.ts', "export const d = 'v000';\n");
  p.write('main.ts', "import { d } from './lib/dep';\nimport { f3 } from './lib/big';\nconsole.log(d, f3(1));\n");
  let version = 0;
  const stale: string[] = [];
  for (const delay of [150, 300, 450, 600, 900, 1300]) {
    fs.rmSync(p.cache, { recursive: true, force: true });
    const child = spawn(process.execPath, [path.join(p.dir, 'scripts', 'bundle-run.js'), 'main.ts'], { cwd: p.dir, env: { PATH: process.env.PATH, CDK8S_MASTODON_BUNDLE_CACHE: p.cache }, stdio: 'ignore' });
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
    await new Promise((resolve) => setTimeout(resolve, delay));
    const now = `v${String(++version).padStart(3, '0')}`;
    fs.writeFileSync(dep, `export const d = '${now}';\n`);
    await exited;
    const r = p.run('main.ts');
    if (r.stdout !== `${now} 3\n`) stale.push(`edit at ${delay} ms: ran ${JSON.stringify(r.stdout)}, the file says ${now}`);
  }
  expect(stale).toEqual([]);
});

test('a folder added at the project root (synth swaps dist/ there on every run) does not rebuild', () => {
  const p = project();
  p.write('lib/dep.ts', "export const n = 'dep';\n");
  p.write('scripts/main.ts', "import { n } from '../lib/dep';\nconsole.log(n);\n");
  expect(p.run('scripts/main.ts').stdout).toBe('dep\n');
  const manifest = path.join(p.cache, p.cached('.json')[0]);
  const built = fs.readFileSync(manifest, 'utf8');
  fs.mkdirSync(path.join(p.dir, 'dist.synth-scratch'));
  fs.rmSync(path.join(p.dir, 'dist.synth-scratch'), { recursive: true });
  expect(p.run('scripts/main.ts').stdout).toBe('dep\n');
  expect(fs.readFileSync(manifest, 'utf8')).toBe(built);
});

test('a package file replaced under node_modules, or a changed .package-lock.json, rebuilds', () => {
  const p = project();
  p.write('main.ts', "import { v } from 'fakepkg';\nconsole.log(v);\n");
  expect(p.run('main.ts').stdout).toBe('pkg-1\n');
  // npm replaces a file (new inode); same size, same mtime.
  const index = stamped(path.join(p.dir, 'node_modules', 'fakepkg', 'index.js'));
  expect(p.run('main.ts').stdout).toBe('pkg-1\n');
  fs.writeFileSync(`${index}.new`, "module.exports = { v: 'pkg-2' };\n");
  stamped(`${index}.new`);
  fs.renameSync(`${index}.new`, index);
  expect(p.run('main.ts').stdout).toBe('pkg-2\n');
  // A package's package.json is not a bundle input: an install that changes it changes
  // .package-lock.json, which is.
  p.write('node_modules/fakepkg/package.json', '{"name":"fakepkg","main":"other.js"}\n');
  p.write('node_modules/.package-lock.json', '{"lockfileVersion":3,"v":2}\n');
  expect(p.run('main.ts').stdout).toBe('pkg-o\n');
});

describe('damaged cache files', () => {
  const entry = "function f(n: number): number { let s = 0; for (let i = 0; i < n; i++) s += i; return s; }\nconsole.log('sum', f(10), [1, 2, 3].map((x) => x * 2).join(','));\n";
  const good = { status: 0, stdout: 'sum 45 2,4,6\n', stderr: '' };

  test('a damaged code cache (truncated, garbage, damaged anywhere inside) is never used and is rewritten', () => {
    const p = project();
    p.write('main.ts', entry);
    expect(out(p.run('main.ts'))).toEqual(good);
    const [v8] = p.cached('.v8');
    const file = path.join(p.cache, v8);
    const sound = fs.readFileSync(file);
    expect(out(p.run('main.ts'))).toEqual(good);
    const damages: Array<[string, Buffer]> = [
      ['truncated', sound.subarray(0, sound.length >> 1)],
      ['garbage', Buffer.from('garbage\n')],
      ['empty', Buffer.alloc(0)],
    ];
    // Four bytes overwritten at offsets through the whole file: V8 checks only a header, and a
    // damaged payload made it abort ("Fatal error … unreachable code") on every run.
    for (let at = 16; at + 4 <= sound.length; at += Math.max(16, Math.floor(sound.length / 40))) {
      const d = Buffer.from(sound);
      d.writeUInt32LE(0xfcfdfeff, at);
      damages.push([`4 bytes at ${at}`, d]);
    }
    for (const [name, damaged] of damages) {
      fs.writeFileSync(file, damaged);
      expect({ name, ...out(p.run('main.ts')) }).toEqual({ name, ...good });
      // Rewritten, and the rewritten cache is accepted (not rewritten again).
      const rewritten = fs.readFileSync(file);
      expect({ name, rewritten: !rewritten.equals(damaged) }).toEqual({ name, rewritten: true });
      const stamp = fs.statSync(file).mtimeMs;
      expect(out(p.run('main.ts'))).toEqual(good);
      expect(fs.statSync(file).mtimeMs).toBe(stamp);
    }
  });

  test('a damaged or deleted bundle is rebuilt, never run', () => {
    const p = project();
    p.write('main.ts', entry);
    expect(out(p.run('main.ts'))).toEqual(good);
    const bundle = path.join(p.cache, p.cached('.js')[0]);
    const text = fs.readFileSync(bundle, 'utf8');
    expect(text).toContain('"sum"');
    // Same length: only the content check can see it (without the code cache, which V8 would
    // accept for a source of the same length and so hide the damage).
    fs.writeFileSync(bundle, text.replace('"sum"', '"BAD"'));
    for (const v8 of p.cached('.v8')) fs.rmSync(path.join(p.cache, v8));
    expect(out(p.run('main.ts'))).toEqual(good);
    fs.rmSync(bundle);
    expect(out(p.run('main.ts'))).toEqual(good);
    expect(fs.readFileSync(bundle, 'utf8')).toBe(text);
  });
});

test('a same-length edit never runs the old bytecode: the code cache is keyed by the bundle', () => {
  const p = project();
  const main = stamped(p.write('main.ts', "const word: string = 'old';\nconsole.log(word);\n"));
  expect(p.run('main.ts').stdout).toBe('old\n');
  expect(p.run('main.ts').stdout).toBe('old\n'); // from the code cache
  sameStamp(main, "const word: string = 'new';\nconsole.log(word);\n");
  expect(p.run('main.ts').stdout).toBe('new\n');
  expect(p.run('main.ts').stdout).toBe('new\n');
  // The old bundle and its code cache were removed by the rebuild.
  expect(p.cached('.v8')).toHaveLength(1);
});

test('a rebuild removes the entry\'s older bundles and code caches (the cache does not grow with every edit); other entries keep theirs', () => {
  const p = project();
  const main = p.write('main.ts', "console.log('v0');\n");
  p.write('other.ts', "console.log('other');\n");
  expect(p.run('other.ts').stdout).toBe('other\n');
  for (let i = 0; i < 4; i++) {
    p.write('main.ts', `console.log('v${i}');\n`);
    expect(p.run(main).stdout).toBe(`v${i}\n`);
    expect(p.run(main).stdout).toBe(`v${i}\n`);
  }
  // One bundle and one code cache per entry (main.ts, other.ts), and other.ts's still work.
  expect(p.cached('.js')).toHaveLength(2);
  expect(p.cached('.v8')).toHaveLength(2);
  expect(p.cached('.json')).toHaveLength(2);
  expect(p.cached('.tmp')).toEqual([]);
  const otherBundle = p.cached('.js').filter((f) => fs.readFileSync(path.join(p.cache, f), 'utf8').includes('"other"'));
  expect(otherBundle).toHaveLength(1);
  expect(out(p.run('other.ts'))).toEqual({ status: 0, stdout: 'other\n', stderr: '' });
});

test('a compile error exits 1 with file:line:column, and nothing runs or is cached', () => {
  const p = project();
  const marker = path.join(p.dir, 'ran');
  p.write('lib/broken.ts', "export const a = 1;\nexport const = 2;\n");
  p.write('main.ts', `require('fs').writeFileSync(${JSON.stringify(marker)}, 'x');\nimport { a } from './lib/broken';\nconsole.log(a);\n`);
  const r = p.run('main.ts');
  expect(r.status).toBe(1);
  expect(r.stdout).toBe('');
  expect(r.stderr.split('\n')[0]).toMatch(new RegExp(`^${path.join(p.dir, 'lib', 'broken.ts').replace(/[.]/g, '\\.')}:2:\\d+ - error: `));
  expect(fs.existsSync(marker)).toBe(false);
  expect(p.cached('.js')).toEqual([]);
});

describe('per-file values, main blocks, argv and exit codes', () => {
  let p: Project;
  beforeAll(() => {
    p = project();
    // Main blocks in both orders (in an ES module of ours, `module` is the entry's in the bundle).
    p.write('lib/where.ts', 'export const where = [__dirname, __filename];\nif (require.main === module) console.log(\'where.ts MAIN BLOCK RAN\');\nif (module === require.main) console.log(\'where.ts MAIN BLOCK RAN (module first)\');\nif (module == require.main) console.log(\'where.ts MAIN BLOCK RAN (==)\');\n');
    // A CommonJS file of ours with a main block: its exports must still arrive.
    p.write('lib/helper.js', "'use strict';\nmodule.exports = { dir: __dirname, twice: (n) => 2 * n };\nif (require.main === module) console.log('helper.js MAIN BLOCK RAN');\nif (require.main !== module) module.exports.imported = true;\n");
    p.write('main.ts', [
      "import { where } from './lib/where';",
      "import { v } from 'fakepkg';",
      "const helper = require('./lib/helper');",
      'console.log(JSON.stringify({ where, here: [__dirname, __filename], main: require.main === module, argv: process.argv.slice(1), helper: [helper.dir, helper.twice(2), helper.imported], v }));',
      "if (process.argv[2] === 'exitCode') process.exitCode = 3;",
      "if (process.argv[2] === 'exit') process.exit(4);",
      "if (process.argv[2] === 'throw') throw new Error('thrown by main.ts');",
      '',
    ].join('\n'));
  });

  test.each(['first run (bundle built)', 'second run (bundle and code cache reused)'])('%s', () => {
    const main = path.join(p.dir, 'main.ts');
    const r = p.run('main.ts', ['a', 'b c']);
    expect(out(r)).toEqual({ status: 0, stdout: expect.any(String), stderr: '' });
    expect(JSON.parse(r.stdout)).toEqual({
      where: [path.join(p.dir, 'lib'), path.join(p.dir, 'lib', 'where.ts')],
      here: [p.dir, main],
      main: true,
      argv: [main, 'a', 'b c'],
      helper: [path.join(p.dir, 'lib'), 4, true],
      v: 'pkg-1',
    });
    expect(p.run('main.ts', ['exitCode']).status).toBe(3);
    expect(p.run('main.ts', ['exit']).status).toBe(4);
    const thrown = p.run('main.ts', ['throw']);
    expect(thrown.status).toBe(1);
    expect(thrown.stderr).toContain('thrown by main.ts');
  });
});

test('two concurrent first runs of one entry both succeed and print the same', async () => {
  const p = project();
  p.write('lib/dep.ts', "export const n = 'dep';\n");
  p.write('main.ts', "import { n } from './lib/dep';\nimport { v } from 'fakepkg';\nconsole.log(n, v);\n");
  const once = () => new Promise<{ status: number | null; stdout: string }>((resolve) => {
    const c = spawn(process.execPath, [path.join(p.dir, 'scripts', 'bundle-run.js'), 'main.ts'], { cwd: p.dir, env: { PATH: process.env.PATH, CDK8S_MASTODON_BUNDLE_CACHE: p.cache } });
    let stdout = '';
    c.stdout.on('data', (d) => { stdout += d; });
    c.on('exit', (status) => resolve({ status, stdout }));
  });
  for (let i = 0; i < 3; i++) {
    fs.rmSync(p.cache, { recursive: true, force: true });
    const runs = await Promise.all([once(), once(), once()]);
    for (const r of runs) expect(r).toEqual({ status: 0, stdout: 'dep pkg-1\n' });
    expect(fs.readdirSync(p.cache).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  }
  expect(p.run('main.ts').stdout).toBe('dep pkg-1\n');
});

test('a cache file that cannot be put in place (a full disk, a folder in its way) leaves no temporary file behind', () => {
  const p = project();
  p.write('main.ts', "console.log('ran');\n");
  expect(p.run('main.ts').stdout).toBe('ran\n');
  // The manifest's place taken by a non-empty folder: its write fails after the temporary
  // file was written (as with ENOSPC half-way), and every run rebuilds.
  const manifest = path.join(p.cache, p.cached('.json')[0]);
  fs.rmSync(manifest);
  p.write(path.relative(p.dir, path.join(manifest, 'x')), '');
  for (let i = 0; i < 3; i++) expect(out(p.run('main.ts'))).toEqual({ status: 0, stdout: 'ran\n', stderr: '' });
  expect(fs.readdirSync(p.cache).filter((f) => f.endsWith('.tmp'))).toEqual([]);
});

test('a cache folder that cannot be written: still runs, correctly, every time', () => {
  const p = project();
  p.write('main.ts', "console.log('ran');\n");
  // Root ignores a folder's mode, so a path below a regular file stands for "cannot write".
  const blocked = path.join(p.write('not-a-folder', ''), 'cache');
  for (let i = 0; i < 2; i++) expect(out(p.run('main.ts', [], { CDK8S_MASTODON_BUNDLE_CACHE: blocked }))).toEqual({ status: 0, stdout: 'ran\n', stderr: '' });
});

describe('the npm scripts give what the old runner (scripts/ts-register.js) gave', () => {
  const scripts = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).scripts as Record<string, string>;
  test.each([
    ['plan', ['--out', '{out}']],
    ['routes', []],
    ['budget', []],
    ['secrets', ['--skeletons']],
    ['check-dist', []],
  ])('npm run %s', (name, args) => {
    expect(scripts[name]).toMatch(/^(NODE_EXTRA_CA_CERTS= )?node (--[\w-]+(=\S+)? )*scripts\/bundle-run\.js scripts\/[\w-]+\.ts$/);
    const entry = scripts[name].split(' ').find((w) => w.endsWith('.ts'))!;
    const env = { CDK8S_CHECK_UPGRADE: 'false', HOME: process.env.HOME, CDK8S_MASTODON_BUNDLE_CACHE: path.join(tmp, 'npm-cache') };
    const withOut = (which: string) => args.map((a) => a.replace('{out}', path.join(tmp, `${name}-${which}`)));
    const old = run(process.execPath, ['-r', './scripts/ts-register.js', entry, ...withOut('old')], { cwd: ROOT, env, timeoutMs: 120_000 });
    const now = run('npm', ['run', '-s', name, '--', ...withOut('new')], { cwd: ROOT, env, timeoutMs: 120_000 });
    expect(now.status).toBe(0);
    // The output folder's name is the only difference allowed.
    expect(JSON.parse(JSON.stringify(out(now)).replaceAll(`${name}-new`, `${name}-old`))).toEqual(out(old));
    if (args.includes('{out}')) {
      const tree = (d: string) => Object.fromEntries(fs.readdirSync(d).sort().map((f) => [f, fs.readFileSync(path.join(d, f), 'utf8')]));
      expect(tree(path.join(tmp, `${name}-new`))).toEqual(tree(path.join(tmp, `${name}-old`)));
    }
  });
});
