/**
 * Bad input on every command line (issue 23): `--help` prints the usage and its options and
 * exits 0; an unknown option or a missing argument prints one line naming it, then the usage, and
 * exits 2; nothing prints a stack trace. Runs the compiled entries (build/, made by `npm run
 * build`, which the globalSetup requires) in an empty folder, so a command that ignored the bad
 * flag and went on would fail here rather than write anywhere.
 */
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ROOT } from './support/fixtures';
import { unexpectedErrorLine } from '../cli/cdk8s-mastodon';
import { onlyPlaceholderRefused } from '../cli/init';
import { REPO_PLACEHOLDER, serverYaml } from '../cli/project';
import { formatErrors, loadConfigText } from '../lib';

interface Run { readonly code: number; readonly stdout: string; readonly stderr: string }

const CLI = path.join(ROOT, 'build', 'cli', 'cdk8s-mastodon.js');
const script = (name: string) => path.join(ROOT, 'build', 'scripts', `${name}.js`);
let cwd: string;

function run(file: string, args: readonly string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [file, ...args], { cwd, encoding: 'utf8', env: { ...process.env, MASTODON_CONFIG: '' } },
      (e, stdout, stderr) => resolve({ code: e ? Number(e.code) : 0, stdout, stderr }));
  });
}

/** Every entry, how its usage begins, and a bad flag for it (the first word after the file). */
const ENTRIES: readonly { readonly name: string; readonly file: string; readonly pre: readonly string[]; readonly usage: string }[] = [
  { name: 'cdk8s-mastodon', file: CLI, pre: [], usage: 'usage: cdk8s-mastodon <command>' },
  ...['init', 'synth', 'test', 'plan', 'budget', 'routes', 'secrets', 'netcheck', 'k3s-config', 'helm'].map((cmd) => (
    { name: `cdk8s-mastodon ${cmd}`, file: CLI, pre: [cmd], usage: `usage: cdk8s-mastodon ${cmd}` })),
  ...['synth', 'secrets', 'plan', 'budget', 'routes', 'k3s-config', 'netcheck', 'bench', 'synth:helm'].map((s) => ({
    name: `npm run ${s}`, file: script(s === 'synth:helm' ? 'synth-helm' : s), pre: [], usage: `usage: npm run ${s}`,
  })),
];

/** Bad input that names a missing or unexpected argument, and what the one line says. */
const MISSING: readonly { readonly file: string; readonly args: readonly string[]; readonly line: RegExp; readonly usage: string }[] = [
  { file: CLI, args: [], line: /^name a command$/, usage: 'usage: cdk8s-mastodon <command>' },
  { file: CLI, args: ['frob'], line: /^Unknown command 'frob'$/, usage: 'usage: cdk8s-mastodon <command>' },
  { file: CLI, args: ['init'], line: /^init: name the folder/, usage: 'usage: cdk8s-mastodon init' },
  { file: CLI, args: ['init', 'a', 'b'], line: /unexpected argument 'b'/, usage: 'usage: cdk8s-mastodon init' },
  { file: CLI, args: ['init', 'x', '--domain'], line: /^Option '--domain <value>' argument missing$/, usage: 'usage: cdk8s-mastodon init' },
  { file: CLI, args: ['test', '--base'], line: /'--base <value>' argument missing/, usage: 'usage: cdk8s-mastodon test' },
  { file: CLI, args: ['secrets', '--name'], line: /'--name <value>' argument missing/, usage: 'usage: cdk8s-mastodon secrets' },
  { file: CLI, args: ['plan', '--out'], line: /'--out <value>' argument missing/, usage: 'usage: cdk8s-mastodon plan' },
  { file: CLI, args: ['helm', '--out'], line: /'--out <value>' argument missing/, usage: 'usage: cdk8s-mastodon helm' },
  { file: CLI, args: ['budget', 'extra'], line: /Unexpected argument 'extra'/, usage: 'usage: cdk8s-mastodon budget' },
  { file: CLI, args: ['netcheck', 'report'], line: /^netcheck report: name the collected log/, usage: 'usage: cdk8s-mastodon netcheck' },
  { file: CLI, args: ['netcheck', 'report', 'no-such-file.jsonl'], line: /^netcheck report: no-such-file\.jsonl does not exist/, usage: 'usage: cdk8s-mastodon netcheck' },
  // Review L4: a folder is named as such, not reported as an output that cannot be written.
  { file: CLI, args: ['netcheck', 'report', '.'], line: /^netcheck report: \. is a folder, not the collected log file/, usage: 'usage: cdk8s-mastodon netcheck' },
  { file: CLI, args: ['netcheck', 'frob'], line: /^Unknown command 'frob'$/, usage: 'usage: cdk8s-mastodon netcheck' },
  { file: script('plan'), args: ['--out'], line: /'--out <value>' argument missing/, usage: 'usage: npm run plan' },
  { file: script('k3s-config'), args: ['--out'], line: /'--out <value>' argument missing/, usage: 'usage: npm run k3s-config' },
  { file: script('synth-helm'), args: ['--out'], line: /'--out <value>' argument missing/, usage: 'usage: npm run synth:helm' },
  { file: script('synth'), args: ['--output'], line: /'-o, --output <value>' argument missing/, usage: 'usage: npm run synth' },
  { file: script('netcheck'), args: ['report'], line: /^netcheck report: name the collected log/, usage: 'usage: npm run netcheck' },
  { file: script('netcheck'), args: ['frob'], line: /^Unknown command 'frob'$/, usage: 'usage: npm run netcheck' },
  { file: script('bench'), args: ['--runs', 'zero'], line: /^--runs must be a whole number/, usage: 'usage: npm run bench' },
];

