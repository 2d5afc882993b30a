/**
 * Postgres and PgBouncer with TLS the way CloudNativePG runs them, configured from what the chart
 * renders, and every Mastodon component connecting the way its manifest configures it:
 *
 * - streaming with node-postgres and Mastodon's own DB_SSLMODE mapping (a child process, so
 *   NODE_EXTRA_CA_CERTS works as in the pod), through the pooler;
 * - Rails-style with libpq (psql, PGSSLMODE = DB_SSLMODE), through the pooler;
 * - migrations with libpq straight to the primary;
 * - the bootstrap SQL replayed and the pg_amcheck CronJob's command line run as its role;
 * - every connection pool opened at its configured size at once (the connection budget).
 *
 * What CloudNativePG does was read in cloudnative-pg/cloudnative-pg (see support/cnpg-pki.ts and
 * the comments below); how streaming connects in mastodon/mastodon streaming/database.js (see
 * support/mastodon-streaming-db.ts).
 */
import * as fs from 'fs';
import * as path from 'path';
import { Client, ClientConfig } from 'pg';
import * as net from 'net';
import { Manifest, resolveConfig } from '../../lib';
import { exampleRaw, ROOT } from '../support/fixtures';
import { cnpgServerDnsNames, makeCa } from './support/cnpg-pki';
import { streamingPoolConfig, streamingSsl } from './support/mastodon-streaming-db';
import { isRoot, postgresBin, userIds } from './support/programs';
import { containerEnv, findObject, podsDuringRollout, podSpecOf, scratchMounts, SecretStore } from './support/rendered';
import { freePort, run, runOk, scratchDir, Server, sleep, startServer } from './support/servers';
import { CNPG_WAL_KEEP_SIZE_MB } from '../../lib/rules/wal';
import { renderManifests } from '../../lib/app/render';

const resolvedConfig = resolveConfig(exampleRaw());
if (!resolvedConfig.ok) throw new Error('the example config does not resolve');
const objects: Manifest[] = renderManifests(resolvedConfig.config);
const cluster = objects.find((o) => o.kind === 'Cluster')!;
const pooler = objects.find((o) => o.kind === 'Pooler')!;
const initdb = cluster.spec.bootstrap.initdb;
const PASSWORD = 'it-app-password';
const BIN = postgresBin();
/** Postgres' default superuser_reserved_connections (Postgres 15). */
const SUPERUSER_RESERVED = 3;

/** The namespace's Secrets, as CloudNativePG would create them (app user, CA) and the user would. */
let secrets: SecretStore;
let dir: string;
let pg: Server;
let sock: string;
/** PgBouncer instances with the certificate CNPG makes for the rendered Cluster. */
const bouncers: Server[] = [];
/** One PgBouncer with the certificate CNPG made before the fix (no pooler names): defect 1 put back. */
let legacyBouncer: Server;
/** Service name → local port: where a connection to that Service lands in this test. */
const services: Record<string, number> = {};

function psqlSuper(sql: string, db = 'postgres'): string {
  return runOk(`${BIN}/psql`, ['-h', sock, '-p', String(pg.port), '-U', 'postgres', '-d', db, '-v', 'ON_ERROR_STOP=1', '-Atc', sql]).trim();
}

/** libpq's environment for a Rails-style container env: the same host name, sent to its local port. */
function libpqEnv(env: Record<string, string>, extra: Record<string, string> = {}): Record<string, string> {
  const port = services[env.DB_HOST];
  if (port === undefined) throw new Error(`DB_HOST ${env.DB_HOST} is not a Service this test runs (${Object.keys(services).join(', ')})`);
  return {
    PGHOST: env.DB_HOST, PGHOSTADDR: '127.0.0.1', PGPORT: String(port),
    PGDATABASE: env.DB_NAME, PGUSER: env.DB_USER, PGPASSWORD: env.DB_PASS, PGSSLMODE: env.DB_SSLMODE,
    PGCONNECT_TIMEOUT: '10', ...extra,
  };
}

