import { Chart, ChartProps } from 'cdk8s';
import { Construct } from 'constructs';
import type { ResolvedConfig } from './config/resolve';
import { MastodonEnvironment } from './mastodon-environment';
import { MastodonStreaming } from './mastodon-streaming';
import { MastodonWeb } from './mastodon-web';
import { MediaCleanup } from './media-cleanup';
import { Migrations } from './migrations';
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
    this.environment = new MastodonEnvironment(this, 'Environment', { config });
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
