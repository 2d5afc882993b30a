/**
 * The toolbelt a server repository gets (issue 23, items 3 and 8): the same commands as this
 * package's npm scripts, run as `cdk8s-mastodon <command>` on the repository's own
 * config/server.yaml, writing where the user is (or `--out`); and `netcheck report` on a file
 * with no netcheck lines says so in one line instead of reporting every node as silent.
 * Runs the compiled entries (build/, as test/cli-args.test.ts does), each in a scratch folder.
 */
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseResults, whyNoNetcheckLines } from '../lib/netcheck/parse';
import { SERVER_SCRIPTS } from '../cli/project';
import { EXAMPLE_FILE, ROOT } from './support/fixtures';

jest.setTimeout(60_000);

interface Run { readonly code: number; readonly stdout: string; readonly stderr: string }

const CLI = path.join(ROOT, 'build', 'cli', 'cdk8s-mastodon.js');
const NETCHECK = path.join(ROOT, 'build', 'scripts', 'netcheck.js');
const FIX = path.join(ROOT, 'test', 'fixtures', 'netcheck');
/** `iperf3 -J` of iperf3 3.12 (Debian) on 127.0.0.1, as recorded (test/fixtures/netcheck/build.ts). */
const RAW_IPERF = path.join(FIX, 'recorded', 'tcp-loopback.json');

function run(file: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [file, ...args], { cwd, encoding: 'utf8', env: { ...process.env, MASTODON_CONFIG: '', ...env } },
      (e, stdout, stderr) => resolve({ code: e ? Number(e.code) : 0, stdout, stderr }));
  });
}
const listing = (dir: string): string[] => fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort();