async function startPgBouncer(name: string, cert: { cert: string; key: string }, caCert: string): Promise<Server> {
  const port = await freePort();
  const confDir = path.join(dir, name);
  fs.mkdirSync(confDir);
  fs.writeFileSync(path.join(confDir, 'userlist.txt'), `"${initdb.owner}" "${PASSWORD}"\n`);
  // CNPG's pgbouncer.ini (pkg/management/pgbouncer/config/config.go): its defaults
  // (client_tls_sslmode prefer, server_tls_sslmode verify-ca, ignore_startup_parameters), the
  // forced client_tls_* files, which are the Cluster's server certificate (api/v1/pooler_funcs.go
  // GetClientTLSSecretNameOrDefault), then the Pooler's parameters and pool mode as rendered.
  // Authentication uses an auth_file here instead of CNPG's auth_query over a client certificate.
  const params: Record<string, string> = {
    listen_addr: '127.0.0.1',
    listen_port: String(port),
    unix_socket_dir: '',
    auth_type: 'scram-sha-256',
    auth_file: path.join(confDir, 'userlist.txt'),
    log_stats: '0',
    client_tls_sslmode: 'prefer',
    client_tls_cert_file: cert.cert,
    client_tls_key_file: cert.key,
    client_tls_ca_file: caCert,
    server_tls_sslmode: 'verify-ca',
    server_tls_ca_file: caCert,
    ignore_startup_parameters: 'extra_float_digits,options',
    pool_mode: pooler.spec.pgbouncer.poolMode,
    ...pooler.spec.pgbouncer.parameters,
  };
  const ini = [
    '[databases]',
    `${initdb.database} = host=127.0.0.1 port=${pg.port} dbname=${initdb.database}`,
    '[pgbouncer]',
    ...Object.entries(params).map(([k, v]) => `${k} = ${v}`),
  ].join('\n');
  fs.writeFileSync(path.join(confDir, 'pgbouncer.ini'), `${ini}\n`);
  fs.chmodSync(confDir, 0o755);
  return startServer('/usr/sbin/pgbouncer', [path.join(confDir, 'pgbouncer.ini')], { port, user: 'postgres' });
}

