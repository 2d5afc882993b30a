/**
 * The change guard's inputs and verdict: the baseline manifests from a folder (dist/ on disk) or
 * from a git commit (dist/ at HEAD, or at --base), compared with the new ones by
 * lib/rules/change-guard.ts against the config's `acknowledge:` list.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { parseAllDocuments } from 'yaml';
import type { Manifest } from '../model';
import { compareManifests, formatVerdict, judgeChanges, upgradeNotesFor, type GuardVerdict, type UpgradeNotes } from '../rules/change-guard';
import { packageChangelog, packageVersion } from './package-root';

/** Baseline manifests, or why there are none to compare with. */
export type Baseline =
  | { readonly ok: true; readonly objects: readonly Manifest[] }
  | { readonly ok: false; readonly reason: string };

/** The files the app writes (App's outputFileExtension). */
const MANIFEST_FILE = /\.k8s\.yaml$/;

function parseManifests(text: string, where: string): Manifest[] {
  const objects: Manifest[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) throw new Error(`${where} is not valid YAML: ${doc.errors[0].message.split('\n')[0]}`);
    const o = doc.toJS() as Manifest | null;
    if (o && typeof o === 'object' && typeof o.kind === 'string' && o.metadata && typeof o.metadata.name === 'string') objects.push(o);
  }
  return objects;
}

/** The objects in a folder's `*.k8s.yaml` files; none when the folder does not exist yet. */
export function manifestsInDir(dir: string): Baseline {
  if (!fs.existsSync(dir)) return { ok: true, objects: [] };
  try {
    const files = fs.readdirSync(dir).filter((f) => MANIFEST_FILE.test(f)).sort();
    return { ok: true, objects: files.flatMap((f) => parseManifests(fs.readFileSync(path.join(dir, f), 'utf8'), path.join(dir, f))) };
  } catch (e) {
    return { ok: false, reason: (e as Error).message };
  }
}

const git = (cwd: string, args: string[]) => spawnSync('git', args, { cwd, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });

/**
 * The objects in `dir`'s `*.k8s.yaml` files as committed at `ref` (`git show <ref>:<path>`).
 * Not ok, with the reason, when git is missing, `dir` is not in a repository, or `ref` does not
 * name a commit (a repository without commits has no HEAD).
 */
export function manifestsAtRef(dir: string, ref: string): Baseline {
  const abs = path.resolve(dir);
  const cwd = fs.existsSync(abs) ? abs : path.dirname(abs);
  const top = git(cwd, ['rev-parse', '--show-toplevel']);
  if (top.error) return { ok: false, reason: 'git is not installed' };
  if (top.status !== 0) return { ok: false, reason: `${dir} is not in a git repository` };
  if (git(cwd, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]).status !== 0) {
    return { ok: false, reason: ref === 'HEAD' ? 'the repository has no commit yet' : `'${ref}' is not a commit here (fetch it first, e.g. git fetch origin main)` };
  }
  // ls-tree filters by the working directory's path, so both commands run at the top.
  const root = fs.realpathSync(top.stdout.trim());
  const rel = path.relative(root, fs.existsSync(abs) ? fs.realpathSync(abs) : abs).split(path.sep).join('/');
  const list = git(root, ['ls-tree', '--name-only', `${ref}:${rel}`]);
  if (list.status !== 0) return { ok: true, objects: [] };
  try {
    const files = list.stdout.split('\n').filter((f) => MANIFEST_FILE.test(f)).sort();
    return {
      ok: true,
      objects: files.flatMap((f) => {
        const shown = git(root, ['show', `${ref}:${rel}/${f}`]);
        if (shown.status !== 0) throw new Error(`git show ${ref}:${rel}/${f} failed: ${shown.stderr.trim()}`);
        return parseManifests(shown.stdout, `${rel}/${f} at ${ref}`);
      }),
    };
  } catch (e) {
    return { ok: false, reason: (e as Error).message };
  }
}

/** The upgrade notes of this package: its CHANGELOG (when it ships one) and the Mastodon catalog. */
export function packageUpgradeNotes(): UpgradeNotes {
  let changelog: string | undefined;
  try {
    changelog = packageChangelog();
  } catch {
    changelog = undefined;
  }
  return upgradeNotesFor(changelog, packageVersion());
}

/** What the guard says about a change set. */
export interface GuardOutcome {
  /** False when a change is blocked. */
  readonly ok: boolean;
  readonly verdict: GuardVerdict;
  /** The report (empty when there is nothing to say). */
  readonly report: string;
}

/**
 * Compares `next` with `baseline` and judges the changes by the config's acknowledgements.
 * `configFile` and `against` (what the baseline is, e.g. `dist/` or `dist/ at HEAD`) only go
 * into the report.
 */
export function guardChanges(baseline: readonly Manifest[], next: readonly Manifest[], acknowledge: readonly string[], configFile: string, against: string, notes: UpgradeNotes = packageUpgradeNotes()): GuardOutcome {
  const verdict = judgeChanges(compareManifests(baseline, next, notes), acknowledge);
  return { ok: verdict.blocked.length === 0, verdict, report: formatVerdict(verdict, configFile, against) };
}

/** What {@link guardAgainstCommit} found. */
export type CommitGuardResult =
  | { readonly status: 'ok' | 'blocked'; readonly report: string }
  | { readonly status: 'skipped'; readonly report: string };

/**
 * The check `npm test` runs: the working `distDir` against the same folder committed at `ref`
 * (`HEAD`, or the pull request's base in CI), judged by the config's acknowledgements. Skipped,
 * with the reason, when there is no git, no repository or no commit yet; an unknown `ref` other
 * than HEAD is blocked (CI asked for a base it does not have).
 */
export function guardAgainstCommit(distDir: string, acknowledge: readonly string[], configFile: string, ref = 'HEAD', notes: UpgradeNotes = packageUpgradeNotes()): CommitGuardResult {
  const base = manifestsAtRef(distDir, ref);
  if (!base.ok) {
    const skip = ref === 'HEAD' || /git is not installed|not in a git repository/.test(base.reason);
    return { status: skip ? 'skipped' : 'blocked', report: `no change guard against ${ref}: ${base.reason}` };
  }
  const working = manifestsInDir(distDir);
  if (!working.ok) return { status: 'blocked', report: working.reason };
  const g = guardChanges(base.objects, working.objects, acknowledge, configFile, `${path.basename(distDir)}/ at ${ref}`, notes);
  return { status: g.ok ? 'ok' : 'blocked', report: g.report };
}
