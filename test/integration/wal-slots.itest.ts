/**
 * A lost standby cannot fill the WAL volume: Postgres 15 runs with the parameters the chart
 * renders for a (small) WAL volume, a physical replication slot stands for the HA slot
 * CloudNativePG keeps for a standby that is gone, and WAL is written well past the volume's size.
 * pg_wal is measured after every segment, so the peak is seen, not only the state after a
 * checkpoint. With the derived max_slot_wal_keep_size the peak stays below the volume and the
 * slot is invalidated; put back (-1, CloudNativePG's default) pg_wal grows past the volume.
 *
 * It also shows what docs/postgres.md says about a standby that comes back after its slot was
 * invalidated: with Postgres 15 (as with 17) it streams again through the same slot, which then
 * holds WAL for it again. CloudNativePG only creates HA slots that are missing
 * (internal/management/controller/slots/reconciler/replicationslot.go), never replaces an
 * invalidated one, which matters with Postgres 18 (see docs/postgres.md).
 */
import * as fs from 'fs';
import * as path from 'path';
import { parse } from 'yaml';
import { resolveConfig } from '../../lib';
import { exampleRaw } from '../support/fixtures';
import { postgresBin } from './support/programs';
import { freePort, run, runOk, scratchDir, Server, startServer } from './support/servers';
import { parseMemory } from '../../lib/rules/quantity';
import { renderManifests } from '../../lib/app/render';

const BIN = postgresBin();
const SEGMENT_MB = 16;
/** A WAL volume small enough to fill here in seconds, with max_wal_size and wal_keep_size scaled down alike. */
const raw = exampleRaw();
raw.database.walStorage.size = '1Gi';
raw.database.parameters = { max_wal_size: '256MB', wal_keep_size: '128MB' };
const r = resolveConfig(raw);
if (!r.ok) throw new Error(r.errors.map((e) => `${e.path}: ${e.message}`).join('\n'));
const params = renderManifests(r.config).find((o) => o.kind === 'Cluster')!.spec.postgresql.parameters as Record<string, string>;
const volumeMB = parseMemory(raw.database.walStorage.size) / 2 ** 20;

let dir: string;
let pg: Server | undefined;
let sock: string;

function psql(sql: string, extra: string[] = []): string {
  return runOk(`${BIN}/psql`, ['-h', sock, '-p', String(pg!.port), '-U', 'postgres', '-d', 'postgres', '-v', 'ON_ERROR_STOP=1', ...extra, '-Atc', sql]).trim();
}

/** A fresh cluster with these settings (CloudNativePG's wal_level and slots as in configuration.go). */
async function startPostgres(settings: Record<string, string>): Promise<void> {
  await pg?.stop(20_000);
  const data = path.join(dir, `data-${Date.now()}`);
  runOk(`${BIN}/initdb`, ['-D', data, '-U', 'postgres', '--auth-local=trust'], { user: 'postgres', timeoutMs: 120_000 });
  const port = await freePort();
  const all: Record<string, string> = {
    port: String(port), listen_addresses: '', unix_socket_directories: sock,
    wal_level: 'logical', max_replication_slots: '32', max_wal_senders: '10',
    // Space, not durability, is measured here: spare the shared disk the flushes.
    fsync: 'off', ...settings,
  };
  pg = await startServer(`${BIN}/postgres`, ['-D', data, ...Object.entries(all).flatMap(([k, v]) => ['-c', `${k}=${v}`])], {
    port, user: 'postgres', readyTimeoutMs: 60_000,
    ready: () => run(`${BIN}/pg_isready`, ['-h', sock, '-p', String(port)]).status === 0,
  });
}

