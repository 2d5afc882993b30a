/**
 * The change guard in a real server repository: `cdk8s-mastodon init` from the packed tarball
 * (once, offline from the npm cache, as test/integration/init.itest.ts does), a git commit, then
 * every scenario of issue 22 with the repository's own `cdk8s-mastodon synth` and `test`: each
 * destructive change is refused with dist/ untouched, then written once acknowledged (the
 * changes refused whatever is acknowledged are unit-tested in test/change-guard.test.ts); benign
 * changes pass without a word; a stale acknowledgement is reported.
 */
import { SpawnSyncReturns } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ROOT } from '../support/fixtures';
import { npmBounded, spawnBounded } from '../support/spawn';

jest.setTimeout(900_000);

const BASE = { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false', CDK8S_CHECK_UPGRADE: 'false' };
const PREFER_OFFLINE = { ...BASE, npm_config_prefer_offline: 'true' };
let tmp: string;
let server: string;
let config: string;
let original: string;
const run = (cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = BASE): SpawnSyncReturns<string> =>
  (cmd === 'npm' ? npmBounded(args, { cwd, env }) : spawnBounded(cmd, args, { cwd, env }));
const ok = (r: SpawnSyncReturns<string>) => expect([r.status, r.status === 0 ? '' : `${r.stdout}\n${r.stderr}`]).toEqual([0, '']);
const git = (...args: string[]) => {
  const r = run('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.org', ...args], server);
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};
/** The repository's own command, as npm run synth / npm test call it. */
const cli = (...args: string[]) => run(process.execPath, [path.join(server, 'node_modules', 'cdk8s-mastodon', 'build', 'cli', 'cdk8s-mastodon.js'), ...args], server);
/** dist/ as committed: `git status` lists nothing under it. */
const distUntouched = () => git('status', '--porcelain', '--', 'dist');
const edit = (change: (text: string) => string) => {
  const next = change(fs.readFileSync(config, 'utf8'));
  expect(next).not.toBe(fs.readFileSync(config, 'utf8'));
  fs.writeFileSync(config, next);
};
const acknowledge = (...ids: string[]) => edit((t) => `${t}\nacknowledge:\n${ids.map((i) => `  - ${JSON.stringify(i)}\n`).join('')}`);
/** Back to the first commit: config and dist/ as init made them. */
const reset = () => { git('reset', '-q', '--hard', original); git('clean', '-qfd'); };

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk8s-mastodon-guard-'));
  const packOut = npmBounded(['pack', '--pack-destination', tmp, '--json'], { cwd: ROOT });
  const tarball = path.join(tmp, JSON.parse(packOut.stdout.slice(packOut.stdout.indexOf('[')))[0].filename);
  const runner = path.join(tmp, 'runner');
  fs.mkdirSync(runner);
  fs.writeFileSync(path.join(runner, 'package.json'), JSON.stringify({ name: 'runner', version: '1.0.0', private: true }));
  ok(run('npm', ['install', '--no-package-lock', '--ignore-scripts', tarball], runner, PREFER_OFFLINE));
  server = path.join(tmp, 'server');
  ok(run(path.join(runner, 'node_modules', '.bin', 'cdk8s-mastodon'), ['init', server, '--domain', 'social.example.org', '--name', 'soc', '--repo-url', 'https://github.com/me/soc-gitops.git', '--package-spec', `file:${tarball}`], tmp, PREFER_OFFLINE));
  config = path.join(server, 'config', 'server.yaml');
  git('init', '-q', '-b', 'main');
  git('add', '.');
  git('commit', '-qm', 'init');
  original = git('rev-parse', 'HEAD').trim();
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
beforeEach(() => server && reset());

