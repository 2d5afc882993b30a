/**
 * How Mastodon reaches Postgres, and how many connections that takes. Pure: no cdk8s imports.
 */
import { resourceName } from '../rules/names';
import type {
  BudgetLine, CnpgDatabaseConfig, ConnectionBudget, ExternalDatabaseConfig, ResolvedConfig, SecretKeyRef,
} from '../model';

/** Everything a Mastodon process needs to connect to its database. */
export interface DatabaseConnection {
  /** Host for web, Sidekiq and streaming: the pooler when there is one. */
  readonly host: string;
  /** Host of the primary itself: migrations never go through a pooler. */
  readonly directHost: string;
  readonly port: number;
  readonly name: string;
  readonly user: string;
  /** The Secret key with the password (DB_PASS). */
  readonly passwordSecret: SecretKeyRef;
  readonly sslMode: string;
  /** False behind PgBouncer in transaction mode (PREPARED_STATEMENTS=false). */
  readonly preparedStatements: boolean;
  /** The CA (PEM) that signed the certificate `host` presents; streaming trusts it. @default none: the public CAs */
  readonly caSecret?: SecretKeyRef;
}

/** The connection to an existing database described in the config. */
export function externalConnection(d: ExternalDatabaseConfig): DatabaseConnection {
  return {
    host: d.host,
    directHost: d.directHost ?? d.host,
    port: d.port,
    name: d.name,
    user: d.user,
    passwordSecret: d.passwordSecret,
    sslMode: d.sslMode,
    preparedStatements: !d.pooled,
    ...(d.caSecret && d.sslMode !== 'disable' ? { caSecret: d.caSecret } : {}),
  };
}

/** The names CloudNativePG objects get (and the Services and Secrets the operator derives from them). */
export interface CnpgNames {
  readonly cluster: string;
  /** The primary's Service (`<cluster>-rw`), made by the operator. */
  readonly primaryService: string;
  /** The replicas' Service (`<cluster>-ro`). */
  readonly replicaService: string;
  /** Any instance (`<cluster>-r`). */
  readonly anyService: string;
  /** The Pooler, and the Service the operator makes for it. */
  readonly pooler: string;
  /** The Secret the operator makes for the application user (keys username, password, ...). */
  readonly appSecret: string;
  /**
   * The Secret with the CA that signs the server certificate, key `ca.crt`. CNPG names it
   * `<cluster>-ca` (api/v1/cluster_types.go DefaultServerCaSecretSuffix; key certs.CACertKey).
   */
  readonly caSecret: string;
  readonly objectStore: string;
  readonly baseBackup: string;
  readonly snapshotBackup: string;
  readonly snapshotRetention: string;
  readonly amcheck: string;
  /** The ConfigMap with the chart's custom monitoring queries (lib/rules/slot-queries.ts). */
  readonly monitoringQueries: string;
}

/** Stable names for the CNPG objects of an instance. */
export function cnpgNames(instance: string): CnpgNames {
  const cluster = resourceName(instance, 'db');
  return {
    cluster,
    primaryService: `${cluster}-rw`,
    replicaService: `${cluster}-ro`,
    anyService: `${cluster}-r`,
    pooler: resourceName(instance, 'db', 'pooler'),
    appSecret: `${cluster}-app`,
    caSecret: `${cluster}-ca`,
    objectStore: resourceName(instance, 'db', 'store'),
    baseBackup: resourceName(instance, 'db', 'base'),
    snapshotBackup: resourceName(instance, 'db', 'snapshot'),
    snapshotRetention: resourceName(instance, 'db', 'snapshot', 'retention'),
    amcheck: resourceName(instance, 'db', 'amcheck'),
    monitoringQueries: resourceName(instance, 'db', 'monitoring'),
  };
}

/** The database and owner CloudNativePG creates for Mastodon. */
export const CNPG_DATABASE = 'mastodon';
export const CNPG_OWNER = 'mastodon';

/** The connection to a CNPG cluster made by this chart: through the pooler, password from the app Secret. */
export function cnpgConnection(instance: string): DatabaseConnection {
  const n = cnpgNames(instance);
  return {
    host: n.pooler,
    directHost: n.primaryService,
    port: 5432,
    name: CNPG_DATABASE,
    user: CNPG_OWNER,
    passwordSecret: { name: n.appSecret, key: 'password' },
    sslMode: 'prefer',
    preparedStatements: false,
    // The pooler presents the cluster's server certificate, signed by this CA (see poolerAltDnsNames).
    caSecret: { name: n.caSecret, key: 'ca.crt' },
  };
}

