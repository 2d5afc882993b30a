import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { resourceName } from './rules/names';
import { httpProbe } from './conventions/probes';
import { clusterService, containerResources } from './conventions/workload';
import { MastodonEnvironment } from './mastodon-environment';
import { STREAMING_PORT } from './rules/services';
import type { StreamingSettings } from './model';

/** Props for {@link MastodonStreaming}. */
export interface MastodonStreamingProps {
  /** The shared Mastodon environment. */
  readonly environment: MastodonEnvironment;
  /** The `streaming:` section of the config. @default the environment's `settings.streaming` */
  readonly streaming?: StreamingSettings;
}

/**
 * Mastodon's streaming server (the separate `mastodon-streaming` image) on port 4000.
 * STREAMING_CLUSTER_NUM is not set: Mastodon no longer reads it; scale with replicas.
 */
export class MastodonStreaming extends Construct {
  /** The port the streaming server listens on. */
  public static readonly PORT = STREAMING_PORT;
  /** The health endpoint. */
  public static readonly HEALTH_PATH = '/api/v1/streaming/health';
  /**
   * Seconds the pod keeps serving after it is removed from the Service's endpoints.
   * streaming/index.js (mastodon/mastodon) answers SIGTERM with `server.close()` and
   * `process.exit(0)` at once, so without this sleep connections arriving while the endpoint
   * removal propagates would be refused. (The image has `sleep`: node's Debian slim base.)
   */
  public static readonly DRAIN_SECONDS = 10;
  public readonly deployment: k8s.KubeDeployment;
  public readonly service: k8s.KubeService;
  public readonly budget?: k8s.KubePodDisruptionBudget;

  constructor(scope: Construct, id: string, props: MastodonStreamingProps) {
    super(scope, id);
    const env = props.environment.pods;
    const c = env.settings;
    const s = props.streaming ?? c.streaming;
    const identity = env.identity('streaming');
    const name = resourceName(c.name, 'streaming');
    const container = env.streamingContainer({
      name: 'streaming',
      env: { DB_POOL: String(s.dbPool), BIND: '0.0.0.0', PORT: String(MastodonStreaming.PORT) },
      resources: containerResources(s.resources),
      ports: [{ name: 'streaming', containerPort: MastodonStreaming.PORT, protocol: 'TCP' }],
      startupProbe: httpProbe(MastodonStreaming.HEALTH_PATH, MastodonStreaming.PORT, { periodSeconds: 5, failureThreshold: 24 }),
      readinessProbe: httpProbe(MastodonStreaming.HEALTH_PATH, MastodonStreaming.PORT, { periodSeconds: 10 }),
      livenessProbe: env.streamingLivenessProbe(MastodonStreaming.HEALTH_PATH, MastodonStreaming.PORT, { periodSeconds: 20 }),
      lifecycle: { preStop: { exec: { command: ['sleep', String(MastodonStreaming.DRAIN_SECONDS)] } } },
    });
    const result = env.deployment(this, {
      name,
      identity,
      replicas: s.replicas,
      strategy: 'surge',
      container,
      pool: s.pool,
      architectures: c.images.streaming.architectures,
      spread: 'hard',
      priority: 'frontend',
      // The preStop sleep counts against the grace period; node exits at once after it.
      terminationGracePeriodSeconds: MastodonStreaming.DRAIN_SECONDS + 20,
    });
    this.deployment = result.deployment;
    this.budget = result.budget;
    this.service = clusterService(this, name, identity, MastodonStreaming.PORT, 'streaming');
  }
}
