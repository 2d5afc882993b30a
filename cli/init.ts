/**
 * `cdk8s-mastodon init <dir>`: writes a new server repository (the texts of cli/project.ts),
 * asking for what the flags leave out when run on a terminal, then installs and synthesizes it.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as readline from 'readline';
import { packageRoot, packageVersion } from '../lib/app/package-root';
import { parseArgsOrExit, usageError } from './args';
import { describeWriteError } from '../lib/app/swap';
import { die } from './common';
import { CDK8S_YAML, GITIGNORE, MAIN_TS, packageJson, readme, REPO_PLACEHOLDER, serverYaml, TSCONFIG } from './project';


async function ask(rl: readline.Interface, question: string, fallback: string): Promise<string> {
  return new Promise((resolve) => rl.question(`${question} [${fallback}]: `, (a) => resolve(a.trim() || fallback)));
}

/**
 * The cdk8s-mastodon dependency of the new repository: this version by default (from the
 * registry); a packed tarball is copied into vendor/ and named by a path relative to the
 * repository, so the lockfile holds no path of this machine and a clone installs; a folder is
 * named relative to the new repository (where npm reads it from); any other spec as given.
 */
export function packageDependency(spec: string | undefined, dir: string): { spec: string; tarball?: string } {
  if (spec === undefined) return { spec: packageVersion() };
  const file = spec.replace(/^file:/, '');
  if (!/\.t(ar\.)?gz$/.test(file)) {
    // A folder (npm's ./, ../, / and file: specs) is read relative to the new package.json, not to here.
    if (!spec.startsWith('file:') && !/^(\.{1,2}(\/|$)|\/)/.test(spec)) return { spec };
    const folder = path.resolve(file);
    if (!fs.existsSync(folder) || !fs.statSync(folder).isDirectory()) die(`--package-spec ${spec}: no such folder; give the path of a cdk8s-mastodon checkout, or of the .tgz npm pack wrote there`);
    return { spec: `file:${path.relative(dir, folder) || '.'}` };
  }
  const tarball = path.resolve(file);
  if (!fs.existsSync(tarball) || !fs.statSync(tarball).isFile()) die(`--package-spec ${spec}: no such file; run npm pack in the cdk8s-mastodon checkout and give the path of the .tgz it wrote`);
  if (path.dirname(tarball) === path.join(dir, 'vendor')) return { spec: `file:vendor/${path.basename(tarball)}` };
  return { spec: `file:vendor/${path.basename(tarball)}`, tarball };
}

/** The synth report refuses nothing but the placeholder argocd.repoURL init writes. */
export function onlyPlaceholderRefused(report: string): boolean {
  return /: 1 problem:\n\s+- argocd\.repoURL: is still the placeholder/.test(report);
}

/** What `cdk8s-mastodon init --help` prints. */
export const INIT_USAGE = `usage: cdk8s-mastodon init <dir> [options]
Writes a new server repository into <dir>, installs it and synthesizes it.
  --domain D           the server's domain, which user handles end in (default: asked, else example.social)
  --name N             short instance name that prefixes every object (default: from the domain)
  --repo-url URL       the git repository Argo CD syncs (default: asked, else a placeholder)
  --package-spec SPEC  the cdk8s-mastodon dependency to write (default: this version, ${packageVersion()}, from
                       the registry); a packed tarball (npm pack in a checkout) is copied into vendor/
                       and depended on as file:vendor/<tarball>, so a clone of the repository installs;
                       a folder (../cdk8s-mastodon) is written relative to the new repository
  --force              write into <dir> even when it is not empty
  --no-install         only write the files; skip npm install and the first synth
  -h, --help           print this help`;

/** The init command: `args` are what follows `init` on the command line. */
export async function init(args: string[]): Promise<number> {
  const { values, positionals } = parseArgsOrExit(INIT_USAGE, {
    args, allowPositionals: true,
    options: {
      'domain': { type: 'string' }, 'name': { type: 'string' }, 'repo-url': { type: 'string' },
      'package-spec': { type: 'string' }, 'force': { type: 'boolean' }, 'no-install': { type: 'boolean' },
    },
  });
  if (positionals.length === 0) usageError(INIT_USAGE, 'init: name the folder to write the repository into');
  if (positionals.length > 1) usageError(INIT_USAGE, `init: one folder only; unexpected argument '${positionals[1]}'`);
  const dir = path.resolve(positionals[0]);
  try {
    return await initInto(dir, values);
  } catch (e) {
    // A folder init cannot write (a file in the way, read-only, full) is one line, not a stack trace.
    const line = describeWriteError(e, dir);
    if (line) die(line);
    throw e;
  }
}

interface InitValues {
  readonly 'domain'?: string; readonly 'name'?: string; readonly 'repo-url'?: string;
  readonly 'package-spec'?: string; readonly 'force'?: boolean; readonly 'no-install'?: boolean;
}