let help: Run[];
let bad: Run[];
let missing: Run[];

beforeAll(async () => {
  for (const f of [CLI, ...ENTRIES.map((e) => e.file)]) {
    if (!fs.existsSync(f)) throw new Error(`${f} is missing: run npm run build first`);
  }
  cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-args-'));
  // As many processes at once as there are cores: ~45 Node start-ups at once time out on a busy machine.
  const runs = [
    ...ENTRIES.map((e) => [e.file, [...e.pre, '--help']] as const),
    ...ENTRIES.map((e) => [e.file, [...e.pre, '--no-such-flag']] as const),
    ...MISSING.map((m) => [m.file, m.args] as const),
  ];
  const results: Run[] = new Array<Run>(runs.length);
  let next = 0;
  await Promise.all(Array.from({ length: os.availableParallelism() }, async () => {
    for (let i = next++; i < runs.length; i = next++) results[i] = await run(runs[i][0], runs[i][1]);
  }));
  help = results.slice(0, ENTRIES.length);
  bad = results.slice(ENTRIES.length, 2 * ENTRIES.length);
  missing = results.slice(2 * ENTRIES.length);
}, 180_000);

afterAll(() => {
  // Nothing may have been written: every run stopped at its command line.
  expect(fs.readdirSync(cwd)).toEqual([]);
  fs.rmSync(cwd, { recursive: true, force: true });
});

describe.each(ENTRIES.map((e, i) => [e.name, i] as const))('%s', (_name, i) => {
  test('--help prints the usage and its options on stdout and exits 0', () => {
    expect(help[i]).toMatchObject({ code: 0, stderr: '' });
    expect(help[i].stdout.startsWith(ENTRIES[i].usage)).toBe(true);
    expect(help[i].stdout).toMatch(/^\s+-h, --help\s/m);
  });

  test('an unknown option prints one line naming it, then the usage, on stderr and exits 2', () => {
    const [first, ...rest] = bad[i].stderr.split('\n');
    expect({ code: bad[i].code, stdout: bad[i].stdout, first }).toEqual({ code: 2, stdout: '', first: expect.stringContaining("Unknown option '--no-such-flag'") });
    expect(rest.join('\n')).toContain(ENTRIES[i].usage);
    expect(rest.join('\n')).toBe(help[i].stdout);
    expect(bad[i].stderr).not.toMatch(/^\s+at /m);
  });
});

test.each(MISSING.map((m, i) => [m.args.join(' ') || '(nothing)', path.basename(m.file), i] as const))(
  'a missing or unexpected argument (%s to %s) prints one line, then the usage, and exits 2', (_args, _file, i) => {
    const r = missing[i];
    const [first, ...rest] = r.stderr.split('\n');
    expect({ code: r.code, stdout: r.stdout }).toEqual({ code: 2, stdout: '' });
    expect(first).toMatch(MISSING[i].line);
    expect(rest.join('\n').startsWith(MISSING[i].usage)).toBe(true);
    expect(r.stderr).not.toMatch(/^\s+at /m);
  });

