/**
 * How much WAL a replication slot may keep, so a lost replica cannot fill the WAL volume.
 * Pure: no cdk8s imports.
 *
 * Verified in cloudnative-pg/cloudnative-pg: pkg/postgres/configuration.go sets
 * `wal_keep_size: 512MB` as a global default a user may override, leaves `max_wal_size` at
 * Postgres' default (1GB) and never sets `max_slot_wal_keep_size` (so it is -1, unlimited), and
 * does not list it among the fixed (blocked) parameters, so the Cluster may set it. The HA
 * replication slots CNPG creates for each standby then keep WAL for a standby that is gone
 * until the volume is full and the primary stops.
 */
import { parsePgSizeMB } from './quantity';
import type { WalRetention } from '../model';

/** Postgres defaults, in MB. */
const PG_MAX_WAL_SIZE_MB = 1024;
/** CloudNativePG's default wal_keep_size (pkg/postgres/configuration.go). */
export const CNPG_WAL_KEEP_SIZE_MB = 512;
/** Kept free on the WAL volume besides max_wal_size and wal_keep_size: archive lag, a checkpoint running late. */
export const WAL_MARGIN_FRACTION = 0.1;

/** The split of a WAL volume of `volumeBytes`, given the explicit postgresql.conf parameters. */
export function walRetention(volumeBytes: number, parameters: Readonly<Record<string, string>>): WalRetention {
  const volumeMB = Math.floor(volumeBytes / 2 ** 20);
  const maxWalSizeMB = (parameters.max_wal_size !== undefined ? parsePgSizeMB(parameters.max_wal_size) : undefined) ?? PG_MAX_WAL_SIZE_MB;
  const walKeepSizeMB = (parameters.wal_keep_size !== undefined ? parsePgSizeMB(parameters.wal_keep_size) : undefined) ?? CNPG_WAL_KEEP_SIZE_MB;
  const marginMB = Math.ceil(volumeMB * WAL_MARGIN_FRACTION);
  return { volumeMB, maxWalSizeMB, walKeepSizeMB, marginMB, maxSlotWalKeepSizeMB: volumeMB - maxWalSizeMB - walKeepSizeMB - marginMB };
}

/** Problems with the WAL volume or an explicit max_slot_wal_keep_size, with their field paths. */
export function checkWalRetention(r: WalRetention, volumeSize: string, parameters: Readonly<Record<string, string>>): { path: string; message: string }[] {
  const out: { path: string; message: string }[] = [];
  const parts = `max_wal_size ${r.maxWalSizeMB}MB + wal_keep_size ${r.walKeepSizeMB}MB + a 10% margin ${r.marginMB}MB`;
  // Slots need at least one 16MB segment of room, or a standby that lags a moment is cut off.
  const minimum = r.maxWalSizeMB + r.walKeepSizeMB + 64;
  if (r.maxSlotWalKeepSizeMB < 64) {
    out.push({
      path: 'database.walStorage.size',
      message: `${volumeSize} leaves no room for replication slots after ${parts}; raise it to at least ${Math.ceil(minimum / (1 - WAL_MARGIN_FRACTION) / 1024)}Gi, or lower database.parameters.wal_keep_size or max_wal_size`,
    });
  }
  const explicit = parameters.max_slot_wal_keep_size;
  if (explicit !== undefined) {
    const mb = parsePgSizeMB(explicit);
    if (mb === undefined) {
      out.push({ path: 'database.parameters.max_slot_wal_keep_size', message: `'${explicit}' is not a size such as 2048MB or 2GB; leave it out to derive it from database.walStorage.size` });
    } else if (mb < 0) {
      out.push({ path: 'database.parameters.max_slot_wal_keep_size', message: `${explicit} keeps WAL for a lost replica without limit until the WAL volume is full and the primary stops; set a size of at most ${r.maxSlotWalKeepSizeMB}MB or leave it out to derive it` });
    } else if (mb > r.maxSlotWalKeepSizeMB && r.maxSlotWalKeepSizeMB >= 64) {
      out.push({
        path: 'database.parameters.max_slot_wal_keep_size',
        message: `${mb}MB does not fit the ${volumeSize} WAL volume: at most ${r.maxSlotWalKeepSizeMB}MB is left after ${parts}; lower it to ${r.maxSlotWalKeepSizeMB}MB or less, leave it out, or raise database.walStorage.size`,
      });
    }
  }
  return out;
}
