/**
 * Where the weekly pg_amcheck runs: a primary and a real streaming hot standby (pg_basebackup -R),
 * Postgres from Debian, the `-rw` Service on the primary and `-ro`/`-r` on the standby, as
 * CloudNativePG routes them. Meanwhile the primary keeps taking short ACCESS EXCLUSIVE locks on
 * the checked table, as DDL and VACUUM's truncation of empty end pages do.
 *
 * On a hot standby each such lock is replayed by the startup process, which cancels a standby
 * query holding a conflicting lock once `max_standby_streaming_delay` (Postgres' default 30 s,
 * which CloudNativePG leaves alone) has passed (postgres src/backend/storage/ipc/standby.c,
 * ResolveRecoveryConflictWithLock). pg_amcheck counts the cancelled check like a corruption
 * finding (src/bin/pg_amcheck/pg_amcheck.c: any error result sets all_checks_pass = false, exit 2),
 * so the Job failed and PostgresCorruptionCheckFailed paged. Here the delay is 0, so any overlap
 * cancels: on a real server a check of `statuses` runs for minutes and 30 s is short.
 */
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Manifest, resolveConfig } from '../../lib';
import { renderManifests } from '../../lib/app/render';
import { exampleRaw } from '../support/fixtures';
import { cnpgServerDnsNames, makeCa } from './support/cnpg-pki';
import { isRoot, postgresBin, userIds } from './support/programs';
import { containerEnv, podSpecOf, SecretStore } from './support/rendered';
import { freePort, run, runOk, scratchDir, Server, startServer } from './support/servers';

const resolved = resolveConfig(exampleRaw());
if (!resolved.ok) throw new Error('the example config does not resolve');
const objects: Manifest[] = renderManifests(resolved.config);
const cluster = objects.find((o) => o.kind === 'Cluster')!;
const initdb = cluster.spec.bootstrap.initdb;
const amcheck = objects.find((o) => o.kind === 'CronJob' && /amcheck/.test(o.metadata.name))!;
const BIN = postgresBin();
const PASSWORD = 'it-app-password';

let dir: string;
let sock: string;
let primary: Server;
let standby: Server;
const services: Record<string, number> = {};
let secrets: SecretStore;

function psql(port: number, sql: string, db = 'postgres'): string {
  return runOk(`${BIN}/psql`, ['-h', sock, '-p', String(port), '-U', 'postgres', '-d', db, '-v', 'ON_ERROR_STOP=1', '-Atc', sql], { timeoutMs: 120_000 }).trim();
}

