/**
 * The smallest config, for the constructs and charts that take a resolved config, and the changes
 * to it that several construct tests share.
 */

/** Required fields only, every other setting the default. */
export function tinyConfig(change: (c: any) => void = () => undefined): any {
  const c: any = {
    name: 'tiny', domain: 'tiny.example',
    mastodon: { secretName: 'tiny-keys' },
    nodes: { inventory: [
      { name: 'vm-1', pool: 'cloud', arch: 'amd64', cpu: '4', memory: '8Gi' },
      { name: 'vm-2', pool: 'cloud', arch: 'amd64', cpu: '4', memory: '8Gi' },
      { name: 'pi-1', pool: 'onprem', arch: 'arm64', cpu: '4', memory: '8Gi' },
    ] },
    sidekiq: { processes: [{ name: 'all', queues: ['default', 'push', 'pull', 'ingress', 'mailers', 'scheduler', 'fasp'] }] },
    database: { mode: 'external', host: 'db.example', passwordSecret: { name: 'tiny-db', key: 'password' } },
    redis: { mode: 'external', host: 'redis.example' },
    media: { s3: { bucket: 'tiny', endpoint: 'https://s3.example', credentialsSecret: { name: 'tiny-s3' } } },
    smtp: { server: 'smtp.example', fromAddress: 'tiny@tiny.example' },
  };
  change(c);
  return c;
}

/** A locally managed tunnel: what maintenance mode needs to route to its page. */
export function withTunnel(c: any): void {
  c.tunnel = { mode: 'local', tunnelId: '6ff42ae2-765d-4adf-8112-31c55c1551ef', credentialsSecret: { name: 'tiny-tunnel', key: 'credentials.json' } };
}

/** Maintenance with the workloads stopped (it needs a tunnel). */
export function stopped(c: any): void {
  withTunnel(c);
  c.maintenance = { enabled: true, stopWorkloads: true };
}

/** A CloudNativePG database with the fewest fields: an object store for its backups. */
export function withCnpg(c: any): void {
  c.database = { mode: 'cnpg', backup: { objectStore: { destinationPath: 's3://tiny-backups/postgres', endpointURL: 'https://s3.example', credentialsSecret: { name: 'tiny-backup' } } } };
}
