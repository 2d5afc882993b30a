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

/** A folder's manifests as text: file name to content. */
export type ManifestTexts = Readonly<Record<string, string>>;

/** The `*.k8s.yaml` files in `dir` as text; none when the folder does not exist yet. Throws when one cannot be read. */
export function manifestTextsInDir(dir: string): ManifestTexts {
  if (!fs.existsSync(dir)) return {};
  return Object.fromEntries(fs.readdirSync(dir).filter((f) => MANIFEST_FILE.test(f)).sort().map((f) => [f, fs.readFileSync(path.join(dir, f), 'utf8')]));
}

/** True when both hold the same files with the same bytes (then nothing changed, and nothing needs parsing). */
export function sameTexts(a: ManifestTexts, b: ManifestTexts): boolean {
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && a[k] === b[k]);
}

function parseTexts(texts: ManifestTexts, where: string): Baseline {
  try {
    return { ok: true, objects: Object.keys(texts).sort().flatMap((f) => parseManifests(texts[f], `${where}/${f}`)) };
  } catch (e) {
    return { ok: false, reason: (e as Error).message };
  }
}

/** The objects in a folder's `*.k8s.yaml` files; none when the folder does not exist yet. */
export function manifestsInDir(dir: string): Baseline {
  try {
    return parseTexts(manifestTextsInDir(dir), dir);
  } catch (e) {
    return { ok: false, reason: (e as Error).message };
  }
}

const git = (cwd: string, args: string[]) => spawnSync('git', args, { cwd, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });

/**
 * The `*.k8s.yaml` files of `dir` as committed at `ref` (`git show <ref>:<path>`). Not ok, with
 * the reason, when git is missing, `dir` is not in a repository, or `ref` does not name a commit
 * (a repository without commits has no HEAD).
 */
export function manifestTextsAtRef(dir: string, ref: string): { readonly ok: true; readonly texts: ManifestTexts; readonly where: string } | { readonly ok: false; readonly reason: string } {
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
  const where = `${rel} at ${ref}`;
  const list = git(root, ['ls-tree', '--name-only', `${ref}:${rel}`]);
  if (list.status !== 0) return { ok: true, texts: {}, where };
  const texts: Record<string, string> = {};
  for (const f of list.stdout.split('\n').filter((n) => MANIFEST_FILE.test(n)).sort()) {
    const shown = git(root, ['show', `${ref}:${rel}/${f}`]);
    if (shown.status !== 0) return { ok: false, reason: `git show ${ref}:${rel}/${f} failed: ${shown.stderr.trim()}` };
    texts[f] = shown.stdout;
  }
  return { ok: true, texts, where };
}