async function startPostgres(data: string, settings: Record<string, string>): Promise<Server> {
  const port = Number(settings.port);
  return startServer(`${BIN}/postgres`, ['-D', data, ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`])], {
    port, user: 'postgres', readyTimeoutMs: 60_000,
    ready: () => run(`${BIN}/pg_isready`, ['-h', sock, '-p', String(port)]).status === 0,
  });
}

/** The CronJob's command line and environment, sent to the server behind `service`. */
function amcheckAgainst(service: string): ReturnType<typeof run> {
  const ctr = podSpecOf(amcheck).containers[0];
  const argv: string[] = [...(ctr.command ?? []), ...(ctr.args ?? [])];
  const env = containerEnv(objects, ctr, secrets);
  const port = services[service];
  if (port === undefined) throw new Error(`${service} is not a Service of the cluster`);
  return run(argv[0], argv.slice(1), { env: { ...env, PGHOSTADDR: '127.0.0.1', PGPORT: String(port), PATH: `${BIN}:${process.env.PATH}` }, timeoutMs: 120_000 });
}

/** Short ACCESS EXCLUSIVE locks on statuses, one every ~20 ms, until stopped (a child process, stopped by PID). */
function lockLoop(): ChildProcess {
  const file = path.join(dir, 'locks.sql');
  fs.writeFileSync(file, Array.from({ length: 3000 }, () => 'BEGIN; LOCK TABLE statuses IN ACCESS EXCLUSIVE MODE; COMMIT; SELECT pg_sleep(0.02);').join('\n'));
  return spawn(`${BIN}/psql`, ['-h', sock, '-p', String(primary.port), '-U', 'postgres', '-d', initdb.database, '-q', '-o', '/dev/null', '-f', file],
    { stdio: 'ignore' });
}

function withLocks<T>(f: () => T): T {
  const loop = lockLoop();
  try {
    return f();
  } finally {
    loop.kill('SIGTERM');
  }
}

beforeAll(async () => {
  dir = scratchDir('amcheck', 'postgres');
  fs.chmodSync(dir, 0o755);
  sock = path.join(dir, 'sock');
  fs.mkdirSync(sock);
  if (isRoot()) { const { uid, gid } = userIds('postgres'); fs.chownSync(sock, uid, gid); }
  const pki = makeCa(dir, cluster.metadata.name, 'postgres');
  const cert = pki.server('server', `${cluster.metadata.name}-rw`, cnpgServerDnsNames(cluster));
  secrets = { [`${cluster.metadata.name}-app`]: { username: initdb.owner, password: PASSWORD } };

  const data = path.join(dir, 'primary');
  runOk(`${BIN}/initdb`, ['-D', data, '-U', 'postgres', '--auth-local=trust', '--auth-host=scram-sha-256', '--data-checksums'], { user: 'postgres', timeoutMs: 120_000 });
  fs.writeFileSync(path.join(data, 'pg_hba.conf'), 'local all all trust\nlocal replication all trust\nhostssl all all 127.0.0.1/32 scram-sha-256\n');
  const common = {
    listen_addresses: '127.0.0.1', unix_socket_directories: sock,
    ssl: 'on', ssl_cert_file: cert.cert, ssl_key_file: cert.key,
    // Any overlap of a replayed lock with a standby query cancels the query (see the header).
    max_standby_streaming_delay: '0', hot_standby: 'on',
  };
  primary = await startPostgres(data, { ...common, port: String(await freePort()) });

  // The bootstrap CNPG runs, then a Mastodon-like table owned by the application role.
  psql(primary.port, `CREATE ROLE ${initdb.owner} LOGIN PASSWORD '${PASSWORD}'`);
  psql(primary.port, `CREATE DATABASE ${initdb.database} OWNER ${initdb.owner}`);
  for (const sql of initdb.postInitApplicationSQL ?? []) psql(primary.port, sql, initdb.database);
  psql(primary.port, `SET ROLE ${initdb.owner}; CREATE TABLE statuses (id bigint PRIMARY KEY, uri text, text text); CREATE INDEX statuses_uri ON statuses (uri);
    INSERT INTO statuses SELECT g, md5(g::text), repeat(md5(g::text), 4) FROM generate_series(1, 300000) g`, initdb.database);

  const standbyData = path.join(dir, 'standby');
  runOk(`${BIN}/pg_basebackup`, ['-h', sock, '-p', String(primary.port), '-U', 'postgres', '-D', standbyData, '-R', '-X', 'stream', '-c', 'fast'],
    { user: 'postgres', timeoutMs: 120_000 });
  standby = await startPostgres(standbyData, { ...common, port: String(await freePort()) });
  expect(psql(standby.port, 'SELECT pg_is_in_recovery()')).toBe('t');

  const name = cluster.metadata.name;
  services[`${name}-rw`] = primary.port;
  services[`${name}-ro`] = standby.port;
  services[`${name}-r`] = standby.port;
}, 300_000);

afterAll(async () => {
  await standby?.stop(20_000);
  await primary?.stop(20_000);
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

test('on the hot standby, replayed locks cancel pg_amcheck: it fails with no corruption at all (the false page)', () => {
  // Timing decides whether a lock lands while a check runs: up to five tries (it took one in every run so far).
  const runs: ReturnType<typeof run>[] = [];
  while (runs.length < 5 && (runs.length === 0 || runs[runs.length - 1].status === 0)) runs.push(withLocks(() => amcheckAgainst(`${cluster.metadata.name}-ro`)));
  const r = runs[runs.length - 1];
  process.stdout.write(`pg_amcheck on the standby under locks: exit ${r.status} after ${runs.length} run(s)\n`);
  expect(r.status).not.toBe(0);
  expect(r.stdout + r.stderr).toMatch(/conflict with recovery/);
});

test('the CronJob, against the Service it names, passes under the same locks', () => {
  const env = Object.fromEntries((podSpecOf(amcheck).containers[0].env ?? []).filter((e: any) => 'value' in e).map((e: any) => [e.name, e.value]));
  for (let i = 0; i < 3; i++) {
    const r = withLocks(() => amcheckAgainst(env.PGHOST));
    expect([r.status, r.stdout]).toEqual([0, '']);
    expect(r.stderr).toMatch(/statuses_uri/);
  }
});
