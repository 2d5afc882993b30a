/**
 * The README's Quick start, both ways, each from an empty folder to a green npm test in the new
 * server repository and again in a fresh clone of it (issue 23, item 1):
 * - from the registry: the packed package published into verdaccio on 127.0.0.1 (a random port,
 *   a scratch storage; every other package proxied from the npm registry), then the Quick
 *   start's first block run as written, with npm_config_registry pointing at verdaccio, an empty
 *   user config and npm cache (a fresh machine's), and the block's GitHub URL rewritten by git's
 *   url.insteadOf to a local bare repository;
 * - from a checkout: `npm pack`, then init with the tarball, which it copies into vendor/
 *   (dependencies from the npm cache, the registry only for metadata the cache lacks; the
 *   repository's own npm ci, synth and test strictly offline).
 * One pack serves both. It also checks what the package ships and that `npm publish --dry-run`
 * is clean.
 */
import { SpawnSyncReturns } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseAllDocuments, parseDocument } from 'yaml';
import { loadConfigFile } from '../../lib';
import { ROOT } from '../support/fixtures';
import { quickStartBlocks } from '../support/readme';
import { NPM_BOUND_MS, npmBounded, spawnBounded } from '../support/spawn';
import { freePort, Server, startServer } from './support/servers';

jest.setTimeout(900_000);

