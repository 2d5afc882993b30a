/**
 * Versions: which library version rendered an object (an annotation on its metadata), the
 * upgrade notes of this library's CHANGELOG between two versions, and the catalog of Mastodon
 * releases whose notes ask the operator for an action.
 */
import type { Manifest } from '../model';

/**
 * The annotation that records the cdk8s-mastodon version that rendered an object. It sits on
 * each object's own metadata, never on a pod template, so a library upgrade does not roll pods.
 */
export const VERSION_ANNOTATION = 'cdk8s-mastodon/version';

/**
 * The version to assume for an object that carries no {@link VERSION_ANNOTATION}: the last
 * release before the annotation existed, so every CHANGELOG note since applies.
 */
export const VERSION_BEFORE_ANNOTATION = '0.1.0';

/** The library version that rendered `manifest`, or undefined if it carries none (rendered before 0.2.0). */
export function renderedVersion(manifest: Pick<Manifest, 'metadata'> | undefined): string | undefined {
  return manifest?.metadata?.annotations?.[VERSION_ANNOTATION];
}

/** A parsed `major.minor.patch[-prerelease]`, with or without a leading `v`. */
interface Semver {
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
  readonly pre: readonly string[];
}

const SEMVER = /^v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/;

function parse(version: string): Semver {
  const m = SEMVER.exec(version.trim());
  if (!m) throw new Error(`"${version}" is not a semantic version (expected major.minor.patch, e.g. 0.2.0 or v4.3.0)`);
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]), pre: m[4] ? m[4].split('.') : [] };
}

function comparePre(a: readonly string[], b: readonly string[]): number {
  // semver 2.0.0 §11: a release sorts after its pre-releases; identifiers compare numerically or in ASCII order.
  if (a.length === 0 || b.length === 0) return b.length - a.length;
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i], y = b[i];
    const nx = /^\d+$/.test(x), ny = /^\d+$/.test(y);
    if (nx && ny && Number(x) !== Number(y)) return Number(x) - Number(y);
    if (nx !== ny) return nx ? -1 : 1;
    if (x !== y) return x < y ? -1 : 1;
  }
  return a.length - b.length;
}

/**
 * Compares two semantic versions (`v` prefix optional): negative if `a` is older, 0 if equal,
 * positive if newer. Throws on a string that is not a version.
 */
export function compareVersions(a: string, b: string): number {
  const x = parse(a), y = parse(b);
  return (x.major - y.major) || (x.minor - y.minor) || (x.patch - y.patch) || comparePre(x.pre, y.pre);
}

/** True if `version` is newer than `from` and no newer than `to`. */
function inRange(version: string, from: string, to: string): boolean {
  return compareVersions(version, from) > 0 && compareVersions(version, to) <= 0;
}

const RELEASE_HEADING = /^## \[([^\]]+)\]/;
const BULLET = /^[-*] /;

/**
 * The upgrade steps of every release in this library's CHANGELOG.md (Keep a Changelog format)
 * newer than `from` and no newer than `to`, oldest first, each prefixed with its version. A step
 * is a bullet that starts with `**Breaking`, with its continuation lines; `[Unreleased]` is skipped.
 */
export function libraryUpgradeNotes(changelogMarkdown: string, from: string, to: string): string[] {
  const notes: { version: string; text: string }[] = [];
  let version: string | undefined;
  let current: string[] | undefined;
  const flush = (): void => {
    if (version && current) notes.push({ version, text: current.join(' ').replace(/\s+/g, ' ').trim() });
    current = undefined;
  };
  for (const line of changelogMarkdown.split(/\r?\n/)) {
    const heading = RELEASE_HEADING.exec(line);
    if (heading) {
      flush();
      version = SEMVER.test(heading[1]) && inRange(heading[1], from, to) ? heading[1] : undefined;
      continue;
    }
    if (line.startsWith('#') || line.trim() === '' || /^\[[^\]]+\]:/.test(line)) { flush(); continue; }
    if (BULLET.test(line)) {
      flush();
      if (line.slice(2).startsWith('**Breaking')) current = [line.slice(2)];
      continue;
    }
    // An indented line continues the bullet above it.
    if (current && /^\s+/.test(line)) current.push(line.trim());
    else flush();
  }
  flush();
  return notes
    .sort((a, b) => compareVersions(a.version, b.version))
    .map((n) => `${n.version}: ${n.text}`);
}

/** A Mastodon release whose notes ask the operator for an action before or after upgrading to it. */
export interface MastodonUpgradeStep {
  /** The release, e.g. `v4.3.0`. */
  readonly version: string;
  /** What to do, in the words of this project (how it applies on this cluster). */
  readonly steps: string[];
  /** Where it is written upstream: the repository, tag and file (and section). */
  readonly source: string;
  /** The notes ask for `tootctl search deploy` (with any flags): the search epoch moves. @default false */
  readonly searchDeploy?: boolean;
}

/** The newest Mastodon release whose CHANGELOG.md this catalog was read against. */
export const MASTODON_CATALOG_READ_UP_TO = 'v4.5.6';

const CHANGELOG = (tag: string, section: string): string => `mastodon/mastodon ${tag} CHANGELOG.md, "## [${section}]"`;

