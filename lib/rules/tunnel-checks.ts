/**
 * Refusals for the Cloudflare Tunnel connectors that both the config schema and the
 * CloudflareTunnel construct apply. Pure: no cdk8s imports.
 */

/** The fewest connectors: the tunnel is the only way in, and one is cut off by any node loss or rollout. */
export const MIN_TUNNEL_REPLICAS = 2;

/** Why `replicas` connectors are not enough, or undefined. */
export function tunnelReplicasProblem(replicas: number): string | undefined {
  if (!Number.isInteger(replicas)) return `${replicas} is not a whole number; set a whole number of at least ${MIN_TUNNEL_REPLICAS} replicas`;
  if (replicas >= MIN_TUNNEL_REPLICAS) return undefined;
  return `${replicas} is too few: the tunnel is the only way in, and one replica is cut off by any node loss or rollout; set at least ${MIN_TUNNEL_REPLICAS} replicas`;
}