/** Writes `segments` WAL segments with a checkpoint every 8; returns the largest pg_wal seen, in MB. */
function fillWal(segments: number): number {
  psql('CREATE TABLE IF NOT EXISTS t (x int)');
  let peak = 0;
  for (let i = 1; i <= segments; i++) {
    const mb = Number(psql(`INSERT INTO t VALUES (${i}); SELECT pg_switch_wal(); SELECT sum(size) / 1048576 FROM pg_ls_waldir()`).split('\n').pop());
    peak = Math.max(peak, mb);
    if (i % 8 === 0) psql('CHECKPOINT');
  }
  psql('CHECKPOINT');
  return Math.max(peak, Number(psql('SELECT sum(size) / 1048576 FROM pg_ls_waldir()')));
}

beforeAll(() => {
  dir = scratchDir('wal', 'postgres');
  fs.chmodSync(dir, 0o755);
  sock = path.join(dir, 'sock');
  fs.mkdirSync(sock);
  runOk('chown', ['postgres', sock]);
});

afterAll(async () => {
  await pg?.stop(20_000);
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const writeMB = 2 * 1024;

test('with the derived max_slot_wal_keep_size, a lost standby\'s slot is invalidated and pg_wal stays below the WAL volume', async () => {
  await startPostgres(params);
  expect(psql("SELECT setting || unit FROM pg_settings WHERE name = 'max_slot_wal_keep_size'")).toBe(params.max_slot_wal_keep_size);
  psql("SELECT pg_create_physical_replication_slot('_cnpg_ocw_db_2', true)");
  const peak = fillWal(writeMB / SEGMENT_MB);
  process.stdout.write(`derived ${params.max_slot_wal_keep_size}: pg_wal peak ${peak}MB of a ${volumeMB}MB volume after ${writeMB}MB of WAL\n`);
  expect(peak).toBeLessThan(volumeMB);
  expect(psql("SELECT wal_status FROM pg_replication_slots WHERE slot_name = '_cnpg_ocw_db_2'")).toBe('lost');
}, 180_000);

/** The SQL of the chart's custom CloudNativePG query, as rendered into the ConfigMap with monitoring on. */
function renderedSlotQuery(): string {
  const on = resolveConfig({ ...raw, monitoring: { enabled: true } });
  if (!on.ok) throw new Error(on.errors.map((e) => `${e.path}: ${e.message}`).join('\n'));
  const cm = renderManifests(on.config).find((o) => o.kind === 'ConfigMap' && o.metadata?.name === 'ocw-db-monitoring')!;
  return parse(cm.data.queries).mastodon_replication_slots.query as string;
}

test('the chart\'s slot query (lib/rules/slot-queries.ts) reports the invalidated slot as lost, a reserved one as neither', () => {
  psql("SELECT pg_create_physical_replication_slot('_cnpg_ocw_db_3', true)");
  const rows = psql(renderedSlotQuery(), ['-F', ' ']).split('\n').sort();
  // slot_name lost unreserved, as CloudNativePG reads the columns.
  expect(rows).toEqual(['_cnpg_ocw_db_2 1 0', '_cnpg_ocw_db_3 0 0']);
  // The same slots through Postgres' own view, to show the query reads what it claims.
  expect(psql("SELECT slot_name || ' ' || wal_status FROM pg_replication_slots ORDER BY 1", ['-F', ' ']).split('\n'))
    .toEqual(['_cnpg_ocw_db_2 lost', '_cnpg_ocw_db_3 reserved']);
  psql("SELECT pg_drop_replication_slot('_cnpg_ocw_db_3')");
});

test('the slot query reads the invalidation itself on Postgres 17+, where a slot stays invalidated while its standby streams again', () => {
  // Postgres 16+ keeps a slot's invalidation (slot.c: `data.invalidated` is never reset, and
  // ReplicationSlotsComputeRequiredLSN skips invalidated slots: such a slot holds no WAL), and
  // pg_get_replication_slots (slotfuncs.c) reports it as wal_status 'unreserved' while a
  // walsender uses it and 'lost' otherwise; Postgres 17 adds invalidation_reason for physical
  // and logical slots (wal_removed, rows_removed, wal_level_insufficient; 18 adds idle_timeout).
  // Postgres 15 here has no such column, so the rows of a 17/18 view stand in a table with its
  // columns, and the rendered query runs on them unchanged but for the relation's name.
  const sql = renderedSlotQuery();
  expect(sql).toContain('pg_catalog.pg_replication_slots');
  const rows = psql(`CREATE TEMP TABLE slots17 (slot_name name, temporary boolean, wal_status text, invalidation_reason text);
    INSERT INTO slots17 VALUES
      ('_cnpg_back', false, 'unreserved', 'wal_removed'),
      ('_cnpg_gone', false, 'lost', 'wal_removed'),
      ('_cnpg_idle', false, 'lost', 'idle_timeout'),
      ('_cnpg_late', false, 'unreserved', NULL),
      ('_cnpg_ok', false, 'reserved', NULL),
      ('pg_basebackup_1', true, 'unreserved', NULL);
    ${sql.replace('pg_catalog.pg_replication_slots', 'slots17')}`, ['-q', '-F', ' ']).split('\n').sort();
  // slot_name lost unreserved: an invalidated slot is lost even while its standby streams, and
  // only a slot that is not invalidated can be "about to be".
  expect(rows).toEqual(['_cnpg_back 1 0', '_cnpg_gone 1 0', '_cnpg_idle 1 0', '_cnpg_late 0 1', '_cnpg_ok 0 0']);
});

test('a standby that comes back streams again through its invalidated slot (Postgres 14-15), which then keeps WAL for it again', () => {
  const slot = () => psql("SELECT coalesce(restart_lsn::text, 'none') || ' ' || wal_status FROM pg_replication_slots WHERE slot_name = '_cnpg_ocw_db_2'");
  expect(slot()).toBe('none lost');
  // A standby asks for the position it has reached; pg_receivewal stands for it (what it missed
  // a real standby restores from the archive with CNPG's restore_command first).
  const recv = path.join(dir, 'recv');
  fs.mkdirSync(recv, { recursive: true });
  runOk('chown', ['postgres', recv]);
  const r2 = run(`${BIN}/pg_receivewal`, ['-h', sock, '-p', String(pg!.port), '-U', 'postgres', '--slot', '_cnpg_ocw_db_2', '-D', recv,
    '--no-loop', '-n', '--endpos', psql('SELECT pg_current_wal_lsn()')], { user: 'postgres', timeoutMs: 30_000 });
  expect([r2.status, r2.stderr]).toEqual([0, expect.any(String)]);
  // Postgres 15 (walsender.c StartReplication does not check the slot's restart_lsn) lets it in,
  // and the standby's feedback gives the slot a position again. 16 and 17 let it in too, but the
  // slot stays invalidated and holds no WAL (see the test above). Postgres 18 refuses an
  // invalidated slot (ReplicationSlotAcquire(..., error_if_invalid = true)); docs/postgres.md says how
  // to drop it so CloudNativePG creates a fresh one.
  expect(slot()).toMatch(/^[0-9A-F]+\/[0-9A-F]+ (reserved|extended)$/);
}, 60_000);

test('put back: with max_slot_wal_keep_size -1 (CloudNativePG\'s default) the same WAL grows past the volume', async () => {
  await startPostgres({ ...params, max_slot_wal_keep_size: '-1' });
  psql("SELECT pg_create_physical_replication_slot('_cnpg_ocw_db_2', true)");
  const peak = fillWal(writeMB / SEGMENT_MB);
  process.stdout.write(`unlimited: pg_wal peak ${peak}MB of a ${volumeMB}MB volume after ${writeMB}MB of WAL\n`);
  expect(peak).toBeGreaterThan(volumeMB);
  expect(psql("SELECT wal_status FROM pg_replication_slots WHERE slot_name = '_cnpg_ocw_db_2'")).not.toBe('lost');
}, 180_000);
