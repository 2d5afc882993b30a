/**
 * Parts of the resolved model that the rules compute and the constructs read: images, tunnel
 * ingress rules, the Postgres connection budget and the WAL volume split. Types only.
 */

/** A CPU architecture as the `kubernetes.io/arch` node label spells it. */
export type Arch = 'amd64' | 'arm64';

/** One pinned image and the architectures its manifest list covers. */
export interface ImageSpec {
  readonly repository: string;
  readonly tag: string;
  /** A digest (`sha256:…`) pinned beside the tag: what is pulled, whatever the tag now names. */
  readonly digest?: string;
  readonly architectures: readonly Arch[];
}

/** One ingress rule of a locally managed tunnel's config.yaml. */
export interface IngressRule {
  /** Host name to match; absent on the catch-all. */
  readonly hostname?: string;
  /** A regular expression the path must match; absent matches every path. */
  readonly path?: string;
  /** `http://service:port` (no path), or `http_status:NNN`. */
  readonly service: string;
}

/** A rule plus where it came from, for error messages. */
export interface SourcedRule extends IngressRule {
  /** Config path for rules from the config (e.g. `tunnel.extraRoutes[0]`); absent for generated ones. */
  readonly source?: string;
  /** What a generated rule is for, in words (e.g. `the route to Mastodon web`); for messages. */
  readonly role?: string;
}

/** One line of the budget. */
export interface BudgetLine {
  readonly who: string;
  /** How the number is made, e.g. `2 replicas × 2 processes × 5 threads`. */
  readonly how: string;
  readonly connections: number;
}

/** The connection budget of a CNPG cluster. */
export interface ConnectionBudget {
  /** Client connections to the pooler (every pod at once, plus one surge pod per rolling Deployment). */
  readonly clients: readonly BudgetLine[];
  readonly clientTotal: number;
  /** PgBouncer max_client_conn per instance: all clients may land on one instance while the other restarts. */
  readonly maxClientConn: number;
  /** Server connections the poolers open: instances × (default_pool_size + reserve_pool_size + 1 for auth_query). */
  readonly server: BudgetLine;
  /** Connections that bypass the pooler (migrations, the corruption check). */
  readonly direct: readonly BudgetLine[];
  /** Kept free for the operator, monitoring, psql, plus superuser_reserved_connections. */
  readonly reserve: BudgetLine;
  /** max_connections: server + direct + reserve. */
  readonly maxConnections: number;
}

/** The WAL volume split into what Postgres may use for each purpose. */
export interface WalRetention {
  readonly volumeMB: number;
  /** Between checkpoints (max_wal_size, a soft limit). */
  readonly maxWalSizeMB: number;
  /** Kept for standbys regardless of slots (wal_keep_size). */
  readonly walKeepSizeMB: number;
  /** Left free. */
  readonly marginMB: number;
  /** What slots may keep at most: the rest. Not positive when the volume is too small. */
  readonly maxSlotWalKeepSizeMB: number;
}
