/**
 * `cdk8s-mastodon init` from the packed tarball, in a blank folder, offline (dependencies from
 * the npm cache): it writes a server repository whose npm ci, npm run synth and npm test pass,
 * and whose tests stay green after the user changes the domain and synthesizes again.
 */
import { spawnSync, SpawnSyncReturns } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseAllDocuments, parseDocument } from 'yaml';
import { loadConfigFile } from '../../lib';
import { ROOT } from '../support/fixtures';

jest.setTimeout(600_000);

// Installs that resolve names (the runner's, and the one init runs) take what the npm cache has
// and ask the registry only for metadata it lacks (a fresh machine's cache holds the tarballs
// npm ci fetched, not always the name lookups); everything the server repository does after
// that (npm ci from its lockfile, synth, test) runs strictly offline.
const BASE = { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false', CDK8S_CHECK_UPGRADE: 'false' };
const PREFER_OFFLINE = { ...BASE, npm_config_prefer_offline: 'true' };
const OFFLINE = { ...BASE, npm_config_offline: 'true' };
let tmp: string;
let tarball: string;
let bin: string;
const run = (cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = OFFLINE): SpawnSyncReturns<string> =>
  spawnSync(cmd, args, { cwd, encoding: 'utf8', env, input: '' });
const ok = (r: SpawnSyncReturns<string>) => expect([r.status, r.status === 0 ? '' : `${r.stdout}\n${r.stderr}`]).toEqual([0, '']);

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk8s-mastodon-init-'));
  const packOut = spawnSync('npm', ['pack', '--pack-destination', tmp, '--json'], { cwd: ROOT, encoding: 'utf8' });
  const packed = JSON.parse(packOut.stdout.slice(packOut.stdout.indexOf('[')))[0];
  tarball = path.join(tmp, packed.filename);
  const shipped: string[] = packed.files.map((f: any) => f.path);
  for (const f of ['build/cli/cdk8s-mastodon.js', 'config/schema.json', 'config/example.yaml', 'CHANGELOG.md', 'build/lib/app/k8s-validator.js', 'build/validators/v1.28.0.js', 'build/validators/v1.30.0.js', 'build/validators/crds.js']) {
    if (!shipped.includes(f)) throw new Error(`the package does not ship ${f}`);
  }
  // Where the user runs npx from: the tarball installed into a blank folder.
  const runner = path.join(tmp, 'runner');
  fs.mkdirSync(runner);
  fs.writeFileSync(path.join(runner, 'package.json'), JSON.stringify({ name: 'runner', version: '1.0.0', private: true }));
  ok(run('npm', ['install', '--no-package-lock', '--ignore-scripts', tarball], runner, PREFER_OFFLINE));
  bin = path.join(runner, 'node_modules', '.bin', 'cdk8s-mastodon');
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('init, npm ci, npm run synth, npm test; then a new domain stays green', () => {
  const server = path.join(tmp, 'my-server');
  ok(run(bin, ['init', server, '--domain', 'social.example.org', '--name', 'soc', '--repo-url', 'https://github.com/me/soc-gitops.git', '--package-spec', `file:${tarball}`], tmp, PREFER_OFFLINE));
  for (const f of ['package.json', 'package-lock.json', 'cdk8s.yaml', 'main.ts', 'config/server.yaml', '.gitignore', 'README.md', 'dist/mastodon.k8s.yaml', 'dist/argocd.k8s.yaml']) {
    expect([f, fs.existsSync(path.join(server, f))]).toEqual([f, true]);
  }
  const pkg = JSON.parse(fs.readFileSync(path.join(server, 'package.json'), 'utf8'));
  const ours = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  // Exact versions, the same the library is built and tested with.
  expect(pkg.dependencies).toEqual({ 'cdk8s-mastodon': `file:${tarball}`, 'cdk8s': ours.devDependencies.cdk8s, 'cdk8s-plus-28': ours.devDependencies['cdk8s-plus-28'], 'constructs': ours.devDependencies.constructs });
  for (const v of [...Object.values(pkg.dependencies), ...Object.values(pkg.devDependencies)] as string[]) expect(v).toMatch(/^(\d+\.\d+\.\d+|file:)/);
  const yamlText = fs.readFileSync(path.join(server, 'config', 'server.yaml'), 'utf8');
  expect(yamlText.split('\n')[0]).toBe('# yaml-language-server: $schema=../node_modules/cdk8s-mastodon/config/schema.json');
  // The schema line resolves (from config/, as yaml-language-server reads it) to the shipped
  // schema, and every section the file sets has a description to show on hover.
  const schemaFile = path.resolve(server, 'config', yamlText.split('\n')[0].split('$schema=')[1]);
  expect(schemaFile).toBe(path.join(server, 'node_modules', 'cdk8s-mastodon', 'config', 'schema.json'));
  const shipped = JSON.parse(fs.readFileSync(schemaFile, 'utf8'));
  const sections = Object.keys(parseDocument(yamlText).toJS());
  expect(sections.length).toBeGreaterThan(5);
  for (const k of sections) expect([k, typeof shipped.properties[k]?.description]).toEqual([k, 'string']);
  const app = parseAllDocuments(fs.readFileSync(path.join(server, 'dist', 'argocd.k8s.yaml'), 'utf8')).map((d) => d.toJS()).find((o) => o.kind === 'Application');
  expect(app.spec.source.repoURL).toBe('https://github.com/me/soc-gitops.git');
  // Every object names the installed library's version (the server repository's own package.json has none of it).
  const versions = new Set(['mastodon.k8s.yaml', 'argocd.k8s.yaml'].flatMap((f) => parseAllDocuments(fs.readFileSync(path.join(server, 'dist', f), 'utf8'))
    .map((d) => d.toJS()).filter(Boolean).map((o) => o.metadata.annotations?.['cdk8s-mastodon/version'])));
  expect([...versions]).toEqual([ours.version]);

  fs.rmSync(path.join(server, 'node_modules'), { recursive: true, force: true });
  ok(run('npm', ['ci'], server));
  ok(run('npm', ['run', '-s', 'synth'], server));
  const t = run('npm', ['test'], server);
  ok(t);
  expect(t.stdout).toMatch(/ok +config\/server\.yaml is valid/);
  expect(t.stdout).toMatch(/ok +dist\/ is fresh/);
  expect(t.stdout).toMatch(/ok +the pods fit on 3 nodes, after losing any one of them too/);
  expect(t.stdout).toMatch(/pass strict Kubernetes v1\.30\.0 schema validation/);

  // A new domain: stale until synthesized, then green again.
  fs.writeFileSync(path.join(server, 'config', 'server.yaml'), yamlText.replace(/^domain: social\.example\.org/m, 'domain: toot.example.net'));
  const stale = run('npm', ['test'], server);
  expect(stale.status).not.toBe(0);
  expect(stale.stdout).toMatch(/FAIL +dist\/ is fresh[\s\S]*run npm run synth and commit dist\//);
  ok(run('npm', ['run', '-s', 'synth'], server));
  ok(run('npm', ['test'], server));
  expect(fs.readFileSync(path.join(server, 'dist', 'mastodon.k8s.yaml'), 'utf8')).toMatch(/LOCAL_DOMAIN: toot\.example\.net/);
});

test('init refuses a non-empty folder unless --force, and without --repo-url writes a placeholder synth refuses', () => {
  const dir = path.join(tmp, 'busy');
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'notes.txt'), 'mine');
  const refused = run(bin, ['init', dir, '--domain', 'a.example', '--no-install'], tmp);
  expect(refused.status).not.toBe(0);
  expect(refused.stderr).toMatch(/is not empty; choose an empty or new folder, or pass --force/);
  expect(fs.readdirSync(dir)).toEqual(['notes.txt']);

  ok(run(bin, ['init', dir, '--domain', 'a.example', '--force', '--no-install'], tmp));
  const r = loadConfigFile(path.join(dir, 'config', 'server.yaml'));
  expect(r.ok).toBe(false);
  if (!r.ok) expect(r.errors.map((e) => `${e.path}: ${e.message}`)).toEqual([expect.stringMatching(/^argocd\.repoURL: is still the placeholder/)]);
  // With a repository named, the same config is valid.
  const text = fs.readFileSync(path.join(dir, 'config', 'server.yaml'), 'utf8').replace(/repoURL: .*/, 'repoURL: https://github.com/me/a.git');
  fs.writeFileSync(path.join(dir, 'config', 'server.yaml'), text);
  expect(loadConfigFile(path.join(dir, 'config', 'server.yaml')).ok).toBe(true);
});

test('bad flags are refused, each with what to write instead', () => {
  const r = run(bin, ['init', path.join(tmp, 'x'), '--domain', 'Not A Domain', '--name', '9lives', '--repo-url', 'nope', '--no-install'], tmp);
  expect(r.status).not.toBe(0);
  expect(r.stderr).toMatch(/--domain 'Not A Domain' is not a lower-case host name/);
  expect(r.stderr).toMatch(/--name '9lives' must be lower-case letters/);
  expect(r.stderr).toMatch(/--repo-url 'nope' is not a git URL/);
  expect(fs.existsSync(path.join(tmp, 'x'))).toBe(false);
});
