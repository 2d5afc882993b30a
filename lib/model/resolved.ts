/**
 * The resolved model: a parsed config with defaults filled in, the Sidekiq layout generated,
 * images chosen and every cross-field rule checked (lib/config/resolve.ts makes it). What
 * MastodonChart and every construct read. Types only.
 */
import type { KedaConfig, MastodonConfigParsed, SidekiqProcessParsed } from './config';
import type { Arch, ConnectionBudget, ImageSpec, SourcedRule, WalRetention } from './parts';

/** One Sidekiq process after layout: queues are always set. */
export interface ResolvedSidekiqProcess extends Omit<SidekiqProcessParsed, 'queues'> {
  /** Queues in strict priority order. */
  readonly queues: readonly string[];
  /** True when this process serves the scheduler queue (one replica, Recreate strategy). */
  readonly servesScheduler: boolean;
}

/** The images the chart deploys. */
export interface ResolvedImages {
  readonly mastodon: ImageSpec;
  readonly streaming: ImageSpec;
  readonly redis: ImageSpec;
  readonly kubectl: ImageSpec;
  readonly cloudflared: ImageSpec;
  readonly maintenance: ImageSpec;
  /** The redis_exporter sidecar (monitoring on, internal Redis). */
  readonly redisExporter: ImageSpec;
}

/** What the tunnel resolves to. */
export interface ResolvedTunnel {
  /** Pools the connectors may run in. */
  readonly pools: readonly string[];
  /** The ingress rules of a locally managed tunnel (validated); none for a remotely managed one. */
  readonly rules?: readonly SourcedRule[];
}

/** What the CloudNativePG cluster resolves to (database.mode: cnpg only). */
export interface ResolvedPostgres {
  /** The one architecture every instance runs on. */
  readonly arch: Arch;
  /** `required` when the pool has a node per instance, `preferred` otherwise. */
  readonly antiAffinity: 'required' | 'preferred';
  /** Nodes in the pool with that architecture. */
  readonly eligibleNodes: readonly string[];
  readonly image: ImageSpec;
  readonly budget: ConnectionBudget;
  /** The archive folder WAL is written to (plugin serverName). */
  readonly serverName: string;
  /** The WAL volume split; `maxSlotWalKeepSizeMB` is what replication slots may keep. */
  readonly wal: WalRetention;
}

/** What monitoring resolves to (monitoring.enabled only). */
export interface ResolvedMonitoring {
  /** Namespace Prometheus scrapes from. */
  readonly namespace: string;
  /** Only these Prometheus pods may scrape; every pod of the namespace when absent. */
  readonly prometheusPodLabels?: Readonly<Record<string, string>>;
  /** Labels on the PrometheusRule. */
  readonly ruleLabels: Readonly<Record<string, string>>;
  /** Labels on the PodMonitors. */
  readonly monitorLabels: Readonly<Record<string, string>>;
  readonly scrapeInterval: string;
  readonly sidekiq: { readonly latencySeconds: number; readonly backlog: number };
  /** The newest base backup may be this old before the alert fires (database.mode cnpg only). */
  readonly baseBackupMaxAgeSeconds?: number;
}

/** The fully resolved model: what MastodonChart and every construct read. */
export interface ResolvedConfig extends Omit<MastodonConfigParsed, 'sidekiq'> {
  readonly sidekiq: {
    readonly customQueues: readonly string[];
    /** Run every scalable group at its maximum (the manual catch-up switch). */
    readonly catchUp: boolean;
    /** KEDA catch-up scaling, when configured. */
    readonly keda?: KedaConfig;
    /** True when the queues came from the generator rather than the file. */
    readonly generatedLayout: boolean;
    readonly processes: readonly ResolvedSidekiqProcess[];
  };
  readonly images: ResolvedImages;
  /** Set when database.mode is cnpg. */
  readonly postgres?: ResolvedPostgres;
  /** Set when a tunnel is configured. */
  readonly resolvedTunnel?: ResolvedTunnel;
  /** Set when monitoring.enabled is on. */
  readonly resolvedMonitoring?: ResolvedMonitoring;
  /** Things that work but are weaker than they could be; printed on synth. */
  readonly warnings: readonly string[];
}