// Issue 23 review M3: a target init cannot use is one line and exit 1, never a stack trace.
describe('init into a folder it cannot use', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-init-target-'));
    fs.writeFileSync(path.join(dir, 'a-file'), 'x\n');
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test.each([
    ['a file', ['a-file'], /a-file is a file, not a folder; name a new or empty folder$/],
    ['a folder inside a file', ['a-file/sub', '--no-install'], /^cannot write .*a-file\/sub.*: a part of the path is a file, not a folder \(ENOTDIR\)$/],
    // Review L2: the schema's own check (24 characters), not a looser one of init's.
    ['a name the schema refuses', ['new', '--no-install', '--name', 'a'.repeat(25)], /^--name 'a{25}': name is longer than 24 characters/],
  ])('%s', async (_what, args, line) => {
    const r = await new Promise<Run>((resolve) => {
      execFile(process.execPath, [CLI, 'init', ...args, '--domain', 'example.social'], { cwd: dir, encoding: 'utf8' },
        (e, stdout, stderr) => resolve({ code: e ? Number(e.code) : 0, stdout, stderr }));
    });
    expect({ code: r.code, stdout: r.stdout, lines: r.stderr.trimEnd().split('\n').length }).toEqual({ code: 1, stdout: '', lines: 1 });
    expect(r.stderr.trimEnd()).toMatch(line);
    expect(fs.readdirSync(dir)).toEqual(['a-file']);
  });
});

test('the last-resort handler prints one line with the error, not its stack', () => {
  const e = Object.assign(new Error('EBUSY: resource busy or locked, rmdir \'/x\'\nsecond line'), { code: 'EBUSY' });
  const line = unexpectedErrorLine(e);
  expect(line.split('\n')).toHaveLength(1);
  expect(line).toMatch(/^cdk8s-mastodon: EBUSY: resource busy or locked, rmdir '\/x' second line \(EBUSY\); if the input looks right, report it at https:\/\//);
  expect(unexpectedErrorLine('plain')).toMatch(/^cdk8s-mastodon: plain; /);
});

test('init tells the expected first-synth failure (only the placeholder repoURL) from any other', () => {
  const options = { name: 'ex', domain: 'example.social', versions: {} };
  const report = (text: string) => { const r = loadConfigText(text, 'config/server.yaml'); return r.ok ? '' : formatErrors('config/server.yaml', r.errors); };
  const placeholder = serverYaml({ ...options, repoURL: REPO_PLACEHOLDER });
  expect(onlyPlaceholderRefused(report(placeholder))).toBe(true);
  expect(onlyPlaceholderRefused(report(placeholder.replace(/^ {2}version: v4\.7\.2$/m, '  version: latest')))).toBe(false);
});

// Review L3: npm reads a folder spec in package.json relative to that package.json, not to where
// init ran; init rewrites it so the new repository installs the folder that was meant.
describe('init --package-spec of a folder', () => {
  let dir: string;
  beforeAll(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-init-spec-')); fs.mkdirSync(path.join(dir, 'checkout')); });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test.each([['../checkout'], ['file:../checkout'], ['./checkout']])('%s is written relative to the new repository', async (spec) => {
    const cwd = spec.includes('..') ? path.join(dir, 'here') : dir;
    fs.mkdirSync(cwd, { recursive: true });
    const target = path.join(dir, 'repos', `r${Math.random().toString(36).slice(2)}`);
    const r = await new Promise<Run>((resolve) => {
      execFile(process.execPath, [CLI, 'init', target, '--no-install', '--domain', 'example.social', '--package-spec', spec], { cwd, encoding: 'utf8' },
        (e, stdout, stderr) => resolve({ code: e ? Number(e.code) : 0, stdout, stderr }));
    });
    expect([r.code, r.stderr]).toEqual([0, '']);
    const written = JSON.parse(fs.readFileSync(path.join(target, 'package.json'), 'utf8')).dependencies['cdk8s-mastodon'] as string;
    expect(written).toBe('file:../../checkout');
    expect(fs.existsSync(path.resolve(target, written.slice('file:'.length)))).toBe(true);
  });

  test('a folder that is not there is refused in one line', async () => {
    const r = await new Promise<Run>((resolve) => {
      execFile(process.execPath, [CLI, 'init', path.join(dir, 'x'), '--no-install', '--domain', 'example.social', '--package-spec', '../nope'], { cwd: dir, encoding: 'utf8' },
        (e, stdout, stderr) => resolve({ code: e ? Number(e.code) : 0, stdout, stderr }));
    });
    expect({ code: r.code, lines: r.stderr.trimEnd().split('\n').length }).toEqual({ code: 1, lines: 1 });
    expect(r.stderr).toMatch(/^--package-spec \.\.\/nope: no such folder/);
    expect(fs.existsSync(path.join(dir, 'x'))).toBe(false);
  });
});