/** The objects in `dir`'s `*.k8s.yaml` files as committed at `ref`; see {@link manifestTextsAtRef}. */
export function manifestsAtRef(dir: string, ref: string): Baseline {
  const r = manifestTextsAtRef(dir, ref);
  return r.ok ? parseTexts(r.texts, r.where) : r;
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

/**
 * The guard on synth's output: `next` (file name to text, as it is about to be written, and the
 * same objects parsed) against the files in `baselineDir`. Identical files need no parsing.
 */
export function guardOutput(baselineDir: string, next: ManifestTexts, nextObjects: () => readonly Manifest[], acknowledge: readonly string[], configFile: string): GuardOutcome | { readonly ok: true; readonly verdict?: undefined; readonly report: string } {
  let texts: ManifestTexts;
  try {
    texts = manifestTextsInDir(baselineDir);
  } catch (e) {
    return { ok: true, report: `the change guard compared nothing: ${(e as Error).message}` };
  }
  let against = `${path.basename(baselineDir)}/`;
  let where = baselineDir;
  let restore: string | undefined;
  if (Object.keys(texts).length === 0) {
    // cdk8s-cli 2.x lib/cli/cmds/synth.js deletes the output folder before it runs the app: the committed one is the best baseline left.
    const committed = manifestTextsAtRef(baselineDir, 'HEAD');
    if (committed.ok && Object.keys(committed.texts).length > 0) {
      [texts, against, where] = [committed.texts, `${path.basename(baselineDir)}/ at HEAD`, committed.where];
      const rel = committed.where.replace(/ at HEAD$/, '');
      restore = `${path.basename(baselineDir)}/ was missing or empty (cdk8s synth deletes its output folder before it runs the app): get it back with git checkout HEAD -- :/${rel}`;
    }
  }
  if (sameTexts(texts, next)) return guardChanges([], [], acknowledge, configFile, against);
  const baseline = parseTexts(texts, where);
  if (!baseline.ok) return { ok: true, report: `the change guard compared nothing: ${baseline.reason}` };
  const outcome = guardChanges(baseline.objects, nextObjects(), acknowledge, configFile, against);
  return !outcome.ok && restore ? { ...outcome, report: `${outcome.report}\n${restore}` } : outcome;
}

/** What {@link guardAgainstCommit} found. */
export type CommitGuardResult =
  | { readonly status: 'ok' | 'blocked'; readonly report: string }
  | { readonly status: 'skipped'; readonly report: string };

/**
 * The check `npm test` runs: the working `distDir` against the same folder committed at `ref`
 * (`HEAD`, or the pull request's base in CI), judged by the config's acknowledgements. Skipped,
 * with the reason, when there is no git, no repository, no commit yet, or no dist/ at HEAD; an
 * unknown `ref` other than HEAD, or one without dist/, is blocked (CI asked for a base it does not
 * have). Identical files need no parsing.
 */
export function guardAgainstCommit(distDir: string, acknowledge: readonly string[], configFile: string, ref = 'HEAD', notes: UpgradeNotes = packageUpgradeNotes()): CommitGuardResult {
  const base = manifestTextsAtRef(distDir, ref);
  if (!base.ok) {
    const skip = ref === 'HEAD' || /git is not installed|not in a git repository/.test(base.reason);
    return { status: skip ? 'skipped' : 'blocked', report: `no change guard against ${ref}: ${base.reason}` };
  }
  const against = `${path.basename(distDir)}/ at ${ref}`;
  if (Object.keys(base.texts).length === 0) {
    // A wrong --base (another branch, a commit from before dist/) must not read as "guarded, nothing found".
    const none = `no change guard against ${ref}: ${path.basename(distDir)}/ holds no *.k8s.yaml at ${ref}`;
    return ref === 'HEAD'
      ? { status: 'skipped', report: `${none} (nothing committed yet to compare with)` }
      : { status: 'blocked', report: `${none}; check that --base names the branch the pull request merges into (fetched: git fetch origin main); only the pull request that first adds ${path.basename(distDir)}/ has no base to compare with, and runs without --base` };
  }
  let working: ManifestTexts;
  try {
    working = manifestTextsInDir(distDir);
  } catch (e) {
    return { status: 'blocked', report: (e as Error).message };
  }
  if (sameTexts(base.texts, working)) {
    // Nothing to compare: after a commit HEAD is the working dist/, so CI has to name the pull request's base.
    const hint = ref === 'HEAD' ? ' (in CI on a pull request pass --base <base ref>)' : '';
    const g = guardChanges([], [], acknowledge, configFile, against, notes);
    return { status: 'ok', report: [`compared nothing against ${against}: the working ${path.basename(distDir)}/ is the same${hint}`, g.report].filter((l) => l).join('\n') };
  }
  const [b, w] = [parseTexts(base.texts, base.where), parseTexts(working, distDir)];
  if (!b.ok) return { status: 'skipped', report: `no change guard against ${ref}: ${b.reason}` };
  if (!w.ok) return { status: 'blocked', report: w.reason };
  const g = guardChanges(b.objects, w.objects, acknowledge, configFile, against, notes);
  return { status: g.ok ? 'ok' : 'blocked', report: g.report };
}
