/**
 * The steps a newcomer copies from the README's Quick start and from the README that
 * `cdk8s-mastodon init` writes, run with the real programs where they can run here (git), so a
 * step that cannot work on a fresh machine fails here first.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parse } from 'yaml';
import { packageJson, readme, REPO_PLACEHOLDER, serverYaml } from '../cli/project';
import { operatorInstallMarkdown } from '../lib/rules/operators';
import { resolveConfig } from '../lib';
import { ROOT } from './support/fixtures';
import { packageVersion, quickStart, quickStartBlocks } from './support/readme';

const OPTIONS = { name: 'ex', domain: 'example.social', repoURL: 'https://github.com/you/mastodon-gitops.git', versions: { 'cdk8s-mastodon': '0.1.0' } };

let tmp: string;
beforeEach(() => { tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk8s-mastodon-newcomer-')); });
afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

/**
 * Runs a README's git line in a fresh folder with a user's default git setup (no global or
 * system config: `git init` names its branch `master` there), the repository URL pointing at a
 * local bare repository. Returns the branches the "remote" received.
 */
function pushWith(line: string, repoURL: string): { status: number | null; stderr: string; branches: string[] } {
  const remote = path.join(tmp, 'remote.git');
  expect(spawnSync('git', ['init', '--bare', '-q', remote]).status).toBe(0);
  const work = path.join(tmp, 'server');
  fs.mkdirSync(work);
  fs.writeFileSync(path.join(work, 'README.md'), '# server\n');
  const env = {
    PATH: process.env.PATH, HOME: tmp, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1',
    GIT_AUTHOR_NAME: 'a', GIT_AUTHOR_EMAIL: 'a@example.org', GIT_COMMITTER_NAME: 'a', GIT_COMMITTER_EMAIL: 'a@example.org',
  };
  const r = spawnSync('bash', ['-c', line.split(repoURL).join(remote)], { cwd: work, env, encoding: 'utf8' });
  const refs = spawnSync('git', ['--git-dir', remote, 'for-each-ref', '--format=%(refname:short)', 'refs/heads'], { encoding: 'utf8' });
  return { status: r.status, stderr: r.stderr, branches: refs.stdout.split('\n').filter((b) => b) };
}

/** The branch Argo CD syncs in the config init writes. */
const targetRevision = () => parse(serverYaml(OPTIONS)).argocd.targetRevision;

describe('committing and pushing the server repository', () => {
  test('the Quick start pushes the branch Argo CD syncs to the repository it names', () => {
    const quick = quickStartBlocks()[0];
    // the git lines of the block, from git init on
    const lines = quick.split('\n');
    const line = lines.slice(lines.findIndex((l) => l.startsWith('git init'))).filter((l) => l.startsWith('git ')).join('\n');
    const repoURL = /--repo-url (\S+)/.exec(quick)![1];
    const r = pushWith(line, repoURL);
    expect([r.status, r.stderr.includes('fatal') ? r.stderr : '']).toEqual([0, '']);
    expect(r.branches).toEqual([targetRevision()]);
  });

  test('the README init writes does the same, with the repository given to init', () => {
    const line = /`(git init[^`]*)`/.exec(readme(OPTIONS))![1];
    const r = pushWith(line, OPTIONS.repoURL);
    expect([r.status, r.stderr.includes('fatal') ? r.stderr : '']).toEqual([0, '']);
    expect(r.branches).toEqual([targetRevision()]);
  });

  test('without --repo-url it names no placeholder to push to', () => {
    const text = readme({ ...OPTIONS, repoURL: REPO_PLACEHOLDER });
    expect(/`(git init[^`]*)`/.exec(text)![1]).not.toContain(REPO_PLACEHOLDER);
  });
});

test('the README init writes runs the change guard in CI against the pull request\'s base', () => {
  const line = /`(npm ci && npm test -- --base origin\/main)`/.exec(readme(OPTIONS));
  expect(line).not.toBeNull();
  // npm test passes --base on to `cdk8s-mastodon test`, which takes it.
  expect(JSON.parse(packageJson(OPTIONS)).scripts.test).toBe('cdk8s-mastodon test');
  const help = spawnSync(process.execPath, [path.join(ROOT, 'build', 'cli', 'cdk8s-mastodon.js'), 'test', '--help'], { encoding: 'utf8' });
  expect([help.status, help.stdout]).toEqual([0, expect.stringContaining('--base REF')]);
});

test('the README init writes carries the pinned operator install steps (one source)', () => {
  expect(readme(OPTIONS)).toContain(operatorInstallMarkdown(parse(serverYaml(OPTIONS)).network?.cnpgOperatorNamespace));
});

/** A `files` entry with one `*` (npm's glob for a single path segment), e.g. docs/*.md. */
const globMatches = (entry: string, f: string) => entry.includes('*')
  && new RegExp(`^${entry.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[^/]*')}$`).test(f);

test('the files the init README and config point to are shipped in the package', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { files: string[] };
  const named = [...new Set([...`${readme(OPTIONS)}\n${serverYaml(OPTIONS)}`.matchAll(/node_modules\/cdk8s-mastodon\/(\S+\.md)/g)].map((m) => m[1].replace(/[,.]$/, '')))];
  expect(named).toEqual(expect.arrayContaining(['CHANGELOG.md', 'docs/upgrading.md', 'docs/prerequisites.md', 'docs/configuration-reference.md']));
  for (const f of named) {
    expect([f, fs.existsSync(path.join(ROOT, f))]).toEqual([f, true]);
    expect([f, pkg.files.some((entry) => f === entry || f.startsWith(`${entry}/`) || globMatches(entry, f))]).toEqual([f, true]);
  }
});

describe('the Quick start names the version in package.json', () => {
  test('from the registry: npx cdk8s-mastodon@<version> init', () => {
    const [registry] = quickStartBlocks();
    expect(registry.split('\n')[0]).toMatch(new RegExp(`^npx cdk8s-mastodon@${packageVersion().replace(/\./g, '\\.')} init my-server `));
  });

  test('from a checkout: the tarball npm pack writes, given to init', () => {
    const [, checkout] = quickStartBlocks();
    const tgz = `cdk8s-mastodon-${packageVersion()}.tgz`;
    expect(checkout).toMatch(/^npm ci && npm pack/m);
    expect(checkout).toContain(`init ../my-server --package-spec ${tgz}`);
    // every tarball and file:vendor/ path the section names is this version's
    expect([...new Set(quickStart().match(/cdk8s-mastodon-[^\s`]*?\.tgz/g))]).toEqual([tgz]);
  });
});

// Issue 23 review M5: the commented k3s block of init's config is valid once uncommented.
test('the k3s block init writes commented out is a valid config section once uncommented', () => {
  const text = serverYaml(OPTIONS);
  const block = text.split('\n').filter((l) => /^# {0,3}(k3s:| {2}\w+: )/.test(l));
  expect(block[0]).toBe('# k3s:');
  const uncommented = text.split('\n').map((l) => (block.includes(l) ? l.replace(/^# /, '') : l)).join('\n');
  const r = resolveConfig({ ...parse(uncommented), argocd: { ...parse(uncommented).argocd, repoURL: 'https://github.com/you/m.git' } });
  if (!r.ok) throw new Error(r.errors.map((e) => `${e.path}: ${e.message}`).join('\n'));
  expect(r.config.k3s).toMatchObject({ version: 'v1.30.6+k3s1', datastore: 'etcd', flannelBackend: 'vxlan' });
});
