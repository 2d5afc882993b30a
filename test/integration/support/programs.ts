/**
 * The Debian packages the integration suite runs, and the program each one must provide.
 * `global-setup.ts` installs the missing ones once (`apt-get update`, then `apt-get install -y`)
 * when running as root; elsewhere it prints the install command and fails.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';

/** The Debian packages the suite runs, and what each is for. */
export const PACKAGES: Record<string, string> = {
  postgresql: 'Postgres server, psql, pg_amcheck',
  pgbouncer: 'the pooler in front of Postgres',
  'redis-server': 'Redis server and redis-cli',
  'nginx-light': 'the maintenance page',
  prometheus: 'promtool',
  'ruby-sidekiq': "Sidekiq's own option parser",
  iperf3: 'real iperf3 JSON output',
  'iputils-ping': 'ping -M do, the netcheck MTU probe',
  jq: 'the netcheck client script builds its JSON lines with it',
  iproute2: 'ip: the default-route interface, and a small-MTU loopback in a network namespace',
  openssl: 'a private CA and server certificates',
  curl: "the streaming liveness probe's health request",
  'prometheus-redis-exporter': 'redis_exporter: the metric catalog scrape, and the Redis exporter Deployment run against a real Redis',
  'prometheus-node-exporter': 'node_exporter, scraped and compared with the metric catalog',
};

/** Packages dpkg does not list as installed. */
export function missingPackages(): string[] {
  return Object.keys(PACKAGES).filter((pkg) => {
    try {
      return !execFileSync('dpkg-query', ['-W', '-f=${Status}', pkg], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).includes('install ok installed');
    } catch {
      return true;
    }
  });
}

/** The directory of the newest PostgreSQL server binaries (`initdb`, `postgres`, `pg_amcheck`). */
export function postgresBin(): string {
  const root = '/usr/lib/postgresql';
  const majors = fs.readdirSync(root).filter((d) => fs.existsSync(`${root}/${d}/bin/postgres`)).sort((a, b) => Number(b) - Number(a));
  if (majors.length === 0) throw new Error('no PostgreSQL server under /usr/lib/postgresql: apt-get install -y postgresql');
  return `${root}/${majors[0]}/bin`;
}

/** True when this process runs as root (CI does). */
export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/** uid and gid of a system user, e.g. `postgres`. */
export function userIds(user: string): { uid: number; gid: number } {
  const uid = Number(execFileSync('id', ['-u', user], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', user], { encoding: 'utf8' }).trim());
  return { uid, gid };
}