test('a rename: refused with dist/ untouched; acknowledged, written; npm test checks it against HEAD and --base; committed, the acknowledgement is stale', () => {
  const renames = [
    'rename Cluster mastodon/soc-db -> mastodon/fedi-db',
    'rename ObjectStore mastodon/soc-db-store -> mastodon/fedi-db-store',
    'rename StatefulSet mastodon/soc-redis -> mastodon/fedi-redis',
  ];
  edit((t) => t.replace(/^name: soc /m, 'name: fedi '));
  const refused = cli('synth');
  expect(refused.status).toBe(1);
  expect(refused.stderr).toContain('Cluster mastodon/soc-db: rename Cluster mastodon/soc-db -> mastodon/fedi-db');
  expect(refused.stderr).toMatch(/on the cluster: Argo CD keeps the old Cluster \(Prune=false\), but Mastodon is pointed at a new, empty database mastodon\/fedi-db/);
  expect(refused.stderr).toContain('to go ahead on purpose, add to config/server.yaml:\n        acknowledge:\n          - "rename Cluster mastodon/soc-db -> mastodon/fedi-db"');
  expect(refused.stderr).toMatch(/synth failed: dist\/ was left as it was\.\n$/);
  expect(distUntouched()).toBe('');

  acknowledge(...renames);
  const written = cli('synth');
  ok(written);
  expect(written.stderr).toBe('');
  expect(fs.readFileSync(path.join(server, 'dist', 'mastodon.k8s.yaml'), 'utf8')).toMatch(/name: fedi-db\n/);
  const tested = cli('test');
  ok(tested);
  expect(tested.stdout).toMatch(/^ok +dist\/ holds no unacknowledged destructive change against HEAD$/m);

  // The same dist/ without the acknowledgement: npm test fails, naming the change.
  const text = fs.readFileSync(config, 'utf8');
  fs.writeFileSync(config, text.slice(0, text.indexOf('\nacknowledge:')));
  const unacknowledged = cli('test');
  expect(unacknowledged.status).toBe(1);
  expect(unacknowledged.stdout).toMatch(/FAIL +dist\/ holds no unacknowledged destructive change against HEAD\n[\s\S]*rename StatefulSet mastodon\/soc-redis -> mastodon\/fedi-redis/);
  fs.writeFileSync(config, text);

  git('commit', '-qam', 'rename');
  const again = cli('synth');
  ok(again);
  expect(again.stderr).toContain('acknowledgement in config/server.yaml matches no change against dist/: "rename Cluster mastodon/soc-db -> mastodon/fedi-db" (check the id for a typo; if its change has landed, remove the line once that is merged)');
  const stale = cli('test');
  ok(stale);
  expect(stale.stdout).toMatch(/acknowledgement in config\/server\.yaml matches no change against dist\/ at HEAD: "rename ObjectStore/);
  // CI on the pull request compares with its base: the acknowledgement is what lets it through.
  ok(cli('test', '--base', original));
});

test.each<[string, (t: string) => string, string, RegExp, string[]?]>([
  ['the Secret with Mastodon\'s keys', (t) => t.replace('secretName: soc-mastodon-secrets', 'secretName: soc-keys'),
    'change mastodon Secret soc-mastodon-secrets -> soc-keys', /encrypted columns .* unreadable/],
  ['a database storage shrink', (t) => t.replace('storage: { size: 20Gi }', 'storage: { size: 10Gi }'),
    'shrink storage of Cluster mastodon/soc-db 20Gi -> 10Gi', /can't shrink existing storage/],
  ['a Postgres major upgrade', (t) => t.replace('  instances: 3\n', '  instances: 3\n  postgresMajor: 18\n'),
    'upgrade Postgres of Cluster mastodon/soc-db 17 -> 18', /offline[\s\S]*Take a fresh base backup first/,
    ['reuse the WAL archive serverName soc-db of Cluster mastodon/soc-db across Postgres 17 -> 18']],
  ['a Postgres major downgrade (the revert of a failed upgrade)', (t) => t.replace('  instances: 3\n', '  instances: 3\n  postgresMajor: 16\n'),
    'downgrade Postgres of Cluster mastodon/soc-db 17 -> 16', /\.status\.pgDataImageInfo\.majorVersion/],
  ['a Mastodon downgrade (after restoring a pre-upgrade backup)', (t) => t.replace('version: v4.7.2', 'version: v4.1.0'),
    'downgrade Mastodon v4.7.2 -> v4.1.0', /only after restoring the database from a backup taken before/],
  ['the ObjectStore\'s destinationPath', (t) => t.replace('destinationPath: s3://soc-backups/postgres', 'destinationPath: s3://soc-backups/pg'),
    'change destinationPath of ObjectStore mastodon/soc-db-store s3://soc-backups/postgres -> s3://soc-backups/pg', /point-in-time recovery/],
  ['the archive\'s serverName', (t) => t.replace('      destinationPath: s3://soc-backups/postgres\n', '      destinationPath: s3://soc-backups/postgres\n      serverName: soc-db-pg17\n'),
    'change serverName of Cluster mastodon/soc-db plugin barman-cloud.cloudnative-pg.io soc-db -> soc-db-pg17', /continuity of the archive breaks/],
])('%s: refused with dist/ untouched, then written once acknowledged', (_what, change, id, consequence, alsoAcknowledge = []) => {
  edit(change);
  const refused = cli('synth');
  expect(refused.status).toBe(1);
  expect(refused.stderr).toContain(`: ${id}\n`);
  expect(refused.stderr).toMatch(consequence);
  expect(refused.stderr).toContain(`          - ${JSON.stringify(id)}`);
  expect(distUntouched()).toBe('');
  acknowledge(id, ...alsoAcknowledge);
  const written = cli('synth');
  ok(written);
  expect(written.stderr).toBe('');
  expect(distUntouched()).not.toBe('');
});

test('the real cdk8s synth deletes dist/ before it runs the app: the guard compares with dist/ at HEAD instead', () => {
  edit((t) => t.replace('storage: { size: 20Gi }', 'storage: { size: 10Gi }'));
  const refused = run(path.join(ROOT, 'node_modules', '.bin', 'cdk8s'), ['synth'], server);
  expect(refused.status).not.toBe(0);
  const out = `${refused.stdout}\n${refused.stderr}`;
  expect(out).toContain('1 change(s) against dist/ at HEAD would lose data');
  expect(out).toContain('shrink storage of Cluster mastodon/soc-db 20Gi -> 10Gi');
  expect(out).toContain('get it back with git checkout HEAD -- :/dist');
  // cdk8s synth deleted it; nothing was written in its place.
  expect(fs.existsSync(path.join(server, 'dist')) ? fs.readdirSync(path.join(server, 'dist')) : []).toEqual([]);
  git('checkout', 'HEAD', '--', 'dist');
  expect(distUntouched()).toBe('');
});

test('benign changes pass without a word: replicas, resources, an image patch release, a new Sidekiq process', () => {
  edit((t) => t.replace('version: v4.7.2', 'version: v4.7.3')
    .replace('    - { name: pull, concurrency: 10 }\n', '    - { name: pull, concurrency: 10 }\n    - { name: ingress, concurrency: 5 }\n')
    .replace('\nsidekiq:', '\nweb:\n  replicas: 3\n  resources:\n    requests: { cpu: 300m, memory: 1Gi }\n    limits: { memory: 1536Mi }\n\nsidekiq:'));
  const written = cli('synth');
  ok(written);
  expect(written.stderr).toBe('');
  const dist = fs.readFileSync(path.join(server, 'dist', 'mastodon.k8s.yaml'), 'utf8');
  expect(dist).toMatch(/name: soc-sidekiq-ingress\n/);
  expect(dist).toMatch(/mastodon:v4\.7\.3\n/);
  const tested = cli('test');
  ok(tested);
  expect(tested.stdout).not.toMatch(/matches no change|note:/);
});
