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