beforeAll(async () => {
  dir = scratchDir('pg', 'postgres');
  fs.chmodSync(dir, 0o755);
  sock = path.join(dir, 'sock');
  fs.mkdirSync(sock);
  const pki = makeCa(dir, cluster.metadata.name, 'postgres');
  const serverCert = pki.server('server', `${cluster.metadata.name}-rw`, cnpgServerDnsNames(cluster));
  const legacy = { ...cluster, spec: { ...cluster.spec, certificates: undefined } };
  const legacyCert = pki.server('legacy', `${cluster.metadata.name}-rw`, cnpgServerDnsNames(legacy));
  if (isRoot()) { const { uid, gid } = userIds('postgres'); fs.chownSync(sock, uid, gid); }

  secrets = {
    [`${cluster.metadata.name}-app`]: { username: initdb.owner, password: PASSWORD },
    [`${cluster.metadata.name}-ca`]: { 'ca.crt': fs.readFileSync(pki.caCert, 'utf8') },
  };

  // initdb as CNPG's bootstrap does it: data checksums when the Cluster asks for them.
  const data = path.join(dir, 'data');
  runOk(`${BIN}/initdb`, ['-D', data, '-U', 'postgres', '--auth-local=trust',
    '--auth-host=scram-sha-256', ...(initdb.dataChecksums ? ['--data-checksums'] : [])], { user: 'postgres', timeoutMs: 120_000 });
  fs.writeFileSync(path.join(data, 'pg_hba.conf'), 'local all all trust\nhostssl all all 127.0.0.1/32 scram-sha-256\n');

  const port = await freePort();
  // The rendered parameters, on top of CNPG's own settings that matter here
  // (pkg/postgres/configuration.go: wal_keep_size 512MB, wal_level logical, TLS 1.3 only).
  const settings: Record<string, string> = {
    port: String(port),
    listen_addresses: '127.0.0.1',
    unix_socket_directories: sock,
    ssl: 'on',
    ssl_cert_file: serverCert.cert,
    ssl_key_file: serverCert.key,
    ssl_ca_file: pki.caCert,
    ssl_min_protocol_version: 'TLSv1.3',
    wal_level: 'logical',
    wal_keep_size: `${CNPG_WAL_KEEP_SIZE_MB}MB`,
    max_replication_slots: '32',
    ...cluster.spec.postgresql.parameters,
  };
  pg = await startServer(`${BIN}/postgres`, ['-D', data, ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`])], {
    port, user: 'postgres', readyTimeoutMs: 60_000,
    ready: () => run(`${BIN}/pg_isready`, ['-h', sock, '-p', String(port)]).status === 0,
  });

  // The bootstrap CNPG runs (pkg/management/postgres/initdb.go): the owner with the app Secret's
  // password, the database, then postInitApplicationSQL as superuser in that database.
  psqlSuper(`CREATE ROLE ${initdb.owner} LOGIN PASSWORD '${PASSWORD}'`);
  psqlSuper(`CREATE DATABASE ${initdb.database} OWNER ${initdb.owner}`);
  for (const sql of initdb.postInitApplicationSQL ?? []) psqlSuper(sql, initdb.database);

  for (let i = 0; i < pooler.spec.instances; i++) bouncers.push(await startPgBouncer(`bouncer-${i}`, serverCert, pki.caCert));
  legacyBouncer = await startPgBouncer('bouncer-legacy', legacyCert, pki.caCert);
  const name = cluster.metadata.name;
  for (const svc of [`${name}-rw`, `${name}-r`, `${name}-ro`]) services[svc] = pg.port;
  services[pooler.metadata.name] = bouncers[0].port;
}, 180_000);

afterAll(async () => {
  for (const b of [...bouncers, legacyBouncer]) await b?.stop();
  await pg?.stop(20_000);
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

test("the streaming helper follows Mastodon's DB_SSLMODE mapping", () => {
  expect(streamingSsl('disable')).toBe(false);
  expect(streamingSsl('no-verify')).toEqual({ rejectUnauthorized: false });
  for (const mode of ['prefer', 'require', 'verify-ca', 'verify-full', 'allow']) expect(streamingSsl(mode)).toEqual({});
  expect(streamingSsl(undefined)).toBeUndefined();
  expect(streamingPoolConfig({ DB_POOL: '7', DB_HOST: 'h' })).toMatchObject({ max: 7, host: 'h', port: 5432, application_name: '' });
});

test('Postgres 15 starts with the rendered parameters, and takes them as given', () => {
  for (const [k, v] of Object.entries(cluster.spec.postgresql.parameters as Record<string, string>)) {
    expect([k, psqlSuper(`SELECT source FROM pg_settings WHERE name = '${k}'`)]).toEqual([k, 'command line']);
    expect([k, psqlSuper(`SHOW ${k}`)]).toEqual([k, v.replace(/^(\d+)MB$/, (_, n) => (Number(n) % 1024 === 0 ? `${Number(n) / 1024}GB` : `${n}MB`))]);
  }
  // Defect 2: slots keep at most this much WAL (it was -1, unlimited).
  expect(psqlSuper("SELECT setting || unit FROM pg_settings WHERE name = 'max_slot_wal_keep_size'")).toBe(
    cluster.spec.postgresql.parameters.max_slot_wal_keep_size);
  expect(psqlSuper('SHOW data_checksums')).toBe('on');
});

test.each([
  ['a 10Gi WAL volume with explicit wal_keep_size and max_wal_size', (db: any) => { db.walStorage.size = '10Gi'; db.parameters = { wal_keep_size: '1GB', max_wal_size: '2048' }; }],
  ['one instance, a small WAL volume, an explicit max_slot_wal_keep_size', (db: any) => { db.instances = 1; db.walStorage.size = '2Gi'; db.parameters = { max_slot_wal_keep_size: '256MB' }; }],
  ['Postgres 15, bigger memory', (db: any) => { db.postgresMajor = 15; db.resources = { requests: { cpu: '1', memory: '4Gi' }, limits: { memory: '4Gi' } }; }],
])('Postgres 15 accepts the parameters rendered for %s', (_, change) => {
  const raw = exampleRaw();
  change(raw.database);
  const r = resolveConfig(raw);
  if (!r.ok) throw new Error(r.errors.map((e) => `${e.path}: ${e.message}`).join('\n'));
  const params = renderManifests(r.config).find((o) => o.kind === 'Cluster')!.spec.postgresql.parameters as Record<string, string>;
  const data = psqlSuper("SELECT current_setting('data_directory')");
  // postgres -C reads the configuration with these settings and prints one, refusing a bad value.
  const out = runOk(`${BIN}/postgres`, ['-D', data,
    ...Object.entries(params).flatMap(([k, v]) => ['-c', `${k}=${v}`]), '-C', 'max_slot_wal_keep_size'], { user: 'postgres' });
  expect(Number(out.trim())).toBe(Number.parseInt(params.max_slot_wal_keep_size, 10) * (/GB$/.test(params.max_slot_wal_keep_size) ? 1024 : 1));
  expect(Number(out.trim())).toBeGreaterThan(0);
});

/**
 * Runs the streaming container as rendered: its environment, its volumes (the CA Secret laid out
 * as the kubelet does), its args under `sh` (the image's entrypoint execs them), with `node`
 * standing in for Mastodon's server by the child that connects the way it does.
 */
function runStreaming(port: number, change: (env: Record<string, string>) => void = () => undefined): { ok: boolean; code?: string; error?: string; clients?: number; users?: string[]; tls?: { encrypted: boolean; authorized: boolean }[] } {
  const d = findObject(objects, 'Deployment', `${resolvedConfig.ok ? resolvedConfig.config.name : ''}-streaming`);
  const spec = podSpecOf(d);
  const ctr = spec.containers[0];
  const pod = fs.mkdtempSync(path.join(dir, 'streaming-'));
  const mounts = scratchMounts(spec, ctr, secrets, pod);
  const env = Object.fromEntries(Object.entries(containerEnv(objects, ctr, secrets)).map(([k, v]) => [k, mounts.rewrite(v)]));
  change(env);
  const bin = path.join(pod, 'bin');
  fs.mkdirSync(bin);
  fs.writeFileSync(path.join(bin, 'node'), `#!/bin/sh\nexec ${process.execPath} ${path.join(ROOT, 'node_modules', 'ts-node', 'dist', 'bin.js')} --swc ${path.join(__dirname, 'support', 'streaming-client.ts')}\n`, { mode: 0o755 });
  const argv: string[] = ctr.args ?? ['node', './streaming/index.js'];
  const r = run(argv[0] === 'sh' ? 'sh' : path.join(bin, 'node'), argv[0] === 'sh' ? [argv[1], mounts.rewrite(argv[2])] : [], {
    env: { ...env, PATH: `${bin}:${process.env.PATH}`, IT_CONNECT: JSON.stringify({ port }) }, cwd: ROOT, timeoutMs: 60_000,
  });
  const line = r.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line);
  } catch {
    throw new Error(`streaming client printed no result:\n${r.stdout}\n${r.stderr}`);
  }
}

describe('streaming through the pooler (defect 1)', () => {
  test('connects with the rendered env: DB_POOL connections, TLS verified against the cluster CA for the pooler name', () => {
    const env = containerEnv(objects, podSpecOf(findObject(objects, 'Deployment', 'ocw-streaming')).containers[0], secrets);
    expect(env.DB_HOST).toBe(pooler.metadata.name);
    const r = runStreaming(bouncers[0].port);
    expect(r).toMatchObject({ ok: true, clients: Number(env.DB_POOL), users: [initdb.owner] });
    expect(r.tls).toEqual(Array.from({ length: Number(env.DB_POOL) }, () => ({ encrypted: true, authorized: true })));
  });
  test('put back: a server certificate without the pooler names fails the host name check', () => {
    expect(runStreaming(legacyBouncer.port)).toMatchObject({ ok: false, code: 'ERR_TLS_CERT_ALTNAME_INVALID' });
  });
  test('put back: without the cluster CA the chain is not trusted', () => {
    const r = runStreaming(bouncers[0].port, (env) => { delete env.NODE_EXTRA_CA_CERTS; });
    expect(r.ok).toBe(false);
    expect(r.code).toMatch(/SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY/);
  });
});

describe('Rails and migrations with libpq', () => {
  test('web connects through the pooler with libpq sslmode = DB_SSLMODE, over TLS', () => {
    const ctr = podSpecOf(findObject(objects, 'Deployment', 'ocw-web')).containers[0];
    const env = containerEnv(objects, ctr, secrets, 'skip');
    expect(env.DB_HOST).toBe(pooler.metadata.name);
    expect(env.PREPARED_STATEMENTS).toBe('false');
    const out = runOk(`${BIN}/psql`, ['-v', 'ON_ERROR_STOP=1', '-c', '\\conninfo', '-Atc', 'SELECT current_user'], { env: libpqEnv(env) });
    expect(out).toContain(initdb.owner);
    expect(out).toMatch(/SSL connection \(protocol: TLSv1\.3/);
  });
  test('the migration Jobs go straight to the primary, whose certificate also verifies by name', () => {
    for (const step of ['pre', 'post']) {
      const ctr = podSpecOf(findObject(objects, 'Job', `ocw-db-migrate-${step}`)).containers[0];
      const env = containerEnv(objects, ctr, secrets, 'skip');
      expect(env.DB_HOST).toBe(`${cluster.metadata.name}-rw`);
      // Migrations take an advisory lock: only a direct session keeps it.
      const sql = 'SELECT pg_is_in_recovery(), pg_try_advisory_lock(42), current_user';
      expect(runOk(`${BIN}/psql`, ['-v', 'ON_ERROR_STOP=1', '-Atc', sql], { env: libpqEnv(env) }).trim()).toBe(`f|t|${initdb.owner}`);
      const ca = path.join(dir, 'ca.crt');
      expect(runOk(`${BIN}/psql`, ['-Atc', 'SELECT 1'], { env: libpqEnv(env, { PGSSLMODE: 'verify-full', PGSSLROOTCERT: ca }) }).trim()).toBe('1');
    }
  });
});

/** The pg_amcheck CronJob's container: command line and environment, with the Service mapped. */
function amcheckRun(): ReturnType<typeof run> {
  const cj = objects.find((o) => o.kind === 'CronJob' && /amcheck/.test(o.metadata.name))!;
  const ctr = podSpecOf(cj).containers[0];
  const argv: string[] = [...(ctr.command ?? []), ...(ctr.args ?? [])];
  const env = containerEnv(objects, ctr, secrets);
  const port = services[env.PGHOST];
  if (port === undefined) throw new Error(`PGHOST ${env.PGHOST} is not a Service of the cluster`);
  return run(argv[0], argv.slice(1), {
    env: { ...env, PGHOSTADDR: '127.0.0.1', PGPORT: String(port), PATH: `${BIN}:${process.env.PATH}` },
    timeoutMs: 120_000,
  });
}

describe('bootstrap SQL and the pg_amcheck CronJob', () => {
  test('the bootstrap granted amcheck to the owner, and the CronJob passes on a healthy database as that role', () => {
    // Something to check: a table with indexes, owned by the application role, as Mastodon's are.
    runOk(`${BIN}/psql`, ['-v', 'ON_ERROR_STOP=1', '-c',
      'CREATE TABLE statuses (id bigint PRIMARY KEY, uri text); CREATE INDEX statuses_uri ON statuses (uri); INSERT INTO statuses SELECT g, md5(g::text) FROM generate_series(1, 20000) g'],
    { env: libpqEnv({ DB_HOST: `${cluster.metadata.name}-rw`, DB_NAME: initdb.database, DB_USER: initdb.owner, DB_PASS: PASSWORD, DB_SSLMODE: 'require' }) });
    expect(psqlSuper(`SELECT rolsuper FROM pg_roles WHERE rolname = '${initdb.owner}'`)).toBe('f');
    const r = amcheckRun();
    expect([r.status, r.stderr]).toEqual([0, expect.any(String)]);
    expect(r.stderr + r.stdout).toMatch(/statuses_uri/);
  });
});

describe('connection budget', () => {
  test('every pool at its configured size at once, through one pooler instance and directly: nothing refused', async () => {
    const poolerHost = pooler.metadata.name;
    const primary = `${cluster.metadata.name}-rw`;
    const params = pooler.spec.pgbouncer.parameters;
    const maxConnections = Number(cluster.spec.postgresql.parameters.max_connections);
    const serverPerBouncer = Number(params.default_pool_size) + Number(params.reserve_pool_size);

    // Every pool the manifests configure: pods (with the rollout surge) × processes × DB_POOL.
    const pools: { who: string; host: string; size: number; ssl: ClientConfig['ssl'] }[] = [];
    for (const o of objects.filter((x) => ['Deployment', 'Job', 'CronJob'].includes(x.kind))) {
      for (const ctr of podSpecOf(o).containers) {
        const env = containerEnv(objects, ctr, secrets, 'skip');
        if (!env.DB_POOL) continue;
        const pods = o.kind === 'Deployment' ? podsDuringRollout(o) : 1;
        const processes = Number(env.WEB_CONCURRENCY ?? 1);
        // Streaming verifies (ssl: {} with the CA); libpq's prefer encrypts without verifying.
        const ssl = /streaming/.test(o.metadata.name) ? { ca: secrets[`${cluster.metadata.name}-ca`]['ca.crt'] } : { rejectUnauthorized: false };
        pools.push({ who: o.metadata.name, host: env.DB_HOST, size: pods * processes * Number(env.DB_POOL), ssl });
      }
    }
    const amcheck = objects.find((o) => o.kind === 'CronJob' && /amcheck/.test(o.metadata.name))!;
    const argv: string[] = [...(podSpecOf(amcheck).containers[0].command ?? []), ...(podSpecOf(amcheck).containers[0].args ?? [])];
    const jobs = Number(argv[argv.indexOf('--jobs') + 1]);
    pools.push({ who: 'pg_amcheck', host: primary, size: jobs + 1, ssl: { rejectUnauthorized: false } });

    const through = pools.filter((p) => p.host === poolerHost);
    const direct = pools.filter((p) => p.host === primary);
    expect(through.length + direct.length).toBe(pools.length);
    const clientTotal = through.reduce((n, p) => n + p.size, 0);
    const directTotal = direct.reduce((n, p) => n + p.size, 0);
    expect(clientTotal).toBeLessThanOrEqual(Number(params.max_client_conn));
    expect(pooler.spec.instances * serverPerBouncer + directTotal).toBeLessThanOrEqual(maxConnections - SUPERUSER_RESERVED);

    const connect = async (host: string, port: number, ssl: ClientConfig['ssl']): Promise<Client> => {
      const c = new Client({
        host, port: 5432, user: initdb.owner, password: PASSWORD, database: initdb.database, ssl, connectionTimeoutMillis: 15_000,
        stream: () => {
          const s = new net.Socket();
          const conn = s.connect.bind(s) as (p: number, h: string) => net.Socket;
          (s as any).connect = () => conn(port, '127.0.0.1');
          return s;
        },
      });
      c.on('error', () => undefined);
      await c.connect();
      return c;
    };
    const clients: Client[] = [];
    const failures: string[] = [];
    const open = async (who: string, host: string, port: number, ssl: ClientConfig['ssl']) => {
      try {
        const c = await connect(host, port, ssl);
        clients.push(c);
        return c;
      } catch (e) {
        failures.push(`${who}: ${(e as Error).message}`);
        return undefined;
      }
    };
    try {
      // All clients on one pooler instance (the other may be restarting), all at once.
      const opened = await Promise.all(through.flatMap((p) => Array.from({ length: p.size }, () => open(p.who, poolerHost, bouncers[0].port, p.ssl))));
      const directs = await Promise.all(direct.flatMap((p) => Array.from({ length: p.size }, () => open(p.who, primary, pg.port, p.ssl))));
      // Every pooler instance busy with a full server pool: default_pool_size, then the reserve
      // once clients have waited reserve_pool_timeout (5 s).
      const busy = [
        ...opened.slice(0, serverPerBouncer),
        ...await Promise.all(bouncers.slice(1).flatMap((b) => Array.from({ length: serverPerBouncer }, () => open('busy', poolerHost, b.port, { rejectUnauthorized: false })))),
      ];
      const sleeping = busy.filter((c) => c !== undefined).map((c) => c.query('SELECT pg_sleep(8)').catch((e: Error) => failures.push(`query: ${e.message}`)));
      await Promise.all(opened.slice(serverPerBouncer).filter((c) => c !== undefined).map((c) => c.query('SELECT 1').catch((e: Error) => failures.push(`query: ${e.message}`))));
      await Promise.all(directs.filter((c) => c !== undefined).map((c) => c.query('SELECT 1')));
      await sleep(6_500);
      const backends = Number(psqlSuper(`SELECT count(*) FROM pg_stat_activity WHERE usename = '${initdb.owner}' AND backend_type = 'client backend'`));
      await Promise.all(sleeping);
      process.stdout.write(`budget: ${clientTotal} clients on one pooler, ${directTotal} direct, ${backends} server backends seen, max_connections ${maxConnections}\n`);
      expect(failures).toEqual([]);
      expect(clients).toHaveLength(clientTotal + directTotal + (bouncers.length - 1) * serverPerBouncer);
      // The server side reached what the budget counts: every pooler's full pool plus the direct ones.
      expect(backends).toBeGreaterThanOrEqual(pooler.spec.instances * Number(params.default_pool_size) + directTotal);
      expect(backends).toBeLessThanOrEqual(maxConnections - SUPERUSER_RESERVED);
      // And a superuser still gets in (the reserved slots are free).
      expect(psqlSuper('SELECT 1')).toBe('1');
    } finally {
      await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
    }
  }, 120_000);
});

describe('pg_amcheck finds corruption', () => {
  test('a damaged index page makes the CronJob command fail', async () => {
    const file = psqlSuper("SELECT current_setting('data_directory') || '/' || pg_relation_filepath('statuses_uri')", initdb.database);
    psqlSuper('CHECKPOINT');
    // Stop, flip bytes in the middle of the first leaf page (page 1), start again.
    const data = psqlSuper("SELECT current_setting('data_directory')");
    runOk(`${BIN}/pg_ctl`, ['-D', data, '-m', 'fast', '-w', 'stop'], { user: 'postgres' });
    await pg.stop(20_000);
    const fd = fs.openSync(file, 'r+');
    fs.writeSync(fd, Buffer.alloc(64, 0x5a), 0, 64, 8192 + 4000);
    fs.closeSync(fd);
    pg = await startServer(`${BIN}/postgres`, ['-D', data, '-c', `port=${pg.port}`, '-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=${sock}`,
      '-c', 'ssl=on', '-c', `ssl_cert_file=${path.join(dir, 'server.crt')}`, '-c', `ssl_key_file=${path.join(dir, 'server.key')}`,
      ...Object.entries(cluster.spec.postgresql.parameters as Record<string, string>).flatMap(([k, v]) => ['-c', `${k}=${v}`])], {
      port: pg.port, user: 'postgres', readyTimeoutMs: 60_000,
      ready: () => run(`${BIN}/pg_isready`, ['-h', sock, '-p', String(pg.port)]).status === 0,
    });
    const r = amcheckRun();
    expect(r.status).not.toBe(0);
    expect(r.stdout + r.stderr).toMatch(/statuses_uri/);
  }, 120_000);
});
