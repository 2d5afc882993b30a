/**
 * The Postgres size grammar of lib/rules/quantity.ts against Postgres itself: for each value,
 * Debian's postgres (15 here) reads it with `postgres -C <setting> -c <setting>=<value>` (no
 * server is started; -C prints the value in the setting's base unit and exits, or refuses it).
 * max_slot_wal_keep_size is MB-based (what wal.ts and alerts.ts read), work_mem kB-based.
 */
import * as fs from 'fs';
import * as path from 'path';
import { postgresBin } from './support/programs';
import { run, scratchDir } from './support/servers';
import { parsePgMemory, parsePgSizeMB } from '../../lib/rules/quantity';

const BIN = postgresBin();
let dir: string;
beforeAll(() => {
  dir = scratchDir('pg-units', 'postgres');
  fs.writeFileSync(path.join(dir, 'postgresql.conf'), '');
  fs.chmodSync(path.join(dir, 'postgresql.conf'), 0o644);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** What postgres reads: the number in base units, or undefined when it refuses the value. */
function postgresReads(setting: string, value: string): number | undefined {
  const r = run(`${BIN}/postgres`, ['-D', dir, '-C', setting, '-c', `${setting}=${value}`], { user: 'postgres', timeoutMs: 20_000 });
  if (r.status !== 0) {
    expect(r.stderr).toMatch(/invalid value for parameter|is outside the valid range/);
    return undefined;
  }
  return Number(r.stdout.trim().split('\n').pop());
}

const VALUES = [
  '512MB', '1GB', '1TB', '1024kB', '1073741824B', '1.5GB', '2 GB', ' 3GB ', '0x10', '010', '1e1GB', '1048576', '1.5', '2.5', '10B',
  '-1', '0', '1gb', '1Kb', '1M', '512Mi', 'MB', '1 G B', '1GB x', '+7MB', '.5GB', '3e2', '64kB', '0.001TB', '30.1GB', '1.0001GB', '0.3kB',
];

describe('Postgres memory settings, as postgres reads them', () => {
  test.each(VALUES)('max_slot_wal_keep_size = %p', (v) => {
    expect(parsePgSizeMB(v)).toBe(postgresReads('max_slot_wal_keep_size', v));
  });
  test.each(VALUES.filter((v) => !v.startsWith('-')))('work_mem = %p (kB-based; values below 64kB are out of its range)', (v) => {
    const pg = postgresReads('work_mem', v);
    const ours = parsePgMemory(v, 1024);
    if (pg === undefined && ours !== undefined) expect(ours).toBeLessThan(64); // refused by work_mem's range, not its syntax
    else expect(ours).toBe(pg);
  });
});
