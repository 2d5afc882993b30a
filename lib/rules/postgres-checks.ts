/**
 * Refusals for a CloudNativePG cluster that both the config resolver and the PostgresCluster
 * construct apply, so a cluster built without a config is held to the same rules. Pure: no
 * cdk8s imports. Paths are relative to the database settings; `prefix` names where those live
 * (`'database.'` in the config, `''` for the construct's props).
 */
import { parseCron } from './cron';
import type { CountBounds } from './mastodon-checks';
import type { PropProblem } from './prop-problems';
import { imageRef, postgresMajorOfTag } from './images';
import type { Arch, ImageSpec } from '../model';

/** A six-field CloudNativePG schedule (seconds first), or an @-descriptor. */
const CRON6 = /^(@(yearly|annually|monthly|weekly|daily|midnight|hourly)|(\S+\s+){5}\S+)$/;

/**
 * Why `schedule` is not a ScheduledBackup schedule CloudNativePG accepts, or undefined.
 *
 * CloudNativePG v1.30.0 reads it with robfig/cron v1.2.0 `cron.Parse`
 * (internal/controller/scheduledbackup_controller.go), whose format has six fields, seconds
 * first; api/v1/scheduledbackup_types.go says it "includes an additional seconds specifier"
 * and docs/src/backup.md ("Scheduled backups") calls it a six-field cron expression that
 * includes seconds. A five-field CronJob schedule would be read with its minute as the seconds.
 */
export function cnpgScheduleProblem(schedule: string, example: string): string | undefined {
  const v = schedule.trim();
  if (CRON6.test(v)) {
    if (parseCron(schedule, 'cnpg')) return undefined;
    return `'${schedule}' is not a schedule CloudNativePG accepts (robfig/cron: second and minute 0-59, hour 0-23, day 1-31, month 1-12 or jan-dec, weekday 0-6 or sun-sat, each as *, a value, a range a-b, a list or a step /n, read in UTC); write it like '${example}'`;
  }
  return v.split(/\s+/).length === 5
    ? `'${schedule}' has 5 fields, but CloudNativePG schedules have six, seconds first; write '0 ${v}' (e.g. '${example}')`
    : `'${schedule}' is not a six-field CloudNativePG schedule (seconds minutes hours day month weekday), e.g. '${example}'`;
}

/** The counts the config's schema and PostgresCluster alone both bound (lib/rules/mastodon-checks.ts countProblems). */
export const POSTGRES_BOUNDS = {
  instances: { min: 1, max: 9 },
  poolerInstances: { min: 1 },
} as const satisfies Record<string, CountBounds>;

/** An S3 path: the bucket, then an optional folder. */
export const S3_PATH = /^s3:\/\/[^/]+(\/.*)?$/;

/** Why `destinationPath` is not an S3 path Barman can write to, or undefined. */
export function destinationPathProblem(destinationPath: string): string | undefined {
  return S3_PATH.test(destinationPath) ? undefined
    : `'${destinationPath}' is not an S3 path; write it like s3://ocw-backups/postgres (bucket, then an optional folder)`;
}

/** A Barman retention policy: days, weeks or months. */
export const RETENTION_POLICY = /^[1-9][0-9]*[dwm]$/;

/** Why `retentionPolicy` is not one the Barman Cloud plugin reads, or undefined. */
export function retentionPolicyProblem(retentionPolicy: string): string | undefined {
  return RETENTION_POLICY.test(retentionPolicy) ? undefined
    : `'${retentionPolicy}' is not a retention; write it like 30d, 4w or 3m (days, weeks or months)`;
}

/** The example an endpointURL problem shows. */
export const ENDPOINT_URL_EXAMPLE = 'https://s3.eu-central-003.backblazeb2.com';

/** Why `endpointURL` is not an S3 endpoint the Barman Cloud sidecar can use, or undefined. */
export function endpointUrlProblem(endpointURL: string): string | undefined {
  let url: URL;
  try {
    url = new URL(endpointURL);
  } catch {
    return `must be a URL such as ${ENDPOINT_URL_EXAMPLE}`;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    return `'${url.protocol}' is not http or https; must be a URL such as ${ENDPOINT_URL_EXAMPLE}`;
  }
  return undefined;
}

/**
 * Why the instances could never start: the pinned architecture is not one the image is built
 * for. `archField` names where the architecture is set, for the fix.
 */
export function imageArchProblem(image: ImageSpec, arch: Arch, archField: string): string | undefined {
  if (image.architectures.includes(arch)) return undefined;
  const built = image.architectures.join(', ');
  return `${imageRef(image)} is built for ${built}, not ${arch}, so no instance could start; choose an image built for ${arch}, or set ${archField} to ${image.architectures.join(' or ')}`;
}

