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
import { readme, REPO_PLACEHOLDER, serverYaml } from '../cli/project';
import { ROOT } from './support/fixtures';
import { operatorInstallMarkdown } from '../lib/rules/operators';

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
    const text = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const quick = /## Quick start\n([\s\S]*?)\n## /.exec(text)![1];
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

test('the README init writes carries the pinned operator install steps (one source)', () => {
  expect(readme(OPTIONS)).toContain(operatorInstallMarkdown(parse(serverYaml(OPTIONS)).network?.cnpgOperatorNamespace));
});

test('the files the init README sends an upgrader to are shipped in the package', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { files: string[] };
  const named = [...readme(OPTIONS).matchAll(/node_modules\/cdk8s-mastodon\/(\S+\.md)/g)].map((m) => m[1]);
  expect(named).toEqual(['CHANGELOG.md', 'docs/upgrading.md']);
  for (const f of named) {
    expect([f, fs.existsSync(path.join(ROOT, f))]).toEqual([f, true]);
    expect([f, pkg.files.some((entry) => f === entry || f.startsWith(`${entry}/`))]).toEqual([f, true]);
  }
});