/**
 * The names the pooler Service answers to, in the four forms CNPG gives its own Services in the
 * server certificate (api/v1/cluster_funcs.go GetClusterAltDNSNames: name, name.ns, name.ns.svc,
 * name.ns.svc.<cluster domain>, default cluster.local). PgBouncer serves clients with the
 * cluster's server certificate (pkg/management/pgbouncer/config/config.go client_tls_cert_file,
 * from api/v1/pooler_funcs.go GetClientTLSSecretNameOrDefault = the Cluster's `<cluster>-server`
 * Secret), so these go into the Cluster's spec.certificates.serverAltDNSNames.
 */
export function poolerAltDnsNames(pooler: string, namespace: string, clusterDomain = 'cluster.local'): string[] {
  return [pooler, `${pooler}.${namespace}`, `${pooler}.${namespace}.svc`, `${pooler}.${namespace}.svc.${clusterDomain}`];
}

/** Where streaming finds the database CA (NODE_EXTRA_CA_CERTS). */
export const STREAMING_CA_DIR = '/etc/mastodon/postgres-ca';
export const STREAMING_CA_FILE = `${STREAMING_CA_DIR}/ca.crt`;

/** The connection for any config. */
export function databaseConnection(c: ResolvedConfig): DatabaseConnection {
  return c.database.mode === 'cnpg' ? cnpgConnection(c.name) : externalConnection(c.database);
}

/** PgBouncer connections per migration Job (DB_POOL of the migration container). */
export const MIGRATION_DB_POOL = 2;
/** DB_POOL of the tootctl cleanup CronJobs. */
export const TOOTCTL_DB_POOL = 5;
/** pg_amcheck --jobs. */
export const AMCHECK_JOBS = 2;
/** Postgres' default superuser_reserved_connections. */
const SUPERUSER_RESERVED = 3;

/** The workloads whose connections the budget counts. */
export interface BudgetWorkloads {
  readonly web: { readonly replicas: number; readonly processes: number; readonly threads: number };
  readonly streaming: { readonly replicas: number; readonly dbPool: number };
  /** `maxReplicas`: a scalable group (KEDA or catchUp), counted at its maximum. */
  readonly sidekiq: readonly { readonly name: string; readonly replicas: number; readonly maxReplicas?: number; readonly concurrency: number; readonly servesScheduler: boolean }[];
  /** The tootctl search deploy Job (search on): its DB_POOL, through the pooler. @default none */
  readonly searchDeploy?: { readonly dbPool: number };
}

/** Computes the budget of a CNPG cluster for these workloads. */
export function connectionBudget(c: BudgetWorkloads, db: CnpgDatabaseConfig): ConnectionBudget {
  const clients: BudgetLine[] = [];
  const surge = (replicas: number) => replicas + 1;
  clients.push({
    who: 'web',
    how: `(${c.web.replicas} replicas + 1 surge) × ${c.web.processes} processes × ${c.web.threads} threads`,
    connections: surge(c.web.replicas) * c.web.processes * c.web.threads,
  });
  for (const p of c.sidekiq) {
    const most = p.maxReplicas ?? p.replicas;
    const pods = p.servesScheduler ? most : surge(most);
    const count = p.maxReplicas !== undefined ? `at most ${most} replicas` : `${most} replica${most === 1 ? '' : 's'}`;
    clients.push({
      who: `sidekiq ${p.name}`,
      how: `${p.servesScheduler ? `${count} (Recreate, no surge)` : `(${count} + 1 surge)`} × concurrency ${p.concurrency}`,
      connections: pods * p.concurrency,
    });
  }
  clients.push({
    who: 'streaming',
    how: `(${c.streaming.replicas} replicas + 1 surge) × DB_POOL ${c.streaming.dbPool}`,
    connections: surge(c.streaming.replicas) * c.streaming.dbPool,
  });
  clients.push({ who: 'cleanup CronJobs', how: `2 jobs × DB_POOL ${TOOTCTL_DB_POOL}`, connections: 2 * TOOTCTL_DB_POOL });
  if (c.searchDeploy) {
    clients.push({ who: 'search index Job', how: `1 job × DB_POOL ${c.searchDeploy.dbPool} (concurrency + 1)`, connections: c.searchDeploy.dbPool });
  }
  const clientTotal = clients.reduce((n, l) => n + l.connections, 0);
  return { clients, clientTotal, maxClientConn: db.pooler.maxClientConn ?? clientTotal, ...serverBudget(db) };
}