async function initInto(dir: string, values: InitValues): Promise<number> {
  if (fs.existsSync(dir) && !fs.statSync(dir).isDirectory()) die(`${dir} is a file, not a folder; name a new or empty folder`);
  if (fs.existsSync(dir) && fs.readdirSync(dir).length > 0 && !values.force) {
    die(`${dir} is not empty; choose an empty or new folder, or pass --force to write into it anyway`);
  }
  let domain = values.domain;
  let name = values.name;
  let repoURL = values['repo-url'];
  if (process.stdin.isTTY && process.stdout.isTTY && (!domain || !name || !repoURL)) {
    const rl = readline.createInterface({ input: process.stdin, output: process.stdout });
    domain ??= await ask(rl, 'Domain of the server (user handles end in it)', 'example.social');
    name ??= await ask(rl, 'Short instance name (prefixes every object)', domain.split('.')[0].replace(/[^a-z0-9-]/g, '').slice(0, 20) || 'mastodon');
    repoURL ??= await ask(rl, 'URL of the git repository Argo CD will sync (this one)', REPO_PLACEHOLDER);
    rl.close();
  }
  domain ??= 'example.social';
  name ??= domain.split('.')[0].replace(/[^a-z0-9-]/g, '').slice(0, 20) || 'mastodon';
  repoURL ??= REPO_PLACEHOLDER;
  // The schema's own checks, so init never writes a name or domain synth would refuse.
  const { MastodonConfigSchema } = await import('../lib/config/schema');
  const schemaProblem = (flag: string, value: string, field: 'name' | 'domain') => {
    const r = MastodonConfigSchema.shape[field].safeParse(value);
    if (r.success) return [];
    const message = r.error.issues[0].message;
    return [message.startsWith(`'${value}'`) ? `--${flag} ${message}` : `--${flag} '${value}': ${message}`];
  };
  const problems = [
    ...schemaProblem('domain', domain, 'domain'),
    ...schemaProblem('name', name, 'name'),
    ...(/^(https?|ssh):\/\/|^git@/.test(repoURL) ? [] : [`--repo-url '${repoURL}' is not a git URL such as https://github.com/you/mastodon-gitops.git`]),
  ];
  if (problems.length > 0) die(problems.join('\n'));

  const dependency = packageDependency(values['package-spec'], dir);
  const pkg = JSON.parse(fs.readFileSync(path.join(packageRoot(), 'package.json'), 'utf8'));
  const versions = {
    'cdk8s-mastodon': dependency.spec,
    'cdk8s': pkg.devDependencies.cdk8s, 'cdk8s-plus-28': pkg.devDependencies['cdk8s-plus-28'], 'constructs': pkg.devDependencies.constructs,
    '@types/node': pkg.devDependencies['@types/node'], 'ts-node': pkg.devDependencies['ts-node'], 'typescript': pkg.devDependencies.typescript,
  };
  const o = { name, domain, repoURL, versions };
  fs.mkdirSync(path.join(dir, 'config'), { recursive: true });
  if (dependency.tarball) {
    fs.mkdirSync(path.join(dir, 'vendor'), { recursive: true });
    fs.copyFileSync(dependency.tarball, path.join(dir, dependency.spec.slice('file:'.length)));
  }
  const write = (f: string, text: string) => fs.writeFileSync(path.join(dir, f), text);
  write('package.json', packageJson(o));
  write('cdk8s.yaml', CDK8S_YAML);
  write('main.ts', MAIN_TS);
  write('tsconfig.json', TSCONFIG);
  write('.gitignore', GITIGNORE);
  write('README.md', readme(o));
  write(path.join('config', 'server.yaml'), serverYaml(o));
  console.log(`wrote ${dir}: package.json, cdk8s.yaml, main.ts, tsconfig.json, .gitignore, README.md, config/server.yaml${dependency.tarball ? `, ${dependency.spec.slice('file:'.length)}` : ''}`);
  if (values['no-install']) {
    console.log('next: npm install, then npm run synth (see README.md)');
    return 0;
  }
  const npm = spawnSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund'], { cwd: dir, stdio: 'inherit' });
  if (npm.status !== 0) die('npm install failed; fix the cause and run it again in that folder, then npm run synth');
  const s = spawnSync('npm', ['run', '-s', 'synth'], { cwd: dir, stdio: ['inherit', 'inherit', 'pipe'], encoding: 'utf8' });
  process.stderr.write(s.stderr ?? '');
  if (s.status !== 0) {
    // The placeholder repoURL is expected to fail the first synth; any other failure is init's.
    const onlyPlaceholder = repoURL === REPO_PLACEHOLDER && onlyPlaceholderRefused(s.stderr ?? '');
    console.log(onlyPlaceholder ? '\nset argocd.repoURL in config/server.yaml to this repository\'s URL, then npm run synth' : '\nfix config/server.yaml, then npm run synth');
    return onlyPlaceholder ? 0 : 1;
  }
  console.log(`\nnext: edit config/server.yaml, npm run synth, npm test, commit and push (see ${path.relative(process.cwd(), path.join(dir, 'README.md'))})`);
  return 0;
}