/**
 * Why CloudNativePG would refuse `database.imageName`, or undefined. Its webhook reads the
 * Postgres major from the tag and refuses an image without one, `latest`, or a tag that names no
 * version (cloudnative-pg v1.30.0 internal/webhook/v1/cluster_webhook.go, validateImageName);
 * the tag must also be the configured major, which is what the change guard compares.
 */
export function postgresImageProblem(image: ImageSpec, major: number): string | undefined {
  const example = `${image.repository}:${major}.<minor>-standard-trixie`;
  if (!image.tag && image.digest) {
    return `${imageRef(image)} has no tag, and CloudNativePG refuses an image without one ("Can't use just the image sha as we can't detect upgrades": it reads the Postgres major from the tag); give the tag with the digest, e.g. ${example}@sha256:…`;
  }
  if (!image.tag) return `${imageRef(image)} has no tag, so it means latest, which CloudNativePG refuses ("Can't use 'latest' as image tag"); name the exact version, e.g. ${example}`;
  if (image.tag === 'latest') return `'latest' is not pinned, and CloudNativePG refuses it ("Can't use 'latest' as image tag"); name the exact version, e.g. ${example}`;
  const tagMajor = postgresMajorOfTag(image.tag);
  if (tagMajor === undefined) return `the tag ${image.tag} names no Postgres version, and CloudNativePG refuses it ("invalid version tag": it reads the major from the tag); use a tag such as ${example}`;
  if (tagMajor !== major) {
    const move = tagMajor > major ? 'a major upgrade: docs/upgrading.md' : 'a major downgrade, only the revert of a failed upgrade: docs/change-guard.md';
    return `the tag ${image.tag} is Postgres ${tagMajor}, but database.postgresMajor is ${major}; set database.postgresMajor to ${tagMajor} (${move}), or use a tag of Postgres ${major} such as ${example}`;
  }
  return undefined;
}

/** The settings the restore and snapshot checks read. */
export interface PostgresCheckSettings {
  /** The cluster's name (`<instance>-db`): the default archive folder. */
  readonly clusterName: string;
  readonly bootstrap: { readonly mode: string; readonly from?: string; readonly sourceServerName?: string; readonly snapshots?: unknown };
  readonly serverName?: string;
  readonly storage: { readonly storageClass?: string };
  readonly walStorage: { readonly storageClass?: string };
  readonly volumeSnapshot?: { readonly className: string };
}

/**
 * A recovery that names no snapshots for a snapshot restore (or snapshots for an object store
 * restore), or that would archive into the folder it restores from: the Barman Cloud plugin
 * refuses a non-empty archive, WAL archiving fails, pg_wal fills and the primary stops.
 */
export function restoreProblems(s: PostgresCheckSettings, prefix: string): PropProblem[] {
  const b = s.bootstrap;
  if (b.mode !== 'recovery') return [];
  const out: PropProblem[] = [];
  if (b.from === 'volumeSnapshot' && !b.snapshots) {
    out.push({ path: `${prefix}bootstrap.snapshots`, message: `recovery from volumeSnapshot needs the snapshot names: set snapshots.storage and snapshots.walStorage (kubectl get volumesnapshots)` });
  }
  if (b.from === 'objectStore' && b.snapshots) {
    out.push({ path: `${prefix}bootstrap.snapshots`, message: `snapshots are only used with from: volumeSnapshot; remove them or set from: volumeSnapshot` });
  }
  const source = b.sourceServerName ?? s.clusterName;
  const target = s.serverName ?? s.clusterName;
  if (source === target) {
    out.push({
      path: `${prefix}backup.objectStore.serverName`,
      message: `the restored cluster would archive its WAL into '${target}', the folder it restores from, and the plugin refuses a non-empty archive; set backup.objectStore.serverName to a new folder such as '${s.clusterName}-2' (and keep bootstrap.sourceServerName: '${source}')`,
    });
  }
  return out;
}

/**
 * Volume snapshots are taken by the CSI driver of each volume's StorageClass: the cluster default
 * (k3s: local-path) cannot take them, and the Backup would fail every week.
 */
export function snapshotStorageProblems(s: PostgresCheckSettings, prefix: string): PropProblem[] {
  const snap = s.volumeSnapshot;
  if (!snap) return [];
  return (['storage', 'walStorage'] as const).filter((key) => !s[key].storageClass).map((key) => ({
    path: `${prefix}${key}.storageClass`,
    message: `backup.volumeSnapshot takes snapshots with VolumeSnapshotClass '${snap.className}', but this volume uses the cluster default StorageClass (k3s: local-path, which cannot snapshot); set ${prefix}${key}.storageClass to a StorageClass whose CSI driver supports snapshots (e.g. longhorn), or remove backup.volumeSnapshot`,
  }));
}