/**
 * The Mastodon releases from v4.0.0 on whose CHANGELOG.md entries require an action, read from
 * mastodon/mastodon CHANGELOG.md at v4.5.6 (each entry names its section). Minimum Ruby and Node versions come with the
 * official images; they are listed because a custom image has to follow them.
 */
const MASTODON_STEPS: readonly MastodonUpgradeStep[] = [
  {
    version: 'v4.0.0',
    steps: [
      'Incoming activities are processed in the new `ingress` Sidekiq queue: every Sidekiq process layout must serve it (this project\'s layouts do).',
    ],
    source: CHANGELOG('v4.5.6', '4.0.0'),
  },
  {
    version: 'v4.1.0',
    steps: [
      'Ruby 2.6 is no longer supported and the default Node.js is 16 (a custom image must follow; the official image does).',
    ],
    source: CHANGELOG('v4.5.6', '4.1.0'),
  },
  {
    version: 'v4.2.0',
    steps: [
      'Node.js 14 and Ruby 2.7 are no longer supported (a custom image must follow; the official image does).',
      'The streaming server lost its clustering (STREAMING_CLUSTER_NUM) and anonymous access: scale streaming with replicas.',
      'With Elasticsearch, the new public_statuses index and the reworked indexes must be built: run `tootctl search deploy` after the upgrade.',
    ],
    source: CHANGELOG('v4.5.6', '4.2.0'),
    searchDeploy: true,
  },
  {
    version: 'v4.3.0',
    steps: [
      'Active Record encryption keys are required: generate them once with `bundle exec rails db:encryption:init` (or `npm run secrets`) and add ACTIVE_RECORD_ENCRYPTION_DETERMINISTIC_KEY, ACTIVE_RECORD_ENCRYPTION_KEY_DERIVATION_SALT and ACTIVE_RECORD_ENCRYPTION_PRIMARY_KEY to the Mastodon Secret before the migrations run; never change them afterwards.',
      'Zero-downtime upgrades are supported only from v4.2.0 or newer: coming from an older release, stop every Mastodon process (web, streaming, Sidekiq) before the migrations run.',
      'The streaming server has its own image (ghcr.io/mastodon/mastodon-streaming; this project runs it); the mastodon image no longer contains it.',
      'Ruby 3.0 is no longer supported (a custom image must follow; the official image does).',
    ],
    source: CHANGELOG('v4.5.6', '4.3.0'),
  },
  {
    version: 'v4.4.0',
    steps: [
      'PostgreSQL 12 and older, Redis older than 6.2, Node.js older than 20 and Ruby 3.1 are no longer supported: upgrade Postgres and Redis first.',
      'Redis namespaces (REDIS_NAMESPACE) are no longer supported: migrate the keys first (github.com/mastodon/redis_namespace_migration).',
      'OTP_SECRET and the legacy OTP code are removed, which breaks zero-downtime migrations from versions earlier than v4.3.0: upgrade to v4.3.x first, or stop every Mastodon process before the migrations run.',
      'Imports started on a version before v4.2.0 are no longer processed: let them finish before upgrading.',
      'With Elasticsearch, the dashboard warns of index analyzer mismatches: run `tootctl search deploy --only-mapping` to update the mappings.',
    ],
    source: CHANGELOG('v4.5.6', '4.4.0'),
    searchDeploy: true,
  },
  {
    version: 'v4.5.0',
    steps: [
      'PostgreSQL 13 is no longer supported: run Postgres 14 or newer before upgrading.',
      'The recommended Node.js is 24 (a custom image should follow; the official image does).',
    ],
    source: CHANGELOG('v4.5.6', '4.5.0'),
  },
];

/**
 * Every release between `from` (exclusive) and `to` (inclusive) whose Mastodon CHANGELOG asks for
 * an action, oldest first. When `to` is newer than the catalog ({@link MASTODON_CATALOG_READ_UP_TO}),
 * a last entry says which release notes are left to read.
 */
export function mastodonUpgradeSteps(from: string, to: string): MastodonUpgradeStep[] {
  if (compareVersions(to, from) <= 0) return [];
  const found = MASTODON_STEPS.filter((s) => inRange(s.version, from, to));
  if (compareVersions(to, MASTODON_CATALOG_READ_UP_TO) > 0) {
    const since = compareVersions(from, MASTODON_CATALOG_READ_UP_TO) > 0 ? from : MASTODON_CATALOG_READ_UP_TO;
    found.push({
      version: to,
      steps: [`This catalog was read up to ${MASTODON_CATALOG_READ_UP_TO}: read the upgrade notes of every release after ${since} up to ${to} before merging.`],
      source: `mastodon/mastodon releases (https://github.com/mastodon/mastodon/releases/tag/${to.startsWith('v') ? to : `v${to}`})`,
    });
  }
  return found;
}

/**
 * The search epoch of a Mastodon version: the newest release of the catalog, up to `version`,
 * whose notes ask for `tootctl search deploy` ('none' before the first). The search deploy
 * Job's name hashes it, so an upgrade re-imports only when it crosses such a release.
 */
export function searchEpoch(version: string): string {
  const asked = MASTODON_STEPS.filter((s) => s.searchDeploy && compareVersions(s.version, version) <= 0);
  return asked.length > 0 ? asked[asked.length - 1].version : 'none';
}
