/**
 * Changes to the smallest config (`tinyConfig` in ./mastodon-env.ts) that several construct
 * tests share.
 */

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