const BASE = { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false', CDK8S_CHECK_UPGRADE: 'false' };
const PREFER_OFFLINE = { ...BASE, npm_config_prefer_offline: 'true' };
const OFFLINE = { ...BASE, npm_config_offline: 'true' };
const PKG = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
/** The checkout's own command, as the Quick start's checkout way runs it. */
const bin = path.join(ROOT, 'build', 'cli', 'cdk8s-mastodon.js');
let tmp: string;
let tarball: string;
let shipped: string[];
const run = (cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = OFFLINE, timeout = 600_000): SpawnSyncReturns<string> =>
  (cmd === 'npm' ? npmBounded(args, { cwd, env, timeout: Math.min(timeout, NPM_BOUND_MS) }) : spawnBounded(cmd, args, { cwd, env, timeout }));
const ok = (r: SpawnSyncReturns<string>) => expect([r.status, r.status === 0 ? '' : `${r.stdout}\n${r.stderr}`]).toEqual([0, '']);
const node = (args: string[], cwd: string, env: NodeJS.ProcessEnv = OFFLINE) => run(process.execPath, [bin, ...args], cwd, env);
/** A git user config: an identity, and (when given) URLs rewritten to local paths. */
function gitConfig(file: string, insteadOf: Record<string, string> = {}): string {
  fs.writeFileSync(file, [
    '[user]', '\tname = Newcomer', '\temail = newcomer@example.org',
    ...Object.entries(insteadOf).flatMap(([url, local]) => [`[url "${local}"]`, `\tinsteadOf = ${url}`]),
  ].join('\n') + '\n');
  return file;
}

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk8s-mastodon-init-'));
  // npm pack runs prepack (a clean build), as before a publish.
  const packOut = npmBounded(['pack', '--pack-destination', tmp, '--json'], { cwd: ROOT });
  const packed = JSON.parse(packOut.stdout.slice(packOut.stdout.indexOf('[')))[0];
  tarball = path.join(tmp, packed.filename);
  shipped = packed.files.map((f: any) => f.path);
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('the package ships what users need, and only that', () => {
  for (const f of ['build/cli/cdk8s-mastodon.js', 'build/cli/helm-chart.js', 'build/lib/index.js', 'build/lib/index.d.ts', 'config/schema.json', 'config/example.yaml',
    'build/lib/app/k8s-validator.js', 'build/validators/v1.28.0.js', 'build/validators/v1.30.0.js', 'build/validators/crds.js', 'README.md', 'CHANGELOG.md', 'package.json']) {
    expect([f, shipped.includes(f)]).toEqual([f, true]);
  }
  const allowed = /^(build\/(lib|imports|cli|validators)\/.*\.(js|d\.ts)|config\/(example\.yaml|schema\.json)|docs\/[^/]+\.md|README\.md|CHANGELOG\.md|package\.json|LICENSE)$/;
  expect(shipped.filter((f) => !allowed.test(f))).toEqual([]);
  // Guides only: no API reference, maintainer notes or pictures; no scripts or tests.
  expect(shipped.filter((f) => /^(docs\/(api|dev|plan|netcheck)\/|build\/scripts\/|test\/)/.test(f))).toEqual([]);
  expect(PKG).toMatchObject({
    repository: { type: 'git', url: expect.stringMatching(/^git\+https:\/\/github\.com\/.+\.git$/) },
    homepage: expect.stringMatching(/^https:\/\/github\.com\//), bugs: { url: expect.stringMatching(/\/issues$/) },
    engines: { node: expect.any(String) },
  });
});

describe('from a checkout: npm pack, then init with the tarball', () => {
  test('init vendors the tarball; npm ci and npm test pass there and in a clone elsewhere; a benign change stays green', () => {
    const tgz = path.basename(tarball);
    expect(tgz).toBe(`cdk8s-mastodon-${PKG.version}.tgz`);
    // The README's init line, as written, run in a stand-in for the checkout after `npm ci && npm
    // pack`: its build/ (and node_modules/) are this one's, and the tarball lies beside them.
    const checkout = path.join(tmp, 'checkout-way', 'cdk8s-mastodon');
    fs.mkdirSync(checkout, { recursive: true });
    for (const d of ['build', 'node_modules', 'package.json']) fs.symlinkSync(path.join(ROOT, d), path.join(checkout, d));
    fs.copyFileSync(tarball, path.join(checkout, tgz));
    const block = quickStartBlocks()[1];
    const line = block.replace(/\\\n\s*/g, '').split('\n').find((l) => l.startsWith('node build/cli/cdk8s-mastodon.js init '))!;
    expect(line).toContain(`--package-spec ${tgz} `);
    ok(run('bash', ['-euo', 'pipefail', '-c', line], checkout, PREFER_OFFLINE));
    const server = path.join(tmp, 'checkout-way', 'my-server');
    const repoURL = /--repo-url (\S+)/.exec(line)![1];
    for (const f of ['package.json', 'package-lock.json', 'cdk8s.yaml', 'main.ts', 'config/server.yaml', '.gitignore', 'README.md', 'dist/mastodon.k8s.yaml', 'dist/argocd.k8s.yaml', `vendor/${tgz}`]) {
      expect([f, fs.existsSync(path.join(server, f))]).toEqual([f, true]);
    }
    expect(fs.readFileSync(path.join(server, 'vendor', tgz)).equals(fs.readFileSync(tarball))).toBe(true);
    const pkg = JSON.parse(fs.readFileSync(path.join(server, 'package.json'), 'utf8'));
    // Exact versions, the same the library is built and tested with; this package by a relative path.
    expect(pkg.dependencies).toEqual({ 'cdk8s-mastodon': `file:vendor/${tgz}`, 'cdk8s': PKG.devDependencies.cdk8s, 'cdk8s-plus-28': PKG.devDependencies['cdk8s-plus-28'], 'constructs': PKG.devDependencies.constructs });
    for (const v of Object.values<string>(pkg.devDependencies)) expect(v).toMatch(/^\d+\.\d+\.\d+$/);
    // The lockfile names no path of this machine.
    const lock = fs.readFileSync(path.join(server, 'package-lock.json'), 'utf8');
    expect(lock).not.toContain(tmp);
    expect(lock).not.toMatch(/"file:\//);
    expect(JSON.parse(lock).packages['node_modules/cdk8s-mastodon'].resolved).toBe(`file:vendor/${tgz}`);

    const yamlText = fs.readFileSync(path.join(server, 'config', 'server.yaml'), 'utf8');
    expect(yamlText.split('\n')[0]).toBe('# yaml-language-server: $schema=../node_modules/cdk8s-mastodon/config/schema.json');
    // The schema line resolves (from config/, as yaml-language-server reads it) to the shipped
    // schema, and every section the file sets has a description to show on hover.
    const schemaFile = path.resolve(server, 'config', yamlText.split('\n')[0].split('$schema=')[1]);
    expect(schemaFile).toBe(path.join(server, 'node_modules', 'cdk8s-mastodon', 'config', 'schema.json'));
    const schema = JSON.parse(fs.readFileSync(schemaFile, 'utf8'));
    const sections = Object.keys(parseDocument(yamlText).toJS());
    expect(sections.length).toBeGreaterThan(5);
    for (const k of sections) expect([k, typeof schema.properties[k]?.description]).toEqual([k, 'string']);
    const app = parseAllDocuments(fs.readFileSync(path.join(server, 'dist', 'argocd.k8s.yaml'), 'utf8')).map((d) => d.toJS()).find((o) => o.kind === 'Application');
    expect(app.spec.source.repoURL).toBe(repoURL);
    // Every object names the installed library's version (the server repository's own package.json has none of it).
    const versions = new Set(['mastodon.k8s.yaml', 'argocd.k8s.yaml'].flatMap((f) => parseAllDocuments(fs.readFileSync(path.join(server, 'dist', f), 'utf8'))
      .map((d) => d.toJS()).filter(Boolean).map((o) => o.metadata.annotations?.['cdk8s-mastodon/version'])));
    expect([...versions]).toEqual([PKG.version]);

    // A teammate's clone, in another folder: everything it needs is committed.
    const gitEnv = { ...OFFLINE, GIT_CONFIG_GLOBAL: gitConfig(path.join(tmp, 'checkout-way', 'gitconfig')), GIT_CONFIG_NOSYSTEM: '1' };
    ok(run('bash', ['-c', 'git init -q -b main && git add -A && git commit -q -m soc'], server, gitEnv));
    const clone = path.join(tmp, 'elsewhere', 'deeper', 'soc');
    fs.mkdirSync(path.dirname(clone), { recursive: true });
    ok(run('git', ['clone', '-q', server, clone], tmp, gitEnv));
    expect(fs.existsSync(path.join(clone, 'vendor', tgz))).toBe(true);
    ok(run('npm', ['ci'], clone));
    const t = run('npm', ['test'], clone);
    ok(t);
    expect(t.stdout).toMatch(/ok +config\/server\.yaml is valid/);
    expect(t.stdout).toMatch(/ok +dist\/ is fresh/);
    expect(t.stdout).toMatch(/ok +the pods fit on 3 nodes, after losing any one of them too/);
    expect(t.stdout).toMatch(/pass strict Kubernetes v1\.30\.0 schema validation/);

    // A benign change (fewer push threads): stale until synthesized, then green again. (A new domain
    // would be refused by the change guard until acknowledged: test/integration/change-guard.itest.ts.)
    const edited = yamlText.replace('{ name: push, concurrency: 10 }', '{ name: push, concurrency: 8 }');
    expect(edited).not.toBe(yamlText);
    fs.writeFileSync(path.join(server, 'config', 'server.yaml'), edited);
    const stale = run('npm', ['test'], server);
    expect(stale.status).not.toBe(0);
    expect(stale.stdout).toMatch(/FAIL +dist\/ is fresh[\s\S]*run npm run synth and commit dist\//);
    ok(run('npm', ['run', '-s', 'synth'], server));
    ok(run('npm', ['test'], server));
    expect(fs.readFileSync(path.join(server, 'dist', 'mastodon.k8s.yaml'), 'utf8')).toMatch(/exec bundle exec sidekiq -c 8 -t 25 -q push /);
  });
});

describe('from the registry: the Quick start as written, against verdaccio', () => {
  let registry: Server | undefined;
  afterAll(async () => { await registry?.stop(); });

  test('publish, then npx cdk8s-mastodon@<version> init ... to a green npm test, every tool once, and a clone', async () => {
    const dir = path.join(tmp, 'registry-way');
    fs.mkdirSync(dir);
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/`;
    const config = path.join(dir, 'verdaccio.yaml');
    // Our package only from what is published here; every other package proxied from the npm registry.
    fs.writeFileSync(config, `storage: ${path.join(dir, 'storage')}
auth:
  htpasswd:
    file: ${path.join(dir, 'htpasswd')}
uplinks:
  npmjs:
    url: https://registry.npmjs.org/
    timeout: 60s
packages:
  'cdk8s-mastodon':
    access: $all
    publish: $authenticated
  '**':
    access: $all
    publish: $authenticated
    proxy: npmjs
web:
  enable: false
log: { type: stdout, format: pretty, level: warn }
`);
    registry = await startServer(process.execPath, [path.join(ROOT, 'node_modules', 'verdaccio', 'bin', 'verdaccio'), '--config', config, '--listen', `127.0.0.1:${port}`], {
      // The machine's environment: its proxy and CA settings (NODE_EXTRA_CA_CERTS) reach the uplink.
      port, env: { ...process.env, HOME: dir }, readyTimeoutMs: 60_000,
      ready: () => fetch(`${url}-/ping`).then((r) => r.ok, () => false),
    });
    const user = await fetch(`${url}-/user/org.couchdb.user:newcomer`, {
      method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'newcomer', password: 'not-a-secret-1' }),
    });
    expect(user.status).toBe(201);
    const { token } = await user.json() as { token: string };

    // A fresh machine: no user config, an empty npm cache, only npm's defaults and the registry.
    const npmrc = path.join(dir, 'npmrc');
    fs.writeFileSync(npmrc, '');
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
    const env: NodeJS.ProcessEnv = {
      ...clean, npm_config_userconfig: npmrc, npm_config_registry: url, npm_config_cache: path.join(dir, 'npm-cache'),
      npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false', CDK8S_CHECK_UPGRADE: 'false',
    };
    const publisher = { ...env, [`npm_config_//127.0.0.1:${port}/:_authToken`]: token };
    const dry = run('npm', ['publish', '--dry-run', tarball], dir, publisher);
    ok(dry);
    expect(dry.stderr.split('\n').filter((l) => /^npm (warn|error)/i.test(l))).toEqual([]);
    ok(run('npm', ['publish', tarball], dir, publisher));

    // The block, as written: the user's editor does nothing here, and git sends the block's
    // GitHub URL to a local bare repository.
    const [block] = quickStartBlocks();
    expect(block.split('\n')[0]).toMatch(new RegExp(`^npx cdk8s-mastodon@${PKG.version.replace(/\./g, '\\.')} init `));
    const repoURL = /--repo-url (\S+)/.exec(block)![1];
    const remote = path.join(dir, 'remote.git');
    // As a new GitHub repository: empty, its default branch main (what a clone checks out).
    ok(run('git', ['init', '-q', '--bare', '--initial-branch=main', remote], dir));
    const userEnv = { ...env, EDITOR: 'true', GIT_CONFIG_GLOBAL: gitConfig(path.join(dir, 'gitconfig'), { [repoURL]: remote }), GIT_CONFIG_NOSYSTEM: '1' };
    const home = path.join(dir, 'home');
    fs.mkdirSync(home);
    const quick = run('bash', ['-euo', 'pipefail', '-c', block], home, userEnv);
    ok(quick);
    expect(quick.stdout).toMatch(/\nall checks passed\n/);
    const server = path.join(home, 'my-server');
    const pkg = JSON.parse(fs.readFileSync(path.join(server, 'package.json'), 'utf8'));
    expect(pkg.dependencies['cdk8s-mastodon']).toBe(PKG.version);
    expect(fs.existsSync(path.join(server, 'vendor'))).toBe(false);

    // Every tool of the repository, once.
    expect(Object.keys(pkg.scripts)).toEqual(['synth', 'test', 'plan', 'budget', 'routes', 'secrets', 'netcheck', 'k3s-config', 'helm']);
    const tools: [string[], RegExp][] = [
      [['plan'], /^wrote plan\.svg and plan\.png$/m],
      [['budget'], /\*\*max_connections\*\*/],
      [['routes'], /http:\/\/ex-web:3000/],
      [['secrets'], /^kind: Secret$/m],
      [['secrets', '--', '--skeletons'], /REPLACE-with-/],
      [['netcheck'], /^wrote netcheck\/: 00-namespace\.yaml/m],
      [['netcheck', '--', 'restarts'], /rollout restart/],
      [['k3s-config'], /^wrote k3s-config\/<node>\/config\.yaml/m],
      [['helm'], new RegExp(`^wrote chart/ \\(cdk8s-mastodon ${PKG.version.replace(/\./g, '\\.')}\\)$`, 'm')],
    ];
    for (const [args, want] of tools) {
      const r = run('npm', ['run', '-s', ...args], server, env);
      expect([args.join(' '), r.status, r.stderr]).toEqual([args.join(' '), 0, '']);
      expect(r.stdout).toMatch(want);
    }
    for (const f of ['plan.svg', 'plan.png', 'netcheck/run.sh', 'k3s-config/node-1/config.yaml', 'chart/Chart.yaml']) expect([f, fs.existsSync(path.join(server, f))]).toEqual([f, true]);
    // What they wrote is ignored: the working tree is still clean.
    expect(run('git', ['status', '--porcelain', '--untracked-files=all'], server, userEnv).stdout.split('\n').filter((l) => l && !l.includes(' chart/'))).toEqual([]);

    // A teammate: a fresh clone of the pushed repository, in another folder.
    const teammate = path.join(dir, 'teammate');
    fs.mkdirSync(teammate);
    ok(run('git', ['clone', '-q', repoURL, 'my-server'], teammate, userEnv));
    const clone = path.join(teammate, 'my-server');
    ok(run('npm', ['ci'], clone, env));
    const t = run('npm', ['test'], clone, env);
    ok(t);
    expect(t.stdout).toMatch(/\nall checks passed\n/);
  });
});

test('init refuses a non-empty folder unless --force, and without --repo-url writes a placeholder synth refuses', () => {
  const dir = path.join(tmp, 'busy');
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'notes.txt'), 'mine');
  const refused = node(['init', dir, '--domain', 'a.example', '--no-install'], tmp);
  expect(refused.status).not.toBe(0);
  expect(refused.stderr).toMatch(/is not empty; choose an empty or new folder, or pass --force/);
  expect(fs.readdirSync(dir)).toEqual(['notes.txt']);

  ok(node(['init', dir, '--domain', 'a.example', '--force', '--no-install'], tmp));
  const r = loadConfigFile(path.join(dir, 'config', 'server.yaml'));
  expect(r.ok).toBe(false);
  if (!r.ok) expect(r.errors.map((e) => `${e.path}: ${e.message}`)).toEqual([expect.stringMatching(/^argocd\.repoURL: is still the placeholder/)]);
  // With a repository named, the same config is valid.
  const text = fs.readFileSync(path.join(dir, 'config', 'server.yaml'), 'utf8').replace(/repoURL: .*/, 'repoURL: https://github.com/me/a.git');
  fs.writeFileSync(path.join(dir, 'config', 'server.yaml'), text);
  expect(loadConfigFile(path.join(dir, 'config', 'server.yaml')).ok).toBe(true);
});

test('bad flags are refused, each with what to write instead', () => {
  const r = node(['init', path.join(tmp, 'x'), '--domain', 'Not A Domain', '--name', '9lives', '--repo-url', 'nope', '--no-install'], tmp);
  expect(r.status).not.toBe(0);
  expect(r.stderr).toMatch(/--domain 'Not A Domain' is not a lower-case host name/);
  expect(r.stderr).toMatch(/--name '9lives': name must start with a letter/);
  expect(r.stderr).toMatch(/--repo-url 'nope' is not a git URL/);
  expect(fs.existsSync(path.join(tmp, 'x'))).toBe(false);
});