/** What the database side of a CNPG cluster needs, whatever the clients: the settings it reads. */
export interface ServerBudgetSettings {
  readonly pooler: { readonly instances: number; readonly defaultPoolSize: number; readonly reservePoolSize: number };
  readonly connectionReserve: number;
}

/** The connections the poolers, the direct users and the reserve take, and so max_connections. */
export function serverBudget(db: ServerBudgetSettings): Pick<ConnectionBudget, 'server' | 'direct' | 'reserve' | 'maxConnections'> {
  const p = db.pooler;
  const server: BudgetLine = {
    who: 'poolers',
    how: `${p.instances} instances × (default_pool_size ${p.defaultPoolSize} + reserve_pool_size ${p.reservePoolSize} + 1 auth)`,
    connections: p.instances * (p.defaultPoolSize + p.reservePoolSize + 1),
  };
  const direct: BudgetLine[] = [
    { who: 'migrations', how: `2 Jobs × DB_POOL ${MIGRATION_DB_POOL}`, connections: 2 * MIGRATION_DB_POOL },
    { who: 'pg_amcheck', how: `--jobs ${AMCHECK_JOBS} + 1`, connections: AMCHECK_JOBS + 1 },
  ];
  const reserve: BudgetLine = {
    who: 'reserve',
    how: `connectionReserve ${db.connectionReserve} + superuser_reserved_connections ${SUPERUSER_RESERVED}`,
    connections: db.connectionReserve + SUPERUSER_RESERVED,
  };
  const maxConnections = server.connections + direct.reduce((n, l) => n + l.connections, 0) + reserve.connections;
  return { server, direct, reserve, maxConnections };
}

/** Problems with explicit limits that do not fit the budget. */
export function checkBudget(b: ConnectionBudget, db: { readonly parameters: Readonly<Record<string, string>> }): { path: string; message: string }[] {
  const out: { path: string; message: string }[] = [];
  if (b.maxClientConn < b.clientTotal) {
    out.push({
      path: 'database.pooler.maxClientConn',
      message: `needs ${b.clientTotal} client connections (${b.clients.map((l) => `${l.who} ${l.connections}`).join(', ')}), max_client_conn is ${b.maxClientConn}; raise it to ${b.clientTotal} or leave it out to derive it, or lower replicas, threads or concurrency`,
    });
  }
  const explicit = db.parameters.max_connections;
  if (explicit !== undefined) {
    const n = Number(explicit);
    if (!Number.isInteger(n) || n < 1) {
      out.push({ path: 'database.parameters.max_connections', message: `'${explicit}' is not a whole number; leave it out to derive it from the connection budget (${b.maxConnections})` });
    } else if (n < b.maxConnections) {
      out.push({
        path: 'database.parameters.max_connections',
        message: `needs ${b.maxConnections} connections, max_connections is ${n} (poolers ${b.server.connections}, migrations and amcheck ${b.direct.reduce((s, l) => s + l.connections, 0)}, reserve ${b.reserve.connections}); raise it to ${b.maxConnections}, leave it out to derive it, or lower database.pooler.defaultPoolSize`,
      });
    }
  }
  return out;
}

/** The budget as a Markdown table, for the README and `npm run budget`. */
export function formatBudget(b: ConnectionBudget): string {
  const rows: string[][] = [
    ...b.clients.map((l) => [`client → pooler: ${l.who}`, l.how, String(l.connections)]),
    ['**clients total** (max_client_conn per pooler)', '', `**${b.clientTotal}**${b.maxClientConn !== b.clientTotal ? ` (set: ${b.maxClientConn})` : ''}`],
    [`pooler → Postgres: ${b.server.who}`, b.server.how, String(b.server.connections)],
    ...b.direct.map((l) => [`direct: ${l.who}`, l.how, String(l.connections)]),
    [b.reserve.who, b.reserve.how, String(b.reserve.connections)],
    ['**max_connections**', '', `**${b.maxConnections}**`],
  ];
  return ['| connections | how | count |', '| --- | --- | ---: |', ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}
