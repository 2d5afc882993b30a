/**
 * The change guard wired into synth (`npm run synth`'s synthInto, and synthesizeApp, which
 * main.ts calls) and the git baseline `npm test` reads (lib/app/change-guard.ts). The rules
 * themselves are in test/change-guard.test.ts; the server repository's commands in
 * test/integration/change-guard.itest.ts.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { guardAgainstCommit, manifestsAtRef, manifestsInDir } from '../lib/app/change-guard';
import { synthesizeApp } from '../lib/app/synthesize';
import { synthInto } from '../scripts/synth';
import { EXAMPLE_FILE, ROOT } from './support/fixtures';

jest.setTimeout(60_000);

let tmp: string;
beforeAll(() => { tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk8s-mastodon-guard-')); });
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const tree = (dir: string) => Object.fromEntries(fs.readdirSync(dir).sort().map((f) => [f, fs.readFileSync(path.join(dir, f), 'utf8')]));
const example = fs.readFileSync(EXAMPLE_FILE, 'utf8');
/** The example with `edit` applied to its text, written to a file of its own. */
function config(name: string, edit: (text: string) => string): string {
  const file = path.join(tmp, `${name}.yaml`);
  fs.writeFileSync(file, edit(example));
  return file;
}
/** A copy of the committed dist/ (the example's manifests). */
function deployed(name: string): string {
  const target = path.join(tmp, name, 'dist');
  fs.cpSync(path.join(ROOT, 'dist'), target, { recursive: true });
  return target;
}
const RENAMES = [
  'rename Cluster mastodon/ocw-db -> mastodon/fedi-db',
  'rename ObjectStore mastodon/ocw-db-store -> mastodon/fedi-db-store',
  'rename StatefulSet mastodon/ocw-redis -> mastodon/fedi-redis',
];
const acknowledging = (ids: readonly string[]) => (text: string) => `${text}\nacknowledge:\n${ids.map((i) => `  - ${JSON.stringify(i)}\n`).join('')}`;
const renamed = (text: string) => text.replace(/^name: ocw$/m, 'name: fedi');
const git = (cwd: string, ...args: string[]) => {
  const r = spawnSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.org', ...args], { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return r.stdout;
};

test('npm run synth refuses an unacknowledged rename and leaves dist/ untouched; the message names object, change, consequence and the line to add', () => {
  const target = deployed('rename');
  const before = tree(target);
  const r = synthInto(config('rename', renamed), target);
  expect(r.ok).toBe(false);
  if (r.ok) return;
  expect(tree(target)).toEqual(before);
  expect(r.report).toMatch(/^3 change\(s\) against dist\/ would lose data or be refused on the cluster/);
  expect(r.report).toContain('Cluster mastodon/ocw-db: rename Cluster mastodon/ocw-db -> mastodon/fedi-db');
  expect(r.report).toMatch(/on the cluster: Argo CD keeps the old Cluster \(Prune=false\), but Mastodon is pointed at a new, empty database/);
  for (const id of RENAMES) expect(r.report).toContain(`        - ${JSON.stringify(id)}`);
  expect(r.report).not.toMatch(/\n\s+at /);
});

test('acknowledged, the same rename is written; synthesized again, the acknowledgement is reported stale', () => {
  const target = deployed('rename-ack');
  const file = config('rename-ack', (t) => acknowledging(RENAMES)(renamed(t)));
  const r = synthInto(file, target);
  expect([r.ok, r.ok ? r.warnings : r.report]).toEqual([true, []]);
  expect(fs.readFileSync(path.join(target, 'mastodon.k8s.yaml'), 'utf8')).toMatch(/name: fedi-db\n/);
  const again = synthInto(file, target);
  expect(again.ok).toBe(true);
  if (!again.ok) return;
  expect(again.warnings).toEqual([RENAMES.map((id) => `acknowledgement in ${file} matches no change against dist/: ${JSON.stringify(id)} (check the id for a typo; if its change has landed, remove the line once that is merged)`).join('\n')]);
});