let tmp: string;
beforeAll(() => {
  for (const f of [CLI, NETCHECK]) if (!fs.existsSync(f)) throw new Error(`${f} is missing: run npm run build first`);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'toolbelt-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A folder laid out as init lays out a server repository: config/server.yaml (the example). */
function serverRepo(name: string): string {
  const dir = path.join(tmp, name);
  fs.mkdirSync(path.join(dir, 'config'), { recursive: true });
  fs.copyFileSync(EXAMPLE_FILE, path.join(dir, 'config', 'server.yaml'));
  return dir;
}

describe('netcheck report on a file with no netcheck lines', () => {
  test('raw iperf3 -J output is named as such, in one sentence', () => {
    const text = fs.readFileSync(RAW_IPERF, 'utf8');
    expect(whyNoNetcheckLines(text, parseResults(text))).toMatch(/^is raw iperf3 -J output, which holds no netcheck lines .*netcheck\/results\.jsonl/);
    expect(whyNoNetcheckLines('', parseResults(''))).toMatch(/^is empty/);
    expect(whyNoNetcheckLines('hello\n', parseResults('hello\n'))).toMatch(/^holds no netcheck lines/);
  });

  test('a collected log, even with an unreadable line, is left to the report', () => {
    for (const f of ['healthy.jsonl', 'malformed.jsonl']) {
      const text = fs.readFileSync(path.join(FIX, f), 'utf8');
      expect([f, whyNoNetcheckLines(text, parseResults(text))]).toEqual([f, undefined]);
    }
  });

  test.each([['npm run netcheck', NETCHECK, []], ['cdk8s-mastodon netcheck', CLI, ['netcheck']]] as const)(
    '%s -- report says so in one line, exits 1 and writes nothing', async (_name, file, pre) => {
      const cwd = file === CLI ? serverRepo('raw-cli') : fs.mkdtempSync(path.join(tmp, 'raw-'));
      const input = path.join(tmp, `input-${path.basename(cwd)}`);
      fs.mkdirSync(input);
      fs.copyFileSync(RAW_IPERF, path.join(input, 'iperf.json'));
      const before = listing(cwd);
      const r = await run(file, [...pre, 'report', path.join(input, 'iperf.json')], cwd);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr.trimEnd().split('\n')).toEqual([expect.stringMatching(/^netcheck report: .*iperf\.json is raw iperf3 -J output, which holds no netcheck lines/)]);
      expect(r.stderr).not.toMatch(/never reported/);
      expect([listing(cwd), listing(input)]).toEqual([before, ['iperf.json']]);
    });
});

describe('netcheck report writes its pictures where the user is, never beside the input', () => {
  test('the current folder by default, --out when given', async () => {
    const input = path.join(tmp, 'logs');
    fs.mkdirSync(input);
    fs.copyFileSync(path.join(FIX, 'healthy.jsonl'), path.join(input, 'results.jsonl'));
    const cwd = fs.mkdtempSync(path.join(tmp, 'here-'));
    const r = await run(NETCHECK, ['report', path.join(input, 'results.jsonl')], cwd);
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toMatch(/^wrote netcheck\.svg and netcheck\.png$/m);
    expect(listing(cwd)).toEqual(['netcheck.png', 'netcheck.svg']);
    const out = path.join(tmp, 'pictures');
    const o = await run(NETCHECK, ['report', path.join(input, 'results.jsonl'), '--out', out], cwd);
    expect(o.code).toBe(0);
    expect(listing(out)).toEqual(['netcheck.png', 'netcheck.svg']);
    expect(listing(input)).toEqual(['results.jsonl']);
  });
});

describe('cdk8s-mastodon in a server repository', () => {
  test('init writes every tool as an npm script of the same name', () => {
    expect([...SERVER_SCRIPTS]).toEqual(['synth', 'test', 'plan', 'budget', 'routes', 'secrets', 'netcheck', 'k3s-config', 'helm']);
  });

  // Issue 23 review L1: the README's table of server-repository commands names only scripts init writes.
  test("the README's commands table names the server repository's scripts", () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const table = /## Commands\n[\s\S]*?\n\| command[\s\S]*?\n\n/.exec(readme)![0];
    const named = [...table.matchAll(/^\| `npm (?:run )?([\w:-]+)/gm)].map((m) => m[1]);
    expect(named).toEqual([...SERVER_SCRIPTS]);
  });

  test('plan prints the plan and writes its picture into the current folder, or --out', async () => {
    const repo = serverRepo('plan');
    const r = await run(CLI, ['plan'], repo);
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toMatch(/^wrote plan\.svg and plan\.png$/m);
    expect(fs.readFileSync(path.join(repo, 'plan.svg'), 'utf8')).toMatch(/^<svg/);
    const o = await run(CLI, ['plan', '--out', 'pictures'], repo);
    expect(o.code).toBe(0);
    expect(listing(path.join(repo, 'pictures'))).toEqual(['plan.png', 'plan.svg']);
  });

  test('budget, k3s-config, netcheck (manifests and restarts) and helm read config/server.yaml and write into the repository', async () => {
    const repo = serverRepo('tools');
    // A different name in the server's config shows that it, not the bundled example, was read.
    const file = path.join(repo, 'config', 'server.yaml');
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace(/^name: .*$/m, 'name: mine'));
    const [budget, k3s, manifests, restarts, helm] = await Promise.all([
      run(CLI, ['budget'], repo), run(CLI, ['k3s-config'], repo), run(CLI, ['netcheck'], repo),
      run(CLI, ['netcheck', 'restarts'], repo), run(CLI, ['helm'], repo),
    ]);
    for (const r of [budget, k3s, manifests, restarts, helm]) expect([r.code, r.stderr]).toEqual([0, '']);
    expect(budget.stdout).toMatch(/^\| connections \| how \| count \|$/m);
    expect(k3s.stdout).toMatch(/^wrote k3s-config\/<node>\/config\.yaml/m);
    expect(manifests.stdout).toMatch(/^wrote netcheck\/: 00-namespace\.yaml/m);
    expect(restarts.stdout).toMatch(/kubectl -n mastodon rollout restart .*deployment\/mine-web /);
    expect(helm.stdout).toMatch(/^wrote chart\/ \(cdk8s-mastodon \d+\.\d+\.\d+\)$/m);
    expect(fs.readFileSync(path.join(repo, 'chart', 'README.md'), 'utf8')).toMatch(/run `npm run helm`/);
    expect(fs.readFileSync(path.join(repo, 'chart', 'templates', 'mastodon.k8s.yaml'), 'utf8')).toMatch(/name: mine-web$/m);
    expect(fs.readdirSync(repo).sort()).toEqual(['chart', 'config', 'k3s-config', 'netcheck']);
  });
});

describe('a folder that cannot be written is one line naming it, never a stack trace', () => {
  const blocked = () => {
    const file = path.join(tmp, 'a-file');
    fs.writeFileSync(file, 'in the way');
    return path.join(file, 'out');
  };
  test.each([['plan'], ['netcheck'], ['k3s-config'], ['helm']])('cdk8s-mastodon %s --out <a path through a file>', async (cmd) => {
    const repo = serverRepo(`blocked-${cmd}`);
    const r = await run(CLI, [cmd, '--out', blocked()], repo);
    expect(r.code).toBe(1);
    expect(r.stderr.trimEnd().split('\n').at(-1)).toMatch(/^cannot write .*a-file.*: (a part of the path is a file, not a folder \(ENOTDIR\)|a file is in the way \(EEXIST\))$/);
    expect(r.stderr).not.toMatch(/^\s+at /m);
  });
  test('npm run plan -- --out <a path through a file>', async () => {
    const r = await run(path.join(ROOT, 'build', 'scripts', 'plan.js'), ['--out', blocked()], tmp);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^cannot write .*\(ENOTDIR\)$/m);
    expect(r.stderr).not.toMatch(/^\s+at /m);
  });
});

