import { Chart, ChartProps } from 'cdk8s';
import { Construct } from 'constructs';
import type { ResolvedConfig } from './config/resolve';
import { MastodonEnvironment } from './mastodon-environment';
import { MastodonStreaming } from './mastodon-streaming';
import { MastodonWeb } from './mastodon-web';
import { MediaCleanup } from './media-cleanup';
import { Migrations } from './migrations';
import { PostgresCluster } from './postgres-cluster';
import { Redis } from './redis';
import { SidekiqQueue } from './sidekiq-queue';

/** Props for {@link MastodonChart}. */
export interface MastodonChartProps extends Omit<ChartProps, 'namespace'> {
  /** The resolved configuration: use `resolveConfig` or `loadConfigFile` to get one. */
  readonly config: ResolvedConfig;
}

/**
 * A whole Mastodon server in one chart. Every object is named `<config.name>-<part>`, with no
 * hashes, so names stay stable when the code is refactored.
 */
export class MastodonChart extends Chart {
  public readonly environment: MastodonEnvironment;
  /** The CloudNativePG cluster, when database.mode is cnpg. */
  public readonly postgres?: PostgresCluster;
  public readonly web: MastodonWeb;
  public readonly streaming: MastodonStreaming;
  /** One per Sidekiq process group, keyed by process name. */
  public readonly sidekiq: Readonly<Record<string, SidekiqQueue>>;
  /** The in-cluster Redis, unless an external one is configured. */
  public readonly redis?: Redis;
  public readonly migrations: Migrations;
  public readonly cleanup: MediaCleanup;

  constructor(scope: Construct, id: string, props: MastodonChartProps) {
    const { config, ...chartProps } = props;
    super(scope, id, { ...chartProps, namespace: config.namespace, disableResourceNameHashes: true });
    if (config.database.mode === 'cnpg' && config.postgres) {
      this.postgres = new PostgresCluster(this, 'Postgres', {
        instance: config.name,
        database: config.database,
        resolved: config.postgres,
        poolLabel: config.nodes.poolLabel,
        kubectlImage: config.images.kubectl,
      });
    }
    this.environment = new MastodonEnvironment(this, 'Environment', { config, database: this.postgres?.connection });
    if (config.redis.mode === 'internal') {
      this.redis = new Redis(this, 'Redis', { instance: config.name, redis: config.redis, poolLabel: config.nodes.poolLabel, image: config.images.redis });
    }
    this.web = new MastodonWeb(this, 'Web', { environment: this.environment });
    this.streaming = new MastodonStreaming(this, 'Streaming', { environment: this.environment });
    const sidekiq: Record<string, SidekiqQueue> = {};
    for (const p of config.sidekiq.processes) {
      sidekiq[p.name] = new SidekiqQueue(this, `Sidekiq-${p.name}`, { environment: this.environment, process: p });
    }
    this.sidekiq = sidekiq;
    this.migrations = new Migrations(this, 'Migrations', { environment: this.environment });
    this.cleanup = new MediaCleanup(this, 'Cleanup', { environment: this.environment });
  }
}