test('a Mastodon downgrade (legitimate only after a restore) is refused until acknowledged', () => {
  const target = deployed('downgrade');
  const before = tree(target);
  const downgraded = (t: string) => t.replace('version: v4.7.2', 'version: v4.1.0');
  const r = synthInto(config('downgrade', downgraded), target);
  expect(r.ok).toBe(false);
  if (r.ok) return;
  expect(r.report).toMatch(/Mastodon: downgrade Mastodon v4\.7\.2 -> v4\.1\.0\n\s+on the cluster: Mastodon's migrations only run forward[\s\S]*only after restoring the database[\s\S]*- "downgrade Mastodon v4\.7\.2 -> v4\.1\.0"/);
  expect(tree(target)).toEqual(before);
  expect(synthInto(config('downgrade-ack', (t) => acknowledging(['downgrade Mastodon v4.7.2 -> v4.1.0'])(downgraded(t))), target).ok).toBe(true);
});

test('benign changes are written without a word', () => {
  const target = deployed('benign');
  const r = synthInto(config('benign', (t) => t.replace('replicas: 2\n  pool: cloud\n  processes: 2', 'replicas: 3\n  pool: cloud\n  processes: 2')
    .replace('version: v4.7.2', 'version: v4.7.3')), target);
  expect([r.ok, r.ok ? r.warnings : r.report]).toEqual([true, []]);
});

test('synthesizeApp writing in place (main.ts under cdk8s synth) compares with the folder it writes to', () => {
  const target = deployed('in-place');
  const before = tree(target);
  const r = synthesizeApp(config('in-place', (t) => t.replace('storage: { size: 20Gi, storageClass: longhorn }', 'storage: { size: 10Gi, storageClass: longhorn }')), target);
  expect(r.ok).toBe(false);
  if (r.ok) return;
  expect(r.errors).toEqual([{ path: 'acknowledge', message: 'shrink storage of Cluster mastodon/ocw-db 20Gi -> 10Gi' }]);
  expect(tree(target)).toEqual(before);
  expect(synthesizeApp(config('in-place-off', (t) => t.replace('storage: { size: 20Gi, storageClass: longhorn }', 'storage: { size: 10Gi, storageClass: longhorn }')), target, { baseline: false }).ok).toBe(true);
});

test('a baseline that is not YAML is a warning, not a crash', () => {
  const target = deployed('garbage');
  fs.writeFileSync(path.join(target, 'mastodon.k8s.yaml'), 'a: [unclosed\n');
  expect(manifestsInDir(target)).toEqual({ ok: false, reason: expect.stringMatching(/mastodon\.k8s\.yaml is not valid YAML/) });
  const r = synthInto(EXAMPLE_FILE, target);
  expect(r.ok && r.warnings).toEqual([expect.stringMatching(/^the change guard compared nothing: .*not valid YAML/)]);
});

describe('the git baseline (npm test, cdk8s-mastodon test)', () => {
  test('dist/ at HEAD, at another ref; no repository or no commit is a reason, not a crash', () => {
    const repo = path.join(tmp, 'repo');
    const dist = deployed('repo');
    expect(manifestsAtRef(dist, 'HEAD')).toEqual({ ok: false, reason: `${dist} is not in a git repository` });
    git(repo, 'init', '-q');
    expect(manifestsAtRef(dist, 'HEAD')).toEqual({ ok: false, reason: 'the repository has no commit yet' });
    git(repo, 'add', '.');
    git(repo, 'commit', '-qm', 'first');
    const head = manifestsAtRef(dist, 'HEAD');
    expect(head.ok && head.objects.find((o) => o.kind === 'Cluster')?.metadata.name).toBe('ocw-db');
    expect(head).toEqual(manifestsInDir(dist));
    expect(manifestsAtRef(dist, 'origin/main')).toEqual({ ok: false, reason: "'origin/main' is not a commit here (fetch it first, e.g. git fetch origin main)" });
  });
});

describe('cdk8s synth: the output folder is deleted before the app runs (cdk8s-cli synth rmSync(outdir))', () => {
  test('a missing or empty dist/ in a git work tree falls back to dist/ at HEAD', () => {
    const repo = path.join(tmp, 'cdk8s-cli');
    const dist = deployed('cdk8s-cli');
    git(repo, 'init', '-q');
    git(repo, 'add', '.');
    git(repo, 'commit', '-qm', 'first');
    const shrunk = config('cdk8s-cli', (t) => t.replace('storage: { size: 20Gi, storageClass: longhorn }', 'storage: { size: 10Gi, storageClass: longhorn }'));
    for (const gone of [() => fs.rmSync(dist, { recursive: true }), () => fs.mkdirSync(dist)]) {
      gone();
      const r = synthesizeApp(shrunk, dist);
      expect(r.ok).toBe(false);
      if (r.ok) return;
      expect(r.errors).toEqual([{ path: 'acknowledge', message: 'shrink storage of Cluster mastodon/ocw-db 20Gi -> 10Gi' }]);
      expect(r.report).toContain('1 change(s) against dist/ at HEAD would lose data');
      expect(r.report).toMatch(/dist\/ was missing or empty \(cdk8s synth deletes its output folder before it runs the app\): get it back with git checkout HEAD -- :\/dist/);
      expect(fs.existsSync(dist) ? fs.readdirSync(dist) : []).toEqual([]);
    }
    // The same config as committed: written, without a word.
    expect(synthesizeApp(EXAMPLE_FILE, dist)).toEqual({ ok: true, warnings: [] });
    expect(git(repo, 'status', '--porcelain')).toBe('');
  });
});

describe('npm test: the working dist/ against the committed one', () => {
  test('a rename synthesized but not acknowledged fails; acknowledged it passes; committed, the acknowledgement is stale', () => {
    const repo = path.join(tmp, 'committed');
    const dist = deployed('committed');
    expect(guardAgainstCommit(dist, [], 'config/server.yaml')).toEqual({ status: 'skipped', report: `no change guard against HEAD: ${dist} is not in a git repository` });
    git(repo, 'init', '-q');
    git(repo, 'add', '.');
    git(repo, 'commit', '-qm', 'first');
    // The working dist/ is the committed one: nothing was compared, and the report says so.
    expect(guardAgainstCommit(dist, [], 'config/server.yaml')).toEqual({ status: 'ok', report: 'compared nothing against dist/ at HEAD: the working dist/ is the same (in CI on a pull request pass --base <base ref>)' });
    // The rename written by hand (as a synth with the guard switched off would).
    expect(synthesizeApp(config('committed', renamed), path.join(tmp, 'committed-out'), { baseline: false }).ok).toBe(true);
    fs.rmSync(dist, { recursive: true });
    fs.cpSync(path.join(tmp, 'committed-out'), dist, { recursive: true });
    const blocked = guardAgainstCommit(dist, [], 'config/server.yaml');
    expect(blocked.status).toBe('blocked');
    expect(blocked.report).toContain('3 change(s) against dist/ at HEAD would lose data');
    expect(guardAgainstCommit(dist, RENAMES, 'config/server.yaml')).toEqual({ status: 'ok', report: '' });
    git(repo, 'add', '.');
    git(repo, 'commit', '-qm', 'renamed');
    const after = guardAgainstCommit(dist, RENAMES, 'config/server.yaml');
    expect(after.status).toBe('ok');
    expect(after.report).toMatch(/^compared nothing against dist\/ at HEAD: the working dist\/ is the same \(in CI on a pull request pass --base <base ref>\)\nacknowledgement in config\/server.yaml matches no change against dist\/ at HEAD: "rename Cluster/);
    // CI on a pull request: against the base branch, HEAD~1 here.
    expect(guardAgainstCommit(dist, [], 'config/server.yaml', 'HEAD~1').status).toBe('blocked');
    expect(guardAgainstCommit(dist, [], 'config/server.yaml', 'origin/main')).toEqual({ status: 'blocked', report: "no change guard against origin/main: 'origin/main' is not a commit here (fetch it first, e.g. git fetch origin main)" });
  });

  test('a commit without dist/: skipped (said) at HEAD, blocked for a --base that names one, never a silent ok', () => {
    const repo = path.join(tmp, 'no-dist-base');
    const dist = deployed('no-dist-base');
    git(repo, 'init', '-q');
    git(repo, 'commit', '-q', '--allow-empty', '-m', 'empty');
    const head = guardAgainstCommit(dist, [], 'config/server.yaml');
    expect(head).toEqual({ status: 'skipped', report: 'no change guard against HEAD: dist/ holds no *.k8s.yaml at HEAD (nothing committed yet to compare with)' });
    git(repo, 'add', '.');
    git(repo, 'commit', '-qm', 'dist');
    const base = guardAgainstCommit(dist, [], 'config/server.yaml', 'HEAD~1');
    expect(base.status).toBe('blocked');
    expect(base.report).toMatch(/^no change guard against HEAD~1: dist\/ holds no \*\.k8s\.yaml at HEAD~1; check that --base names the branch the pull request merges into/);
  });
});

test('a dist/ rendered before the version annotation (0.1.0): synth writes, and prints the CHANGELOG\'s upgrade notes since', () => {
  const target = deployed('old-library');
  for (const f of fs.readdirSync(target)) {
    const file = path.join(target, f);
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace(/^\s+cdk8s-mastodon\/version: .*\n/gm, ''));
  }
  const version = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  const r = synthInto(EXAMPLE_FILE, target);
  expect(r.ok).toBe(true);
  if (!r.ok) return;
  expect(r.warnings).toEqual([expect.stringMatching(new RegExp(`^note: upgrade cdk8s-mastodon 0\\.1\\.0 -> ${version.replace(/\./g, '\\.')}: The CHANGELOG between 0\\.1\\.0 and ${version.replace(/\./g, '\\.')} says:\\n  - \\d+\\.\\d+\\.\\d+: `))]);
});

test('a dist/ edited by hand into shapes the library never renders: compared as written, not a crash', () => {
  const dist = deployed('malformed');
  const file = path.join(dist, 'mastodon.k8s.yaml');
  const text = fs.readFileSync(file, 'utf8');
  // The Cluster's plugins as a map, and every claim template's accessModes as a string.
  const edited = text.replace(/^ {2}plugins:\n {4}- /m, '  plugins:\n    x:\n      ').replace(/accessModes:\n(\s+)- ReadWriteOnce/g, 'accessModes: ReadWriteOnce');
  expect(edited).not.toBe(text);
  fs.writeFileSync(file, edited);
  const r = synthesizeApp(config('malformed', (t) => t.replace('instances: 3', 'instances: 2')), dist);
  // Compared as written: the claim templates on disk have no list of access modes.
  expect(r.ok).toBe(false);
  expect(!r.ok && r.report).toMatch(/change volumeClaimTemplate data of StatefulSet mastodon\/ocw-redis spec\.accessModes/);
});
